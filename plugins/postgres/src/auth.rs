//! Password authentication: md5 here; SCRAM-SHA-256 is the shared
//! `weir_debezium::scram` (PostgreSQL sends an empty user name in it, having
//! the user from the startup message).

use md5::{Digest as _, Md5};

/// `md5` || md5(md5(password || user) || salt), in hex.
pub fn md5_password(user: &str, password: &str, salt: &[u8]) -> String {
    let inner = hex(&Md5::digest(format!("{password}{user}").as_bytes()));
    let mut outer = Md5::new();
    outer.update(inner.as_bytes());
    outer.update(salt);
    format!("md5{}", hex(&outer.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_inner_hash_is_postgres_stored_form() {
        // pg_authid stores 'md5' || md5(password || user); for postgres/postgres
        // that is the well-known md53175bce1d3201d16594cebf9d7eb3f9d.
        assert_eq!(hex(&Md5::digest(b"postgrespostgres")), "3175bce1d3201d16594cebf9d7eb3f9d");
        let answer = md5_password("postgres", "postgres", &[1, 2, 3, 4]);
        let mut outer = Md5::new();
        outer.update(b"3175bce1d3201d16594cebf9d7eb3f9d");
        outer.update([1, 2, 3, 4]);
        assert_eq!(answer, format!("md5{}", hex(&outer.finalize())));
    }
}

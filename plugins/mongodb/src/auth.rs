//! MongoDB's SCRAM (over `saslStart`/`saslContinue`): the exchange itself is
//! `weir_debezium::scram`; MongoDB's SCRAM-SHA-1 hashes the password first,
//! `hex(md5("<user>:mongo:<password>"))`.

use md5::{Digest, Md5};
use weir_debezium::scram::{Mechanism, Scram};

/// Starts an exchange for `user`, pre-hashing the password for SCRAM-SHA-1.
pub fn scram(mechanism: Mechanism, user: &str, password: &str) -> Scram {
    Scram::new(mechanism, user, &scram_password(mechanism, user, password))
}

fn scram_password(mechanism: Mechanism, user: &str, password: &str) -> String {
    match mechanism {
        Mechanism::Sha256 => password.to_string(),
        Mechanism::Sha1 => crate::extjson::hex(&Md5::digest(format!("{user}:mongo:{password}").as_bytes())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5802_sha1_example_with_mongodb_password_hash() {
        // MongoDB's SCRAM-SHA-1 test vector: user "user", password "pencil".
        let password = scram_password(Mechanism::Sha1, "user", "pencil");
        let mut s = Scram::with_nonce(Mechanism::Sha1, "user", &password, "fyko+d2lbbFgONRv9qkxdawL");
        let fin = s
            .client_final(
                b"r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE,s=rQ9ZY3MntBeuP3E1TDVC4w==,i=10000",
            )
            .expect("final");
        assert_eq!(
            fin,
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawLHo+Vgk7qvUOKUwuWLIWg4l/9SraGMHEE,p=MC2T8BvbmWRckDw8oWl5IVghwCY="
        );
        s.verify_server(b"v=UMWeI25JD1yNYZRMpZ4VHvhZ9e0=").expect("server signature");
    }
}

//! SCRAM-SHA-256 and SCRAM-SHA-1 client exchanges (RFC 5802, RFC 7677),
//! without channel binding, as PostgreSQL and MongoDB run them.

use hmac::digest::core_api::BlockSizeUser;
use hmac::digest::{Digest, FixedOutputReset};
use hmac::{Mac, SimpleHmac};

/// A failed exchange: what was wrong with the server's messages.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ScramError(pub String);

/// The SCRAM variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// SCRAM-SHA-256.
    Sha256,
    /// SCRAM-SHA-1.
    Sha1,
}

impl Mechanism {
    /// The mechanism's name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "SCRAM-SHA-256",
            Self::Sha1 => "SCRAM-SHA-1",
        }
    }
}

/// One exchange (without channel binding).
pub struct Scram {
    mechanism: Mechanism,
    password: String,
    nonce: String,
    client_first_bare: String,
    server_signature: Option<Vec<u8>>,
}

fn hmac<D: Digest + BlockSizeUser + Clone + FixedOutputReset>(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length.
    let mut mac = <SimpleHmac<D> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn pbkdf2<D: Digest + BlockSizeUser + Clone + FixedOutputReset>(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
) -> Vec<u8> {
    let mut block = salt.to_vec();
    block.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac::<D>(password, &block);
    let mut out = u.clone();
    for _ in 1..iterations {
        u = hmac::<D>(password, &u);
        for (o, x) in out.iter_mut().zip(u.iter()) {
            *o ^= x;
        }
    }
    out
}

/// The password as SCRAM hashes it: SASLprep'd (RFC 4013), as RFC 5802
/// asks and as MongoDB (creating SCRAM-SHA-256 users) and PostgreSQL
/// (storing verifiers) both do. A password SASLprep rejects is used as it
/// is, which is what PostgreSQL does with one; MongoDB never stores one.
fn prepared_password(password: &str) -> String {
    match stringprep::saslprep(password) {
        Ok(prepared) => prepared.into_owned(),
        Err(_) => password.to_string(),
    }
}

/// `=` and `,` in a SCRAM user name are escaped.
fn sasl_name(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

impl Scram {
    /// Starts an exchange with a fresh client nonce. `password` is the
    /// SCRAM password (MongoDB's SCRAM-SHA-1 pre-hashes it; see its connector).
    /// PostgreSQL ignores the user name here and takes an empty one.
    pub fn new(mechanism: Mechanism, user: &str, password: &str) -> Self {
        Self::with_nonce(mechanism, user, password, &random_nonce())
    }

    /// An exchange with a given client nonce (tests use the RFCs' nonces).
    pub fn with_nonce(mechanism: Mechanism, user: &str, password: &str, nonce: &str) -> Self {
        Self {
            mechanism,
            password: prepared_password(password),
            nonce: nonce.to_string(),
            client_first_bare: format!("n={},r={nonce}", sasl_name(user)),
            server_signature: None,
        }
    }

    /// The client-first-message.
    pub fn client_first(&self) -> String {
        format!("n,,{}", self.client_first_bare)
    }

    /// The client-final-message for the server-first-message.
    pub fn client_final(&mut self, server_first: &[u8]) -> Result<String, ScramError> {
        match self.mechanism {
            Mechanism::Sha256 => self.client_final_with::<sha2::Sha256>(server_first),
            Mechanism::Sha1 => self.client_final_with::<sha1::Sha1>(server_first),
        }
    }

    fn client_final_with<D: Digest + BlockSizeUser + Clone + FixedOutputReset>(
        &mut self,
        server_first: &[u8],
    ) -> Result<String, ScramError> {
        let server_first =
            std::str::from_utf8(server_first).map_err(|_| self.bad("server-first-message is not UTF-8"))?;
        let mut nonce = None;
        let mut salt = None;
        let mut iterations = None;
        for part in server_first.split(',') {
            match part.split_once('=') {
                Some(("r", v)) => nonce = Some(v),
                Some(("s", v)) => {
                    salt = Some(crate::binary::base64_decode(v).ok_or_else(|| self.bad("salt is not base64"))?)
                }
                Some(("i", v)) => iterations = v.parse::<u32>().ok(),
                _ => {}
            }
        }
        let (Some(nonce), Some(salt), Some(iterations)) = (nonce, salt, iterations) else {
            return Err(self.bad("server-first-message lacks nonce, salt or iteration count"));
        };
        if !nonce.starts_with(&self.nonce) || iterations == 0 {
            return Err(self.bad("server nonce does not extend the client nonce"));
        }
        let salted = pbkdf2::<D>(self.password.as_bytes(), &salt, iterations);
        let client_key = hmac::<D>(&salted, b"Client Key");
        let stored_key = D::digest(&client_key).to_vec();
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let client_signature = hmac::<D>(&stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key.iter().zip(client_signature.iter()).map(|(a, b)| a ^ b).collect();
        let server_key = hmac::<D>(&salted, b"Server Key");
        self.server_signature = Some(hmac::<D>(&server_key, auth_message.as_bytes()));
        let mut proof_b64 = String::new();
        weir_json::write_base64(&mut proof_b64, &proof);
        Ok(format!("{without_proof},p={proof_b64}"))
    }

    /// Checks the server-final-message's signature.
    pub fn verify_server(&self, server_final: &[u8]) -> Result<(), ScramError> {
        let text = std::str::from_utf8(server_final).map_err(|_| self.bad("server-final-message is not UTF-8"))?;
        let v = text.strip_prefix("v=").ok_or_else(|| self.bad(&format!("server refused: {text}")))?;
        let got = crate::binary::base64_decode(v.trim()).ok_or_else(|| self.bad("server signature is not base64"))?;
        match &self.server_signature {
            Some(expected) if *expected == got => Ok(()),
            _ => Err(self.bad("the server's SCRAM signature does not match: it does not know the password")),
        }
    }

    fn bad(&self, msg: &str) -> ScramError {
        ScramError(format!("{}: {msg}", self.mechanism.name()))
    }
}

fn random_nonce() -> String {
    use std::hash::{BuildHasher, Hasher};
    // RandomState draws its keys from the system's random source (WASI
    // random in the sandbox), which is all a client nonce needs.
    let mut out = String::new();
    for i in 0..3u64 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(i);
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7677_sha256_example() {
        // RFC 7677 section 3: user "user", password "pencil".
        let mut s = Scram::with_nonce(Mechanism::Sha256, "user", "pencil", "rOprNGfwEbeRWgbNEkqO");
        assert_eq!(s.client_first(), "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let server_first = b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let fin = s.client_final(server_first).expect("final");
        assert_eq!(
            fin,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        s.verify_server(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=").expect("server signature");
        assert!(s.verify_server(b"v=AAAA").is_err());
        assert!(s.client_final(b"r=other,s=AAAA,i=1").is_err(), "a nonce that does not extend ours");
    }

    #[test]
    fn passwords_are_saslprepped_before_hashing() {
        // RFC 4013 section 3's examples: a soft hyphen maps to nothing, a
        // no-break space to a space, and the Roman numeral nine (U+2168)
        // normalises (NFKC) to "IX"; a control character is prohibited and
        // the password is then used unchanged.
        assert_eq!(prepared_password("I\u{00AD}X"), "IX");
        assert_eq!(prepared_password("\u{2168}"), "IX");
        assert_eq!(prepared_password("a\u{00A0}b"), "a b");
        assert_eq!(prepared_password("user"), "user");
        assert_eq!(prepared_password("a\u{0007}b"), "a\u{0007}b");
        // So the exchange proves the same key for both spellings.
        let proof = |password: &str| {
            Scram::with_nonce(Mechanism::Sha256, "user", password, "n")
                .client_final(b"r=nX,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
                .expect("final")
        };
        assert_eq!(proof("\u{2168}"), proof("IX"));
        assert_ne!(proof("IX"), proof("I X"));
    }
}

//! Password authentication: md5 and SCRAM-SHA-256 (RFC 5802, RFC 7677).

use hmac::{Hmac, Mac};
use md5::{Digest as _, Md5};
use sha2::Sha256;

use crate::error::PgError;

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

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key"));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

fn pbkdf2(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut block = salt.to_vec();
    block.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac(password, &block);
    let mut out = u;
    for _ in 1..iterations {
        u = hmac(password, &u);
        for (o, x) in out.iter_mut().zip(u.iter()) {
            *o ^= x;
        }
    }
    out
}

/// One SCRAM-SHA-256 exchange (without channel binding).
pub struct Scram {
    password: String,
    nonce: String,
    client_first_bare: String,
    server_signature: Option<[u8; 32]>,
}

impl Scram {
    /// Starts an exchange with a fresh client nonce.
    pub fn new(password: &str) -> Self {
        Self::with_nonce(password, &random_nonce())
    }

    fn with_nonce(password: &str, nonce: &str) -> Self {
        // PostgreSQL ignores the user name in SCRAM messages (it has it from startup).
        Self {
            password: password.to_string(),
            nonce: nonce.to_string(),
            client_first_bare: format!("n=,r={nonce}"),
            server_signature: None,
        }
    }

    /// The client-first-message.
    pub fn client_first(&self) -> String {
        format!("n,,{}", self.client_first_bare)
    }

    /// The client-final-message for the server-first-message.
    pub fn client_final(&mut self, server_first: &[u8]) -> Result<String, PgError> {
        let server_first = std::str::from_utf8(server_first).map_err(|_| bad("server-first-message is not UTF-8"))?;
        let mut nonce = None;
        let mut salt = None;
        let mut iterations = None;
        for part in server_first.split(',') {
            match part.split_once('=') {
                Some(("r", v)) => nonce = Some(v),
                Some(("s", v)) => salt = Some(base64_decode(v).ok_or_else(|| bad("salt is not base64"))?),
                Some(("i", v)) => iterations = v.parse::<u32>().ok(),
                _ => {}
            }
        }
        let (Some(nonce), Some(salt), Some(iterations)) = (nonce, salt, iterations) else {
            return Err(bad("server-first-message lacks nonce, salt or iteration count"));
        };
        if !nonce.starts_with(&self.nonce) || iterations == 0 {
            return Err(bad("server nonce does not extend the client nonce"));
        }
        let salted = pbkdf2(self.password.as_bytes(), &salt, iterations);
        let client_key = hmac(&salted, b"Client Key");
        let stored_key: [u8; 32] = Sha256::digest(client_key).into();
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let client_signature = hmac(&stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key.iter().zip(client_signature.iter()).map(|(a, b)| a ^ b).collect();
        let server_key = hmac(&salted, b"Server Key");
        self.server_signature = Some(hmac(&server_key, auth_message.as_bytes()));
        let mut proof_b64 = String::new();
        weir_json::write_base64(&mut proof_b64, &proof);
        Ok(format!("{without_proof},p={proof_b64}"))
    }

    /// Checks the server-final-message's signature.
    pub fn verify_server(&self, server_final: &[u8]) -> Result<(), PgError> {
        let text = std::str::from_utf8(server_final).map_err(|_| bad("server-final-message is not UTF-8"))?;
        let v = text.strip_prefix("v=").ok_or_else(|| bad(&format!("server refused: {text}")))?;
        let got = base64_decode(v.trim()).ok_or_else(|| bad("server signature is not base64"))?;
        match &self.server_signature {
            Some(expected) if expected[..] == got[..] => Ok(()),
            _ => Err(bad("the server's SCRAM signature does not match: it does not know the password")),
        }
    }
}

fn bad(msg: &str) -> PgError {
    PgError::Auth(format!("SCRAM-SHA-256: {msg}"))
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

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_matches_postgres() {
        // md5(md5("secret" || "alice") || salt) for salt 01020304, computed with PostgreSQL's formula.
        let inner = hex(&Md5::digest(b"secretalice"));
        let mut outer = Md5::new();
        outer.update(inner.as_bytes());
        outer.update([1, 2, 3, 4]);
        assert_eq!(md5_password("alice", "secret", &[1, 2, 3, 4]), format!("md5{}", hex(&outer.finalize())));
        assert_eq!(md5_password("alice", "secret", &[1, 2, 3, 4]).len(), 35);
    }

    #[test]
    fn scram_sha_256_matches_rfc7677() {
        // RFC 7677 section 3: user "user", password "pencil".
        let mut s = Scram::with_nonce("pencil", "rOprNGfwEbeRWgbNEkqO");
        s.client_first_bare = "n=user,r=rOprNGfwEbeRWgbNEkqO".into();
        let server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let final_msg = s.client_final(server_first.as_bytes()).expect("valid server-first");
        assert_eq!(
            final_msg,
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        s.verify_server(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=").expect("server signature");
        assert!(s.verify_server(b"v=AAAA").is_err());
    }
}

//! The server side of SCRAM (RFC 5802) with SHA-1 and SHA-256 (RFC 7677), as
//! MongoDB runs it inside `saslStart`/`saslContinue`
//! (https://www.mongodb.com/docs/manual/core/security-scram/).
//!
//! MongoDB's one twist: SCRAM-SHA-1 does not use the password itself but
//! `hex(md5("<user>:mongo:<password>"))`, a holdover from MONGODB-CR; that is
//! applied by [`Credentials::for_mongodb`], so the conversation itself stays
//! plain RFC 5802 and can be checked against the RFC's test vectors.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use md5::{Digest as _, Md5};
use sha1::Sha1;
use sha2::Sha256;

/// The two SCRAM mechanisms MongoDB offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// SCRAM-SHA-1.
    Sha1,
    /// SCRAM-SHA-256.
    Sha256,
}

impl Mechanism {
    /// The mechanism named in `saslStart`, if we offer it.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "SCRAM-SHA-1" => Some(Self::Sha1),
            "SCRAM-SHA-256" => Some(Self::Sha256),
            _ => None,
        }
    }

    /// The PBKDF2 iteration count MongoDB uses by default for this mechanism
    /// (`scramIterationCount` / `scramSHA256IterationCount`).
    fn default_iterations(self) -> u32 {
        match self {
            Self::Sha1 => 10_000,
            Self::Sha256 => 15_000,
        }
    }

    fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => {
                let mut mac = Hmac::<Sha1>::new_from_slice(key).expect("HMAC takes keys of any length");
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
            Self::Sha256 => {
                let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
        }
    }

    fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha1 => sha1::Sha1::digest(data).to_vec(),
            Self::Sha256 => sha2::Sha256::digest(data).to_vec(),
        }
    }

    fn salted_password(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        match self {
            Self::Sha1 => pbkdf2::pbkdf2_hmac_array::<Sha1, 20>(password, salt, iterations).to_vec(),
            Self::Sha256 => pbkdf2::pbkdf2_hmac_array::<Sha256, 32>(password, salt, iterations).to_vec(),
        }
    }
}

/// Why a SCRAM exchange failed. The client only ever hears
/// `AuthenticationFailed`; the detail is for the server's own tests and logs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScramError {
    /// A message is not valid SCRAM syntax.
    #[error("malformed SCRAM message: {0}")]
    Malformed(&'static str),
    /// The client asked for channel binding, which MongoDB does not support.
    #[error("channel binding is not supported")]
    ChannelBinding,
    /// The nonce in client-final does not extend the one we sent.
    #[error("nonce mismatch")]
    Nonce,
    /// The client proof does not verify against the stored key.
    #[error("client proof does not verify")]
    Proof,
}

/// What the server stores per user and mechanism: never the password.
#[derive(Debug, Clone)]
pub struct Credentials {
    mechanism: Mechanism,
    salt: Vec<u8>,
    iterations: u32,
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
}

impl Credentials {
    /// Derives the stored and server keys from `password` (already prepared
    /// by the caller), `salt` and `iterations`.
    pub fn derive(mechanism: Mechanism, password: &[u8], salt: &[u8], iterations: u32) -> Self {
        let salted = mechanism.salted_password(password, salt, iterations);
        let client_key = mechanism.hmac(&salted, b"Client Key");
        let stored_key = mechanism.hash(&client_key);
        let server_key = mechanism.hmac(&salted, b"Server Key");
        Self { mechanism, salt: salt.to_vec(), iterations, stored_key, server_key }
    }

    /// Credentials as MongoDB derives them for a user: the MD5 pre-hash for
    /// SCRAM-SHA-1, the password as is for SCRAM-SHA-256 (SASLprep is the
    /// identity on the ASCII passwords tests use; see the README caveats),
    /// a random salt and MongoDB's default iteration counts.
    pub fn for_mongodb(mechanism: Mechanism, user: &str, password: &str, salt: &[u8]) -> Self {
        let prepared = match mechanism {
            Mechanism::Sha1 => {
                let digest = Md5::digest(format!("{user}:mongo:{password}").as_bytes());
                hex_lower(&digest).into_bytes()
            }
            Mechanism::Sha256 => password.as_bytes().to_vec(),
        };
        Self::derive(mechanism, &prepared, salt, mechanism.default_iterations())
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The parts of client-first the server needs before it knows the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientFirst {
    /// The SCRAM username (`n=`), with `=2C`/`=3D` decoded.
    pub user: String,
    nonce: String,
    bare: String,
}

impl ClientFirst {
    /// Parses `gs2-header client-first-message-bare`, e.g. `n,,n=user,r=nonce`.
    pub fn parse(message: &[u8]) -> Result<Self, ScramError> {
        let text = std::str::from_utf8(message).map_err(|_| ScramError::Malformed("client-first is not UTF-8"))?;
        let mut parts = text.splitn(3, ',');
        let cb_flag = parts.next().ok_or(ScramError::Malformed("missing gs2 header"))?;
        let _authzid = parts.next().ok_or(ScramError::Malformed("missing gs2 header"))?;
        let bare = parts.next().ok_or(ScramError::Malformed("missing client-first-bare"))?;
        match cb_flag {
            "n" | "y" => {}
            f if f.starts_with("p=") => return Err(ScramError::ChannelBinding),
            _ => return Err(ScramError::Malformed("bad gs2 channel-binding flag")),
        }
        let mut user = None;
        let mut nonce = None;
        for attr in bare.split(',') {
            if let Some(v) = attr.strip_prefix("n=") {
                user = Some(v.replace("=2C", ",").replace("=3D", "="));
            } else if let Some(v) = attr.strip_prefix("r=") {
                nonce = Some(v.to_owned());
            } else if attr.starts_with("m=") {
                return Err(ScramError::Malformed("mandatory extension not supported"));
            }
        }
        Ok(Self {
            user: user.ok_or(ScramError::Malformed("missing username"))?,
            nonce: nonce.ok_or(ScramError::Malformed("missing client nonce"))?,
            bare: bare.to_owned(),
        })
    }
}

/// A conversation after the server sent server-first, awaiting client-final.
#[derive(Debug, Clone)]
pub struct Conversation {
    credentials: Credentials,
    client_first_bare: String,
    server_first: String,
    nonce: String,
}

impl Conversation {
    /// Starts a conversation: the server nonce extends the client's with
    /// `server_nonce`. Returns it with the server-first message to send.
    pub fn start(client_first: &ClientFirst, credentials: Credentials, server_nonce: &str) -> (Self, Vec<u8>) {
        let nonce = format!("{}{}", client_first.nonce, server_nonce);
        let server_first = format!("r={nonce},s={},i={}", BASE64.encode(&credentials.salt), credentials.iterations);
        let reply = server_first.clone().into_bytes();
        (Self { credentials, client_first_bare: client_first.bare.clone(), server_first, nonce }, reply)
    }

    /// Checks client-final (`c=...,r=...,p=...`) and returns server-final
    /// (`v=<server signature>`).
    pub fn finish(&self, client_final: &[u8]) -> Result<Vec<u8>, ScramError> {
        let text = std::str::from_utf8(client_final).map_err(|_| ScramError::Malformed("client-final is not UTF-8"))?;
        let (without_proof, proof) =
            text.rsplit_once(",p=").ok_or(ScramError::Malformed("client-final has no proof"))?;
        let mut channel = None;
        let mut nonce = None;
        for attr in without_proof.split(',') {
            if let Some(v) = attr.strip_prefix("c=") {
                channel = Some(v);
            } else if let Some(v) = attr.strip_prefix("r=") {
                nonce = Some(v);
            }
        }
        // "biws" and "eSws" are base64 of the gs2 headers "n,," and "y,,".
        match channel {
            Some("biws" | "eSws") => {}
            Some(_) => return Err(ScramError::ChannelBinding),
            None => return Err(ScramError::Malformed("client-final has no channel binding")),
        }
        if nonce != Some(self.nonce.as_str()) {
            return Err(ScramError::Nonce);
        }
        let proof = BASE64.decode(proof).map_err(|_| ScramError::Malformed("proof is not base64"))?;
        let mechanism = self.credentials.mechanism;
        let auth_message = format!("{},{},{}", self.client_first_bare, self.server_first, without_proof);
        let client_signature = mechanism.hmac(&self.credentials.stored_key, auth_message.as_bytes());
        if proof.len() != client_signature.len() {
            return Err(ScramError::Proof);
        }
        let client_key: Vec<u8> = proof.iter().zip(&client_signature).map(|(p, s)| p ^ s).collect();
        if mechanism.hash(&client_key) != self.credentials.stored_key {
            return Err(ScramError::Proof);
        }
        let server_signature = mechanism.hmac(&self.credentials.server_key, auth_message.as_bytes());
        Ok(format!("v={}", BASE64.encode(server_signature)).into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(mechanism: Mechanism, client_first: &str, server_nonce: &str, salt_b64: &str, client_final: &str) -> String {
        let salt = BASE64.decode(salt_b64).unwrap();
        let credentials = Credentials::derive(mechanism, b"pencil", &salt, 4096);
        let first = ClientFirst::parse(client_first.as_bytes()).unwrap();
        assert_eq!(first.user, "user");
        let (conversation, _) = Conversation::start(&first, credentials, server_nonce);
        String::from_utf8(conversation.finish(client_final.as_bytes()).unwrap()).unwrap()
    }

    /// RFC 5802 section 5: user "user", password "pencil".
    #[test]
    fn rfc5802_sha1_vector() {
        let server_final = run(
            Mechanism::Sha1,
            "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
            "3rfcNHYJY1ZVvWVs7j",
            "QSXCR+Q6sek8bf92",
            "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
        );
        assert_eq!(server_final, "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=");
    }

    /// RFC 7677 section 3: user "user", password "pencil".
    #[test]
    fn rfc7677_sha256_vector() {
        let server_final = run(
            Mechanism::Sha256,
            "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
            "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
            "W22ZaJ0SNY7soEsUEjb6gQ==",
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        );
        assert_eq!(server_final, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    }

    #[test]
    fn a_wrong_proof_is_rejected() {
        let salt = BASE64.decode("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
        let credentials = Credentials::derive(Mechanism::Sha256, b"not pencil", &salt, 4096);
        let first = ClientFirst::parse(b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO").unwrap();
        let (conversation, _) = Conversation::start(&first, credentials, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
        let result = conversation.finish(
            b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        );
        assert_eq!(result, Err(ScramError::Proof));
    }

    /// MongoDB's SCRAM-SHA-1 password digest, as its auth spec gives it for
    /// user "user", password "pencil".
    #[test]
    fn mongodb_sha1_prehash() {
        let digest = Md5::digest(b"user:mongo:pencil");
        assert_eq!(hex_lower(&digest), "1c33006ec1ffd90f9cadcbcc0e118200");
    }
}

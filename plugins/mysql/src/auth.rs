//! Client side of MySQL's and MariaDB's authentication plugins: what to send
//! for a server's scramble. Pure computation; the wire code frames packets.
//!
//! Supported: `mysql_native_password`, `caching_sha2_password` (MySQL 8's
//! default, with its fast path, and full authentication over TLS or with the
//! server's RSA key), MariaDB's `client_ed25519`, and `mysql_clear_password`
//! over TLS only. `sha256_password` (deprecated since MySQL 8.0.16) and
//! MariaDB's `parsec`, PAM's `dialog` and Kerberos' `auth_gssapi_client` are
//! not: [`AuthError::UnsupportedPlugin`] names them for the operator.
//!
//! How the wire code drives it, with one [`Authenticator`] per connection:
//! 1. From the initial handshake: [`Authenticator::handshake_response`] gives
//!    the plugin name to announce and the auth data of HandshakeResponse41.
//! 2. On an AuthSwitchRequest (`0xfe`): [`Authenticator::switch`] with the
//!    plugin name and data; send its bytes as the next packet.
//! 3. On AuthMoreData (`0x01`): [`Authenticator::more_data`] with the whole
//!    packet payload, status byte included; send what it says, or wait for
//!    the OK/ERR packet.

use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

/// `mysql_native_password`.
pub const NATIVE_PASSWORD: &str = "mysql_native_password";
/// `caching_sha2_password` (MySQL 8).
pub const CACHING_SHA2_PASSWORD: &str = "caching_sha2_password";
/// MariaDB's ed25519 plugin, client side (the server side is `ed25519`).
pub const CLIENT_ED25519: &str = "client_ed25519";
/// `mysql_clear_password`: the password itself, acceptable only over TLS.
pub const CLEAR_PASSWORD: &str = "mysql_clear_password";

/// Length of the native and caching_sha2 scrambles.
pub const SCRAMBLE_LEN: usize = 20;
/// Length of MariaDB's ed25519 scramble.
pub const ED25519_SCRAMBLE_LEN: usize = 32;

/// Why authentication cannot go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The server wants a plugin this connector does not implement.
    #[error("{}", unsupported_message(.0))]
    UnsupportedPlugin(String),
    /// `mysql_clear_password` (or a full caching_sha2 exchange that would
    /// send the password as is) on a connection without TLS.
    #[error(
        "the server asks for the password in clear text ({0}) on a connection without TLS; \
         the connector refuses: enable TLS (ssl.mode) or give the user another authentication plugin"
    )]
    ClearTextWithoutTls(String),
    /// The scramble does not have the plugin's length.
    #[error("{plugin}: the server's scramble has {got} bytes, {expected} expected")]
    BadScramble {
        /// The plugin.
        plugin: &'static str,
        /// The plugin's scramble length.
        expected: usize,
        /// What the server sent.
        got: usize,
    },
    /// An AuthMoreData packet the exchange did not expect at this point.
    #[error("{plugin}: unexpected authentication packet from the server: {detail}")]
    UnexpectedPacket {
        /// The plugin in use (or none yet).
        plugin: &'static str,
        /// What was wrong.
        detail: String,
    },
    /// The server's RSA public key could not be read.
    #[error("caching_sha2_password: the server's RSA public key is unusable: {0}")]
    PublicKey(String),
    /// RSA encryption failed (e.g. a password too long for the key).
    #[error("caching_sha2_password: cannot encrypt the password with the server's RSA key: {0}")]
    Encryption(String),
}

fn unsupported_message(name: &str) -> String {
    let why = match name {
        "dialog" | "auth_pam" | "authentication_pam_client" => {
            "PAM's interactive dialog cannot run in a connector".to_string()
        }
        "auth_gssapi_client" | "authentication_kerberos_client" | "authentication_ldap_sasl_client" => {
            "Kerberos/GSSAPI and LDAP SASL logins need a ticket or SASL exchange this connector does not perform"
                .to_string()
        }
        "sha256_password" => "sha256_password (deprecated by MySQL) is not implemented".to_string(),
        "parsec" => "MariaDB's parsec plugin is not implemented".to_string(),
        _ => "it is not implemented".to_string(),
    };
    format!(
        "the server asks for authentication plugin `{name}`, which the connector does not support ({why}); \
         give the connector's user mysql_native_password, caching_sha2_password (MySQL) or ed25519 (MariaDB), \
         or mysql_clear_password over TLS"
    )
}

/// A plugin this module implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plugin {
    /// `mysql_native_password`.
    NativePassword,
    /// `caching_sha2_password`.
    CachingSha2,
    /// MariaDB's `client_ed25519`.
    Ed25519,
    /// `mysql_clear_password`.
    ClearPassword,
}

impl Plugin {
    /// The plugin for a name the server sent; unknown names are an
    /// [`AuthError::UnsupportedPlugin`].
    pub fn from_name(name: &str) -> Result<Self, AuthError> {
        match name {
            NATIVE_PASSWORD => Ok(Self::NativePassword),
            CACHING_SHA2_PASSWORD => Ok(Self::CachingSha2),
            // MariaDB names the server side `ed25519`; accept either.
            CLIENT_ED25519 | "ed25519" => Ok(Self::Ed25519),
            CLEAR_PASSWORD => Ok(Self::ClearPassword),
            other => Err(AuthError::UnsupportedPlugin(other.to_string())),
        }
    }

    /// The client-side name, as announced in HandshakeResponse41.
    pub fn name(self) -> &'static str {
        match self {
            Self::NativePassword => NATIVE_PASSWORD,
            Self::CachingSha2 => CACHING_SHA2_PASSWORD,
            Self::Ed25519 => CLIENT_ED25519,
            Self::ClearPassword => CLEAR_PASSWORD,
        }
    }
}

/// Takes a plugin's scramble from the server's data: exactly `len` bytes,
/// or `len` bytes and the NUL that the handshake and AuthSwitchRequest put
/// after the native scramble.
fn scramble<'a>(plugin: &'static str, data: &'a [u8], len: usize) -> Result<&'a [u8], AuthError> {
    match data {
        d if d.len() == len => Ok(d),
        [d @ .., 0] if d.len() == len => Ok(d),
        _ => Err(AuthError::BadScramble { plugin, expected: len, got: data.len() }),
    }
}

/// `mysql_native_password`'s response:
/// `SHA1(password) XOR SHA1(scramble ‖ SHA1(SHA1(password)))`; an empty
/// password answers with nothing. `scramble` is the 20-byte nonce (a
/// trailing NUL is accepted).
pub fn native_password(password: &str, scramble_data: &[u8]) -> Result<Vec<u8>, AuthError> {
    let nonce = scramble(NATIVE_PASSWORD, scramble_data, SCRAMBLE_LEN)?;
    if password.is_empty() {
        return Ok(Vec::new());
    }
    let stage1 = Sha1::digest(password.as_bytes());
    // The server stores SHA1(stage1): `PASSWORD()` shows it as `*HEX`.
    let stage2 = Sha1::digest(stage1);
    let mask = Sha1::new().chain_update(nonce).chain_update(stage2).finalize();
    Ok(stage1.iter().zip(mask.iter()).map(|(a, b)| a ^ b).collect())
}

/// `caching_sha2_password`'s fast-path response:
/// `SHA256(password) XOR SHA256(SHA256(SHA256(password)) ‖ nonce)`; an
/// empty password answers with nothing.
pub fn caching_sha2_scramble(password: &str, scramble_data: &[u8]) -> Result<Vec<u8>, AuthError> {
    let nonce = scramble(CACHING_SHA2_PASSWORD, scramble_data, SCRAMBLE_LEN)?;
    if password.is_empty() {
        return Ok(Vec::new());
    }
    let stage1 = Sha256::digest(password.as_bytes());
    let stage2 = Sha256::digest(stage1);
    // Unlike the native plugin, the nonce comes after the hash.
    let mask = Sha256::new().chain_update(stage2).chain_update(nonce).finalize();
    Ok(stage1.iter().zip(mask.iter()).map(|(a, b)| a ^ b).collect())
}

/// MariaDB's ed25519 key for a password: the 32-byte public key that
/// `ed25519_password('…')` shows (in base64) and `mysql.global_priv` keeps.
pub fn ed25519_public_key(password: &str) -> [u8; 32] {
    Ed25519Key::from_password(password).public
}

/// MariaDB's `client_ed25519` response: the 64-byte Ed25519 signature
/// `R ‖ S` of the server's 32-byte scramble, with the key derived from the
/// password (see [`Ed25519Key`]).
pub fn ed25519_signature(password: &str, scramble_data: &[u8]) -> Result<[u8; 64], AuthError> {
    let message = scramble(CLIENT_ED25519, scramble_data, ED25519_SCRAMBLE_LEN)?;
    Ok(Ed25519Key::from_password(password).sign(message))
}

/// The key pair MariaDB derives from a password. It is RFC 8032's Ed25519
/// with the password, of any length, in place of the 32-byte seed: the
/// SHA-512 of the password gives the clamped secret scalar (first half) and
/// the nonce prefix (second half).
struct Ed25519Key {
    scalar: curve25519_dalek::Scalar,
    prefix: [u8; 32],
    public: [u8; 32],
}

impl Ed25519Key {
    fn from_password(password: &str) -> Self {
        use curve25519_dalek::{EdwardsPoint, Scalar};
        let digest = Sha512::digest(password.as_bytes());
        let mut low = [0u8; 32];
        low.copy_from_slice(&digest[..32]);
        let mut prefix = [0u8; 32];
        prefix.copy_from_slice(&digest[32..]);
        // Clamping: a multiple of the cofactor 8, with bit 254 set. Reducing
        // it mod ℓ leaves both a·B and the signature's S unchanged, as B has
        // order ℓ.
        low[0] &= 248;
        low[31] &= 63;
        low[31] |= 64;
        let scalar = Scalar::from_bytes_mod_order(low);
        let public = EdwardsPoint::mul_base(&scalar).compress().to_bytes();
        Self { scalar, prefix, public }
    }

    fn sign(&self, message: &[u8]) -> [u8; 64] {
        use curve25519_dalek::{EdwardsPoint, Scalar};
        let wide = |h: Sha512| {
            let mut bytes = [0u8; 64];
            bytes.copy_from_slice(&h.finalize());
            Scalar::from_bytes_mod_order_wide(&bytes)
        };
        // r = H(prefix ‖ M), R = r·B, k = H(R ‖ A ‖ M), S = r + k·a.
        let r = wide(Sha512::new().chain_update(self.prefix).chain_update(message));
        let big_r = EdwardsPoint::mul_base(&r).compress().to_bytes();
        let k = wide(Sha512::new().chain_update(big_r).chain_update(self.public).chain_update(message));
        let s = r + k * self.scalar;
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&big_r);
        out[32..].copy_from_slice(s.as_bytes());
        out
    }
}

/// What to do after an AuthMoreData packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send these bytes as the next packet (sequence number continues).
    Send(Vec<u8>),
    /// Nothing to send: the server's OK (or ERR) packet follows.
    AwaitResult,
}

/// Where a caching_sha2 exchange stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sha2State {
    /// The scramble was sent; the server answers 0x01 0x03 or 0x01 0x04.
    ScrambleSent,
    /// 0x02 was sent; the server answers 0x01 and its PEM key.
    KeyRequested,
    /// Fast auth succeeded or the full response was sent: only OK/ERR now.
    Finished,
}

/// One `caching_sha2_password` exchange.
///
/// The client first sends [`CachingSha2::initial_response`]. The server
/// answers AuthMoreData `0x01 0x03` when its cache knows the account (the
/// OK follows) or `0x01 0x04` when it needs the password: over TLS the
/// password goes in clear, NUL-terminated; otherwise encrypted with RSA-OAEP
/// (SHA-1, MGF1-SHA-1) to the server's public key, XORed first with the
/// nonce so that a replayed ciphertext is useless. Without a configured key
/// the client asks for it with `0x02` and gets `0x01` + PEM.
pub struct CachingSha2 {
    password: String,
    nonce: Vec<u8>,
    tls: bool,
    server_key: Option<rsa::RsaPublicKey>,
    state: Sha2State,
}

impl std::fmt::Debug for CachingSha2 {
    // The password stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachingSha2").field("tls", &self.tls).field("state", &self.state).finish_non_exhaustive()
    }
}

impl CachingSha2 {
    /// Starts an exchange for the server's 20-byte nonce (a trailing NUL is
    /// accepted); `tls` says whether the connection is encrypted.
    pub fn new(password: &str, nonce: &[u8], tls: bool) -> Result<Self, AuthError> {
        let nonce = scramble(CACHING_SHA2_PASSWORD, nonce, SCRAMBLE_LEN)?.to_vec();
        Ok(Self { password: password.to_string(), nonce, tls, server_key: None, state: Sha2State::ScrambleSent })
    }

    /// Uses a known server public key (PEM, as in MySQL's
    /// `server-public-key-path`) instead of asking the server for it.
    pub fn with_server_key(mut self, pem: &[u8]) -> Result<Self, AuthError> {
        self.server_key = Some(parse_public_key(pem)?);
        Ok(self)
    }

    /// The first response: the fast-path scramble (empty for an empty
    /// password, which the server accepts for an account without one).
    pub fn initial_response(&self) -> Vec<u8> {
        // The nonce's length was checked in `new`.
        caching_sha2_scramble(&self.password, &self.nonce).unwrap_or_default()
    }

    /// The next step for an AuthMoreData packet, given whole (its first
    /// byte is the `0x01` status). OK and ERR packets are the wire code's.
    pub fn more_data(&mut self, packet: &[u8]) -> Result<Step, AuthError> {
        let unexpected = |detail: String| AuthError::UnexpectedPacket { plugin: CACHING_SHA2_PASSWORD, detail };
        let Some((&0x01, data)) = packet.split_first() else {
            return Err(unexpected(format!("expected AuthMoreData (0x01), got {:02x?}", packet.first())));
        };
        match (self.state, data) {
            (Sha2State::ScrambleSent, [0x03]) => {
                self.state = Sha2State::Finished;
                Ok(Step::AwaitResult)
            }
            (Sha2State::ScrambleSent, [0x04]) => {
                if self.tls {
                    self.state = Sha2State::Finished;
                    let mut out = self.password.as_bytes().to_vec();
                    out.push(0);
                    Ok(Step::Send(out))
                } else if let Some(key) = &self.server_key {
                    let out = encrypt_password(key, &self.password, &self.nonce)?;
                    self.state = Sha2State::Finished;
                    Ok(Step::Send(out))
                } else {
                    self.state = Sha2State::KeyRequested;
                    Ok(Step::Send(vec![0x02]))
                }
            }
            (Sha2State::KeyRequested, pem) => {
                let key = parse_public_key(pem)?;
                let out = encrypt_password(&key, &self.password, &self.nonce)?;
                self.server_key = Some(key);
                self.state = Sha2State::Finished;
                Ok(Step::Send(out))
            }
            (state, data) => Err(unexpected(format!(
                "{} byte(s) of AuthMoreData{} in state {state:?}",
                data.len(),
                data.first().map(|b| format!(" starting {b:#04x}")).unwrap_or_default()
            ))),
        }
    }
}

/// Reads an RSA public key from PEM: `BEGIN PUBLIC KEY` (what MySQL sends,
/// SubjectPublicKeyInfo) or `BEGIN RSA PUBLIC KEY` (PKCS#1).
pub fn parse_public_key(pem: &[u8]) -> Result<rsa::RsaPublicKey, AuthError> {
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::pkcs8::DecodePublicKey;
    let text = std::str::from_utf8(pem).map_err(|_| AuthError::PublicKey("the PEM is not text".into()))?;
    let text = text.trim_end_matches('\0');
    let (label, body) = pem_body(text).ok_or_else(|| AuthError::PublicKey("no PEM armour".into()))?;
    let der = weir_debezium::binary::base64_decode(&body)
        .ok_or_else(|| AuthError::PublicKey("the PEM body is not base64".into()))?;
    match label {
        "PUBLIC KEY" => rsa::RsaPublicKey::from_public_key_der(&der).map_err(|e| AuthError::PublicKey(e.to_string())),
        "RSA PUBLIC KEY" => rsa::RsaPublicKey::from_pkcs1_der(&der).map_err(|e| AuthError::PublicKey(e.to_string())),
        other => Err(AuthError::PublicKey(format!("a PEM `{other}` is not a public key"))),
    }
}

/// The label and the base64 between `-----BEGIN label-----` and its END line.
fn pem_body(text: &str) -> Option<(&str, String)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + "-----BEGIN ".len()..];
    let label_end = rest.find("-----")?;
    let label = &rest[..label_end];
    let rest = &rest[label_end + 5..];
    let end = rest.find(&format!("-----END {label}-----"))?;
    let body: String = rest[..end].chars().filter(|c| !c.is_ascii_whitespace()).collect();
    Some((label, body))
}

/// RSA-OAEP (SHA-1, MGF1-SHA-1) of `(password ‖ NUL) XOR nonce`, the nonce
/// repeated over the length: what MySQL 8.0.5+ servers decrypt.
pub fn encrypt_password(key: &rsa::RsaPublicKey, password: &str, nonce: &[u8]) -> Result<Vec<u8>, AuthError> {
    if nonce.is_empty() {
        return Err(AuthError::Encryption("empty nonce".into()));
    }
    let mut plain = password.as_bytes().to_vec();
    plain.push(0);
    for (b, n) in plain.iter_mut().zip(nonce.iter().cycle()) {
        *b ^= n;
    }
    key.encrypt(&mut SystemRandom, rsa::Oaep::new::<Sha1>(), &plain).map_err(|e| AuthError::Encryption(e.to_string()))
}

/// OAEP's random seed from the system's random source: `RandomState`'s keys
/// come from it (WASI random in the sandbox), as in `weir_debezium::scram`.
struct SystemRandom;

impl rand_core::RngCore for SystemRandom {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }

    fn next_u64(&mut self) -> u64 {
        use std::hash::{BuildHasher, Hasher};
        // A fresh RandomState per draw: each one is newly seeded.
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0x6f61_6570);
        h.finish()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl rand_core::CryptoRng for SystemRandom {}

/// One connection's authentication, whatever plugin the server picks.
pub struct Authenticator {
    password: String,
    tls: bool,
    server_key_pem: Option<Vec<u8>>,
    plugin: Option<Plugin>,
    sha2: Option<CachingSha2>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("tls", &self.tls)
            .field("plugin", &self.plugin)
            .field("sha2", &self.sha2)
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// For the connector's password; `tls` says whether the session runs
    /// over TLS (after the SSL request), which decides what may go in clear.
    pub fn new(password: &str, tls: bool) -> Self {
        Self { password: password.to_string(), tls, server_key_pem: None, plugin: None, sha2: None }
    }

    /// A known caching_sha2 server public key (PEM), checked here, used
    /// instead of asking the server for it.
    pub fn with_server_key(mut self, pem: &[u8]) -> Result<Self, AuthError> {
        parse_public_key(pem)?;
        self.server_key_pem = Some(pem.to_vec());
        Ok(self)
    }

    /// The plugin in use, once one has started.
    pub fn plugin(&self) -> Option<Plugin> {
        self.plugin
    }

    /// For the initial handshake: the plugin name to put in
    /// HandshakeResponse41 and its auth data. A plugin the connector does
    /// not have (or clear text without TLS) falls back to
    /// `mysql_native_password` with the handshake's scramble, as MySQL's
    /// clients do: the server then switches to what the account needs, and
    /// [`Authenticator::switch`] reports it if unsupported.
    pub fn handshake_response(&mut self, plugin: &str, scramble: &[u8]) -> Result<(&'static str, Vec<u8>), AuthError> {
        match Plugin::from_name(plugin) {
            Ok(Plugin::ClearPassword) if !self.tls => {}
            Ok(p) => match self.start(p, scramble) {
                Ok(out) => return Ok((p.name(), out)),
                // A handshake's scramble is 20 bytes: ed25519 needs its own
                // (32) from an AuthSwitchRequest, so fall back.
                Err(AuthError::BadScramble { .. }) if p == Plugin::Ed25519 => {}
                Err(e) => return Err(e),
            },
            Err(_) => {}
        }
        let out = self.start(Plugin::NativePassword, scramble)?;
        Ok((NATIVE_PASSWORD, out))
    }

    /// For an AuthSwitchRequest: the response to the named plugin's data,
    /// or why the connector cannot use that plugin.
    pub fn switch(&mut self, plugin: &str, data: &[u8]) -> Result<Vec<u8>, AuthError> {
        let p = Plugin::from_name(plugin)?;
        self.start(p, data)
    }

    fn start(&mut self, plugin: Plugin, data: &[u8]) -> Result<Vec<u8>, AuthError> {
        self.sha2 = None;
        let out = match plugin {
            Plugin::NativePassword => native_password(&self.password, data)?,
            Plugin::CachingSha2 => {
                let mut exchange = CachingSha2::new(&self.password, data, self.tls)?;
                if let Some(pem) = &self.server_key_pem {
                    exchange = exchange.with_server_key(pem)?;
                }
                let out = exchange.initial_response();
                self.sha2 = Some(exchange);
                out
            }
            Plugin::Ed25519 => ed25519_signature(&self.password, data)?.to_vec(),
            Plugin::ClearPassword => {
                if !self.tls {
                    return Err(AuthError::ClearTextWithoutTls(CLEAR_PASSWORD.into()));
                }
                let mut out = self.password.as_bytes().to_vec();
                out.push(0);
                out
            }
        };
        self.plugin = Some(plugin);
        Ok(out)
    }

    /// For an AuthMoreData packet (whole, status byte `0x01` first): what
    /// to send next. Only caching_sha2 continues this way.
    pub fn more_data(&mut self, packet: &[u8]) -> Result<Step, AuthError> {
        match &mut self.sha2 {
            Some(exchange) => exchange.more_data(packet),
            None => Err(AuthError::UnexpectedPacket {
                plugin: self.plugin.map(Plugin::name).unwrap_or("none"),
                detail: format!("AuthMoreData of {} byte(s) where the plugin expects none", packet.len()),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
    }

    const NONCE: &[u8; 20] = b"abcdefghij0123456789";

    #[test]
    fn native_password_matches_the_servers_double_hash() {
        // MariaDB 10.11: SELECT PASSWORD('secret') = *14E65567ABDB5135D0CFD9A70B3032C179A49EE7,
        // i.e. the server stores SHA1(SHA1(password)).
        let stored = unhex("14e65567abdb5135d0cfd9a70b3032c179a49ee7");
        let response = native_password("secret", NONCE).expect("scramble");
        assert_eq!(response.len(), 20);
        // The server's check: SHA1(response XOR SHA1(nonce ‖ stored)) == stored.
        let mask = Sha1::new().chain_update(NONCE).chain_update(&stored).finalize();
        let stage1: Vec<u8> = response.iter().zip(mask.iter()).map(|(a, b)| a ^ b).collect();
        assert_eq!(Sha1::digest(&stage1).to_vec(), stored);
        // The definition computed independently (Python's hashlib).
        assert_eq!(hex(&response), "99db25ccb2a625f0e7cf4ce2e895ef9609dfe5e4");
        // Trailing NUL from the handshake is accepted; other lengths are not.
        let mut with_nul = NONCE.to_vec();
        with_nul.push(0);
        assert_eq!(native_password("secret", &with_nul).expect("nul"), response);
        assert!(matches!(native_password("secret", &NONCE[..19]), Err(AuthError::BadScramble { got: 19, .. })));
        assert!(native_password("", NONCE).expect("empty").is_empty());
    }

    #[test]
    fn caching_sha2_scramble_lets_the_server_recover_the_password_hash() {
        let response = caching_sha2_scramble("secret", NONCE).expect("scramble");
        assert_eq!(response.len(), 32);
        // The server keeps SHA256(SHA256(password)) and recovers SHA256(password).
        let stored = Sha256::digest(Sha256::digest(b"secret"));
        let mask = Sha256::new().chain_update(stored).chain_update(NONCE).finalize();
        let stage1: Vec<u8> = response.iter().zip(mask.iter()).map(|(a, b)| a ^ b).collect();
        assert_eq!(stage1, Sha256::digest(b"secret").to_vec());
        assert_eq!(Sha256::digest(&stage1), stored);
        // The definition computed independently (Python's hashlib).
        assert_eq!(hex(&response), "bd7d89fc1c297010da753d08822e9e48d3eafbb6e68e1f9b403be12dc5687a40");
        assert!(caching_sha2_scramble("", NONCE).expect("empty").is_empty());
    }

    /// `SELECT ed25519_password(pw)` on MariaDB 10.11 (auth_ed25519 plugin).
    const MARIADB_ED25519_KEYS: [(&str, &str); 3] = [
        ("secret", "ZIgUREUg5PVgQ6LskhXmO+eZLS0nC8be6HPjYWR4YJY"),
        ("", "4LH+dBF+G5W2CKTyId8xR3SyDqZoQjUNUVNxx8aWbG4"),
        ("pass word \u{e9}", "BVyYo8TEOqjbzQz6ClGkjsqwO6bZeG3f7rSTRKXG3Mc"),
    ];

    #[test]
    fn ed25519_keys_match_mariadb() {
        for (password, expected) in MARIADB_ED25519_KEYS {
            let key = ed25519_public_key(password);
            let b64 = weir_debezium::binary::base64(&key);
            assert_eq!(b64.trim_end_matches('='), expected, "password {password:?}");
        }
    }

    #[test]
    fn ed25519_signatures_verify_against_mariadbs_public_key() {
        use ed25519_dalek::{Signature, Verifier, VerifyingKey};
        for (password, b64) in MARIADB_ED25519_KEYS {
            let public = weir_debezium::binary::base64_decode(&format!("{b64}=")).expect("base64");
            let public: [u8; 32] = public.try_into().expect("32 bytes");
            let key = VerifyingKey::from_bytes(&public).expect("a curve point");
            for scramble in [[0u8; 32], [0xa5; 32], *b"0123456789abcdef0123456789ABCDEF"] {
                let sig = ed25519_signature(password, &scramble).expect("sign");
                key.verify_strict(&scramble, &Signature::from_bytes(&sig)).expect("verifies");
                let mut other = scramble;
                other[0] ^= 1;
                assert!(key.verify(&other, &Signature::from_bytes(&sig)).is_err(), "bound to the scramble");
            }
        }
        assert!(matches!(ed25519_signature("x", &[0; 20]), Err(AuthError::BadScramble { expected: 32, .. })));
    }

    const PRIVATE_PEM: &str = include_str!("../testdata/rsa2048-private.pem");
    const PUBLIC_PEM: &str = include_str!("../testdata/rsa2048-public.pem");
    const PUBLIC_PKCS1_PEM: &str = include_str!("../testdata/rsa2048-public-pkcs1.pem");

    /// What a MySQL server does with the full-authentication ciphertext.
    fn server_decrypt(ciphertext: &[u8], nonce: &[u8]) -> Vec<u8> {
        use rsa::pkcs8::DecodePrivateKey;
        let (_, body) = pem_body(PRIVATE_PEM).expect("pem");
        let der = weir_debezium::binary::base64_decode(&body).expect("base64");
        let key = rsa::RsaPrivateKey::from_pkcs8_der(&der).expect("private key");
        let mut plain = key.decrypt(rsa::Oaep::new::<Sha1>(), ciphertext).expect("decrypts");
        for (b, n) in plain.iter_mut().zip(nonce.iter().cycle()) {
            *b ^= n;
        }
        plain
    }

    #[test]
    fn rsa_oaep_password_decrypts_with_the_private_key() {
        let key = parse_public_key(PUBLIC_PEM.as_bytes()).expect("spki");
        assert_eq!(parse_public_key(PUBLIC_PKCS1_PEM.as_bytes()).expect("pkcs1"), key);
        // Longer than the 20-byte nonce, so the XOR cycles.
        let password = "a password longer than twenty bytes";
        let c1 = encrypt_password(&key, password, NONCE).expect("encrypt");
        assert_eq!(c1.len(), 256);
        assert_eq!(server_decrypt(&c1, NONCE), format!("{password}\0").into_bytes());
        let c2 = encrypt_password(&key, password, NONCE).expect("encrypt");
        assert_ne!(c1, c2, "OAEP draws a fresh seed each time");
        // OAEP-SHA1 on 2048 bits holds at most 256 - 42 = 214 bytes.
        assert!(matches!(encrypt_password(&key, &"x".repeat(214), NONCE), Err(AuthError::Encryption(_))));
        assert!(encrypt_password(&key, &"x".repeat(213), NONCE).is_ok());
        assert!(matches!(parse_public_key(b"garbage"), Err(AuthError::PublicKey(_))));
        assert!(matches!(
            parse_public_key(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"),
            Err(AuthError::PublicKey(_))
        ));
        assert!(parse_public_key(PRIVATE_PEM.as_bytes()).is_err(), "a private key is refused");
    }

    #[test]
    fn caching_sha2_fast_path() {
        let mut x = CachingSha2::new("secret", NONCE, false).expect("nonce");
        assert_eq!(x.initial_response(), caching_sha2_scramble("secret", NONCE).expect("scramble"));
        assert_eq!(x.more_data(&[0x01, 0x03]), Ok(Step::AwaitResult));
        assert!(matches!(x.more_data(&[0x01, 0x04]), Err(AuthError::UnexpectedPacket { .. })));
    }

    #[test]
    fn caching_sha2_full_auth_over_tls_sends_the_password() {
        let mut x = CachingSha2::new("secret", NONCE, true).expect("nonce");
        assert_eq!(x.more_data(&[0x01, 0x04]), Ok(Step::Send(b"secret\0".to_vec())));
    }

    #[test]
    fn caching_sha2_full_auth_without_tls_asks_for_the_key_then_encrypts() {
        let mut x = CachingSha2::new("secret", NONCE, false).expect("nonce");
        assert_eq!(x.more_data(&[0x01, 0x04]), Ok(Step::Send(vec![0x02])));
        let mut key_packet = vec![0x01];
        key_packet.extend_from_slice(PUBLIC_PEM.as_bytes());
        let Ok(Step::Send(ciphertext)) = x.more_data(&key_packet) else { panic!("a ciphertext") };
        assert_eq!(server_decrypt(&ciphertext, NONCE), b"secret\0");
        assert!(x.more_data(&[0x01, 0x03]).is_err(), "finished");

        // With a configured key, no round trip for it.
        let mut x = CachingSha2::new("secret", NONCE, false)
            .expect("nonce")
            .with_server_key(PUBLIC_PEM.as_bytes())
            .expect("key");
        let Ok(Step::Send(ciphertext)) = x.more_data(&[0x01, 0x04]) else { panic!("a ciphertext") };
        assert_eq!(server_decrypt(&ciphertext, NONCE), b"secret\0");
    }

    #[test]
    fn caching_sha2_rejects_odd_packets() {
        let mut x = CachingSha2::new("secret", NONCE, false).expect("nonce");
        assert!(x.more_data(&[]).is_err());
        assert!(x.more_data(&[0x00]).is_err());
        assert!(x.more_data(&[0x01]).is_err());
        assert!(x.more_data(&[0x01, 0x05]).is_err());
        assert_eq!(x.more_data(&[0x01, 0x04]), Ok(Step::Send(vec![0x02])));
        assert!(matches!(x.more_data(&[0x01, b'x']), Err(AuthError::PublicKey(_))));
        assert!(CachingSha2::new("secret", &[1, 2, 3], false).is_err());
    }

    #[test]
    fn authenticator_follows_switches() {
        let mut a = Authenticator::new("secret", false);
        // A handshake offering caching_sha2 answers in kind.
        let (name, data) = a.handshake_response(CACHING_SHA2_PASSWORD, NONCE).expect("handshake");
        assert_eq!(name, CACHING_SHA2_PASSWORD);
        assert_eq!(data.len(), 32);
        assert_eq!(a.more_data(&[0x01, 0x04]), Ok(Step::Send(vec![0x02])));
        // An unknown default plugin falls back to native, as do ed25519 (its
        // scramble comes with the switch) and clear text without TLS.
        for plugin in ["dialog", CLIENT_ED25519, CLEAR_PASSWORD] {
            let (name, data) = a.handshake_response(plugin, NONCE).expect("fallback");
            assert_eq!((name, data.len()), (NATIVE_PASSWORD, 20), "{plugin}");
        }
        assert!(a.more_data(&[0x01, 0x03]).is_err(), "native has no AuthMoreData");
        // Switches.
        let mut with_nul = NONCE.to_vec();
        with_nul.push(0);
        assert_eq!(a.switch(NATIVE_PASSWORD, &with_nul), native_password("secret", NONCE));
        assert_eq!(a.plugin(), Some(Plugin::NativePassword));
        let sig = a.switch(CLIENT_ED25519, &[7; 32]).expect("ed25519");
        assert_eq!(sig.len(), 64);
        assert_eq!(a.switch("ed25519", &[7; 32]).expect("server-side name"), sig);
        assert!(matches!(a.switch(CLEAR_PASSWORD, &[]), Err(AuthError::ClearTextWithoutTls(_))));
        let mut tls = Authenticator::new("secret", true);
        assert_eq!(tls.switch(CLEAR_PASSWORD, &[]), Ok(b"secret\0".to_vec()));
        assert_eq!(tls.switch(CACHING_SHA2_PASSWORD, NONCE).map(|d| d.len()), Ok(32));
        assert_eq!(tls.more_data(&[0x01, 0x04]), Ok(Step::Send(b"secret\0".to_vec())));
        // Unsupported plugins say so, and what to do instead.
        for plugin in ["dialog", "auth_gssapi_client", "sha256_password", "parsec", "weird"] {
            let err = a.switch(plugin, NONCE).expect_err("unsupported");
            assert_eq!(err, AuthError::UnsupportedPlugin(plugin.into()));
            let text = err.to_string();
            assert!(text.contains(plugin) && text.contains("caching_sha2_password"), "{text}");
        }
        assert!(a.switch("dialog", NONCE).expect_err("pam").to_string().contains("PAM"));
        assert!(format!("{a:?}").find("secret").is_none(), "Debug hides the password");
    }
}

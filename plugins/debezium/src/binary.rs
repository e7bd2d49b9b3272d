//! `binary.handling.mode`: how binary columns (PostgreSQL `bytea`, MySQL
//! `BLOB`/`BINARY`, unknown types captured as raw text) are represented.

use weir_sdk::{Schema, Value};

/// Debezium's `binary.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BinaryMode {
    /// Connect `bytes` (the default).
    #[default]
    Bytes,
    /// A string, standard base64 with padding.
    Base64,
    /// A string, URL-safe base64 with padding (Java's `Base64.getUrlEncoder()`).
    Base64UrlSafe,
    /// A string, lowercase hex.
    Hex,
}

impl BinaryMode {
    /// Parses a configuration value (`bytes`, `base64`, `base64-url-safe`,
    /// `hex`), case-insensitively and ignoring surrounding blanks as
    /// Debezium's enumerated settings do.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "bytes" => Some(Self::Bytes),
            "base64" => Some(Self::Base64),
            "base64-url-safe" => Some(Self::Base64UrlSafe),
            "hex" => Some(Self::Hex),
            _ => None,
        }
    }

    /// The required schema for a value in this mode (`bytes` or `string`).
    pub fn schema(self) -> Schema {
        match self {
            Self::Bytes => Schema::bytes(),
            Self::Base64 | Self::Base64UrlSafe | Self::Hex => Schema::string(),
        }
    }

    /// The value for `bytes` in this mode.
    pub fn value(self, bytes: Vec<u8>) -> Value {
        match self {
            Self::Bytes => Value::Bytes(bytes),
            Self::Base64 => Value::String(base64(&bytes)),
            Self::Base64UrlSafe => Value::String(base64_url_safe(&bytes)),
            Self::Hex => Value::String(hex(&bytes)),
        }
    }
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    weir_json::write_base64(&mut out, bytes);
    out
}

/// URL-safe base64 with padding, as `java.util.Base64.getUrlEncoder()` writes.
pub fn base64_url_safe(bytes: &[u8]) -> String {
    base64(bytes).replace('+', "-").replace('/', "_")
}

/// Lowercase hex, two digits a byte.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    push_hex(&mut out, bytes);
    out
}

/// A UUID as PostgreSQL and MySQL print one: lowercase hex, 8-4-4-4-12.
pub fn uuid(bytes: &[u8; 16]) -> String {
    let mut out = String::with_capacity(36);
    for (i, group) in [&bytes[..4], &bytes[4..6], &bytes[6..8], &bytes[8..10], &bytes[10..]].into_iter().enumerate() {
        if i > 0 {
            out.push('-');
        }
        push_hex(&mut out, group);
    }
    out
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
}

/// Standard base64 (padding optional).
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
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
    use weir_sdk::SchemaType;

    #[test]
    fn parses_config_values() {
        assert_eq!(BinaryMode::parse("bytes"), Some(BinaryMode::Bytes));
        assert_eq!(BinaryMode::parse(" BASE64 "), Some(BinaryMode::Base64));
        assert_eq!(BinaryMode::parse("base64-url-safe"), Some(BinaryMode::Base64UrlSafe));
        assert_eq!(BinaryMode::parse("hex"), Some(BinaryMode::Hex));
        assert_eq!(BinaryMode::parse("base64url"), None);
    }

    #[test]
    fn values_per_mode() {
        let data = vec![0xfb, 0xff, 0x01];
        assert_eq!(BinaryMode::Bytes.value(data.clone()), Value::Bytes(data.clone()));
        assert_eq!(BinaryMode::Base64.value(data.clone()), Value::String("+/8B".into()));
        assert_eq!(BinaryMode::Base64UrlSafe.value(data.clone()), Value::String("-_8B".into()));
        assert_eq!(BinaryMode::Hex.value(data), Value::String("fbff01".into()));
        assert_eq!(BinaryMode::Base64UrlSafe.value(vec![1]), Value::String("AQ==".into()));
        assert_eq!(BinaryMode::Bytes.schema().ty, SchemaType::Bytes);
        assert_eq!(BinaryMode::Hex.schema().ty, SchemaType::String);
    }
}

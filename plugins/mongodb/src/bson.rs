//! A small BSON codec (https://bsonspec.org/spec.html): documents keep their
//! field order, which both the wire protocol (the command name comes first)
//! and the rendered events (Debezium prints fields in stored order) need.

use crate::error::MongoError;

/// One BSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Bson {
    /// 0x01 double.
    Double(f64),
    /// 0x02 UTF-8 string.
    String(String),
    /// 0x03 embedded document.
    Document(Doc),
    /// 0x04 array.
    Array(Vec<Bson>),
    /// 0x05 binary: subtype and bytes.
    Binary(u8, Vec<u8>),
    /// 0x06 undefined (deprecated).
    Undefined,
    /// 0x07 ObjectId.
    ObjectId([u8; 12]),
    /// 0x08 boolean.
    Boolean(bool),
    /// 0x09 UTC datetime, ms since the epoch.
    DateTime(i64),
    /// 0x0A null.
    Null,
    /// 0x0B regular expression: pattern and options.
    Regex(String, String),
    /// 0x0C DBPointer (deprecated): namespace and id.
    DbPointer(String, [u8; 12]),
    /// 0x0D JavaScript code.
    JavaScript(String),
    /// 0x0E symbol (deprecated).
    Symbol(String),
    /// 0x0F JavaScript code with scope.
    JavaScriptWithScope(String, Doc),
    /// 0x10 32-bit integer.
    Int32(i32),
    /// 0x11 timestamp: seconds and increment.
    Timestamp {
        /// Seconds since the epoch.
        t: u32,
        /// Ordinal within the second.
        i: u32,
    },
    /// 0x12 64-bit integer.
    Int64(i64),
    /// 0x13 decimal128, as its 16 little-endian bytes.
    Decimal128([u8; 16]),
    /// 0xFF min key.
    MinKey,
    /// 0x7F max key.
    MaxKey,
}

/// A document: fields in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Doc(pub Vec<(String, Bson)>);

impl Doc {
    /// An empty document.
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// Appends a field (builder style).
    pub fn with(mut self, key: &str, value: impl Into<Bson>) -> Self {
        self.0.push((key.to_string(), value.into()));
        self
    }

    /// Appends a field.
    pub fn push(&mut self, key: &str, value: impl Into<Bson>) {
        self.0.push((key.to_string(), value.into()));
    }

    /// The first field named `key`.
    pub fn get(&self, key: &str) -> Option<&Bson> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// A string field.
    pub fn str(&self, key: &str) -> Option<&str> {
        match self.get(key) {
            Some(Bson::String(s)) => Some(s),
            _ => None,
        }
    }

    /// A document field.
    pub fn doc(&self, key: &str) -> Option<&Doc> {
        match self.get(key) {
            Some(Bson::Document(d)) => Some(d),
            _ => None,
        }
    }

    /// An array field.
    pub fn array(&self, key: &str) -> Option<&[Bson]> {
        match self.get(key) {
            Some(Bson::Array(a)) => Some(a),
            _ => None,
        }
    }

    /// A numeric field as i64 (int32, int64 or an integral double).
    pub fn int(&self, key: &str) -> Option<i64> {
        match self.get(key)? {
            Bson::Int32(v) => Some(i64::from(*v)),
            Bson::Int64(v) => Some(*v),
            Bson::Double(v) if v.fract() == 0.0 => Some(*v as i64),
            _ => None,
        }
    }

    /// A truthy field: `true` or a non-zero number.
    pub fn truthy(&self, key: &str) -> bool {
        match self.get(key) {
            Some(Bson::Boolean(b)) => *b,
            Some(Bson::Int32(v)) => *v != 0,
            Some(Bson::Int64(v)) => *v != 0,
            Some(Bson::Double(v)) => *v != 0.0,
            _ => false,
        }
    }

    /// Removes and returns a field.
    pub fn remove(&mut self, key: &str) -> Option<Bson> {
        let at = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(at).1)
    }

    /// The encoded document.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        encode_doc(&mut out, self);
        out
    }

    /// Decodes one document that fills `bytes` exactly.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, MongoError> {
        let mut r = Reader { buf: bytes, pos: 0 };
        let doc = r.doc(0)?;
        if r.pos != bytes.len() {
            return Err(MongoError::Protocol("trailing bytes after a BSON document".into()));
        }
        Ok(doc)
    }
}

impl From<&str> for Bson {
    fn from(v: &str) -> Self {
        Bson::String(v.to_string())
    }
}
impl From<String> for Bson {
    fn from(v: String) -> Self {
        Bson::String(v)
    }
}
impl From<i32> for Bson {
    fn from(v: i32) -> Self {
        Bson::Int32(v)
    }
}
impl From<i64> for Bson {
    fn from(v: i64) -> Self {
        Bson::Int64(v)
    }
}
impl From<bool> for Bson {
    fn from(v: bool) -> Self {
        Bson::Boolean(v)
    }
}
impl From<Doc> for Bson {
    fn from(v: Doc) -> Self {
        Bson::Document(v)
    }
}
impl From<Vec<Bson>> for Bson {
    fn from(v: Vec<Bson>) -> Self {
        Bson::Array(v)
    }
}

fn cstring(out: &mut Vec<u8>, s: &str) {
    // A key with a NUL would end early; BSON cannot carry it.
    out.extend(s.bytes().take_while(|b| *b != 0));
    out.push(0);
}

fn string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as i32 + 1).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
    out.push(0);
}

fn encode_doc(out: &mut Vec<u8>, doc: &Doc) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    for (k, v) in &doc.0 {
        encode_element(out, k, v);
    }
    out.push(0);
    let len = (out.len() - start) as i32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

fn encode_element(out: &mut Vec<u8>, key: &str, value: &Bson) {
    let tag_at = out.len();
    out.push(0);
    cstring(out, key);
    let tag = match value {
        Bson::Double(v) => {
            out.extend_from_slice(&v.to_le_bytes());
            0x01
        }
        Bson::String(s) => {
            string(out, s);
            0x02
        }
        Bson::Document(d) => {
            encode_doc(out, d);
            0x03
        }
        Bson::Array(items) => {
            let doc = Doc(items.iter().enumerate().map(|(i, v)| (i.to_string(), v.clone())).collect());
            encode_doc(out, &doc);
            0x04
        }
        Bson::Binary(subtype, bytes) => {
            out.extend_from_slice(&(bytes.len() as i32).to_le_bytes());
            out.push(*subtype);
            out.extend_from_slice(bytes);
            0x05
        }
        Bson::Undefined => 0x06,
        Bson::ObjectId(id) => {
            out.extend_from_slice(id);
            0x07
        }
        Bson::Boolean(b) => {
            out.push(u8::from(*b));
            0x08
        }
        Bson::DateTime(ms) => {
            out.extend_from_slice(&ms.to_le_bytes());
            0x09
        }
        Bson::Null => 0x0A,
        Bson::Regex(p, o) => {
            cstring(out, p);
            cstring(out, o);
            0x0B
        }
        Bson::DbPointer(ns, id) => {
            string(out, ns);
            out.extend_from_slice(id);
            0x0C
        }
        Bson::JavaScript(code) => {
            string(out, code);
            0x0D
        }
        Bson::Symbol(s) => {
            string(out, s);
            0x0E
        }
        Bson::JavaScriptWithScope(code, scope) => {
            let start = out.len();
            out.extend_from_slice(&[0; 4]);
            string(out, code);
            encode_doc(out, scope);
            let len = (out.len() - start) as i32;
            out[start..start + 4].copy_from_slice(&len.to_le_bytes());
            0x0F
        }
        Bson::Int32(v) => {
            out.extend_from_slice(&v.to_le_bytes());
            0x10
        }
        Bson::Timestamp { t, i } => {
            out.extend_from_slice(&i.to_le_bytes());
            out.extend_from_slice(&t.to_le_bytes());
            0x11
        }
        Bson::Int64(v) => {
            out.extend_from_slice(&v.to_le_bytes());
            0x12
        }
        Bson::Decimal128(bytes) => {
            out.extend_from_slice(bytes);
            0x13
        }
        Bson::MinKey => 0xFF,
        Bson::MaxKey => 0x7F,
    };
    out[tag_at] = tag;
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

/// Nesting deeper than MongoDB's own limit (100) is refused rather than
/// risking the guest's stack.
const MAX_DEPTH: usize = 200;

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], MongoError> {
        let end = self.pos.checked_add(n).filter(|e| *e <= self.buf.len()).ok_or_else(truncated)?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], MongoError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    fn i32(&mut self) -> Result<i32, MongoError> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    fn cstring(&mut self) -> Result<String, MongoError> {
        let rest = &self.buf[self.pos..];
        let len = rest.iter().position(|b| *b == 0).ok_or_else(truncated)?;
        let s = String::from_utf8_lossy(&rest[..len]).into_owned();
        self.pos += len + 1;
        Ok(s)
    }

    fn string(&mut self) -> Result<String, MongoError> {
        let len = usize::try_from(self.i32()?).map_err(|_| bad("negative string length"))?;
        if len == 0 {
            return Err(bad("string length 0"));
        }
        let bytes = self.take(len)?;
        Ok(String::from_utf8_lossy(&bytes[..len - 1]).into_owned())
    }

    fn doc(&mut self, depth: usize) -> Result<Doc, MongoError> {
        if depth > MAX_DEPTH {
            return Err(bad("documents nested too deeply"));
        }
        let start = self.pos;
        let len = usize::try_from(self.i32()?).map_err(|_| bad("negative document length"))?;
        let end = start.checked_add(len).filter(|e| *e <= self.buf.len() && len >= 5).ok_or_else(truncated)?;
        let mut fields = Vec::new();
        loop {
            let tag = self.array::<1>()?[0];
            if tag == 0 {
                break;
            }
            let key = self.cstring()?;
            let value = self.value(tag, depth)?;
            fields.push((key, value));
        }
        if self.pos != end {
            return Err(bad("document length does not match its contents"));
        }
        Ok(Doc(fields))
    }

    fn value(&mut self, tag: u8, depth: usize) -> Result<Bson, MongoError> {
        Ok(match tag {
            0x01 => Bson::Double(f64::from_le_bytes(self.array()?)),
            0x02 => Bson::String(self.string()?),
            0x03 => Bson::Document(self.doc(depth + 1)?),
            0x04 => Bson::Array(self.doc(depth + 1)?.0.into_iter().map(|(_, v)| v).collect()),
            0x05 => {
                let len = usize::try_from(self.i32()?).map_err(|_| bad("negative binary length"))?;
                let subtype = self.array::<1>()?[0];
                let mut bytes = self.take(len)?.to_vec();
                if subtype == 0x02 && bytes.len() >= 4 {
                    // The old binary subtype repeats the length inside.
                    bytes.drain(..4);
                }
                Bson::Binary(subtype, bytes)
            }
            0x06 => Bson::Undefined,
            0x07 => Bson::ObjectId(self.array()?),
            0x08 => Bson::Boolean(self.array::<1>()?[0] != 0),
            0x09 => Bson::DateTime(i64::from_le_bytes(self.array()?)),
            0x0A => Bson::Null,
            0x0B => Bson::Regex(self.cstring()?, self.cstring()?),
            0x0C => Bson::DbPointer(self.string()?, self.array()?),
            0x0D => Bson::JavaScript(self.string()?),
            0x0E => Bson::Symbol(self.string()?),
            0x0F => {
                self.i32()?;
                Bson::JavaScriptWithScope(self.string()?, self.doc(depth + 1)?)
            }
            0x10 => Bson::Int32(self.i32()?),
            0x11 => {
                let i = u32::from_le_bytes(self.array()?);
                let t = u32::from_le_bytes(self.array()?);
                Bson::Timestamp { t, i }
            }
            0x12 => Bson::Int64(i64::from_le_bytes(self.array()?)),
            0x13 => Bson::Decimal128(self.array()?),
            0xFF => Bson::MinKey,
            0x7F => Bson::MaxKey,
            other => return Err(bad(&format!("unknown BSON type 0x{other:02x}"))),
        })
    }
}

fn truncated() -> MongoError {
    MongoError::Protocol("truncated BSON".into())
}

fn bad(what: &str) -> MongoError {
    MongoError::Protocol(format!("invalid BSON: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips() {
        let doc = Doc::new()
            .with("d", Bson::Double(1.5))
            .with("s", "x")
            .with("o", Doc::new().with("a", 1))
            .with("a", vec![Bson::Int32(1), Bson::Null])
            .with("b", Bson::Binary(4, vec![1, 2, 3]))
            .with("u", Bson::Undefined)
            .with("id", Bson::ObjectId([7; 12]))
            .with("t", true)
            .with("dt", Bson::DateTime(-5))
            .with("re", Bson::Regex("a.*".into(), "i".into()))
            .with("ptr", Bson::DbPointer("db.c".into(), [1; 12]))
            .with("js", Bson::JavaScript("f()".into()))
            .with("sym", Bson::Symbol("s".into()))
            .with("jss", Bson::JavaScriptWithScope("f()".into(), Doc::new().with("x", 1)))
            .with("ts", Bson::Timestamp { t: 10, i: 2 })
            .with("l", 5i64)
            .with("dec", Bson::Decimal128([9; 16]))
            .with("min", Bson::MinKey)
            .with("max", Bson::MaxKey);
        let bytes = doc.to_bytes();
        assert_eq!(Doc::from_bytes(&bytes).expect("decodes"), doc);
        assert!(Doc::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(Doc::from_bytes(&[5, 0, 0, 0, 0, 1]).is_err(), "trailing bytes");
    }
}

//! MySQL's binary JSON (the storage format of JSON columns, `json_binary.h`)
//! rendered as text the way Debezium renders MySQL JSON columns.
//!
//! Debezium calls mysql-binlog-connector-java's `JsonBinary.parseAsString`,
//! whose `JsonStringFormatter` fixes the output; matched here:
//! - no whitespace: `{"a":1,"b":[true,null]}`;
//! - strings and keys escape only `"`, `\`, and control characters below
//!   0x20 (`\b \t \f \n \r`, else `\u00XX` with upper-case hex); everything
//!   else, `/` and non-ASCII included, as is;
//! - doubles as Java's `Double.toString` (shortest digits, `.0` on whole
//!   numbers) unless that would use an exponent (|x| < 1e-3 or ≥ 1e7),
//!   then the double's exact value in plain notation
//!   (`new BigDecimal(x).toPlainString()`, e.g. `1e20` is
//!   `100000000000000000000`);
//! - unsigned 64-bit integers in plain decimal;
//! - opaque DECIMAL as plain text with its scale, unquoted;
//! - opaque DATE/TIME/DATETIME/TIMESTAMP as quoted strings decoded with the
//!   library's own arithmetic (`"2024-01-31"`, `"12:30:00.5"`,
//!   `"2024-01-31 12:30:00.000123"`; trailing fraction zeros dropped, no
//!   fraction when zero). A negative TIME comes out as that arithmetic
//!   garbles it (e.g. `-01:00:00` as `"01:00:00"`), as Debezium emits it;
//! - other opaque values as quoted standard base64;
//! - a document whose first byte is 0x10-0x7f is taken as JSON text already
//!   and returned as is (the library's MariaDB check).
//!
//! One deliberate difference: the library prints nothing at all for an
//! unsigned 32-bit integer inlined in a large (≥ 64 KiB) object or array,
//! which yields invalid JSON; the number is printed here.

use std::fmt::Write as _;

use crate::binlog::BinlogError;
use crate::rows;

/// MySQL caps JSON nesting at 100; a little slack for the top level.
const MAX_DEPTH: usize = 102;

const SMALL_OBJECT: u8 = 0x00;
const LARGE_OBJECT: u8 = 0x01;
const SMALL_ARRAY: u8 = 0x02;
const LARGE_ARRAY: u8 = 0x03;
const LITERAL: u8 = 0x04;
const INT16: u8 = 0x05;
const UINT16: u8 = 0x06;
const INT32: u8 = 0x07;
const UINT32: u8 = 0x08;
const INT64: u8 = 0x09;
const UINT64: u8 = 0x0a;
const DOUBLE: u8 = 0x0b;
const STRING: u8 = 0x0c;
const OPAQUE: u8 = 0x0f;

/// Renders a binary JSON document (a JSON column's bytes, non-empty) as
/// Debezium's text.
pub fn to_text(doc: &[u8]) -> Result<String, BinlogError> {
    let Some((&t, data)) = doc.split_first() else {
        return Err(err("empty document"));
    };
    if (0x10..0x80).contains(&t) {
        return Ok(String::from_utf8_lossy(doc).into_owned());
    }
    // Every value takes at least one byte of the document, so a document
    // cannot hold more values than bytes: a bound against offsets that
    // point back into an ancestor.
    let mut p = Printer { out: String::with_capacity(doc.len() * 2), budget: doc.len() };
    p.value(t, data, 0)?;
    Ok(p.out)
}

fn err(reason: impl Into<String>) -> BinlogError {
    BinlogError::Json(reason.into())
}

fn slice(data: &[u8], at: usize, n: usize) -> Result<&[u8], BinlogError> {
    at.checked_add(n).and_then(|end| data.get(at..end)).ok_or_else(|| err(format!("{n} byte(s) needed at {at}")))
}

fn le(data: &[u8], at: usize, n: usize) -> Result<u64, BinlogError> {
    Ok(slice(data, at, n)?.iter().rev().fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
}

/// The variable-length length before strings and opaque values: 7 bits a
/// byte, low bits first, at most 5 bytes. Returns (length, bytes used).
fn var_len(data: &[u8]) -> Result<(usize, usize), BinlogError> {
    let mut len: u64 = 0;
    for i in 0..5 {
        let b = *data.get(i).ok_or_else(|| err("truncated length"))?;
        len |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok((usize::try_from(len).map_err(|_| err("length too large"))?, i + 1));
        }
    }
    Err(err("length longer than 5 bytes"))
}

struct Printer {
    out: String,
    budget: usize,
}

impl Printer {
    fn value(&mut self, t: u8, data: &[u8], depth: usize) -> Result<(), BinlogError> {
        if depth > MAX_DEPTH {
            return Err(err("nested too deeply"));
        }
        self.budget = self.budget.checked_sub(1).ok_or_else(|| err("more values than bytes"))?;
        match t {
            SMALL_OBJECT | LARGE_OBJECT => self.container(data, t == LARGE_OBJECT, true, depth)?,
            SMALL_ARRAY | LARGE_ARRAY => self.container(data, t == LARGE_ARRAY, false, depth)?,
            LITERAL => self.literal(le(data, 0, 1)? as u8)?,
            INT16 => self.int(i64::from(le(data, 0, 2)? as u16 as i16)),
            UINT16 => self.int(le(data, 0, 2)? as i64),
            INT32 => self.int(i64::from(le(data, 0, 4)? as u32 as i32)),
            UINT32 => self.int(le(data, 0, 4)? as i64),
            INT64 => self.int(le(data, 0, 8)? as i64),
            UINT64 => {
                let _ = write!(self.out, "{}", le(data, 0, 8)?);
            }
            DOUBLE => java_double(f64::from_bits(le(data, 0, 8)?), &mut self.out),
            STRING => {
                let (len, used) = var_len(data)?;
                let s = slice(data, used, len)?;
                self.string(&String::from_utf8_lossy(s));
            }
            OPAQUE => self.opaque(data)?,
            other => return Err(err(format!("unknown value type {other:#04x}"))),
        }
        Ok(())
    }

    fn int(&mut self, v: i64) {
        let _ = write!(self.out, "{v}");
    }

    fn literal(&mut self, b: u8) -> Result<(), BinlogError> {
        self.out.push_str(match b {
            0 => "null",
            1 => "true",
            2 => "false",
            other => return Err(err(format!("unknown literal {other:#04x}"))),
        });
        Ok(())
    }

    /// An object or array: element count and byte size, key entries
    /// (objects), value entries with small scalars inlined, then the data.
    /// Offsets count from the count field.
    fn container(&mut self, data: &[u8], large: bool, object: bool, depth: usize) -> Result<(), BinlogError> {
        let w = if large { 4 } else { 2 };
        let count = le(data, 0, w)? as usize;
        let size = le(data, w, w)? as usize;
        let data = data.get(..size).ok_or_else(|| err(format!("container of {size} bytes is truncated")))?;
        let keys_at = 2 * w;
        let values_at = if object {
            count.checked_mul(w + 2).and_then(|n| n.checked_add(keys_at)).ok_or_else(|| err("too many keys"))?
        } else {
            keys_at
        };
        if count.checked_mul(w + 1).and_then(|n| n.checked_add(values_at)).is_none_or(|end| end > size) {
            return Err(err(format!("{count} entries do not fit in {size} bytes")));
        }
        self.out.push(if object { '{' } else { '[' });
        for i in 0..count {
            if i > 0 {
                self.out.push(',');
            }
            if object {
                let entry = keys_at + i * (w + 2);
                let key_at = le(data, entry, w)? as usize;
                let key_len = le(data, entry + w, 2)? as usize;
                let key = slice(data, key_at, key_len)?;
                self.string(&String::from_utf8_lossy(key));
                self.out.push(':');
            }
            let entry = values_at + i * (w + 1);
            let t = le(data, entry, 1)? as u8;
            match t {
                LITERAL => self.literal(le(data, entry + 1, 1)? as u8)?,
                INT16 => self.int(i64::from(le(data, entry + 1, 2)? as u16 as i16)),
                UINT16 => self.int(le(data, entry + 1, 2)? as i64),
                INT32 if large => self.int(i64::from(le(data, entry + 1, 4)? as u32 as i32)),
                UINT32 if large => self.int(le(data, entry + 1, 4)? as i64),
                _ => {
                    let at = le(data, entry + 1, w)? as usize;
                    if at >= size {
                        return Err(err(format!("value offset {at} beyond container of {size} bytes")));
                    }
                    self.value(t, data.get(at..).unwrap_or_default(), depth + 1)?;
                }
            }
        }
        self.out.push(if object { '}' } else { ']' });
        Ok(())
    }

    /// A quoted string, escaped as `JsonStringFormatter.appendString`.
    fn string(&mut self, s: &str) {
        self.out.push('"');
        for c in s.chars() {
            match c {
                '"' => self.out.push_str("\\\""),
                '\\' => self.out.push_str("\\\\"),
                '\u{8}' => self.out.push_str("\\b"),
                '\t' => self.out.push_str("\\t"),
                '\u{c}' => self.out.push_str("\\f"),
                '\n' => self.out.push_str("\\n"),
                '\r' => self.out.push_str("\\r"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(self.out, "\\u00{:02X}", c as u32);
                }
                c => self.out.push(c),
            }
        }
        self.out.push('"');
    }

    /// An opaque value: a MySQL column type, a variable length, the bytes.
    fn opaque(&mut self, data: &[u8]) -> Result<(), BinlogError> {
        let column_type = le(data, 0, 1)? as u8;
        let (len, used) = var_len(data.get(1..).unwrap_or_default())?;
        let payload = slice(data, 1 + used, len)?;
        use rows::types;
        match column_type {
            types::DECIMAL | types::NEWDECIMAL => {
                let precision = le(payload, 0, 1)? as u8;
                let scale = le(payload, 1, 1)? as u8;
                let text = rows::decimal_text(payload.get(2..).unwrap_or_default(), precision, scale).map_err(err)?;
                self.out.push_str(&text);
            }
            types::DATE => {
                let raw = le(payload, 0, 8)? as i64;
                let value = raw >> 24;
                let ym = ((value >> 22) as i32) % (1 << 17);
                let day = ((value >> 17) as i32) % (1 << 5);
                self.out.push('"');
                self.date(ym / 13, ym % 13, day);
                self.out.push('"');
            }
            types::TIME | types::TIME2 => {
                let raw = le(payload, 0, 8)? as i64;
                let value = raw >> 24;
                let mut hour = ((value >> 12) as i32) % (1 << 10);
                let min = ((value >> 6) as i32) % (1 << 6);
                let sec = (value as i32) % (1 << 6);
                if value < 0 {
                    hour = hour.wrapping_neg();
                }
                let micros = (raw % (1 << 24)) as i32;
                self.out.push('"');
                if hour < 0 {
                    self.out.push('-');
                    hour = hour.wrapping_abs();
                }
                self.time(hour, min, sec, micros);
                self.out.push('"');
            }
            types::DATETIME | types::DATETIME2 | types::TIMESTAMP | types::TIMESTAMP2 => {
                let raw = le(payload, 0, 8)? as i64;
                let value = raw >> 24;
                let ym = ((value >> 22) as i32) % (1 << 17);
                let day = ((value >> 17) as i32) % (1 << 5);
                let hour = ((value >> 12) as i32) % (1 << 5);
                let min = ((value >> 6) as i32) % (1 << 6);
                let sec = (value % (1 << 6)) as i32;
                let micros = (raw % (1 << 24)) as i32;
                self.out.push('"');
                self.date(ym / 13, ym % 13, day);
                self.out.push(' ');
                self.time(hour, min, sec, micros);
                self.out.push('"');
            }
            0..=20 | 245..=255 => {
                self.out.push('"');
                base64(payload, &mut self.out);
                self.out.push('"');
            }
            other => return Err(err(format!("unknown opaque type {other}"))),
        }
        Ok(())
    }

    fn two(&mut self, v: i32) {
        if v < 10 {
            self.out.push('0');
        }
        let _ = write!(self.out, "{v}");
    }

    fn date(&mut self, mut year: i32, month: i32, day: i32) {
        if year < 0 {
            self.out.push('-');
            year = year.wrapping_abs();
        }
        let pad = match year {
            i32::MIN..=9 => "000",
            10..=99 => "00",
            100..=999 => "0",
            _ => "",
        };
        let _ = write!(self.out, "{pad}{year}-");
        self.two(month);
        self.out.push('-');
        self.two(day);
    }

    fn time(&mut self, hour: i32, min: i32, sec: i32, micros: i32) {
        self.two(hour);
        self.out.push(':');
        self.two(min);
        self.out.push(':');
        self.two(sec);
        if micros != 0 {
            self.out.push('.');
            let pad = match micros {
                i32::MIN..=9 => "00000",
                10..=99 => "0000",
                100..=999 => "000",
                1000..=9999 => "00",
                10000..=99999 => "0",
                _ => "",
            };
            // The library divides by ten at most six times while the last
            // digit is 0.
            let mut v = micros;
            for _ in 0..6 {
                if v % 10 == 0 {
                    v /= 10;
                }
            }
            let _ = write!(self.out, "{pad}{v}");
        }
    }
}

/// Java's `Double.toString`, or the exact plain value where that would use
/// an exponent (see the module doc).
fn java_double(v: f64, out: &mut String) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "Infinity" } else { "-Infinity" });
    } else if v == 0.0 {
        out.push_str(if v.is_sign_negative() { "-0.0" } else { "0.0" });
    } else if (1e-3..1e7).contains(&v.abs()) {
        // Rust's Display is the shortest round-trip digits without an
        // exponent, as Java's (JDK 19+) in this range.
        let start = out.len();
        let _ = write!(out, "{v}");
        if !out.get(start..).is_some_and(|s| s.contains('.')) {
            out.push_str(".0");
        }
    } else {
        exact_decimal(v, out);
    }
}

/// The exact decimal value of a finite non-zero double, no exponent, no
/// trailing fraction zeros (`BigDecimal(double).toPlainString()`).
fn exact_decimal(v: f64, out: &mut String) {
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1u64 << 52) - 1);
    let (mut m, mut e) = if biased == 0 { (fraction, -1074) } else { (fraction | (1u64 << 52), biased - 1075) };
    while m != 0 && m & 1 == 0 {
        m >>= 1;
        e += 1;
    }
    if v.is_sign_negative() {
        out.push('-');
    }
    // Base 10^9 limbs, least significant first.
    let mut limbs: Vec<u32> = vec![(m % 1_000_000_000) as u32, (m / 1_000_000_000 % 1_000_000_000) as u32];
    limbs.push((m / 1_000_000_000_000_000_000) as u32);
    let (factor, step, mut n) = if e >= 0 { (2u64, 31u32, e as u32) } else { (5u64, 13u32, (-e) as u32) };
    while n > 0 {
        let k = n.min(step);
        mul_small(&mut limbs, factor.pow(k));
        n -= k;
    }
    while limbs.len() > 1 && limbs.last() == Some(&0) {
        limbs.pop();
    }
    let mut digits = String::with_capacity(limbs.len() * 9);
    for (i, l) in limbs.iter().rev().enumerate() {
        let _ = if i == 0 { write!(digits, "{l}") } else { write!(digits, "{l:09}") };
    }
    if e >= 0 {
        out.push_str(&digits);
    } else {
        let scale = (-e) as usize;
        if digits.len() <= scale {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', scale - digits.len()));
            out.push_str(&digits);
        } else {
            let (int, frac) = digits.split_at(digits.len() - scale);
            out.push_str(int);
            out.push('.');
            out.push_str(frac);
        }
    }
}

fn mul_small(limbs: &mut Vec<u32>, f: u64) {
    let mut carry = 0u64;
    for l in limbs.iter_mut() {
        let x = u64::from(*l) * f + carry;
        *l = (x % 1_000_000_000) as u32;
        carry = x / 1_000_000_000;
    }
    while carry > 0 {
        limbs.push((carry % 1_000_000_000) as u32);
        carry /= 1_000_000_000;
    }
}

fn base64(data: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A JSON value to encode in MySQL's binary format.
    enum J {
        Obj(Vec<(&'static str, J)>),
        Arr(Vec<J>),
        Lit(u8),
        I16(i16),
        U16(u16),
        I32(i32),
        U32(u32),
        I64(i64),
        U64(u64),
        Dbl(f64),
        Str(&'static str),
        Opaque(u8, Vec<u8>),
    }

    fn var_len_bytes(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    /// (type byte, value bytes); containers small unless `large`.
    fn enc(j: &J, large: bool) -> (u8, Vec<u8>) {
        match j {
            J::Obj(items) => container(items.iter().map(|(k, v)| (Some(*k), v)).collect(), large, true),
            J::Arr(items) => container(items.iter().map(|v| (None, v)).collect(), large, false),
            J::Lit(b) => (LITERAL, vec![*b]),
            J::I16(v) => (INT16, v.to_le_bytes().to_vec()),
            J::U16(v) => (UINT16, v.to_le_bytes().to_vec()),
            J::I32(v) => (INT32, v.to_le_bytes().to_vec()),
            J::U32(v) => (UINT32, v.to_le_bytes().to_vec()),
            J::I64(v) => (INT64, v.to_le_bytes().to_vec()),
            J::U64(v) => (UINT64, v.to_le_bytes().to_vec()),
            J::Dbl(v) => (DOUBLE, v.to_le_bytes().to_vec()),
            J::Str(s) => {
                let mut b = Vec::new();
                var_len_bytes(s.len(), &mut b);
                b.extend_from_slice(s.as_bytes());
                (STRING, b)
            }
            J::Opaque(t, data) => {
                let mut b = vec![*t];
                var_len_bytes(data.len(), &mut b);
                b.extend_from_slice(data);
                (OPAQUE, b)
            }
        }
    }

    fn container(items: Vec<(Option<&str>, &J)>, large: bool, object: bool) -> (u8, Vec<u8>) {
        let w = if large { 4 } else { 2 };
        let put = |out: &mut Vec<u8>, v: usize| out.extend_from_slice(&(v as u32).to_le_bytes()[..w]);
        let n = items.len();
        let mut off = 2 * w + if object { n * (w + 2) } else { 0 } + n * (1 + w);
        let mut key_entries = Vec::new();
        let mut tail = Vec::new();
        for (k, _) in &items {
            if let Some(k) = k {
                put(&mut key_entries, off);
                key_entries.extend_from_slice(&(k.len() as u16).to_le_bytes());
                tail.extend_from_slice(k.as_bytes());
                off += k.len();
            }
        }
        let mut value_entries = Vec::new();
        for (_, v) in &items {
            let (t, bytes) = enc(v, large);
            value_entries.push(t);
            let inline = matches!(t, LITERAL | INT16 | UINT16) || (large && matches!(t, INT32 | UINT32));
            if inline {
                let mut b = bytes.clone();
                b.resize(w, 0);
                value_entries.extend_from_slice(&b);
            } else {
                put(&mut value_entries, off);
                tail.extend_from_slice(&bytes);
                off += bytes.len();
            }
        }
        let mut out = Vec::new();
        put(&mut out, n);
        put(&mut out, off);
        out.extend(key_entries);
        out.extend(value_entries);
        out.extend(tail);
        (if object { LARGE_OBJECT - u8::from(!large) } else { LARGE_ARRAY - u8::from(!large) }, out)
    }

    fn doc(j: &J, large: bool) -> Vec<u8> {
        let (t, mut b) = enc(j, large);
        b.insert(0, t);
        b
    }

    fn text(j: &J, large: bool) -> String {
        to_text(&doc(j, large)).unwrap()
    }

    fn sample() -> J {
        J::Obj(vec![
            ("k", J::Arr(vec![J::I16(1), J::Dbl(2.5), J::Str("x"), J::Lit(1), J::Lit(0), J::Lit(2)])),
            ("o", J::Obj(vec![("n", J::I16(-5)), ("e", J::Obj(vec![])), ("a", J::Arr(vec![]))])),
            ("big", J::I32(-70000)),
            ("u", J::U32(4_000_000_000)),
            ("u16", J::U16(65535)),
            ("i64", J::I64(i64::MIN)),
            ("u64", J::U64(u64::MAX)),
        ])
    }

    #[test]
    fn hand_built_small_object() {
        let d = [0x00, 0x01, 0x00, 0x0c, 0x00, 0x0b, 0x00, 0x01, 0x00, 0x05, 0x01, 0x00, 0x61];
        assert_eq!(to_text(&d).unwrap(), r#"{"a":1}"#);
    }

    #[test]
    fn nested_small_and_large() {
        let want = r#"{"k":[1,2.5,"x",true,null,false],"o":{"n":-5,"e":{},"a":[]},"big":-70000,"u":4000000000,"u16":65535,"i64":-9223372036854775808,"u64":18446744073709551615}"#;
        assert_eq!(text(&sample(), false), want);
        assert_eq!(text(&sample(), true), want);
    }

    #[test]
    fn doubles_as_java_prints_them() {
        let cases: [(f64, &str); 10] = [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (0.001, "0.001"),
            (1234567.0, "1234567.0"),
            (0.0, "0.0"),
            (1e20, "100000000000000000000"),
            (12345678.9, "12345678.90000000037252902984619140625"),
            (1.5e-5, "0.000015000000000000000380012861456169304119612206704914569854736328125"),
            (-2.5e-7, "-0.00000024999999999999998868702795647156467140348468092270195484161376953125"),
        ];
        for (v, want) in cases {
            assert_eq!(text(&J::Dbl(v), false), want, "{v:e}");
        }
        assert!(text(&J::Dbl(1e300), false).starts_with("1000000000000000052504760255204420248704468581108159"));
    }

    #[test]
    fn strings_are_escaped_like_the_formatter() {
        let j = J::Obj(vec![("q\"k", J::Str("a\"b\\c\n\r\t\u{8}\u{c}\u{1}\u{1f}/é😀\u{7f}"))]);
        assert_eq!(text(&j, false), "{\"q\\\"k\":\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001F/é😀\u{7f}\"}");
        let long = "z".repeat(200);
        let leaked: &'static str = Box::leak(long.clone().into_boxed_str());
        assert_eq!(text(&J::Str(leaked), false), format!("\"{long}\""));
    }

    #[test]
    fn opaque_values() {
        let packed = |ym: i64, day: i64, h: i64, m: i64, s: i64, us: i64| {
            ((((((ym << 5) | day) << 17) | (h << 12) | (m << 6) | s) << 24) + us).to_le_bytes().to_vec()
        };
        let ym = 2024 * 13 + 2;
        let cases = [
            (rows::types::DATE, packed(ym, 29, 0, 0, 0, 0), "\"2024-02-29\""),
            (rows::types::DATETIME, packed(ym, 29, 23, 59, 59, 123), "\"2024-02-29 23:59:59.000123\""),
            (rows::types::TIMESTAMP2, packed(ym, 1, 0, 0, 0, 500_000), "\"2024-02-01 00:00:00.5\""),
            (rows::types::TIME2, packed(0, 0, 12, 30, 0, 500_000), "\"12:30:00.5\""),
            (rows::types::TIME, packed(0, 0, 838, 59, 59, 0), "\"838:59:59\""),
            // -01:00:00 loses its sign in the library's arithmetic.
            (rows::types::TIME, (-(1i64 << 12 << 24)).to_le_bytes().to_vec(), "\"01:00:00\""),
            (rows::types::NEWDECIMAL, vec![5, 2, 0x7f, 0xff, 0xcd], "-0.50"),
            (rows::types::BLOB, b"hi!".to_vec(), "\"aGkh\""),
            (rows::types::VAR_STRING, b"hi".to_vec(), "\"aGk=\""),
        ];
        for (t, data, want) in cases {
            assert_eq!(text(&J::Opaque(t, data), false), want, "type {t}");
        }
        assert!(to_text(&doc(&J::Opaque(100, vec![1]), false)).is_err());
    }

    #[test]
    fn mariadb_text_passes_through() {
        assert_eq!(to_text(br#"{"a": 1}"#).unwrap(), r#"{"a": 1}"#);
    }

    #[test]
    fn malformed_documents_are_errors() {
        assert!(to_text(&[]).is_err());
        assert!(to_text(&[0x0d, 0]).is_err());
        assert!(to_text(&[LITERAL, 3]).is_err());
        // An array whose element points back at the array itself.
        let self_ref = [SMALL_ARRAY, 1, 0, 7, 0, SMALL_ARRAY, 0, 0];
        assert!(to_text(&self_ref).is_err());
        for large in [false, true] {
            let d = doc(&sample(), large);
            for cut in 0..d.len() {
                assert!(to_text(&d[..cut]).is_err(), "cut at {cut}");
            }
            // Flipping any byte must not panic.
            for i in 0..d.len() {
                let mut bad = d.clone();
                bad[i] ^= 0xa5;
                let _ = to_text(&bad);
            }
        }
    }
}

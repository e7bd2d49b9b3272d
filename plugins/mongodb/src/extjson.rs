//! BSON as the MongoDB Java driver's `JsonWriter` renders it, which is what
//! Debezium 3.1 puts in its events (`JsonSerialization`):
//!
//! * documents (`before`, `after`): extended JSON v1 *strict* mode, indent on
//!   with empty indent and newline strings, so `": "` after names and a bare
//!   `,` between members: `{"_id": {"$oid": "…"},"n": {"$numberLong": "5"}}`;
//! * keys: *relaxed* mode, same layout, the `_id` value alone;
//! * `updatedFields`: `BsonDocument.toJson()`, relaxed mode without indent:
//!   `{"a": 1, "b": [1, 2]}`.

use std::fmt::Write;

use crate::bson::{Bson, Doc};

/// Which extended JSON dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Extended JSON v1 strict (`JsonMode.STRICT`).
    Strict,
    /// Extended JSON v2 relaxed (`JsonMode.RELAXED`).
    Relaxed,
}

/// How members are separated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Indent on with empty strings: `,` between members.
    Compact,
    /// The driver's default: `, ` between members.
    Spaced,
}

/// `before`/`after`: a document in strict mode, compact.
pub fn document(doc: &Doc) -> String {
    let mut out = String::with_capacity(128);
    Writer { mode: Mode::Strict, layout: Layout::Compact, out: &mut out }.doc(doc);
    out
}

/// `updatedFields`: relaxed mode, spaced.
pub fn updated_fields(doc: &Doc) -> String {
    let mut out = String::with_capacity(64);
    Writer { mode: Mode::Relaxed, layout: Layout::Spaced, out: &mut out }.doc(doc);
    out
}

/// The key's `id`: the `_id` value in relaxed mode, compact.
pub fn id(value: &Bson) -> String {
    let mut out = String::with_capacity(40);
    Writer { mode: Mode::Relaxed, layout: Layout::Compact, out: &mut out }.value(value);
    out
}

/// Any value in the given dialect and layout.
pub fn render(value: &Bson, mode: Mode, layout: Layout) -> String {
    let mut out = String::new();
    Writer { mode, layout, out: &mut out }.value(value);
    out
}

struct Writer<'a> {
    mode: Mode,
    layout: Layout,
    out: &'a mut String,
}

impl Writer<'_> {
    fn sep(&mut self) {
        self.out.push_str(match self.layout {
            Layout::Compact => ",",
            Layout::Spaced => ", ",
        });
    }

    fn doc(&mut self, doc: &Doc) {
        self.out.push('{');
        for (i, (k, v)) in doc.0.iter().enumerate() {
            if i > 0 {
                self.sep();
            }
            string(self.out, k);
            self.out.push_str(": ");
            self.value(v);
        }
        self.out.push('}');
    }

    /// `{"<name>": <raw>}` with `raw` already rendered.
    fn wrapper(&mut self, name: &str, raw: &str) {
        self.out.push_str("{\"");
        self.out.push_str(name);
        self.out.push_str("\": ");
        self.out.push_str(raw);
        self.out.push('}');
    }

    fn quoted(s: &str) -> String {
        let mut out = String::with_capacity(s.len() + 2);
        string(&mut out, s);
        out
    }

    fn value(&mut self, value: &Bson) {
        let strict = self.mode == Mode::Strict;
        match value {
            Bson::Double(v) => {
                if v.is_finite() {
                    self.out.push_str(&weir_json::double_to_string(*v));
                } else {
                    let text = if v.is_nan() {
                        "NaN"
                    } else if *v > 0.0 {
                        "Infinity"
                    } else {
                        "-Infinity"
                    };
                    if strict {
                        // The driver writes Double.toString as a bare number.
                        self.out.push_str(text);
                    } else {
                        self.wrapper("$numberDouble", &Self::quoted(text));
                    }
                }
            }
            Bson::String(s) => string(self.out, s),
            Bson::Document(d) => self.doc(d),
            Bson::Array(items) => {
                self.out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        self.sep();
                    }
                    self.value(v);
                }
                self.out.push(']');
            }
            Bson::Binary(subtype, bytes) => {
                let mut b64 = String::new();
                weir_json::write_base64(&mut b64, bytes);
                let b64 = Self::quoted(&b64);
                let ty = format!("\"{subtype:02X}\"");
                if strict {
                    let _ = write!(self.out, "{{\"$binary\": {b64}");
                    self.sep();
                    let _ = write!(self.out, "\"$type\": {ty}}}");
                } else {
                    let _ = write!(self.out, "{{\"$binary\": {{\"base64\": {b64}");
                    self.sep();
                    let _ = write!(self.out, "\"subType\": {ty}}}}}");
                }
            }
            Bson::Undefined => self.wrapper("$undefined", "true"),
            Bson::ObjectId(id) => self.wrapper("$oid", &format!("\"{}\"", hex(id))),
            Bson::Boolean(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Bson::DateTime(ms) => {
                if strict {
                    self.wrapper("$date", &ms.to_string());
                } else if (0..=253_402_300_799_999).contains(ms) {
                    self.wrapper("$date", &format!("\"{}\"", iso_instant(*ms)));
                } else {
                    self.wrapper("$date", &format!("{{\"$numberLong\": \"{ms}\"}}"));
                }
            }
            Bson::Null => self.out.push_str("null"),
            Bson::Regex(pattern, options) => {
                let (p, o) = (Self::quoted(pattern), Self::quoted(options));
                if strict {
                    let _ = write!(self.out, "{{\"$regex\": {p}");
                    self.sep();
                    let _ = write!(self.out, "\"$options\": {o}}}");
                } else {
                    let _ = write!(self.out, "{{\"$regularExpression\": {{\"pattern\": {p}");
                    self.sep();
                    let _ = write!(self.out, "\"options\": {o}}}}}");
                }
            }
            Bson::DbPointer(ns, id) => {
                let _ = write!(self.out, "{{\"$ref\": {}", Self::quoted(ns));
                self.sep();
                let _ = write!(self.out, "\"$id\": {{\"$oid\": \"{}\"}}}}", hex(id));
            }
            Bson::JavaScript(code) => self.wrapper("$code", &Self::quoted(code)),
            Bson::Symbol(s) => self.wrapper("$symbol", &Self::quoted(s)),
            Bson::JavaScriptWithScope(code, scope) => {
                let _ = write!(self.out, "{{\"$code\": {}", Self::quoted(code));
                self.sep();
                self.out.push_str("\"$scope\": ");
                self.doc(scope);
                self.out.push('}');
            }
            Bson::Int32(v) => {
                let _ = write!(self.out, "{v}");
            }
            Bson::Timestamp { t, i } => {
                let _ = write!(self.out, "{{\"$timestamp\": {{\"t\": {t}");
                self.sep();
                let _ = write!(self.out, "\"i\": {i}}}}}");
            }
            Bson::Int64(v) => {
                if strict {
                    self.wrapper("$numberLong", &format!("\"{v}\""));
                } else {
                    let _ = write!(self.out, "{v}");
                }
            }
            Bson::Decimal128(bytes) => self.wrapper("$numberDecimal", &format!("\"{}\"", decimal128(bytes))),
            Bson::MinKey => self.wrapper("$minKey", "1"),
            Bson::MaxKey => self.wrapper("$maxKey", "1"),
        }
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// A JSON string as the driver's writer escapes it: the usual short escapes,
/// and `\uXXXX` (lower-case hex, per UTF-16 unit) for every character that is
/// not a letter, digit, punctuation, symbol or space separator. The character
/// classes are approximated without Unicode tables: controls, format
/// characters, combining marks, line/paragraph separators, private use and
/// everything outside the BMP (whose surrogates Java escapes) are escaped.
pub fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if needs_escape(c) => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn needs_escape(c: char) -> bool {
    let u = c as u32;
    u < 0x20
        || (0x7f..=0x9f).contains(&u)
        || u == 0xad
        || (0x300..=0x36f).contains(&u)
        || (0x200b..=0x200f).contains(&u)
        || (0x2028..=0x202e).contains(&u)
        || (0x2060..=0x206f).contains(&u)
        || (0xe000..=0xf8ff).contains(&u)
        || (0xfe00..=0xfe0f).contains(&u)
        || (0xfe20..=0xfe2f).contains(&u)
        || u == 0xfeff
        || (0xfff0..=0xfffb).contains(&u)
        || u > 0xffff
}

/// `ISO_OFFSET_DATE_TIME` in UTC for milliseconds since the epoch (0 ≤ ms <
/// year 10000): `2024-01-31T10:20:30Z`, with the fraction (trailing zeros
/// dropped) when there are milliseconds.
pub fn iso_instant(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let millis = ms.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut out = format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60);
    if millis != 0 {
        // `appendFraction(NANO_OF_SECOND, 0, 9, true)` drops trailing zeros.
        let fraction = format!("{millis:03}");
        let _ = write!(out, ".{}", fraction.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `Decimal128.toString()` (the BSON decimal128 specification's algorithm).
pub fn decimal128(bytes: &[u8; 16]) -> String {
    let mut lo = [0u8; 8];
    let mut hi = [0u8; 8];
    lo.copy_from_slice(&bytes[..8]);
    hi.copy_from_slice(&bytes[8..]);
    let low = u64::from_le_bytes(lo);
    let high = u64::from_le_bytes(hi);
    let negative = high >> 63 == 1;
    let combination = (high >> 58) & 0x1f;
    if combination == 0x1f {
        return "NaN".into();
    }
    if combination == 0x1e {
        return if negative { "-Infinity" } else { "Infinity" }.into();
    }
    let (exponent, coefficient) = if (high >> 61) & 3 == 3 {
        // The large-coefficient form always exceeds 34 digits: zero.
        (((high >> 47) & 0x3fff) as i64, 0u128)
    } else {
        let c = (u128::from(high & 0x1_ffff_ffff_ffff) << 64) | u128::from(low);
        (((high >> 49) & 0x3fff) as i64, if c >= 10u128.pow(34) { 0 } else { c })
    };
    let exponent = exponent - 6176;
    let digits = coefficient.to_string();
    let adjusted = exponent + digits.len() as i64 - 1;
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if exponent <= 0 && adjusted >= -6 {
        if exponent == 0 {
            out.push_str(&digits);
        } else {
            let pad = -exponent - digits.len() as i64;
            if pad >= 0 {
                out.push_str("0.");
                for _ in 0..pad {
                    out.push('0');
                }
                out.push_str(&digits);
            } else {
                let split = (-pad) as usize;
                out.push_str(&digits[..split]);
                out.push('.');
                out.push_str(&digits[split..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('E');
        if adjusted > 0 {
            out.push('+');
        }
        let _ = write!(out, "{adjusted}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(coefficient: u64, exponent: i64, negative: bool) -> [u8; 16] {
        let high = ((exponent + 6176) as u64) << 49 | if negative { 1 << 63 } else { 0 };
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&coefficient.to_le_bytes());
        out[8..].copy_from_slice(&high.to_le_bytes());
        out
    }

    #[test]
    fn documents_render_as_debeziums_strict_json() {
        let oid = [0x59, 0x6e, 0x27, 0x58, 0x26, 0xf0, 0x8b, 0x27, 0x30, 0x77, 0x9e, 0x1f];
        let doc = Doc::new()
            .with("_id", Bson::ObjectId(oid))
            .with("n", 1004i64)
            .with("i", 7)
            .with("d", Bson::Double(2.0))
            .with("big", Bson::Double(1e21))
            .with("arr", vec![Bson::Int32(1), Bson::String("a".into())])
            .with("sub", Doc::new().with("x", true).with("y", Bson::Null))
            .with("dt", Bson::DateTime(1_700_000_000_123))
            .with("ts", Bson::Timestamp { t: 1_700_000_000, i: 3 })
            .with("bin", Bson::Binary(4, vec![0, 1, 2]))
            .with("re", Bson::Regex("^a".into(), "i".into()))
            .with("dec", Bson::Decimal128(dec(15, -1, false)))
            .with("min", Bson::MinKey)
            .with("max", Bson::MaxKey)
            .with("u", Bson::Undefined)
            .with("nan", Bson::Double(f64::NAN))
            .with("empty", Doc::new())
            .with("none", Vec::<Bson>::new());
        assert_eq!(
            document(&doc),
            concat!(
                r#"{"_id": {"$oid": "596e275826f08b2730779e1f"},"n": {"$numberLong": "1004"},"i": 7,"d": 2.0,"big": 1.0E21,"#,
                r#""arr": [1,"a"],"sub": {"x": true,"y": null},"dt": {"$date": 1700000000123},"#,
                r#""ts": {"$timestamp": {"t": 1700000000,"i": 3}},"bin": {"$binary": "AAEC","$type": "04"},"#,
                r#""re": {"$regex": "^a","$options": "i"},"dec": {"$numberDecimal": "1.5"},"min": {"$minKey": 1},"#,
                r#""max": {"$maxKey": 1},"u": {"$undefined": true},"nan": NaN,"empty": {},"none": []}"#
            )
        );
        assert_eq!(id(&Bson::ObjectId(oid)), r#"{"$oid": "596e275826f08b2730779e1f"}"#);
        assert_eq!(id(&Bson::Int64(1234)), "1234");
        assert_eq!(id(&Bson::String("1234".into())), "\"1234\"");
        assert_eq!(id(&Bson::Document(Doc::new().with("a", 1).with("b", 2))), r#"{"a": 1,"b": 2}"#);
        assert_eq!(
            updated_fields(&Doc::new().with("a", 2i64).with("b", vec![Bson::Int32(1), Bson::Int32(2)])),
            r#"{"a": 2, "b": [1, 2]}"#
        );
        assert_eq!(
            render(&Bson::DateTime(1_700_000_000_123), Mode::Relaxed, Layout::Spaced),
            r#"{"$date": "2023-11-14T22:13:20.123Z"}"#
        );
        assert_eq!(render(&Bson::DateTime(-1), Mode::Relaxed, Layout::Spaced), r#"{"$date": {"$numberLong": "-1"}}"#);
        assert_eq!(
            render(&Bson::Binary(0, vec![1]), Mode::Relaxed, Layout::Spaced),
            r#"{"$binary": {"base64": "AQ==", "subType": "00"}}"#
        );
    }

    #[test]
    fn strings_escape_as_the_java_driver_does() {
        let mut out = String::new();
        string(&mut out, "a\"b\\c\n\u{1}é😀");
        assert_eq!(out, "\"a\\\"b\\\\c\\n\\u0001é\\ud83d\\ude00\"");
    }

    #[test]
    fn decimal128_formats_as_java() {
        assert_eq!(decimal128(&dec(15, -1, false)), "1.5");
        assert_eq!(decimal128(&dec(0, 0, false)), "0");
        assert_eq!(decimal128(&dec(1, -7, true)), "-1E-7");
        assert_eq!(decimal128(&dec(123, 3, false)), "1.23E+5");
        assert_eq!(decimal128(&dec(5, -3, false)), "0.005");
        assert_eq!(decimal128(&dec(12345, -2, false)), "123.45");
        let mut nan = [0u8; 16];
        nan[15] = 0x7c;
        assert_eq!(decimal128(&nan), "NaN");
    }

    #[test]
    fn instants_print_as_java() {
        assert_eq!(iso_instant(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_instant(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(iso_instant(1_100), "1970-01-01T00:00:01.1Z");
    }
}

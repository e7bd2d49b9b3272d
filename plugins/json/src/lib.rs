//! JSON text as Kafka Connect's `JsonConverter` (Jackson) writes it, in one
//! place that the worker and the connectors share, so every consumer sees
//! the same bytes Debezium on Kafka Connect would produce.
//!
//! - Doubles as Java's `Double.toString` renders them: plain decimal with
//!   at least one fractional digit for 10⁻³ ≤ |x| < 10⁷ (`100.0`,
//!   `0.001`), otherwise computerized scientific notation (`1.0E7`,
//!   `1.234E-5`), with the shortest digits that round-trip.
//! - Floats the same way from their 32-bit value (`0.1f` is `0.1`, not
//!   `0.10000000149011612`).
//! - Strings with Jackson's escapes: `"` and `\`, the short escapes for
//!   \b \t \n \f \r, other control characters as `\u00XX`; `/` and
//!   non-ASCII characters as they are.
//!
//! No dependencies, no allocation beyond the output, so it builds for the
//! host and for `wasm32-wasip2` guests alike.

use std::fmt::Write as _;

/// A binary floating-point type Java renders with `toString`.
trait JavaFloat: Copy + std::fmt::Display + std::fmt::LowerExp {
    fn is_finite(self) -> bool;
    fn is_nan(self) -> bool;
    fn is_sign_negative(self) -> bool;
    /// |v| as f64, only to pick plain or scientific notation.
    fn magnitude(self) -> f64;
}

impl JavaFloat for f64 {
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    fn is_sign_negative(self) -> bool {
        f64::is_sign_negative(self)
    }
    fn magnitude(self) -> f64 {
        self.abs()
    }
}

impl JavaFloat for f32 {
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    fn is_sign_negative(self) -> bool {
        f32::is_sign_negative(self)
    }
    fn magnitude(self) -> f64 {
        f64::from(self.abs())
    }
}

/// Appends a double as Java's `Double.toString` writes it. Non-finite
/// values are written as Jackson writes them by default: the quoted
/// strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
pub fn write_double(out: &mut String, v: f64) {
    write_java(out, v);
}

/// Appends a float as Java's `Float.toString` writes it, from its 32-bit
/// value (see [`write_double`]).
pub fn write_float(out: &mut String, v: f32) {
    write_java(out, v);
}

fn write_java<F: JavaFloat>(out: &mut String, v: F) {
    if !v.is_finite() {
        out.push_str(non_finite(v.is_nan(), !v.is_sign_negative()));
        return;
    }
    let magnitude = v.magnitude();
    if magnitude == 0.0 {
        out.push_str(if v.is_sign_negative() { "-0.0" } else { "0.0" });
    } else if (1e-3..1e7).contains(&magnitude) {
        plain(out, format_args!("{v}"));
    } else {
        scientific(out, format_args!("{v:e}"), format_args!("{v:.1e}"));
    }
}

/// A double as Java writes it.
pub fn double_to_string(v: f64) -> String {
    let mut out = String::with_capacity(24);
    write_double(&mut out, v);
    out
}

/// A float as Java writes it.
pub fn float_to_string(v: f32) -> String {
    let mut out = String::with_capacity(16);
    write_float(&mut out, v);
    out
}

fn non_finite(nan: bool, positive: bool) -> &'static str {
    if nan {
        "\"NaN\""
    } else if positive {
        "\"Infinity\""
    } else {
        "\"-Infinity\""
    }
}

/// Rust's `{}` already gives the shortest round-trip digits without an
/// exponent; Java adds `.0` to whole numbers.
fn plain(out: &mut String, args: std::fmt::Arguments<'_>) {
    let start = out.len();
    let _ = out.write_fmt(args);
    if !out[start..].contains('.') {
        out.push_str(".0");
    }
}

/// Rust's `{:e}` gives `1e7` / `1.234e-5`; Java writes `1.0E7` / `1.234E-5`.
/// When the shortest digits are a single one, Java picks the two-digit
/// decimal closest to the value instead (it differs only for subnormals:
/// `Double.MIN_VALUE` is `4.9E-324`), which is what `{:.1e}` rounds to.
fn scientific(out: &mut String, shortest: std::fmt::Arguments<'_>, two_digits: std::fmt::Arguments<'_>) {
    let mut s = String::with_capacity(24);
    let _ = s.write_fmt(shortest);
    if !s.split('e').next().unwrap_or("").contains('.') {
        s.clear();
        let _ = s.write_fmt(two_digits);
    }
    let (mantissa, exponent) = s.split_once('e').unwrap_or((s.as_str(), "0"));
    out.push_str(mantissa);
    out.push('E');
    out.push_str(exponent);
}

/// Appends `s` as a JSON string with Jackson's escapes.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escaped = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\u{8}' => "\\b",
            '\t' => "\\t",
            '\n' => "\\n",
            '\u{c}' => "\\f",
            '\r' => "\\r",
            c if (c as u32) < 0x20 => {
                out.push_str(&s[start..i]);
                let _ = write!(out, "\\u{:04X}", c as u32);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(escaped);
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_match_java() {
        // (value, what Java's Double.toString gives)
        let cases = [
            (1.0e7, "1.0E7"),
            (9_999_999.0, "9999999.0"),
            (100.0, "100.0"),
            (0.001, "0.001"),
            (0.000_999_9, "9.999E-4"),
            (1.234e-5, "1.234E-5"),
            (-2.5, "-2.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.0e21, "1.0E21"),
            (123_456_789.0, "1.23456789E8"),
            (f64::MAX, "1.7976931348623157E308"),
            (f64::MIN_POSITIVE, "2.2250738585072014E-308"),
            (4.9e-324, "4.9E-324"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
        ];
        for (v, java) in cases {
            assert_eq!(double_to_string(v), java, "{v:?}");
        }
        assert_eq!(double_to_string(f64::NAN), "\"NaN\"");
        assert_eq!(double_to_string(f64::NEG_INFINITY), "\"-Infinity\"");
    }

    #[test]
    fn floats_match_java_from_their_32_bit_value() {
        let cases = [
            (0.1f32, "0.1"),
            (1.0e7f32, "1.0E7"),
            (3.4028235e38f32, "3.4028235E38"),
            (1.5f32, "1.5"),
            (1.0e-4f32, "1.0E-4"),
        ];
        for (v, java) in cases {
            assert_eq!(float_to_string(v), java, "{v:?}");
        }
    }

    #[test]
    fn strings_use_jackson_escapes() {
        let mut out = String::new();
        write_string(&mut out, "a\"b\\c/d\n\t\u{1}é\u{8}\u{c}\r");
        assert_eq!(out, "\"a\\\"b\\\\c/d\\n\\t\\u0001é\\b\\f\\r\"");
    }
}

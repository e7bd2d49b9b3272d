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

pub mod connect;

use std::fmt::Write as _;

/// A binary floating-point type Java renders with `toString`.
trait JavaFloat: Copy + std::fmt::LowerExp + ryu::Float {
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

/// "00" to "99", for writing integers two digits per division.
const DIGIT_PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends an unsigned integer in decimal. Integers are written several
/// times per record (in wasm, where 64-bit division is dear), and `write!`
/// goes through the formatting machinery, which shows in profiles; so two
/// digits per division, from a table.
pub fn write_u64(out: &mut String, n: u64) {
    // 32-bit arithmetic is cheaper: split off eight digits at a time.
    const EIGHT: u64 = 100_000_000;
    if let Ok(small) = u32::try_from(n) {
        return write_u32(out, small, 0);
    }
    let low = (n % EIGHT) as u32;
    let high = n / EIGHT;
    match u32::try_from(high) {
        Ok(high) => write_u32(out, high, 0),
        Err(_) => {
            write_u32(out, (high / EIGHT) as u32, 0);
            write_eight(out, (high % EIGHT) as u32);
        }
    }
    write_eight(out, low);
}

/// Appends `n` (below 10^8) as exactly eight digits, zero-padded: the low
/// parts of every timestamp, with no digit count to work out and no loop.
fn write_eight(out: &mut String, n: u32) {
    let (high, low) = (n / 10_000 % 10_000, n % 10_000);
    let mut block = [0u8; 8];
    for (i, pair) in [high / 100, high % 100, low / 100, low % 100].into_iter().enumerate() {
        let pair = pair as usize * 2;
        block[i * 2..i * 2 + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    // SAFETY: ASCII digits only, so `out` stays UTF-8.
    unsafe { out.as_mut_vec() }.extend_from_slice(&block);
}

/// Appends `n` (below 100) as exactly two digits: the fields of dates and
/// times. A larger `n` writes its last two digits.
pub fn write_two(out: &mut String, n: u32) {
    let pair = (n % 100) as usize * 2;
    // SAFETY: ASCII digits only, so `out` stays UTF-8.
    unsafe { out.as_mut_vec() }.extend_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
}

/// Appends `n` in decimal with at least `width` digits (at most 10),
/// zero-padded (dates and times are written so).
pub fn write_u32(out: &mut String, mut n: u32, width: usize) {
    let count = decimal_digits(n).max(width.min(10));
    // The digits go left-aligned into a fixed 16-byte block that is
    // appended whole and then cut to `count`: a fixed-size copy is two
    // stores in wasm, where pushing byte by byte or a copy of run-time
    // length (a `memory.copy` call out to the runtime) cost several times more.
    let mut block = [b'0'; 16];
    let mut i = count;
    while n >= 100 {
        let pair = (n % 100) as usize * 2;
        n /= 100;
        i -= 2;
        block[i..i + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if n >= 10 {
        let pair = n as usize * 2;
        block[i - 2..i].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        block[i - 1] = b'0' + n as u8;
    }
    let end = out.len() + count;
    // SAFETY: every byte appended is an ASCII digit, so `out` stays UTF-8,
    // and the cut at `end` falls after whole (one-byte) characters.
    let bytes = unsafe { out.as_mut_vec() };
    bytes.extend_from_slice(&block);
    bytes.truncate(end);
}

/// How many decimal digits `n` has (1 for 0).
fn decimal_digits(n: u32) -> usize {
    match n {
        0..=9 => 1,
        10..=99 => 2,
        100..=999 => 3,
        1_000..=9_999 => 4,
        10_000..=99_999 => 5,
        100_000..=999_999 => 6,
        1_000_000..=9_999_999 => 7,
        10_000_000..=99_999_999 => 8,
        100_000_000..=999_999_999 => 9,
        _ => 10,
    }
}

/// Appends a signed integer in decimal (see [`write_u64`]).
pub fn write_i64(out: &mut String, v: i64) {
    if v < 0 {
        out.push('-');
    }
    write_u64(out, v.unsigned_abs());
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
        // In this range ryu writes plain notation with at least one
        // fractional digit, exactly as Java does.
        out.push_str(ryu::Buffer::new().format_finite(v));
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

/// Appends `s` as a JSON string with Jackson's escapes. Every character
/// that needs one is ASCII, so the scan is over bytes and the runs between
/// escapes are copied whole.
pub fn write_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    // Most strings need no escape: one branch-free pass over the bytes
    // (which the compiler vectorises) finds that, and they are copied whole.
    if !bytes.iter().fold(false, |any, &b| any | (b < 0x20) | (b == b'"') | (b == b'\\')) {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            b'\t' => "\\t",
            b'\n' => "\\n",
            0x0c => "\\f",
            b'\r' => "\\r",
            b if b < 0x20 => {
                out.push_str(&s[start..i]);
                let _ = write!(out, "\\u{:04X}", b);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(escaped);
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Appends a decimal as Java's `BigDecimal.toString` writes it (what Jackson
/// writes for `decimal.format=NUMERIC`): `unscaled` is the big-endian two's
/// complement integer (Kafka's `Decimal` bytes), `scale` the power of ten it
/// is divided by. Plain notation unless the scale is negative or the
/// adjusted exponent is below -6, then `1.23E-7` / `1.2E+3`.
pub fn write_big_decimal(out: &mut String, unscaled: &[u8], scale: i32) {
    let negative = unscaled.first().is_some_and(|b| b & 0x80 != 0);
    let digits = magnitude_digits(unscaled, negative);
    if negative {
        out.push('-');
    }
    let len = digits.len() as i64;
    let adjusted = len - 1 - i64::from(scale);
    if scale >= 0 && adjusted >= -6 {
        let scale = scale as i64;
        if scale == 0 {
            out.push_str(&digits);
        } else if len > scale {
            let point = (len - scale) as usize;
            out.push_str(&digits[..point]);
            out.push('.');
            out.push_str(&digits[point..]);
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (scale - len) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if len > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push('E');
        if adjusted >= 0 {
            out.push('+');
        }
        let _ = write!(out, "{adjusted}");
    }
}

/// The decimal digits of |value| for a big-endian two's complement integer.
fn magnitude_digits(bytes: &[u8], negative: bool) -> String {
    // Negate (invert and add one) to get the magnitude of a negative number.
    let mut mag: Vec<u8> = if negative { bytes.iter().map(|b| !b).collect() } else { bytes.to_vec() };
    if negative {
        for b in mag.iter_mut().rev() {
            let (sum, carry) = b.overflowing_add(1);
            *b = sum;
            if !carry {
                break;
            }
        }
    }
    // Repeated division by 10^9 over base-256 digits.
    let mut chunks: Vec<u32> = Vec::new();
    let mut num: Vec<u8> = mag.into_iter().skip_while(|b| *b == 0).collect();
    while !num.is_empty() {
        let mut rem: u64 = 0;
        let mut next = Vec::with_capacity(num.len());
        for b in &num {
            let cur = (rem << 8) | u64::from(*b);
            let q = cur / 1_000_000_000;
            rem = cur % 1_000_000_000;
            if !(next.is_empty() && q == 0) {
                next.push(q as u8);
            }
        }
        chunks.push(rem as u32);
        num = next;
    }
    let mut s = String::new();
    match chunks.split_last() {
        None => s.push('0'),
        Some((first, rest)) => {
            let _ = write!(s, "{first}");
            for c in rest.iter().rev() {
                let _ = write!(s, "{c:09}");
            }
        }
    }
    s
}

/// Appends standard base64 with padding, as Jackson writes `byte[]`.
pub fn write_base64(out: &mut String, bytes: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(ALPHABET[(n >> 18) as usize & 63] as char);
        out.push(ALPHABET[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 { ALPHABET[(n >> 6) as usize & 63] as char } else { '=' });
        out.push(if chunk.len() > 2 { ALPHABET[n as usize & 63] as char } else { '=' });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn integers_are_written_in_decimal() {
        let mut out = String::new();
        for v in [0, 7, -7, i64::MAX, i64::MIN] {
            super::write_i64(&mut out, v);
            out.push(' ');
        }
        super::write_u64(&mut out, u64::MAX);
        assert_eq!(out, "0 7 -7 9223372036854775807 -9223372036854775808 18446744073709551615");
        // Every digit count, odd and even, against the standard library.
        let mut n: u64 = 1;
        for _ in 0..20 {
            for v in [n - 1, n, n + 1, n.saturating_mul(7)] {
                let mut out = String::new();
                super::write_u64(&mut out, v);
                assert_eq!(out, v.to_string());
            }
            n = n.saturating_mul(10);
        }
    }

    #[test]
    fn widths_zero_pad_and_never_cut_digits() {
        let mut out = String::from("é");
        for (n, width) in [(0, 0), (0, 2), (7, 3), (42, 1), (123_456, 8), (u32::MAX, 12), (5, 10), (99, 2)] {
            super::write_u32(&mut out, n, width);
            out.push(' ');
        }
        assert_eq!(out, "é0 00 007 42 00123456 4294967295 0000000005 99 ");
        for (n, two) in [(0, "00"), (7, "07"), (59, "59"), (99, "99")] {
            let mut out = String::new();
            super::write_two(&mut out, n);
            assert_eq!(out, two);
        }
        let mut n: u32 = 1;
        for _ in 0..10 {
            for v in [n - 1, n, n + 1, n.saturating_mul(7)] {
                let mut out = String::new();
                super::write_u32(&mut out, v, 0);
                assert_eq!(out, v.to_string());
            }
            n = n.saturating_mul(10);
        }
    }

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
            // Exactly halfway between two 8-digit decimals: the even one.
            (424.890_625_f64 as f32, "424.89062"),
        ];
        for (v, java) in cases {
            assert_eq!(float_to_string(v), java, "{v:?}");
        }
    }

    #[test]
    fn the_plain_range_has_the_shortest_digits_with_a_fraction() {
        // Java's plain range, 1e-3 <= |v| < 1e7, swept over bit patterns so
        // every decimal length appears: the digits read back as the same
        // value and are as few as Rust's shortest Display needs (equal
        // except on exact ties, where Java 19+ and ryu pick the even digit);
        // an integral value keeps a ".0".
        fn check<F: Copy + std::fmt::Display + std::str::FromStr + PartialEq + std::fmt::Debug>(v: F, java: &str) {
            let mut shortest = format!("{v}");
            if !shortest.contains('.') {
                shortest.push_str(".0");
            }
            assert_eq!(java.len(), shortest.len(), "{v:?}: {java} vs {shortest}");
            assert!(java.parse::<F>().ok() == Some(v), "{java} does not read back as {v:?}");
        }
        let mut bits = 1e-3f64.to_bits();
        while f64::from_bits(bits) < 1e7 {
            let v = f64::from_bits(bits);
            check(v, &double_to_string(v));
            assert_eq!(double_to_string(-v), format!("-{}", double_to_string(v)));
            bits += 0x0000_1357_9BDF_0123;
        }
        let mut bits = 1e-3f32.to_bits();
        while f32::from_bits(bits) < 1e7 {
            let v = f32::from_bits(bits);
            check(v, &float_to_string(v));
            bits += 0x1357;
        }
    }

    #[test]
    fn strings_use_jackson_escapes() {
        let mut out = String::new();
        write_string(&mut out, "a\"b\\c/d\n\t\u{1}é\u{8}\u{c}\r");
        assert_eq!(out, "\"a\\\"b\\\\c/d\\n\\t\\u0001é\\b\\f\\r\"");
    }

    fn decimal(unscaled: i128, scale: i32) -> String {
        let bytes = unscaled.to_be_bytes();
        // Minimal two's complement, as Java's BigInteger.toByteArray gives.
        let mut start = 0;
        while start < 15
            && ((bytes[start] == 0 && bytes[start + 1] & 0x80 == 0)
                || (bytes[start] == 0xff && bytes[start + 1] & 0x80 != 0))
        {
            start += 1;
        }
        let mut out = String::new();
        write_big_decimal(&mut out, &bytes[start..], scale);
        out
    }

    #[test]
    fn big_decimals_render_as_java_big_decimal_to_string() {
        assert_eq!(decimal(12345, 2), "123.45");
        assert_eq!(decimal(-12345, 2), "-123.45");
        assert_eq!(decimal(5, 3), "0.005");
        assert_eq!(decimal(0, 2), "0.00");
        assert_eq!(decimal(0, 0), "0");
        assert_eq!(decimal(1, 7), "1E-7");
        assert_eq!(decimal(123, 9), "1.23E-7");
        assert_eq!(decimal(1, 6), "0.000001");
        assert_eq!(decimal(12, -2), "1.2E+3");
        assert_eq!(decimal(-128, 0), "-128");
        assert_eq!(decimal(i128::MAX, 10), "17014118346046923173168730371.5884105727");
        assert_eq!(decimal(i128::MIN, 0), "-170141183460469231731687303715884105728");
    }

    #[test]
    fn base64_pads_like_jackson() {
        let b64 = |b: &[u8]| {
            let mut s = String::new();
            write_base64(&mut s, b);
            s
        };
        assert_eq!(
            (b64(b""), b64(b"f"), b64(b"fo"), b64(b"foo")),
            ("".into(), "Zg==".into(), "Zm8=".into(), "Zm9v".into())
        );
    }
}

//! `decimal.handling.mode`: exact decimals as Kafka Connect `Decimal` or
//! Debezium's `VariableScaleDecimal`, or as doubles or strings.
//!
//! [`Decimal`] is an arbitrary-precision decimal with Java `BigDecimal`'s
//! semantics for what Debezium does with one (scale changes, stripping
//! trailing zeros, `toPlainString`, `doubleValue`, the unscaled value as
//! `BigInteger.toByteArray`), because PostgreSQL `numeric` can hold far
//! more digits than any machine integer.

use std::fmt;

use weir_sdk::{Schema, Value};

/// Kafka Connect's logical decimal type.
pub const DECIMAL_NAME: &str = "org.apache.kafka.connect.data.Decimal";
/// Debezium's decimal whose scale travels with each value.
pub const VARIABLE_SCALE_DECIMAL_NAME: &str = "io.debezium.data.VariableScaleDecimal";
const PRECISION_PARAMETER: &str = "connect.decimal.precision";

/// Debezium's `decimal.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalMode {
    /// Connect `Decimal` (bytes), the default.
    #[default]
    Precise,
    /// `float64`.
    Double,
    /// The plain decimal string.
    String,
}

/// A non-finite value a decimal column can hold (PostgreSQL `numeric`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    /// `NaN`.
    NaN,
    /// `Infinity`.
    PositiveInfinity,
    /// `-Infinity`.
    NegativeInfinity,
}

impl DecimalMode {
    /// Parses a configuration value (`precise`, `double`, `string`).
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "precise" => Some(Self::Precise),
            "double" => Some(Self::Double),
            "string" => Some(Self::String),
            _ => None,
        }
    }

    /// The required schema for a decimal of fixed `precision` and `scale`
    /// in this mode, as Debezium's `SpecialValueDecimal.builder` makes it.
    pub fn schema(self, precision: u32, scale: i32) -> Schema {
        match self {
            Self::Precise => decimal_schema(scale, Some(precision)),
            Self::Double => Schema::float64(),
            Self::String => Schema::string(),
        }
    }

    /// The value of `d` in this mode (for `Precise`, the unscaled bytes of
    /// `d` at its own scale: the caller brings it to the schema's scale).
    pub fn value(self, d: &Decimal) -> Value {
        match self {
            Self::Precise => Value::Bytes(d.unscaled_bytes()),
            Self::Double => Value::Float64(d.to_f64()),
            Self::String => Value::String(d.to_plain_string()),
        }
    }

    /// The value of a special number in this mode: `None` for `Precise`,
    /// which cannot express it (Debezium fails the record), the double for
    /// `Double`, and Debezium's names `NAN`, `POSITIVE_INFINITY`,
    /// `NEGATIVE_INFINITY` for `String`.
    pub fn special_value(self, special: Special) -> Option<Value> {
        match (self, special) {
            (Self::Precise, _) => None,
            (Self::Double, Special::NaN) => Some(Value::Float64(f64::NAN)),
            (Self::Double, Special::PositiveInfinity) => Some(Value::Float64(f64::INFINITY)),
            (Self::Double, Special::NegativeInfinity) => Some(Value::Float64(f64::NEG_INFINITY)),
            (Self::String, Special::NaN) => Some(Value::String("NAN".into())),
            (Self::String, Special::PositiveInfinity) => Some(Value::String("POSITIVE_INFINITY".into())),
            (Self::String, Special::NegativeInfinity) => Some(Value::String("NEGATIVE_INFINITY".into())),
        }
    }
}

/// Kafka Connect's `Decimal` schema: `bytes`, version 1, parameter `scale`
/// and, when given, Debezium's `connect.decimal.precision`.
pub fn decimal_schema(scale: i32, precision: Option<u32>) -> Schema {
    let schema = Schema::bytes().named(DECIMAL_NAME).version(1).parameter("scale", scale.to_string());
    match precision {
        Some(p) => schema.parameter(PRECISION_PARAMETER, p.to_string()),
        None => schema,
    }
}

/// Debezium's `VariableScaleDecimal` schema: a struct `{scale: int32,
/// value: bytes}`, version 1, doc `Variable scaled decimal`.
pub fn variable_scale_decimal_schema() -> Schema {
    let mut schema = Schema::structure(VARIABLE_SCALE_DECIMAL_NAME)
        .version(1)
        .field("scale", Schema::int32())
        .field("value", Schema::bytes());
    schema.doc = Some("Variable scaled decimal".into());
    schema
}

/// The `VariableScaleDecimal` value of `d` at its own scale.
pub fn variable_scale_decimal_value(d: &Decimal) -> Value {
    Value::Struct(vec![Value::Int32(d.scale), Value::Bytes(d.unscaled_bytes())])
}

/// Text that is not a decimal number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecimalError(pub String);

impl fmt::Display for DecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a decimal number: {:?}", self.0)
    }
}

impl std::error::Error for DecimalError {}

/// How [`Decimal::with_scale`] treats digits it drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Fail unless the dropped digits are all zero (`setScale(n)`).
    Unnecessary,
    /// Round half away from zero (`RoundingMode.HALF_UP`).
    HalfUp,
    /// Drop the digits (`RoundingMode.DOWN`).
    Down,
}

/// An arbitrary-precision decimal: `(-1)^negative × digits × 10^-scale`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    negative: bool,
    /// Decimal digits (0-9) of the unscaled magnitude, most significant
    /// first, without leading zeros; empty for zero.
    digits: Vec<u8>,
    scale: i32,
}

impl Decimal {
    /// Zero at `scale`.
    pub fn zero(scale: i32) -> Self {
        Self { negative: false, digits: Vec::new(), scale }
    }

    /// Parses Java `BigDecimal` syntax: optional sign, digits with an
    /// optional point, optional exponent (`-12.50`, `1E+3`, `.5`).
    pub fn parse(text: &str) -> Result<Self, DecimalError> {
        let err = || DecimalError(text.to_string());
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut negative = false;
        if let Some(sign @ (b'+' | b'-')) = bytes.first() {
            negative = *sign == b'-';
            i = 1;
        }
        let mut digits = Vec::new();
        let mut fraction_digits: i64 = 0;
        let mut seen_point = false;
        let mut seen_digit = false;
        while i < bytes.len() {
            match bytes[i] {
                c @ b'0'..=b'9' => {
                    seen_digit = true;
                    if !(digits.is_empty() && c == b'0') {
                        digits.push(c - b'0');
                    }
                    if seen_point {
                        fraction_digits += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                b'e' | b'E' => break,
                _ => return Err(err()),
            }
            i += 1;
        }
        if !seen_digit {
            return Err(err());
        }
        let mut exponent: i64 = 0;
        if i < bytes.len() {
            let exp = &text[i + 1..];
            let exp = exp.strip_prefix('+').unwrap_or(exp);
            if exp.is_empty() || exp.starts_with('+') {
                return Err(err());
            }
            exponent = exp.parse::<i64>().map_err(|_| err())?;
        }
        let scale = i32::try_from(fraction_digits - exponent).map_err(|_| err())?;
        if digits.is_empty() {
            negative = false;
        }
        Ok(Self { negative, digits, scale })
    }

    /// The scale (digits after the point; negative for a multiple of 10^n).
    pub fn scale(&self) -> i32 {
        self.scale
    }

    /// Whether the value is zero.
    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Whether the value is below zero.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The number of digits of the unscaled value (1 for zero), as
    /// `BigDecimal.precision()`.
    pub fn precision(&self) -> usize {
        self.digits.len().max(1)
    }

    /// The same value at `scale`, rounding dropped digits per `rounding`;
    /// `None` when `Rounding::Unnecessary` would lose digits.
    pub fn with_scale(&self, scale: i32, rounding: Rounding) -> Option<Self> {
        if scale >= self.scale {
            let mut digits = self.digits.clone();
            if !digits.is_empty() {
                let extra = usize::try_from(i64::from(scale) - i64::from(self.scale)).ok()?;
                digits.resize(digits.len() + extra, 0);
            }
            return Some(Self { negative: self.negative, digits, scale });
        }
        let drop = usize::try_from(i64::from(self.scale) - i64::from(scale)).ok()?;
        let keep = self.digits.len().saturating_sub(drop);
        let dropped = &self.digits[keep..];
        let mut digits = self.digits[..keep].to_vec();
        // A dropped part shorter than `drop` has implicit leading zeros.
        let first_dropped = if dropped.len() == drop { dropped.first().copied().unwrap_or(0) } else { 0 };
        let lossy = dropped.iter().any(|d| *d != 0);
        match rounding {
            Rounding::Unnecessary if lossy => return None,
            Rounding::HalfUp if first_dropped >= 5 => increment(&mut digits),
            _ => {}
        }
        let negative = self.negative && !digits.is_empty();
        Some(Self { negative, digits, scale })
    }

    /// Removes trailing zeros of the unscaled value, as
    /// `BigDecimal.stripTrailingZeros` (zero becomes scale 0).
    pub fn strip_trailing_zeros(&self) -> Self {
        if self.digits.is_empty() {
            return Self::zero(0);
        }
        let zeros = self.digits.iter().rev().take_while(|d| **d == 0).count();
        let digits = self.digits[..self.digits.len() - zeros].to_vec();
        let scale = (i64::from(self.scale) - zeros as i64).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        Self { negative: self.negative, digits, scale }
    }

    /// `BigDecimal.toPlainString`: no exponent, `scale` digits after the point.
    pub fn to_plain_string(&self) -> String {
        let mut out = String::with_capacity(self.digits.len() + 4);
        if self.negative {
            out.push('-');
        }
        let digits: String = if self.digits.is_empty() {
            "0".into()
        } else {
            self.digits.iter().map(|d| char::from(b'0' + d)).collect()
        };
        if self.scale <= 0 {
            out.push_str(&digits);
            if !self.digits.is_empty() {
                out.extend(std::iter::repeat_n('0', self.scale.unsigned_abs() as usize));
            }
        } else {
            let scale = self.scale as usize;
            if digits.len() > scale {
                let point = digits.len() - scale;
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            } else {
                out.push_str("0.");
                out.extend(std::iter::repeat_n('0', scale - digits.len()));
                out.push_str(&digits);
            }
        }
        out
    }

    /// The nearest double, as `BigDecimal.doubleValue`.
    pub fn to_f64(&self) -> f64 {
        if self.digits.is_empty() {
            return 0.0;
        }
        let digits: String = self.digits.iter().map(|d| char::from(b'0' + d)).collect();
        let text = format!("{}{}e{}", if self.negative { "-" } else { "" }, digits, -i64::from(self.scale));
        text.parse::<f64>().unwrap_or(if self.negative { f64::NEG_INFINITY } else { f64::INFINITY })
    }

    /// The unscaled value as big-endian minimal two's complement, as Java's
    /// `BigInteger.toByteArray` (zero is one `0x00` byte).
    pub fn unscaled_bytes(&self) -> Vec<u8> {
        let mut magnitude = magnitude_bytes(&self.digits);
        if !self.negative {
            if magnitude.first().is_none_or(|b| b & 0x80 != 0) {
                magnitude.insert(0, 0);
            }
            return magnitude;
        }
        // Two's complement one byte wider than the magnitude, then trimmed.
        magnitude.insert(0, 0);
        let mut carry = true;
        for b in magnitude.iter_mut().rev() {
            let (sum, overflow) = (!*b).overflowing_add(u8::from(carry));
            *b = sum;
            carry = overflow;
        }
        let redundant = magnitude.windows(2).take_while(|w| w[0] == 0xff && w[1] & 0x80 != 0).count();
        magnitude.drain(..redundant);
        magnitude
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_plain_string())
    }
}

/// The `Precise` bytes (see [`Decimal::unscaled_bytes`]) of plain decimal
/// text (`-12.34`) at `scale`, when the value fits 128 bits and reaching
/// `scale` only appends zeros. This is the per-row common case, spared the
/// general [`Decimal`]; `None` sends the caller to it.
pub fn precise_bytes(text: &str, scale: i32) -> Option<Vec<u8>> {
    let (negative, body) = match text.as_bytes().split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text.as_bytes()),
    };
    let mut unscaled: i128 = 0;
    let mut fraction: Option<i32> = None;
    let mut digits = 0;
    for &b in body {
        match b {
            b'0'..=b'9' => {
                // 38 digits always fit; past them, the general path.
                digits += 1;
                if digits > 38 {
                    return None;
                }
                unscaled = unscaled * 10 + i128::from(b - b'0');
                if let Some(f) = fraction.as_mut() {
                    *f += 1;
                }
            }
            b'.' if fraction.is_none() => fraction = Some(0),
            _ => return None,
        }
    }
    let pad = scale.checked_sub(fraction.unwrap_or(0)).filter(|p| *p >= 0)?;
    if digits == 0 {
        return None;
    }
    let unscaled = unscaled.checked_mul(10i128.checked_pow(u32::try_from(pad).ok()?)?)?;
    Some(java_bytes(if negative { -unscaled } else { unscaled }))
}

/// `BigInteger.toByteArray` of a 128-bit value: big-endian, the fewest
/// bytes that keep the sign.
fn java_bytes(v: i128) -> Vec<u8> {
    let bytes = v.to_be_bytes();
    let fill = if v < 0 { 0xff } else { 0 };
    // Leading bytes that only repeat the sign, as long as the next byte's top bit still says it.
    let redundant = bytes.windows(2).take_while(|w| w[0] == fill && (w[1] & 0x80 == fill & 0x80)).count();
    bytes[redundant..].to_vec()
}

/// Adds one to a decimal digit string (most significant first).
fn increment(digits: &mut Vec<u8>) {
    for d in digits.iter_mut().rev() {
        if *d == 9 {
            *d = 0;
        } else {
            *d += 1;
            return;
        }
    }
    digits.insert(0, 1);
}

/// Base 10 → base 256 (big-endian, no leading zeros), nine digits at a time.
fn magnitude_bytes(digits: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::with_capacity(digits.len() / 2 + 1);
    for chunk in digits.chunks(9) {
        let mut multiplier: u64 = 1;
        let mut addend: u64 = 0;
        for d in chunk {
            multiplier *= 10;
            addend = addend * 10 + u64::from(*d);
        }
        let mut carry = addend;
        for b in out.iter_mut().rev() {
            let cur = u64::from(*b) * multiplier + carry;
            *b = (cur & 0xff) as u8;
            carry = cur >> 8;
        }
        while carry > 0 {
            out.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(text: &str) -> Vec<u8> {
        Decimal::parse(text).unwrap().unscaled_bytes()
    }

    #[test]
    fn precise_bytes_agree_with_the_general_decimal() {
        let general = |t: &str, scale: i32| {
            Decimal::parse(t).unwrap().with_scale(scale, Rounding::Unnecessary).unwrap().unscaled_bytes()
        };
        let cases = [
            ("0", 0),
            ("0.00", 2),
            ("-0.00", 2),
            ("12.34", 2),
            ("-12.34", 4),
            ("127", 0),
            ("128", 0),
            ("-128", 0),
            ("-129", 0),
            ("-1", 3),
            ("+5.5", 1),
            (".5", 1),
            ("99999999999999999999999999999999999999", 0),
            ("-99999999999999999999999999999999999999", 0),
            ("1234567890.123456789", 9),
        ];
        for (text, scale) in cases {
            assert_eq!(precise_bytes(text, scale), Some(general(text, scale)), "{text} at scale {scale}");
        }
        // Rounding, 39 digits, exponents and junk go to the general path.
        for (text, scale) in [
            ("1.25", 1),
            ("999999999999999999999999999999999999999", 0),
            ("1E3", 0),
            ("1-2", 0),
            ("", 0),
            ("-", 0),
            (".", 0),
        ] {
            assert_eq!(precise_bytes(text, scale), None, "{text}");
        }
    }

    #[test]
    fn unscaled_bytes_match_big_integer_to_byte_array() {
        assert_eq!(bytes("0"), vec![0]);
        assert_eq!(bytes("0.000"), vec![0]);
        assert_eq!(bytes("127"), vec![0x7f]);
        assert_eq!(bytes("128"), vec![0x00, 0x80]);
        assert_eq!(bytes("-128"), vec![0x80]);
        assert_eq!(bytes("-129"), vec![0xff, 0x7f]);
        assert_eq!(bytes("-256"), vec![0xff, 0x00]);
        assert_eq!(bytes("-1"), vec![0xff]);
        assert_eq!(bytes("255"), vec![0x00, 0xff]);
        assert_eq!(bytes("1.23"), vec![0x7b]);
        assert_eq!(bytes("12345678901234567890"), vec![0x00, 0xab, 0x54, 0xa9, 0x8c, 0xeb, 0x1f, 0x0a, 0xd2]);
        assert_eq!(bytes("-12345678901234567890"), vec![0xff, 0x54, 0xab, 0x56, 0x73, 0x14, 0xe0, 0xf5, 0x2e]);
    }

    #[test]
    fn thousand_digit_numbers_round_trip_through_weir_json() {
        let digits: String = (0..1000).map(|i| char::from(b'1' + (i % 9) as u8)).collect();
        for text in [digits.clone(), format!("-{digits}")] {
            let d = Decimal::parse(&text).unwrap();
            let mut out = String::new();
            weir_json::write_big_decimal(&mut out, &d.unscaled_bytes(), d.scale());
            assert_eq!(out, text);
        }
        let d = Decimal::parse("-98765432109876543210.0123456789").unwrap();
        let mut out = String::new();
        weir_json::write_big_decimal(&mut out, &d.unscaled_bytes(), d.scale());
        assert_eq!(out, "-98765432109876543210.0123456789");
    }

    #[test]
    fn parse_and_plain_strings_follow_big_decimal() {
        let plain = |t: &str| Decimal::parse(t).unwrap().to_plain_string();
        assert_eq!(plain("1.50"), "1.50");
        assert_eq!(plain("-0.005"), "-0.005");
        assert_eq!(plain(".5"), "0.5");
        assert_eq!(plain("1E+3"), "1000");
        assert_eq!(plain("1.2e-3"), "0.0012");
        assert_eq!(plain("-0.00"), "0.00");
        assert_eq!(Decimal::parse("1.2E+3").unwrap().scale(), -2);
        assert!(Decimal::parse("abc").is_err());
        assert!(Decimal::parse("1.2.3").is_err());
        assert!(Decimal::parse("-").is_err());
        assert!(Decimal::parse("1e").is_err());
    }

    #[test]
    fn scale_changes() {
        let d = Decimal::parse("1234.5").unwrap();
        assert_eq!(d.with_scale(2, Rounding::Unnecessary).unwrap().to_plain_string(), "1234.50");
        assert_eq!(d.with_scale(0, Rounding::Unnecessary), None);
        assert_eq!(d.with_scale(0, Rounding::HalfUp).unwrap().to_plain_string(), "1235");
        assert_eq!(d.with_scale(0, Rounding::Down).unwrap().to_plain_string(), "1234");
        let n = Decimal::parse("-0.995").unwrap();
        assert_eq!(n.with_scale(2, Rounding::HalfUp).unwrap().to_plain_string(), "-1.00");
        assert_eq!(n.with_scale(1, Rounding::HalfUp).unwrap().to_plain_string(), "-1.0");
        let small = Decimal::parse("0.004").unwrap();
        assert_eq!(small.with_scale(2, Rounding::HalfUp).unwrap().to_plain_string(), "0.00");
        assert_eq!(
            Decimal::parse("0.0005").unwrap().with_scale(2, Rounding::HalfUp).unwrap().to_plain_string(),
            "0.00"
        );
        assert_eq!(
            Decimal::parse("0").unwrap().with_scale(3, Rounding::Unnecessary).unwrap().to_plain_string(),
            "0.000"
        );
    }

    #[test]
    fn strip_trailing_zeros_like_java() {
        let strip = |t: &str| {
            let d = Decimal::parse(t).unwrap().strip_trailing_zeros();
            (d.to_plain_string(), d.scale())
        };
        assert_eq!(strip("1.500"), ("1.5".into(), 1));
        assert_eq!(strip("100"), ("100".into(), -2));
        assert_eq!(strip("0.000"), ("0".into(), 0));
    }

    #[test]
    fn doubles_and_modes() {
        let d = Decimal::parse("1.1").unwrap();
        assert_eq!(DecimalMode::Double.value(&d), Value::Float64(1.1));
        assert_eq!(DecimalMode::String.value(&d), Value::String("1.1".into()));
        assert_eq!(DecimalMode::Precise.value(&d), Value::Bytes(vec![11]));
        assert_eq!(DecimalMode::Precise.special_value(Special::NaN), None);
        assert_eq!(DecimalMode::String.special_value(Special::NaN), Some(Value::String("NAN".into())));
        assert_eq!(
            DecimalMode::String.special_value(Special::NegativeInfinity),
            Some(Value::String("NEGATIVE_INFINITY".into()))
        );
        assert!(matches!(DecimalMode::Double.special_value(Special::NaN), Some(Value::Float64(v)) if v.is_nan()));
        assert_eq!(DecimalMode::parse(" Precise"), Some(DecimalMode::Precise));
        assert_eq!(DecimalMode::parse("exact"), None);
    }

    #[test]
    fn schemas() {
        let s = DecimalMode::Precise.schema(10, 2);
        assert_eq!(s.name.as_deref(), Some(DECIMAL_NAME));
        assert_eq!(s.version, Some(1));
        assert_eq!(
            s.parameters,
            vec![("scale".to_string(), "2".to_string()), ("connect.decimal.precision".to_string(), "10".to_string())]
        );
        let v = variable_scale_decimal_schema();
        assert_eq!(v.name.as_deref(), Some(VARIABLE_SCALE_DECIMAL_NAME));
        assert_eq!(v.doc.as_deref(), Some("Variable scaled decimal"));
        assert_eq!(v.fields.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["scale", "value"]);
        assert_eq!(
            variable_scale_decimal_value(&Decimal::parse("-1.5").unwrap()),
            Value::Struct(vec![Value::Int32(1), Value::Bytes(vec![0xf1])])
        );
    }
}

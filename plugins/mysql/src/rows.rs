//! One column value of a rows event's image, by binlog column type and
//! TABLE_MAP metadata, into a `Cell`. Storage formats are MySQL's
//! `Field::pack` formats as `log_event_print_value` in `mysqlbinlog` reads
//! them: integers little-endian; the temporal "2" types and DECIMAL
//! big-endian packed.

use crate::binlog::{BinlogError, Reader};
use crate::cell::Cell;
use crate::jsonb;

/// Binlog column type codes (`enum_field_types`).
pub mod types {
    /// Old DECIMAL (before MySQL 5.0; not decodable).
    pub const DECIMAL: u8 = 0;
    /// TINYINT.
    pub const TINY: u8 = 1;
    /// SMALLINT.
    pub const SHORT: u8 = 2;
    /// INT.
    pub const LONG: u8 = 3;
    /// FLOAT.
    pub const FLOAT: u8 = 4;
    /// DOUBLE.
    pub const DOUBLE: u8 = 5;
    /// NULL type.
    pub const NULL: u8 = 6;
    /// TIMESTAMP before MySQL 5.6.4 (4 bytes, seconds).
    pub const TIMESTAMP: u8 = 7;
    /// BIGINT.
    pub const LONGLONG: u8 = 8;
    /// MEDIUMINT.
    pub const INT24: u8 = 9;
    /// DATE.
    pub const DATE: u8 = 10;
    /// TIME before MySQL 5.6.4 (3 bytes, `HHMMSS`).
    pub const TIME: u8 = 11;
    /// DATETIME before MySQL 5.6.4 (8 bytes, `YYYYMMDDhhmmss`).
    pub const DATETIME: u8 = 12;
    /// YEAR.
    pub const YEAR: u8 = 13;
    /// DATE's internal type (same storage as DATE).
    pub const NEWDATE: u8 = 14;
    /// VARCHAR / VARBINARY.
    pub const VARCHAR: u8 = 15;
    /// BIT.
    pub const BIT: u8 = 16;
    /// TIMESTAMP(fsp).
    pub const TIMESTAMP2: u8 = 17;
    /// DATETIME(fsp).
    pub const DATETIME2: u8 = 18;
    /// TIME(fsp).
    pub const TIME2: u8 = 19;
    /// JSON (MySQL binary JSON).
    pub const JSON: u8 = 245;
    /// DECIMAL.
    pub const NEWDECIMAL: u8 = 246;
    /// ENUM (as a STRING column's real type).
    pub const ENUM: u8 = 247;
    /// SET (as a STRING column's real type).
    pub const SET: u8 = 248;
    /// TINYBLOB.
    pub const TINY_BLOB: u8 = 249;
    /// MEDIUMBLOB.
    pub const MEDIUM_BLOB: u8 = 250;
    /// LONGBLOB.
    pub const LONG_BLOB: u8 = 251;
    /// BLOB / TEXT (all sizes in the binlog, by length-prefix bytes).
    pub const BLOB: u8 = 252;
    /// VARCHAR's old type.
    pub const VAR_STRING: u8 = 253;
    /// CHAR / BINARY (and ENUM/SET by real type).
    pub const STRING: u8 = 254;
    /// GEOMETRY.
    pub const GEOMETRY: u8 = 255;
}

use types::*;

/// Decodes one non-NULL value of column `column` with storage type
/// `real_type` (a STRING column's real type already resolved, see
/// `MapColumn::real_type`) and its TABLE_MAP metadata.
pub(crate) fn decode_value(r: &mut Reader<'_>, column: usize, real_type: u8, meta: u16) -> Result<Cell, BinlogError> {
    let bad = |reason: String| BinlogError::BadValue { column, column_type: real_type, meta, reason };
    let lift = |e: Bad| match e {
        Bad::Msg(m) => bad(m.into()),
        Bad::Io(e) => e,
    };
    Ok(match real_type {
        TINY => Cell::Int(i64::from(r.u8()? as i8)),
        SHORT => Cell::Int(i64::from(r.u16()? as i16)),
        INT24 => Cell::Int(sign_extend(r.uint_le(3)?, 24)),
        LONG => Cell::Int(i64::from(r.u32()? as i32)),
        LONGLONG => Cell::Int(r.u64()? as i64),
        FLOAT => Cell::Float(f32::from_le_bytes(r.array()?)),
        DOUBLE => Cell::Double(f64::from_le_bytes(r.array()?)),
        NEWDECIMAL => {
            let (precision, scale) = ((meta >> 8) as u8, (meta & 0xff) as u8);
            let size = decimal_bin_size(precision, scale).map_err(|e| bad(e.into()))?;
            Cell::Decimal(decimal_text(r.take(size)?, precision, scale).map_err(|e| bad(e.into()))?)
        }
        YEAR => match r.u8()? {
            0 => Cell::Year(0),
            y => Cell::Year(1900 + u16::from(y)),
        },
        DATE | NEWDATE => {
            let v = r.uint_le(3)?;
            Cell::Date { year: (v >> 9) as u16, month: ((v >> 5) & 15) as u8, day: (v & 31) as u8 }
        }
        TIME => {
            let v = sign_extend(r.uint_le(3)?, 24);
            let a = v.abs();
            let secs = (a / 10000) * 3600 + (a % 10000 / 100) * 60 + a % 100;
            Cell::Time(v.signum() * secs * 1_000_000)
        }
        TIME2 => Cell::Time(time2(r, meta).map_err(lift)?),
        DATETIME => {
            let v = r.u64()?;
            let (d, t) = (v / 1_000_000, v % 1_000_000);
            Cell::DateTime {
                year: (d / 10000).min(u64::from(u16::MAX)) as u16,
                month: (d % 10000 / 100) as u8,
                day: (d % 100) as u8,
                hour: (t / 10000) as u8,
                minute: (t % 10000 / 100) as u8,
                second: (t % 100) as u8,
                micros: 0,
            }
        }
        DATETIME2 => {
            let int_part = r.uint_be(5)? as i64 - 0x80_0000_0000;
            let micros = frac(r, meta).map_err(lift)?;
            if int_part < 0 {
                return Err(bad("negative DATETIME".into()));
            }
            let ymd = int_part >> 17;
            let ym = ymd >> 5;
            let hms = int_part & 0x1ffff;
            Cell::DateTime {
                year: (ym / 13) as u16,
                month: (ym % 13) as u8,
                day: (ymd & 31) as u8,
                hour: (hms >> 12) as u8,
                minute: ((hms >> 6) & 63) as u8,
                second: (hms & 63) as u8,
                micros,
            }
        }
        TIMESTAMP => Cell::Timestamp { seconds: i64::from(r.u32()?), micros: 0 },
        TIMESTAMP2 => {
            let seconds = r.uint_be(4)? as i64;
            let micros = frac(r, meta).map_err(lift)?;
            Cell::Timestamp { seconds, micros }
        }
        VARCHAR | VAR_STRING => {
            let len = if meta < 256 { r.u8()? as usize } else { r.u16()? as usize };
            Cell::Bytes(r.take(len)?.to_vec())
        }
        STRING => {
            // Max length in bytes, with MySQL's extra high bits in byte 0.
            let byte0 = meta >> 8;
            let max_len = if meta >= 256 { (meta & 0xff) | (((byte0 & 0x30) ^ 0x30) << 4) } else { meta };
            let len = if max_len < 256 { r.u8()? as usize } else { r.u16()? as usize };
            Cell::Bytes(r.take(len)?.to_vec())
        }
        ENUM => match meta & 0xff {
            1 => Cell::Enum(u16::from(r.u8()?)),
            2 => Cell::Enum(r.u16()?),
            n => return Err(bad(format!("ENUM of {n} bytes"))),
        },
        SET => match meta & 0xff {
            n @ 1..=8 => Cell::Set(r.uint_le(n as usize)?),
            n => return Err(bad(format!("SET of {n} bytes"))),
        },
        BIT => {
            let nbits = usize::from(meta >> 8) * 8 + usize::from(meta & 0xff);
            Cell::Bit(r.take(nbits.div_ceil(8))?.to_vec())
        }
        BLOB | TINY_BLOB | MEDIUM_BLOB | LONG_BLOB | GEOMETRY => {
            let len = length_prefix(r, meta).map_err(lift)?;
            Cell::Bytes(r.take(len)?.to_vec())
        }
        JSON => {
            let len = length_prefix(r, meta).map_err(lift)?;
            let doc = r.take(len)?;
            // MySQL writes an empty value for JSON null set by some paths;
            // Debezium emits it as null (nullable column) or "{}" — left to
            // the type mapping, which knows nullability: empty text here.
            if doc.is_empty() {
                Cell::Json(String::new())
            } else {
                Cell::Json(jsonb::to_text(doc).map_err(|e| bad(e.to_string()))?)
            }
        }
        other => return Err(bad(format!("unsupported column type {other}"))),
    })
}

/// An error from a helper: a reader error passes through, a message
/// becomes `BadValue` with the column's context.
enum Bad {
    Msg(&'static str),
    Io(BinlogError),
}

impl From<BinlogError> for Bad {
    fn from(e: BinlogError) -> Self {
        Bad::Io(e)
    }
}

fn sign_extend(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

fn length_prefix(r: &mut Reader<'_>, meta: u16) -> Result<usize, Bad> {
    match meta {
        1..=4 => Ok(r.uint_le(usize::from(meta))? as usize),
        _ => Err(Bad::Msg("length prefix must be 1 to 4 bytes")),
    }
}

/// Fractional seconds after a temporal "2" value, in microseconds.
fn frac(r: &mut Reader<'_>, fsp: u16) -> Result<u32, Bad> {
    Ok(match fsp {
        0 => 0,
        1 | 2 => r.u8()? as u32 * 10_000,
        3 | 4 => r.uint_be(2)? as u32 * 100,
        5 | 6 => r.uint_be(3)? as u32,
        _ => return Err(Bad::Msg("fractional-second precision above 6")),
    })
}

/// TIME(fsp) as signed microseconds: MySQL's `my_time_packed_from_binary`
/// layout (3 bytes offset by 0x800000, sign in the offset) where a negative
/// value with fraction borrows one second from the integer part.
fn time2(r: &mut Reader<'_>, fsp: u16) -> Result<i64, Bad> {
    const INT_OFS: i64 = 0x80_0000;
    let packed = match fsp {
        0 => (r.uint_be(3)? as i64 - INT_OFS) << 24,
        1 | 2 => {
            let mut int_part = r.uint_be(3)? as i64 - INT_OFS;
            let mut frac = i64::from(r.u8()?);
            if int_part < 0 && frac != 0 {
                int_part += 1;
                frac -= 0x100;
            }
            (int_part << 24) + frac * 10_000
        }
        3 | 4 => {
            let mut int_part = r.uint_be(3)? as i64 - INT_OFS;
            let mut frac = r.uint_be(2)? as i64;
            if int_part < 0 && frac != 0 {
                int_part += 1;
                frac -= 0x10000;
            }
            (int_part << 24) + frac * 100
        }
        5 | 6 => r.uint_be(6)? as i64 - 0x8000_0000_0000,
        _ => return Err(Bad::Msg("fractional-second precision above 6")),
    };
    let a = packed.abs();
    let hms = a >> 24;
    let secs = ((hms >> 12) % 1024) * 3600 + ((hms >> 6) % 64) * 60 + hms % 64;
    let micros = secs * 1_000_000 + a % (1 << 24);
    Ok(if packed < 0 { -micros } else { micros })
}

const DIG_PER_DEC: usize = 9;
const DIG_TO_BYTES: [usize; 10] = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4];
const POW10: [u32; 10] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000];

/// Bytes of a DECIMAL(precision, scale) in MySQL's binary format.
pub(crate) fn decimal_bin_size(precision: u8, scale: u8) -> Result<usize, &'static str> {
    if precision == 0 || precision > 65 || scale > 30 || scale > precision {
        return Err("DECIMAL precision/scale out of range");
    }
    let (intg, frac) = (usize::from(precision - scale), usize::from(scale));
    Ok((intg / DIG_PER_DEC) * 4
        + DIG_TO_BYTES[intg % DIG_PER_DEC]
        + (frac / DIG_PER_DEC) * 4
        + DIG_TO_BYTES[frac % DIG_PER_DEC])
}

/// Renders MySQL's binary DECIMAL (`decimal2bin`: groups of 9 digits in 4
/// big-endian bytes, partial groups in fewer bytes, the integer part's
/// leading group first; sign bit flipped; negatives bitwise inverted) as
/// plain text with exactly `scale` fraction digits, e.g. `-12.340`.
pub(crate) fn decimal_text(bytes: &[u8], precision: u8, scale: u8) -> Result<String, &'static str> {
    let size = decimal_bin_size(precision, scale)?;
    if bytes.len() < size {
        return Err("DECIMAL value shorter than its precision needs");
    }
    let negative = bytes.first().is_some_and(|b| b & 0x80 == 0);
    let mask: u8 = if negative { 0xff } else { 0 };
    let mut pos = 0usize;
    // Reads one group of `digits` digits.
    let mut group = |digits: usize| -> Result<u32, &'static str> {
        let n = DIG_TO_BYTES[digits];
        let mut v: u32 = 0;
        for i in 0..n {
            let mut b = bytes.get(pos + i).copied().unwrap_or(0) ^ mask;
            if pos + i == 0 {
                b ^= 0x80;
            }
            v = (v << 8) | u32::from(b);
        }
        pos += n;
        if v >= POW10[digits] {
            return Err("DECIMAL digit group out of range");
        }
        Ok(v)
    };
    let (intg, frac) = (usize::from(precision - scale), usize::from(scale));
    let mut out = String::with_capacity(usize::from(precision) + 3);
    if negative {
        out.push('-');
    }
    let mut started = false;
    let mut nonzero = false;
    let lead = intg % DIG_PER_DEC;
    let full = intg / DIG_PER_DEC;
    for g in 0..full + usize::from(lead > 0) {
        let v = group(if lead > 0 && g == 0 { lead } else { DIG_PER_DEC })?;
        if started {
            weir_json::write_u32(&mut out, v, DIG_PER_DEC);
        } else if v != 0 {
            weir_json::write_u32(&mut out, v, 0);
            started = true;
        }
        nonzero |= v != 0;
    }
    if !started {
        out.push('0');
    }
    if frac > 0 {
        out.push('.');
        for _ in 0..frac / DIG_PER_DEC {
            let v = group(DIG_PER_DEC)?;
            nonzero |= v != 0;
            weir_json::write_u32(&mut out, v, DIG_PER_DEC);
        }
        let tail = frac % DIG_PER_DEC;
        if tail > 0 {
            let v = group(tail)?;
            nonzero |= v != 0;
            weir_json::write_u32(&mut out, v, tail);
        }
    }
    if negative && !nonzero {
        out.remove(0);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes one value that must use all of `bytes`.
    fn value(real_type: u8, meta: u16, bytes: &[u8]) -> Result<Cell, BinlogError> {
        let mut r = Reader::new(bytes, 30);
        let cell = decode_value(&mut r, 0, real_type, meta)?;
        assert_eq!(r.remaining(), 0, "type {real_type} left bytes");
        Ok(cell)
    }

    fn ok(real_type: u8, meta: u16, bytes: &[u8]) -> Cell {
        value(real_type, meta, bytes).unwrap()
    }

    #[test]
    fn integers_are_sign_extended() {
        assert_eq!(ok(TINY, 0, &[0xff]), Cell::Int(-1));
        assert_eq!(ok(TINY, 0, &[0x7f]), Cell::Int(127));
        assert_eq!(ok(SHORT, 0, &[0x00, 0x80]), Cell::Int(-32768));
        assert_eq!(ok(INT24, 0, &[0xff, 0xff, 0x7f]), Cell::Int(8_388_607));
        assert_eq!(ok(INT24, 0, &[0xff, 0xff, 0xff]), Cell::Int(-1));
        assert_eq!(ok(LONG, 0, &[0xff; 4]), Cell::Int(-1));
        assert_eq!(ok(LONGLONG, 0, &[0xff; 8]), Cell::Int(-1)); // BIGINT UNSIGNED max
        assert_eq!(ok(LONGLONG, 0, &i64::MIN.to_le_bytes()), Cell::Int(i64::MIN));
        assert_eq!(ok(FLOAT, 4, &1.5f32.to_le_bytes()), Cell::Float(1.5));
        assert_eq!(ok(DOUBLE, 8, &(-2.25f64).to_le_bytes()), Cell::Double(-2.25));
    }

    #[test]
    fn decimals() {
        let d = |p: u16, s: u16, b: &[u8]| ok(NEWDECIMAL, p << 8 | s, b);
        assert_eq!(d(5, 2, &[0x80, 0x00, 0x32]), Cell::Decimal("0.50".into()));
        assert_eq!(d(5, 2, &[0x7f, 0xff, 0xcd]), Cell::Decimal("-0.50".into()));
        // 1234567890.123456789: one leading digit in 1 byte, 9 in 4, 9 in 4.
        let b = [0x81, 0x0d, 0xfb, 0x38, 0xd2, 0x07, 0x5b, 0xcd, 0x15];
        assert_eq!(d(19, 9, &b), Cell::Decimal("1234567890.123456789".into()));
        let neg: Vec<u8> = b.iter().map(|x| x ^ 0xff).collect();
        assert_eq!(d(19, 9, &neg), Cell::Decimal("-1234567890.123456789".into()));
        // -12.340 as DECIMAL(10,3): 7 integer digits in 4 bytes, 3 fraction in 2.
        let pos = [0x80, 0x00, 0x00, 0x0c, 0x01, 0x54];
        let neg: Vec<u8> = pos.iter().map(|x| x ^ 0xff).collect();
        assert_eq!(d(10, 3, &neg), Cell::Decimal("-12.340".into()));
        assert_eq!(d(4, 0, &[0x80, 0x00]), Cell::Decimal("0".into()));
        // 10 digits in a whole group and a leading one: 1000000000.
        assert_eq!(d(10, 0, &[0x81, 0, 0, 0, 0]), Cell::Decimal("1000000000".into()));
        // Negative zero prints unsigned.
        assert_eq!(d(5, 2, &[0x7f, 0xff, 0xff]), Cell::Decimal("0.00".into()));
        // A two-digit group holding 127.
        assert!(matches!(value(NEWDECIMAL, 2 << 8, &[0xff]), Err(BinlogError::BadValue { column: 0, .. })));
        assert!(matches!(value(NEWDECIMAL, 70 << 8, &[0; 40]), Err(BinlogError::BadValue { .. })));
    }

    #[test]
    fn temporal_types() {
        assert_eq!(ok(YEAR, 0, &[0]), Cell::Year(0));
        assert_eq!(ok(YEAR, 0, &[124]), Cell::Year(2024));
        let date = (2024u32 << 9) | (2 << 5) | 29;
        assert_eq!(ok(DATE, 0, &date.to_le_bytes()[..3]), Cell::Date { year: 2024, month: 2, day: 29 });
        assert_eq!(ok(NEWDATE, 0, &[0, 0, 0]), Cell::Date { year: 0, month: 0, day: 0 });
        // Old TIME: -12:34:56 as the signed number -123456.
        assert_eq!(ok(TIME, 0, &(-123_456i32).to_le_bytes()[..3]), Cell::Time(-45_296_000_000));
        let old_dt = 20_240_229_235_959u64;
        assert_eq!(
            ok(DATETIME, 0, &old_dt.to_le_bytes()),
            Cell::DateTime { year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59, micros: 0 }
        );
        assert_eq!(
            ok(TIMESTAMP, 0, &1_700_000_000u32.to_le_bytes()),
            Cell::Timestamp { seconds: 1_700_000_000, micros: 0 }
        );
        // TIMESTAMP(3): 4 seconds bytes, then 2 bytes of 1/10000 s.
        let mut ts = 1_704_067_200u32.to_be_bytes().to_vec();
        ts.extend_from_slice(&1230u16.to_be_bytes());
        assert_eq!(ok(TIMESTAMP2, 3, &ts), Cell::Timestamp { seconds: 1_704_067_200, micros: 123_000 });
        assert_eq!(ok(TIMESTAMP2, 0, &[0, 0, 0, 0]), Cell::Timestamp { seconds: 0, micros: 0 });
        // TIME(4) 12:00:00.1234 and -00:00:01.5 (the fraction borrows a second).
        assert_eq!(ok(TIME2, 4, &[0x80, 0xc0, 0x00, 0x04, 0xd2]), Cell::Time(43_200_123_400));
        assert_eq!(ok(TIME2, 4, &[0x7f, 0xff, 0xfe, 0xec, 0x78]), Cell::Time(-1_500_000));
        assert_eq!(ok(TIME2, 0, &[0x80, 0x00, 0x00]), Cell::Time(0));
        // TIME(6) -00:00:00.000001: 6 bytes offset by 0x800000000000.
        assert_eq!(ok(TIME2, 6, &[0x7f, 0xff, 0xff, 0xff, 0xff, 0xff]), Cell::Time(-1));
        // DATETIME(6) 2024-02-29 23:59:59.999999.
        let ym = 2024i64 * 13 + 2;
        let packed = (((ym << 5) | 29) << 17) | (23 << 12) | (59 << 6) | 59;
        let mut dt = ((packed + 0x80_0000_0000) as u64).to_be_bytes()[3..].to_vec();
        dt.extend_from_slice(&999_999u32.to_be_bytes()[1..]);
        assert_eq!(
            ok(DATETIME2, 6, &dt),
            Cell::DateTime { year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59, micros: 999_999 }
        );
        // DATETIME(1) zero with a one-byte fraction.
        assert_eq!(
            ok(DATETIME2, 1, &[0x80, 0, 0, 0, 0, 5]),
            Cell::DateTime { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, micros: 50_000 }
        );
        assert!(matches!(value(TIME2, 7, &[0x80, 0, 0, 0, 0]), Err(BinlogError::BadValue { .. })));
    }

    #[test]
    fn strings_enums_sets_bits_blobs() {
        assert_eq!(ok(VARCHAR, 20, b"\x03abc"), Cell::Bytes(b"abc".to_vec()));
        let mut long = 300u16.to_le_bytes().to_vec();
        long.extend_from_slice(&[b'y'; 300]);
        assert_eq!(ok(VARCHAR, 1200, &long), Cell::Bytes(vec![b'y'; 300]));
        // CHAR(255) utf8mb4: max 1020 bytes, so a 2-byte length.
        assert_eq!(ok(STRING, 0xcefc, &long), Cell::Bytes(vec![b'y'; 300]));
        assert_eq!(ok(STRING, 0xfe14, b"\x02ab"), Cell::Bytes(b"ab".to_vec()));
        assert_eq!(ok(ENUM, 0xf701, &[3]), Cell::Enum(3));
        assert_eq!(ok(ENUM, 0xf702, &300u16.to_le_bytes()), Cell::Enum(300));
        assert_eq!(ok(SET, 0xf808, &[0xff; 8]), Cell::Set(u64::MAX));
        assert_eq!(ok(SET, 0xf803, &[1, 0, 0x80]), Cell::Set(0x80_0001));
        // BIT(17): 2 whole bytes and 1 bit: 3 bytes.
        assert_eq!(ok(BIT, 2 << 8 | 1, &[1, 2, 3]), Cell::Bit(vec![1, 2, 3]));
        assert_eq!(ok(BIT, 1, &[1]), Cell::Bit(vec![1]));
        assert_eq!(ok(BLOB, 3, &[2, 0, 0, 9, 8]), Cell::Bytes(vec![9, 8]));
        assert_eq!(ok(BLOB, 1, &[0]), Cell::Bytes(vec![]));
        assert_eq!(ok(GEOMETRY, 4, &[1, 0, 0, 0, 7]), Cell::Bytes(vec![7]));
        assert!(matches!(value(BLOB, 5, &[0; 6]), Err(BinlogError::BadValue { .. })));
        assert!(matches!(value(DECIMAL, 0, &[0]), Err(BinlogError::BadValue { column_type: DECIMAL, .. })));
        assert!(matches!(value(VARCHAR, 20, b"\x05ab"), Err(BinlogError::Truncated { offset: 1, wanted: 5, .. })));
    }

    #[test]
    fn json_columns() {
        assert_eq!(ok(JSON, 4, &[0, 0, 0, 0]), Cell::Json(String::new()));
        let doc = [0x00, 0x01, 0x00, 0x0c, 0x00, 0x0b, 0x00, 0x01, 0x00, 0x05, 0x01, 0x00, 0x61];
        let mut v = (doc.len() as u32).to_le_bytes().to_vec();
        v.extend_from_slice(&doc);
        assert_eq!(ok(JSON, 4, &v), Cell::Json(r#"{"a":1}"#.into()));
        v[4] = 0x0d;
        assert!(matches!(value(JSON, 4, &v), Err(BinlogError::BadValue { column_type: JSON, .. })));
    }
}

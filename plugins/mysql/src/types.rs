//! MySQL / MariaDB column types → Debezium's Connect schemas and values.
//!
//! Binlog row images and snapshot result sets both arrive here as a
//! [`Cell`]: the binlog decoder builds cells from row images, and
//! [`text_cell`] builds them from the text protocol, so one conversion
//! serves both. Each rule mirrors Debezium 3.1's `BinlogValueConverters`
//! (with `JdbcValueConverters` underneath, `MariaDbValueConverters` for
//! MariaDB's UUID) and `BinlogDefaultValueConverter` for column defaults,
//! so events are indistinguishable from Debezium's.
//!
//! Where Debezium's snapshot (JDBC) and streaming (binlog client) paths
//! disagree, [`value`] gives the streaming result and [`snapshot_value`]
//! the snapshot's.

use weir_debezium::binary::BinaryMode;
use weir_debezium::decimal::{self, Decimal, DecimalMode, Rounding};
use weir_debezium::temporal::{self, TimePrecision, days_from_civil};
use weir_sdk::{Schema, SchemaType, Value};

use crate::catalog::{ColumnDef, ColumnType};
use crate::cell::Cell;

const MICROS_PER_DAY: i64 = 86_400_000_000;
/// `GEOMETRYCOLLECTION EMPTY` as WKB: Debezium's stand-in geometry
/// (`BinlogGeometry.createEmpty`).
const EMPTY_GEOMETRY_WKB: [u8; 9] = [0x01, 0x07, 0, 0, 0, 0, 0, 0, 0];

/// Per-connector conversion settings (decimal.handling.mode,
/// time.precision.mode, bigint.unsigned.handling.mode,
/// binary.handling.mode, enable.time.adjuster, include.schema.comments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modes {
    /// `decimal.handling.mode` (default `precise`).
    pub decimal: DecimalMode,
    /// `time.precision.mode` (default `adaptive_time_microseconds`; MySQL
    /// rejects `adaptive` at validation, which is not this module's job).
    pub time: TimePrecision,
    /// `bigint.unsigned.handling.mode` (default `long`).
    pub bigint_unsigned: BigIntUnsignedMode,
    /// `binary.handling.mode` (default `bytes`).
    pub binary: BinaryMode,
    /// `enable.time.adjuster` (default true): DATE/DATETIME years 0-69
    /// become 2000-2069 and 70-99 become 1970-1999.
    pub time_adjuster: bool,
    /// `include.schema.comments` (default false): column comments become
    /// the field schema's `doc`.
    pub include_comments: bool,
}

impl Default for Modes {
    fn default() -> Self {
        Self {
            decimal: DecimalMode::Precise,
            time: TimePrecision::AdaptiveTimeMicroseconds,
            bigint_unsigned: BigIntUnsignedMode::Long,
            binary: BinaryMode::Bytes,
            time_adjuster: true,
            include_comments: false,
        }
    }
}

/// Debezium's `bigint.unsigned.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BigIntUnsignedMode {
    /// `int64`; values above `i64::MAX` wrap negative (the default).
    #[default]
    Long,
    /// Connect `Decimal` with scale 0 and precision 20.
    Precise,
}

impl BigIntUnsignedMode {
    /// Parses `long` or `precise`, case-insensitively.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "long" => Some(Self::Long),
            "precise" => Some(Self::Precise),
            _ => None,
        }
    }
}

/// A column value that could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot convert value of column `{column}` (type {type_name}): {reason}")]
pub struct TypeError {
    /// The column.
    pub column: String,
    /// Its type name.
    pub type_name: String,
    /// What was wrong.
    pub reason: String,
}

/// The Connect schema Debezium gives this column: optional unless NOT
/// NULL (geometries always optional, as Debezium's builder makes them),
/// with `default` when the column's DEFAULT converts to a value
/// (`BinlogDefaultValueConverter`), and the comment as `doc` under
/// `include.schema.comments`.
pub fn column_schema(col: &ColumnDef, modes: &Modes) -> Schema {
    let kind = kind_of(col);
    let mut schema = kind_schema(&kind, modes);
    schema.optional = schema.optional || col.nullable;
    if modes.include_comments {
        schema.doc = col.comment.clone();
    }
    schema.default_json = default_value(col, modes).and_then(|v| v.to_default_json());
    schema
}

/// The Connect value of a cell as Debezium's streaming (binlog) path makes
/// it. A NULL cell in a NOT NULL column (MySQL's zero dates) becomes the
/// schema default or the type's fallback (`JdbcValueConverters.convertValue`).
pub fn value(col: &ColumnDef, cell: &Cell, modes: &Modes) -> Result<Value, TypeError> {
    convert(col, cell, modes, false)
}

/// As [`value`], for a cell read by the snapshot. Debezium's JDBC path
/// differs from its binlog path in two places: TIMESTAMP strings drop
/// trailing fraction zeros instead of padding to the column's precision
/// (JDBC hands `ZonedTimestamp` a `java.sql.Timestamp`), and a DATE or
/// DATETIME whose year alone is zero is a real date (then moved to 2000 by
/// the time adjuster) rather than a zero date.
pub fn snapshot_value(col: &ColumnDef, cell: &Cell, modes: &Modes) -> Result<Value, TypeError> {
    convert(col, cell, modes, true)
}

/// The value Debezium puts for a NOT NULL column whose value is missing:
/// the schema default, else the type's fallback (`0`, `""`, epoch...).
/// Null for nullable columns.
pub fn missing_value(col: &ColumnDef, modes: &Modes) -> Value {
    if col.nullable {
        return Value::Null;
    }
    default_value(col, modes).unwrap_or_else(|| fallback(&kind_of(col), modes))
}

/// Parses one non-NULL value of MySQL's text protocol (what `SELECT *`
/// returns) into the cell the binlog path yields for the same value.
///
/// Expectations of the snapshot session: `time_zone='+00:00'` (TIMESTAMP
/// text is UTC), and character data in the column's own character set
/// (`character_set_results = NULL`; for utf8/utf8mb4 columns any UTF-8
/// result set is the same). A zero TIMESTAMP becomes [`Cell::Null`], as
/// Debezium's JDBC connection (`zeroDateTimeBehavior=CONVERT_TO_NULL`)
/// reads it.
pub fn text_cell(col: &ColumnDef, text: &[u8]) -> Result<Cell, TypeError> {
    let err =
        |reason: &str| error(col, format!("{reason}: {:?}", String::from_utf8_lossy(&text[..text.len().min(100)])));
    let utf8 = || std::str::from_utf8(text).map(str::trim).map_err(|_| err("not ASCII text"));
    Ok(match col.ty {
        ColumnType::Boolean
        | ColumnType::TinyInt
        | ColumnType::SmallInt
        | ColumnType::MediumInt
        | ColumnType::Int
        | ColumnType::BigInt => {
            let s = utf8()?;
            match s.parse::<i64>() {
                Ok(v) => Cell::Int(v),
                // BIGINT UNSIGNED above i64::MAX: the binlog's sign-extended bits.
                Err(_) => Cell::Int(s.parse::<u64>().map_err(|_| err("not an integer"))? as i64),
            }
        }
        ColumnType::Float => Cell::Float(utf8()?.parse().map_err(|_| err("not a float"))?),
        ColumnType::Double => Cell::Double(utf8()?.parse().map_err(|_| err("not a double"))?),
        ColumnType::Decimal => {
            // Checked where it converts, once.
            Cell::Decimal(utf8()?.to_string())
        }
        ColumnType::Bit => Cell::Bit(text.to_vec()),
        ColumnType::Year => Cell::Year(utf8()?.parse().map_err(|_| err("not a year"))?),
        ColumnType::Date => {
            let (year, month, day) = parse_date_parts(utf8()?).ok_or_else(|| err("not a date"))?;
            Cell::Date { year, month, day }
        }
        ColumnType::Time => Cell::Time(parse_time_text(utf8()?).ok_or_else(|| err("not a time"))?),
        ColumnType::DateTime => {
            let p = parse_datetime_text(utf8()?).ok_or_else(|| err("not a datetime"))?;
            Cell::DateTime {
                year: p.year,
                month: p.month,
                day: p.day,
                hour: p.hour,
                minute: p.minute,
                second: p.second,
                micros: p.micros,
            }
        }
        ColumnType::Timestamp => {
            let p = parse_datetime_text(utf8()?).ok_or_else(|| err("not a timestamp"))?;
            if p.month == 0 || p.day == 0 {
                return Ok(Cell::Null);
            }
            let days = days_from_civil(i64::from(p.year), u32::from(p.month), u32::from(p.day));
            let seconds = days * 86_400 + i64::from(p.hour) * 3600 + i64::from(p.minute) * 60 + i64::from(p.second);
            Cell::Timestamp { seconds, micros: p.micros }
        }
        ColumnType::Json => Cell::Json(String::from_utf8_lossy(text).into_owned()),
        ColumnType::Uuid => Cell::Bytes(parse_uuid(utf8()?).ok_or_else(|| err("not a UUID"))?.to_vec()),
        ColumnType::Inet4 => Cell::Bytes(parse_inet4(utf8()?).ok_or_else(|| err("not an IPv4 address"))?.to_vec()),
        ColumnType::Inet6 => Cell::Bytes(parse_inet6(utf8()?).ok_or_else(|| err("not an IPv6 address"))?.to_vec()),
        ColumnType::Char
        | ColumnType::VarChar
        | ColumnType::Binary
        | ColumnType::VarBinary
        | ColumnType::TinyText
        | ColumnType::Text
        | ColumnType::MediumText
        | ColumnType::LongText
        | ColumnType::TinyBlob
        | ColumnType::Blob
        | ColumnType::MediumBlob
        | ColumnType::LongBlob
        | ColumnType::Enum
        | ColumnType::Set
        | ColumnType::Geometry => Cell::Bytes(text.to_vec()),
    })
}

fn error(col: &ColumnDef, reason: impl Into<String>) -> TypeError {
    TypeError { column: col.name.clone(), type_name: col.type_name.clone(), reason: reason.into() }
}

/// What a column converts as ([`kind_of`] once per table, not per cell).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Bool,
    /// Storage width in bytes (1, 2, 3, 4, 8) and signedness.
    Int {
        width: u8,
        unsigned: bool,
    },
    Float32,
    Float64,
    Decimal {
        precision: u32,
        scale: i32,
    },
    /// Character data in a character set.
    Text(Option<String>),
    /// Binary data; BINARY(n) values are right-padded with zeros to `n`.
    Binary(Option<u32>),
    Bits(u32),
    Enum(Vec<String>),
    Set(Vec<String>),
    Json,
    Year,
    Date,
    Time(i32),
    DateTime(i32),
    Timestamp(i32),
    Point,
    Geometry,
    Uuid,
    Inet4,
    Inet6,
}

/// The type name without modifiers: `FLOAT UNSIGNED ZEROFILL` → `FLOAT`.
fn base_type_name(col: &ColumnDef) -> String {
    let upper = col.type_name.to_ascii_uppercase();
    let name = upper.split('(').next().unwrap_or("").trim().to_string();
    let mut name = name.as_str();
    for suffix in [" ZEROFILL", " UNSIGNED", " SIGNED"] {
        name = name.strip_suffix(suffix).unwrap_or(name).trim_end();
    }
    name.to_string()
}

pub(crate) fn kind_of(col: &ColumnDef) -> Kind {
    // A length of -1 (none) is what Debezium compares precisions against.
    let length = col.length.map_or(-1, |l| i32::try_from(l).unwrap_or(i32::MAX));
    match col.ty {
        ColumnType::Boolean => Kind::Bool,
        ColumnType::Bit if col.length.unwrap_or(1) <= 1 => Kind::Bool,
        ColumnType::Bit => Kind::Bits(col.length.unwrap_or(1)),
        ColumnType::TinyInt => Kind::Int { width: 1, unsigned: col.unsigned },
        ColumnType::SmallInt => Kind::Int { width: 2, unsigned: col.unsigned },
        ColumnType::MediumInt => Kind::Int { width: 3, unsigned: col.unsigned },
        ColumnType::Int => Kind::Int { width: 4, unsigned: col.unsigned },
        ColumnType::BigInt => Kind::Int { width: 8, unsigned: col.unsigned },
        ColumnType::Float | ColumnType::Double => {
            // BinlogValueConverters: FLOAT (by that name) without a scale and
            // with p <= 24 is float32; JDBC's REAL is float32; FLOAT(M,D),
            // FLOAT4, DOUBLE and friends are JDBC FLOAT/DOUBLE → float64.
            let name = base_type_name(col);
            if name == "REAL" || (name == "FLOAT" && col.scale.is_none() && length <= 24) {
                Kind::Float32
            } else {
                Kind::Float64
            }
        }
        // DECIMAL without dimensions is DECIMAL(10,0) (Debezium's DDL defaults).
        ColumnType::Decimal => Kind::Decimal {
            precision: col.length.unwrap_or(10),
            scale: col.scale.map_or(0, |s| i32::try_from(s).unwrap_or(i32::MAX)),
        },
        ColumnType::Char
        | ColumnType::VarChar
        | ColumnType::TinyText
        | ColumnType::Text
        | ColumnType::MediumText
        | ColumnType::LongText => Kind::Text(col.charset.clone()),
        ColumnType::Binary => Kind::Binary(col.length.or(Some(1))),
        ColumnType::VarBinary
        | ColumnType::TinyBlob
        | ColumnType::Blob
        | ColumnType::MediumBlob
        | ColumnType::LongBlob => Kind::Binary(None),
        ColumnType::Enum => Kind::Enum(col.values.clone()),
        ColumnType::Set => Kind::Set(col.values.clone()),
        ColumnType::Json => Kind::Json,
        ColumnType::Year => Kind::Year,
        ColumnType::Date => Kind::Date,
        ColumnType::Time => Kind::Time(length),
        ColumnType::DateTime => Kind::DateTime(length),
        ColumnType::Timestamp => Kind::Timestamp(length),
        ColumnType::Geometry if base_type_name(col) == "POINT" => Kind::Point,
        ColumnType::Geometry => Kind::Geometry,
        ColumnType::Uuid => Kind::Uuid,
        ColumnType::Inet4 => Kind::Inet4,
        ColumnType::Inet6 => Kind::Inet6,
    }
}

fn named(schema: Schema, name: &str) -> Schema {
    schema.named(name).version(1)
}

fn kind_schema(kind: &Kind, modes: &Modes) -> Schema {
    match kind {
        Kind::Bool => Schema::boolean(),
        // TINYINT is JDBC SMALLINT to Debezium's DDL parser; UNSIGNED
        // widens SMALLINT to int32 and INT to int64 (BinlogValueConverters).
        Kind::Int { width: 1 | 2, unsigned: false } | Kind::Int { width: 1, unsigned: true } => {
            Schema::of(SchemaType::Int16)
        }
        Kind::Int { width: 3 | 4, unsigned: false } | Kind::Int { width: 2 | 3, unsigned: true } => Schema::int32(),
        Kind::Int { width: 8, unsigned: true } if modes.bigint_unsigned == BigIntUnsignedMode::Precise => {
            // Always a Decimal, whatever decimal.handling.mode says.
            DecimalMode::Precise.schema(20, 0)
        }
        Kind::Int { .. } => Schema::int64(),
        Kind::Float32 => Schema::of(SchemaType::Float32),
        Kind::Float64 => Schema::float64(),
        Kind::Decimal { precision, scale } => modes.decimal.schema(*precision, *scale),
        Kind::Text(_) | Kind::Inet4 | Kind::Inet6 => Schema::string(),
        Kind::Binary(_) => modes.binary.schema(),
        Kind::Bits(length) => named(Schema::bytes(), "io.debezium.data.Bits").parameter("length", length.to_string()),
        Kind::Enum(values) => named(Schema::string(), "io.debezium.data.Enum").parameter("allowed", values.join(",")),
        Kind::Set(values) => named(Schema::string(), "io.debezium.data.EnumSet").parameter("allowed", values.join(",")),
        Kind::Json => named(Schema::string(), "io.debezium.data.Json"),
        Kind::Uuid => named(Schema::string(), "io.debezium.data.Uuid"),
        Kind::Year => named(Schema::int32(), "io.debezium.time.Year"),
        Kind::Date => modes.time.date_schema(),
        Kind::Time(p) => modes.time.time_schema(*p),
        Kind::DateTime(p) => modes.time.timestamp_schema(*p),
        Kind::Timestamp(_) => temporal::zoned_timestamp_schema(),
        Kind::Point => {
            let mut point = Schema::structure("io.debezium.data.geometry.Point")
                .version(1)
                .field("x", Schema::float64())
                .field("y", Schema::float64())
                .field("wkb", Schema::bytes().optional())
                .field("srid", Schema::int32().optional());
            point.doc = Some("Geometry (POINT)".into());
            point
        }
        Kind::Geometry => {
            // Debezium's Geometry builder is optional even for NOT NULL columns.
            let mut geometry = Schema::structure("io.debezium.data.geometry.Geometry")
                .version(1)
                .optional()
                .field("wkb", Schema::bytes())
                .field("srid", Schema::int32().optional());
            geometry.doc = Some("Geometry".into());
            geometry
        }
    }
}

fn convert(col: &ColumnDef, cell: &Cell, modes: &Modes, snapshot: bool) -> Result<Value, TypeError> {
    convert_kind(col, &kind_of(col), cell, modes, snapshot)
}

/// [`value`] (or with `snapshot`, [`snapshot_value`]) for a column whose
/// [`kind_of`] the caller keeps.
pub(crate) fn convert_kind(
    col: &ColumnDef,
    kind: &Kind,
    cell: &Cell,
    modes: &Modes,
    snapshot: bool,
) -> Result<Value, TypeError> {
    if matches!(cell, Cell::Null) {
        return Ok(missing_value(col, modes));
    }
    match cell_value(col, kind, cell, modes, snapshot)? {
        Some(v) => Ok(v),
        // A zero date: null, as the binlog client and JDBC both give it.
        None => Ok(missing_value(col, modes)),
    }
}

fn unexpected(col: &ColumnDef, cell: &Cell) -> TypeError {
    let what = match cell {
        Cell::Null => "NULL",
        Cell::Int(_) => "an integer",
        Cell::Float(_) => "a float",
        Cell::Double(_) => "a double",
        Cell::Decimal(_) => "a decimal",
        Cell::Bytes(_) => "bytes",
        Cell::Bit(_) => "bits",
        Cell::Date { .. } => "a date",
        Cell::Time(_) => "a time",
        Cell::DateTime { .. } => "a datetime",
        Cell::Timestamp { .. } => "a timestamp",
        Cell::Year(_) => "a year",
        Cell::Enum(_) => "an enum index",
        Cell::Set(_) => "a set bit mask",
        Cell::Json(_) => "JSON",
    };
    error(col, format!("unexpected {what} for this column type"))
}

/// The value of a non-null cell; `None` for a zero date (null to Debezium).
fn cell_value(
    col: &ColumnDef,
    kind: &Kind,
    cell: &Cell,
    modes: &Modes,
    snapshot: bool,
) -> Result<Option<Value>, TypeError> {
    let bad = || unexpected(col, cell);
    Ok(Some(match (kind, cell) {
        (Kind::Bool, Cell::Int(v)) => Value::Boolean(*v as i32 != 0),
        // BIT(1): the binlog's BitSet bit 0, the lowest bit of the last byte.
        (Kind::Bool, Cell::Bit(bytes)) => Value::Boolean(bytes.last().is_some_and(|b| b & 1 != 0)),
        (Kind::Int { width, unsigned }, Cell::Int(v)) => int_value(*width, *unsigned, *v, modes),
        (Kind::Float32, Cell::Float(f)) => Value::Float32(*f),
        (Kind::Float32, Cell::Double(d)) => Value::Float32(*d as f32),
        (Kind::Float64, Cell::Float(f)) => Value::Float64(f64::from(*f)),
        (Kind::Float64, Cell::Double(d)) => Value::Float64(*d),
        (Kind::Decimal { scale, .. }, Cell::Decimal(text)) => {
            if modes.decimal == DecimalMode::Precise
                && let Some(bytes) = decimal::precise_bytes(text, *scale)
            {
                return Ok(Some(Value::Bytes(bytes)));
            }
            let d = Decimal::parse(text).map_err(|e| error(col, e.to_string()))?;
            let d = d.with_scale(*scale, Rounding::HalfUp).ok_or_else(|| error(col, "decimal out of range"))?;
            modes.decimal.value(&d)
        }
        (Kind::Text(charset), Cell::Bytes(bytes)) => Value::String(decode(charset.as_deref(), bytes)),
        (Kind::Text(_), Cell::Json(text)) => Value::String(text.clone()),
        (Kind::Binary(pad), Cell::Bytes(bytes)) => {
            // DBZ-254: BINARY(n) values lose trailing zeros in the binlog.
            let mut bytes = bytes.clone();
            if let Some(n) = pad.and_then(|n| usize::try_from(n).ok()).filter(|n| bytes.len() < *n) {
                bytes.resize(n, 0);
            }
            modes.binary.value(bytes)
        }
        (Kind::Bits(length), Cell::Bit(bytes)) => Value::Bytes(bits_little_endian(bytes, *length)),
        (Kind::Enum(values), Cell::Enum(index)) => match usize::from(*index) {
            0 => Value::String(String::new()),
            i => Value::String(values.get(i - 1).cloned().ok_or_else(|| error(col, format!("no ENUM member {i}")))?),
        },
        (Kind::Set(values), Cell::Set(mask)) => Value::String(set_names(values, *mask)),
        (Kind::Enum(_) | Kind::Set(_), Cell::Bytes(bytes)) => Value::String(decode(col.charset.as_deref(), bytes)),
        (Kind::Json, Cell::Json(text)) => Value::String(text.clone()),
        (Kind::Json, Cell::Bytes(bytes)) if bytes.is_empty() => {
            if col.nullable {
                return Ok(Some(Value::Null));
            }
            Value::String("{}".into())
        }
        (Kind::Json, Cell::Bytes(bytes)) => Value::String(String::from_utf8_lossy(bytes).into_owned()),
        // The binlog client's Year is 1900 + the stored byte: the zero year is
        // 1900, and the adjuster leaves 1901-2155 alone.
        (Kind::Year, Cell::Year(0)) => Value::Int32(1900),
        (Kind::Year, Cell::Year(y)) => Value::Int32(adjust_year(i64::from(*y)) as i32),
        (Kind::Year, Cell::Int(y)) => Value::Int32(adjust_year(*y) as i32),
        (Kind::Date, Cell::Date { year, month, day }) => {
            let Some(days) = date_days(col, *year, *month, *day, modes, snapshot)? else { return Ok(None) };
            modes.time.date_value(days)
        }
        (Kind::Date, Cell::DateTime { year, month, day, .. }) => {
            let Some(days) = date_days(col, *year, *month, *day, modes, snapshot)? else { return Ok(None) };
            modes.time.date_value(days)
        }
        (Kind::Time(p), Cell::Time(micros)) => time_value(col, *p, *micros, modes)?,
        (Kind::DateTime(p), Cell::DateTime { year, month, day, hour, minute, second, micros }) => {
            let Some(days) = date_days(col, *year, *month, *day, modes, snapshot)? else { return Ok(None) };
            if *hour > 23 || *minute > 59 || *second > 59 || *micros > 999_999 {
                return Err(error(col, "time of day out of range"));
            }
            let micros = days * MICROS_PER_DAY
                + (i64::from(*hour) * 3600 + i64::from(*minute) * 60 + i64::from(*second)) * 1_000_000
                + i64::from(*micros);
            modes.time.timestamp_value(*p, micros).ok_or_else(|| error(col, "datetime out of range for this mode"))?
        }
        (Kind::DateTime(_), Cell::Date { year, month, day }) => {
            let Some(days) = date_days(col, *year, *month, *day, modes, snapshot)? else { return Ok(None) };
            modes.time.timestamp_value(0, days * MICROS_PER_DAY).unwrap_or(Value::Int64(0))
        }
        (Kind::Timestamp(p), Cell::Timestamp { seconds, micros }) => {
            if *micros > 999_999 {
                return Err(error(col, "microseconds out of range"));
            }
            let instant = seconds
                .checked_mul(1_000_000)
                .and_then(|s| s.checked_add(i64::from(*micros)))
                .ok_or_else(|| error(col, "timestamp out of range"))?;
            // Binlog: a ZonedDateTime, padded to the column's precision;
            // snapshot: a java.sql.Timestamp in ISO style.
            Value::String(temporal::zoned_timestamp(instant, if snapshot { -1 } else { *p }))
        }
        (Kind::Point, Cell::Bytes(bytes)) => {
            let (srid, wkb) = split_geometry(col, bytes)?;
            let (x, y) = parse_wkb_point(wkb).ok_or_else(|| error(col, "not a POINT in WKB"))?;
            Value::Struct(vec![Value::Float64(x), Value::Float64(y), Value::Bytes(wkb.to_vec()), srid])
        }
        (Kind::Geometry, Cell::Bytes(bytes)) => {
            let (srid, wkb) = split_geometry(col, bytes)?;
            Value::Struct(vec![Value::Bytes(wkb.to_vec()), srid])
        }
        (Kind::Uuid, Cell::Bytes(bytes)) => Value::String(format_uuid(bytes)),
        (Kind::Inet4, Cell::Bytes(bytes)) => match <[u8; 4]>::try_from(bytes.as_slice()) {
            Ok(a) => Value::String(format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3])),
            Err(_) => return Err(error(col, "INET4 is not 4 bytes")),
        },
        (Kind::Inet6, Cell::Bytes(bytes)) => match <[u8; 16]>::try_from(bytes.as_slice()) {
            Ok(a) => Value::String(format_inet6(&a)),
            Err(_) => return Err(error(col, "INET6 is not 16 bytes")),
        },
        _ => return Err(bad()),
    }))
}

/// Integers: the UNSIGNED reinterpretation by storage width
/// (`BinlogUnsignedIntegerConverter`), then the schema's width.
fn int_value(width: u8, unsigned: bool, v: i64, modes: &Modes) -> Value {
    if !unsigned {
        return match width {
            1 | 2 => Value::Int16(v as i16),
            3 | 4 => Value::Int32(v as i32),
            _ => Value::Int64(v),
        };
    }
    let corrected = |bits: u32| if v < 0 { v.wrapping_add(1_i64 << bits) } else { v };
    match width {
        1 => Value::Int16(corrected(8) as i16),
        2 => Value::Int32(corrected(16) as i32),
        3 => Value::Int32(corrected(24) as i32),
        4 => Value::Int64(corrected(32)),
        _ => match modes.bigint_unsigned {
            BigIntUnsignedMode::Long => Value::Int64(v),
            BigIntUnsignedMode::Precise => unsigned_bigint_value(v as u64),
        },
    }
}

fn unsigned_bigint_value(v: u64) -> Value {
    match Decimal::parse(&v.to_string()) {
        Ok(d) => DecimalMode::Precise.value(&d),
        Err(_) => Value::Bytes(vec![0]),
    }
}

/// MySQL BIT bytes are big-endian; Debezium's `Bits` are little-endian,
/// padded to `(length + 7) / 8` bytes (`JdbcValueConverters.convertBits`).
fn bits_little_endian(big_endian: &[u8], length: u32) -> Vec<u8> {
    let mut bytes: Vec<u8> = big_endian.iter().rev().copied().collect();
    let size = usize::try_from(length.div_ceil(8)).unwrap_or(usize::MAX);
    if bytes.len() < size {
        bytes.resize(size, 0);
    }
    bytes
}

/// The comma-joined members of a SET bit mask (`convertSetValue`: a bit
/// beyond the members still adds its comma).
fn set_names(values: &[String], mask: u64) -> String {
    let mut out = String::new();
    let mut first = true;
    for bit in 0..64 {
        if mask >> bit & 1 == 0 {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        if let Some(name) = values.get(bit) {
            out.push_str(name);
        }
    }
    out
}

/// Java's `TemporalAdjuster` for two-digit years (`adjustTemporal`).
fn adjust_year(year: i64) -> i64 {
    match year {
        0..=69 => year + 2000,
        70..=99 => year + 1900,
        _ => year,
    }
}

/// Days since the epoch of a DATE/DATETIME's date part; `None` for a zero
/// date (the binlog client nulls any zero part; JDBC only a zero month or
/// day, keeping year 0 for the adjuster).
fn date_days(
    col: &ColumnDef,
    year: u16,
    month: u8,
    day: u8,
    modes: &Modes,
    snapshot: bool,
) -> Result<Option<i64>, TypeError> {
    if month == 0 || day == 0 || (year == 0 && !snapshot) {
        return Ok(None);
    }
    if month > 12 || day > days_in_month(i64::from(year), month) {
        return Err(error(col, format!("invalid date {year:04}-{month:02}-{day:02}")));
    }
    let year = if modes.time_adjuster { adjust_year(i64::from(year)) } else { i64::from(year) };
    Ok(Some(days_from_civil(year, u32::from(month), u32::from(day))))
}

fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// TIME per mode. Modes other than the microsecond/nanosecond ones refuse
/// negative and over-a-day values, as Debezium's `Time`/`IsoTime` do.
fn time_value(col: &ColumnDef, precision: i32, micros: i64, modes: &Modes) -> Result<Value, TypeError> {
    match modes.time {
        TimePrecision::AdaptiveTimeMicroseconds => Ok(Value::Int64(micros)),
        TimePrecision::Connect | TimePrecision::IsoString if !(0..=MICROS_PER_DAY).contains(&micros) => {
            Err(error(col, "time values must be between 00:00:00 and 24:00:00 in this time.precision.mode"))
        }
        mode => Ok(mode.time_value(precision, micros)),
    }
}

fn split_geometry<'a>(col: &ColumnDef, bytes: &'a [u8]) -> Result<(Value, &'a [u8]), TypeError> {
    let (srid, wkb) = bytes.split_first_chunk::<4>().ok_or_else(|| error(col, "geometry shorter than its SRID"))?;
    let srid = i32::from_le_bytes(*srid);
    // Debezium uses null for SRID 0.
    Ok((if srid == 0 { Value::Null } else { Value::Int32(srid) }, wkb))
}

/// x and y of a 2D WKB point (21 bytes), in the byte order its first byte names.
fn parse_wkb_point(wkb: &[u8]) -> Option<(f64, f64)> {
    if wkb.len() != 21 {
        return None;
    }
    let little = wkb[0] != 0;
    let u32_at = |i: usize| {
        let b: [u8; 4] = wkb[i..i + 4].try_into().ok()?;
        Some(if little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    };
    let f64_at = |i: usize| {
        let b: [u8; 8] = wkb[i..i + 8].try_into().ok()?;
        Some(if little { f64::from_le_bytes(b) } else { f64::from_be_bytes(b) })
    };
    (u32_at(1)? == 1).then_some(())?;
    Some((f64_at(5)?, f64_at(13)?))
}

/// MariaDB UUID bytes as `java.util.UUID` prints them (the low 128 bits of
/// the unsigned big-endian number, as `MariaDbValueConverters` reads them).
fn format_uuid(bytes: &[u8]) -> String {
    let mut n = [0u8; 16];
    let tail = &bytes[bytes.len().saturating_sub(16)..];
    n[16 - tail.len()..].copy_from_slice(tail);
    let hex = weir_debezium::binary::hex(&n);
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let digits: Vec<u8> = text.bytes().filter(|b| *b != b'-').collect();
    if digits.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in digits.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        out[i] = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

fn parse_inet4(text: &str) -> Option<[u8; 4]> {
    text.parse::<std::net::Ipv4Addr>().ok().map(|a| a.octets())
}

fn parse_inet6(text: &str) -> Option<[u8; 16]> {
    text.parse::<std::net::Ipv6Addr>().ok().map(|a| a.octets())
}

fn format_inet6(bytes: &[u8; 16]) -> String {
    std::net::Ipv6Addr::from(*bytes).to_string()
}

/// Character data decoded as Java decodes the column's character set (per
/// MySQL Connector/J's mapping: latin1 is windows-1252, binary is
/// ISO-8859-1); unknown or missing character sets fall back to UTF-8 as
/// Debezium does.
fn decode(charset: Option<&str>, bytes: &[u8]) -> String {
    // Compared without lower-casing a copy: this runs for every text cell.
    let name = charset.unwrap_or("utf8mb4");
    let is = |n: &str| name.eq_ignore_ascii_case(n);
    if is("utf8mb4") || is("utf8mb3") || is("utf8") {
        String::from_utf8_lossy(bytes).into_owned()
    } else if is("latin1") || is("cp1252") {
        bytes.iter().map(|b| cp1252(*b)).collect()
    } else if is("binary") {
        bytes.iter().map(|b| char::from(*b)).collect()
    } else if is("ascii") {
        bytes.iter().map(|b| if b.is_ascii() { char::from(*b) } else { '\u{fffd}' }).collect()
    } else if is("ucs2") || is("utf16") {
        utf16(bytes, false)
    } else if is("utf16le") {
        utf16(bytes, true)
    } else if is("utf32") {
        bytes
            .chunks(4)
            .map(|c| match <[u8; 4]>::try_from(c) {
                Ok(b) => char::from_u32(u32::from_be_bytes(b)).unwrap_or('\u{fffd}'),
                Err(_) => '\u{fffd}',
            })
            .collect()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

fn utf16(bytes: &[u8], little: bool) -> String {
    let units = bytes.chunks(2).map(|c| match (c, little) {
        ([a, b], false) => u16::from_be_bytes([*a, *b]),
        ([a, b], true) => u16::from_le_bytes([*a, *b]),
        _ => 0xfffd,
    });
    char::decode_utf16(units).map(|r| r.unwrap_or('\u{fffd}')).collect()
}

/// windows-1252 as Java decodes it (the five undefined bytes become U+FFFD).
fn cp1252(b: u8) -> char {
    const HIGH: [u16; 32] = [
        0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd,
        0x017d, 0xfffd, 0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a,
        0x0153, 0xfffd, 0x017e, 0x0178,
    ];
    match b {
        0x80..=0x9f => char::from_u32(u32::from(HIGH[usize::from(b - 0x80)])).unwrap_or('\u{fffd}'),
        _ => char::from(b),
    }
}

// ---------------------------------------------------------------------
// Text protocol parsing.

/// `YYYY-MM-DD` → parts (zeros allowed).
fn parse_date_parts(text: &str) -> Option<(u16, u8, u8)> {
    let mut parts = text.splitn(3, '-');
    let year = parts.next().filter(|s| is_digits(s))?.parse().ok()?;
    let month = parts.next().filter(|s| is_digits(s))?.parse().ok()?;
    let day = parts.next().filter(|s| is_digits(s))?.parse().ok()?;
    (month <= 12 && day <= 31).then_some((year, month, day))
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Digits of a fraction → microseconds (truncated past six digits).
fn fraction_micros(fraction: &str) -> Option<u32> {
    if !is_digits(fraction) {
        return None;
    }
    // The first six digits, padded with zeros (read per row, so without a String).
    let digits = fraction.as_bytes();
    Some((0..6).fold(0, |micros, i| micros * 10 + digits.get(i).map_or(0, |d| u32::from(d - b'0'))))
}

/// `[-]H+:MM:SS[.ffffff]` → signed microseconds.
fn parse_time_text(text: &str) -> Option<i64> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (clock, fraction) = match body.split_once('.') {
        Some((c, f)) => (c, fraction_micros(f)?),
        None => (body, 0),
    };
    let mut parts = clock.split(':');
    let hours: i64 = parts.next().filter(|s| is_digits(s))?.parse().ok()?;
    let minutes: i64 = parts.next().filter(|s| is_digits(s))?.parse().ok()?;
    let seconds: i64 = match parts.next() {
        Some(s) if is_digits(s) => s.parse().ok()?,
        Some(_) => return None,
        None => 0,
    };
    if parts.next().is_some() || minutes > 59 || seconds > 59 || hours > 1_000_000 {
        return None;
    }
    let micros = (hours * 3600 + minutes * 60 + seconds) * 1_000_000 + i64::from(fraction);
    Some(if negative { -micros } else { micros })
}

#[derive(Debug, PartialEq)]
struct DateTimeParts {
    year: u16,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
    micros: u32,
}

/// `YYYY-MM-DD HH:MM:SS[.ffffff]` (the time optional).
fn parse_datetime_text(text: &str) -> Option<DateTimeParts> {
    parse_canonical_datetime(text).or_else(|| parse_any_datetime(text))
}

/// [`parse_datetime_text`] for every form it takes.
fn parse_any_datetime(text: &str) -> Option<DateTimeParts> {
    let (date, time) = match text.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let (year, month, day) = parse_date_parts(date)?;
    let (mut hour, mut minute, mut second, mut micros) = (0, 0, 0, 0);
    if let Some(time) = time {
        let (clock, fraction) = match time.split_once('.') {
            Some((c, f)) => (c, fraction_micros(f)?),
            None => (time, 0),
        };
        let mut parts = clock.split(':');
        hour = parts.next().filter(|s| is_digits(s))?.parse().ok()?;
        minute = parts.next().filter(|s| is_digits(s))?.parse().ok()?;
        second = parts.next().filter(|s| is_digits(s))?.parse().ok()?;
        micros = fraction;
        if parts.next().is_some() || hour > 23 || minute > 59 || second > 59 {
            return None;
        }
    }
    Some(DateTimeParts { year, month, day, hour, minute, second, micros })
}

/// `YYYY-MM-DD HH:MM:SS[.f…]` exactly as the server writes DATETIME and
/// TIMESTAMP values in the text protocol (the snapshot reads every row of
/// them so): fixed positions, no splitting. `None` sends anything else to
/// the general parser.
fn parse_canonical_datetime(text: &str) -> Option<DateTimeParts> {
    let b = text.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| {
        b[range].iter().try_fold(0u16, |n, &d| d.is_ascii_digit().then(|| n * 10 + u16::from(d - b'0')))
    };
    let mut parts = DateTimeParts {
        year: number(0..4)?,
        month: u8::try_from(number(5..7)?).ok()?,
        day: u8::try_from(number(8..10)?).ok()?,
        hour: u8::try_from(number(11..13)?).ok()?,
        minute: u8::try_from(number(14..16)?).ok()?,
        second: u8::try_from(number(17..19)?).ok()?,
        micros: 0,
    };
    // The first 19 bytes are ASCII (checked above), so 19 is a character boundary.
    if let Some(rest) = text.get(19..).filter(|r| !r.is_empty()) {
        parts.micros = fraction_micros(rest.strip_prefix('.')?)?;
    }
    let valid = parts.month <= 12 && parts.day <= 31 && parts.hour <= 23 && parts.minute <= 59 && parts.second <= 59;
    valid.then_some(parts)
}

// ---------------------------------------------------------------------
// Column defaults (`BinlogDefaultValueConverter` and the DDL parser's
// `DefaultValueParserListener`).

/// The column's DEFAULT as Debezium converts it to the field's type; `None`
/// without a DEFAULT, for DEFAULT NULL, for computed defaults, and where
/// Debezium's conversion gives null or fails.
pub fn default_value(col: &ColumnDef, modes: &Modes) -> Option<Value> {
    let raw = col.default.as_deref()?;
    if raw.eq_ignore_ascii_case("NULL") || raw.trim_start().starts_with('(') {
        return None;
    }
    let expr = default_expression(raw);
    let kind = kind_of(col);
    let trims = !matches!(
        kind,
        Kind::Text(_)
            | Kind::Binary(_)
            | Kind::Enum(_)
            | Kind::Set(_)
            | Kind::Json
            | Kind::Point
            | Kind::Geometry
            | Kind::Uuid
            | Kind::Inet4
            | Kind::Inet6
    );
    let text = if trims { expr.trim() } else { expr.as_str() };
    let text = strip_introducer(text);
    let numeric =
        matches!(kind, Kind::Int { .. } | Kind::Float32 | Kind::Float64 | Kind::Decimal { .. } | Kind::Bits(_))
            || (kind == Kind::Bool && col.ty == ColumnType::Bit)
            || kind == Kind::Year;
    // "true"/"false" on a number column (BOOLEAN is TINYINT(1) to MySQL).
    let boolean = numeric && (text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false"));
    let boolean_text = if text.eq_ignore_ascii_case("true") { "1" } else { "0" };
    let optional = col.nullable;
    Some(match &kind {
        Kind::Int { width, unsigned } => {
            if *width == 8 && *unsigned && modes.bigint_unsigned == BigIntUnsignedMode::Precise {
                let d = Decimal::parse(if boolean { boolean_text } else { text }).ok()?;
                let d = d.with_scale(0, Rounding::Unnecessary)?;
                let v = if d.is_negative() {
                    // BIGINT_CORRECTION: 2^64 added to a negative literal.
                    let n: i64 = d.to_plain_string().parse().ok()?;
                    n as u64
                } else {
                    d.to_plain_string().parse().ok()?
                };
                return Some(unsigned_bigint_value(v));
            }
            let n = if boolean { i64::from(boolean_text == "1") } else { java_round(text.parse::<f64>().ok()?) };
            int_value(*width, *unsigned, n, modes)
        }
        Kind::Float32 => {
            Value::Float32(if boolean { boolean_text.parse().ok()? } else { text.parse::<f64>().ok()? as f32 })
        }
        Kind::Float64 => Value::Float64(if boolean { boolean_text.parse().ok()? } else { text.parse().ok()? }),
        Kind::Decimal { scale, .. } => {
            let text = if boolean { boolean_text } else { text };
            if modes.decimal == DecimalMode::Precise
                && let Some(bytes) = decimal::precise_bytes(text, *scale)
            {
                return Some(Value::Bytes(bytes));
            }
            let d = Decimal::parse(text).ok()?;
            modes.decimal.value(&d.with_scale(*scale, Rounding::HalfUp)?)
        }
        Kind::Bool if col.ty == ColumnType::Bit => {
            // convertToBit: a short other than 0, else Boolean.parseBoolean.
            Value::Boolean(match text.parse::<i16>() {
                Ok(n) => n != 0,
                Err(_) => text.eq_ignore_ascii_case("true"),
            })
        }
        Kind::Bool => Value::Boolean(match text.parse::<i32>() {
            Ok(n) => n != 0,
            Err(_) => text.eq_ignore_ascii_case("true"),
        }),
        Kind::Bits(length) => {
            let digits = if boolean { boolean_text } else { text };
            Value::Bytes(bits_little_endian(&bit_string_bytes(digits)?, *length))
        }
        Kind::Text(_) | Kind::Enum(_) | Kind::Set(_) | Kind::Json => Value::String(text.to_string()),
        Kind::Binary(_) => modes.binary.value(text.as_bytes().to_vec()),
        Kind::Year => {
            let n: i64 = if boolean { i64::from(boolean_text == "1") } else { java_parse_int(text)? };
            Value::Int32(adjust_year(n) as i32)
        }
        Kind::Date => {
            let days = match date_default(text) {
                DefaultDate::Zero if optional => return None,
                DefaultDate::Zero => 0,
                DefaultDate::Invalid if optional => return None,
                DefaultDate::Invalid => 0,
                DefaultDate::Parsed { year, month, day } => {
                    let year = if modes.time_adjuster { adjust_year(year) } else { year };
                    days_from_civil(year, month, day)
                }
            };
            modes.time.date_value(days)
        }
        Kind::DateTime(p) => {
            let zero = is_zero_timestamp(text) || text == "0";
            let micros = match (zero, datetime_default(text)) {
                (true, _) | (false, None) if optional => return None,
                (true, _) | (false, None) => 0,
                (false, Some((year, month, day, micros_of_day))) => {
                    let year = if modes.time_adjuster { adjust_year(year) } else { year };
                    days_from_civil(year, month, day) * MICROS_PER_DAY + micros_of_day
                }
            };
            modes.time.timestamp_value(*p, micros)?
        }
        Kind::Timestamp(p) => {
            if is_zero_timestamp(text) || text == "0" || text == "1970-01-01 00:00:00" {
                if optional {
                    return None;
                }
                // A java.sql.Timestamp at the epoch: ISO style, no padding.
                return Some(Value::String(temporal::zoned_timestamp(0, -1)));
            }
            // Timestamp.valueOf in the JVM's zone, taken to be UTC.
            Value::String(temporal::zoned_timestamp(clean_timestamp_micros(text)?, *p))
        }
        Kind::Time(p) => {
            let time = match text.split_once(' ') {
                Some((date, time)) if date.split('-').count() == 3 => time,
                _ => text,
            };
            let micros = duration_micros(time)?;
            time_value(col, *p, micros, modes).ok()?
        }
        // Debezium's converters take no text for these: the default is dropped.
        Kind::Point | Kind::Geometry | Kind::Uuid | Kind::Inet4 | Kind::Inet6 => return None,
    })
}

/// The DDL parser's view of a DEFAULT: CURRENT_TIMESTAMP and NOW (any
/// precision, any case, MariaDB's `current_timestamp()`) are the epoch
/// text; `b'101'` bit literals are their digits.
fn default_expression(raw: &str) -> String {
    let lower = raw.trim().to_ascii_lowercase();
    let name = lower.split('(').next().unwrap_or("").trim();
    if matches!(name, "current_timestamp" | "now" | "localtime" | "localtimestamp")
        && (lower == name || lower.ends_with(')'))
    {
        return "1970-01-01 00:00:00".to_string();
    }
    let trimmed = raw.trim();
    if let Some(bits) =
        trimmed.strip_prefix("b'").or_else(|| trimmed.strip_prefix("B'")).and_then(|s| s.strip_suffix('\''))
    {
        return bits.to_string();
    }
    if let Some(bits) =
        trimmed.strip_prefix("0b").filter(|s| !s.is_empty() && s.bytes().all(|b| b == b'0' || b == b'1'))
    {
        return bits.to_string();
    }
    raw.to_string()
}

/// `_utf8mb4'abc'` → `abc` (`stripCharacterSetIntroducer`).
fn strip_introducer(text: &str) -> &str {
    let Some(rest) = text.strip_prefix('_') else { return text };
    let Some(quote) = rest.find('\'') else { return text };
    let charset = &rest[..quote];
    if charset.is_empty() || !charset.bytes().all(|b| b.is_ascii_alphanumeric()) || !rest.ends_with('\'') {
        return text;
    }
    rest.get(quote + 1..rest.len() - 1).unwrap_or(text)
}

/// Java's `Math.round(double)`: half up, NaN → 0, saturating.
fn java_round(x: f64) -> i64 {
    let floor = x.floor();
    let r = if x - floor >= 0.5 { floor + 1.0 } else { floor };
    r as i64
}

/// `Integer.valueOf`: optional sign, decimal digits, within i32.
fn java_parse_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if !is_digits(digits) {
        return None;
    }
    text.parse::<i32>().ok().map(i64::from)
}

/// A bit string, eight digits a byte from the right, big-endian
/// (`convertToBits`).
fn bit_string_bytes(digits: &str) -> Option<Vec<u8>> {
    if !digits.bytes().all(|b| b == b'0' || b == b'1') {
        return None;
    }
    let mut out = Vec::with_capacity(digits.len().div_ceil(8));
    let mut end = digits.len();
    while end > 0 {
        let start = end.saturating_sub(8);
        out.push(u8::from_str_radix(&digits[start..end], 2).ok()?);
        end = start;
    }
    out.reverse();
    Some(out)
}

/// `\d{4}-\d{2}-00|\d{4}-00-\d{2}|0000-\d{2}-\d{2}` (Debezium's
/// `EPOCH_EQUIVALENT_DATE`).
fn is_zero_date(text: &str) -> bool {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return false;
    }
    &text[8..10] == "00" || &text[5..7] == "00" || &text[..4] == "0000"
}

/// A zero date then ` 00:00:00[.d{1,6}]` (`EPOCH_EQUIVALENT_TIMESTAMP`).
fn is_zero_timestamp(text: &str) -> bool {
    let Some((date, time)) = text.split_once(' ') else { return false };
    let fraction_ok = match time.strip_prefix("00:00:00") {
        Some("") => true,
        Some(rest) => rest.strip_prefix('.').is_some_and(|f| (1..=6).contains(&f.len()) && is_digits(f)),
        None => false,
    };
    is_zero_date(date) && fraction_ok
}

enum DefaultDate {
    Zero,
    Invalid,
    Parsed { year: i64, month: u32, day: u32 },
}

/// A DATE default (`convertToLocalDate`): zero forms, else ISO
/// `yyyy-MM-dd[ HH:mm[:ss[.f]]]`.
fn date_default(text: &str) -> DefaultDate {
    if is_zero_date(text) || is_zero_timestamp(text) || text == "0" {
        return DefaultDate::Zero;
    }
    match parse_iso_local(text) {
        Some((year, month, day, _)) => DefaultDate::Parsed { year, month, day },
        None => DefaultDate::Invalid,
    }
}

/// A DATETIME default (`convertToLocalDateTime`): `yyyy-MM-dd[ HH:mm[:ss[.f]]]`.
fn datetime_default(text: &str) -> Option<(i64, u32, u32, i64)> {
    parse_iso_local(text)
}

/// `java.time`'s ISO local date with an optional ISO local time, SMART
/// resolution (days 29-31 clamp to the month's end), up to nine fraction
/// digits (kept to microseconds).
fn parse_iso_local(text: &str) -> Option<(i64, u32, u32, i64)> {
    let (date, time) = match text.split_once(' ') {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let b = date.as_bytes();
    let n = b.len();
    if n < 10 || b[n - 6] != b'-' || b[n - 3] != b'-' {
        return None;
    }
    let year = &date[..n - 6];
    let (month, day) = (&date[n - 5..n - 3], &date[n - 2..]);
    if year.len() < 4 || !is_digits(year) || !is_digits(month) || !is_digits(day) {
        return None;
    }
    let year: i64 = year.parse().ok()?;
    let month: u32 = month.parse().ok()?;
    let day: u32 = day.parse().ok()?;
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let day = day.min(u32::from(days_in_month(year, month as u8)));
    let micros_of_day = match time {
        None => 0,
        Some(t) => {
            let (clock, fraction) = match t.split_once('.') {
                Some((c, f)) if f.len() <= 9 => (c, i64::from(fraction_micros(f)?)),
                Some(_) => return None,
                None => (t, 0),
            };
            let parts: Vec<&str> = clock.split(':').collect();
            if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| p.len() != 2 || !is_digits(p)) {
                return None;
            }
            let h: i64 = parts[0].parse().ok()?;
            let m: i64 = parts[1].parse().ok()?;
            let s: i64 = parts.get(2).map_or(Some(0), |p| p.parse().ok())?;
            if h > 23 || m > 59 || s > 59 || (parts.len() == 2 && t.contains('.')) {
                return None;
            }
            (h * 3600 + m * 60 + s) * 1_000_000 + fraction
        }
    };
    Some((year, month, day, micros_of_day))
}

/// A TIMESTAMP default as `cleanTimestamp` + `Timestamp.valueOf` read it
/// (lenient separators and day overflow), at UTC → microseconds.
fn clean_timestamp_micros(text: &str) -> Option<i64> {
    let mut numbers = Vec::new();
    let mut fraction = None;
    let mut rest = text.trim();
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        if numbers.len() == 6 {
            return None;
        }
        numbers.push(rest[..digits].parse::<i64>().ok()?);
        rest = &rest[digits..];
        if numbers.len() == 6
            && let Some(f) = rest.strip_prefix('.')
        {
            fraction = Some(fraction_micros(f)?);
            rest = "";
        }
        rest = rest.trim_start_matches(|c: char| !c.is_ascii_digit());
    }
    if numbers.len() < 3 {
        return None;
    }
    let (year, month, day) = (numbers[0], numbers[1], numbers[2]);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let get = |i: usize| numbers.get(i).copied().unwrap_or(0);
    let days = days_from_civil(year, month as u32, 1) + day - 1;
    let seconds = days * 86_400 + get(3) * 3600 + get(4) * 60 + get(5);
    seconds.checked_mul(1_000_000)?.checked_add(i64::from(fraction.unwrap_or(0)))
}

/// `BinlogValueConverters.stringToDuration`: `[-]H:M[:S[.f]]`.
fn duration_micros(text: &str) -> Option<i64> {
    let negative = text.starts_with('-');
    let body = text.strip_prefix('-').unwrap_or(text);
    let (clock, fraction) = match body.split_once('.') {
        Some((c, f)) => (c, f),
        None => (body, ""),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if !(2..=3).contains(&parts.len()) || parts.iter().any(|p| !is_digits(p)) {
        return None;
    }
    if !fraction.is_empty() && (parts.len() != 3 || !is_digits(fraction)) {
        return None;
    }
    let h: i64 = parts[0].parse().ok()?;
    let m: i64 = parts[1].parse().ok()?;
    let s: i64 = parts.get(2).map_or(Some(0), |p| p.parse().ok())?;
    let f = if fraction.is_empty() { 0 } else { i64::from(fraction_micros(fraction)?) };
    let micros = ((h * 60 + m) * 60 + s).checked_mul(1_000_000)?.checked_add(f)?;
    Some(if negative { -micros } else { micros })
}

/// What Debezium puts for a NOT NULL column with no value and no default
/// (each converter's fallback in `convertValue`).
fn fallback(kind: &Kind, modes: &Modes) -> Value {
    match kind {
        Kind::Bool => Value::Boolean(false),
        Kind::Int { width, unsigned } => int_value(*width, *unsigned, 0, modes),
        Kind::Float32 => Value::Float32(0.0),
        Kind::Float64 => Value::Float64(0.0),
        Kind::Decimal { scale, .. } => modes.decimal.value(&Decimal::zero(*scale)),
        Kind::Text(_) | Kind::Enum(_) | Kind::Set(_) | Kind::Uuid | Kind::Inet4 | Kind::Inet6 => {
            Value::String(String::new())
        }
        Kind::Json => Value::String("{}".into()),
        Kind::Binary(_) => modes.binary.value(Vec::new()),
        Kind::Bits(_) => Value::Bytes(Vec::new()),
        Kind::Year => Value::Int32(0),
        Kind::Date => modes.time.date_value(0),
        Kind::Time(p) => match modes.time {
            TimePrecision::AdaptiveTimeMicroseconds => Value::Int64(0),
            mode => mode.time_value(*p, 0),
        },
        Kind::DateTime(p) => modes.time.timestamp_value(*p, 0).unwrap_or(Value::Int64(0)),
        Kind::Timestamp(_) => Value::String(temporal::zoned_timestamp(0, -1)),
        Kind::Point => Value::Struct(vec![
            Value::Float64(0.0),
            Value::Float64(0.0),
            Value::Bytes(EMPTY_GEOMETRY_WKB.to_vec()),
            Value::Null,
        ]),
        Kind::Geometry => Value::Struct(vec![Value::Bytes(EMPTY_GEOMETRY_WKB.to_vec()), Value::Null]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(ty: ColumnType, type_name: &str) -> ColumnDef {
        ColumnDef::new("c", ty, type_name)
    }

    fn with(mut c: ColumnDef, f: impl FnOnce(&mut ColumnDef)) -> ColumnDef {
        f(&mut c);
        c
    }

    fn m() -> Modes {
        Modes::default()
    }

    fn v(c: &ColumnDef, cell: Cell) -> Value {
        value(c, &cell, &m()).unwrap()
    }

    fn t(c: &ColumnDef, text: &str) -> Value {
        value(c, &text_cell(c, text.as_bytes()).unwrap(), &m()).unwrap()
    }

    fn default_json(c: &ColumnDef) -> Option<String> {
        column_schema(c, &m()).default_json
    }

    #[test]
    fn the_canonical_datetime_reader_agrees_with_the_general_one() {
        for text in [
            "2024-01-02 03:04:05",
            "2024-01-02 03:04:05.5",
            "2024-01-02 03:04:05.123456",
            "2024-01-02 03:04:05.1234567",
            "0000-00-00 00:00:00",
            "9999-12-31 23:59:59.999999",
        ] {
            assert_eq!(parse_canonical_datetime(text), parse_any_datetime(text), "{text}");
            assert!(parse_canonical_datetime(text).is_some(), "{text}");
        }
        for text in [
            "2024-13-02 03:04:05",
            "2024-01-02 24:00:00",
            "2024-01-02 03:04:05.",
            "2024-01-02 03:04:05x",
            "é024-01-02 03:04:05.1",
        ] {
            assert_eq!(parse_canonical_datetime(text), None, "{text}");
            assert_eq!(parse_datetime_text(text), None, "{text}");
        }
        // Other forms are left to the general reader.
        assert_eq!(parse_canonical_datetime("2024-01-02T03:04:05"), None);
        assert!(parse_datetime_text("2024-01-02T03:04:05").is_some());
    }

    #[test]
    fn integer_schemas_and_unsigned_values() {
        let cases = [
            (ColumnType::TinyInt, false, SchemaType::Int16),
            (ColumnType::TinyInt, true, SchemaType::Int16),
            (ColumnType::SmallInt, false, SchemaType::Int16),
            (ColumnType::SmallInt, true, SchemaType::Int32),
            (ColumnType::MediumInt, false, SchemaType::Int32),
            (ColumnType::MediumInt, true, SchemaType::Int32),
            (ColumnType::Int, false, SchemaType::Int32),
            (ColumnType::Int, true, SchemaType::Int64),
            (ColumnType::BigInt, false, SchemaType::Int64),
            (ColumnType::BigInt, true, SchemaType::Int64),
        ];
        for (ty, unsigned, expected) in cases {
            let c = with(col(ty, "X"), |c| c.unsigned = unsigned);
            assert_eq!(column_schema(&c, &m()).ty, expected, "{ty:?} unsigned={unsigned}");
        }
        let u = |ty| with(col(ty, "X"), |c| c.unsigned = true);
        assert_eq!(v(&u(ColumnType::TinyInt), Cell::Int(-1)), Value::Int16(255));
        assert_eq!(v(&u(ColumnType::SmallInt), Cell::Int(-1)), Value::Int32(65535));
        assert_eq!(v(&u(ColumnType::MediumInt), Cell::Int(-1)), Value::Int32(16_777_215));
        assert_eq!(v(&u(ColumnType::Int), Cell::Int(-1)), Value::Int64(4_294_967_295));
        assert_eq!(v(&u(ColumnType::BigInt), Cell::Int(-1)), Value::Int64(-1));
        assert_eq!(t(&u(ColumnType::TinyInt), "255"), Value::Int16(255));
        assert_eq!(t(&u(ColumnType::Int), "4294967295"), Value::Int64(4_294_967_295));
        assert_eq!(t(&u(ColumnType::BigInt), "18446744073709551615"), Value::Int64(-1));
        assert_eq!(t(&col(ColumnType::TinyInt, "TINYINT"), "-12"), Value::Int16(-12));
        assert_eq!(t(&col(ColumnType::MediumInt, "MEDIUMINT"), "-8388608"), Value::Int32(-8_388_608));

        let precise = Modes { bigint_unsigned: BigIntUnsignedMode::Precise, ..m() };
        let big = u(ColumnType::BigInt);
        let s = column_schema(&big, &precise);
        assert_eq!(s.name.as_deref(), Some("org.apache.kafka.connect.data.Decimal"));
        assert_eq!(s.parameters, vec![("scale".into(), "0".into()), ("connect.decimal.precision".into(), "20".into())]);
        let max = value(&big, &text_cell(&big, b"18446744073709551615").unwrap(), &precise).unwrap();
        assert_eq!(max, Value::Bytes(vec![0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
        assert_eq!(value(&big, &Cell::Int(-1), &precise).unwrap(), max);
    }

    #[test]
    fn booleans_floats_and_decimals() {
        let b = col(ColumnType::Boolean, "BOOLEAN");
        assert_eq!(column_schema(&b, &m()).ty, SchemaType::Boolean);
        assert_eq!(t(&b, "1"), Value::Boolean(true));
        assert_eq!(v(&b, Cell::Int(0)), Value::Boolean(false));

        let float = col(ColumnType::Float, "FLOAT");
        assert_eq!(column_schema(&float, &m()).ty, SchemaType::Float32);
        assert_eq!(t(&float, "3.5"), Value::Float32(3.5));
        let float_md = with(col(ColumnType::Float, "FLOAT"), |c| {
            c.length = Some(7);
            c.scale = Some(4)
        });
        assert_eq!(column_schema(&float_md, &m()).ty, SchemaType::Float64);
        assert_eq!(v(&float_md, Cell::Float(0.1)), Value::Float64(f64::from(0.1_f32)));
        assert_eq!(column_schema(&col(ColumnType::Double, "DOUBLE"), &m()).ty, SchemaType::Float64);
        assert_eq!(column_schema(&col(ColumnType::Double, "REAL"), &m()).ty, SchemaType::Float32);
        assert_eq!(column_schema(&col(ColumnType::Float, "FLOAT UNSIGNED"), &m()).ty, SchemaType::Float32);

        let dec = with(col(ColumnType::Decimal, "DECIMAL"), |c| {
            c.length = Some(10);
            c.scale = Some(3)
        });
        let s = column_schema(&dec, &m());
        assert_eq!(s.parameters, vec![("scale".into(), "3".into()), ("connect.decimal.precision".into(), "10".into())]);
        assert_eq!(t(&dec, "12.340"), Value::Bytes(vec![0x30, 0x34]));
        assert_eq!(v(&dec, Cell::Decimal("12.340".into())), Value::Bytes(vec![0x30, 0x34]));
        let string = Modes { decimal: DecimalMode::String, ..m() };
        assert_eq!(value(&dec, &Cell::Decimal("-12.340".into()), &string).unwrap(), Value::String("-12.340".into()));
        let double = Modes { decimal: DecimalMode::Double, ..m() };
        assert_eq!(value(&dec, &Cell::Decimal("3.5".into()), &double).unwrap(), Value::Float64(3.5));
        assert_eq!(column_schema(&dec, &double).ty, SchemaType::Float64);
        let bare = col(ColumnType::Decimal, "DECIMAL");
        assert_eq!(column_schema(&bare, &m()).parameters[1].1, "10");
    }

    #[test]
    fn character_sets() {
        let latin1 = with(col(ColumnType::VarChar, "VARCHAR"), |c| c.charset = Some("latin1".into()));
        assert_eq!(v(&latin1, Cell::Bytes(vec![0x80, b'a', 0xe9, 0x81])), Value::String("€aé\u{fffd}".into()));
        let utf8 = with(col(ColumnType::Text, "TEXT"), |c| c.charset = Some("utf8mb4".into()));
        assert_eq!(t(&utf8, "héllo 😀"), Value::String("héllo 😀".into()));
        let ascii = with(col(ColumnType::Char, "CHAR"), |c| c.charset = Some("ascii".into()));
        assert_eq!(v(&ascii, Cell::Bytes(vec![b'a', 0xff])), Value::String("a\u{fffd}".into()));
        let ucs2 = with(col(ColumnType::Char, "CHAR"), |c| c.charset = Some("ucs2".into()));
        assert_eq!(v(&ucs2, Cell::Bytes(vec![0, b'h', 0x20, 0xac])), Value::String("h€".into()));
        let none = col(ColumnType::VarChar, "VARCHAR");
        assert_eq!(v(&none, Cell::Bytes(b"x".to_vec())), Value::String("x".into()));
    }

    #[test]
    fn binary_modes_and_padding() {
        let bin = with(col(ColumnType::Binary, "BINARY"), |c| c.length = Some(4));
        assert_eq!(v(&bin, Cell::Bytes(vec![1, 2])), Value::Bytes(vec![1, 2, 0, 0]));
        let blob = col(ColumnType::Blob, "BLOB");
        let hex = Modes { binary: BinaryMode::Hex, ..m() };
        assert_eq!(column_schema(&blob, &hex).ty, SchemaType::String);
        assert_eq!(value(&blob, &Cell::Bytes(vec![0xfb, 0x01]), &hex).unwrap(), Value::String("fb01".into()));
        assert_eq!(column_schema(&blob, &m()).ty, SchemaType::Bytes);
    }

    #[test]
    fn bits() {
        let bit1 = with(col(ColumnType::Bit, "BIT"), |c| c.length = Some(1));
        assert_eq!(column_schema(&bit1, &m()).ty, SchemaType::Boolean);
        assert_eq!(v(&bit1, Cell::Bit(vec![1])), Value::Boolean(true));
        assert_eq!(t(&bit1, "\u{0}"), Value::Boolean(false));
        let bit12 = with(col(ColumnType::Bit, "BIT"), |c| c.length = Some(12));
        let s = column_schema(&bit12, &m());
        assert_eq!((s.name.as_deref(), s.version), (Some("io.debezium.data.Bits"), Some(1)));
        assert_eq!(s.parameters, vec![("length".into(), "12".into())]);
        assert_eq!(v(&bit12, Cell::Bit(vec![0x01, 0x02])), Value::Bytes(vec![0x02, 0x01]));
        assert_eq!(value(&bit12, &text_cell(&bit12, &[0x01, 0x02]).unwrap(), &m()).unwrap(), Value::Bytes(vec![2, 1]));
        assert_eq!(v(&bit12, Cell::Bit(vec![0x05])), Value::Bytes(vec![0x05, 0x00]));
        let d = with(bit12.clone(), |c| c.default = Some("b'100000001'".into()));
        assert_eq!(default_json(&d).as_deref(), Some("\"AQE=\""));
        let d1 = with(bit1, |c| c.default = Some("b'1'".into()));
        assert_eq!(default_json(&d1).as_deref(), Some("true"));
    }

    #[test]
    fn enums_and_sets() {
        let e = with(col(ColumnType::Enum, "ENUM"), |c| c.values = vec!["a".into(), "b".into(), "c".into()]);
        let s = column_schema(&e, &m());
        assert_eq!(s.name.as_deref(), Some("io.debezium.data.Enum"));
        assert_eq!(s.parameters, vec![("allowed".into(), "a,b,c".into())]);
        assert_eq!(v(&e, Cell::Enum(2)), Value::String("b".into()));
        assert_eq!(v(&e, Cell::Enum(0)), Value::String(String::new()));
        assert!(value(&e, &Cell::Enum(4), &m()).is_err());
        assert_eq!(t(&e, "c"), Value::String("c".into()));
        let set = with(col(ColumnType::Set, "SET"), |c| c.values = vec!["x".into(), "y".into(), "z".into()]);
        assert_eq!(column_schema(&set, &m()).name.as_deref(), Some("io.debezium.data.EnumSet"));
        assert_eq!(v(&set, Cell::Set(0b101)), Value::String("x,z".into()));
        assert_eq!(v(&set, Cell::Set(0)), Value::String(String::new()));
        assert_eq!(t(&set, "x,z"), Value::String("x,z".into()));
        let d = with(e, |c| c.default = Some("b".into()));
        assert_eq!(default_json(&d).as_deref(), Some("\"b\""));
    }

    #[test]
    fn dates_and_zero_dates() {
        let date = col(ColumnType::Date, "DATE");
        let s = column_schema(&date, &m());
        assert_eq!((s.ty, s.name.as_deref(), s.optional), (SchemaType::Int32, Some("io.debezium.time.Date"), true));
        assert_eq!(t(&date, "2024-02-29"), Value::Int32(19782));
        assert_eq!(v(&date, Cell::Date { year: 2024, month: 2, day: 29 }), Value::Int32(19782));
        assert_eq!(t(&date, "0000-00-00"), Value::Null);
        let not_null = with(date.clone(), |c| c.nullable = false);
        assert_eq!(t(&not_null, "0000-00-00"), Value::Int32(0));
        let with_default = with(not_null.clone(), |c| c.default = Some("2000-01-02".into()));
        assert_eq!(t(&with_default, "0000-00-00"), Value::Int32(10958));
        // Two-digit years move with the time adjuster.
        assert_eq!(
            v(&date, Cell::Date { year: 50, month: 1, day: 1 }),
            Value::Int32(days_from_civil(2050, 1, 1) as i32)
        );
        let off = Modes { time_adjuster: false, ..m() };
        assert_eq!(
            value(&date, &Cell::Date { year: 50, month: 1, day: 1 }, &off).unwrap(),
            Value::Int32(days_from_civil(50, 1, 1) as i32)
        );
        // A zero year alone: null from the binlog, year 2000 from JDBC.
        let y0 = Cell::Date { year: 0, month: 3, day: 1 };
        assert_eq!(v(&date, y0.clone()), Value::Null);
        assert_eq!(snapshot_value(&date, &y0, &m()).unwrap(), Value::Int32(days_from_civil(2000, 3, 1) as i32));
        assert!(value(&date, &Cell::Date { year: 2023, month: 2, day: 29 }, &m()).is_err());
        let iso = Modes { time: TimePrecision::IsoString, ..m() };
        assert_eq!(value(&date, &Cell::Date { year: 2024, month: 2, day: 29 }, &iso).unwrap(), "2024-02-29Z".into());
    }

    #[test]
    fn datetimes_by_precision() {
        let dt = col(ColumnType::DateTime, "DATETIME");
        assert_eq!(column_schema(&dt, &m()).name.as_deref(), Some("io.debezium.time.Timestamp"));
        let dt3 = with(dt.clone(), |c| c.length = Some(3));
        assert_eq!(column_schema(&dt3, &m()).name.as_deref(), Some("io.debezium.time.Timestamp"));
        let dt6 = with(dt.clone(), |c| c.length = Some(6));
        assert_eq!(column_schema(&dt6, &m()).name.as_deref(), Some("io.debezium.time.MicroTimestamp"));
        let micros = days_from_civil(2024, 2, 29) * MICROS_PER_DAY + 86_399_000_000 + 123_456;
        assert_eq!(t(&dt6, "2024-02-29 23:59:59.123456"), Value::Int64(micros));
        let cell = Cell::DateTime { year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59, micros: 123_456 };
        assert_eq!(v(&dt6, cell.clone()), Value::Int64(micros));
        assert_eq!(v(&dt3, cell), Value::Int64(micros / 1000));
        assert_eq!(t(&dt, "0000-00-00 00:00:00"), Value::Null);
        let not_null = with(dt6, |c| c.nullable = false);
        assert_eq!(t(&not_null, "0000-00-00 00:00:00"), Value::Int64(0));
    }

    #[test]
    fn times_including_negative() {
        let time = with(col(ColumnType::Time, "TIME"), |c| c.length = Some(6));
        assert_eq!(column_schema(&time, &m()).name.as_deref(), Some("io.debezium.time.MicroTime"));
        let min = -((838 * 3600 + 59 * 60 + 59) * 1_000_000);
        assert_eq!(t(&time, "-838:59:59.000000"), Value::Int64(min));
        assert_eq!(v(&time, Cell::Time(min)), Value::Int64(min));
        assert_eq!(t(&time, "-00:00:01.5"), Value::Int64(-1_500_000));
        assert_eq!(t(&time, "12:00:00"), Value::Int64(43_200_000_000));
        let connect = Modes { time: TimePrecision::Connect, ..m() };
        assert!(value(&time, &Cell::Time(-1), &connect).is_err());
        assert_eq!(value(&time, &Cell::Time(1_500), &connect).unwrap(), Value::Int32(1));
        let d = with(time, |c| c.default = Some("01:02:03".into()));
        assert_eq!(default_json(&d).as_deref(), Some("3723000000"));
    }

    #[test]
    fn timestamps_as_zoned_strings() {
        let ts = col(ColumnType::Timestamp, "TIMESTAMP");
        let s = column_schema(&ts, &m());
        assert_eq!((s.ty, s.name.as_deref()), (SchemaType::String, Some("io.debezium.time.ZonedTimestamp")));
        assert_eq!(t(&ts, "2024-02-29 23:59:59"), Value::String("2024-02-29T23:59:59Z".into()));
        let ts6 = with(ts.clone(), |c| c.length = Some(6));
        let cell = text_cell(&ts6, b"2024-02-29 23:59:59.100000").unwrap();
        assert_eq!(cell, Cell::Timestamp { seconds: 1_709_251_199, micros: 100_000 });
        assert_eq!(value(&ts6, &cell, &m()).unwrap(), Value::String("2024-02-29T23:59:59.100000Z".into()));
        assert_eq!(snapshot_value(&ts6, &cell, &m()).unwrap(), Value::String("2024-02-29T23:59:59.1Z".into()));
        let ts3 = with(ts.clone(), |c| c.length = Some(3));
        assert_eq!(
            v(&ts3, Cell::Timestamp { seconds: 1_709_251_199, micros: 0 }),
            Value::String("2024-02-29T23:59:59.000Z".into())
        );
        // MySQL's zero timestamp: the epoch from the binlog, null from JDBC.
        assert_eq!(v(&ts, Cell::Timestamp { seconds: 0, micros: 0 }), Value::String("1970-01-01T00:00:00Z".into()));
        assert_eq!(text_cell(&ts, b"0000-00-00 00:00:00").unwrap(), Cell::Null);
        let not_null = with(ts.clone(), |c| c.nullable = false);
        assert_eq!(t(&not_null, "0000-00-00 00:00:00"), Value::String("1970-01-01T00:00:00Z".into()));
    }

    #[test]
    fn temporal_defaults() {
        // The captured reference: nullable DATETIME DEFAULT CURRENT_TIMESTAMP → default 0.
        let dt = with(col(ColumnType::DateTime, "DATETIME"), |c| c.default = Some("CURRENT_TIMESTAMP".into()));
        let s = column_schema(&dt, &m());
        assert_eq!(
            (s.optional, s.name.as_deref(), s.default_json.as_deref()),
            (true, Some("io.debezium.time.Timestamp"), Some("0"))
        );
        let maria = with(dt.clone(), |c| c.default = Some("current_timestamp()".into()));
        assert_eq!(default_json(&maria).as_deref(), Some("0"));
        let lit = with(dt.clone(), |c| c.default = Some("2024-01-02 03:04:05".into()));
        assert_eq!(default_json(&lit).as_deref(), Some("1704164645000"));
        let zero = with(dt.clone(), |c| c.default = Some("0000-00-00 00:00:00".into()));
        assert_eq!(default_json(&zero), None);
        let zero_nn = with(zero, |c| c.nullable = false);
        assert_eq!(default_json(&zero_nn).as_deref(), Some("0"));

        let ts = with(col(ColumnType::Timestamp, "TIMESTAMP"), |c| c.default = Some("CURRENT_TIMESTAMP".into()));
        assert_eq!(default_json(&ts), None);
        let ts_nn = with(ts.clone(), |c| c.nullable = false);
        assert_eq!(default_json(&ts_nn).as_deref(), Some("\"1970-01-01T00:00:00Z\""));
        let ts_lit = with(ts, |c| {
            c.default = Some("2024-01-02 03:04:05".into());
            c.length = Some(3)
        });
        assert_eq!(default_json(&ts_lit).as_deref(), Some("\"2024-01-02T03:04:05.000Z\""));

        let date = with(col(ColumnType::Date, "DATE"), |c| c.default = Some("0000-00-00".into()));
        assert_eq!(default_json(&date), None);
        let date_nn = with(date, |c| c.nullable = false);
        assert_eq!(default_json(&date_nn).as_deref(), Some("0"));
        let year = with(col(ColumnType::Year, "YEAR"), |c| c.default = Some("2024".into()));
        assert_eq!(default_json(&year).as_deref(), Some("2024"));
    }

    #[test]
    fn other_defaults() {
        let id = with(col(ColumnType::BigInt, "BIGINT"), |c| c.nullable = false);
        let s = column_schema(&id, &m());
        assert_eq!((s.ty, s.optional, s.default_json), (SchemaType::Int64, false, None));
        let int = with(col(ColumnType::Int, "INT"), |c| c.default = Some("5".into()));
        assert_eq!(default_json(&int).as_deref(), Some("5"));
        let rounded = with(col(ColumnType::SmallInt, "SMALLINT"), |c| c.default = Some("1.5".into()));
        assert_eq!(default_json(&rounded).as_deref(), Some("2"));
        let boolean = with(col(ColumnType::TinyInt, "TINYINT"), |c| c.default = Some("true".into()));
        assert_eq!(default_json(&boolean).as_deref(), Some("1"));
        let b = with(col(ColumnType::Boolean, "BOOLEAN"), |c| c.default = Some("1".into()));
        assert_eq!(default_json(&b).as_deref(), Some("true"));
        let null = with(col(ColumnType::Int, "INT"), |c| c.default = Some("NULL".into()));
        assert_eq!(default_json(&null), None);
        let expr = with(col(ColumnType::Int, "INT"), |c| c.default = Some("(rand())".into()));
        assert_eq!(default_json(&expr), None);
        let s = with(col(ColumnType::VarChar, "VARCHAR"), |c| c.default = Some(" a\"b ".into()));
        assert_eq!(default_json(&s).as_deref(), Some("\" a\\\"b \""));
        let intro = with(col(ColumnType::VarChar, "VARCHAR"), |c| c.default = Some("_utf8mb4'x'".into()));
        assert_eq!(default_json(&intro).as_deref(), Some("\"x\""));
        let dec = with(col(ColumnType::Decimal, "DECIMAL"), |c| {
            c.length = Some(5);
            c.scale = Some(2);
            c.default = Some("1.005".into())
        });
        assert_eq!(default_json(&dec).as_deref(), Some("\"ZQ==\""));
        let float = with(col(ColumnType::Double, "DOUBLE"), |c| c.default = Some("1.5".into()));
        assert_eq!(default_json(&float).as_deref(), Some("1.5"));
        let comment = with(col(ColumnType::Int, "INT"), |c| c.comment = Some("note".into()));
        assert_eq!(column_schema(&comment, &m()).doc, None);
        let with_comments = Modes { include_comments: true, ..m() };
        assert_eq!(column_schema(&comment, &with_comments).doc.as_deref(), Some("note"));
    }

    #[test]
    fn json_year_uuid_inet() {
        let j = col(ColumnType::Json, "JSON");
        assert_eq!(column_schema(&j, &m()).name.as_deref(), Some("io.debezium.data.Json"));
        assert_eq!(t(&j, "{\"a\": 1}"), Value::String("{\"a\": 1}".into()));
        assert_eq!(v(&j, Cell::Json("{\"a\":1}".into())), Value::String("{\"a\":1}".into()));
        let y = col(ColumnType::Year, "YEAR");
        assert_eq!(column_schema(&y, &m()).name.as_deref(), Some("io.debezium.time.Year"));
        assert_eq!(t(&y, "2024"), Value::Int32(2024));
        assert_eq!(v(&y, Cell::Year(0)), Value::Int32(1900));
        let u = col(ColumnType::Uuid, "UUID");
        assert_eq!(column_schema(&u, &m()).name.as_deref(), Some("io.debezium.data.Uuid"));
        let text = "123e4567-e89b-12d3-a456-426614174000";
        assert_eq!(t(&u, text), Value::String(text.into()));
        let i4 = col(ColumnType::Inet4, "INET4");
        assert_eq!(v(&i4, Cell::Bytes(vec![192, 168, 0, 1])), Value::String("192.168.0.1".into()));
        assert_eq!(t(&i4, "10.0.0.1"), Value::String("10.0.0.1".into()));
        let i6 = col(ColumnType::Inet6, "INET6");
        assert_eq!(t(&i6, "2001:db8::1"), Value::String("2001:db8::1".into()));
    }

    #[test]
    fn geometry_and_point() {
        let mut bytes = 4326_i32.to_le_bytes().to_vec();
        bytes.push(1);
        bytes.extend_from_slice(&1_u32.to_le_bytes());
        bytes.extend_from_slice(&1.5_f64.to_le_bytes());
        bytes.extend_from_slice(&(-2.0_f64).to_le_bytes());
        let point = with(col(ColumnType::Geometry, "POINT"), |c| c.nullable = false);
        let s = column_schema(&point, &m());
        assert_eq!(
            (s.name.as_deref(), s.optional, s.doc.as_deref()),
            (Some("io.debezium.data.geometry.Point"), false, Some("Geometry (POINT)"))
        );
        let names: Vec<&str> = s.fields.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["x", "y", "wkb", "srid"]);
        let expected = Value::Struct(vec![
            Value::Float64(1.5),
            Value::Float64(-2.0),
            Value::Bytes(bytes[4..].to_vec()),
            Value::Int32(4326),
        ]);
        assert_eq!(v(&point, Cell::Bytes(bytes.clone())), expected);
        assert_eq!(value(&point, &text_cell(&point, &bytes).unwrap(), &m()).unwrap(), expected);
        let geometry = with(col(ColumnType::Geometry, "GEOMETRY"), |c| c.nullable = false);
        let s = column_schema(&geometry, &m());
        assert_eq!((s.name.as_deref(), s.optional), (Some("io.debezium.data.geometry.Geometry"), true));
        let mut zero_srid = bytes.clone();
        zero_srid[..4].copy_from_slice(&[0; 4]);
        assert_eq!(
            v(&geometry, Cell::Bytes(zero_srid)),
            Value::Struct(vec![Value::Bytes(bytes[4..].to_vec()), Value::Null])
        );
        assert!(value(&point, &Cell::Bytes(vec![1, 2]), &m()).is_err());
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let all = [
            ColumnType::Bit,
            ColumnType::Boolean,
            ColumnType::TinyInt,
            ColumnType::BigInt,
            ColumnType::Decimal,
            ColumnType::Float,
            ColumnType::Double,
            ColumnType::Date,
            ColumnType::Time,
            ColumnType::DateTime,
            ColumnType::Timestamp,
            ColumnType::Year,
            ColumnType::Json,
            ColumnType::Geometry,
            ColumnType::Uuid,
            ColumnType::Inet4,
            ColumnType::Inet6,
            ColumnType::Enum,
        ];
        for ty in all {
            let c = with(col(ty, "X"), |c| c.default = Some("garbage(".into()));
            for text in [&b""[..], b"-", b"9999-99-99 99:99:99", b"\xff\xfe", b"1:2:3:4", b"..."] {
                if let Ok(cell) = text_cell(&c, text) {
                    let _ = value(&c, &cell, &m());
                }
            }
            for cell in [
                Cell::Int(i64::MIN),
                Cell::Bytes(vec![]),
                Cell::Time(i64::MIN),
                Cell::Timestamp { seconds: i64::MAX, micros: 0 },
            ] {
                let _ = value(&c, &cell, &m());
            }
            let _ = column_schema(&c, &m());
        }
        let err = value(&col(ColumnType::Int, "INT"), &Cell::Bytes(vec![]), &m()).unwrap_err();
        assert!(err.to_string().contains("`c`"), "{err}");
    }
}

//! PostgreSQL column types → Debezium's Connect schemas and values.
//!
//! Values arrive in PostgreSQL's text output format (pgoutput tuples and
//! query results alike, DateStyle ISO, IntervalStyle postgres, bytea_output
//! hex). Each function mirrors what Debezium 3.x's `PostgresValueConverter`
//! (with pgjdbc's text parsing) makes of that text, so events are
//! indistinguishable from Debezium's. A snapshot reads a few fixed-width
//! types in binary instead ([`Converter::binary_value`]), to the same values.

use std::fmt;

use weir_debezium::binary::BinaryMode;
use weir_debezium::decimal::{self, Decimal, DecimalMode, Rounding, Special};
use weir_debezium::temporal::{self, TimePrecision, days_from_civil};
use weir_sdk::{Schema, SchemaType, Value};

use crate::lsn::PG_EPOCH_OFFSET_US;

/// Per-connector conversion settings (from decimal.handling.mode,
/// time.precision.mode, binary.handling.mode, interval.handling.mode,
/// hstore.handling.mode, include.unknown.datatypes, money.fraction.digits,
/// unavailable.value.placeholder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modes {
    /// `decimal.handling.mode`.
    pub decimal: DecimalMode,
    /// `time.precision.mode`.
    pub time: TimePrecision,
    /// `binary.handling.mode`.
    pub binary: BinaryMode,
    /// `interval.handling.mode`.
    pub interval: IntervalMode,
    /// `hstore.handling.mode`.
    pub hstore: HstoreMode,
    /// `include.unknown.datatypes`.
    pub include_unknown: bool,
    /// `money.fraction.digits`.
    pub money_fraction_digits: u8,
    /// `unavailable.value.placeholder`, as bytes (a `hex:` value already decoded).
    pub unavailable_placeholder: Vec<u8>,
}

impl Default for Modes {
    fn default() -> Self {
        Self {
            decimal: DecimalMode::Precise,
            time: TimePrecision::Adaptive,
            binary: BinaryMode::Bytes,
            interval: IntervalMode::Numeric,
            hstore: HstoreMode::Json,
            include_unknown: false,
            money_fraction_digits: 2,
            unavailable_placeholder: b"__debezium_unavailable_value".to_vec(),
        }
    }
}

/// `interval.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntervalMode {
    /// `io.debezium.time.MicroDuration` (approximate microseconds).
    #[default]
    Numeric,
    /// `io.debezium.time.Interval` (`P1Y2M3DT4H5M6.78S`).
    String,
}

impl IntervalMode {
    /// Parses `numeric` or `string`.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "numeric" => Some(Self::Numeric),
            "string" => Some(Self::String),
            _ => None,
        }
    }
}

/// `hstore.handling.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HstoreMode {
    /// `io.debezium.data.Json` string.
    #[default]
    Json,
    /// `map<string, optional string>`.
    Map,
}

impl HstoreMode {
    /// Parses `json` or `map`.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "json" => Some(Self::Json),
            "map" => Some(Self::Map),
            _ => None,
        }
    }
}

/// A PostgreSQL type as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgType {
    /// `pg_type.oid`.
    pub oid: u32,
    /// `pg_type.typname`, e.g. `int4`, `_text`, `mood`, `hstore`.
    pub name: String,
    /// What kind of type it is.
    pub kind: TypeKind,
}

/// The shape of a [`PgType`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeKind {
    /// A built-in or extension base type, told apart by name.
    Base,
    /// An enum, with its labels in sort order.
    Enum(Vec<String>),
    /// An array of the element type.
    Array(Box<PgType>),
    /// A domain over the base type.
    Domain(Box<PgType>),
    /// Anything else (composite, range, pseudo types...).
    Other,
}

/// One column of a captured table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The column name.
    pub name: String,
    /// Its type.
    pub ty: PgType,
    /// `atttypmod`, -1 when none.
    pub typmod: i32,
    /// `attnotnull`.
    pub not_null: bool,
    /// `pg_get_expr(adbin, adrelid)`, e.g. `nextval('t_id_seq'::regclass)`.
    pub default_expr: Option<String>,
}

/// A column value whose text could not be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeError {
    /// The column.
    pub column: String,
    /// Its type name.
    pub type_name: String,
    /// The text that failed (cut to 200 characters).
    pub text: String,
    /// Why.
    pub reason: String,
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot convert value {:?} of column \"{}\" (type {}): {}",
            self.text, self.column, self.type_name, self.reason
        )
    }
}

impl std::error::Error for TypeError {}

impl TypeError {
    /// `col`'s value `text` (as shown in the error) failed for `reason`.
    fn new(col: &Column, text: String, reason: String) -> Self {
        Self { column: col.name.clone(), type_name: col.ty.name.clone(), text, reason }
    }
}

/// The Connect schema Debezium gives this column: optional unless NOT NULL,
/// with `default` when the column default is a literal Debezium converts
/// (function defaults such as `nextval(...)` give the type's zero, hence
/// `"default":0` on SERIAL ids). `None` when the column is not captured
/// (an unknown type without `include.unknown.datatypes`, or an array type
/// Debezium does not support).
pub fn column_schema(col: &Column, modes: &Modes) -> Option<Schema> {
    let mut schema = kind_schema(&kind_of(&col.ty, col.typmod), modes)?;
    schema.optional = !col.not_null;
    schema.default_json = default_value(col, modes).and_then(|v| v.to_default_json());
    Some(schema)
}

/// A non-null value in PostgreSQL's text output format → the Connect value
/// for the column's schema.
pub fn text_value(col: &Column, text: &str, modes: &Modes) -> Result<Value, TypeError> {
    Converter::of(col).value(col, text, modes)
}

/// How one column's values convert, worked out once per table (domains
/// resolved, enum labels joined) instead of once per value.
#[derive(Debug, Clone, PartialEq)]
pub struct Converter {
    kind: Kind,
    binary: bool,
}

impl Converter {
    /// The converter for `col`.
    pub fn of(col: &Column) -> Self {
        Self { kind: kind_of(&col.ty, col.typmod), binary: reads_binary(&col.ty) }
    }

    /// Whether values can be read in PostgreSQL's binary format (see
    /// [`binary_value`](Self::binary_value)).
    pub fn binary(&self) -> bool {
        self.binary
    }

    /// [`text_value`] for `col`, the column this converter was made for.
    pub fn value(&self, col: &Column, text: &str, modes: &Modes) -> Result<Value, TypeError> {
        kind_value(&self.kind, text, modes, !col.not_null)
            .map_err(|reason| TypeError::new(col, text.chars().take(200).collect(), reason))
    }

    /// The value of `col` from its binary format (for a converter whose
    /// [`binary`](Self::binary) is true): the same value the text gives.
    pub fn binary_value(&self, col: &Column, bytes: &[u8], modes: &Modes) -> Result<Value, TypeError> {
        binary_kind_value(&self.kind, bytes, modes)
            .map_err(|reason| TypeError::new(col, format!("binary {bytes:02x?}"), reason))
    }
}

/// Whether a snapshot reads the type in binary: fixed-width types whose
/// binary form is cheaper to decode than their text (and means the same:
/// not the floats, whose text depends on `extra_float_digits`). Decided by
/// type name, not [`Kind`], because `oid` shares `int8`'s kind but is four bytes.
fn reads_binary(ty: &PgType) -> bool {
    match &ty.kind {
        TypeKind::Domain(base) => reads_binary(base),
        TypeKind::Base => matches!(
            ty.name.as_str(),
            "bool" | "int2" | "int4" | "int8" | "date" | "time" | "timestamp" | "timestamptz" | "uuid"
        ),
        _ => false,
    }
}

/// A binary-format value of a type [`reads_binary`] accepts: big-endian
/// integers; dates as days and times and timestamps as microseconds since
/// 2000-01-01 (PostgreSQL's epoch), the extremes standing for ±infinity.
fn binary_kind_value(kind: &Kind, bytes: &[u8], modes: &Modes) -> Result<Value, String> {
    fn exact<const N: usize>(bytes: &[u8]) -> Result<[u8; N], String> {
        bytes.try_into().map_err(|_| format!("expected {N} bytes, got {}", bytes.len()))
    }
    let int64 = |bytes| exact(bytes).map(i64::from_be_bytes);
    Ok(match kind {
        Kind::Bool => Value::Boolean(exact::<1>(bytes)?[0] != 0),
        Kind::Int16 => Value::Int16(i16::from_be_bytes(exact(bytes)?)),
        Kind::Int32 => Value::Int32(i32::from_be_bytes(exact(bytes)?)),
        Kind::Int64 => Value::Int64(int64(bytes)?),
        Kind::Date => modes.time.date_value(match i32::from_be_bytes(exact(bytes)?) {
            i32::MAX => infinity_days(true),
            i32::MIN => infinity_days(false),
            days => i64::from(days) + PG_EPOCH_DAYS,
        }),
        Kind::Time(p) => modes.time.time_value(*p, int64(bytes)?),
        Kind::Timestamp(p) => timestamp_at(pg_instant(int64(bytes)?)?, *p, modes)?,
        Kind::TimestampTz(p) => match pg_instant(int64(bytes)?)? {
            Instant::Infinity(positive) => Value::String(if positive { "infinity" } else { "-infinity" }.into()),
            Instant::Micros(micros) => Value::String(temporal::zoned_timestamp(micros, *p)),
        },
        Kind::Uuid => Value::String(weir_debezium::binary::uuid(&exact(bytes)?)),
        _ => return Err("no binary format is read for this type".into()),
    })
}

/// Days from the Unix epoch to PostgreSQL's (2000-01-01).
const PG_EPOCH_DAYS: i64 = PG_EPOCH_OFFSET_US / 86_400_000_000;

/// A timestamp: microseconds since the Unix epoch, or ±infinity.
enum Instant {
    Micros(i64),
    Infinity(bool),
}

/// A binary timestamp (µs since 2000-01-01) as an [`Instant`].
fn pg_instant(pg_micros: i64) -> Result<Instant, String> {
    Ok(match pg_micros {
        i64::MAX => Instant::Infinity(true),
        i64::MIN => Instant::Infinity(false),
        micros => Instant::Micros(micros.checked_add(PG_EPOCH_OFFSET_US).ok_or("timestamp out of range")?),
    })
}

/// The value Debezium puts for a NOT NULL column whose image has no value
/// (e.g. non-key columns of a REPLICA IDENTITY DEFAULT delete): the schema
/// default or the type's fallback (`""`, `0`, epoch...). Null for nullable
/// columns.
pub fn missing_value(col: &Column, modes: &Modes) -> Value {
    if !col.not_null {
        return Value::Null;
    }
    default_value(col, modes).unwrap_or_else(|| fallback(&kind_of(&col.ty, col.typmod), modes))
}

/// The value for an unchanged TOASTed column: Debezium's
/// `unavailable.value.placeholder`, typed per column (the placeholder string
/// for text-like columns, its bytes for bytea, one-element arrays of it for
/// text/bytea/uuid arrays, its bytes as numbers for int4/date/int8 arrays,
/// `{placeholder: placeholder}` for hstore).
pub fn unavailable_value(col: &Column, modes: &Modes) -> Value {
    let placeholder = &modes.unavailable_placeholder;
    let text = String::from_utf8_lossy(placeholder).into_owned();
    match col.ty.name.as_str() {
        "_text" | "_varchar" | "_bpchar" | "_json" | "_jsonb" => return Value::Array(vec![Value::String(text)]),
        "_bytea" => return Value::Array(vec![modes.binary.value(placeholder.clone())]),
        "_int4" | "_date" => {
            return Value::Array(placeholder.iter().map(|b| Value::Int32(i32::from(*b as i8))).collect());
        }
        "_int8" => return Value::Array(placeholder.iter().map(|b| Value::Int64(i64::from(*b as i8))).collect()),
        "_uuid" => return Value::Array(vec![Value::String(name_uuid(placeholder))]),
        "hstore" => {
            return match modes.hstore {
                HstoreMode::Json => Value::String(hstore_json(&[(text.clone(), Some(text))])),
                HstoreMode::Map => Value::Map(vec![(Value::String(text.clone()), Value::String(text))]),
            };
        }
        _ => {}
    }
    let kind = kind_of(&col.ty, col.typmod);
    match &kind {
        // Debezium's bytea converters know the placeholder only as bytes
        // (bytes mode) or as the string (hex mode); base64 modes lose it.
        Kind::Bytea | Kind::Unknown => match modes.binary {
            BinaryMode::Bytes => Value::Bytes(placeholder.clone()),
            BinaryMode::Hex => Value::String(text),
            BinaryMode::Base64 | BinaryMode::Base64UrlSafe if !col.not_null => Value::Null,
            mode => mode.value(placeholder.clone()),
        },
        Kind::Array(element, _) if is_string_kind(element, modes) => Value::Array(vec![Value::String(text)]),
        k if is_string_kind(k, modes) => Value::String(text),
        _ if !col.not_null => Value::Null,
        _ => missing_value(col, modes),
    }
}

/// What a column's type converts as, after domains are resolved.
#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Bool,
    Int16,
    Int32,
    Int64,
    Float32,
    Float64,
    /// `numeric`; `precision` 0 means unconstrained (variable scale).
    Numeric {
        precision: u32,
        scale: i32,
    },
    Money,
    /// Plain strings: character types, network addresses, ranges, citext.
    Text,
    Xml,
    Json,
    Uuid,
    Ltree,
    Tsvector,
    Enum(String),
    Bytea,
    Date,
    Time(i32),
    TimeTz,
    Timestamp(i32),
    TimestampTz(i32),
    Interval,
    /// `bit(n)` / `varbit(n)`; a length of 1 is a boolean.
    Bits(u32),
    Point,
    Hstore,
    /// Element kind, and whether Debezium marks the element schema optional.
    Array(Box<Kind>, bool),
    /// Not a type Debezium converts: raw text under include.unknown.datatypes.
    Unknown,
    /// A type whose columns Debezium never captures.
    Unsupported,
}

fn kind_of(ty: &PgType, typmod: i32) -> Kind {
    match &ty.kind {
        TypeKind::Domain(base) => kind_of(base, typmod),
        TypeKind::Enum(labels) => Kind::Enum(labels.join(",")),
        TypeKind::Array(element) => array_kind(element, typmod),
        TypeKind::Base | TypeKind::Other => base_kind(&ty.name, typmod),
    }
}

fn precision(typmod: i32) -> i32 {
    if typmod < 0 { 6 } else { typmod }
}

fn base_kind(name: &str, typmod: i32) -> Kind {
    match name {
        "bool" => Kind::Bool,
        "int2" => Kind::Int16,
        "int4" => Kind::Int32,
        "int8" | "oid" => Kind::Int64,
        "float4" => Kind::Float32,
        "float8" => Kind::Float64,
        "numeric" if typmod < 4 => Kind::Numeric { precision: 0, scale: 0 },
        "numeric" => Kind::Numeric { precision: (((typmod - 4) >> 16) & 0xffff) as u32, scale: (typmod - 4) & 0xffff },
        "money" => Kind::Money,
        "bpchar" | "varchar" | "text" | "name" | "char" | "citext" | "inet" | "cidr" | "macaddr" | "macaddr8"
        | "int4range" | "int8range" | "numrange" | "tsrange" | "tstzrange" | "daterange" | "isbn" => Kind::Text,
        "xml" => Kind::Xml,
        "json" | "jsonb" => Kind::Json,
        "uuid" => Kind::Uuid,
        "ltree" => Kind::Ltree,
        "tsvector" => Kind::Tsvector,
        "bytea" => Kind::Bytea,
        "date" => Kind::Date,
        "time" => Kind::Time(precision(typmod)),
        "timetz" => Kind::TimeTz,
        "timestamp" => Kind::Timestamp(precision(typmod)),
        "timestamptz" => Kind::TimestampTz(precision(typmod)),
        "interval" => Kind::Interval,
        // pgjdbc reports bit's typmod as its length (bit alone is bit(1)).
        "bit" => Kind::Bits(typmod.max(1) as u32),
        "varbit" => Kind::Bits(if typmod < 0 { i32::MAX as u32 } else { typmod as u32 }),
        "point" => Kind::Point,
        "hstore" => Kind::Hstore,
        _ => Kind::Unknown,
    }
}

fn array_kind(element: &PgType, typmod: i32) -> Kind {
    if let TypeKind::Enum(labels) = &element.kind {
        // Debezium builds enum array elements without `optional()`.
        return Kind::Array(Box::new(Kind::Enum(labels.join(","))), false);
    }
    if matches!(element.kind, TypeKind::Domain(_)) {
        // Debezium cannot resolve domain elements; only include.unknown.datatypes exports them.
        return Kind::Array(Box::new(Kind::Unknown), false);
    }
    match element.name.as_str() {
        "money" | "name" | "interval" | "varbit" | "bit" | "xml" | "point" | "refcursor" => Kind::Unsupported,
        "int2" | "int4" | "int8" | "oid" | "char" | "varchar" | "text" | "bpchar" | "inet" | "cidr" | "macaddr"
        | "macaddr8" | "tsrange" | "tstzrange" | "daterange" | "int4range" | "numrange" | "int8range" | "numeric"
        | "float4" | "float8" | "bool" | "date" | "uuid" | "json" | "jsonb" | "time" | "timetz" | "timestamp"
        | "timestamptz" | "bytea" | "citext" | "hstore" | "ltree" => {
            Kind::Array(Box::new(base_kind(&element.name, typmod)), true)
        }
        // Other element types go through Debezium's generic path, which
        // leaves the element schema required.
        _ => Kind::Array(Box::new(base_kind(&element.name, typmod)), false),
    }
}

fn named(schema: Schema, name: &str) -> Schema {
    schema.named(name).version(1)
}

fn kind_schema(kind: &Kind, modes: &Modes) -> Option<Schema> {
    Some(match kind {
        Kind::Bool => Schema::boolean(),
        Kind::Int16 => Schema::of(SchemaType::Int16),
        Kind::Int32 => Schema::int32(),
        Kind::Int64 => Schema::int64(),
        Kind::Float32 => Schema::of(SchemaType::Float32),
        Kind::Float64 => Schema::float64(),
        Kind::Numeric { precision: 0, .. } if modes.decimal == DecimalMode::Precise => {
            decimal::variable_scale_decimal_schema()
        }
        Kind::Numeric { precision, scale } => modes.decimal.schema(*precision, *scale),
        Kind::Money => match modes.decimal {
            DecimalMode::Precise => decimal::decimal_schema(i32::from(modes.money_fraction_digits), None),
            DecimalMode::Double => Schema::float64(),
            DecimalMode::String => Schema::string(),
        },
        Kind::Text => Schema::string(),
        Kind::Xml => named(Schema::string(), "io.debezium.data.Xml"),
        Kind::Json => named(Schema::string(), "io.debezium.data.Json"),
        Kind::Uuid => named(Schema::string(), "io.debezium.data.Uuid"),
        Kind::Ltree => named(Schema::string(), "io.debezium.data.Ltree"),
        Kind::Tsvector => named(Schema::string(), "io.debezium.data.Tsvector"),
        Kind::Enum(allowed) => named(Schema::string(), "io.debezium.data.Enum").parameter("allowed", allowed.clone()),
        Kind::Bytea => modes.binary.schema(),
        Kind::Date => modes.time.date_schema(),
        Kind::Time(p) => modes.time.time_schema(*p),
        Kind::TimeTz => temporal::zoned_time_schema(),
        Kind::Timestamp(p) => modes.time.timestamp_schema(*p),
        Kind::TimestampTz(_) => temporal::zoned_timestamp_schema(),
        Kind::Interval => match modes.interval {
            IntervalMode::Numeric => temporal::micro_duration_schema(),
            IntervalMode::String => temporal::interval_schema(),
        },
        Kind::Bits(1) => Schema::boolean(),
        Kind::Bits(length) => named(Schema::bytes(), "io.debezium.data.Bits").parameter("length", length.to_string()),
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
        Kind::Hstore => match modes.hstore {
            HstoreMode::Json => named(Schema::string(), "io.debezium.data.Json"),
            HstoreMode::Map => Schema::map(Schema::string(), Schema::string().optional()),
        },
        Kind::Array(element, optional) => {
            let mut element = kind_schema(element, modes)?;
            element.optional = *optional;
            Schema::array(element)
        }
        Kind::Unknown if modes.include_unknown => modes.binary.schema(),
        Kind::Unknown | Kind::Unsupported => return None,
    })
}

/// Converts the text of one non-null value (`optional`: whether null is an
/// acceptable answer where Debezium gives up on a value).
fn kind_value(kind: &Kind, text: &str, modes: &Modes, optional: bool) -> Result<Value, String> {
    let bad = |what: &str| format!("not a valid {what}");
    Ok(match kind {
        Kind::Bool => Value::Boolean(text.eq_ignore_ascii_case("t")),
        Kind::Int16 => Value::Int16(text.parse().map_err(|_| bad("smallint"))?),
        Kind::Int32 => Value::Int32(text.parse().map_err(|_| bad("integer"))?),
        Kind::Int64 => Value::Int64(text.parse().map_err(|_| bad("bigint"))?),
        Kind::Float32 => Value::Float32(text.parse().map_err(|_| bad("real"))?),
        Kind::Float64 => Value::Float64(text.parse().map_err(|_| bad("double precision"))?),
        Kind::Numeric { precision, scale } => numeric_value(text, *precision, *scale, modes)?,
        Kind::Money => money_value(text, modes)?,
        Kind::Text | Kind::Xml | Kind::Json | Kind::Uuid | Kind::Ltree | Kind::Tsvector | Kind::Enum(_) => {
            Value::String(text.to_string())
        }
        Kind::Bytea => modes.binary.value(parse_bytea(text).ok_or_else(|| bad("hex bytea"))?),
        Kind::Date => modes.time.date_value(parse_date(text).ok_or_else(|| bad("date"))?),
        Kind::Time(p) => modes.time.time_value(*p, parse_time(text).ok_or_else(|| bad("time"))?),
        Kind::TimeTz => {
            let (micros, offset) = parse_time_tz(text).ok_or_else(|| bad("time with time zone"))?;
            Value::String(temporal::zoned_time(micros - offset * 1_000_000))
        }
        Kind::Timestamp(p) => timestamp_value(text, *p, modes)?,
        Kind::TimestampTz(p) => match text {
            "infinity" | "-infinity" => Value::String(text.to_string()),
            _ => {
                let micros = parse_timestamp(text, true).ok_or_else(|| bad("timestamp with time zone"))?;
                let micros = i64::try_from(micros).map_err(|_| "timestamp out of range".to_string())?;
                Value::String(temporal::zoned_timestamp(micros, *p))
            }
        },
        Kind::Interval => {
            let interval = PgInterval::parse(text).ok_or_else(|| bad("interval"))?;
            match modes.interval {
                IntervalMode::Numeric => Value::Int64(interval.micro_duration()),
                IntervalMode::String => Value::String(interval.iso_string()),
            }
        }
        Kind::Bits(length) => bits_value(text, *length).ok_or_else(|| bad("bit string"))?,
        Kind::Point => point_value(text).ok_or_else(|| bad("point"))?,
        Kind::Hstore => {
            let entries = parse_hstore(text).ok_or_else(|| bad("hstore"))?;
            match modes.hstore {
                HstoreMode::Json => Value::String(hstore_json(&entries)),
                HstoreMode::Map => Value::Map(
                    entries
                        .into_iter()
                        .map(|(k, v)| (Value::String(k), v.map_or(Value::Null, Value::String)))
                        .collect(),
                ),
            }
        }
        Kind::Array(element, _) => match parse_array(text) {
            Ok(items) => Value::Array(
                items
                    .iter()
                    .map(|item| match item {
                        None => Ok(Value::Null),
                        Some(t) => kind_value(element, t, modes, true),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            // Debezium's element converters cannot take nested arrays and
            // give up on the value.
            Err(ArrayError::Nested) if optional => Value::Null,
            Err(ArrayError::Nested) => return Err("multidimensional arrays are not supported".into()),
            Err(ArrayError::Syntax) => return Err(bad("array")),
        },
        Kind::Unknown if modes.include_unknown => modes.binary.value(text.as_bytes().to_vec()),
        Kind::Unknown | Kind::Unsupported => return Err("type is not captured".into()),
    })
}

fn is_string_kind(kind: &Kind, modes: &Modes) -> bool {
    kind_schema(kind, modes).is_some_and(|s| s.ty == SchemaType::String)
}

fn numeric_value(text: &str, precision: u32, scale: i32, modes: &Modes) -> Result<Value, String> {
    let special = match text {
        "NaN" => Some(Special::NaN),
        "Infinity" => Some(Special::PositiveInfinity),
        "-Infinity" => Some(Special::NegativeInfinity),
        _ => None,
    };
    if let Some(special) = special {
        return modes.decimal.special_value(special).ok_or_else(|| {
            "got a special value (NaN/Infinity) but decimal.handling.mode=precise cannot express it; use 'string'"
                .to_string()
        });
    }
    // The per-row common case, spared the general `Decimal`.
    if precision != 0
        && modes.decimal == DecimalMode::Precise
        && let Some(bytes) = decimal::precise_bytes(text, scale)
    {
        return Ok(Value::Bytes(bytes));
    }
    let d = Decimal::parse(text).map_err(|e| e.to_string())?;
    if precision == 0 {
        if modes.decimal == DecimalMode::Precise {
            let mut d = d.strip_trailing_zeros();
            if d.scale() < 0 {
                d = d.with_scale(0, Rounding::Unnecessary).unwrap_or(d);
            }
            return Ok(decimal::variable_scale_decimal_value(&d));
        }
        return Ok(modes.decimal.value(&d));
    }
    let d = d.with_scale(scale, Rounding::Unnecessary).ok_or("more fraction digits than the column's scale")?;
    Ok(modes.decimal.value(&d))
}

/// `$1,234.56`, `-$1.00`, `($1.00)` → the decimal (lc_monetary C-like).
fn parse_money(text: &str) -> Option<Decimal> {
    let negative = text.starts_with('-') || text.starts_with('(');
    let mut body = text.trim_start_matches('-').trim_start_matches('(').trim_end_matches(')');
    if body.starts_with(|c: char| !c.is_ascii_digit() && c != '.') {
        let mut chars = body.chars();
        chars.next();
        body = chars.as_str();
    }
    let digits = body.replace(',', "");
    Decimal::parse(&if negative { format!("-{digits}") } else { digits }).ok()
}

fn money_value(text: &str, modes: &Modes) -> Result<Value, String> {
    let d = parse_money(text).ok_or("not a valid money amount")?;
    Ok(match modes.decimal {
        DecimalMode::Precise => {
            let scale = i32::from(modes.money_fraction_digits);
            Value::Bytes(d.with_scale(scale, Rounding::HalfUp).ok_or("amount out of range")?.unscaled_bytes())
        }
        mode => mode.value(&d),
    })
}

fn parse_bytea(text: &str) -> Option<Vec<u8>> {
    let hex = text.strip_prefix("\\x")?.as_bytes();
    if hex.len() % 2 != 0 {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    hex.chunks(2).map(|p| Some(nibble(p[0])? << 4 | nibble(p[1])?)).collect()
}

// Where pgjdbc puts PostgreSQL's infinite dates and timestamps.
const POSITIVE_INFINITY_MICROS: i64 = 9_223_372_036_825_200_000;
const NEGATIVE_INFINITY_MICROS: i64 = -9_223_372_036_832_400_000;

fn infinity_days(positive: bool) -> i64 {
    // Debezium's LocalDate stand-ins for ±infinity (the odd year is theirs).
    if positive { days_from_civil(-5_877_611, 6, 21) } else { days_from_civil(-5_877_611, 6, 22) }
}

/// Splits `text` into its date part, the rest, and whether it ends in ` BC`.
fn split_era(text: &str) -> (&str, bool) {
    match text.strip_suffix(" BC") {
        Some(rest) => (rest, true),
        None => (text.strip_suffix(" AD").unwrap_or(text), false),
    }
}

/// `yyyy-mm-dd` (year of era) at the start of `text` → (days, rest).
fn parse_ymd(text: &str, bc: bool) -> Option<(i64, &str)> {
    let (year, rest) = text.split_once('-')?;
    if year.is_empty() || !year.bytes().all(|b| b.is_ascii_digit()) || rest.len() < 5 {
        return None;
    }
    let month: u32 = rest.get(..2)?.parse().ok()?;
    let day: u32 = rest.get(3..5)?.parse().ok()?;
    if rest.as_bytes()[2] != b'-' || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let year_of_era: i64 = year.parse().ok()?;
    let year = if bc { 1 - year_of_era } else { year_of_era };
    Some((days_from_civil(year, month, day), &rest[5..]))
}

fn parse_date(text: &str) -> Option<i64> {
    match text {
        "infinity" => return Some(infinity_days(true)),
        "-infinity" => return Some(infinity_days(false)),
        _ => {}
    }
    let (body, bc) = split_era(text);
    let (days, rest) = parse_ymd(body, bc)?;
    rest.is_empty().then_some(days)
}

/// `HH:MM[:SS[.ffffff]]` at the start of `text` → (micros past midnight, rest).
fn parse_clock(text: &str) -> Option<(i64, &str)> {
    let digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
    let hours = text.get(..2).filter(|s| digits(s))?;
    let minutes = text.get(3..5).filter(|s| digits(s) && text.as_bytes()[2] == b':')?;
    let mut micros = (hours.parse::<i64>().ok()? * 60 + minutes.parse::<i64>().ok()?) * 60_000_000;
    let mut rest = &text[5..];
    if let Some(after) = rest.strip_prefix(':') {
        let seconds = after.get(..2).filter(|s| digits(s))?;
        micros += seconds.parse::<i64>().ok()? * 1_000_000;
        rest = &after[2..];
        if let Some(fraction) = rest.strip_prefix('.') {
            let len = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if len == 0 {
                return None;
            }
            // Truncated to microseconds; PostgreSQL never sends more.
            let padded = format!("{:0<6}", &fraction[..len.min(6)]);
            micros += padded.parse::<i64>().ok()?;
            rest = &fraction[len..];
        }
    }
    Some((micros, rest))
}

fn parse_time(text: &str) -> Option<i64> {
    let (micros, rest) = parse_clock(text)?;
    rest.is_empty().then_some(micros)
}

/// `+HH[:MM[:SS]]` → seconds east of UTC.
fn parse_offset(text: &str) -> Option<i64> {
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let mut seconds = 0;
    let mut parts = text[1..].split(':');
    for unit in [3600, 60, 1] {
        match parts.next() {
            Some(p) if p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()) => {
                seconds += p.parse::<i64>().ok()? * unit
            }
            Some(_) => return None,
            None => break,
        }
    }
    if parts.next().is_some() || seconds == 0 && text.len() < 3 {
        return None;
    }
    Some(sign * seconds)
}

fn parse_time_tz(text: &str) -> Option<(i64, i64)> {
    let (micros, rest) = parse_clock(text)?;
    Some((micros, parse_offset(rest)?))
}

/// A timestamp (with an offset when `zoned`; none means UTC) → UTC
/// microseconds since the epoch. A bare date is midnight.
fn parse_timestamp(text: &str, zoned: bool) -> Option<i128> {
    let (body, bc) = split_era(text);
    let (days, rest) = parse_ymd(body, bc)?;
    let (micros, rest) = match rest.strip_prefix([' ', 'T']) {
        Some(clock) => parse_clock(clock)?,
        None => (0, rest),
    };
    let offset = match rest {
        "" => 0,
        _ if zoned => parse_offset(rest)?,
        _ => return None,
    };
    Some(i128::from(days) * 86_400_000_000 + i128::from(micros) - i128::from(offset) * 1_000_000)
}

fn timestamp_value(text: &str, precision: i32, modes: &Modes) -> Result<Value, String> {
    let at = match text {
        "infinity" | "-infinity" => Instant::Infinity(text == "infinity"),
        _ => {
            let micros = parse_timestamp(text, false).ok_or("not a valid timestamp")?;
            Instant::Micros(i64::try_from(micros).map_err(|_| "timestamp out of range")?)
        }
    };
    timestamp_at(at, precision, modes)
}

/// A `timestamp` (without time zone) column's value.
fn timestamp_at(at: Instant, precision: i32, modes: &Modes) -> Result<Value, String> {
    let micros = match at {
        Instant::Micros(micros) => micros,
        Instant::Infinity(positive) if modes.time == TimePrecision::Nanoseconds => {
            return Ok(Value::Int64(if positive { i64::MAX } else { i64::MIN }));
        }
        Instant::Infinity(positive) => {
            if positive {
                POSITIVE_INFINITY_MICROS
            } else {
                NEGATIVE_INFINITY_MICROS
            }
        }
    };
    modes.time.timestamp_value(precision, micros).ok_or_else(|| "timestamp out of range for nanoseconds".into())
}

/// An interval as pgjdbc's `PGInterval` reads PostgreSQL's text.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PgInterval {
    years: i32,
    months: i32,
    days: i32,
    hours: i32,
    minutes: i32,
    whole_seconds: i64,
    micros: i64,
}

impl PgInterval {
    /// pgjdbc's token walk: `<n> <unit>` pairs and an `[-]hh:mm:ss[.f]` clock.
    fn parse(text: &str) -> Option<Self> {
        if text.starts_with('P') || text.starts_with('@') {
            return None; // iso_8601 / postgres_verbose styles are not expected
        }
        let value = text.replace('+', " ").to_ascii_lowercase();
        let int = |t: Option<&str>| t.map_or(Some(0), |t| t.parse::<i32>().ok());
        let (mut years, mut months, mut days, mut hours, mut minutes) = (0, 0, 0, 0, 0);
        let mut seconds = 0.0_f64;
        let mut value_token: Option<&str> = None;
        for (i, token) in value.split_whitespace().enumerate() {
            if i % 2 == 0 {
                let Some(end_hours) = token.find(':') else {
                    value_token = Some(token);
                    continue;
                };
                let negative = token.starts_with('-');
                let start = usize::from(negative);
                hours = token.get(start..end_hours)?.parse().ok()?;
                minutes = token.get(end_hours + 1..end_hours + 3)?.parse().ok()?;
                if let Some(end_minutes) = token[end_hours + 1..].find(':').map(|p| p + end_hours + 1) {
                    seconds = token[end_minutes + 1..].parse().ok()?;
                }
                if negative {
                    hours = -hours;
                    minutes = -minutes;
                    seconds = -seconds;
                }
                value_token = None;
            } else if token.starts_with("year") {
                years = int(value_token)?;
            } else if token.starts_with("mon") {
                months = int(value_token)?;
            } else if token.starts_with("day") {
                days = int(value_token)?;
            } else if token.starts_with("hour") {
                hours = int(value_token)?;
            } else if token.starts_with("min") {
                minutes = int(value_token)?;
            } else if token.starts_with("sec") {
                seconds = value_token.map_or(Some(0.0), |t| t.parse().ok())?;
            }
        }
        // PGInterval keeps seconds as whole seconds plus rounded microseconds.
        let total = (seconds * 1e6 + 0.5).floor() as i64;
        Some(Self { years, months, days, hours, minutes, whole_seconds: total / 1_000_000, micros: total % 1_000_000 })
    }

    fn seconds(&self) -> f64 {
        self.whole_seconds as f64 + self.micros as f64 / 1e6
    }

    /// Debezium's `MicroDuration.durationMicros`, a month being 365.25/12 days.
    fn micro_duration(&self) -> i64 {
        let days_per_month = 365.25 / 12.0;
        let months = self.years.wrapping_mul(12).wrapping_add(self.months);
        let days = f64::from(months) * days_per_month + f64::from(self.days);
        let seconds = ((days * 24.0 + f64::from(self.hours)) * 60.0 + f64::from(self.minutes)) * 60.0 + self.seconds();
        (seconds * 1e6) as i64
    }

    /// Debezium's `Interval.toIsoString`: seconds as Java's
    /// `BigDecimal.valueOf(double)`, trailing zeros stripped.
    fn iso_string(&self) -> String {
        let java = weir_json::double_to_string(self.seconds());
        let seconds = Decimal::parse(&java)
            .map(|d| {
                let d = if d.scale() > 9 { d.with_scale(9, Rounding::Down).unwrap_or(d) } else { d };
                d.strip_trailing_zeros().to_plain_string()
            })
            .unwrap_or(java);
        format!("P{}Y{}M{}DT{}H{}M{}S", self.years, self.months, self.days, self.hours, self.minutes, seconds)
    }
}

/// Debezium's bits: bit i (from the right) of the text → little-endian
/// bytes, only as long as the highest set bit needs (`BitSet.toByteArray`).
fn bits_value(text: &str, length: u32) -> Option<Value> {
    if !text.bytes().all(|b| b == b'0' || b == b'1') {
        return None;
    }
    if length == 1 {
        return Some(Value::Boolean(text.contains('1')));
    }
    let mut bytes = vec![0u8; text.len().div_ceil(8)];
    for (i, c) in text.bytes().rev().enumerate() {
        if c == b'1' {
            bytes[i / 8] |= 1 << (i % 8);
        }
    }
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    Some(Value::Bytes(bytes))
}

fn point_value(text: &str) -> Option<Value> {
    let inner = text.trim().strip_prefix('(')?.strip_suffix(')')?;
    let (x, y) = inner.split_once(',')?;
    let (x, y): (f64, f64) = (x.trim().parse().ok()?, y.trim().parse().ok()?);
    Some(point(x, y))
}

/// `io.debezium.data.geometry.Point`: x, y, little-endian WKB, no SRID.
fn point(x: f64, y: f64) -> Value {
    let mut wkb = Vec::with_capacity(21);
    wkb.push(1);
    wkb.extend_from_slice(&1u32.to_le_bytes());
    wkb.extend_from_slice(&x.to_le_bytes());
    wkb.extend_from_slice(&y.to_le_bytes());
    Value::Struct(vec![Value::Float64(x), Value::Float64(y), Value::Bytes(wkb), Value::Null])
}

/// `"k"=>"v", "k2"=>NULL` → entries in the order Debezium emits them:
/// pgjdbc reads hstore into a `java.util.HashMap`, so the JSON (and the
/// map) follow that map's iteration order.
fn parse_hstore(text: &str) -> Option<Vec<(String, Option<String>)>> {
    let chars: Vec<char> = text.chars().collect();
    let quoted = |mut i: usize| -> Option<(String, usize)> {
        if chars.get(i) != Some(&'"') {
            return None;
        }
        let mut out = String::new();
        i += 1;
        loop {
            match chars.get(i)? {
                '"' => return Some((out, i + 1)),
                '\\' => {
                    out.push(*chars.get(i + 1)?);
                    i += 2;
                }
                c => {
                    out.push(*c);
                    i += 1;
                }
            }
        }
    };
    let skip_blank = |mut i: usize| {
        while chars.get(i).is_some_and(|c| c.is_whitespace()) {
            i += 1;
        }
        i
    };
    let mut entries: Vec<(String, Option<String>)> = Vec::new();
    let mut i = skip_blank(0);
    while i < chars.len() {
        let (key, next) = quoted(i)?;
        i = skip_blank(next);
        if chars.get(i..i + 2)? != ['=', '>'] {
            return None;
        }
        i = skip_blank(i + 2);
        let value = if chars.get(i..i + 4).is_some_and(|s| s.iter().collect::<String>().eq_ignore_ascii_case("null")) {
            i += 4;
            None
        } else {
            let (value, next) = quoted(i)?;
            i = next;
            Some(value)
        };
        match entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => entries.push((key, value)),
        }
        i = skip_blank(i);
        if chars.get(i) == Some(&',') {
            i = skip_blank(i + 1);
        }
    }
    Some(java_hash_map_order(entries))
}

/// Reorders entries (given in insertion order) as a `java.util.HashMap`
/// with default capacity and load factor iterates them.
fn java_hash_map_order<V>(entries: Vec<(String, V)>) -> Vec<(String, V)> {
    let mut capacity: usize = 16;
    while entries.len() * 4 > capacity * 3 {
        capacity *= 2;
    }
    let bucket = |key: &str| {
        let h = key.encode_utf16().fold(0i32, |h, unit| h.wrapping_mul(31).wrapping_add(i32::from(unit))) as u32;
        ((h ^ (h >> 16)) as usize) & (capacity - 1)
    };
    let mut keyed: Vec<(usize, (String, V))> = entries.into_iter().map(|e| (bucket(&e.0), e)).collect();
    keyed.sort_by_key(|(b, _)| *b);
    keyed.into_iter().map(|(_, e)| e).collect()
}

/// Jackson's compact object of string (or null) values.
fn hstore_json(entries: &[(String, Option<String>)]) -> String {
    let mut out = String::from("{");
    for (i, (key, value)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        weir_json::write_string(&mut out, key);
        out.push(':');
        match value {
            Some(v) => weir_json::write_string(&mut out, v),
            None => out.push_str("null"),
        }
    }
    out.push('}');
    out
}

#[derive(Debug, PartialEq, Eq)]
enum ArrayError {
    Nested,
    Syntax,
}

/// A one-dimensional array in `array_out` text → its elements (`None` for
/// NULL), unquoted and unescaped.
fn parse_array(text: &str) -> Result<Vec<Option<String>>, ArrayError> {
    // Skip a dimension decoration such as `[0:2]=`.
    let body = match text.strip_prefix('[') {
        Some(_) => text.split_once('=').ok_or(ArrayError::Syntax)?.1,
        None => text,
    };
    let inner = body.strip_prefix('{').and_then(|b| b.strip_suffix('}')).ok_or(ArrayError::Syntax)?;
    let chars: Vec<char> = inner.chars().collect();
    let mut items = Vec::new();
    if chars.is_empty() {
        return Ok(items);
    }
    let mut i = 0;
    loop {
        match chars.get(i) {
            Some('{') => return Err(ArrayError::Nested),
            Some('"') => {
                let mut item = String::new();
                i += 1;
                loop {
                    match chars.get(i).ok_or(ArrayError::Syntax)? {
                        '"' => break,
                        '\\' => {
                            item.push(*chars.get(i + 1).ok_or(ArrayError::Syntax)?);
                            i += 2;
                        }
                        c => {
                            item.push(*c);
                            i += 1;
                        }
                    }
                }
                i += 1;
                items.push(Some(item));
            }
            _ => {
                let start = i;
                while chars.get(i).is_some_and(|c| *c != ',') {
                    i += 1;
                }
                let item: String = chars[start..i].iter().collect();
                let item = item.trim();
                items.push(if item.eq_ignore_ascii_case("NULL") { None } else { Some(item.to_string()) });
            }
        }
        match chars.get(i) {
            None => return Ok(items),
            Some(',') => i += 1,
            Some(_) => return Err(ArrayError::Syntax),
        }
    }
}

/// Java's `UUID.nameUUIDFromBytes` (version 3, MD5).
fn name_uuid(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    let mut hash: [u8; 16] = Md5::digest(bytes).into();
    hash[6] = (hash[6] & 0x0f) | 0x30;
    hash[8] = (hash[8] & 0x3f) | 0x80;
    let hex = weir_debezium::binary::hex(&hash);
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// What Debezium's converters give a NOT NULL column without a value or
/// default.
fn fallback(kind: &Kind, modes: &Modes) -> Value {
    match kind {
        Kind::Bool | Kind::Bits(1) => Value::Boolean(false),
        Kind::Int16 => Value::Int16(0),
        Kind::Int32 => Value::Int32(0),
        Kind::Int64 => Value::Int64(0),
        Kind::Float32 => Value::Float32(0.0),
        Kind::Float64 => Value::Float64(0.0),
        Kind::Numeric { precision: 0, .. } if modes.decimal == DecimalMode::Precise => {
            decimal::variable_scale_decimal_value(&Decimal::zero(0))
        }
        Kind::Numeric { precision: 0, .. } => modes.decimal.value(&Decimal::zero(0)),
        Kind::Numeric { scale, .. } => modes.decimal.value(&Decimal::zero(*scale)),
        Kind::Money => modes.decimal.value(&Decimal::zero(i32::from(modes.money_fraction_digits))),
        Kind::Text | Kind::Xml | Kind::Json | Kind::Uuid | Kind::Ltree | Kind::Tsvector | Kind::Enum(_) => {
            Value::String(String::new())
        }
        Kind::Bytea | Kind::Unknown => match modes.binary {
            BinaryMode::Bytes => Value::Bytes(Vec::new()),
            _ => Value::String(String::new()),
        },
        Kind::Date => modes.time.date_value(0),
        Kind::Time(p) => modes.time.time_value(*p, 0),
        Kind::TimeTz => Value::String("00:00:00Z".into()),
        Kind::Timestamp(p) => modes.time.timestamp_value(*p, 0).unwrap_or(Value::Int64(0)),
        Kind::TimestampTz(_) => Value::String("1970-01-01T00:00:00Z".into()),
        Kind::Interval => match modes.interval {
            IntervalMode::Numeric => Value::Int64(0),
            IntervalMode::String => Value::String("P0Y0M0DT0H0M0S".into()),
        },
        Kind::Bits(_) => Value::Bytes(Vec::new()),
        Kind::Point => point(0.0, 0.0),
        Kind::Hstore => match modes.hstore {
            HstoreMode::Json => Value::String("{}".into()),
            HstoreMode::Map => Value::Map(Vec::new()),
        },
        Kind::Array(..) => Value::Array(Vec::new()),
        Kind::Unsupported => Value::Null,
    }
}

/// Whether Debezium treats a default expression as generated by a function
/// (`nextval(...)`, `now()`, `CURRENT_TIMESTAMP`...).
fn is_function_default(expr: &str) -> bool {
    const CURRENT: [&str; 5] = ["current_timestamp", "current_time", "current_date", "localtime", "localtimestamp"];
    if CURRENT.contains(&expr.to_ascii_lowercase().as_str()) {
        return true;
    }
    let body = expr.strip_prefix('(').unwrap_or(expr);
    let name_len = body.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.').count();
    name_len > 0 && body[name_len..].starts_with('(') && body[name_len + 1..].contains(')')
}

/// Debezium's literal extraction: the first `'...'`, else the raw text
/// (`None` for `NULL::type`), or `placeholder` for function defaults.
fn extract_default<'a>(expr: &'a str, placeholder: &'a str) -> Option<&'a str> {
    if is_function_default(expr) {
        return Some(placeholder);
    }
    match expr.find('\'') {
        None => (!expr.starts_with("NULL::")).then_some(expr),
        Some(start) => {
            let rest = &expr[start + 1..];
            rest.find('\'').map(|end| &rest[..end])
        }
    }
}

/// The column default as Debezium's `PostgresDefaultValueConverter` gives
/// it, keyed by type name like Debezium (domains and unlisted types have
/// none; struct values are dropped, KAFKA-12694).
fn default_value(col: &Column, modes: &Modes) -> Option<Value> {
    let raw_expr = col.default_expr.as_deref()?;
    let type_name = col.ty.name.as_str();
    let trimmed = raw_expr.trim();
    let kind = kind_of(&col.ty, col.typmod);
    let null_default = raw_expr.starts_with("NULL::");
    let text = match (&col.ty.kind, type_name) {
        (TypeKind::Enum(_), _) => enum_default(type_name, raw_expr)?,
        (TypeKind::Base, "bool") if !null_default => {
            let text = extract_default(trimmed, "false").unwrap_or("");
            return Some(Value::Boolean(text.eq_ignore_ascii_case("true")));
        }
        (TypeKind::Base, "bit") => {
            let text = extract_default(trimmed, "00")?;
            if text.len() == 1 {
                let bit = text == "1";
                return Some(match kind {
                    Kind::Bits(1) => Value::Boolean(bit),
                    _ => Value::Bytes(vec![u8::from(bit)]),
                });
            }
            text
        }
        (TypeKind::Base, "varbit") => extract_default(trimmed, "0")?,
        (TypeKind::Base, "bpchar" | "varchar" | "text" | "xml") => extract_default(raw_expr, "")?,
        (TypeKind::Base, "json" | "jsonb") => extract_default(raw_expr, "{}")?,
        (TypeKind::Base, "numeric" | "float4" | "float8") if !null_default => {
            let text = extract_default(trimmed, "0.0")?;
            // Java's BigDecimal(String) rejects the special values.
            if type_name == "numeric" && text.chars().any(|c| c.is_ascii_alphabetic() && c != 'e' && c != 'E') {
                return None;
            }
            text
        }
        (TypeKind::Base, "int2" | "int4" | "int8") if !null_default => extract_default(trimmed, "0")?,
        (TypeKind::Base, "uuid") => extract_default(trimmed, "00000000-0000-0000-0000-000000000000")?,
        (TypeKind::Base, "date" | "timestamp" | "timestamptz") => extract_default(trimmed, "1970-01-01")?,
        (TypeKind::Base, "time") => extract_default(trimmed, "00:00")?,
        (TypeKind::Base, "interval") => extract_default(trimmed, "epoch")?,
        _ => return None,
    };
    let value = match kind {
        Kind::Numeric { precision: 0, .. } if modes.decimal == DecimalMode::Precise => return None,
        Kind::Point => return None,
        Kind::Uuid => Value::String(text.to_ascii_lowercase()),
        Kind::Date if text.len() > 10 => kind_value(&kind, text.get(..10)?, modes, true).ok()?,
        _ => kind_value(&kind, text, modes, true).ok()?,
    };
    Some(value)
}

/// `'happy'::mood` (or `::schema.mood`) → `happy` when the cast names the
/// column's enum type.
fn enum_default<'a>(type_name: &str, expr: &'a str) -> Option<&'a str> {
    let (value, cast) = expr.rsplit_once("::")?;
    let unquote = |s: &str| s.trim_matches('"').to_string();
    let cast_type = cast.rsplit_once('.').map_or(cast, |(_, t)| t);
    if unquote(cast_type) != unquote(type_name) {
        return None;
    }
    value.strip_prefix('\'')?.strip_suffix('\'')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(name: &str) -> PgType {
        PgType { oid: 0, name: name.into(), kind: TypeKind::Base }
    }

    fn col(name: &str, typmod: i32) -> Column {
        Column { name: "c".into(), ty: base(name), typmod, not_null: false, default_expr: None }
    }

    fn array_of(element: PgType) -> PgType {
        PgType { oid: 0, name: format!("_{}", element.name), kind: TypeKind::Array(Box::new(element)) }
    }

    fn value(c: &Column, text: &str) -> Value {
        text_value(c, text, &Modes::default()).unwrap()
    }

    fn with(f: impl FnOnce(&mut Modes)) -> Modes {
        let mut m = Modes::default();
        f(&mut m);
        m
    }

    fn numeric_typmod(precision: i32, scale: i32) -> i32 {
        ((precision << 16) | scale) + 4
    }

    #[test]
    fn integers_floats_and_booleans() {
        assert_eq!(value(&col("bool", -1), "t"), Value::Boolean(true));
        assert_eq!(value(&col("bool", -1), "f"), Value::Boolean(false));
        assert_eq!(value(&col("int2", -1), "-32768"), Value::Int16(-32768));
        assert_eq!(value(&col("int4", -1), "42"), Value::Int32(42));
        assert_eq!(value(&col("int8", -1), "9223372036854775807"), Value::Int64(i64::MAX));
        assert_eq!(value(&col("oid", -1), "4294967295"), Value::Int64(4_294_967_295));
        assert_eq!(value(&col("float4", -1), "1.5"), Value::Float32(1.5));
        assert_eq!(value(&col("float8", -1), "-Infinity"), Value::Float64(f64::NEG_INFINITY));
        assert_eq!(value(&col("float8", -1), "Infinity"), Value::Float64(f64::INFINITY));
        assert!(matches!(value(&col("float4", -1), "NaN"), Value::Float32(v) if v.is_nan()));
        assert!(text_value(&col("int4", -1), "x", &Modes::default()).is_err());
        let s = column_schema(&col("float4", -1), &Modes::default()).unwrap();
        assert_eq!((s.ty, s.optional), (SchemaType::Float32, true));
    }

    #[test]
    fn numerics_per_mode() {
        let fixed = col("numeric", numeric_typmod(10, 2));
        let s = column_schema(&fixed, &Modes::default()).unwrap();
        assert_eq!(s.name.as_deref(), Some("org.apache.kafka.connect.data.Decimal"));
        assert_eq!(s.parameters[0], ("scale".into(), "2".into()));
        assert_eq!(s.parameters[1], ("connect.decimal.precision".into(), "10".into()));
        assert_eq!(value(&fixed, "1.50"), Value::Bytes(vec![0x00, 0x96]));
        assert_eq!(value(&fixed, "-1.5"), Value::Bytes(vec![0xff, 0x6a]));
        let string = with(|m| m.decimal = DecimalMode::String);
        assert_eq!(text_value(&fixed, "1.50", &string).unwrap(), Value::String("1.50".into()));
        let double = with(|m| m.decimal = DecimalMode::Double);
        assert_eq!(text_value(&fixed, "1.50", &double).unwrap(), Value::Float64(1.5));
        assert!(matches!(text_value(&fixed, "NaN", &double).unwrap(), Value::Float64(v) if v.is_nan()));
        assert_eq!(text_value(&fixed, "Infinity", &string).unwrap(), Value::String("POSITIVE_INFINITY".into()));
        assert!(text_value(&fixed, "NaN", &Modes::default()).is_err());

        let var = col("numeric", -1);
        let s = column_schema(&var, &Modes::default()).unwrap();
        assert_eq!(s.name.as_deref(), Some("io.debezium.data.VariableScaleDecimal"));
        assert_eq!(value(&var, "1.500"), Value::Struct(vec![Value::Int32(1), Value::Bytes(vec![15])]));
        assert_eq!(value(&var, "100"), Value::Struct(vec![Value::Int32(0), Value::Bytes(vec![100])]));
        assert_eq!(value(&var, "0.000"), Value::Struct(vec![Value::Int32(0), Value::Bytes(vec![0])]));
        assert_eq!(text_value(&var, "1.500", &string).unwrap(), Value::String("1.500".into()));
        assert_eq!(column_schema(&var, &string).unwrap().ty, SchemaType::String);
    }

    #[test]
    fn money() {
        let c = col("money", -1);
        let s = column_schema(&c, &Modes::default()).unwrap();
        assert_eq!(s.parameters, vec![("scale".to_string(), "2".to_string())]);
        assert_eq!(value(&c, "$1,234.11"), Value::Bytes(vec![0x01, 0xe2, 0x13]));
        assert_eq!(value(&c, "-$1.00"), Value::Bytes(vec![0x9c]));
        assert_eq!(value(&c, "($1.00)"), Value::Bytes(vec![0x9c]));
        let string = with(|m| m.decimal = DecimalMode::String);
        assert_eq!(text_value(&c, "$1,234.5", &string).unwrap(), Value::String("1234.5".into()));
    }

    #[test]
    fn strings_and_named_strings() {
        assert_eq!(value(&col("varchar", 14), "abc"), Value::String("abc".into()));
        let json = column_schema(&col("jsonb", -1), &Modes::default()).unwrap();
        assert_eq!((json.name.as_deref(), json.version), (Some("io.debezium.data.Json"), Some(1)));
        let uuid = column_schema(&col("uuid", -1), &Modes::default()).unwrap();
        assert_eq!(uuid.name.as_deref(), Some("io.debezium.data.Uuid"));
        assert_eq!(
            column_schema(&col("xml", -1), &Modes::default()).unwrap().name.as_deref(),
            Some("io.debezium.data.Xml")
        );
        assert_eq!(
            column_schema(&col("ltree", -1), &Modes::default()).unwrap().name.as_deref(),
            Some("io.debezium.data.Ltree")
        );
        assert_eq!(column_schema(&col("citext", -1), &Modes::default()).unwrap().name, None);
        let mood = Column {
            ty: PgType {
                oid: 1,
                name: "mood".into(),
                kind: TypeKind::Enum(vec!["sad".into(), "ok".into(), "happy".into()]),
            },
            ..col("x", -1)
        };
        let s = column_schema(&mood, &Modes::default()).unwrap();
        assert_eq!(s.name.as_deref(), Some("io.debezium.data.Enum"));
        assert_eq!(s.parameters, vec![("allowed".to_string(), "sad,ok,happy".to_string())]);
        assert_eq!(value(&mood, "ok"), Value::String("ok".into()));
    }

    #[test]
    fn bytea_per_mode() {
        let c = col("bytea", -1);
        assert_eq!(value(&c, "\\x01ff"), Value::Bytes(vec![1, 255]));
        assert_eq!(value(&c, "\\x"), Value::Bytes(vec![]));
        let hex = with(|m| m.binary = BinaryMode::Hex);
        assert_eq!(text_value(&c, "\\x01FF", &hex).unwrap(), Value::String("01ff".into()));
        assert!(text_value(&c, "\\001", &Modes::default()).is_err());
    }

    #[test]
    fn dates_and_times() {
        let m = Modes::default();
        assert_eq!(value(&col("date", -1), "2016-11-04"), Value::Int32(17109));
        assert_eq!(value(&col("date", -1), "0001-01-01 BC"), Value::Int32(days_from_civil(0, 1, 1) as i32));
        assert_eq!(value(&col("date", -1), "infinity"), Value::Int32(infinity_days(true) as i32));
        let iso = with(|m| m.time = TimePrecision::IsoString);
        assert_eq!(text_value(&col("date", -1), "2017-09-15", &iso).unwrap(), Value::String("2017-09-15Z".into()));

        let t = 13 * 3_600_000_000 + 51 * 60_000_000 + 30_000_000;
        assert_eq!(value(&col("time", -1), "13:51:30"), Value::Int64(t));
        assert_eq!(value(&col("time", 3), "13:51:30.123"), Value::Int32(49_890_123));
        assert_eq!(value(&col("time", -1), "24:00:00"), Value::Int64(86_400_000_000));
        assert_eq!(column_schema(&col("time", 3), &m).unwrap().name.as_deref(), Some("io.debezium.time.Time"));

        assert_eq!(value(&col("timetz", -1), "13:51:30.123789+02"), Value::String("11:51:30.123789Z".into()));
        assert_eq!(value(&col("timetz", 3), "13:51:30.123+02"), Value::String("11:51:30.123Z".into()));
        assert_eq!(value(&col("timetz", -1), "00:01:02-11:50"), Value::String("11:51:02Z".into()));

        let ts = col("timestamp", -1);
        assert_eq!(value(&ts, "2018-06-20 15:13:16.945104"), Value::Int64(1_529_507_596_945_104));
        assert_eq!(value(&ts, "4713-12-31 23:59:59.999999 BC"), Value::Int64(-210_831_897_600_000_001));
        assert_eq!(value(&ts, "infinity"), Value::Int64(9_223_372_036_825_200_000));
        assert_eq!(value(&ts, "-infinity"), Value::Int64(-9_223_372_036_832_400_000));
        assert_eq!(value(&col("timestamp", 3), "2016-11-04 13:51:30.124"), Value::Int64(1_478_267_490_124));
        let nanos = with(|m| m.time = TimePrecision::Nanoseconds);
        assert_eq!(text_value(&ts, "infinity", &nanos).unwrap(), Value::Int64(i64::MAX));
        assert_eq!(text_value(&ts, "1970-01-01 00:00:01", &nanos).unwrap(), Value::Int64(1_000_000_000));

        let tz = col("timestamptz", -1);
        assert_eq!(value(&tz, "2016-11-04 13:51:30.123456+02"), Value::String("2016-11-04T11:51:30.123456Z".into()));
        assert_eq!(value(&tz, "21016-11-04 13:51:30+07"), Value::String("+21016-11-04T06:51:30.000000Z".into()));
        assert_eq!(
            value(&tz, "4714-12-31 23:59:59.999999+00 BC"),
            Value::String("-4713-12-31T23:59:59.999999Z".into())
        );
        assert_eq!(value(&tz, "2020-01-01 00:00:00+05:30"), Value::String("2019-12-31T18:30:00.000000Z".into()));
        assert_eq!(
            value(&col("timestamptz", 0), "2020-01-01 00:00:00+00"),
            Value::String("2020-01-01T00:00:00Z".into())
        );
        assert_eq!(value(&tz, "infinity"), Value::String("infinity".into()));
        assert_eq!(value(&tz, "-infinity"), Value::String("-infinity".into()));
    }

    #[test]
    fn intervals() {
        let c = col("interval", -1);
        let expected = {
            let days = 14.0 * (365.25 / 12.0) + 3.0;
            let secs = ((days * 24.0 + 4.0) * 60.0 + 5.0) * 60.0 + 6.78;
            (secs * 1e6) as i64
        };
        assert_eq!(value(&c, "1 year 2 mons 3 days 04:05:06.78"), Value::Int64(expected));
        assert_eq!(value(&c, "00:00:01"), Value::Int64(1_000_000));
        assert_eq!(value(&c, "-00:00:01.5"), Value::Int64(-1_500_000));
        assert_eq!(value(&c, "1 day"), Value::Int64(86_400_000_000));
        let string = with(|m| m.interval = IntervalMode::String);
        let iso = |t: &str| text_value(&c, t, &string).unwrap();
        assert_eq!(iso("1 year 2 mons 3 days 04:05:06.78"), Value::String("P1Y2M3DT4H5M6.78S".into()));
        assert_eq!(iso("-1 years -2 mons +3 days -04:05:06"), Value::String("P-1Y-2M3DT-4H-5M-6S".into()));
        assert_eq!(iso("00:00:00"), Value::String("P0Y0M0DT0H0M0S".into()));
        assert_eq!(iso("00:00:10.000001"), Value::String("P0Y0M0DT0H0M10.000001S".into()));
        assert_eq!(column_schema(&c, &string).unwrap().name.as_deref(), Some("io.debezium.time.Interval"));
        assert_eq!(
            column_schema(&c, &Modes::default()).unwrap().name.as_deref(),
            Some("io.debezium.time.MicroDuration")
        );
    }

    #[test]
    fn bits() {
        let b1 = col("bit", 1);
        assert_eq!(column_schema(&b1, &Modes::default()).unwrap().ty, SchemaType::Boolean);
        assert_eq!(value(&b1, "1"), Value::Boolean(true));
        let b24 = col("varbit", 24);
        let s = column_schema(&b24, &Modes::default()).unwrap();
        assert_eq!((s.name.as_deref(), s.parameters[0].1.as_str()), (Some("io.debezium.data.Bits"), "24"));
        assert_eq!(value(&b24, "000000110000001000000001"), Value::Bytes(vec![1, 2, 3]));
        let b64 = col("varbit", 64);
        let mut top = "1".to_string();
        top.push_str(&"0".repeat(63));
        assert_eq!(value(&b64, &top), Value::Bytes(vec![0, 0, 0, 0, 0, 0, 0, 0x80]));
        assert_eq!(value(&col("varbit", -1), "101"), Value::Bytes(vec![5]));
        assert_eq!(column_schema(&col("varbit", -1), &Modes::default()).unwrap().parameters[0].1, "2147483647");
        assert_eq!(value(&col("bit", 3), "000"), Value::Bytes(vec![]));
    }

    #[test]
    fn points_and_hstores() {
        let p = value(&col("point", -1), "(1.5,-2)");
        let mut wkb = vec![1, 1, 0, 0, 0];
        wkb.extend_from_slice(&1.5f64.to_le_bytes());
        wkb.extend_from_slice(&(-2.0f64).to_le_bytes());
        assert_eq!(p, Value::Struct(vec![Value::Float64(1.5), Value::Float64(-2.0), Value::Bytes(wkb), Value::Null]));
        let ps = column_schema(&col("point", -1), &Modes::default()).unwrap();
        assert_eq!(ps.fields.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(), ["x", "y", "wkb", "srid"]);

        let h = col("hstore", -1);
        assert_eq!(value(&h, r#""key"=>"val""#), Value::String(r#"{"key":"val"}"#.into()));
        // java.util.HashMap order: buckets of (h ^ h >>> 16) & 15 for "a", "b", "c" are 1, 2, 3.
        assert_eq!(
            value(&h, r#""c"=>"3", "a"=>NULL, "b"=>"x\"y""#),
            Value::String(r#"{"a":null,"b":"x\"y","c":"3"}"#.into())
        );
        // "key1" lands in bucket 0 and "key2" in bucket 1, whatever the text order.
        assert_eq!(value(&h, r#""key2"=>"2", "key1"=>"1""#), Value::String(r#"{"key1":"1","key2":"2"}"#.into()));
        let map = with(|m| m.hstore = HstoreMode::Map);
        assert_eq!(
            text_value(&h, r#""a"=>"1""#, &map).unwrap(),
            Value::Map(vec![(Value::String("a".into()), Value::String("1".into()))])
        );
        assert_eq!(column_schema(&h, &map).unwrap().ty, SchemaType::Map);
    }

    #[test]
    fn arrays() {
        let ints = Column { ty: array_of(base("int4")), ..col("x", -1) };
        let s = column_schema(&ints, &Modes::default()).unwrap();
        assert_eq!(s.value_schema.as_ref().map(|e| (e.ty, e.optional)), Some((SchemaType::Int32, true)));
        assert_eq!(value(&ints, "{1,2,NULL}"), Value::Array(vec![Value::Int32(1), Value::Int32(2), Value::Null]));
        assert_eq!(value(&ints, "{}"), Value::Array(vec![]));
        assert_eq!(value(&ints, "[0:1]={1,2}"), Value::Array(vec![Value::Int32(1), Value::Int32(2)]));
        assert_eq!(value(&ints, "{{1,2},{3,4}}"), Value::Null);
        let texts = Column { ty: array_of(base("text")), ..col("x", -1) };
        assert_eq!(
            value(&texts, r#"{"a,b","NULL",NULL,"q\"x\\"," sp "}"#),
            Value::Array(vec![
                Value::String("a,b".into()),
                Value::String("NULL".into()),
                Value::Null,
                Value::String("q\"x\\".into()),
                Value::String(" sp ".into()),
            ])
        );
        let nums = Column { ty: array_of(base("numeric")), ..col("x", numeric_typmod(10, 2)) };
        assert_eq!(value(&nums, "{1.10}"), Value::Array(vec![Value::Bytes(vec![110])]));
        let tstz = Column { ty: array_of(base("timestamptz")), ..col("x", -1) };
        assert_eq!(
            value(&tstz, r#"{"2020-04-01 11:51:02+00"}"#),
            Value::Array(vec![Value::String("2020-04-01T11:51:02.000000Z".into())])
        );
        let byteas = Column { ty: array_of(base("bytea")), ..col("x", -1) };
        assert_eq!(value(&byteas, r#"{"\\x0102"}"#), Value::Array(vec![Value::Bytes(vec![1, 2])]));
        let money = Column { ty: array_of(base("money")), ..col("x", -1) };
        assert_eq!(column_schema(&money, &Modes::default()), None);
        let mood = PgType { oid: 1, name: "mood".into(), kind: TypeKind::Enum(vec!["a".into()]) };
        let moods = Column { ty: array_of(mood), ..col("x", -1) };
        assert_eq!(column_schema(&moods, &Modes::default()).unwrap().value_schema.map(|e| e.optional), Some(false));
    }

    #[test]
    fn unknown_types_and_domains() {
        let c = col("box", -1);
        assert_eq!(column_schema(&c, &Modes::default()), None);
        let m = with(|m| m.include_unknown = true);
        assert_eq!(column_schema(&c, &m).unwrap().ty, SchemaType::Bytes);
        assert_eq!(text_value(&c, "(1,1),(0,0)", &m).unwrap(), Value::Bytes(b"(1,1),(0,0)".to_vec()));
        let domain = Column {
            ty: PgType { oid: 9, name: "posint".into(), kind: TypeKind::Domain(Box::new(base("int4"))) },
            ..col("x", -1)
        };
        assert_eq!(value(&domain, "5"), Value::Int32(5));
    }

    #[test]
    fn defaults_and_missing_values() {
        let serial = Column {
            not_null: true,
            default_expr: Some("nextval('customers_id_seq'::regclass)".into()),
            ..col("int4", -1)
        };
        let s = column_schema(&serial, &Modes::default()).unwrap();
        assert_eq!((s.optional, s.default_json.as_deref()), (false, Some("0")));
        assert_eq!(missing_value(&serial, &Modes::default()), Value::Int32(0));

        let text = Column { not_null: true, ..col("varchar", 259) };
        assert_eq!(column_schema(&text, &Modes::default()).unwrap().default_json, None);
        assert_eq!(missing_value(&text, &Modes::default()), Value::String(String::new()));
        assert_eq!(missing_value(&col("varchar", -1), &Modes::default()), Value::Null);

        let d = |ty: &str, typmod: i32, expr: &str| {
            let c = Column { default_expr: Some(expr.into()), ..col(ty, typmod) };
            column_schema(&c, &Modes::default()).unwrap().default_json
        };
        assert_eq!(d("varchar", -1, "'abc'::character varying").as_deref(), Some("\"abc\""));
        assert_eq!(d("int4", -1, "42").as_deref(), Some("42"));
        assert_eq!(d("int8", -1, "'-9223372036854775808'::bigint").as_deref(), Some("-9223372036854775808"));
        assert_eq!(d("bool", -1, "true").as_deref(), Some("true"));
        assert_eq!(d("float8", -1, "1.5").as_deref(), Some("1.5"));
        assert_eq!(d("numeric", numeric_typmod(10, 2), "1.5").as_deref(), Some("\"AJY=\""));
        assert_eq!(d("numeric", -1, "1.5"), None);
        assert_eq!(d("timestamptz", -1, "now()").as_deref(), Some("\"1970-01-01T00:00:00.000000Z\""));
        assert_eq!(d("timestamp", -1, "CURRENT_TIMESTAMP").as_deref(), Some("0"));
        assert_eq!(d("date", -1, "'2016-11-04'::date").as_deref(), Some("17109"));
        assert_eq!(d("interval", -1, "'1 day'::interval").as_deref(), Some("86400000000"));
        assert_eq!(d("text", -1, "NULL::text"), None);
        assert_eq!(d("inet", -1, "'127.0.0.1'::inet"), None);
        let mood = Column {
            ty: PgType { oid: 1, name: "mood".into(), kind: TypeKind::Enum(vec!["ok".into()]) },
            default_expr: Some("'ok'::mood".into()),
            ..col("x", -1)
        };
        assert_eq!(column_schema(&mood, &Modes::default()).unwrap().default_json.as_deref(), Some("\"ok\""));
    }

    #[test]
    fn unavailable_values_are_typed() {
        let m = Modes::default();
        let ph = "__debezium_unavailable_value";
        assert_eq!(unavailable_value(&col("text", -1), &m), Value::String(ph.into()));
        assert_eq!(unavailable_value(&col("jsonb", -1), &m), Value::String(ph.into()));
        assert_eq!(unavailable_value(&col("bytea", -1), &m), Value::Bytes(ph.as_bytes().to_vec()));
        let texts = Column { ty: array_of(base("text")), ..col("x", -1) };
        assert_eq!(unavailable_value(&texts, &m), Value::Array(vec![Value::String(ph.into())]));
        let ints = Column { ty: array_of(base("int4")), ..col("x", -1) };
        assert_eq!(
            unavailable_value(&ints, &m),
            Value::Array(ph.bytes().map(|b| Value::Int32(i32::from(b))).collect())
        );
        assert_eq!(unavailable_value(&col("hstore", -1), &m), Value::String(format!("{{\"{ph}\":\"{ph}\"}}")));
        let uuids = Column { ty: array_of(base("uuid")), ..col("x", -1) };
        let Value::Array(items) = unavailable_value(&uuids, &m) else { panic!() };
        let Value::String(uuid) = &items[0] else { panic!() };
        assert_eq!((uuid.len(), &uuid[14..15], &uuid[8..9]), (36, "3", "-"));
    }

    #[test]
    fn binary_values_are_the_values_their_text_gives() {
        let pg_days = |y, m, d| days_from_civil(y, m, d) - PG_EPOCH_DAYS;
        let pg_micros = |days: i64, micros: i64| (days * 86_400_000_000 + micros).to_be_bytes().to_vec();
        let uuid = [0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11];
        // (type, typmod, text, the same value in binary)
        let cases: Vec<(&str, i32, &str, Vec<u8>)> = vec![
            ("bool", -1, "t", vec![1]),
            ("bool", -1, "f", vec![0]),
            ("int2", -1, "-7", (-7i16).to_be_bytes().to_vec()),
            ("int4", -1, "2147483647", i32::MAX.to_be_bytes().to_vec()),
            ("int8", -1, "-9223372036854775808", i64::MIN.to_be_bytes().to_vec()),
            ("date", -1, "2024-02-29", (pg_days(2024, 2, 29) as i32).to_be_bytes().to_vec()),
            ("date", -1, "0044-03-15 BC", (pg_days(-43, 3, 15) as i32).to_be_bytes().to_vec()),
            ("date", -1, "infinity", i32::MAX.to_be_bytes().to_vec()),
            ("date", -1, "-infinity", i32::MIN.to_be_bytes().to_vec()),
            ("time", 3, "13:14:15.123", (47_655_123_000i64).to_be_bytes().to_vec()),
            ("time", -1, "24:00:00", (86_400_000_000i64).to_be_bytes().to_vec()),
            ("timestamp", -1, "1999-12-31 23:59:59.5", (-500_000i64).to_be_bytes().to_vec()),
            ("timestamp", 0, "0044-03-15 12:00:00 BC", pg_micros(pg_days(-43, 3, 15), 43_200_000_000)),
            ("timestamp", -1, "infinity", i64::MAX.to_be_bytes().to_vec()),
            ("timestamp", -1, "-infinity", i64::MIN.to_be_bytes().to_vec()),
            ("timestamptz", -1, "2024-01-01 01:00:01+01", pg_micros(pg_days(2024, 1, 1), 1_000_000)),
            ("timestamptz", 3, "2024-06-30 23:59:59.25-02:30", pg_micros(pg_days(2024, 7, 1), 8_999_250_000)),
            ("timestamptz", -1, "infinity", i64::MAX.to_be_bytes().to_vec()),
            ("timestamptz", -1, "-infinity", i64::MIN.to_be_bytes().to_vec()),
            ("uuid", -1, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", uuid.to_vec()),
        ];
        let modes = [
            Modes::default(),
            with(|m| m.time = TimePrecision::Connect),
            with(|m| m.time = TimePrecision::IsoString),
            with(|m| m.time = TimePrecision::Nanoseconds),
        ];
        for (ty, typmod, text, binary) in cases {
            let c = col(ty, typmod);
            let converter = Converter::of(&c);
            assert!(converter.binary(), "{ty} is read in binary");
            for m in &modes {
                // Errors too must agree (a BC timestamp does not fit nanoseconds).
                let from_text = converter.value(&c, text, m).map_err(|e| e.reason);
                let from_binary = converter.binary_value(&c, &binary, m).map_err(|e| e.reason);
                assert_eq!(from_binary, from_text, "{ty} {text:?} under {:?}", m.time);
            }
        }
        // Types read as text, and a domain over a binary one.
        for ty in ["oid", "float8", "numeric", "text", "interval", "timetz"] {
            assert!(!Converter::of(&col(ty, -1)).binary(), "{ty} is read as text");
        }
        let domain = PgType { oid: 0, name: "positive".into(), kind: TypeKind::Domain(Box::new(base("int4"))) };
        assert!(Converter::of(&Column { ty: domain, ..col("int4", -1) }).binary());
        // A value of the wrong width is an error naming its bytes, not a panic.
        let e = Converter::of(&col("int8", -1)).binary_value(&col("int8", -1), &[1, 2], &Modes::default()).unwrap_err();
        assert!(e.to_string().contains("expected 8 bytes, got 2") && e.text.contains("01, 02"), "{e}");
    }
}

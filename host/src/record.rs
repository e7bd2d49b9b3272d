//! The host's own model of records, schemas and values. Generated WIT types
//! are converted into these at the runtime boundary and never travel further.

use std::sync::{Arc, OnceLock};

/// Kafka Connect's schema types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaType {
    /// 8-bit integer.
    Int8,
    /// 16-bit integer.
    Int16,
    /// 32-bit integer.
    Int32,
    /// 64-bit integer.
    Int64,
    /// 32-bit float.
    Float32,
    /// 64-bit float.
    Float64,
    /// Boolean.
    Boolean,
    /// String.
    String,
    /// Bytes.
    Bytes,
    /// Array.
    Array,
    /// Map.
    Map,
    /// Struct.
    Struct,
}

impl SchemaType {
    /// The name Kafka's JsonConverter writes for the type.
    pub fn json_name(self) -> &'static str {
        match self {
            Self::Int8 => "int8",
            Self::Int16 => "int16",
            Self::Int32 => "int32",
            Self::Int64 => "int64",
            Self::Float32 => "float",
            Self::Float64 => "double",
            Self::Boolean => "boolean",
            Self::String => "string",
            Self::Bytes => "bytes",
            Self::Array => "array",
            Self::Map => "map",
            Self::Struct => "struct",
        }
    }
}

/// A Kafka Connect schema.
#[derive(Debug)]
pub struct Schema {
    /// Type.
    pub ty: SchemaType,
    /// Whether null is allowed.
    pub optional: bool,
    /// Record or logical type name.
    pub name: Option<String>,
    /// Version.
    pub version: Option<i32>,
    /// Documentation.
    pub doc: Option<String>,
    /// Parameters.
    pub parameters: Vec<(String, String)>,
    /// Default value.
    pub default: Option<serde_json::Value>,
    /// Struct fields in order.
    pub fields: Vec<(String, Arc<Schema>)>,
    /// Map key schema.
    pub key_schema: Option<Arc<Schema>>,
    /// Array element or map value schema.
    pub value_schema: Option<Arc<Schema>>,
    /// The schema as JsonConverter renders it, built on first use: a table's
    /// schema is rendered once, not per record.
    pub rendered_json: OnceLock<String>,
    /// Each struct field's key as JsonConverter writes it (`{"name":` for
    /// the first field, `,"name":` after), escaped once per schema: field
    /// names are most of the strings a change event's JSON holds.
    pub field_keys: OnceLock<Vec<String>>,
}

/// A typed value; struct fields in schema order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Null.
    Null,
    /// Boolean.
    Boolean(bool),
    /// 8-bit integer.
    Int8(i8),
    /// 16-bit integer.
    Int16(i16),
    /// 32-bit integer.
    Int32(i32),
    /// 64-bit integer.
    Int64(i64),
    /// 32-bit float.
    Float32(f32),
    /// 64-bit float.
    Float64(f64),
    /// String.
    String(String),
    /// Bytes.
    Bytes(Vec<u8>),
    /// Struct fields in schema order.
    Struct(Vec<Value>),
    /// Array elements.
    Array(Vec<Value>),
    /// Map entries.
    Map(Vec<(Value, Value)>),
}

/// A key, value or header value with its schema.
#[derive(Debug, Clone)]
pub struct Data {
    /// Schema; `None` for schemaless data.
    pub schema: Option<Arc<Schema>>,
    /// The value.
    pub value: Value,
}

/// One record from a source task.
#[derive(Debug, Clone)]
pub struct SourceRecord {
    /// Topic.
    pub topic: String,
    /// Kafka partition chosen by the connector.
    pub kafka_partition: Option<i32>,
    /// Key; `None` is a null key.
    pub key: Option<Data>,
    /// Value; `None` is a tombstone.
    pub value: Option<Data>,
    /// Milliseconds since the epoch.
    pub timestamp: Option<i64>,
    /// Headers.
    pub headers: Vec<(String, Option<Data>)>,
    /// Source partition (JSON object).
    pub source_partition: String,
    /// Source offset (JSON object).
    pub source_offset: String,
}

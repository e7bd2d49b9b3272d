//! The host's own model of records, schemas and values. Generated WIT types
//! are converted into these at the runtime boundary and never travel further.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;

/// Kafka Connect's schema types (shared with the SDK through `weir-json`).
pub use weir_json::connect::SchemaType;

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
    /// What JsonConverter derives from the schema (its JSON, escaped field
    /// keys, decimal scale), prepared on first use: a table's schema is
    /// prepared once, not per record.
    pub json: OnceLock<weir_json::connect::JsonSchema>,
}

impl Schema {
    /// The schema prepared for JsonConverter, on first use.
    pub fn json(&self) -> &weir_json::connect::JsonSchema {
        self.json.get_or_init(|| weir_json::connect::JsonSchema::new(self))
    }
}

impl weir_json::connect::SchemaSource for Schema {
    fn schema_type(&self) -> SchemaType {
        self.ty
    }
    fn optional(&self) -> bool {
        self.optional
    }
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn version(&self) -> Option<i32> {
        self.version
    }
    fn doc(&self) -> Option<&str> {
        self.doc.as_deref()
    }
    fn parameters(&self) -> &[(String, String)] {
        &self.parameters
    }
    fn default_json(&self) -> Option<String> {
        self.default.as_ref().map(serde_json::Value::to_string)
    }
    fn fields(&self) -> impl Iterator<Item = (&str, &Self)> {
        self.fields.iter().map(|(name, schema)| (name.as_str(), &**schema))
    }
    fn value_schema(&self) -> Option<&Self> {
        self.value_schema.as_deref()
    }
    fn key_schema(&self) -> Option<&Self> {
        self.key_schema.as_deref()
    }
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

impl weir_json::connect::ConnectValue for Value {
    fn view(&self) -> weir_json::connect::ValueRef<'_, Self> {
        use weir_json::connect::ValueRef;
        match self {
            Self::Null => ValueRef::Null,
            Self::Boolean(b) => ValueRef::Boolean(*b),
            Self::Int8(v) => ValueRef::Int(i64::from(*v)),
            Self::Int16(v) => ValueRef::Int(i64::from(*v)),
            Self::Int32(v) => ValueRef::Int(i64::from(*v)),
            Self::Int64(v) => ValueRef::Int(*v),
            Self::Float32(v) => ValueRef::Float32(*v),
            Self::Float64(v) => ValueRef::Float64(*v),
            Self::String(s) => ValueRef::String(s),
            Self::Bytes(b) => ValueRef::Bytes(b),
            Self::Struct(fields) => ValueRef::Struct(fields),
            Self::Array(items) => ValueRef::Array(items),
            Self::Map(entries) => ValueRef::Map(entries),
        }
    }
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

/// How a task is asked to hand over keys and values: `None` typed, or
/// already written by JsonConverter with these settings (only when no
/// transform runs; see `wit/README.md`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutputFormat {
    /// The key's encoding.
    pub key: Option<weir_json::connect::JsonConverter>,
    /// The value's encoding.
    pub value: Option<weir_json::connect::JsonConverter>,
}

/// A key or value as a task handed it over.
#[derive(Debug, Clone)]
pub enum Part {
    /// Typed, for the transforms and converters.
    Typed(Data),
    /// Already the bytes the converter would write (a slice of the poll's buffer).
    Encoded(Bytes),
}

/// UTF-8 text that may share its poll's buffer, so a record's offset needs
/// no allocation of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedText(Bytes);

impl SharedText {
    /// `bytes` when they are UTF-8.
    pub fn new(bytes: Bytes) -> Result<Self, std::str::Utf8Error> {
        std::str::from_utf8(&bytes)?;
        Ok(Self(bytes))
    }

    /// The text as bytes (UTF-8).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Display for SharedText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Checked in `new`, so nothing is ever replaced.
        f.write_str(&String::from_utf8_lossy(&self.0))
    }
}

impl From<String> for SharedText {
    fn from(s: String) -> Self {
        Self(Bytes::from(s.into_bytes()))
    }
}

/// One record as `poll` returned it: a [`SourceRecord`] whose key or value
/// may already be encoded.
#[derive(Debug, Clone)]
pub struct PolledRecord {
    /// Topic (shared by the poll's records that name it).
    pub topic: Arc<str>,
    /// Kafka partition chosen by the connector.
    pub kafka_partition: Option<i32>,
    /// Key; `None` is a null key.
    pub key: Option<Part>,
    /// Value; `None` is a tombstone.
    pub value: Option<Part>,
    /// Milliseconds since the epoch.
    pub timestamp: Option<i64>,
    /// Headers.
    pub headers: Vec<(String, Option<Data>)>,
    /// Source partition (JSON object), shared as the topic is.
    pub source_partition: Arc<str>,
    /// Source offset (JSON object).
    pub source_offset: SharedText,
}

impl PolledRecord {
    /// The typed record, for transforms; `Err` with the record back when a
    /// part is encoded (the host asked for that only without transforms).
    pub fn into_typed(self) -> Result<SourceRecord, Box<Self>> {
        match (&self.key, &self.value) {
            (Some(Part::Encoded(_)), _) | (_, Some(Part::Encoded(_))) => Err(Box::new(self)),
            _ => {
                let typed = |part: Option<Part>| match part {
                    Some(Part::Typed(data)) => Some(data),
                    _ => None,
                };
                Ok(SourceRecord {
                    topic: self.topic.to_string(),
                    kafka_partition: self.kafka_partition,
                    key: typed(self.key),
                    value: typed(self.value),
                    timestamp: self.timestamp,
                    headers: self.headers,
                    source_partition: self.source_partition.to_string(),
                    source_offset: self.source_offset.to_string(),
                })
            }
        }
    }
}

impl From<SourceRecord> for PolledRecord {
    fn from(r: SourceRecord) -> Self {
        Self {
            topic: Arc::from(r.topic),
            kafka_partition: r.kafka_partition,
            key: r.key.map(Part::Typed),
            value: r.value.map(Part::Typed),
            timestamp: r.timestamp,
            headers: r.headers,
            source_partition: Arc::from(r.source_partition),
            source_offset: SharedText::from(r.source_offset),
        }
    }
}

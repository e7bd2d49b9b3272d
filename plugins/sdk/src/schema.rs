//! Kafka Connect schemas and typed values, as a connector builds them.

use std::sync::Arc;

/// Kafka Connect's schema types (shared with the worker through `weir-json`).
pub use weir_json::connect::SchemaType;

/// A Kafka Connect schema. Build it once per table and share the `Arc`: the
/// SDK sends a schema to the worker once per task and refers to it afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// The type.
    pub ty: SchemaType,
    /// Whether null is allowed.
    pub optional: bool,
    /// Record or logical type name, e.g. `io.debezium.time.Date`.
    pub name: Option<String>,
    /// Schema version.
    pub version: Option<i32>,
    /// Documentation.
    pub doc: Option<String>,
    /// Parameters, e.g. a decimal's `scale`.
    pub parameters: Vec<(String, String)>,
    /// Default value as JSON text.
    pub default_json: Option<String>,
    /// Struct fields, in order.
    pub fields: Vec<(String, Arc<Schema>)>,
    /// Array element or map value schema.
    pub value_schema: Option<Arc<Schema>>,
    /// Map key schema.
    pub key_schema: Option<Arc<Schema>>,
}

impl Schema {
    /// A required schema of a primitive type.
    pub fn of(ty: SchemaType) -> Self {
        Self {
            ty,
            optional: false,
            name: None,
            version: None,
            doc: None,
            parameters: Vec::new(),
            default_json: None,
            fields: Vec::new(),
            value_schema: None,
            key_schema: None,
        }
    }

    /// `int32`.
    pub fn int32() -> Self {
        Self::of(SchemaType::Int32)
    }
    /// `int64`.
    pub fn int64() -> Self {
        Self::of(SchemaType::Int64)
    }
    /// `float64`.
    pub fn float64() -> Self {
        Self::of(SchemaType::Float64)
    }
    /// `boolean`.
    pub fn boolean() -> Self {
        Self::of(SchemaType::Boolean)
    }
    /// `string`.
    pub fn string() -> Self {
        Self::of(SchemaType::String)
    }
    /// `bytes`.
    pub fn bytes() -> Self {
        Self::of(SchemaType::Bytes)
    }

    /// A struct named `name` with no fields yet.
    pub fn structure(name: impl Into<String>) -> Self {
        Self { name: Some(name.into()), ..Self::of(SchemaType::Struct) }
    }

    /// An array of `element`.
    pub fn array(element: Schema) -> Self {
        Self { value_schema: Some(Arc::new(element)), ..Self::of(SchemaType::Array) }
    }

    /// A map from `key` to `value`.
    pub fn map(key: Schema, value: Schema) -> Self {
        Self { key_schema: Some(Arc::new(key)), value_schema: Some(Arc::new(value)), ..Self::of(SchemaType::Map) }
    }

    /// Adds a struct field.
    pub fn field(mut self, name: impl Into<String>, schema: Schema) -> Self {
        self.fields.push((name.into(), Arc::new(schema)));
        self
    }

    /// Makes the schema optional.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Sets the name (record or logical type name).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the version.
    pub fn version(mut self, version: i32) -> Self {
        self.version = Some(version);
        self
    }

    /// Adds a parameter.
    pub fn parameter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.parameters.push((key.into(), value.into()));
        self
    }

    /// Wraps the schema for sharing between records.
    pub fn shared(self) -> Arc<Schema> {
        Arc::new(self)
    }
}

/// A typed value. Struct fields come in their schema's order.
#[derive(Debug, Clone, Default)]
pub enum Value {
    /// Null.
    #[default]
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
    /// Struct field values in schema order.
    Struct(Vec<Value>),
    /// Array elements.
    Array(Vec<Value>),
    /// Map entries.
    Map(Vec<(Value, Value)>),
    /// A value many records hold (a connector's name, a table's `source`
    /// block in a snapshot): cloned by reference count instead of copied,
    /// and written as JSON once. It reads, compares, converts and crosses
    /// to the worker exactly as the value inside.
    Shared(Arc<SharedValue>),
}

/// What [`Value::Shared`] holds: the value, and the JSON it was written as.
#[derive(Debug)]
pub struct SharedValue {
    value: Value,
    json: weir_json::connect::JsonMemo,
}

impl SharedValue {
    /// The value.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The value, moved out.
    pub fn into_value(self) -> Value {
        self.value
    }
}

impl Value {
    /// Wraps `value` to be shared between records (see [`Value::Shared`]).
    pub fn shared(value: impl Into<Value>) -> Self {
        Value::Shared(Arc::new(SharedValue { value: value.into(), json: Default::default() }))
    }

    /// The value itself, through any [`Value::Shared`] wrappers.
    pub fn resolved(&self) -> &Value {
        match self {
            Value::Shared(inner) => inner.value.resolved(),
            other => other,
        }
    }

    /// The value as a schema default's JSON text, as JsonConverter writes
    /// it; `None` for null and structured values, which a default here
    /// cannot carry.
    pub fn to_default_json(&self) -> Option<String> {
        if matches!(self.resolved(), Self::Null | Self::Struct(_) | Self::Array(_) | Self::Map(_)) {
            return None;
        }
        let mut out = String::new();
        weir_json::connect::write_payload(&mut out, None, self, false).ok()?;
        Some(out)
    }
}

/// Sharing is invisible: a shared value equals the same value unshared.
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        use Value::*;
        match (self.resolved(), other.resolved()) {
            (Null, Null) => true,
            (Boolean(a), Boolean(b)) => a == b,
            (Int8(a), Int8(b)) => a == b,
            (Int16(a), Int16(b)) => a == b,
            (Int32(a), Int32(b)) => a == b,
            (Int64(a), Int64(b)) => a == b,
            (Float32(a), Float32(b)) => a == b,
            (Float64(a), Float64(b)) => a == b,
            (String(a), String(b)) => a == b,
            (Bytes(a), Bytes(b)) => a == b,
            (Struct(a), Struct(b)) | (Array(a), Array(b)) => a == b,
            (Map(a), Map(b)) => a == b,
            _ => false,
        }
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_string())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int32(v)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int64(v)
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float64(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Boolean(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
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
    /// Compact, as the worker writes a default it parsed from this text.
    fn default_json(&self) -> Option<String> {
        let text = self.default_json.as_ref()?;
        Some(serde_json::from_str::<serde_json::Value>(text).map_or_else(|_| text.clone(), |v| v.to_string()))
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
            Self::Shared(inner) => inner.value.view(),
        }
    }

    fn memo(&self) -> Option<&weir_json::connect::JsonMemo> {
        match self {
            Self::Shared(inner) => Some(&inner.json),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use weir_json::connect::{JsonConverter, JsonSchema};

    use super::*;

    #[test]
    fn a_shared_value_reads_compares_and_converts_as_the_value_inside() {
        let schema = Schema::structure("s").field("name", Schema::string()).field("n", Schema::int32()).shared();
        let plain = Value::Struct(vec![Value::String("db1".into()), Value::Int32(7)]);
        let shared = Value::Struct(vec![Value::shared("db1"), Value::shared(Value::Int32(7))]);
        assert_eq!(shared, plain);
        assert_eq!(Value::shared(plain.clone()), plain);
        assert_ne!(Value::shared("db1"), Value::String("db2".into()));
        let prepared = JsonSchema::new(&*schema);
        let json = JsonConverter { schemas_enable: false, numeric_decimals: false };
        assert_eq!(json.convert(Some(&prepared), &shared).unwrap(), json.convert(Some(&prepared), &plain).unwrap());
        assert_eq!(Value::shared("x").to_default_json().as_deref(), Some("\"x\""));
    }

    #[test]
    fn a_shared_value_is_written_once_per_schema_and_format() {
        // Written once, then copied: the same bytes every time.
        let decimal =
            || Schema::bytes().named("org.apache.kafka.connect.data.Decimal").version(1).parameter("scale", "2");
        let schema = Schema::structure("s").field("amount", decimal()).field("n", Schema::int32()).shared();
        let inner = Value::Struct(vec![Value::Bytes(vec![0x30, 0x39]), Value::Int32(7)]);
        let shared = Value::shared(inner.clone());
        let prepared = JsonSchema::new(&*schema);
        let base64 = JsonConverter { schemas_enable: false, numeric_decimals: false };
        let expected = br#"{"amount":"MDk=","n":7}"#.to_vec();
        for _ in 0..3 {
            assert_eq!(base64.convert(Some(&prepared), &shared).unwrap(), Some(expected.clone()));
        }
        // Another decimal format, and another schema, write it afresh.
        let numeric = JsonConverter { schemas_enable: false, numeric_decimals: true };
        assert_eq!(numeric.convert(Some(&prepared), &shared).unwrap(), Some(br#"{"amount":123.45,"n":7}"#.to_vec()));
        let renamed = Schema::structure("s").field("total", decimal()).field("n", Schema::int32()).shared();
        let other = JsonSchema::new(&*renamed);
        assert_eq!(base64.convert(Some(&other), &shared).unwrap(), Some(br#"{"total":"MDk=","n":7}"#.to_vec()));
        // Inside another value, as a snapshot's source block is.
        let envelope = Schema::structure("e").field("source", (*schema).clone()).shared();
        let record = Value::Struct(vec![shared.clone()]);
        let env = JsonSchema::new(&*envelope);
        for _ in 0..2 {
            assert_eq!(
                base64.convert(Some(&env), &record).unwrap(),
                Some(br#"{"source":{"amount":"MDk=","n":7}}"#.to_vec())
            );
        }
        assert_eq!(base64.convert(Some(&prepared), &inner).unwrap(), Some(expected));
    }
}

//! Converters: what consumers see of a record's key, value and headers.
//!
//! This is the first cut of Kafka Connect's converters — JsonConverter with
//! and without schemas, StringConverter and ByteArrayConverter. Numbers and
//! strings are written as Jackson writes them, by `weir-json`, which the
//! connectors share.

use weir_json::connect::{DECIMAL, JsonConverter};

use crate::record::{Data, Schema, Value};

/// Errors converting a record.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The value does not fit its schema.
    #[error("value does not match its schema: {0}")]
    Mismatch(String),
    /// The converter class is not one Weir provides.
    #[error("unknown converter class {0}")]
    UnknownClass(String),
    /// The converter cannot represent this value.
    #[error("{converter} cannot convert {what}")]
    Unsupported {
        /// The converter.
        converter: &'static str,
        /// What it was given.
        what: String,
    },
}

/// A configured converter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Converter {
    /// `org.apache.kafka.connect.json.JsonConverter`.
    Json {
        /// `schemas.enable`.
        schemas: bool,
        /// `decimal.format=NUMERIC`: decimals as JSON numbers, not base64 bytes.
        numeric_decimals: bool,
    },
    /// `org.apache.kafka.connect.storage.StringConverter`.
    String,
    /// `org.apache.kafka.connect.converters.ByteArrayConverter`.
    ByteArray,
}

impl Converter {
    /// JsonConverter with `schemas.enable` and the default `decimal.format=BASE64`.
    pub fn json(schemas: bool) -> Self {
        Self::Json { schemas, numeric_decimals: false }
    }

    /// The converter for a class name (full or simple) and its
    /// `schemas.enable` setting.
    pub fn from_class(class: &str, schemas_enable: bool) -> Result<Self, ConvertError> {
        let simple = class.rsplit('.').next().unwrap_or(class);
        match simple {
            "JsonConverter" => Ok(Self::json(schemas_enable)),
            "StringConverter" => Ok(Self::String),
            "ByteArrayConverter" => Ok(Self::ByteArray),
            _ => Err(ConvertError::UnknownClass(class.to_string())),
        }
    }

    /// Converts a key or value as Kafka Connect's `fromConnectData` does:
    /// no data, or a null value without a schema, is a null (tombstone).
    pub fn convert(&self, data: Option<&Data>) -> Result<Option<Vec<u8>>, ConvertError> {
        let Some(data) = data else { return Ok(None) };
        if data.schema.is_none() && data.value == Value::Null {
            return Ok(None);
        }
        match self {
            Self::Json { schemas, numeric_decimals } => {
                JsonConverter { schemas_enable: *schemas, numeric_decimals: *numeric_decimals }
                    .convert(data.schema.as_deref().map(Schema::json), &data.value)
                    .map_err(|e| ConvertError::Mismatch(e.0))
            }
            Self::String => match &data.value {
                Value::Null => Ok(None),
                Value::String(s) => Ok(Some(s.clone().into_bytes())),
                other => Ok(Some(payload_text(data.schema.as_deref(), other)?.into_bytes())),
            },
            Self::ByteArray => match &data.value {
                Value::Null => Ok(None),
                Value::Bytes(b) => Ok(Some(b.clone())),
                other => Err(ConvertError::Unsupported { converter: "ByteArrayConverter", what: format!("{other:?}") }),
            },
        }
    }

    /// The encoding a task may write itself for this converter when no
    /// transform runs: JsonConverter's, which the SDK shares (`weir_json::connect`).
    pub fn task_encoding(&self) -> Option<JsonConverter> {
        match *self {
            Self::Json { schemas, numeric_decimals } => {
                Some(JsonConverter { schemas_enable: schemas, numeric_decimals })
            }
            Self::String | Self::ByteArray => None,
        }
    }
}

/// A value's JSON payload with numeric decimals, as the string and header
/// converters print structured values.
fn payload_text(schema: Option<&Schema>, value: &Value) -> Result<String, ConvertError> {
    let mut out = String::new();
    weir_json::connect::write_payload(&mut out, schema.map(Schema::json), value, true)
        .map_err(|e| ConvertError::Mismatch(e.0))?;
    Ok(out)
}

/// A header value as Kafka Connect's `SimpleHeaderConverter` writes it:
/// strings as they are, bytes as base64, numbers and booleans as Java
/// prints them, structs, maps and arrays as JSON; null stays null.
pub fn header_bytes(data: Option<&Data>) -> Result<Option<Vec<u8>>, ConvertError> {
    let Some(data) = data else { return Ok(None) };
    match &data.value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone().into_bytes())),
        Value::Bytes(b) if data.schema.as_deref().is_none_or(|s| s.name.as_deref() != Some(DECIMAL)) => {
            Ok(Some(base64(b).into_bytes()))
        }
        other => Ok(Some(payload_text(data.schema.as_deref(), other)?.into_bytes())),
    }
}

/// Standard base64 with padding, as Jackson writes `byte[]`.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    weir_json::write_base64(&mut out, bytes);
    out
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, OnceLock};

    use super::*;
    use crate::record::SchemaType;

    fn prim(ty: SchemaType) -> Arc<Schema> {
        Arc::new(Schema {
            ty,
            optional: false,
            name: None,
            version: None,
            doc: None,
            parameters: vec![],
            default: None,
            fields: vec![],
            key_schema: None,
            value_schema: None,
            json: OnceLock::new(),
        })
    }

    fn structure(name: Option<&str>, fields: Vec<(String, Arc<Schema>)>) -> Arc<Schema> {
        Arc::new(Schema {
            ty: SchemaType::Struct,
            optional: false,
            name: name.map(str::to_string),
            version: None,
            doc: None,
            parameters: vec![],
            default: None,
            fields,
            key_schema: None,
            value_schema: None,
            json: OnceLock::new(),
        })
    }

    #[test]
    fn json_with_schema_renders_kafka_envelope() {
        let schema = structure(
            Some("ksql.users"),
            vec![("id".into(), prim(SchemaType::Int64)), ("b".into(), prim(SchemaType::Bytes))],
        );
        let data =
            Data { schema: Some(schema), value: Value::Struct(vec![Value::Int64(7), Value::Bytes(b"hi!?".to_vec())]) };
        let bytes = Converter::json(true).convert(Some(&data)).unwrap().unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"bytes","optional":false,"field":"b"}],"optional":false,"name":"ksql.users"},"payload":{"id":7,"b":"aGkhPw=="}}"#
        );
        let plain = Converter::json(false).convert(Some(&data)).unwrap().unwrap();
        assert_eq!(String::from_utf8(plain).unwrap(), r#"{"id":7,"b":"aGkhPw=="}"#);
    }

    #[test]
    fn struct_with_wrong_field_count_is_an_error() {
        let schema = structure(None, vec![("a".into(), prim(SchemaType::Int32))]);
        let data = Data { schema: Some(schema), value: Value::Struct(vec![]) };
        assert!(matches!(Converter::json(true).convert(Some(&data)), Err(ConvertError::Mismatch(_))));
    }

    #[test]
    fn integers_and_escaped_field_names() {
        let schema = structure(
            None,
            vec![
                ("a\"b".into(), prim(SchemaType::Int64)),
                ("c".into(), prim(SchemaType::Int64)),
                ("d".into(), prim(SchemaType::Int8)),
            ],
        );
        let value = Value::Struct(vec![Value::Int64(i64::MIN), Value::Int64(0), Value::Int8(-7)]);
        let data = Data { schema: Some(schema), value };
        let json = Converter::json(false).convert(Some(&data)).unwrap().unwrap();
        assert_eq!(String::from_utf8(json).unwrap(), r#"{"a\"b":-9223372036854775808,"c":0,"d":-7}"#);
        let empty = Data { schema: Some(structure(None, vec![])), value: Value::Struct(vec![]) };
        assert_eq!(Converter::json(false).convert(Some(&empty)).unwrap().unwrap(), b"{}");
    }

    #[test]
    fn null_stays_null() {
        assert_eq!(Converter::json(true).convert(None).unwrap(), None);
    }
}

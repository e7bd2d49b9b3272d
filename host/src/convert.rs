//! Converters: what consumers see of a record's key, value and headers.
//!
//! This is the first cut of Kafka Connect's converters — JsonConverter with
//! and without schemas, StringConverter and ByteArrayConverter. Numbers and
//! strings are written as Jackson writes them, by `weir-json`, which the
//! connectors share.

use crate::record::{Data, Schema, SchemaType, Value};

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
                let mut out = String::with_capacity(128);
                let mut w = Writer { out: &mut out, numeric_decimals: *numeric_decimals };
                if *schemas {
                    w.out.push_str("{\"schema\":");
                    match &data.schema {
                        Some(schema) => w.out.push_str(schema_json(schema)),
                        None => w.out.push_str("null"),
                    }
                    w.out.push_str(",\"payload\":");
                    w.payload(data.schema.as_deref(), &data.value)?;
                    w.out.push('}');
                } else {
                    // A schema with a null value still writes the JSON `null`, as Kafka's does.
                    w.payload(data.schema.as_deref(), &data.value)?;
                }
                Ok(Some(out.into_bytes()))
            }
            Self::String => match &data.value {
                Value::Null => Ok(None),
                Value::String(s) => Ok(Some(s.clone().into_bytes())),
                other => {
                    let mut out = String::new();
                    Writer { out: &mut out, numeric_decimals: true }.payload(data.schema.as_deref(), other)?;
                    Ok(Some(out.into_bytes()))
                }
            },
            Self::ByteArray => match &data.value {
                Value::Null => Ok(None),
                Value::Bytes(b) => Ok(Some(b.clone())),
                other => Err(ConvertError::Unsupported { converter: "ByteArrayConverter", what: format!("{other:?}") }),
            },
        }
    }
}

/// A header value as Kafka Connect's `SimpleHeaderConverter` writes it:
/// strings as they are, bytes as base64, numbers and booleans as Java
/// prints them, structs, maps and arrays as JSON; null stays null.
pub fn header_bytes(data: Option<&Data>) -> Result<Option<Vec<u8>>, ConvertError> {
    let Some(data) = data else { return Ok(None) };
    match &data.value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone().into_bytes())),
        Value::Bytes(b) if !is_decimal(data.schema.as_deref()) => {
            let mut out = String::new();
            weir_json::write_base64(&mut out, b);
            Ok(Some(out.into_bytes()))
        }
        other => {
            let mut out = String::new();
            Writer { out: &mut out, numeric_decimals: true }.payload(data.schema.as_deref(), other)?;
            Ok(Some(out.into_bytes()))
        }
    }
}

/// Kafka's `Decimal` logical type name.
const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";

fn is_decimal(schema: Option<&Schema>) -> bool {
    schema.is_some_and(|s| s.name.as_deref() == Some(DECIMAL))
}

/// The schema as JsonConverter renders it, built once per schema.
pub fn schema_json(schema: &Schema) -> &str {
    schema.rendered_json.get_or_init(|| schema_value(schema).to_string())
}

fn schema_value(schema: &Schema) -> serde_json::Value {
    let mut obj = serde_json::Map::new();
    obj.insert("type".into(), schema.ty.json_name().into());
    match schema.ty {
        SchemaType::Struct => {
            let fields = schema
                .fields
                .iter()
                .map(|(name, field)| {
                    let mut v = schema_value(field);
                    if let serde_json::Value::Object(m) = &mut v {
                        m.insert("field".into(), name.clone().into());
                    }
                    v
                })
                .collect();
            obj.insert("fields".into(), serde_json::Value::Array(fields));
        }
        SchemaType::Array => {
            if let Some(items) = &schema.value_schema {
                obj.insert("items".into(), schema_value(items));
            }
        }
        SchemaType::Map => {
            if let Some(keys) = &schema.key_schema {
                obj.insert("keys".into(), schema_value(keys));
            }
            if let Some(values) = &schema.value_schema {
                obj.insert("values".into(), schema_value(values));
            }
        }
        _ => {}
    }
    obj.insert("optional".into(), schema.optional.into());
    if let Some(name) = &schema.name {
        obj.insert("name".into(), name.clone().into());
    }
    if let Some(version) = schema.version {
        obj.insert("version".into(), version.into());
    }
    if let Some(doc) = &schema.doc {
        obj.insert("doc".into(), doc.clone().into());
    }
    if !schema.parameters.is_empty() {
        let params = schema.parameters.iter().map(|(k, v)| (k.clone(), serde_json::Value::from(v.clone()))).collect();
        obj.insert("parameters".into(), serde_json::Value::Object(params));
    }
    if let Some(default) = &schema.default {
        obj.insert("default".into(), default.clone());
    }
    serde_json::Value::Object(obj)
}

/// A struct schema's field keys as the payload writer puts them (see
/// [`Schema::field_keys`]).
fn field_keys(schema: &Schema) -> Vec<String> {
    schema
        .fields
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let mut key = String::with_capacity(name.len() + 4);
            key.push(if i == 0 { '{' } else { ',' });
            weir_json::write_string(&mut key, name);
            key.push(':');
            key
        })
        .collect()
}

/// Writes a payload; carries the converter's `decimal.format`.
struct Writer<'a> {
    out: &'a mut String,
    numeric_decimals: bool,
}

impl Writer<'_> {
    fn payload(&mut self, schema: Option<&Schema>, value: &Value) -> Result<(), ConvertError> {
        match value {
            Value::Null => self.out.push_str("null"),
            Value::Boolean(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Value::Int8(v) => weir_json::write_i64(self.out, i64::from(*v)),
            Value::Int16(v) => weir_json::write_i64(self.out, i64::from(*v)),
            Value::Int32(v) => weir_json::write_i64(self.out, i64::from(*v)),
            Value::Int64(v) => weir_json::write_i64(self.out, *v),
            Value::Float32(v) => weir_json::write_float(self.out, *v),
            Value::Float64(v) => weir_json::write_double(self.out, *v),
            Value::String(s) => weir_json::write_string(self.out, s),
            Value::Bytes(b) if self.numeric_decimals && is_decimal(schema) => {
                let scale = schema
                    .and_then(|s| s.parameters.iter().find(|(k, _)| k == "scale"))
                    .and_then(|(_, v)| v.parse::<i32>().ok())
                    .ok_or_else(|| {
                        ConvertError::Mismatch("a Decimal schema needs an integer scale parameter".into())
                    })?;
                weir_json::write_big_decimal(self.out, b, scale);
            }
            Value::Bytes(b) => {
                self.out.push('"');
                weir_json::write_base64(self.out, b);
                self.out.push('"');
            }
            Value::Struct(fields) => {
                let schema = schema.ok_or_else(|| ConvertError::Mismatch("a struct value needs a schema".into()))?;
                if schema.fields.len() != fields.len() {
                    return Err(ConvertError::Mismatch(format!(
                        "struct {} has {} fields but the value has {}",
                        schema.name.as_deref().unwrap_or("(unnamed)"),
                        schema.fields.len(),
                        fields.len()
                    )));
                }
                if fields.is_empty() {
                    self.out.push_str("{}");
                    return Ok(());
                }
                let keys = schema.field_keys.get_or_init(|| field_keys(schema));
                for ((key, (_, field_schema)), field) in keys.iter().zip(&schema.fields).zip(fields) {
                    self.out.push_str(key);
                    self.payload(Some(field_schema), field)?;
                }
                self.out.push('}');
            }
            Value::Array(items) => {
                let element = schema.and_then(|s| s.value_schema.as_deref());
                self.out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.out.push(',');
                    }
                    self.payload(element, item)?;
                }
                self.out.push(']');
            }
            Value::Map(entries) => {
                let key_schema = schema.and_then(|s| s.key_schema.as_deref());
                let value_schema = schema.and_then(|s| s.value_schema.as_deref());
                let string_keys = entries.iter().all(|(k, _)| matches!(k, Value::String(_)));
                if string_keys {
                    self.out.push('{');
                    for (i, (k, v)) in entries.iter().enumerate() {
                        if i > 0 {
                            self.out.push(',');
                        }
                        self.payload(key_schema, k)?;
                        self.out.push(':');
                        self.payload(value_schema, v)?;
                    }
                    self.out.push('}');
                } else {
                    self.out.push('[');
                    for (i, (k, v)) in entries.iter().enumerate() {
                        if i > 0 {
                            self.out.push(',');
                        }
                        self.out.push('[');
                        self.payload(key_schema, k)?;
                        self.out.push(',');
                        self.payload(value_schema, v)?;
                        self.out.push(']');
                    }
                    self.out.push(']');
                }
            }
        }
        Ok(())
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
            rendered_json: OnceLock::new(),
            field_keys: OnceLock::new(),
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
            rendered_json: OnceLock::new(),
            field_keys: OnceLock::new(),
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

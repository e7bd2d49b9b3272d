//! Converters: what consumers see of a record's key, value and headers.
//!
//! This is the first cut of Kafka Connect's converters — JsonConverter with
//! and without schemas, StringConverter and ByteArrayConverter. Numbers and
//! strings are written as Jackson writes them, by `weir-json`, which the
//! connectors share.

use std::fmt::Write as _;

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
    },
    /// `org.apache.kafka.connect.storage.StringConverter`.
    String,
    /// `org.apache.kafka.connect.converters.ByteArrayConverter`.
    ByteArray,
}

impl Converter {
    /// The converter for a class name (full or simple) and its
    /// `schemas.enable` setting.
    pub fn from_class(class: &str, schemas_enable: bool) -> Result<Self, ConvertError> {
        let simple = class.rsplit('.').next().unwrap_or(class);
        match simple {
            "JsonConverter" => Ok(Self::Json { schemas: schemas_enable }),
            "StringConverter" => Ok(Self::String),
            "ByteArrayConverter" => Ok(Self::ByteArray),
            _ => Err(ConvertError::UnknownClass(class.to_string())),
        }
    }

    /// Converts a key or value; `None` (null) stays `None`.
    pub fn convert(&self, data: Option<&Data>) -> Result<Option<Vec<u8>>, ConvertError> {
        let Some(data) = data else { return Ok(None) };
        match self {
            Self::Json { schemas } => {
                let mut out = String::with_capacity(128);
                if *schemas {
                    out.push_str("{\"schema\":");
                    match &data.schema {
                        Some(schema) => out.push_str(schema_json(schema)),
                        None => out.push_str("null"),
                    }
                    out.push_str(",\"payload\":");
                    write_payload(&mut out, data.schema.as_deref(), &data.value)?;
                    out.push('}');
                } else {
                    if data.value == Value::Null {
                        return Ok(None);
                    }
                    write_payload(&mut out, data.schema.as_deref(), &data.value)?;
                }
                Ok(Some(out.into_bytes()))
            }
            Self::String => match &data.value {
                Value::Null => Ok(None),
                Value::String(s) => Ok(Some(s.clone().into_bytes())),
                other => {
                    let mut out = String::new();
                    write_payload(&mut out, data.schema.as_deref(), other)?;
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

fn write_str(out: &mut String, s: &str) {
    weir_json::write_string(out, s);
}

fn write_payload(out: &mut String, schema: Option<&Schema>, value: &Value) -> Result<(), ConvertError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int8(v) => write!(out, "{v}").unwrap_or(()),
        Value::Int16(v) => write!(out, "{v}").unwrap_or(()),
        Value::Int32(v) => write!(out, "{v}").unwrap_or(()),
        Value::Int64(v) => write!(out, "{v}").unwrap_or(()),
        Value::Float32(v) => weir_json::write_float(out, *v),
        Value::Float64(v) => weir_json::write_double(out, *v),
        Value::String(s) => write_str(out, s),
        Value::Bytes(b) => {
            out.push('"');
            base64_into(out, b);
            out.push('"');
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
            out.push('{');
            for (i, ((name, field_schema), field)) in schema.fields.iter().zip(fields).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, name);
                out.push(':');
                write_payload(out, Some(field_schema), field)?;
            }
            out.push('}');
        }
        Value::Array(items) => {
            let element = schema.and_then(|s| s.value_schema.as_deref());
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_payload(out, element, item)?;
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let key_schema = schema.and_then(|s| s.key_schema.as_deref());
            let value_schema = schema.and_then(|s| s.value_schema.as_deref());
            let string_keys = entries.iter().all(|(k, _)| matches!(k, Value::String(_)));
            if string_keys {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_payload(out, key_schema, k)?;
                    out.push(':');
                    write_payload(out, value_schema, v)?;
                }
                out.push('}');
            } else {
                out.push('[');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push('[');
                    write_payload(out, key_schema, k)?;
                    out.push(',');
                    write_payload(out, value_schema, v)?;
                    out.push(']');
                }
                out.push(']');
            }
        }
    }
    Ok(())
}

/// Standard base64 with padding, as Jackson writes `byte[]`.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    base64_into(&mut out, bytes);
    out
}

fn base64_into(out: &mut String, bytes: &[u8]) {
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
        let bytes = Converter::Json { schemas: true }.convert(Some(&data)).unwrap().unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"bytes","optional":false,"field":"b"}],"optional":false,"name":"ksql.users"},"payload":{"id":7,"b":"aGkhPw=="}}"#
        );
        let plain = Converter::Json { schemas: false }.convert(Some(&data)).unwrap().unwrap();
        assert_eq!(String::from_utf8(plain).unwrap(), r#"{"id":7,"b":"aGkhPw=="}"#);
    }

    #[test]
    fn struct_with_wrong_field_count_is_an_error() {
        let schema = structure(None, vec![("a".into(), prim(SchemaType::Int32))]);
        let data = Data { schema: Some(schema), value: Value::Struct(vec![]) };
        assert!(matches!(Converter::Json { schemas: true }.convert(Some(&data)), Err(ConvertError::Mismatch(_))));
    }

    #[test]
    fn base64_pads_like_jackson() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
    }

    #[test]
    fn null_stays_null() {
        assert_eq!(Converter::Json { schemas: true }.convert(None).unwrap(), None);
    }
}

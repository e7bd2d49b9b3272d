//! Reading and rewriting values: struct fields by position, schemaless maps
//! by string key, and schema defaults, which Kafka's `Struct.get` puts in
//! place of a null field (the `replace.null.with.default` behaviour).

use crate::record::{Data, Schema, SchemaType, Value};

use super::error::RecordError;

/// Whether a key or value is null (absent, or present with a null value).
pub(crate) fn is_null(data: Option<&Data>) -> bool {
    data.is_none_or(|d| d.value == Value::Null)
}

/// The type of a value, for error messages.
pub(crate) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Boolean(_) => "boolean",
        Value::Int8(_) => "int8",
        Value::Int16(_) => "int16",
        Value::Int32(_) => "int32",
        Value::Int64(_) => "int64",
        Value::Float32(_) => "float32",
        Value::Float64(_) => "float64",
        Value::String(_) => "string",
        Value::Bytes(_) => "bytes",
        Value::Struct(_) => "struct",
        Value::Array(_) => "array",
        Value::Map(_) => "map",
    }
}

/// The fields of a struct value, checked against its schema's arity.
pub(crate) fn struct_fields<'a>(
    schema: &Schema,
    value: &'a Value,
    purpose: &'static str,
) -> Result<&'a [Value], RecordError> {
    match value {
        Value::Struct(fields) if fits(schema, fields) => Ok(fields),
        other => Err(not_a_struct(schema, other, purpose)),
    }
}

/// Owned struct fields, checked as [`struct_fields`] checks them.
pub(crate) fn into_struct_fields(
    schema: &Schema,
    value: Value,
    purpose: &'static str,
) -> Result<Vec<Value>, RecordError> {
    match value {
        Value::Struct(fields) if fits(schema, &fields) => Ok(fields),
        other => Err(not_a_struct(schema, &other, purpose)),
    }
}

fn fits(schema: &Schema, fields: &[Value]) -> bool {
    schema.ty == SchemaType::Struct && fields.len() == schema.fields.len()
}

fn not_a_struct(schema: &Schema, value: &Value, purpose: &'static str) -> RecordError {
    match value {
        Value::Struct(fields) => RecordError::Malformed(format!(
            "struct {} has {} fields but the value has {}",
            schema.name.as_deref().unwrap_or("(unnamed)"),
            schema.fields.len(),
            fields.len()
        )),
        other => RecordError::NotStruct { purpose, found: type_name(other) },
    }
}

/// A schemaless map's entries.
pub(crate) fn map_entries(value: Value, purpose: &'static str) -> Result<Vec<(Value, Value)>, RecordError> {
    match value {
        Value::Map(entries) => Ok(entries),
        other => Err(RecordError::NotMap { purpose, found: type_name(&other) }),
    }
}

/// The value under a string key.
pub(crate) fn map_get<'a>(entries: &'a [(Value, Value)], key: &str) -> Option<&'a Value> {
    entries.iter().find(|(k, _)| matches!(k, Value::String(s) if s == key)).map(|(_, v)| v)
}

/// Sets a string key, replacing its value or appending it, as `Map.put` does.
pub(crate) fn map_put(entries: &mut Vec<(Value, Value)>, key: &str, value: Value) {
    match entries.iter_mut().find(|(k, _)| matches!(k, Value::String(s) if s == key)) {
        Some((_, v)) => *v = value,
        None => entries.push((Value::String(key.to_string()), value)),
    }
}

/// A field's value as Kafka's `Struct.get` returns it: a null field whose
/// schema has a default reads as the default when `replace` is on.
pub(crate) fn or_default(value: Value, schema: &Schema, replace: bool) -> Value {
    if replace && value == Value::Null { default_of(schema).unwrap_or(Value::Null) } else { value }
}

/// [`or_default`] without taking ownership.
pub(crate) fn or_default_ref(value: &Value, schema: &Schema, replace: bool) -> Value {
    if replace && *value == Value::Null { default_of(schema).unwrap_or(Value::Null) } else { value.clone() }
}

/// The schema's default as a value, if it has one Weir can read (defaults
/// travel as JsonConverter JSON; bytes as base64).
pub(crate) fn default_of(schema: &Schema) -> Option<Value> {
    schema.default.as_ref().and_then(|json| from_json(schema, json))
}

fn from_json(schema: &Schema, json: &serde_json::Value) -> Option<Value> {
    use serde_json::Value as J;
    if json.is_null() {
        return Some(Value::Null);
    }
    Some(match schema.ty {
        SchemaType::Int8 => Value::Int8(i8::try_from(json.as_i64()?).ok()?),
        SchemaType::Int16 => Value::Int16(i16::try_from(json.as_i64()?).ok()?),
        SchemaType::Int32 => Value::Int32(i32::try_from(json.as_i64()?).ok()?),
        SchemaType::Int64 => Value::Int64(json.as_i64()?),
        SchemaType::Float32 => Value::Float32(json.as_f64()? as f32),
        SchemaType::Float64 => Value::Float64(json.as_f64()?),
        SchemaType::Boolean => Value::Boolean(json.as_bool()?),
        SchemaType::String => Value::String(json.as_str()?.to_string()),
        SchemaType::Bytes => Value::Bytes(base64_decode(json.as_str()?)?),
        SchemaType::Array => {
            let items = schema.value_schema.as_deref()?;
            Value::Array(json.as_array()?.iter().map(|j| from_json(items, j)).collect::<Option<_>>()?)
        }
        SchemaType::Map => {
            let values = schema.value_schema.as_deref()?;
            match json {
                J::Object(m) => Value::Map(
                    m.iter()
                        .map(|(k, v)| Some((Value::String(k.clone()), from_json(values, v)?)))
                        .collect::<Option<_>>()?,
                ),
                _ => return None,
            }
        }
        SchemaType::Struct => {
            let J::Object(m) = json else { return None };
            Value::Struct(
                schema
                    .fields
                    .iter()
                    .map(|(name, field)| match m.get(name) {
                        Some(j) => from_json(field, j),
                        None => Some(default_of(field).unwrap_or(Value::Null)),
                    })
                    .collect::<Option<_>>()?,
            )
        }
    })
}

fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let bytes = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(bytes.len() * 3 / 4);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= digit(*c)? << (18 - 6 * i);
        }
        let produced = match chunk.len() {
            4 => 3,
            3 => 2,
            2 => 1,
            _ => return None,
        };
        out.extend_from_slice(&n.to_be_bytes()[1..1 + produced]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::schema::blank;

    #[test]
    fn defaults_are_read_from_their_json() {
        let mut s = blank(SchemaType::String, true);
        s.default = Some("new".into());
        assert_eq!(or_default(Value::Null, &s, true), Value::String("new".into()));
        assert_eq!(or_default(Value::Null, &s, false), Value::Null);
        assert_eq!(or_default(Value::String("x".into()), &s, true), Value::String("x".into()));
        let mut b = blank(SchemaType::Bytes, true);
        b.default = Some("aGkhPw==".into());
        assert_eq!(default_of(&b), Some(Value::Bytes(b"hi!?".to_vec())));
        b.default = Some("Zm8=".into());
        assert_eq!(default_of(&b), Some(Value::Bytes(b"fo".to_vec())));
    }

    #[test]
    fn maps_put_like_java() {
        let mut m = vec![(Value::String("a".into()), Value::Int32(1))];
        map_put(&mut m, "a", Value::Int32(2));
        map_put(&mut m, "b", Value::Null);
        assert_eq!(map_get(&m, "a"), Some(&Value::Int32(2)));
        assert_eq!(m.len(), 2);
    }
}

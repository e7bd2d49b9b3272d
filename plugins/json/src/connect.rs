//! Kafka's `JsonConverter` over Kafka Connect data, in one place for the
//! worker (after transforms) and for the connector SDK (which writes a
//! record's key and value itself when no transform runs, so the bytes need
//! not cross the plugin boundary as typed nodes first).
//!
//! Both sides have their own schema and value types; they describe them to
//! this module through [`SchemaSource`] and [`ConnectValue`]. A schema is
//! prepared once ([`JsonSchema`]: its JSON rendered, its field keys escaped,
//! its decimal scale parsed) and reused for every record.

use crate::{write_base64, write_big_decimal, write_double, write_float, write_i64, write_string};

/// Kafka Connect's schema types: the one enum the worker, the SDK and
/// this module share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    /// The name JsonConverter writes for the type.
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

/// Kafka's `Decimal` logical type name.
pub const DECIMAL: &str = "org.apache.kafka.connect.data.Decimal";

/// A schema as this module reads it.
pub trait SchemaSource {
    /// The type.
    fn schema_type(&self) -> SchemaType;
    /// Whether null is allowed.
    fn optional(&self) -> bool;
    /// Record or logical type name.
    fn name(&self) -> Option<&str>;
    /// Version.
    fn version(&self) -> Option<i32>;
    /// Documentation.
    fn doc(&self) -> Option<&str>;
    /// Parameters, in order.
    fn parameters(&self) -> &[(String, String)];
    /// The default value as compact JSON text.
    fn default_json(&self) -> Option<String>;
    /// Struct fields, in order.
    fn fields(&self) -> impl Iterator<Item = (&str, &Self)>;
    /// Array element or map value schema.
    fn value_schema(&self) -> Option<&Self>;
    /// Map key schema.
    fn key_schema(&self) -> Option<&Self>;
}

/// A value as this module reads it; integers of every width are one case
/// because JsonConverter writes them alike.
pub enum ValueRef<'a, V> {
    /// Null.
    Null,
    /// Boolean.
    Boolean(bool),
    /// Any integer.
    Int(i64),
    /// 32-bit float.
    Float32(f32),
    /// 64-bit float.
    Float64(f64),
    /// String.
    String(&'a str),
    /// Bytes.
    Bytes(&'a [u8]),
    /// Struct fields in schema order.
    Struct(&'a [V]),
    /// Array elements.
    Array(&'a [V]),
    /// Map entries.
    Map(&'a [(V, V)]),
}

/// A value type this module can write.
pub trait ConnectValue: Sized {
    /// The value's case.
    fn view(&self) -> ValueRef<'_, Self>;

    /// Where a value many records share keeps the JSON it was written as;
    /// `None` (the default) for a value written afresh every time.
    fn memo(&self) -> Option<&JsonMemo> {
        None
    }
}

/// The JSON a shared value was first written as, kept beside it so that
/// the records after the first copy it instead of writing it again (a
/// snapshot's `source` block is the same for nearly every row of a table).
///
/// It holds for the schema it was written with, identified by address:
/// the writer keeps its prepared schemas for as long as it writes with
/// them (the SDK, for the task's life), so no other schema can take that
/// address while a value remembers it. Written with any other schema or
/// decimal format, the value is written afresh.
#[derive(Debug, Default)]
pub struct JsonMemo(std::sync::OnceLock<Memo>);

#[derive(Debug)]
struct Memo {
    schema: usize,
    numeric_decimals: bool,
    json: String,
}

/// A value does not fit its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch(pub String);

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Mismatch {}

/// A schema prepared for writing: everything JsonConverter derives from a
/// schema, derived once.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonSchema {
    kind: SchemaType,
    /// The schema as the `schema` member of `schemas.enable=true` output.
    rendered: String,
    /// `Some` for Decimal: its scale, or `None` when the parameter is not an integer.
    decimal_scale: Option<Option<i32>>,
    /// Struct name, for error messages.
    name: Option<String>,
    /// Each struct field's key as written: `{"name":` for the first, `,"name":` after.
    field_keys: Vec<String>,
    fields: Vec<JsonSchema>,
    /// Array element or map value schema.
    values: Option<Box<JsonSchema>>,
    /// Map key schema.
    keys: Option<Box<JsonSchema>>,
    /// The longest output written with this schema so far: output buffers
    /// start that large instead of growing through several copies.
    size_hint: SizeHint,
}

/// A byte count shared by every thread writing with one schema; a hint,
/// so relaxed ordering and a racy maximum are enough.
#[derive(Debug, Default)]
struct SizeHint(std::sync::atomic::AtomicUsize);

impl SizeHint {
    fn get(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn observe(&self, len: usize) {
        if len > self.get() {
            self.0.store(len, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

impl Clone for SizeHint {
    fn clone(&self) -> Self {
        Self(self.get().into())
    }
}

/// Hints are not part of what a schema is.
impl PartialEq for SizeHint {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl JsonSchema {
    /// Prepares `schema`.
    pub fn new<S: SchemaSource>(schema: &S) -> Self {
        let fields: Vec<(String, JsonSchema)> =
            schema.fields().map(|(name, field)| (name.to_string(), JsonSchema::new(field))).collect();
        let values = schema.value_schema().map(|s| Box::new(JsonSchema::new(s)));
        let keys = schema.key_schema().map(|s| Box::new(JsonSchema::new(s)));

        let mut rendered = String::with_capacity(64);
        rendered.push_str("{\"type\":\"");
        rendered.push_str(schema.schema_type().json_name());
        rendered.push('"');
        match schema.schema_type() {
            SchemaType::Struct => {
                rendered.push_str(",\"fields\":[");
                for (i, (name, field)) in fields.iter().enumerate() {
                    if i > 0 {
                        rendered.push(',');
                    }
                    // A field is its schema's object with `field` appended last.
                    let body = &field.rendered[..field.rendered.len() - 1];
                    rendered.push_str(body);
                    rendered.push_str(",\"field\":");
                    write_string(&mut rendered, name);
                    rendered.push('}');
                }
                rendered.push(']');
            }
            SchemaType::Array => {
                if let Some(items) = &values {
                    rendered.push_str(",\"items\":");
                    rendered.push_str(&items.rendered);
                }
            }
            SchemaType::Map => {
                if let Some(k) = &keys {
                    rendered.push_str(",\"keys\":");
                    rendered.push_str(&k.rendered);
                }
                if let Some(v) = &values {
                    rendered.push_str(",\"values\":");
                    rendered.push_str(&v.rendered);
                }
            }
            _ => {}
        }
        rendered.push_str(if schema.optional() { ",\"optional\":true" } else { ",\"optional\":false" });
        if let Some(name) = schema.name() {
            rendered.push_str(",\"name\":");
            write_string(&mut rendered, name);
        }
        if let Some(version) = schema.version() {
            rendered.push_str(",\"version\":");
            write_i64(&mut rendered, i64::from(version));
        }
        if let Some(doc) = schema.doc() {
            rendered.push_str(",\"doc\":");
            write_string(&mut rendered, doc);
        }
        let parameters = schema.parameters();
        if !parameters.is_empty() {
            rendered.push_str(",\"parameters\":{");
            // A repeated key keeps its first place and its last value, as a JSON object built by insertion does.
            let mut seen: Vec<&str> = Vec::with_capacity(parameters.len());
            for (k, _) in parameters {
                if seen.contains(&k.as_str()) {
                    continue;
                }
                let v = parameters.iter().rev().find(|(k2, _)| k2 == k).map_or("", |(_, v)| v.as_str());
                if !seen.is_empty() {
                    rendered.push(',');
                }
                seen.push(k);
                write_string(&mut rendered, k);
                rendered.push(':');
                write_string(&mut rendered, v);
            }
            rendered.push('}');
        }
        if let Some(default) = schema.default_json() {
            rendered.push_str(",\"default\":");
            rendered.push_str(&default);
        }
        rendered.push('}');

        let decimal_scale = (schema.name() == Some(DECIMAL))
            .then(|| parameters.iter().rev().find(|(k, _)| k == "scale").and_then(|(_, v)| v.parse::<i32>().ok()));
        let field_keys = fields
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                let mut key = String::with_capacity(name.len() + 4);
                key.push(if i == 0 { '{' } else { ',' });
                write_string(&mut key, name);
                key.push(':');
                key
            })
            .collect();
        Self {
            kind: schema.schema_type(),
            rendered,
            decimal_scale,
            name: schema.name().map(str::to_string),
            field_keys,
            fields: fields.into_iter().map(|(_, f)| f).collect(),
            values,
            keys,
            size_hint: SizeHint::default(),
        }
    }

    /// The type.
    pub fn kind(&self) -> SchemaType {
        self.kind
    }

    /// The schema as JsonConverter renders it in `schemas.enable=true` output.
    pub fn rendered(&self) -> &str {
        &self.rendered
    }

    /// Whether this is Kafka's Decimal.
    pub fn is_decimal(&self) -> bool {
        self.decimal_scale.is_some()
    }
}

/// `JsonConverter`'s settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonConverter {
    /// `schemas.enable`: wrap as `{"schema":…,"payload":…}`.
    pub schemas_enable: bool,
    /// `decimal.format=NUMERIC`: decimals as JSON numbers, not base64 bytes.
    pub numeric_decimals: bool,
}

impl JsonConverter {
    /// Converts a key or value as `fromConnectData` does; `None` when the
    /// result is null (no schema and a null value: a tombstone).
    pub fn convert<V: ConnectValue>(
        &self,
        schema: Option<&JsonSchema>,
        value: &V,
    ) -> Result<Option<Vec<u8>>, Mismatch> {
        let mut out = String::with_capacity(schema.map_or(0, |s| s.size_hint.get()).max(64));
        Ok(self.convert_into(&mut out, schema, value)?.then(|| out.into_bytes()))
    }

    /// [`convert`](Self::convert), appending to `out`; `false` (with nothing
    /// appended) when the result is null. On a mismatch `out` is left as it was.
    pub fn convert_into<V: ConnectValue>(
        &self,
        out: &mut String,
        schema: Option<&JsonSchema>,
        value: &V,
    ) -> Result<bool, Mismatch> {
        if schema.is_none() && matches!(value.view(), ValueRef::Null) {
            return Ok(false);
        }
        let start = out.len();
        let written = if self.schemas_enable {
            out.push_str("{\"schema\":");
            out.push_str(schema.map_or("null", JsonSchema::rendered));
            out.push_str(",\"payload\":");
            write_payload(out, schema, value, self.numeric_decimals).map(|()| out.push('}'))
        } else {
            // A schema with a null value still writes the JSON `null`, as Kafka's does.
            write_payload(out, schema, value, self.numeric_decimals)
        };
        if let Err(e) = written {
            out.truncate(start);
            return Err(e);
        }
        if let Some(schema) = schema {
            schema.size_hint.observe(out.len() - start);
        }
        Ok(true)
    }
}

/// Appends a payload as JsonConverter writes it; `numeric_decimals` is
/// `decimal.format=NUMERIC`.
pub fn write_payload<V: ConnectValue>(
    out: &mut String,
    schema: Option<&JsonSchema>,
    value: &V,
    numeric_decimals: bool,
) -> Result<(), Mismatch> {
    let Some(memo) = value.memo() else { return write_value(out, schema, value, numeric_decimals) };
    let key = schema.map_or(0, |s| std::ptr::from_ref(s) as usize);
    match memo.0.get() {
        Some(m) if m.schema == key && m.numeric_decimals == numeric_decimals => {
            out.push_str(&m.json);
            Ok(())
        }
        Some(_) => write_value(out, schema, value, numeric_decimals),
        None => {
            let start = out.len();
            write_value(out, schema, value, numeric_decimals)?;
            let _ = memo.0.set(Memo { schema: key, numeric_decimals, json: out[start..].to_string() });
            Ok(())
        }
    }
}

/// [`write_payload`] without looking for a memo.
fn write_value<V: ConnectValue>(
    out: &mut String,
    schema: Option<&JsonSchema>,
    value: &V,
    numeric_decimals: bool,
) -> Result<(), Mismatch> {
    match value.view() {
        ValueRef::Null => out.push_str("null"),
        ValueRef::Boolean(b) => out.push_str(if b { "true" } else { "false" }),
        ValueRef::Int(v) => write_i64(out, v),
        ValueRef::Float32(v) => write_float(out, v),
        ValueRef::Float64(v) => write_double(out, v),
        ValueRef::String(s) => write_string(out, s),
        ValueRef::Bytes(b) => match schema.and_then(|s| s.decimal_scale) {
            Some(scale) if numeric_decimals => {
                let scale =
                    scale.ok_or_else(|| Mismatch("a Decimal schema needs an integer scale parameter".into()))?;
                write_big_decimal(out, b, scale);
            }
            _ => {
                out.push('"');
                write_base64(out, b);
                out.push('"');
            }
        },
        ValueRef::Struct(fields) => {
            let schema = schema.ok_or_else(|| Mismatch("a struct value needs a schema".into()))?;
            if schema.fields.len() != fields.len() {
                return Err(Mismatch(format!(
                    "struct {} has {} fields but the value has {}",
                    schema.name.as_deref().unwrap_or("(unnamed)"),
                    schema.fields.len(),
                    fields.len()
                )));
            }
            if fields.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            for ((key, field_schema), field) in schema.field_keys.iter().zip(&schema.fields).zip(fields) {
                out.push_str(key);
                write_payload(out, Some(field_schema), field, numeric_decimals)?;
            }
            out.push('}');
        }
        ValueRef::Array(items) => {
            let element = schema.and_then(|s| s.values.as_deref());
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_payload(out, element, item, numeric_decimals)?;
            }
            out.push(']');
        }
        ValueRef::Map(entries) => {
            let key_schema = schema.and_then(|s| s.keys.as_deref());
            let value_schema = schema.and_then(|s| s.values.as_deref());
            // String keys make an object; any other key type an array of [key, value] pairs.
            let string_keys = entries.iter().all(|(k, _)| matches!(k.view(), ValueRef::String(_)));
            out.push(if string_keys { '{' } else { '[' });
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if !string_keys {
                    out.push('[');
                }
                write_payload(out, key_schema, k, numeric_decimals)?;
                out.push(if string_keys { ':' } else { ',' });
                write_payload(out, value_schema, v, numeric_decimals)?;
                if !string_keys {
                    out.push(']');
                }
            }
            out.push(if string_keys { '}' } else { ']' });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal schema and value model, standing in for the host's and the SDK's.
    struct S {
        kind: SchemaType,
        optional: bool,
        name: Option<String>,
        parameters: Vec<(String, String)>,
        default: Option<String>,
        fields: Vec<(String, S)>,
        values: Option<Box<S>>,
        keys: Option<Box<S>>,
    }

    fn s(kind: SchemaType) -> S {
        S {
            kind,
            optional: false,
            name: None,
            parameters: vec![],
            default: None,
            fields: vec![],
            values: None,
            keys: None,
        }
    }

    impl SchemaSource for S {
        fn schema_type(&self) -> SchemaType {
            self.kind
        }
        fn optional(&self) -> bool {
            self.optional
        }
        fn name(&self) -> Option<&str> {
            self.name.as_deref()
        }
        fn version(&self) -> Option<i32> {
            None
        }
        fn doc(&self) -> Option<&str> {
            None
        }
        fn parameters(&self) -> &[(String, String)] {
            &self.parameters
        }
        fn default_json(&self) -> Option<String> {
            self.default.clone()
        }
        fn fields(&self) -> impl Iterator<Item = (&str, &Self)> {
            self.fields.iter().map(|(n, f)| (n.as_str(), f))
        }
        fn value_schema(&self) -> Option<&Self> {
            self.values.as_deref()
        }
        fn key_schema(&self) -> Option<&Self> {
            self.keys.as_deref()
        }
    }

    enum V {
        Null,
        I(i64),
        S(&'static str),
        B(Vec<u8>),
        St(Vec<V>),
        M(Vec<(V, V)>),
    }

    impl ConnectValue for V {
        fn view(&self) -> ValueRef<'_, Self> {
            match self {
                V::Null => ValueRef::Null,
                V::I(i) => ValueRef::Int(*i),
                V::S(s) => ValueRef::String(s),
                V::B(b) => ValueRef::Bytes(b),
                V::St(f) => ValueRef::Struct(f),
                V::M(m) => ValueRef::Map(m),
            }
        }
    }

    fn text(bytes: Option<Vec<u8>>) -> String {
        String::from_utf8(bytes.expect("not null")).expect("utf-8")
    }

    #[test]
    fn schema_and_payload_in_kafka_order() {
        let mut id = s(SchemaType::Int64);
        id.default = Some("0".into());
        let mut amount = s(SchemaType::Bytes);
        amount.name = Some(DECIMAL.into());
        amount.optional = true;
        amount.parameters = vec![("scale".into(), "2".into()), ("connect.decimal.precision".into(), "5".into())];
        let mut root = s(SchemaType::Struct);
        root.name = Some("db.t.Value".into());
        root.fields = vec![("id".into(), id), ("a\"mount".into(), amount)];
        let schema = JsonSchema::new(&root);
        assert_eq!(
            schema.rendered(),
            r#"{"type":"struct","fields":[{"type":"int64","optional":false,"default":0,"field":"id"},{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","parameters":{"scale":"2","connect.decimal.precision":"5"},"field":"a\"mount"}],"optional":false,"name":"db.t.Value"}"#
        );
        let value = V::St(vec![V::I(7), V::B(vec![0x04, 0xd2])]);
        let plain = JsonConverter { schemas_enable: false, numeric_decimals: false };
        assert_eq!(text(plain.convert(Some(&schema), &value).unwrap()), r#"{"id":7,"a\"mount":"BNI="}"#);
        let numeric = JsonConverter { schemas_enable: false, numeric_decimals: true };
        assert_eq!(text(numeric.convert(Some(&schema), &value).unwrap()), r#"{"id":7,"a\"mount":12.34}"#);
        let enveloped = JsonConverter { schemas_enable: true, numeric_decimals: false };
        let full = text(enveloped.convert(Some(&schema), &value).unwrap());
        assert_eq!(full, format!(r#"{{"schema":{},"payload":{{"id":7,"a\"mount":"BNI="}}}}"#, schema.rendered()));
    }

    #[test]
    fn maps_with_string_keys_are_objects_and_others_pairs() {
        let mut map = s(SchemaType::Map);
        map.keys = Some(Box::new(s(SchemaType::String)));
        map.values = Some(Box::new(s(SchemaType::Int32)));
        let schema = JsonSchema::new(&map);
        assert_eq!(
            schema.rendered(),
            r#"{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int32","optional":false},"optional":false}"#
        );
        let c = JsonConverter { schemas_enable: false, numeric_decimals: false };
        let v = V::M(vec![(V::S("a"), V::I(1)), (V::S("b"), V::I(2))]);
        assert_eq!(text(c.convert(Some(&schema), &v).unwrap()), r#"{"a":1,"b":2}"#);
        let pairs = V::M(vec![(V::I(1), V::I(2))]);
        assert_eq!(text(c.convert(None, &pairs).unwrap()), "[[1,2]]");
    }

    #[test]
    fn null_without_schema_is_a_tombstone_and_with_one_is_json_null() {
        let c = JsonConverter { schemas_enable: false, numeric_decimals: false };
        assert_eq!(c.convert::<V>(None, &V::Null).unwrap(), None);
        let mut optional = s(SchemaType::String);
        optional.optional = true;
        assert_eq!(text(c.convert(Some(&JsonSchema::new(&optional)), &V::Null).unwrap()), "null");
    }

    #[test]
    fn mismatches_are_errors() {
        let mut root = s(SchemaType::Struct);
        root.fields = vec![("a".into(), s(SchemaType::Int32))];
        let c = JsonConverter { schemas_enable: false, numeric_decimals: true };
        assert!(c.convert(Some(&JsonSchema::new(&root)), &V::St(vec![])).is_err());
        assert!(c.convert(None, &V::St(vec![])).is_err());
        let mut decimal = s(SchemaType::Bytes);
        decimal.name = Some(DECIMAL.into());
        assert!(c.convert(Some(&JsonSchema::new(&decimal)), &V::B(vec![1])).is_err());
    }

    #[test]
    fn convert_into_appends_and_leaves_the_buffer_as_it_was_on_a_mismatch() {
        let mut root = s(SchemaType::Struct);
        root.fields = vec![("a".into(), s(SchemaType::Int32)), ("b".into(), s(SchemaType::Int32))];
        let schema = JsonSchema::new(&root);
        let c = JsonConverter { schemas_enable: true, numeric_decimals: false };
        let mut out = String::from("before|");
        // The envelope's start is written before the missing field is noticed.
        assert!(c.convert_into(&mut out, Some(&schema), &V::St(vec![V::I(1)])).is_err());
        assert_eq!(out, "before|");
        assert!(!c.convert_into(&mut out, None, &V::Null).unwrap(), "a null result appends nothing");
        assert_eq!(out, "before|");
        assert!(c.convert_into(&mut out, Some(&schema), &V::St(vec![V::I(1), V::I(2)])).unwrap());
        let whole = c.convert(Some(&schema), &V::St(vec![V::I(1), V::I(2)])).unwrap().unwrap();
        assert_eq!(out.as_bytes(), [b"before|".as_slice(), &whole].concat());
    }
}

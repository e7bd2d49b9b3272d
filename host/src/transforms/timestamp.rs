//! Kafka's `TimestampConverter$Key`/`$Value`: converts a timestamp field,
//! or the whole key or value, between Unix epoch numbers, formatted
//! strings and Kafka's logical `Date`, `Time` and `Timestamp` types. With
//! a schema the input form comes from the schema; without one it is
//! inferred (int64 is Unix time, a string is formatted). A schemaless
//! value cannot carry a logical type, so those targets need a schema.

use std::sync::Arc;

use super::config::{KeyDef, Props, key};
use super::date_format::DateFormat;
use super::error::RecordError;
use super::schema::{DATE, SchemaCache, TIME, TIMESTAMP, field_index, logical, primitive, struct_like};
use super::value::{into_struct_fields, map_entries, map_get, map_put, or_default, type_name};
use super::{Side, Transformation, Verdict};
use crate::plugin::ConfigType::{Boolean, String as Str};
use crate::record::{Data, Schema, SchemaType, SourceRecord, Value};

/// `TimestampConverter`'s keys.
pub(crate) const KEYS: &[KeyDef] = &[
    key("field", Str, Some(""), "HIGH").doc("The field holding the timestamp; empty converts the whole key or value."),
    key("target.type", Str, None, "HIGH").doc("The form to convert to: string, unix, Date, Time or Timestamp."),
    key("format", Str, Some(""), "MEDIUM")
        .doc("A SimpleDateFormat pattern (UTC) for writing strings, and for reading string input."),
    key("unix.precision", Str, Some("milliseconds"), "LOW")
        .doc("Unit of Unix times read and written: seconds, milliseconds, microseconds or nanoseconds."),
    key("replace.null.with.default", Boolean, Some("true"), "MEDIUM")
        .doc("Whether a null struct field whose schema has a default reads as that default."),
];

const MS_PER_DAY: i64 = 86_400_000;
const PURPOSE: &str = "converting timestamp formats";

/// The forms a timestamp can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    String,
    Unix,
    Date,
    Time,
    Timestamp,
}

impl Form {
    fn name(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Unix => "unix",
            Self::Date => "Date",
            Self::Time => "Time",
            Self::Timestamp => "Timestamp",
        }
    }

    /// The form a schema declares.
    fn of_schema(schema: &Schema) -> Result<Self, RecordError> {
        match (schema.name.as_deref(), schema.ty) {
            (Some(TIMESTAMP), _) => Ok(Self::Timestamp),
            (Some(DATE), _) => Ok(Self::Date),
            (Some(TIME), _) => Ok(Self::Time),
            (_, SchemaType::String) => Ok(Self::String),
            (_, SchemaType::Int64) => Ok(Self::Unix),
            (_, ty) => Err(RecordError::NotATimestamp(format!("{} schema", ty.json_name()))),
        }
    }
}

/// Unit of Unix times.
#[derive(Debug, Clone, Copy)]
enum Precision {
    Seconds,
    Millis,
    Micros,
    Nanos,
}

/// `TimestampConverter$Key`/`$Value`.
pub(crate) struct TimestampConverter {
    side: Side,
    field: String,
    convert: Converter,
    /// Output schemas for a whole key or value: required, optional.
    whole: [Arc<Schema>; 2],
    cache: SchemaCache<(), (Arc<Schema>, Option<usize>)>,
}

/// The conversion itself, apart from the schema cache.
struct Converter {
    target: Form,
    format: Option<DateFormat>,
    precision: Precision,
    replace_null: bool,
}

impl TimestampConverter {
    /// Reads the config, recording problems in `props`.
    pub(crate) fn build(side: Side, props: &mut Props<'_>) -> Option<Self> {
        let field = props.string("field", "");
        let target = props.required("target.type");
        let pattern = props.string("format", "");
        let precision = match props.choice(
            "unix.precision",
            &["nanoseconds", "microseconds", "milliseconds", "seconds"],
            "milliseconds",
            false,
        ) {
            "seconds" => Precision::Seconds,
            "microseconds" => Precision::Micros,
            "nanoseconds" => Precision::Nanos,
            _ => Precision::Millis,
        };
        let replace_null = props.boolean("replace.null.with.default", true);
        let target = match target.as_deref()? {
            "string" => Form::String,
            "unix" => Form::Unix,
            "Date" => Form::Date,
            "Time" => Form::Time,
            "Timestamp" => Form::Timestamp,
            other => {
                props.invalid("target.type", other, "String must be one of: string, unix, Date, Time, Timestamp");
                return None;
            }
        };
        let format = if pattern.is_empty() {
            if target == Form::String {
                props.problem(
                    "format",
                    "TimestampConverter requires format option to be specified when using string timestamps".into(),
                );
            }
            None
        } else {
            match DateFormat::new(&pattern) {
                Ok(f) => Some(f),
                Err(why) => {
                    let message = format!(
                        "TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: {why}"
                    );
                    props.invalid("format", &pattern, &message);
                    None
                }
            }
        };
        let schema = |optional| match target {
            Form::String => primitive(SchemaType::String, optional),
            Form::Unix => primitive(SchemaType::Int64, optional),
            Form::Date => logical(DATE, optional),
            Form::Time => logical(TIME, optional),
            Form::Timestamp => logical(TIMESTAMP, optional),
        };
        let whole = [schema(false), schema(true)];
        let convert = Converter { target, format, precision, replace_null };
        Some(Self { side, field, convert, whole, cache: SchemaCache::new() })
    }

    /// The output struct schema, and the position of the converted field.
    fn struct_schema(whole: &[Arc<Schema>; 2], field: &str, input: &Schema) -> (Arc<Schema>, Option<usize>) {
        let mut schema = struct_like(input);
        schema.optional = input.optional;
        let index = field_index(input, field);
        schema.fields = input
            .fields
            .iter()
            .enumerate()
            .map(|(i, (name, s))| {
                let s = if Some(i) == index { whole[usize::from(s.optional)].clone() } else { s.clone() };
                (name.clone(), s)
            })
            .collect();
        (Arc::new(schema), index)
    }
}

impl Converter {
    fn millis_of(&self, form: Form, value: &Value) -> Result<i64, RecordError> {
        let wrong = || RecordError::NotATimestamp(format!("{} ({} expected)", type_name(value), form.name()));
        match (form, value) {
            (Form::String, Value::String(s)) => match &self.format {
                Some(f) => f
                    .parse(s)
                    .ok_or_else(|| RecordError::TimestampParse { value: s.clone(), pattern: f.pattern().to_string() }),
                None => Err(RecordError::NotATimestamp("string (set format to read strings)".into())),
            },
            (Form::Unix, Value::Int64(n)) => Ok(match self.precision {
                Precision::Seconds => n.saturating_mul(1000),
                Precision::Millis => *n,
                Precision::Micros => n / 1000,
                Precision::Nanos => n / 1_000_000,
            }),
            (Form::Date, Value::Int32(days)) => Ok(i64::from(*days) * MS_PER_DAY),
            (Form::Time, Value::Int32(ms)) => Ok(i64::from(*ms)),
            (Form::Timestamp, Value::Int64(ms)) => Ok(*ms),
            _ => Err(wrong()),
        }
    }

    fn in_target_form(&self, ms: i64) -> Result<Value, RecordError> {
        Ok(match self.target {
            Form::String => Value::String(self.format.as_ref().map(|f| f.format(ms)).unwrap_or_default()),
            Form::Unix => Value::Int64(match self.precision {
                Precision::Seconds => ms / 1000,
                Precision::Millis => ms,
                Precision::Micros => ms.saturating_mul(1000),
                Precision::Nanos => ms.saturating_mul(1_000_000),
            }),
            Form::Date => Value::Int32(
                i32::try_from(ms.div_euclid(MS_PER_DAY))
                    .map_err(|_| RecordError::Malformed(format!("{ms} ms is outside the range of a Date")))?,
            ),
            Form::Time => Value::Int32(ms.rem_euclid(MS_PER_DAY) as i32),
            Form::Timestamp => Value::Int64(ms),
        })
    }

    /// Converts one value of a known form; null stays null.
    fn convert(&self, form: Form, value: &Value) -> Result<Value, RecordError> {
        if *value == Value::Null {
            return Ok(Value::Null);
        }
        self.in_target_form(self.millis_of(form, value)?)
    }

    /// Converts a schemaless value, inferring its form.
    fn convert_schemaless(&self, value: &Value) -> Result<Value, RecordError> {
        let form = match value {
            Value::Null => return Ok(Value::Null),
            Value::Int64(_) => Form::Unix,
            Value::String(_) => Form::String,
            other => return Err(RecordError::NotATimestamp(type_name(other).to_string())),
        };
        if !matches!(self.target, Form::String | Form::Unix) {
            return Err(RecordError::SchemalessLogicalType(self.target.name()));
        }
        self.convert(form, value)
    }
}

impl Transformation for TimestampConverter {
    fn apply(&mut self, record: &mut SourceRecord) -> Result<Verdict, RecordError> {
        let slot = self.side.slot(record);
        let Some(data) = slot.take() else { return Ok(Verdict::Keep) };
        let converted = match data.schema {
            None if data.value == Value::Null => None,
            None if self.field.is_empty() => {
                Some(Data { schema: None, value: self.convert.convert_schemaless(&data.value)? })
            }
            None => {
                let mut entries = map_entries(data.value, PURPOSE)?;
                let value = self.convert.convert_schemaless(map_get(&entries, &self.field).unwrap_or(&Value::Null))?;
                // Like Java's Map.put, a missing field is added as null.
                map_put(&mut entries, &self.field, value);
                Some(Data { schema: None, value: Value::Map(entries) })
            }
            Some(schema) if self.field.is_empty() => {
                let form = Form::of_schema(&schema)?;
                let value = self.convert.convert(form, &data.value)?;
                Some(Data { schema: Some(self.whole[usize::from(schema.optional)].clone()), value })
            }
            Some(schema) => {
                let (output, index) = self.cache.get_or_build::<RecordError>(&schema, (), || {
                    Ok(Self::struct_schema(&self.whole, &self.field, &schema))
                })?;
                let value = match data.value {
                    Value::Null => Value::Null,
                    value => {
                        let mut fields = into_struct_fields(&schema, value, PURPOSE)?;
                        for (i, (value, (_, field_schema))) in fields.iter_mut().zip(&schema.fields).enumerate() {
                            let current = or_default(
                                std::mem::replace(value, Value::Null),
                                field_schema,
                                self.convert.replace_null,
                            );
                            *value = if Some(i) == index {
                                self.convert.convert(Form::of_schema(field_schema)?, &current)?
                            } else {
                                current
                            };
                        }
                        Value::Struct(fields)
                    }
                };
                Some(Data { schema: Some(output), value })
            }
        };
        *self.side.slot(record) = converted;
        Ok(Verdict::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::Chain;
    use crate::transforms::fixtures::{json, map, prim, record, s, structure};

    const VALUE: &str = "org.apache.kafka.connect.transforms.TimestampConverter$Value";

    fn chain(pairs: &[(&str, &str)]) -> Result<Chain, Vec<String>> {
        crate::transforms::tests::single("ts", VALUE, pairs)
    }

    fn event(created: Value, created_schema: Arc<Schema>) -> SourceRecord {
        let schema = structure(
            Some("shop.orders.Value"),
            false,
            vec![("id", prim(SchemaType::Int32, false)), ("created", created_schema)],
        );
        let mut r = record("shop.orders");
        r.value = Some(Data { schema: Some(schema), value: Value::Struct(vec![Value::Int32(1), created]) });
        r
    }

    #[test]
    fn unix_field_to_formatted_string() {
        let mut c =
            chain(&[("field", "created"), ("target.type", "string"), ("format", "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")])
                .unwrap();
        let r = event(Value::Int64(1_700_000_000_123), prim(SchemaType::Int64, true));
        let out = c.apply(r.clone()).unwrap().unwrap().value.unwrap();
        assert_eq!(
            json(Some(&out)),
            r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"created"}],"optional":false,"name":"shop.orders.Value"},"payload":{"id":1,"created":"2023-11-14T22:13:20.123Z"}}"#
        );
        let again = c.apply(r).unwrap().unwrap().value.unwrap();
        assert!(Arc::ptr_eq(out.schema.as_ref().unwrap(), again.schema.as_ref().unwrap()));
    }

    #[test]
    fn string_field_to_logical_types() {
        let r = event(s("2023-11-14 22:13:20"), prim(SchemaType::String, false));
        let mut ts =
            chain(&[("field", "created"), ("target.type", "Timestamp"), ("format", "yyyy-MM-dd HH:mm:ss")]).unwrap();
        let out = ts.apply(r.clone()).unwrap().unwrap().value.unwrap();
        assert_eq!(
            json(Some(&out)),
            r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"created"}],"optional":false,"name":"shop.orders.Value"},"payload":{"id":1,"created":1700000000000}}"#
        );
        let mut date =
            chain(&[("field", "created"), ("target.type", "Date"), ("format", "yyyy-MM-dd HH:mm:ss")]).unwrap();
        assert_eq!(
            date.apply(r.clone()).unwrap().unwrap().value.unwrap().value,
            Value::Struct(vec![Value::Int32(1), Value::Int32(19_675)])
        );
        let mut time =
            chain(&[("field", "created"), ("target.type", "Time"), ("format", "yyyy-MM-dd HH:mm:ss")]).unwrap();
        assert_eq!(
            time.apply(r).unwrap().unwrap().value.unwrap().value,
            Value::Struct(vec![Value::Int32(1), Value::Int32(80_000_000)])
        );
        let bad = event(s("14/11/2023"), prim(SchemaType::String, false));
        let err = ts.apply(bad).unwrap_err();
        assert_eq!(
            crate::runtime::DisplayChain(&err).to_string(),
            "transform ts cannot process a record for topic shop.orders: could not parse timestamp: value (14/11/2023) does not match pattern (yyyy-MM-dd HH:mm:ss)"
        );
    }

    #[test]
    fn whole_value_and_unix_precision() {
        let mut c = chain(&[("target.type", "unix"), ("unix.precision", "microseconds")]).unwrap();
        let mut r = record("t");
        r.value = Some(Data {
            schema: Some(crate::transforms::schema::logical(TIMESTAMP, true)),
            value: Value::Int64(1_700_000_000_123),
        });
        let out = c.apply(r).unwrap().unwrap().value.unwrap();
        assert_eq!(json(Some(&out)), r#"{"schema":{"type":"int64","optional":true},"payload":1700000000123000}"#);
        let mut from_seconds = chain(&[("target.type", "Timestamp"), ("unix.precision", "seconds")]).unwrap();
        let mut r = record("t");
        r.value = Some(Data { schema: Some(prim(SchemaType::Int64, false)), value: Value::Int64(1_700_000_000) });
        assert_eq!(from_seconds.apply(r).unwrap().unwrap().value.unwrap().value, Value::Int64(1_700_000_000_000));
    }

    #[test]
    fn schemaless_maps() {
        let mut c = chain(&[("field", "at"), ("target.type", "string"), ("format", "yyyy-MM-dd")]).unwrap();
        let mut r = record("t");
        r.value = Some(Data { schema: None, value: map(&[("at", Value::Int64(1_700_000_000_123))]) });
        assert_eq!(c.apply(r).unwrap().unwrap().value.unwrap().value, map(&[("at", s("2023-11-14"))]));
        // Java's Map.put adds the missing field as null.
        assert_eq!(
            c.apply(record("t")).unwrap().unwrap().value.unwrap().value,
            map(&[("id", Value::Int32(1)), ("at", Value::Null)])
        );
        let mut logical = chain(&[("field", "at"), ("target.type", "Date")]).unwrap();
        let mut r = record("t");
        r.value = Some(Data { schema: None, value: map(&[("at", Value::Int64(0))]) });
        assert!(matches!(
            logical.apply(r).unwrap_err(),
            crate::transforms::TransformError::Record { source: RecordError::SchemalessLogicalType("Date"), .. }
        ));
    }

    #[test]
    fn config_problems() {
        assert_eq!(
            chain(&[("target.type", "string")]).unwrap_err(),
            ["TimestampConverter requires format option to be specified when using string timestamps"]
        );
        assert_eq!(
            chain(&[("target.type", "date")]).unwrap_err(),
            [
                "Invalid value date for configuration transforms.ts.target.type: String must be one of: string, unix, Date, Time, Timestamp"
            ]
        );
        assert_eq!(
            chain(&[("target.type", "string"), ("format", "YYYY")]).unwrap_err(),
            [
                "Invalid value YYYY for configuration transforms.ts.format: TimestampConverter requires a SimpleDateFormat-compatible pattern for string timestamps: pattern letter 'Y' is not supported by Weir"
            ]
        );
        assert_eq!(
            chain(&[]).unwrap_err(),
            ["Missing required configuration \"transforms.ts.target.type\" which has no default value."]
        );
    }
}

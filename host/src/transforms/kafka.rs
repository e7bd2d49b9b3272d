//! Kafka's own transforms: `RegexRouter`, `InsertField`, `ReplaceField`,
//! `ValueToKey`, `ExtractField` and `Filter`. Each handles schemaless
//! values (maps with string keys) where Kafka does, and fails where Kafka
//! does. With a schema, struct fields that are null read as their schema
//! default when `replace.null.with.default` is on (Kafka's default).

use std::sync::Arc;

use super::config::{KeyDef, NULL, Props, key};
use super::error::RecordError;
use super::replacement::{JavaRegex, Replacement};
use super::schema::{SchemaCache, TIMESTAMP, add_field, field_index, logical, primitive, struct_like};
use super::value::{
    into_struct_fields, is_null, map_entries, map_get, map_put, or_default, or_default_ref, struct_fields,
};
use super::{Side, Transformation, Verdict};
use crate::plugin::ConfigType::{Boolean, List, String as Str};
use crate::record::{Data, Schema, SchemaType, SourceRecord, Value};

const REPLACE_NULL_DOC: &str = "Whether a null struct field whose schema has a default reads as that default.";

/// `RegexRouter`'s keys.
pub(crate) const REGEX_ROUTER_KEYS: &[KeyDef] = &[
    key("regex", Str, None, "HIGH").doc("A regular expression the whole topic name must match."),
    key("replacement", Str, None, "HIGH").doc("The new topic name; $1 or ${name} insert captured groups."),
];

/// `RegexRouter`: renames topics that match a regular expression.
pub(crate) struct RegexRouter {
    regex: JavaRegex,
    replacement: Replacement,
}

impl RegexRouter {
    /// Reads the config, recording problems in `props`.
    pub(crate) fn build(props: &mut Props<'_>) -> Option<Self> {
        let regex = props.required("regex");
        let replacement = props.required("replacement");
        let regex = props.regex("regex", &regex?)?;
        let replacement = props.replacement("replacement", &regex, &replacement?)?;
        Some(Self { regex, replacement })
    }
}

impl Transformation for RegexRouter {
    fn apply(&mut self, record: &mut SourceRecord) -> Result<Verdict, RecordError> {
        if let Some(topic) = self.regex.reroute(&record.topic, &self.replacement) {
            record.topic = topic;
        }
        Ok(Verdict::Keep)
    }
}

/// `Filter`: drops every record it sees; used with a predicate.
pub(crate) struct Filter;

impl Transformation for Filter {
    fn apply(&mut self, _: &mut SourceRecord) -> Result<Verdict, RecordError> {
        Ok(Verdict::Drop)
    }
}

/// `InsertField`'s keys.
pub(crate) const INSERT_FIELD_KEYS: &[KeyDef] = &[
    key("topic.field", Str, NULL, "MEDIUM")
        .doc("Field for the record's topic; a trailing ! makes it required, ? optional."),
    key("partition.field", Str, NULL, "MEDIUM")
        .doc("Field for the record's Kafka partition; a trailing ! makes it required, ? optional."),
    key("offset.field", Str, NULL, "MEDIUM")
        .doc("Field for the Kafka offset; sink connectors only, so Weir rejects it."),
    key("timestamp.field", Str, NULL, "MEDIUM")
        .doc("Field for the record's timestamp; a trailing ! makes it required, ? optional."),
    key("static.field", Str, NULL, "MEDIUM").doc("Field for static.value; a trailing ! makes it required, ? optional."),
    key("static.value", Str, NULL, "MEDIUM").doc("The value of static.field."),
    key("replace.null.with.default", Boolean, Some("true"), "MEDIUM").doc(REPLACE_NULL_DOC),
];

/// A field to insert: its name and whether its schema is optional.
#[derive(Debug, Clone)]
struct Insertion {
    name: String,
    optional: bool,
}

impl Insertion {
    /// Kafka's suffixes: `!` required, `?` (or nothing) optional.
    fn parse(spec: Option<String>) -> Option<Self> {
        let spec = spec?;
        Some(if let Some(name) = spec.strip_suffix('!') {
            Self { name: name.to_string(), optional: false }
        } else {
            Self { name: spec.strip_suffix('?').unwrap_or(&spec).to_string(), optional: true }
        })
    }
}

/// `InsertField$Key`/`$Value`: adds fields from the record's metadata or a
/// static value.
pub(crate) struct InsertField {
    side: Side,
    fields: Insertions,
    replace_null: bool,
    cache: SchemaCache<(), Arc<Schema>>,
}

/// The fields `InsertField` adds.
struct Insertions {
    topic: Option<Insertion>,
    partition: Option<Insertion>,
    timestamp: Option<Insertion>,
    fixed: Option<(Insertion, String)>,
}

const INSERTION: &str = "field insertion";

impl InsertField {
    /// Reads the config, recording problems in `props`.
    pub(crate) fn build(side: Side, props: &mut Props<'_>) -> Option<Self> {
        let topic = Insertion::parse(props.optional("topic.field"));
        let partition = Insertion::parse(props.optional("partition.field"));
        let timestamp = Insertion::parse(props.optional("timestamp.field"));
        let fixed = Insertion::parse(props.optional("static.field"));
        let value = props.optional("static.value");
        let replace_null = props.boolean("replace.null.with.default", true);
        if let Some(offset) = props.optional("offset.field") {
            // Kafka fails every record here (only sink records have offsets); say so up front.
            props.invalid(
                "offset.field",
                &offset,
                "source records have no Kafka offset; offset.field applies to sink connectors only",
            );
        }
        if topic.is_none()
            && partition.is_none()
            && timestamp.is_none()
            && fixed.is_none()
            && !props.is_set("offset.field")
        {
            props.problem("type", "No field insertion configured".into());
        }
        let fixed = match (fixed, value) {
            (Some(field), Some(value)) => Some((field, value)),
            (Some(field), None) => {
                props.invalid("static.value", "null", &format!("No value specified for static field: {}", field.name));
                None
            }
            (None, _) => None,
        };
        let fields = Insertions { topic, partition, timestamp, fixed };
        Some(Self { side, fields, replace_null, cache: SchemaCache::new() })
    }
}

impl Insertions {
    /// The inserted fields with their schemas and values for `record`.
    fn insertions(&self, record: &SourceRecord, with_schema: bool) -> Vec<(&Insertion, Value)> {
        let mut out = Vec::with_capacity(4);
        if let Some(f) = &self.topic {
            out.push((f, Value::String(record.topic.clone())));
        }
        if let Some(f) = &self.partition {
            out.push((f, record.kafka_partition.map_or(Value::Null, Value::Int32)));
        }
        if let Some(f) = &self.timestamp {
            out.push((f, record.timestamp.map_or(Value::Null, Value::Int64)));
        }
        if let Some((f, v)) = &self.fixed {
            out.push((f, Value::String(v.clone())));
        }
        if !with_schema {
            // Without a schema Kafka leaves out a missing partition or timestamp.
            out.retain(|(_, v)| *v != Value::Null);
        }
        out
    }

    fn schema_for(&self, input: &Schema) -> Result<Arc<Schema>, RecordError> {
        let mut schema = struct_like(input);
        schema.fields = input.fields.clone();
        if let Some(f) = &self.topic {
            add_field(&mut schema, &f.name, primitive(SchemaType::String, f.optional))?;
        }
        if let Some(f) = &self.partition {
            add_field(&mut schema, &f.name, primitive(SchemaType::Int32, f.optional))?;
        }
        if let Some(f) = &self.timestamp {
            add_field(&mut schema, &f.name, logical(TIMESTAMP, f.optional))?;
        }
        if let Some((f, _)) = &self.fixed {
            add_field(&mut schema, &f.name, primitive(SchemaType::String, f.optional))?;
        }
        Ok(Arc::new(schema))
    }
}

impl Transformation for InsertField {
    fn apply(&mut self, record: &mut SourceRecord) -> Result<Verdict, RecordError> {
        let slot = self.side.slot(record);
        if is_null(slot.as_ref()) {
            return Ok(Verdict::Keep);
        }
        let Some(data) = slot.take() else { return Ok(Verdict::Keep) };
        let insertions = self.fields.insertions(record, data.schema.is_some());
        let data = match data.schema {
            None => {
                let mut entries = map_entries(data.value, INSERTION)?;
                for (field, value) in insertions {
                    map_put(&mut entries, &field.name, value);
                }
                Data { schema: None, value: Value::Map(entries) }
            }
            Some(input) => {
                let mut fields = into_struct_fields(&input, data.value, INSERTION)?;
                let output = self.cache.get_or_build(&input, (), || self.fields.schema_for(&input))?;
                for (value, (_, schema)) in fields.iter_mut().zip(&input.fields) {
                    *value = or_default(std::mem::replace(value, Value::Null), schema, self.replace_null);
                }
                for (field, value) in insertions {
                    if value == Value::Null && !field.optional {
                        return Err(RecordError::RequiredNull(field.name.clone()));
                    }
                    fields.push(value);
                }
                Data { schema: Some(output), value: Value::Struct(fields) }
            }
        };
        *self.side.slot(record) = Some(data);
        Ok(Verdict::Keep)
    }
}

/// `ReplaceField`'s keys.
pub(crate) const REPLACE_FIELD_KEYS: &[KeyDef] = &[
    key("exclude", List, Some(""), "MEDIUM").doc("Fields to drop; wins over include."),
    key("include", List, Some(""), "MEDIUM").doc("Fields to keep; when set, every other field is dropped."),
    key("renames", List, Some(""), "MEDIUM").doc("Renames as old:new pairs, e.g. foo:bar,abc:xyz."),
    key("blacklist", List, NULL, "LOW").doc("Deprecated name of exclude."),
    key("whitelist", List, NULL, "LOW").doc("Deprecated name of include."),
    key("replace.null.with.default", Boolean, Some("true"), "MEDIUM").doc(REPLACE_NULL_DOC),
];

/// The output of `ReplaceField` for one input schema.
#[derive(Clone)]
struct Selection {
    schema: Arc<Schema>,
    /// For each output field, the input field it comes from.
    sources: Vec<usize>,
}

/// `ReplaceField$Key`/`$Value`: drops, keeps and renames fields.
pub(crate) struct ReplaceField {
    side: Side,
    rules: Rules,
    replace_null: bool,
    cache: SchemaCache<(), Selection>,
}

/// Which fields `ReplaceField` keeps, and their new names.
struct Rules {
    exclude: Vec<String>,
    include: Vec<String>,
    renames: Vec<(String, String)>,
}

const REPLACEMENT: &str = "field replacement";

impl ReplaceField {
    /// Reads the config, recording problems in `props`.
    pub(crate) fn build(side: Side, props: &mut Props<'_>) -> Option<Self> {
        // Kafka 3.x still honours the deprecated names when the new ones are absent.
        let exclude = if props.is_set("exclude") { props.list("exclude", &[]) } else { props.list("blacklist", &[]) };
        let include = if props.is_set("include") { props.list("include", &[]) } else { props.list("whitelist", &[]) };
        let mut renames = Vec::new();
        for mapping in props.list("renames", &[]) {
            // Java's split(":") drops trailing empty parts; exactly two must remain.
            let mut parts: Vec<&str> = mapping.split(':').collect();
            while parts.last() == Some(&"") {
                parts.pop();
            }
            match parts[..] {
                [from, to] => renames.push((from.to_string(), to.to_string())),
                _ => {
                    let raw = props.raw("renames").unwrap_or_default();
                    props.invalid("renames", raw, &format!("Invalid rename mapping: {mapping}"));
                }
            }
        }
        let replace_null = props.boolean("replace.null.with.default", true);
        Some(Self { side, rules: Rules { exclude, include, renames }, replace_null, cache: SchemaCache::new() })
    }
}

impl Rules {
    fn keeps(&self, name: &str) -> bool {
        !self.exclude.iter().any(|e| e == name) && (self.include.is_empty() || self.include.iter().any(|i| i == name))
    }

    fn renamed<'a>(&'a self, name: &'a str) -> &'a str {
        self.renames.iter().find(|(from, _)| from == name).map_or(name, |(_, to)| to)
    }

    fn select(&self, input: &Schema) -> Result<Selection, RecordError> {
        let mut schema = struct_like(input);
        let mut sources = Vec::new();
        for (i, (name, field)) in input.fields.iter().enumerate() {
            if self.keeps(name) {
                add_field(&mut schema, self.renamed(name), field.clone())?;
                sources.push(i);
            }
        }
        Ok(Selection { schema: Arc::new(schema), sources })
    }
}

impl Transformation for ReplaceField {
    fn apply(&mut self, record: &mut SourceRecord) -> Result<Verdict, RecordError> {
        let slot = self.side.slot(record);
        if is_null(slot.as_ref()) {
            return Ok(Verdict::Keep);
        }
        let Some(data) = slot.take() else { return Ok(Verdict::Keep) };
        let data = match data.schema {
            None => {
                let entries = map_entries(data.value, REPLACEMENT)?;
                let kept = entries
                    .into_iter()
                    .filter_map(|(k, v)| match k {
                        Value::String(name) if !self.rules.keeps(&name) => None,
                        Value::String(name) => Some((Value::String(self.rules.renamed(&name).to_string()), v)),
                        other => Some((other, v)),
                    })
                    .collect();
                Data { schema: None, value: Value::Map(kept) }
            }
            Some(input) => {
                let mut fields = into_struct_fields(&input, data.value, REPLACEMENT)?;
                let selection = self.cache.get_or_build(&input, (), || self.rules.select(&input))?;
                let values = selection
                    .sources
                    .iter()
                    .map(|&i| {
                        or_default(
                            std::mem::replace(&mut fields[i], Value::Null),
                            &input.fields[i].1,
                            self.replace_null,
                        )
                    })
                    .collect();
                Data { schema: Some(selection.schema), value: Value::Struct(values) }
            }
        };
        *self.side.slot(record) = Some(data);
        Ok(Verdict::Keep)
    }
}

/// `ValueToKey`'s keys.
pub(crate) const VALUE_TO_KEY_KEYS: &[KeyDef] = &[
    key("fields", List, None, "HIGH").doc("Value fields that make up the new key."),
    key("replace.null.with.default", Boolean, Some("true"), "MEDIUM").doc(REPLACE_NULL_DOC),
];

/// `ValueToKey`: replaces the key with a struct (or map) of value fields.
pub(crate) struct ValueToKey {
    fields: Vec<String>,
    replace_null: bool,
    cache: SchemaCache<(), (Arc<Schema>, Vec<usize>)>,
}

const TO_KEY: &str = "copying fields from value to key";

impl ValueToKey {
    /// Reads the config, recording problems in `props`.
    pub(crate) fn build(props: &mut Props<'_>) -> Option<Self> {
        let raw = props.required("fields")?;
        let fields = props.list("fields", &[]);
        if fields.is_empty() {
            props.invalid("fields", &raw, "Empty list");
            return None;
        }
        let replace_null = props.boolean("replace.null.with.default", true);
        Some(Self { fields, replace_null, cache: SchemaCache::new() })
    }
}

/// An unnamed struct of the value's `fields`, and where each comes from.
fn key_schema(fields: &[String], value: &Schema) -> Result<(Arc<Schema>, Vec<usize>), RecordError> {
    let mut schema = super::schema::blank(SchemaType::Struct, false);
    let mut sources = Vec::with_capacity(fields.len());
    for name in fields {
        let i = field_index(value, name).ok_or_else(|| RecordError::UnknownField(name.clone()))?;
        schema.fields.push((name.clone(), value.fields[i].1.clone()));
        sources.push(i);
    }
    Ok((Arc::new(schema), sources))
}

impl Transformation for ValueToKey {
    fn apply(&mut self, record: &mut SourceRecord) -> Result<Verdict, RecordError> {
        let key = match record.value.as_ref() {
            Some(Data { schema: Some(schema), value }) => {
                let values = struct_fields(schema, value, TO_KEY)?;
                let (key_schema, sources) = self.cache.get_or_build(schema, (), || key_schema(&self.fields, schema))?;
                let key = sources.iter().map(|&i| or_default_ref(&values[i], &schema.fields[i].1, self.replace_null));
                Data { schema: Some(key_schema), value: Value::Struct(key.collect()) }
            }
            Some(Data { schema: None, value: Value::Map(entries) }) => {
                let key = self
                    .fields
                    .iter()
                    .map(|f| (Value::String(f.clone()), map_get(entries, f).cloned().unwrap_or(Value::Null)));
                Data { schema: None, value: Value::Map(key.collect()) }
            }
            Some(Data { schema: None, value }) => {
                return Err(RecordError::NotMap { purpose: TO_KEY, found: super::value::type_name(value) });
            }
            None => return Err(RecordError::NotMap { purpose: TO_KEY, found: "null" }),
        };
        record.key = Some(key);
        Ok(Verdict::Keep)
    }
}

/// `ExtractField`'s keys.
pub(crate) const EXTRACT_FIELD_KEYS: &[KeyDef] = &[
    key("field", Str, None, "MEDIUM").doc("The field whose value replaces the whole key or value."),
    key("field.syntax.version", Str, Some("V1"), "LOW")
        .doc("How field names are read; Weir supports V1 (names taken literally)."),
    key("replace.null.with.default", Boolean, Some("true"), "MEDIUM").doc(REPLACE_NULL_DOC),
];

/// `ExtractField$Key`/`$Value`: replaces the key or value with one of its
/// fields. The output schema is the field's own `Arc`, so nothing is built.
pub(crate) struct ExtractField {
    side: Side,
    field: String,
    replace_null: bool,
}

const EXTRACTION: &str = "field extraction";

impl ExtractField {
    /// Reads the config, recording problems in `props`.
    pub(crate) fn build(side: Side, props: &mut Props<'_>) -> Option<Self> {
        let field = props.required("field");
        let syntax = props.choice("field.syntax.version", &["V1", "V2"], "V1", true);
        if syntax == "V2" {
            let raw = props.raw("field.syntax.version").unwrap_or_default();
            props.invalid(
                "field.syntax.version",
                raw,
                "Weir supports only V1 (nested field paths are not implemented)",
            );
        }
        let replace_null = props.boolean("replace.null.with.default", true);
        Some(Self { side, field: field?, replace_null })
    }
}

impl Transformation for ExtractField {
    fn apply(&mut self, record: &mut SourceRecord) -> Result<Verdict, RecordError> {
        let slot = self.side.slot(record);
        let extracted = match slot.take() {
            None => None,
            Some(Data { schema: None, value: Value::Null }) => None,
            Some(Data { schema: None, value }) => {
                let entries = map_entries(value, EXTRACTION)?;
                let found = entries.into_iter().find(|(k, _)| matches!(k, Value::String(s) if *s == self.field));
                match found {
                    None | Some((_, Value::Null)) => None,
                    Some((_, value)) => Some(Data { schema: None, value }),
                }
            }
            Some(Data { schema: Some(schema), value }) => {
                if schema.ty != SchemaType::Struct {
                    return Err(RecordError::NotStruct { purpose: EXTRACTION, found: schema.ty.json_name() });
                }
                let i =
                    field_index(&schema, &self.field).ok_or_else(|| RecordError::UnknownField(self.field.clone()))?;
                let field_schema = schema.fields[i].1.clone();
                let value = match value {
                    Value::Null => Value::Null,
                    value => {
                        let fields = into_struct_fields(&schema, value, EXTRACTION)?;
                        let value = fields.into_iter().nth(i).unwrap_or(Value::Null);
                        or_default(value, &field_schema, self.replace_null)
                    }
                };
                Some(Data { schema: Some(field_schema), value })
            }
        };
        *slot = extracted;
        Ok(Verdict::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::Chain;
    use crate::transforms::fixtures::{Table, json, map, prim, record, s, structure};
    use crate::transforms::tests::cfg;

    fn chain(class: &str, pairs: &[(&str, &str)]) -> Chain {
        let mut config = vec![("transforms", "t"), ("transforms.t.type", class)];
        let keys: Vec<(String, &str)> = pairs.iter().map(|(k, v)| (format!("transforms.t.{k}"), *v)).collect();
        config.extend(keys.iter().map(|(k, v)| (k.as_str(), *v)));
        Chain::from_config(&cfg(&config)).unwrap()
    }

    fn problems(class: &str, pairs: &[(&str, &str)]) -> Vec<String> {
        let mut config = vec![("transforms", "t"), ("transforms.t.type", class)];
        let keys: Vec<(String, &str)> = pairs.iter().map(|(k, v)| (format!("transforms.t.{k}"), *v)).collect();
        config.extend(keys.iter().map(|(k, v)| (k.as_str(), *v)));
        Chain::from_config(&cfg(&config)).unwrap_err().into_iter().map(|p| p.message).collect()
    }

    const INSERT_VALUE: &str = "org.apache.kafka.connect.transforms.InsertField$Value";

    #[test]
    fn regex_router_renames_matching_topics() {
        let mut c = chain("RegexRouter", &[("regex", "dbserver1\\.inventory\\.(.*)"), ("replacement", "cdc.$1")]);
        assert_eq!(c.apply(record("dbserver1.inventory.customers")).unwrap().unwrap().topic, "cdc.customers");
        assert_eq!(c.apply(record("other.customers")).unwrap().unwrap().topic, "other.customers");
        assert_eq!(
            problems("RegexRouter", &[("regex", "(a")]),
            [
                "Missing required configuration \"transforms.t.replacement\" which has no default value.",
                "Invalid value (a for configuration transforms.t.regex: Invalid regex: regex parse error:\n    (a\n    ^\nerror: unclosed group",
            ]
        );
    }

    #[test]
    fn insert_field_with_schema_adds_typed_fields_once_per_schema() {
        let mut c = chain(
            INSERT_VALUE,
            &[
                ("topic.field", "topic!"),
                ("partition.field", "part"),
                ("timestamp.field", "ts"),
                ("static.field", "origin"),
                ("static.value", "pg"),
            ],
        );
        let row = structure(Some("t.Value"), false, vec![("id", prim(SchemaType::Int32, false))]);
        let mut r = record("t");
        r.value = Some(Data { schema: Some(row.clone()), value: Value::Struct(vec![Value::Int32(7)]) });
        let out = c.apply(r.clone()).unwrap().unwrap();
        assert_eq!(
            json(out.value.as_ref()),
            r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"topic"},{"type":"int32","optional":true,"field":"part"},{"type":"int64","optional":true,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"},{"type":"string","optional":true,"field":"origin"}],"optional":false,"name":"t.Value"},"payload":{"id":7,"topic":"t","part":null,"ts":1700000000200,"origin":"pg"}}"#
        );
        let again = c.apply(r).unwrap().unwrap();
        assert!(Arc::ptr_eq(
            out.value.unwrap().schema.as_ref().unwrap(),
            again.value.unwrap().schema.as_ref().unwrap()
        ));
    }

    #[test]
    fn insert_field_schemaless_and_null() {
        let mut c =
            chain(INSERT_VALUE, &[("partition.field", "part"), ("static.field", "origin"), ("static.value", "pg")]);
        let out = c.apply(record("t")).unwrap().unwrap();
        // No partition on the record: Kafka leaves the field out of a map.
        assert_eq!(out.value.unwrap().value, map(&[("id", Value::Int32(1)), ("origin", s("pg"))]));
        let mut tomb = record("t");
        tomb.value = None;
        assert!(c.apply(tomb).unwrap().unwrap().value.is_none());
        let mut scalar = record("t");
        scalar.value = Some(Data { schema: None, value: Value::Int32(1) });
        assert_eq!(
            crate::runtime::DisplayChain(&c.apply(scalar).unwrap_err()).to_string(),
            "transform t cannot process a record for topic t: only map values are supported without a schema for field insertion, found int32"
        );
    }

    #[test]
    fn insert_field_required_null_and_config_problems() {
        let mut c = chain(INSERT_VALUE, &[("partition.field", "part!")]);
        let mut r = Table::customers().change("c", None, Some(Table::row(1, "a", "b", None)));
        let after = r.value.take().unwrap();
        let row = Table::customers().row.clone();
        let fields = match after.value {
            Value::Struct(f) => f,
            _ => unreachable!(),
        };
        r.value = Some(Data { schema: Some(row), value: fields[1].clone() });
        let err = c.apply(r).unwrap_err();
        assert!(
            matches!(err, crate::transforms::TransformError::Record { source: RecordError::RequiredNull(ref f), .. } if f == "part")
        );
        assert_eq!(problems(INSERT_VALUE, &[]), ["No field insertion configured"]);
        assert_eq!(
            problems(INSERT_VALUE, &[("static.field", "x")]),
            ["Invalid value null for configuration transforms.t.static.value: No value specified for static field: x"]
        );
        assert_eq!(
            problems(INSERT_VALUE, &[("offset.field", "off")]),
            [
                "Invalid value off for configuration transforms.t.offset.field: source records have no Kafka offset; offset.field applies to sink connectors only"
            ]
        );
    }

    #[test]
    fn insert_field_fills_defaults_for_null_fields() {
        let mut status = super::super::schema::blank(SchemaType::String, true);
        status.default = Some("new".into());
        let row = structure(Some("t.Value"), false, vec![("status", Arc::new(status))]);
        let mut r = record("t");
        r.value = Some(Data { schema: Some(row), value: Value::Struct(vec![Value::Null]) });
        let mut on = chain(INSERT_VALUE, &[("static.field", "x"), ("static.value", "y")]);
        assert_eq!(on.apply(r.clone()).unwrap().unwrap().value.unwrap().value, Value::Struct(vec![s("new"), s("y")]));
        let mut off = chain(
            INSERT_VALUE,
            &[("static.field", "x"), ("static.value", "y"), ("replace.null.with.default", "false")],
        );
        assert_eq!(off.apply(r).unwrap().unwrap().value.unwrap().value, Value::Struct(vec![Value::Null, s("y")]));
    }

    #[test]
    fn a_field_cannot_be_added_twice() {
        let mut c = chain(INSERT_VALUE, &[("static.field", "email"), ("static.value", "x")]);
        assert!(matches!(
            c.apply(customer()).unwrap_err(),
            crate::transforms::TransformError::Record { source: RecordError::DuplicateField(ref f), .. } if f == "email"
        ));
        let mut r = chain(REPLACE_VALUE, &[("renames", "first_name:email")]);
        assert!(matches!(
            r.apply(customer()).unwrap_err(),
            crate::transforms::TransformError::Record { source: RecordError::DuplicateField(_), .. }
        ));
    }

    const REPLACE_VALUE: &str = "org.apache.kafka.connect.transforms.ReplaceField$Value";

    fn customer() -> SourceRecord {
        let table = Table::customers();
        let mut r = record(&table.topic);
        r.value = Some(Data {
            schema: Some(table.row.clone()),
            value: Table::row(1001, "Sally", "Thomas", Some("sally@example.com")),
        });
        r
    }

    #[test]
    fn replace_field_excludes_includes_and_renames() {
        let mut c = chain(REPLACE_VALUE, &[("exclude", "email"), ("renames", "first_name:first,last_name:last")]);
        let out = c.apply(customer()).unwrap().unwrap().value.unwrap();
        assert_eq!(
            json(Some(&out)),
            r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"first"},{"type":"string","optional":true,"field":"last"}],"optional":false,"name":"dbserver1.inventory.customers.Value"},"payload":{"id":1001,"first":"Sally","last":"Thomas"}}"#
        );
        let mut legacy = chain(REPLACE_VALUE, &[("whitelist", "id,email")]);
        let out = legacy.apply(customer()).unwrap().unwrap().value.unwrap();
        assert_eq!(out.value, Value::Struct(vec![Value::Int32(1001), s("sally@example.com")]));
        let mut schemaless = chain(REPLACE_VALUE, &[("include", "id"), ("renames", "id:key")]);
        let mut r = record("t");
        r.value = Some(Data { schema: None, value: map(&[("id", Value::Int32(1)), ("x", Value::Int32(2))]) });
        assert_eq!(schemaless.apply(r).unwrap().unwrap().value.unwrap().value, map(&[("key", Value::Int32(1))]));
        assert_eq!(
            problems(REPLACE_VALUE, &[("renames", "a:b,c")]),
            ["Invalid value a:b,c for configuration transforms.t.renames: Invalid rename mapping: c"]
        );
    }

    #[test]
    fn value_to_key_with_and_without_schema() {
        let mut c = chain("org.apache.kafka.connect.transforms.ValueToKey", &[("fields", "id,email")]);
        let out = c.apply(customer()).unwrap().unwrap();
        assert_eq!(
            json(out.key.as_ref()),
            r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"email"}],"optional":false},"payload":{"id":1001,"email":"sally@example.com"}}"#
        );
        let out = c.apply(record("t")).unwrap().unwrap();
        assert_eq!(out.key.unwrap().value, map(&[("id", Value::Int32(1)), ("email", Value::Null)]));
        let mut missing = chain("ValueToKey", &[("fields", "nope")]);
        assert!(matches!(
            missing.apply(customer()).unwrap_err(),
            crate::transforms::TransformError::Record { source: RecordError::UnknownField(ref f), .. } if f == "nope"
        ));
        assert_eq!(
            problems("ValueToKey", &[("fields", "")]),
            ["Invalid value  for configuration transforms.t.fields: Empty list"]
        );
    }

    #[test]
    fn extract_field_reuses_the_field_schema() {
        let mut c = chain("org.apache.kafka.connect.transforms.ExtractField$Value", &[("field", "email")]);
        let out = c.apply(customer()).unwrap().unwrap().value.unwrap();
        assert!(
            Arc::ptr_eq(out.schema.as_ref().unwrap(), &Table::customers().row.fields[3].1)
                || out.schema.as_ref().unwrap().ty == SchemaType::String
        );
        assert_eq!(json(Some(&out)), r#"{"schema":{"type":"string","optional":true},"payload":"sally@example.com"}"#);
        let out = c.apply(record("t")).unwrap().unwrap();
        assert!(out.value.is_none(), "a missing map entry extracts as null");
        let mut key = chain("org.apache.kafka.connect.transforms.ExtractField$Key", &[("field", "id")]);
        let out = key.apply(Table::customers().tombstone(5)).unwrap().unwrap();
        assert_eq!(json(out.key.as_ref()), r#"{"schema":{"type":"int32","optional":false},"payload":5}"#);
        let mut unknown = chain("org.apache.kafka.connect.transforms.ExtractField$Value", &[("field", "nope")]);
        assert!(matches!(
            unknown.apply(customer()).unwrap_err(),
            crate::transforms::TransformError::Record { source: RecordError::UnknownField(_), .. }
        ));
        assert_eq!(
            problems(
                "org.apache.kafka.connect.transforms.ExtractField$Value",
                &[("field", "a.b"), ("field.syntax.version", "v2")]
            ),
            [
                "Invalid value v2 for configuration transforms.t.field.syntax.version: Weir supports only V1 (nested field paths are not implemented)"
            ]
        );
    }
}

//! Debezium's `ByLogicalTableRouter`: sends the change events of several
//! physical tables (shards, partitions) to one logical topic. Topics whose
//! whole name matches `topic.regex` are renamed; the key, value and
//! envelope schemas are renamed after the new topic (`<topic>.Key`,
//! `<topic>.Value`, `<topic>.Envelope`), and with `key.enforce.uniqueness`
//! the key gains a field naming the physical table, so equal primary keys
//! from different tables stay distinct.

use std::sync::Arc;

use super::config::{KeyDef, NULL, Props, key};
use super::debezium::is_envelope;
use super::error::RecordError;
use super::replacement::{JavaRegex, Replacement};
use super::schema::{SchemaCache, add_field, blank, field_index, primitive};
use super::value::{into_struct_fields, is_null, or_default, type_name};
use super::{Transformation, Verdict};
use crate::plugin::ConfigType::{Boolean, Int, String as Str};
use crate::record::{Data, Schema, SchemaType, SourceRecord, Value};

/// `ByLogicalTableRouter`'s keys.
pub(crate) const KEYS: &[KeyDef] = &[
    key("topic.regex", Str, None, "LOW").doc("A regular expression the whole physical topic name must match."),
    key("topic.replacement", Str, None, "LOW").doc("The logical topic, built from topic.regex's groups."),
    key("key.enforce.uniqueness", Boolean, Some("true"), "LOW")
        .doc("Whether the key gains a field naming the physical table."),
    key("key.field.name", Str, Some("__dbz__physicalTableIdentifier"), "LOW").doc("The name of that key field."),
    key("key.field.regex", Str, NULL, "LOW")
        .doc("A regular expression extracting the physical table identifier from the topic."),
    key("key.field.replacement", Str, NULL, "LOW").doc("The identifier, built from key.field.regex's groups."),
    key("schema.name.adjustment.mode", Str, Some("none"), "LOW")
        .doc("How schema names derived from the topic are adjusted: none, avro or avro_unicode."),
    key("logical.table.cache.size", Int, Some("16"), "LOW")
        .doc("Accepted for compatibility; Weir sizes its own cache."),
    key("logical.destination.cache.size", Int, Some("16"), "LOW")
        .doc("Accepted for compatibility; Weir sizes its own cache."),
];

/// Debezium's schema name adjusters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Adjust {
    None,
    /// Invalid Avro name characters become `_`.
    Avro,
    /// Invalid Avro name characters become `_uXXXX`.
    AvroUnicode,
}

impl Adjust {
    fn apply(self, name: &str) -> String {
        let unicode = self == Self::AvroUnicode;
        let first_ok = |c: char| c.is_ascii_alphabetic() || (!unicode && c == '_');
        let rest_ok = |c: char| first_ok(c) || c.is_ascii_digit() || c == '.';
        if self == Self::None || name.chars().enumerate().all(|(i, c)| if i == 0 { first_ok(c) } else { rest_ok(c) }) {
            return name.to_string();
        }
        let mut out = String::with_capacity(name.len() + 4);
        for (i, c) in name.chars().enumerate() {
            if if i == 0 { first_ok(c) } else { rest_ok(c) } {
                out.push(c);
            } else if unicode {
                // Java replaces each UTF-16 unit; hex is padded to four digits only when short.
                for unit in c.encode_utf16(&mut [0; 2]) {
                    let hex = format!("{unit:x}");
                    out.push_str("_u");
                    if hex.len() <= 2 {
                        out.push_str("00");
                    }
                    out.push_str(&hex);
                }
            } else {
                out.push('_');
                // Debezium keeps a leading digit after the underscore so `1a` and `2a` stay distinct.
                if i == 0 && c.is_ascii_digit() {
                    out.push(c);
                }
            }
        }
        out
    }
}

/// `io.debezium.transforms.ByLogicalTableRouter`.
pub(crate) struct ByLogicalTableRouter {
    topic: JavaRegex,
    replacement: Replacement,
    key_regex: Option<(JavaRegex, Replacement)>,
    naming: Naming,
    keys: SchemaCache<String, Arc<Schema>>,
    envelopes: SchemaCache<String, Arc<Schema>>,
}

/// How the new schemas are built, apart from the caches.
struct Naming {
    unique: bool,
    key_field: String,
    adjust: Adjust,
    identifier: Arc<Schema>,
}

const PURPOSE: &str = "Updating schema";

impl ByLogicalTableRouter {
    /// Reads the config, recording problems in `props`.
    pub(crate) fn build(props: &mut Props<'_>) -> Option<Self> {
        let topic = props.required("topic.regex");
        let replacement = props.required("topic.replacement");
        let unique = props.boolean("key.enforce.uniqueness", true);
        let key_field = props.string("key.field.name", "__dbz__physicalTableIdentifier");
        let adjust = match props.choice("schema.name.adjustment.mode", &["none", "avro", "avro_unicode"], "none", true)
        {
            "avro" => Adjust::Avro,
            "avro_unicode" => Adjust::AvroUnicode,
            _ => Adjust::None,
        };
        props.int("logical.table.cache.size", 16);
        props.int("logical.destination.cache.size", 16);
        let key_regex = match props.optional("key.field.regex").filter(|r| !r.is_empty()) {
            None => None,
            Some(pattern) => {
                let regex = props.regex("key.field.regex", &pattern);
                match props.optional("key.field.replacement").filter(|r| !r.is_empty()) {
                    None => {
                        props.problem(
                            "key.field.replacement",
                            "key.field.replacement must be non-empty if key.field.regex is set.".into(),
                        );
                        None
                    }
                    Some(r) => {
                        let regex = regex?;
                        let replacement = props.replacement("key.field.replacement", &regex, &r)?;
                        Some((regex, replacement))
                    }
                }
            }
        };
        let topic = props.regex("topic.regex", &topic?)?;
        let replacement = props.replacement("topic.replacement", &topic, &replacement?)?;
        let naming = Naming { unique, key_field, adjust, identifier: primitive(SchemaType::String, false) };
        Some(Self { topic, replacement, key_regex, naming, keys: SchemaCache::new(), envelopes: SchemaCache::new() })
    }
}

impl Naming {
    /// A struct with everything of `source` but its name, which is `name`.
    fn renamed(&self, source: &Schema, name: String, fields: bool) -> Result<Schema, RecordError> {
        if source.ty != SchemaType::Struct {
            return Err(RecordError::NotStruct { purpose: PURPOSE, found: source.ty.json_name() });
        }
        let mut schema = blank(SchemaType::Struct, source.optional);
        schema.name = Some(self.adjust.apply(&name));
        schema.version = source.version;
        schema.doc.clone_from(&source.doc);
        schema.parameters.clone_from(&source.parameters);
        if fields {
            schema.fields = source.fields.clone();
        }
        Ok(schema)
    }

    fn key_schema(&self, key: &Schema, topic: &str) -> Result<Arc<Schema>, RecordError> {
        let mut schema = self.renamed(key, format!("{topic}.Key"), true)?;
        if self.unique {
            add_field(&mut schema, &self.key_field, self.identifier.clone())?;
        }
        Ok(Arc::new(schema))
    }

    fn envelope_schema(&self, envelope: &Schema, topic: &str) -> Result<Arc<Schema>, RecordError> {
        let row = field_index(envelope, "before").or_else(|| field_index(envelope, "after"));
        let row = match row {
            Some(i) => Some(Arc::new(self.renamed(&envelope.fields[i].1, format!("{topic}.Value"), true)?)),
            None => None,
        };
        let mut schema = self.renamed(envelope, format!("{topic}.Envelope"), false)?;
        schema.fields = envelope
            .fields
            .iter()
            .map(|(name, field)| match &row {
                Some(row) if name == "before" || name == "after" => (name.clone(), row.clone()),
                _ => (name.clone(), field.clone()),
            })
            .collect();
        Ok(Arc::new(schema))
    }
}

impl Transformation for ByLogicalTableRouter {
    fn apply(&mut self, record: &mut SourceRecord) -> Result<Verdict, RecordError> {
        let Some(topic) = self.topic.reroute(&record.topic, &self.replacement).filter(|t| !t.is_empty()) else {
            return Ok(Verdict::Keep);
        };
        let key = match record.key.take() {
            key if is_null(key.as_ref()) => None,
            Some(Data { schema: Some(schema), value }) => {
                let mut fields = into_struct_fields(&schema, value, PURPOSE)?;
                let new = self.keys.get_or_build(&schema, topic.clone(), || self.naming.key_schema(&schema, &topic))?;
                if self.naming.unique {
                    let identifier = self.key_regex.as_ref().and_then(|(re, r)| re.reroute(&record.topic, r));
                    fields.push(Value::String(identifier.unwrap_or_else(|| record.topic.clone())));
                }
                Some(Data { schema: Some(new), value: Value::Struct(fields) })
            }
            Some(Data { schema: None, value }) => {
                return Err(RecordError::NotStruct { purpose: PURPOSE, found: type_name(&value) });
            }
            None => None,
        };
        let envelope = record.value.as_ref().and_then(|d| d.schema.clone()).filter(|s| is_envelope(s));
        if let Some(envelope) = envelope.filter(|_| !is_null(record.value.as_ref()))
            && let Some(data) = record.value.take()
        {
            let mut fields = into_struct_fields(&envelope, data.value, PURPOSE)?;
            let new = self
                .envelopes
                .get_or_build(&envelope, topic.clone(), || self.naming.envelope_schema(&envelope, &topic))?;
            // Top-level fields are read with Struct.get, which fills in defaults.
            for (value, (_, schema)) in fields.iter_mut().zip(&envelope.fields) {
                *value = or_default(std::mem::replace(value, Value::Null), schema, true);
            }
            record.value = Some(Data { schema: Some(new), value: Value::Struct(fields) });
        }
        record.key = key;
        record.topic = topic;
        Ok(Verdict::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::Chain;
    use crate::transforms::fixtures::{Table, json, record};

    fn chain(pairs: &[(&str, &str)]) -> Result<Chain, Vec<String>> {
        crate::transforms::tests::single("reroute", "io.debezium.transforms.ByLogicalTableRouter", pairs)
    }

    const SHARDS: [(&str, &str); 2] =
        [("topic.regex", "(.*)customers_shard(.*)"), ("topic.replacement", "$1customers_all_shards")];

    #[test]
    fn shards_merge_into_one_topic_with_a_unique_key() {
        let shard1 = Table::new("myserver.mydb.customers_shard1", "customers_shard1");
        let shard2 = Table::new("myserver.mydb.customers_shard2", "customers_shard2");
        let mut c = chain(&SHARDS).unwrap();
        let row = Table::row(1, "Anne", "Kretchmar", None);
        let a = c.apply(shard1.change("c", None, Some(row.clone()))).unwrap().unwrap();
        let b = c.apply(shard2.change("c", None, Some(row))).unwrap().unwrap();
        assert_eq!(a.topic, "myserver.mydb.customers_all_shards");
        assert_eq!(b.topic, "myserver.mydb.customers_all_shards");
        assert_eq!(
            json(a.key.as_ref()),
            r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"__dbz__physicalTableIdentifier"}],"optional":false,"name":"myserver.mydb.customers_all_shards.Key"},"payload":{"id":1,"__dbz__physicalTableIdentifier":"myserver.mydb.customers_shard1"}}"#
        );
        let envelope = a.value.as_ref().and_then(|v| v.schema.clone()).unwrap();
        assert_eq!(envelope.name.as_deref(), Some("myserver.mydb.customers_all_shards.Envelope"));
        assert_eq!(envelope.version, Some(2));
        assert_eq!(envelope.fields[1].1.name.as_deref(), Some("myserver.mydb.customers_all_shards.Value"));
        assert!(envelope.fields[1].1.optional);
        assert!(Arc::ptr_eq(&envelope.fields[0].1, &envelope.fields[1].1));
        // Same table again: same schemas.
        let again = c.apply(shard1.change("u", None, Some(Table::row(1, "A", "K", None)))).unwrap().unwrap();
        assert!(Arc::ptr_eq(&envelope, again.value.as_ref().and_then(|v| v.schema.as_ref()).unwrap()));
        assert!(Arc::ptr_eq(
            a.key.as_ref().unwrap().schema.as_ref().unwrap(),
            again.key.as_ref().unwrap().schema.as_ref().unwrap()
        ));
    }

    #[test]
    fn key_identifier_regex_field_name_and_no_uniqueness() {
        let shard = Table::new("myserver.mydb.customers_shard7", "customers_shard7");
        let mut c = chain(&[
            SHARDS[0],
            SHARDS[1],
            ("key.field.name", "shard"),
            ("key.field.regex", ".*_shard(\\d+)"),
            ("key.field.replacement", "$1"),
        ])
        .unwrap();
        let out = c.apply(shard.tombstone(9)).unwrap().unwrap();
        assert!(out.value.is_none());
        assert_eq!(out.key.unwrap().value, Value::Struct(vec![Value::Int32(9), Value::String("7".into())]));
        let mut plain = chain(&[SHARDS[0], SHARDS[1], ("key.enforce.uniqueness", "false")]).unwrap();
        let out = plain.apply(shard.tombstone(9)).unwrap().unwrap();
        assert_eq!(out.key.unwrap().value, Value::Struct(vec![Value::Int32(9)]));
    }

    #[test]
    fn unmatched_topics_and_non_envelopes() {
        let mut c = chain(&SHARDS).unwrap();
        assert_eq!(c.apply(record("myserver.mydb.orders")).unwrap().unwrap().topic, "myserver.mydb.orders");
        let out = c.apply(record("x.customers_shard1")).unwrap().unwrap();
        assert_eq!(out.topic, "x.customers_all_shards");
        assert!(out.value.unwrap().schema.is_none());
    }

    #[test]
    fn schema_names_can_be_adjusted() {
        assert_eq!(Adjust::Avro.apply("my-server.db.t.Key"), "my_server.db.t.Key");
        assert_eq!(Adjust::Avro.apply("1db.t"), "_1db.t");
        assert_eq!(Adjust::AvroUnicode.apply("my-server_x.Key"), "my_u002dserver_u005fx.Key");
        assert_eq!(Adjust::None.apply("my-server"), "my-server");
    }

    #[test]
    fn config_problems() {
        assert_eq!(
            chain(&[]).unwrap_err(),
            [
                "Missing required configuration \"transforms.reroute.topic.regex\" which has no default value.",
                "Missing required configuration \"transforms.reroute.topic.replacement\" which has no default value.",
            ]
        );
        assert_eq!(
            chain(&[SHARDS[0], SHARDS[1], ("key.field.regex", "(.*)")]).unwrap_err(),
            ["key.field.replacement must be non-empty if key.field.regex is set."]
        );
    }
}

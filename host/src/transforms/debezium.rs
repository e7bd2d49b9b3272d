//! Debezium's `ExtractNewRecordState` (3.x): replaces a change event's
//! envelope with its `after` row, handling deletes and tombstones as
//! configured, and copying chosen envelope fields (`op`, `source.lsn`, …)
//! into the row (`add.fields`) or into headers (`add.headers`). Records
//! that are not envelopes pass through unchanged.
//!
//! A Debezium envelope is a struct whose schema is named
//! `<prefix>.<schema>.<table>.Envelope`, with fields `before`, `after`,
//! `source`, `op`, `ts_ms` (`ts_us`, `ts_ns`) and optionally `transaction`.
//! The output value's schema is the row schema
//! (`<prefix>.<schema>.<table>.Value`) made required, as Debezium's
//! `SchemaUtil.copySchemaBasics` makes it, with the added fields appended
//! as optional copies of their envelope schemas.

use std::sync::Arc;

use super::config::{KeyDef, NULL, Props, key};
use super::error::RecordError;
use super::schema::{SchemaCache, add_field, field_index, optional_copy, primitive, struct_like};
use super::value::{into_struct_fields, is_null, or_default};
use super::{Transformation, Verdict};
use crate::plugin::ConfigType::{Boolean, List, String as Str};
use crate::record::{Data, Schema, SchemaType, SourceRecord, Value};

/// `ExtractNewRecordState`'s keys.
pub(crate) const KEYS: &[KeyDef] = &[
    key("delete.tombstone.handling.mode", Str, Some("tombstone"), "MEDIUM").doc(
        "What happens to deletes and tombstones: drop, tombstone, rewrite, rewrite-with-tombstone or delete-to-tombstone.",
    ),
    key("drop.tombstones", Boolean, Some("true"), "LOW").doc("Legacy (before delete.tombstone.handling.mode): whether tombstones are dropped."),
    key("delete.handling.mode", Str, Some("drop"), "MEDIUM").doc("Legacy (before delete.tombstone.handling.mode): drop, rewrite or none."),
    key("route.by.field", Str, Some(""), "LOW").doc("A row column whose value becomes the record's topic."),
    key("add.fields.prefix", Str, Some("__"), "LOW").doc("Prefix of the names of fields added by add.fields."),
    key("add.fields", List, Some(""), "LOW").doc("Envelope fields to add to the row, e.g. op,table,source.ts_ms or op:operation."),
    key("add.headers.prefix", Str, Some("__"), "LOW").doc("Prefix of the names of headers added by add.headers."),
    key("add.headers", List, Some(""), "LOW").doc("Envelope fields to add as headers, e.g. op,source.lsn."),
    key("replace.null.with.default", Boolean, Some("true"), "LOW").doc("Whether null columns read as their default when a row is rewritten."),
    key("drop.fields.header.name", Str, NULL, "LOW").doc("Not supported by Weir."),
    key("drop.fields.from.key", Boolean, Some("false"), "LOW").doc("Used only with drop.fields.header.name."),
    key("drop.fields.keep.schema.compatible", Boolean, Some("true"), "LOW").doc("Used only with drop.fields.header.name."),
];

/// Whether a value schema is a Debezium change event envelope.
pub(crate) fn is_envelope(schema: &Schema) -> bool {
    schema.name.as_deref().is_some_and(|n| n.ends_with(".Envelope"))
}

/// What becomes of a delete event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deletes {
    /// Dropped.
    Drop,
    /// The row schema with a null value (Debezium's `tombstone` mode).
    NullValue,
    /// A real tombstone: no value and no schema.
    Tombstone,
    /// The `before` row with `__deleted=true`.
    Rewrite,
}

/// A field of the envelope to copy: `op`, `source.lsn`, `ts_ms:ts`, ….
#[derive(Debug, Clone)]
struct Reference {
    /// The struct holding the field (`source`, `transaction`), or none for
    /// a top-level field.
    parent: Option<String>,
    field: String,
    /// The added field's or header's name.
    output: String,
}

/// Java's `String.split`: trailing empty pieces are dropped.
fn split(text: &str, separator: char) -> Vec<&str> {
    let mut parts: Vec<&str> = text.split(separator).collect();
    while parts.len() > 1 && parts.last() == Some(&"") {
        parts.pop();
    }
    parts
}

impl Reference {
    fn parse(prefix: &str, spec: &str) -> Result<Self, String> {
        let parts = split(spec, ':');
        if parts.len() > 2 {
            return Err(format!("Unexpected field name: {spec}"));
        }
        let path = split(parts[0], '.');
        let (parent, field) = match path[..] {
            [field] => (default_parent(field).map(str::to_string), field),
            [parent, field, ..] => (Some(parent.to_string()), field),
            [] => (None, ""),
        };
        let output = match (parts.get(1), path.len()) {
            (Some(name), _) => format!("{prefix}{name}"),
            (None, 1) => format!("{prefix}{field}"),
            (None, _) => format!("{prefix}{}_{field}", parent.as_deref().unwrap_or_default()),
        };
        Ok(Self { parent, field: field.to_string(), output })
    }

    /// Where the field is in this envelope: in its parent struct, else at
    /// the top level (another transform may have put it there), else
    /// nowhere, and then nothing is added, as in Debezium.
    fn resolve(&self, envelope: &Schema) -> Option<(Path, Arc<Schema>)> {
        let parent = match &self.parent {
            Some(p) => Some(field_index(envelope, p)?),
            None => None,
        };
        let parent_schema = parent.map_or(envelope, |p| &*envelope.fields[p].1);
        if let Some(i) = field_index(parent_schema, &self.field) {
            let path = parent.map_or(Path::Top(i), |p| Path::Nested(p, i));
            return Some((path, parent_schema.fields[i].1.clone()));
        }
        field_index(envelope, &self.field).map(|i| (Path::Top(i), envelope.fields[i].1.clone()))
    }
}

/// The struct a bare field name lives in.
fn default_parent(field: &str) -> Option<&'static str> {
    match field {
        "id" | "total_order" | "data_collection_order" => Some("transaction"),
        "op" | "ts_ms" | "ts_us" | "ts_ns" => None,
        "updateDescription" => Some("updateDescription"),
        _ => Some("source"),
    }
}

/// A resolved field position in the envelope.
#[derive(Debug, Clone, Copy)]
enum Path {
    Top(usize),
    Nested(usize, usize),
}

impl Path {
    /// The raw value (no default substitution, as Debezium reads it); null
    /// when the parent struct is null (e.g. `transaction` in a snapshot).
    fn read(self, envelope: &[Value]) -> Value {
        match self {
            Self::Top(i) => envelope.get(i).cloned().unwrap_or(Value::Null),
            Self::Nested(p, i) => match envelope.get(p) {
                Some(Value::Struct(fields)) => fields.get(i).cloned().unwrap_or(Value::Null),
                _ => Value::Null,
            },
        }
    }
}

/// Everything derived from one envelope schema.
struct Plan {
    before: Option<usize>,
    after: Option<usize>,
    fields: Vec<Path>,
    headers: Vec<(String, Path, Arc<Schema>)>,
    /// The output value schema built from the `after` row, then `before`'s
    /// (normally the same `Arc`, and then the same output).
    after_out: Option<Result<Arc<Schema>, RecordError>>,
    before_out: Option<Result<Arc<Schema>, RecordError>>,
    route_after: Option<usize>,
    route_before: Option<usize>,
}

/// `io.debezium.transforms.ExtractNewRecordState`.
pub(crate) struct ExtractNewRecordState {
    deletes: Deletes,
    keep_tombstones: bool,
    spec: Spec,
    /// The schema of the `op` header Debezium adds to tombstones.
    op_header: Arc<Schema>,
    cache: SchemaCache<(), Arc<Plan>>,
}

/// How rows are rebuilt, apart from the cache.
struct Spec {
    rewrite: bool,
    replace_null: bool,
    route_by: Option<String>,
    fields: Vec<Reference>,
    headers: Vec<Reference>,
    deleted: Arc<Schema>,
}

const MODES: [&str; 5] = ["drop", "tombstone", "rewrite", "rewrite-with-tombstone", "delete-to-tombstone"];

impl ExtractNewRecordState {
    /// Reads the config, recording problems in `props`.
    pub(crate) fn build(props: &mut Props<'_>) -> Option<Self> {
        let legacy = props.is_set("drop.tombstones") || props.is_set("delete.handling.mode");
        let (deletes, keep_tombstones) = if props.is_set("delete.tombstone.handling.mode") || !legacy {
            match props.choice("delete.tombstone.handling.mode", &MODES, "tombstone", true) {
                "drop" => (Deletes::Drop, false),
                "rewrite" => (Deletes::Rewrite, false),
                "rewrite-with-tombstone" => (Deletes::Rewrite, true),
                "delete-to-tombstone" => (Deletes::Tombstone, false),
                _ => (Deletes::NullValue, false),
            }
        } else {
            // Debezium before 3.2: both legacy keys, with their old defaults.
            let drop_tombstones = props.boolean("drop.tombstones", true);
            let deletes = match props.choice("delete.handling.mode", &["drop", "rewrite", "none"], "drop", true) {
                "rewrite" => Deletes::Rewrite,
                "none" => Deletes::NullValue,
                _ => Deletes::Drop,
            };
            (deletes, !drop_tombstones)
        };
        let route_by = Some(props.string("route.by.field", "")).filter(|r| !r.is_empty());
        let mut references = |list: &str, prefix: &str| {
            let prefix = props.string(prefix, "__");
            let mut out = Vec::new();
            for spec in props.list(list, &[]) {
                match Reference::parse(&prefix, &spec) {
                    Ok(r) => out.push(r),
                    Err(why) => {
                        let raw = props.raw(list).unwrap_or_default();
                        props.invalid(list, raw, &why);
                    }
                }
            }
            out
        };
        let fields = references("add.fields", "add.fields.prefix");
        let headers = references("add.headers", "add.headers.prefix");
        let replace_null = props.boolean("replace.null.with.default", true);
        // Read only so a malformed value is reported; they matter only with the header below.
        props.boolean("drop.fields.from.key", false);
        props.boolean("drop.fields.keep.schema.compatible", true);
        if let Some(name) = props.optional("drop.fields.header.name").filter(|n| !n.is_empty()) {
            props.invalid(
                "drop.fields.header.name",
                &name,
                "dropping fields named by a header is not supported by Weir",
            );
        }
        let spec = Spec {
            rewrite: deletes == Deletes::Rewrite,
            replace_null,
            route_by,
            fields,
            headers,
            deleted: primitive(SchemaType::String, true),
        };
        Some(Self {
            deletes,
            keep_tombstones,
            spec,
            op_header: primitive(SchemaType::String, false),
            cache: SchemaCache::new(),
        })
    }
}

impl Spec {
    fn plan(&self, envelope: &Schema) -> Plan {
        let before = field_index(envelope, "before");
        let after = field_index(envelope, "after");
        let resolved: Vec<(String, Path, Arc<Schema>)> = self
            .fields
            .iter()
            .filter_map(|r| r.resolve(envelope).map(|(path, schema)| (r.output.clone(), path, optional_copy(&schema))))
            .collect();
        let headers = self
            .headers
            .iter()
            .filter_map(|r| r.resolve(envelope).map(|(path, schema)| (r.output.clone(), path, optional_copy(&schema))))
            .collect();
        let row = |i: Option<usize>| i.map(|i| &envelope.fields[i].1);
        let after_out = row(after).map(|s| self.output_schema(s, &resolved));
        let before_out = match (row(before), row(after), &after_out) {
            (Some(b), Some(a), Some(out)) if Arc::ptr_eq(b, a) => Some(out.clone()),
            (b, _, _) => b.map(|s| self.output_schema(s, &resolved)),
        };
        let route = |row: Option<&Arc<Schema>>| field_index(row?, self.route_by.as_deref()?);
        Plan {
            before,
            after,
            fields: resolved.iter().map(|(_, path, _)| *path).collect(),
            headers,
            after_out,
            before_out,
            route_after: route(row(after)),
            route_before: route(row(before)),
        }
    }

    /// The row schema, required, with `__deleted` when rewriting and the
    /// added fields.
    fn output_schema(&self, row: &Schema, added: &[(String, Path, Arc<Schema>)]) -> Result<Arc<Schema>, RecordError> {
        if row.ty != SchemaType::Struct {
            return Err(RecordError::NotStruct { purpose: "source field insertion", found: row.ty.json_name() });
        }
        let mut schema = struct_like(row);
        schema.fields = row.fields.clone();
        if self.rewrite {
            schema.fields.push(("__deleted".into(), self.deleted.clone()));
        }
        for (name, _, field) in added {
            add_field(&mut schema, name, field.clone())?;
        }
        Ok(Arc::new(schema))
    }

    /// The new value built from one row of the envelope.
    fn row_value(
        &self,
        plan: &Plan,
        envelope: &Schema,
        fields: &mut [Value],
        row: usize,
        deleted: &str,
    ) -> Result<Value, RecordError> {
        let added: Vec<Value> = plan.fields.iter().map(|p| p.read(fields)).collect();
        let row_schema = &envelope.fields[row].1;
        let mut values =
            into_struct_fields(row_schema, std::mem::replace(&mut fields[row], Value::Null), "source field insertion")?;
        if self.rewrite {
            for (value, (_, schema)) in values.iter_mut().zip(&row_schema.fields) {
                *value = or_default(std::mem::replace(value, Value::Null), schema, self.replace_null);
            }
            values.push(Value::String(deleted.into()));
        }
        values.extend(added);
        Ok(Value::Struct(values))
    }

    /// The topic named by `route.by.field` in a row; `None` keeps the topic.
    fn route(&self, row: &Value, index: Option<usize>, schema: &Schema) -> Result<Option<String>, RecordError> {
        let Some(name) = &self.route_by else { return Ok(None) };
        let i = index.ok_or_else(|| RecordError::UnknownField(name.clone()))?;
        let Value::Struct(values) = row else { return Ok(None) };
        match (&schema.fields[i].1.ty, values.get(i)) {
            (SchemaType::String, Some(Value::String(topic))) if !topic.trim().is_empty() => Ok(Some(topic.clone())),
            (SchemaType::String, _) => Ok(None),
            (ty, _) => Err(RecordError::FieldType { field: name.clone(), expected: "a string", found: ty.json_name() }),
        }
    }
}

fn missing(field: &str) -> RecordError {
    RecordError::UnknownField(field.to_string())
}

impl Transformation for ExtractNewRecordState {
    fn apply(&mut self, record: &mut SourceRecord) -> Result<Verdict, RecordError> {
        if is_null(record.value.as_ref()) {
            for r in self.spec.headers.iter().filter(|r| r.field == "op") {
                let op = Data { schema: Some(self.op_header.clone()), value: Value::String("d".into()) };
                record.headers.push((r.output.clone(), Some(op)));
            }
            return Ok(if self.keep_tombstones { Verdict::Keep } else { Verdict::Drop });
        }
        let Some(envelope) = record.value.as_ref().and_then(|d| d.schema.clone()).filter(|s| is_envelope(s)) else {
            return Ok(Verdict::Keep);
        };
        let plan = self.cache.get_or_build::<RecordError>(&envelope, (), || Ok(Arc::new(self.spec.plan(&envelope))))?;
        let Some(data) = record.value.take() else { return Ok(Verdict::Keep) };
        let mut fields = into_struct_fields(&envelope, data.value, "field extraction")?;
        for (name, path, schema) in &plan.headers {
            record.headers.push((name.clone(), Some(Data { schema: Some(schema.clone()), value: path.read(&fields) })));
        }
        let after = plan.after.ok_or_else(|| missing("after"))?;
        let (value, topic) = if fields[after] != Value::Null {
            let schema = plan.after_out.clone().ok_or_else(|| missing("after"))??;
            let topic = self.spec.route(&fields[after], plan.route_after, &envelope.fields[after].1)?;
            let value = self.spec.row_value(&plan, &envelope, &mut fields, after, "false")?;
            (Some(Data { schema: Some(schema), value }), topic)
        } else {
            let before = plan.before.ok_or_else(|| missing("before"))?;
            if fields[before] == Value::Null {
                // Neither row: a truncate (or message) event, which Debezium drops.
                return Ok(Verdict::Drop);
            }
            if self.deletes == Deletes::Drop {
                return Ok(Verdict::Drop);
            }
            let topic = self.spec.route(&fields[before], plan.route_before, &envelope.fields[before].1)?;
            let value = match self.deletes {
                Deletes::NullValue => Some(Data { schema: Some(envelope.fields[after].1.clone()), value: Value::Null }),
                Deletes::Tombstone => None,
                _ => {
                    let schema = plan.before_out.clone().ok_or_else(|| missing("before"))??;
                    Some(Data {
                        schema: Some(schema),
                        value: self.spec.row_value(&plan, &envelope, &mut fields, before, "true")?,
                    })
                }
            };
            (value, topic)
        };
        record.value = value;
        if let Some(topic) = topic {
            record.topic = topic;
        }
        Ok(Verdict::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::Chain;
    use crate::transforms::fixtures::{Table, json, record, s};

    fn chain(pairs: &[(&str, &str)]) -> Result<Chain, Vec<String>> {
        crate::transforms::tests::single("unwrap", "io.debezium.transforms.ExtractNewRecordState", pairs)
    }

    fn sally() -> Value {
        Table::row(1001, "Sally", "Thomas", Some("sally@example.com"))
    }

    const ROW_FIELDS: &str = r#"{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"first_name"},{"type":"string","optional":true,"field":"last_name"},{"type":"string","optional":true,"field":"email"}"#;

    #[test]
    fn create_with_added_fields_renders_like_debezium() {
        let table = Table::customers();
        let mut c = chain(&[("add.fields", "op,table,lsn,source.ts_ms")]).unwrap();
        let out = c.apply(table.change("c", None, Some(sally()))).unwrap().unwrap();
        assert_eq!(out.topic, "dbserver1.inventory.customers");
        assert_eq!(
            json(out.value.as_ref()),
            format!(
                r#"{{"schema":{{"type":"struct","fields":[{ROW_FIELDS},{{"type":"string","optional":true,"field":"__op"}},{{"type":"string","optional":true,"field":"__table"}},{{"type":"int64","optional":true,"field":"__lsn"}},{{"type":"int64","optional":true,"field":"__source_ts_ms"}}],"optional":false,"name":"dbserver1.inventory.customers.Value"}},"payload":{{"id":1001,"first_name":"Sally","last_name":"Thomas","email":"sally@example.com","__op":"c","__table":"customers","__lsn":24023128,"__source_ts_ms":1700000000000}}}}"#
            )
        );
        assert_eq!(
            json(out.key.as_ref()),
            r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"dbserver1.inventory.customers.Key"},"payload":{"id":1001}}"#
        );
        assert!(out.headers.is_empty());
    }

    #[test]
    fn one_output_schema_per_table() {
        let customers = Table::customers();
        let orders = Table::new("dbserver1.inventory.orders", "orders");
        let mut c = chain(&[("add.fields", "op")]).unwrap();
        let schema = |r: SourceRecord| r.value.and_then(|v| v.schema).unwrap();
        let first = schema(c.apply(customers.change("c", None, Some(sally()))).unwrap().unwrap());
        let update = customers.change("u", Some(sally()), Some(Table::row(1001, "Sally", "Jones", None)));
        let second = schema(c.apply(update).unwrap().unwrap());
        let other = schema(c.apply(orders.change("c", None, Some(sally()))).unwrap().unwrap());
        assert!(Arc::ptr_eq(&first, &second));
        assert!(!Arc::ptr_eq(&first, &other));
        assert_eq!(other.name.as_deref(), Some("dbserver1.inventory.orders.Value"));
        // Rendered once, then reused.
        json(Some(&Data {
            schema: Some(first.clone()),
            value: Value::Struct(vec![Value::Int32(1), Value::Null, Value::Null, Value::Null, s("c")]),
        }));
        assert!(second.json.get().is_some());
    }

    #[test]
    fn default_mode_turns_deletes_into_null_values_and_drops_tombstones() {
        let table = Table::customers();
        let mut c = chain(&[("add.fields", "op")]).unwrap();
        let out = c.apply(table.change("d", Some(sally()), None)).unwrap().unwrap();
        assert_eq!(
            json(out.value.as_ref()),
            format!(
                r#"{{"schema":{{"type":"struct","fields":[{ROW_FIELDS}],"optional":true,"name":"dbserver1.inventory.customers.Value"}},"payload":null}}"#
            )
        );
        assert!(c.apply(table.tombstone(1001)).unwrap().is_none());
    }

    #[test]
    fn rewrite_marks_rows_deleted_and_keeps_other_modes_apart() {
        let table = Table::customers();
        let mut rewrite = chain(&[("delete.tombstone.handling.mode", "rewrite"), ("add.fields", "op")]).unwrap();
        let created = rewrite.apply(table.change("r", None, Some(sally()))).unwrap().unwrap().value.unwrap();
        assert_eq!(
            created.value,
            Value::Struct(vec![
                Value::Int32(1001),
                s("Sally"),
                s("Thomas"),
                s("sally@example.com"),
                s("false"),
                s("r")
            ])
        );
        let deleted = rewrite.apply(table.change("d", Some(sally()), None)).unwrap().unwrap().value.unwrap();
        assert_eq!(
            deleted.value,
            Value::Struct(vec![Value::Int32(1001), s("Sally"), s("Thomas"), s("sally@example.com"), s("true"), s("d")])
        );
        assert!(Arc::ptr_eq(created.schema.as_ref().unwrap(), deleted.schema.as_ref().unwrap()));
        assert_eq!(
            json(Some(&deleted)),
            format!(
                r#"{{"schema":{{"type":"struct","fields":[{ROW_FIELDS},{{"type":"string","optional":true,"field":"__deleted"}},{{"type":"string","optional":true,"field":"__op"}}],"optional":false,"name":"dbserver1.inventory.customers.Value"}},"payload":{{"id":1001,"first_name":"Sally","last_name":"Thomas","email":"sally@example.com","__deleted":"true","__op":"d"}}}}"#
            )
        );
        assert!(rewrite.apply(table.tombstone(1001)).unwrap().is_none());

        let mut with_tombstone =
            chain(&[("delete.tombstone.handling.mode", "rewrite-with-tombstone"), ("add.headers", "op")]).unwrap();
        let tomb = with_tombstone.apply(table.tombstone(1001)).unwrap().unwrap();
        assert!(tomb.value.is_none());
        assert_eq!(tomb.headers.len(), 1);
        assert_eq!(tomb.headers[0].0, "__op");
        assert_eq!(tomb.headers[0].1.as_ref().map(|d| &d.value), Some(&s("d")));

        let mut drop = chain(&[("delete.tombstone.handling.mode", "drop")]).unwrap();
        assert!(drop.apply(table.change("d", Some(sally()), None)).unwrap().is_none());
        let mut to_tombstone = chain(&[("delete.tombstone.handling.mode", "delete-to-tombstone")]).unwrap();
        let out = to_tombstone.apply(table.change("d", Some(sally()), None)).unwrap().unwrap();
        assert!(out.value.is_none());
        assert!(out.key.is_some());
        assert!(to_tombstone.apply(table.tombstone(1001)).unwrap().is_none());
    }

    #[test]
    fn rewrite_fills_defaults_for_null_columns() {
        let table = Table::customers();
        let mut row = crate::transforms::schema::copy(&table.row);
        let mut email = crate::transforms::schema::copy(&row.fields[3].1);
        email.default = Some("unknown@example.com".into());
        row.fields[3].1 = Arc::new(email);
        let row = Arc::new(row);
        let mut envelope = crate::transforms::schema::copy(&table.envelope);
        envelope.fields[0].1 = row.clone();
        envelope.fields[1].1 = row;
        let mut r = table.change("c", None, Some(Table::row(1, "A", "B", None)));
        r.value.as_mut().unwrap().schema = Some(Arc::new(envelope));
        let mut c = chain(&[("delete.tombstone.handling.mode", "rewrite")]).unwrap();
        let out = c.apply(r.clone()).unwrap().unwrap().value.unwrap();
        assert_eq!(
            out.value,
            Value::Struct(vec![Value::Int32(1), s("A"), s("B"), s("unknown@example.com"), s("false")])
        );
        let mut raw =
            chain(&[("delete.tombstone.handling.mode", "rewrite"), ("replace.null.with.default", "false")]).unwrap();
        let out = raw.apply(r).unwrap().unwrap().value.unwrap();
        assert_eq!(out.value, Value::Struct(vec![Value::Int32(1), s("A"), s("B"), Value::Null, s("false")]));
    }

    #[test]
    fn legacy_keys_keep_their_old_meaning() {
        let table = Table::customers();
        let mut legacy = chain(&[("delete.handling.mode", "none"), ("drop.tombstones", "false")]).unwrap();
        let out = legacy.apply(table.change("d", Some(sally()), None)).unwrap().unwrap();
        assert_eq!(out.value.unwrap().value, Value::Null);
        assert!(legacy.apply(table.tombstone(1001)).unwrap().is_some());
        let mut old_default = chain(&[("drop.tombstones", "true")]).unwrap();
        assert!(old_default.apply(table.change("d", Some(sally()), None)).unwrap().is_none());
        let mut old_rewrite = chain(&[("delete.handling.mode", "rewrite")]).unwrap();
        let out = old_rewrite.apply(table.change("d", Some(sally()), None)).unwrap().unwrap();
        assert_eq!(
            out.value.unwrap().value,
            Value::Struct(vec![Value::Int32(1001), s("Sally"), s("Thomas"), s("sally@example.com"), s("true")])
        );
        // The current key wins over the legacy ones.
        let mut both =
            chain(&[("delete.handling.mode", "rewrite"), ("delete.tombstone.handling.mode", "drop")]).unwrap();
        assert!(both.apply(table.change("d", Some(sally()), None)).unwrap().is_none());
    }

    #[test]
    fn headers_copy_envelope_fields() {
        let table = Table::customers();
        let mut c =
            chain(&[("add.headers", "op,source.lsn,id,ts_ms:event_ts"), ("add.headers.prefix", "dbz.")]).unwrap();
        let out = c.apply(table.change("u", Some(sally()), Some(sally()))).unwrap().unwrap();
        let headers: Vec<(&str, Option<&Value>, bool)> = out
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str(),
                    v.as_ref().map(|d| &d.value),
                    v.as_ref().is_some_and(|d| d.schema.as_ref().is_some_and(|s| s.optional)),
                )
            })
            .collect();
        assert_eq!(
            headers,
            [
                ("dbz.op", Some(&s("u")), true),
                ("dbz.source_lsn", Some(&Value::Int64(24_023_128)), true),
                // `id` lives in `transaction`, which is null outside a transaction block.
                ("dbz.id", Some(&Value::Null), true),
                ("dbz.event_ts", Some(&Value::Int64(1_700_000_000_123)), true),
            ]
        );
    }

    #[test]
    fn route_by_field_renames_the_topic() {
        let table = Table::customers();
        let mut c = chain(&[("route.by.field", "last_name")]).unwrap();
        assert_eq!(c.apply(table.change("c", None, Some(sally()))).unwrap().unwrap().topic, "Thomas");
        let mut c = chain(&[("route.by.field", "last_name"), ("delete.tombstone.handling.mode", "rewrite")]).unwrap();
        assert_eq!(c.apply(table.change("d", Some(sally()), None)).unwrap().unwrap().topic, "Thomas");
        let mut wrong = chain(&[("route.by.field", "id")]).unwrap();
        assert!(matches!(
            wrong.apply(table.change("c", None, Some(sally()))).unwrap_err(),
            crate::transforms::TransformError::Record { source: RecordError::FieldType { .. }, .. }
        ));
    }

    #[test]
    fn non_envelopes_pass_and_truncates_drop() {
        let mut c = chain(&[]).unwrap();
        let plain = record("heartbeat");
        let out = c.apply(plain.clone()).unwrap().unwrap();
        assert_eq!(out.value.unwrap().value, plain.value.unwrap().value);
        assert!(c.apply(Table::customers().change("t", None, None)).unwrap().is_none());
    }

    #[test]
    fn config_problems() {
        assert_eq!(
            chain(&[("delete.tombstone.handling.mode", "keep")]).unwrap_err(),
            [
                "Invalid value keep for configuration transforms.unwrap.delete.tombstone.handling.mode: String must be one of: drop, tombstone, rewrite, rewrite-with-tombstone, delete-to-tombstone"
            ]
        );
        assert_eq!(
            chain(&[("add.fields", "op,a:b:c")]).unwrap_err(),
            ["Invalid value op,a:b:c for configuration transforms.unwrap.add.fields: Unexpected field name: a:b:c"]
        );
        assert_eq!(
            chain(&[("drop.fields.header.name", "drop")]).unwrap_err(),
            [
                "Invalid value drop for configuration transforms.unwrap.drop.fields.header.name: dropping fields named by a header is not supported by Weir"
            ]
        );
    }
}

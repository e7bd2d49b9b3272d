//! Debezium's outbox `EventRouter`: turns rows inserted into an outbox
//! table into events on a topic chosen per row (by default
//! `outbox.event.<aggregatetype>`), keyed by `aggregateid`, with the
//! `payload` column as the value and the event `id` as a header.
//!
//! Only inserts route (`op` `c`, and `r` from a snapshot). Deletes and
//! tombstones are dropped, as Debezium does by default; updates (and other
//! operations) follow `table.op.invalid.behavior`. Records that are not
//! change events pass through. `table.expand.json.payload` is not
//! supported: the payload is forwarded as the column holds it.

use std::sync::Arc;

use super::config::{KeyDef, NULL, Props, key};
use super::debezium::is_envelope;
use super::error::RecordError;
use super::replacement::{JavaRegex, Replacement};
use super::schema::{SchemaCache, add_field, blank, field_index};
use super::value::{into_struct_fields, is_null, or_default_ref, type_name};
use super::{Transformation, Verdict};
use crate::plugin::ConfigType::{Boolean, List, String as Str};
use crate::record::{Data, Schema, SchemaType, SourceRecord, Value};

/// `EventRouter`'s keys.
pub(crate) const KEYS: &[KeyDef] = &[
    key("table.field.event.id", Str, Some("id"), "LOW")
        .doc("The outbox column with the event id, sent as the id header."),
    key("table.field.event.key", Str, Some("aggregateid"), "LOW")
        .doc("The outbox column whose value becomes the record key."),
    key("table.field.event.type", Str, Some("type"), "LOW").doc("The outbox column with the event type."),
    key("table.field.event.payload", Str, Some("payload"), "LOW")
        .doc("The outbox column whose value becomes the record value."),
    key("table.field.event.timestamp", Str, NULL, "MEDIUM")
        .doc("An outbox column to use as the record timestamp instead of the event's ts_ms."),
    key("table.fields.additional.placement", List, NULL, "HIGH")
        .doc("Extra columns as column:placement[:alias], placement being header, envelope or partition."),
    key("table.field.additional.missing", Str, Some("error"), "MEDIUM")
        .doc("When an extra column is missing: error or ignore."),
    key("table.field.event.schema.version", Str, NULL, "LOW")
        .doc("An outbox column holding the version of the value schema."),
    key("route.by.field", Str, Some("aggregatetype"), "HIGH").doc("The outbox column whose value chooses the topic."),
    key("route.topic.regex", Str, Some("(?<routedByValue>.*)"), "LOW")
        .doc("A regular expression applied to the routing value."),
    key("route.topic.replacement", Str, Some("outbox.event.${routedByValue}"), "HIGH")
        .doc("The topic, built from route.topic.regex's groups."),
    key("route.tombstone.on.empty.payload", Boolean, Some("false"), "HIGH")
        .doc("Whether an empty or null payload becomes a tombstone."),
    key("table.op.invalid.behavior", Str, Some("warn"), "MEDIUM")
        .doc("What an update in the outbox table does: warn, error (both skip it) or fatal."),
    key("table.expand.json.payload", Boolean, Some("false"), "MEDIUM").doc("Not supported by Weir."),
    key("table.json.payload.null.behavior", Str, Some("ignore"), "MEDIUM")
        .doc("Used only with table.expand.json.payload."),
    key("table.json.payload.empty.array.behavior", Str, Some("ignore"), "MEDIUM")
        .doc("Used only with table.expand.json.payload."),
];

/// Where an extra column goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placement {
    Header,
    Envelope,
    Partition,
}

#[derive(Debug, Clone)]
struct Additional {
    column: String,
    placement: Placement,
    alias: String,
}

/// What an update (or another unexpected operation) does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Invalid {
    Warn,
    Error,
    Fatal,
}

/// `io.debezium.transforms.outbox.EventRouter`.
pub(crate) struct EventRouter {
    alias: String,
    columns: Columns,
    regex: JavaRegex,
    replacement: Replacement,
    tombstone_on_empty: bool,
    invalid: Invalid,
    plans: SchemaCache<(), Arc<Plan>>,
    values: SchemaCache<(String, Option<i32>), Arc<Schema>>,
}

/// The configured column names.
struct Columns {
    id: String,
    key: String,
    payload: String,
    timestamp: Option<String>,
    version: Option<String>,
    route: String,
    additional: Vec<Additional>,
    missing_is_error: bool,
}

/// Positions in one outbox table's change events.
struct Plan {
    op: usize,
    after: usize,
    ts_ms: Option<usize>,
    row: Arc<Schema>,
    id: usize,
    key: usize,
    payload: usize,
    route: usize,
    /// The timestamp column and the divisor to milliseconds.
    timestamp: Option<(usize, i64)>,
    version: Option<usize>,
    additional: Vec<(usize, Placement, String)>,
}

impl EventRouter {
    /// Reads the config, recording problems in `props`.
    pub(crate) fn build(alias: &str, props: &mut Props<'_>) -> Option<Self> {
        let mut additional = Vec::new();
        for entry in props.list("table.fields.additional.placement", &[]) {
            let parts: Vec<&str> = entry.split(':').map(str::trim).collect();
            let placement = match parts.get(1).map(|p| p.to_ascii_lowercase()).as_deref() {
                Some("header") => Some(Placement::Header),
                Some("envelope") => Some(Placement::Envelope),
                Some("partition") => Some(Placement::Partition),
                _ => None,
            };
            match (placement, &parts[..]) {
                (Some(placement), [column, _] | [column, _, _]) => {
                    let alias = parts.get(2).unwrap_or(column).to_string();
                    additional.push(Additional { column: column.to_string(), placement, alias });
                }
                _ => {
                    let raw = props.raw("table.fields.additional.placement").unwrap_or_default();
                    props.invalid(
                        "table.fields.additional.placement",
                        raw,
                        &format!("{entry} is not column:placement or column:placement:alias with placement header, envelope or partition"),
                    );
                }
            }
        }
        let missing_is_error =
            props.choice("table.field.additional.missing", &["error", "ignore"], "error", true) == "error";
        let columns = Columns {
            id: props.string("table.field.event.id", "id"),
            key: props.string("table.field.event.key", "aggregateid"),
            payload: props.string("table.field.event.payload", "payload"),
            timestamp: props.optional("table.field.event.timestamp").filter(|t| !t.is_empty()),
            version: props.optional("table.field.event.schema.version").filter(|v| !v.is_empty()),
            route: props.string("route.by.field", "aggregatetype"),
            additional,
            missing_is_error,
        };
        let invalid = match props.choice("table.op.invalid.behavior", &["warn", "error", "fatal"], "warn", true) {
            "error" => Invalid::Error,
            "fatal" => Invalid::Fatal,
            _ => Invalid::Warn,
        };
        let tombstone_on_empty = props.boolean("route.tombstone.on.empty.payload", false);
        if props.boolean("table.expand.json.payload", false) {
            props.invalid("table.expand.json.payload", "true", "expanding JSON payloads is not supported by Weir");
        }
        props.choice("table.json.payload.null.behavior", &["ignore", "optional_bytes"], "ignore", true);
        props.choice("table.json.payload.empty.array.behavior", &["ignore", "optional_string"], "ignore", true);
        let pattern = props.string("route.topic.regex", "(?<routedByValue>.*)");
        let replacement = props.string("route.topic.replacement", "outbox.event.${routedByValue}");
        let regex = props.regex("route.topic.regex", &pattern)?;
        let replacement = props.replacement("route.topic.replacement", &regex, &replacement)?;
        Some(Self {
            alias: alias.to_string(),
            columns,
            regex,
            replacement,
            tombstone_on_empty,
            invalid,
            plans: SchemaCache::new(),
            values: SchemaCache::new(),
        })
    }
}

impl Columns {
    fn plan(&self, envelope: &Schema) -> Result<Plan, RecordError> {
        let find = |schema: &Schema, name: &str| {
            field_index(schema, name).ok_or_else(|| RecordError::UnknownField(name.to_string()))
        };
        let after = find(envelope, "after")?;
        let row = envelope.fields[after].1.clone();
        if row.ty != SchemaType::Struct {
            return Err(RecordError::NotStruct { purpose: "Read Outbox Event", found: row.ty.json_name() });
        }
        let route = find(&row, &self.route)?;
        if row.fields[route].1.ty != SchemaType::String {
            let found = row.fields[route].1.ty.json_name();
            return Err(RecordError::FieldType { field: self.route.clone(), expected: "a string", found });
        }
        let timestamp = match &self.timestamp {
            None => None,
            Some(column) => {
                let i = find(&row, column)?;
                let schema = &row.fields[i].1;
                let divisor = match schema.name.as_deref() {
                    Some("io.debezium.time.Timestamp") => 1,
                    Some("io.debezium.time.MicroTimestamp") => 1_000,
                    Some("io.debezium.time.NanoTimestamp") => 1_000_000,
                    other => {
                        let found = other.unwrap_or(schema.ty.json_name()).to_string();
                        return Err(RecordError::TimestampType { field: column.clone(), found });
                    }
                };
                Some((i, divisor))
            }
        };
        let mut additional = Vec::new();
        for a in &self.additional {
            match field_index(&row, &a.column) {
                Some(i) => additional.push((i, a.placement, a.alias.clone())),
                None if self.missing_is_error => return Err(RecordError::UnknownField(a.column.clone())),
                None => {}
            }
        }
        Ok(Plan {
            op: find(envelope, "op")?,
            after,
            ts_ms: field_index(envelope, "ts_ms"),
            id: find(&row, &self.id)?,
            key: find(&row, &self.key)?,
            payload: find(&row, &self.payload)?,
            route,
            timestamp,
            version: self.version.as_deref().map(|v| find(&row, v)).transpose()?,
            additional,
            row,
        })
    }
}

/// Debezium's value schema name: the row schema's namespace, the routing
/// value, then the row schema's simple name (`db.public.outbox.order.Value`).
fn value_schema_name(row: &Schema, routed: &str) -> String {
    match row.name.as_deref() {
        Some(name) => match name.rfind('.') {
            Some(dot) => format!("{}{routed}.{}", &name[..=dot], &name[dot + 1..]),
            None => format!("{routed}.{name}"),
        },
        None => routed.to_string(),
    }
}

impl Transformation for EventRouter {
    fn apply(&mut self, record: &mut SourceRecord) -> Result<Verdict, RecordError> {
        if is_null(record.value.as_ref()) {
            return Ok(Verdict::Drop);
        }
        let Some(envelope) = record.value.as_ref().and_then(|d| d.schema.clone()).filter(|s| is_envelope(s)) else {
            return Ok(Verdict::Keep);
        };
        let plan = self.plans.get_or_build(&envelope, (), || self.columns.plan(&envelope).map(Arc::new))?;
        let Some(data) = record.value.take() else { return Ok(Verdict::Keep) };
        let mut fields = into_struct_fields(&envelope, data.value, "Detect Debezium Operation")?;
        match &fields[plan.op] {
            Value::String(op) if op == "c" || op == "r" => {}
            Value::String(op) if op == "d" => return Ok(Verdict::Drop),
            other => {
                let op = match other {
                    Value::String(op) => op.clone(),
                    other => type_name(other).to_string(),
                };
                match self.invalid {
                    Invalid::Warn => {
                        tracing::warn!(transform = %self.alias, op, "unexpected operation in the outbox table, skipped")
                    }
                    Invalid::Error => {
                        tracing::error!(transform = %self.alias, op, "unexpected operation in the outbox table, skipped")
                    }
                    Invalid::Fatal => return Err(RecordError::UnexpectedOperation(op)),
                }
                return Ok(Verdict::Drop);
            }
        }
        let row = into_struct_fields(
            &plan.row,
            std::mem::replace(&mut fields[plan.after], Value::Null),
            "Read Outbox Event",
        )?;
        // Debezium reads outbox columns with Struct.get, which substitutes defaults for nulls.
        let get = |i: usize| or_default_ref(&row[i], &plan.row.fields[i].1, true);
        let column = |i: usize| plan.row.fields[i].1.clone();
        let routed = match get(plan.route) {
            Value::String(r) => r,
            _ => return Err(RecordError::NullRoute(self.columns.route.clone())),
        };
        let envelope_ts = || match plan.ts_ms.map(|i| &fields[i]) {
            Some(Value::Int64(ts)) => Ok(Some(*ts)),
            Some(_) => Ok(None),
            None => Err(RecordError::UnknownField("ts_ms".into())),
        };
        let timestamp = match plan.timestamp {
            None => envelope_ts()?,
            Some((i, divisor)) => match get(i) {
                Value::Int64(ts) => Some(ts / divisor),
                Value::Null => envelope_ts()?,
                other => {
                    let field = self.columns.timestamp.clone().unwrap_or_default();
                    return Err(RecordError::FieldType { field, expected: "int64", found: type_name(&other) });
                }
            },
        };
        let version = match plan.version.map(get) {
            None | Some(Value::Null) => None,
            Some(Value::Int32(v)) => Some(v),
            Some(other) => {
                let field = self.columns.version.clone().unwrap_or_default();
                return Err(RecordError::FieldType { field, expected: "int32", found: type_name(&other) });
            }
        };
        let payload = get(plan.payload);
        record.headers.push(("id".into(), Some(Data { schema: Some(column(plan.id)), value: get(plan.id) })));
        let mut envelope_fields = Vec::new();
        let mut partition = None;
        for (i, placement, alias) in &plan.additional {
            match placement {
                Placement::Envelope => envelope_fields.push((alias.clone(), column(*i), get(*i))),
                Placement::Header => {
                    record.headers.push((alias.clone(), Some(Data { schema: Some(column(*i)), value: get(*i) })))
                }
                Placement::Partition => match get(*i) {
                    Value::Int32(p) => partition = Some(p),
                    Value::Null => partition = None,
                    other => {
                        let field = plan.row.fields[*i].0.clone();
                        return Err(RecordError::FieldType { field, expected: "int32", found: type_name(&other) });
                    }
                },
            }
        }
        let empty = match &payload {
            Value::Null => true,
            Value::String(s) => s.trim_matches(|c: char| c <= ' ').is_empty(),
            _ => false,
        };
        let only_headers = !self.columns.additional.iter().any(|a| a.placement == Placement::Envelope);
        let value = if empty && self.tombstone_on_empty {
            None
        } else if only_headers {
            Some(Data { schema: Some(column(plan.payload)), value: payload })
        } else {
            let schema = self.values.get_or_build(&envelope, (routed.clone(), version), || {
                let mut schema = blank(SchemaType::Struct, false);
                schema.name = Some(value_schema_name(&plan.row, &routed));
                schema.version = version;
                add_field(&mut schema, "payload", column(plan.payload))?;
                for (alias, field, _) in &envelope_fields {
                    add_field(&mut schema, alias, field.clone())?;
                }
                Ok(Arc::new(schema))
            })?;
            let mut values = vec![payload];
            values.extend(envelope_fields.into_iter().map(|(_, _, v)| v));
            Some(Data { schema: Some(schema), value: Value::Struct(values) })
        };
        record.key = Some(Data { schema: Some(column(plan.key)), value: get(plan.key) });
        record.value = value;
        record.kafka_partition = partition;
        record.timestamp = timestamp;
        record.topic = self.regex.reroute(&routed, &self.replacement).unwrap_or(routed);
        Ok(Verdict::Keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transforms::Chain;
    use crate::transforms::fixtures::{json, prim, record, s, structure};

    fn named(ty: SchemaType, name: &str, optional: bool) -> Arc<Schema> {
        let mut schema = blank(ty, optional);
        schema.name = Some(name.into());
        schema.version = Some(1);
        Arc::new(schema)
    }

    /// `dbserver1.public.outboxevent(id uuid, aggregatetype, aggregateid, type, ts, tenant, payload jsonb)`.
    fn outbox_envelope() -> Arc<Schema> {
        let row = structure(
            Some("dbserver1.public.outboxevent.Value"),
            true,
            vec![
                ("id", named(SchemaType::String, "io.debezium.data.Uuid", false)),
                ("aggregatetype", prim(SchemaType::String, false)),
                ("aggregateid", prim(SchemaType::String, false)),
                ("type", prim(SchemaType::String, false)),
                ("ts", named(SchemaType::Int64, "io.debezium.time.MicroTimestamp", true)),
                ("tenant", prim(SchemaType::Int32, true)),
                ("payload", named(SchemaType::String, "io.debezium.data.Json", true)),
            ],
        );
        let source = structure(
            Some("io.debezium.connector.postgresql.Source"),
            false,
            vec![("table", prim(SchemaType::String, false))],
        );
        structure(
            Some("dbserver1.public.outboxevent.Envelope"),
            false,
            vec![
                ("before", row.clone()),
                ("after", row),
                ("source", source),
                ("op", prim(SchemaType::String, false)),
                ("ts_ms", prim(SchemaType::Int64, true)),
            ],
        )
    }

    fn event(envelope: &Arc<Schema>, op: &str, aggregate: &str, payload: Value) -> SourceRecord {
        let row = Value::Struct(vec![
            s("4f9d3c1e-0000-4000-8000-000000000001"),
            s(aggregate),
            s("42"),
            s("OrderCreated"),
            Value::Int64(1_700_000_000_555_000),
            Value::Int32(3),
            payload,
        ]);
        let (before, after) = if op == "d" { (row, Value::Null) } else { (Value::Null, row) };
        let mut r = record("dbserver1.public.outboxevent");
        r.kafka_partition = Some(0);
        r.value = Some(Data {
            schema: Some(envelope.clone()),
            value: Value::Struct(vec![
                before,
                after,
                Value::Struct(vec![s("outboxevent")]),
                s(op),
                Value::Int64(1_700_000_000_123),
            ]),
        });
        r
    }

    fn chain(pairs: &[(&str, &str)]) -> Result<Chain, Vec<String>> {
        crate::transforms::tests::single("outbox", "io.debezium.transforms.outbox.EventRouter", pairs)
    }

    #[test]
    fn inserts_route_to_the_aggregate_topic() {
        let envelope = outbox_envelope();
        let mut c = chain(&[]).unwrap();
        let out = c.apply(event(&envelope, "c", "order", s(r#"{"id":42}"#))).unwrap().unwrap();
        assert_eq!(out.topic, "outbox.event.order");
        assert_eq!(json(out.key.as_ref()), r#"{"schema":{"type":"string","optional":false},"payload":"42"}"#);
        assert_eq!(
            json(out.value.as_ref()),
            r#"{"schema":{"type":"string","optional":true,"name":"io.debezium.data.Json","version":1},"payload":"{\"id\":42}"}"#
        );
        assert_eq!(out.headers.len(), 1);
        assert_eq!(out.headers[0].0, "id");
        assert_eq!(out.headers[0].1.as_ref().map(|d| &d.value), Some(&s("4f9d3c1e-0000-4000-8000-000000000001")));
        assert_eq!(out.timestamp, Some(1_700_000_000_123));
        assert_eq!(out.kafka_partition, None);
        assert_eq!(
            c.apply(event(&envelope, "r", "customer", s("{}"))).unwrap().unwrap().topic,
            "outbox.event.customer"
        );
    }

    #[test]
    fn deletes_tombstones_and_updates_are_dropped() {
        let envelope = outbox_envelope();
        let mut c = chain(&[]).unwrap();
        assert!(c.apply(event(&envelope, "d", "order", s("{}"))).unwrap().is_none());
        let mut tomb = event(&envelope, "c", "order", s("{}"));
        tomb.value = None;
        assert!(c.apply(tomb).unwrap().is_none());
        assert!(c.apply(event(&envelope, "u", "order", s("{}"))).unwrap().is_none());
        let mut fatal = chain(&[("table.op.invalid.behavior", "fatal")]).unwrap();
        assert!(matches!(
            fatal.apply(event(&envelope, "u", "order", s("{}"))).unwrap_err(),
            crate::transforms::TransformError::Record { source: RecordError::UnexpectedOperation(ref op), .. } if op == "u"
        ));
        let plain = record("heartbeat");
        assert_eq!(c.apply(plain).unwrap().unwrap().topic, "heartbeat");
    }

    #[test]
    fn additional_fields_version_timestamp_and_custom_route() {
        let envelope = outbox_envelope();
        let mut c = chain(&[
            ("table.fields.additional.placement", "type:envelope:eventType,tenant:partition,aggregateid:header:aggId"),
            ("table.field.event.timestamp", "ts"),
            ("table.field.event.schema.version", "tenant"),
            ("route.topic.regex", "(?<kind>order|customer)"),
            ("route.topic.replacement", "events.${kind}s"),
        ])
        .unwrap();
        let first = c.apply(event(&envelope, "c", "order", s("{}"))).unwrap().unwrap();
        assert_eq!(first.topic, "events.orders");
        assert_eq!(first.kafka_partition, Some(3));
        assert_eq!(first.timestamp, Some(1_700_000_000_555));
        assert_eq!(first.headers.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), ["id", "aggId"]);
        assert_eq!(
            json(first.value.as_ref()),
            r#"{"schema":{"type":"struct","fields":[{"type":"string","optional":true,"name":"io.debezium.data.Json","version":1,"field":"payload"},{"type":"string","optional":false,"field":"eventType"}],"optional":false,"name":"dbserver1.public.outboxevent.order.Value","version":3},"payload":{"payload":"{}","eventType":"OrderCreated"}}"#
        );
        let second = c.apply(event(&envelope, "c", "order", s("{}"))).unwrap().unwrap();
        let other = c.apply(event(&envelope, "c", "invoice", s("{}"))).unwrap().unwrap();
        assert_eq!(other.topic, "invoice", "an unmatched routing value is the topic as it is");
        let schema = |r: &SourceRecord| r.value.as_ref().and_then(|v| v.schema.clone()).unwrap();
        assert!(Arc::ptr_eq(&schema(&first), &schema(&second)));
        assert_eq!(schema(&other).name.as_deref(), Some("dbserver1.public.outboxevent.invoice.Value"));
    }

    #[test]
    fn empty_payloads_can_become_tombstones() {
        let envelope = outbox_envelope();
        let mut c = chain(&[("route.tombstone.on.empty.payload", "true")]).unwrap();
        let out = c.apply(event(&envelope, "c", "order", Value::Null)).unwrap().unwrap();
        assert!(out.value.is_none());
        assert!(out.key.is_some());
        let out = c.apply(event(&envelope, "c", "order", s("  "))).unwrap().unwrap();
        assert!(out.value.is_none());
    }

    #[test]
    fn missing_columns_and_config_problems() {
        let envelope = outbox_envelope();
        let mut c = chain(&[("table.field.event.payload", "body")]).unwrap();
        assert!(matches!(
            c.apply(event(&envelope, "c", "order", s("{}"))).unwrap_err(),
            crate::transforms::TransformError::Record { source: RecordError::UnknownField(ref f), .. } if f == "body"
        ));
        assert_eq!(
            chain(&[("table.expand.json.payload", "true")]).unwrap_err(),
            [
                "Invalid value true for configuration transforms.outbox.table.expand.json.payload: expanding JSON payloads is not supported by Weir"
            ]
        );
        assert_eq!(
            chain(&[("table.fields.additional.placement", "type:body")]).unwrap_err(),
            [
                "Invalid value type:body for configuration transforms.outbox.table.fields.additional.placement: type:body is not column:placement or column:placement:alias with placement header, envelope or partition"
            ]
        );
    }
}

//! Test records shaped like the ones Debezium's PostgreSQL connector emits
//! for `dbserver1.inventory.customers`.

use std::sync::Arc;

use super::schema::{blank, primitive};
use crate::record::{Data, Schema, SchemaType, SourceRecord, Value};

pub(crate) fn prim(ty: SchemaType, optional: bool) -> Arc<Schema> {
    primitive(ty, optional)
}

pub(crate) fn structure(name: Option<&str>, optional: bool, fields: Vec<(&str, Arc<Schema>)>) -> Arc<Schema> {
    let mut s = blank(SchemaType::Struct, optional);
    s.name = name.map(str::to_string);
    s.fields = fields.into_iter().map(|(n, f)| (n.to_string(), f)).collect();
    Arc::new(s)
}

pub(crate) fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

pub(crate) fn map(entries: &[(&str, Value)]) -> Value {
    Value::Map(entries.iter().map(|(k, v)| (s(k), v.clone())).collect())
}

/// A record with a schemaless `{"id": 1}` value and no key.
pub(crate) fn record(topic: &str) -> SourceRecord {
    SourceRecord {
        topic: topic.to_string(),
        kafka_partition: None,
        key: None,
        value: Some(Data { schema: None, value: map(&[("id", Value::Int32(1))]) }),
        timestamp: Some(1_700_000_000_200),
        headers: Vec::new(),
        source_partition: r#"{"server":"dbserver1"}"#.into(),
        source_offset: r#"{"lsn":24023128}"#.into(),
    }
}

/// One captured table: its key, row and envelope schemas.
pub(crate) struct Table {
    pub topic: String,
    pub key: Arc<Schema>,
    pub row: Arc<Schema>,
    pub envelope: Arc<Schema>,
    pub name: String,
}

impl Table {
    /// `dbserver1.inventory.customers(id int primary key, first_name, last_name, email)`.
    pub fn customers() -> Self {
        Self::new("dbserver1.inventory.customers", "customers")
    }

    /// A table with the customers' columns under another name.
    pub fn new(topic: &str, table: &str) -> Self {
        let int32 = prim(SchemaType::Int32, false);
        let text = || prim(SchemaType::String, true);
        let key = structure(Some(&format!("{topic}.Key")), false, vec![("id", int32.clone())]);
        let row = structure(
            Some(&format!("{topic}.Value")),
            true,
            vec![("id", int32), ("first_name", text()), ("last_name", text()), ("email", text())],
        );
        let mut snapshot = blank(SchemaType::String, true);
        snapshot.name = Some("io.debezium.data.Enum".into());
        snapshot.version = Some(1);
        snapshot.parameters = vec![(
            "allowed".into(),
            "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental".into(),
        )];
        snapshot.default = Some("false".into());
        let req = |ty| prim(ty, false);
        let opt = |ty| prim(ty, true);
        let source = structure(
            Some("io.debezium.connector.postgresql.Source"),
            false,
            vec![
                ("version", req(SchemaType::String)),
                ("connector", req(SchemaType::String)),
                ("name", req(SchemaType::String)),
                ("ts_ms", req(SchemaType::Int64)),
                ("snapshot", Arc::new(snapshot)),
                ("db", req(SchemaType::String)),
                ("sequence", opt(SchemaType::String)),
                ("ts_us", opt(SchemaType::Int64)),
                ("ts_ns", opt(SchemaType::Int64)),
                ("schema", req(SchemaType::String)),
                ("table", req(SchemaType::String)),
                ("txId", opt(SchemaType::Int64)),
                ("lsn", opt(SchemaType::Int64)),
                ("xmin", opt(SchemaType::Int64)),
            ],
        );
        let mut block = blank(SchemaType::Struct, true);
        block.name = Some("event.block".into());
        block.version = Some(1);
        block.fields = vec![
            ("id".into(), req(SchemaType::String)),
            ("total_order".into(), req(SchemaType::Int64)),
            ("data_collection_order".into(), req(SchemaType::Int64)),
        ];
        let mut envelope = blank(SchemaType::Struct, false);
        envelope.name = Some(format!("{topic}.Envelope"));
        envelope.version = Some(2);
        envelope.fields = vec![
            ("before".into(), row.clone()),
            ("after".into(), row.clone()),
            ("source".into(), source),
            ("transaction".into(), Arc::new(block)),
            ("op".into(), req(SchemaType::String)),
            ("ts_ms".into(), opt(SchemaType::Int64)),
            ("ts_us".into(), opt(SchemaType::Int64)),
            ("ts_ns".into(), opt(SchemaType::Int64)),
        ];
        Self { topic: topic.to_string(), key, row, envelope: Arc::new(envelope), name: table.to_string() }
    }

    /// A row value.
    pub fn row(id: i32, first: &str, last: &str, email: Option<&str>) -> Value {
        Value::Struct(vec![Value::Int32(id), s(first), s(last), email.map_or(Value::Null, s)])
    }

    /// A change event: `op` with the given before and after rows.
    pub fn change(&self, op: &str, before: Option<Value>, after: Option<Value>) -> SourceRecord {
        let id = [&after, &before].into_iter().flatten().find_map(|row| match row {
            Value::Struct(f) => f.first().cloned(),
            _ => None,
        });
        let source = Value::Struct(vec![
            s("3.0.0.Final"),
            s("postgresql"),
            s("dbserver1"),
            Value::Int64(1_700_000_000_000),
            s("false"),
            s("postgres"),
            s("[\"24023000\",\"24023128\"]"),
            Value::Int64(1_700_000_000_000_000),
            Value::Int64(1_700_000_000_000_000_000),
            s("inventory"),
            s(&self.name),
            Value::Int64(767),
            Value::Int64(24_023_128),
            Value::Null,
        ]);
        let envelope = Value::Struct(vec![
            before.unwrap_or(Value::Null),
            after.unwrap_or(Value::Null),
            source,
            Value::Null,
            s(op),
            Value::Int64(1_700_000_000_123),
            Value::Int64(1_700_000_000_123_456),
            Value::Int64(1_700_000_000_123_456_789),
        ]);
        SourceRecord {
            topic: self.topic.clone(),
            kafka_partition: None,
            key: id.map(|id| Data { schema: Some(self.key.clone()), value: Value::Struct(vec![id]) }),
            value: Some(Data { schema: Some(self.envelope.clone()), value: envelope }),
            timestamp: Some(1_700_000_000_200),
            headers: Vec::new(),
            source_partition: r#"{"server":"dbserver1"}"#.into(),
            source_offset: r#"{"lsn":24023128}"#.into(),
        }
    }

    /// The tombstone Debezium sends after a delete.
    pub fn tombstone(&self, id: i32) -> SourceRecord {
        let mut r = self.change("d", None, None);
        r.key = Some(Data { schema: Some(self.key.clone()), value: Value::Struct(vec![Value::Int32(id)]) });
        r.value = None;
        r
    }
}

/// Renders with JsonConverter, schemas enabled.
pub(crate) fn json(data: Option<&Data>) -> String {
    let bytes = crate::convert::Converter::json(true).convert(data).expect("converts").expect("not null");
    String::from_utf8(bytes).expect("utf-8")
}

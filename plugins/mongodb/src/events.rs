//! Building the records the connector emits: change events in the MongoDB
//! envelope (`before`/`after` as JSON strings, `updateDescription`),
//! tombstones, transaction boundaries and heartbeats.

use std::collections::HashMap;
use std::sync::Arc;

use weir_debezium::envelope::{self, Op};
use weir_debezium::source::{Common, SnapshotMarker, SourceNames};
use weir_debezium::{heartbeat, topics::TopicNames, transaction};
use weir_sdk::{Schema, SourceRecord, Value};

/// `io.debezium.data.Json`: a document as a JSON string.
fn json_schema() -> Schema {
    Schema::string().optional().named("io.debezium.data.Json").version(1)
}

/// `io.debezium.connector.mongo.Source`.
pub fn source_schema() -> Arc<Schema> {
    weir_debezium::source::schema(
        "io.debezium.connector.mongo.Source",
        vec![
            ("collection", Schema::string()),
            ("ord", Schema::int32()),
            ("lsid", Schema::string().optional()),
            ("txnNumber", Schema::int64().optional()),
            ("wallTime", Schema::int64().optional()),
        ],
    )
    .shared()
}

/// `updateDescription` (MongoDB change streams), Debezium 3.x field names.
fn update_description_schema() -> Schema {
    let truncated = Schema::structure("io.debezium.connector.mongodb.changestream.truncatedarray")
        .version(1)
        .field("field", Schema::string())
        .field("size", Schema::int32());
    Schema::structure("io.debezium.connector.mongodb.changestream.updatedescription")
        .version(1)
        .optional()
        .field("removedFields", Schema::array(Schema::string()).optional())
        .field("updatedFields", json_schema())
        .field("truncatedArrays", Schema::array(truncated).optional())
}

/// The schemas of one collection's topic.
#[derive(Debug)]
pub struct Collection {
    /// `<prefix>.<db>.<coll>`.
    pub topic: Arc<str>,
    /// `<topic>.Key` `{id: string}`.
    pub key: Arc<Schema>,
    /// `<topic>.Envelope`.
    pub envelope: Arc<Schema>,
}

/// Where an event comes from.
#[derive(Debug, Clone)]
pub struct Source<'a> {
    /// Database.
    pub db: &'a str,
    /// Collection.
    pub collection: &'a str,
    /// Change time, µs since the epoch.
    pub ts_us: i64,
    /// Cluster-time increment, `-1` when unknown.
    pub ord: i32,
    /// Snapshot marker.
    pub snapshot: SnapshotMarker,
    /// Transaction session id (JSON) and number.
    pub txn: Option<(String, i64)>,
    /// Change stream `wallTime`, ms (omitted when 0).
    pub wall_time: Option<i64>,
}

/// `updateDescription`: removed fields, updated fields (JSON), truncated
/// arrays (field, new size).
pub type UpdateDescription = (Vec<String>, String, Vec<(String, i32)>);

/// The parts of one change event.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// `before` JSON.
    pub before: Option<String>,
    /// `after` JSON.
    pub after: Option<String>,
    /// `removedFields`, `updatedFields` JSON, `truncatedArrays`.
    pub update: Option<UpdateDescription>,
}

/// What every record of one connector shares.
#[derive(Debug)]
pub struct Emitter {
    /// Topic names.
    pub topics: TopicNames,
    /// Source partition JSON.
    pub partition: Arc<str>,
    source: Arc<Schema>,
    update_description: Arc<Schema>,
    heartbeat: heartbeat::Schemas,
    tx: transaction::Schemas,
    collections: HashMap<(String, String), Arc<Collection>>,
    /// The `source` names, shared by every event.
    names: SourceNames,
}

impl Emitter {
    /// An emitter for a connector.
    pub fn new(topics: TopicNames, partition: String) -> Self {
        Self {
            names: SourceNames::new("mongodb", topics.prefix()),
            topics,
            partition: partition.into(),
            source: source_schema(),
            update_description: Arc::new(update_description_schema()),
            heartbeat: heartbeat::Schemas::default(),
            tx: transaction::Schemas::default(),
            collections: HashMap::new(),
        }
    }

    /// The schemas of `db.coll`, built once.
    pub fn collection(&mut self, db: &str, coll: &str) -> Arc<Collection> {
        let key = (db.to_string(), coll.to_string());
        if let Some(c) = self.collections.get(&key) {
            return c.clone();
        }
        let topic = self.topics.data(&[db, coll]);
        let mut envelope = Schema::structure(format!("{topic}.Envelope"));
        let json = Arc::new(json_schema());
        envelope.fields = vec![
            ("before".into(), json.clone()),
            ("after".into(), json),
            ("updateDescription".into(), self.update_description.clone()),
            ("source".into(), self.source.clone()),
            ("op".into(), Arc::new(Schema::string().optional())),
            ("ts_ms".into(), Arc::new(Schema::int64().optional())),
            ("transaction".into(), Arc::new(transaction::block_schema())),
        ];
        let c = Arc::new(Collection {
            key: Schema::structure(format!("{topic}.Key")).field("id", Schema::string()).shared(),
            envelope: Arc::new(envelope),
            topic: topic.into(),
        });
        self.collections.insert(key, c.clone());
        c
    }

    fn source_value(&self, at: &Source<'_>) -> Value {
        let (lsid, txn) = match &at.txn {
            Some((l, t)) => (Value::String(l.clone()), Value::Int64(*t)),
            None => (Value::Null, Value::Null),
        };
        Common {
            names: &self.names,
            ts_us: at.ts_us,
            snapshot: at.snapshot,
            db: Value::String(at.db.to_string()),
            sequence: None,
        }
        .value([
            Value::String(at.collection.to_string()),
            Value::Int32(at.ord),
            lsid,
            txn,
            at.wall_time.map_or(Value::Null, Value::Int64),
        ])
    }

    /// A change event.
    pub fn change(
        &mut self,
        op: Op,
        id: String,
        change: Change,
        at: &Source<'_>,
        tx_block: Option<Value>,
        offset: String,
    ) -> SourceRecord {
        let coll = self.collection(at.db, at.collection);
        let now_ms = envelope::now_ns() / 1_000_000;
        let update = change.update.map_or(Value::Null, |(removed, updated, truncated)| {
            Value::Struct(vec![
                if removed.is_empty() {
                    Value::Null
                } else {
                    Value::Array(removed.into_iter().map(Value::String).collect())
                },
                Value::String(updated),
                if truncated.is_empty() {
                    Value::Null
                } else {
                    Value::Array(
                        truncated
                            .into_iter()
                            .map(|(f, n)| Value::Struct(vec![Value::String(f), Value::Int32(n)]))
                            .collect(),
                    )
                },
            ])
        });
        let value = Value::Struct(vec![
            change.before.map_or(Value::Null, Value::String),
            change.after.map_or(Value::Null, Value::String),
            update,
            self.source_value(at),
            op.value(),
            Value::Int64(now_ms),
            tx_block.unwrap_or(Value::Null),
        ]);
        SourceRecord::new(coll.topic.clone(), self.partition.clone(), offset)
            .key(Some(coll.key.clone()), Value::Struct(vec![Value::String(id)]))
            .value(Some(coll.envelope.clone()), value)
            .timestamp(now_ms)
    }

    /// The tombstone after a delete: same key, null value.
    pub fn tombstone(&mut self, db: &str, collection: &str, id: String, offset: String) -> SourceRecord {
        let coll = self.collection(db, collection);
        SourceRecord::new(coll.topic.clone(), self.partition.clone(), offset)
            .key(Some(coll.key.clone()), Value::Struct(vec![Value::String(id)]))
    }

    /// A transaction BEGIN or END record.
    pub fn transaction(&self, key: Value, value: Value, offset: String) -> SourceRecord {
        self.tx.record(&self.topics.transaction(), &self.partition, key, value, offset)
    }

    /// A heartbeat carrying `offset`.
    pub fn heartbeat(&self, offset: String) -> SourceRecord {
        self.heartbeat.record(&self.topics.heartbeat(), &self.partition, self.topics.prefix(), offset)
    }
}

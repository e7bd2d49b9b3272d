//! Building the records the connector emits: change events, tombstones,
//! truncates, logical messages, transaction BEGIN/END and heartbeats.

use std::sync::Arc;

use weir_debezium::envelope::{self, Op};
use weir_debezium::source::{Common, SnapshotMarker, SourceNames};
use weir_debezium::{heartbeat, transaction};
use weir_sdk::{Schema, SourceRecord, Value};

use crate::lsn::PG_EPOCH_OFFSET_US;
use crate::tables::Captured;

/// Where an event comes from in the WAL (or the snapshot).
#[derive(Debug, Clone)]
pub struct Position {
    /// Commit time, µs since the Unix epoch.
    pub ts_us: i64,
    /// Transaction id.
    pub tx_id: Option<i64>,
    /// The event's LSN.
    pub lsn: Option<u64>,
    /// End LSN of the last complete transaction (`sequence`'s first part).
    pub last_commit: Option<u64>,
    /// Snapshot marker.
    pub snapshot: SnapshotMarker,
}

impl Position {
    /// PostgreSQL's commit timestamp (µs since 2000-01-01) as Unix µs.
    pub fn unix_us(pg_ts: i64) -> i64 {
        pg_ts + PG_EPOCH_OFFSET_US
    }

    fn sequence(&self) -> String {
        // Written for every event, so without `format!`.
        let mut out = String::with_capacity(48);
        out.push('[');
        for (i, v) in [self.last_commit, self.lsn].into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match v {
                Some(v) => {
                    out.push('"');
                    weir_json::write_u64(&mut out, v);
                    out.push('"');
                }
                None => out.push_str("null"),
            }
        }
        out.push(']');
        out
    }
}

/// What every record of one connector shares.
#[derive(Debug)]
pub struct Emitter {
    /// `topic.prefix`.
    pub prefix: String,
    /// Source partition JSON.
    pub partition: Arc<str>,
    /// `io.debezium.connector.postgresql.Source`.
    pub source: Arc<Schema>,
    /// The `source` names, shared by every event.
    names: SourceNames,
    /// `db`, shared likewise.
    db_value: Value,
    /// Transaction metadata schemas.
    pub tx: transaction::Schemas,
    /// Heartbeat schemas.
    pub heartbeat: heartbeat::Schemas,
    message_key: Arc<Schema>,
    message_value: Arc<Schema>,
}

impl Emitter {
    /// An emitter for a connector.
    pub fn new(prefix: &str, db: &str, partition: String, binary: &weir_debezium::binary::BinaryMode) -> Self {
        let source = crate::tables::source_schema();
        let message = Schema::structure("io.debezium.connector.postgresql.Message")
            .field("prefix", Schema::string().optional())
            .field("content", binary.schema().optional());
        let message_value = Schema::structure("io.debezium.connector.postgresql.MessageValue")
            .field("op", Schema::string())
            .field("ts_ms", Schema::int64().optional())
            .field("source", (*source).clone())
            .field("transaction", transaction::block_schema())
            .field("message", message)
            .shared();
        Self {
            names: SourceNames::new("postgresql", prefix),
            db_value: Value::shared(db),
            prefix: prefix.to_string(),
            partition: partition.into(),
            source,
            tx: transaction::Schemas::default(),
            heartbeat: heartbeat::Schemas::default(),
            message_key: Schema::structure("io.debezium.connector.postgresql.MessageKey")
                .field("prefix", Schema::string().optional())
                .shared(),
            message_value,
        }
    }

    /// The `source` struct.
    pub fn source_value(&self, schema: &str, table: &str, at: &Position) -> Value {
        Common {
            names: &self.names,
            ts_us: at.ts_us,
            snapshot: at.snapshot,
            db: self.db_value.clone(),
            sequence: Some(at.sequence()),
        }
        .value([
            Value::String(schema.to_string()),
            Value::String(table.to_string()),
            at.tx_id.map_or(Value::Null, Value::Int64),
            at.lsn.map_or(Value::Null, |l| Value::Int64(l as i64)),
            Value::Null,
        ])
    }

    /// A change event for `table`.
    #[allow(clippy::too_many_arguments)]
    pub fn change(
        &self,
        table: &Captured,
        op: Op,
        key: Option<Value>,
        before: Option<Value>,
        after: Option<Value>,
        at: &Position,
        tx_block: Option<Value>,
        offset: String,
    ) -> SourceRecord {
        let source = self.source_value(&table.id.schema, &table.id.table, at);
        self.change_with_source(table, op, key, before, after, source, tx_block, offset, envelope::now_ns())
    }

    /// [`change`](Self::change) with a `source` struct the caller built (a
    /// snapshot shares one between the rows of a table) and the processing
    /// time it read (a snapshot reads it once for several rows).
    #[allow(clippy::too_many_arguments)]
    pub fn change_with_source(
        &self,
        table: &Captured,
        op: Op,
        key: Option<Value>,
        before: Option<Value>,
        after: Option<Value>,
        source: Value,
        tx_block: Option<Value>,
        offset: String,
        now_ns: i64,
    ) -> SourceRecord {
        let value = envelope::value(op, before, after, source, tx_block, now_ns);
        let key = table.key_schema.as_ref().zip(key);
        envelope::record(&table.topic, &self.partition, offset, &table.envelope, value, key, now_ns)
    }

    /// The tombstone after a delete: same key, null value.
    pub fn tombstone(&self, table: &Captured, key: Option<Value>, offset: String) -> SourceRecord {
        envelope::tombstone(&table.topic, &self.partition, offset, table.key_schema.as_ref().zip(key))
    }

    /// A `pg_logical_emit_message` event on `<prefix>.message`.
    pub fn message(
        &self,
        topic: &str,
        prefix: &str,
        content: Value,
        at: &Position,
        tx_block: Option<Value>,
        offset: String,
    ) -> SourceRecord {
        let now_ns = envelope::now_ns();
        let value = Value::Struct(vec![
            Value::String("m".into()),
            Value::Int64(now_ns / 1_000_000),
            self.source_value("", "", at),
            tx_block.unwrap_or(Value::Null),
            Value::Struct(vec![Value::String(prefix.to_string()), content]),
        ]);
        SourceRecord::new(topic, self.partition.clone(), offset)
            .key(Some(self.message_key.clone()), Value::Struct(vec![Value::String(prefix.to_string())]))
            .value(Some(self.message_value.clone()), value)
            .timestamp(now_ns / 1_000_000)
    }

    /// A transaction BEGIN or END record.
    pub fn transaction(&self, topic: &str, key: Value, value: Value, offset: String) -> SourceRecord {
        self.tx.record(topic, &self.partition, key, value, offset)
    }

    /// A heartbeat carrying `offset`.
    pub fn heartbeat(&self, topic: &str, offset: String) -> SourceRecord {
        self.heartbeat.record(topic, &self.partition, &self.prefix, offset)
    }
}

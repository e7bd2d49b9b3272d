//! Building the records the connector emits: change events, tombstones,
//! truncates, schema change events, transaction BEGIN/END and heartbeats.

use std::sync::Arc;

use weir_debezium::envelope::{self, Op};
use weir_debezium::source::{Common, SnapshotMarker, SourceNames};
use weir_debezium::{heartbeat, transaction};
use weir_sdk::{Schema, SourceRecord, Value};

use crate::config::Flavor;
use crate::tables::Captured;

/// Where an event comes from in the binlog (or the snapshot): what the
/// `source` block says.
#[derive(Debug, Clone, Default)]
pub struct Position {
    /// Event time, µs since the Unix epoch (binlog timestamps are seconds).
    pub ts_us: i64,
    /// Server id of the event (0 during the snapshot).
    pub server_id: u32,
    /// The transaction's GTID: a string shared by its events' rows, or null.
    pub gtid: Value,
    /// Binlog file: a string shared by the event's rows.
    pub file: Value,
    /// Position of the event.
    pub pos: u64,
    /// Row within the event.
    pub row: u32,
    /// Thread (connection) id of the transaction.
    pub thread: Option<u32>,
    /// The statement, with `include.query`.
    pub query: Option<String>,
    /// Snapshot marker.
    pub snapshot: SnapshotMarker,
}

/// What every record of one connector shares.
#[derive(Debug)]
pub struct Emitter {
    /// `topic.prefix`.
    pub prefix: String,
    /// Source partition JSON.
    pub partition: Arc<str>,
    /// `io.debezium.connector.<mysql|mariadb>.Source`.
    pub source: Arc<Schema>,
    /// Transaction metadata schemas.
    pub tx: transaction::Schemas,
    /// Heartbeat schemas.
    pub heartbeat: heartbeat::Schemas,
    schema_change_key: Arc<Schema>,
    schema_change_value: Arc<Schema>,
    /// The `source` names, shared by every event.
    names: SourceNames,
}

impl Emitter {
    /// An emitter for a connector.
    pub fn new(flavor: Flavor, prefix: &str, partition: String) -> Self {
        let source = crate::tables::source_schema(flavor);
        Self {
            names: SourceNames::new(flavor.name(), prefix),
            prefix: prefix.to_string(),
            partition: partition.into(),
            schema_change_key: crate::changes::key_schema(flavor.name()),
            schema_change_value: crate::changes::value_schema(flavor.name(), source.clone()),
            source,
            tx: transaction::Schemas::default(),
            heartbeat: heartbeat::Schemas::default(),
        }
    }

    /// The `source` struct.
    pub fn source_value(&self, db: &str, table: Option<&str>, at: &Position) -> Value {
        let table = table.map_or(Value::Null, |t| Value::String(t.to_string()));
        self.source_of(Value::String(db.to_string()), table, at)
    }

    /// The `source` struct of a captured table's event: its names are
    /// shared, not copied per row.
    pub fn table_source(&self, table: &Captured, at: &Position) -> Value {
        self.source_of(table.db.clone(), table.table.clone(), at)
    }

    fn source_of(&self, db: Value, table: Value, at: &Position) -> Value {
        Common { names: &self.names, ts_us: at.ts_us, snapshot: at.snapshot, db, sequence: None }.value([
            table,
            Value::Int64(i64::from(at.server_id)),
            at.gtid.clone(),
            at.file.clone(),
            Value::Int64(i64::try_from(at.pos).unwrap_or(i64::MAX)),
            Value::Int32(i32::try_from(at.row).unwrap_or(i32::MAX)),
            at.thread.map_or(Value::Null, |t| Value::Int64(i64::from(t))),
            at.query.clone().map_or(Value::Null, Value::String),
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
        let source = self.table_source(table, at);
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

    /// A truncate event: no key, no before/after.
    pub fn truncate(&self, table: &Captured, at: &Position, tx_block: Option<Value>, offset: String) -> SourceRecord {
        let source = self.table_source(table, at);
        let now_ns = envelope::now_ns();
        let value = envelope::value(Op::Truncate, None, None, source, tx_block, now_ns);
        envelope::record(&table.topic, &self.partition, offset, &table.envelope, value, None, now_ns)
    }

    /// A schema change event on `<topic.prefix>`: the DDL and what it did
    /// to each table (`tableChanges`).
    pub fn schema_change(
        &self,
        db: &str,
        table: Option<&str>,
        ddl: &str,
        table_changes: Vec<Value>,
        at: &Position,
        offset: String,
    ) -> SourceRecord {
        let now_ms = envelope::now_ns() / 1_000_000;
        let value = crate::changes::value(self.source_value(db, table, at), now_ms, db, ddl, table_changes);
        SourceRecord::new(self.prefix.as_str(), self.partition.clone(), offset)
            .key(Some(self.schema_change_key.clone()), crate::changes::key(db))
            .value(Some(self.schema_change_value.clone()), value)
            .timestamp(now_ms)
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

//! Source records, committed offsets and signals.

use std::sync::Arc;

use crate::{Schema, Value};

/// A record header: a key and an optional schema'd value.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// Header key.
    pub key: String,
    /// Header value and its schema; `None` is a null header.
    pub value: Option<(Option<Arc<Schema>>, Value)>,
}

/// One record produced by a source task.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    /// Destination topic. Shared: a connector hands every record of a table
    /// the same one, which costs a reference count, not a copy.
    pub topic: Arc<str>,
    /// Kafka partition; `None` lets the worker's partitioner choose by key.
    pub kafka_partition: Option<i32>,
    /// Key schema and value; `None` is a null key.
    pub key: Option<(Option<Arc<Schema>>, Value)>,
    /// Value schema and value; `None` is a tombstone.
    pub value: Option<(Option<Arc<Schema>>, Value)>,
    /// Milliseconds since the Unix epoch.
    pub timestamp: Option<i64>,
    /// Headers.
    pub headers: Vec<Header>,
    /// Source partition as a JSON object, e.g. `{"server":"db1"}`; shared as `topic` is.
    pub source_partition: Arc<str>,
    /// Source offset as a JSON object, e.g. `{"lsn":42}`.
    pub source_offset: String,
}

impl SourceRecord {
    /// A record for `topic` with a null key and value, from the given source
    /// partition and offset (both JSON objects).
    pub fn new(
        topic: impl Into<Arc<str>>,
        source_partition: impl Into<Arc<str>>,
        source_offset: impl Into<String>,
    ) -> Self {
        Self {
            topic: topic.into(),
            kafka_partition: None,
            key: None,
            value: None,
            timestamp: None,
            headers: Vec::new(),
            source_partition: source_partition.into(),
            source_offset: source_offset.into(),
        }
    }

    /// Sets the key.
    pub fn key(mut self, schema: Option<Arc<Schema>>, value: impl Into<Value>) -> Self {
        self.key = Some((schema, value.into()));
        self
    }

    /// Sets the value.
    pub fn value(mut self, schema: Option<Arc<Schema>>, value: impl Into<Value>) -> Self {
        self.value = Some((schema, value.into()));
        self
    }

    /// Sets the timestamp (ms since the epoch).
    pub fn timestamp(mut self, millis: i64) -> Self {
        self.timestamp = Some(millis);
        self
    }

    /// Adds a header.
    pub fn header(mut self, key: impl Into<String>, schema: Option<Arc<Schema>>, value: impl Into<Value>) -> Self {
        self.headers.push(Header { key: key.into(), value: Some((schema, value.into())) });
        self
    }
}

/// A source offset the worker has made durable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    /// Source partition (JSON object).
    pub source_partition: String,
    /// Source offset (JSON object).
    pub source_offset: String,
}

/// How an ad-hoc snapshot is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotKind {
    /// Chunked, interleaved with streaming.
    Incremental,
    /// Streaming pauses while the snapshot runs.
    Blocking,
}

/// An ad-hoc snapshot request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotRequest {
    /// Incremental or blocking.
    pub kind: SnapshotKind,
    /// Fully qualified data collections.
    pub data_collections: Vec<String>,
    /// (data collection, filter) pairs.
    pub additional_conditions: Vec<(String, String)>,
}

/// A signal delivered to a running task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signal {
    /// Take an ad-hoc snapshot.
    ExecuteSnapshot(SnapshotRequest),
    /// Stop ad-hoc snapshots of these collections (all when empty).
    StopSnapshot(Vec<String>),
    /// Any other signal: type and JSON data.
    Custom(String, String),
}

//! Durable worker state behind one trait: connector configs and target
//! states, source offsets, the plugins' private key-value state, and the
//! embedded log.
//!
//! The one operation that must be atomic is [`StateStore::append_and_commit`]:
//! records are appended to the embedded log in the same transaction as the
//! offsets they advance, so a crash leaves either both or neither. Offsets
//! are keyed by the connector and the *canonical* JSON of the source
//! partition (keys sorted), so `{"a":1,"b":2}` and `{"b":2,"a":1}` are one
//! partition.
//!
//! redb is the first implementation; a Kafka-topic-backed store for
//! distributed mode would implement the same trait.

mod log_record;
mod redb;

use std::collections::BTreeMap;

pub use self::log_record::LogRecord;
pub use self::redb::RedbStore;

/// Errors from the state store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("state store: {0}")]
    Database(#[from] ::redb::Error),
    /// Stored bytes could not be decoded.
    #[error("state store holds corrupt data for {what}: {reason}")]
    Corrupt {
        /// What was being read.
        what: String,
        /// Why it could not be decoded.
        reason: String,
    },
    /// A JSON document was invalid.
    #[error("invalid JSON for {what}")]
    Json {
        /// What was being parsed.
        what: String,
        /// The parser's error.
        #[source]
        source: serde_json::Error,
    },
}

/// Result with a [`StoreError`].
pub type StoreResult<T> = Result<T, StoreError>;

/// What the operator asked a connector to be (Kafka Connect's target state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TargetState {
    /// Started (shown as RUNNING).
    Running,
    /// Paused: tasks exist but do not poll.
    Paused,
    /// Stopped: no tasks.
    Stopped,
}

/// A connector as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConnector {
    /// Its name.
    pub name: String,
    /// Its config as submitted.
    pub config: BTreeMap<String, String>,
    /// Its target state.
    pub target: TargetState,
}

/// One committed offset: (source partition JSON, source offset JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetEntry {
    /// Source partition, canonical JSON.
    pub partition: String,
    /// Source offset, JSON.
    pub offset: String,
}

/// Durable worker state.
pub trait StateStore: Send + Sync {
    /// Creates or replaces a connector's config and target state.
    fn put_connector(&self, connector: &StoredConnector) -> StoreResult<()>;
    /// Changes a connector's target state.
    fn set_target_state(&self, name: &str, target: TargetState) -> StoreResult<()>;
    /// Removes a connector's config (its offsets stay, as in Kafka Connect).
    fn delete_connector(&self, name: &str) -> StoreResult<()>;
    /// Every stored connector.
    fn connectors(&self) -> StoreResult<Vec<StoredConnector>>;

    /// The committed offset of one source partition.
    fn offset(&self, connector: &str, partition: &str) -> StoreResult<Option<String>>;
    /// Every committed offset of a connector.
    fn offsets(&self, connector: &str) -> StoreResult<Vec<OffsetEntry>>;

    /// Appends `records` to the embedded log and advances `offsets`, in one
    /// durable transaction. Returns the log position of each record.
    fn append_and_commit(
        &self,
        connector: &str,
        records: &[LogRecord],
        offsets: &[OffsetEntry],
    ) -> StoreResult<Vec<u64>>;

    /// Advances `offsets` and records `topics` as active, in one durable
    /// transaction (delivery to Kafka, where the records are not ours to keep).
    fn commit_offsets(&self, connector: &str, offsets: &[OffsetEntry], topics: &[String]) -> StoreResult<()>;

    /// Sets (`Some`) or removes (`None`) committed offsets, as
    /// `PATCH /connectors/{c}/offsets` does.
    fn alter_offsets(&self, connector: &str, entries: &[(String, Option<String>)]) -> StoreResult<()>;
    /// Removes every committed offset and all private plugin state of a
    /// connector, so its next start begins afresh.
    fn reset_connector_state(&self, connector: &str) -> StoreResult<()>;
    /// Topics a connector has produced to since its topics were last reset.
    fn active_topics(&self, connector: &str) -> StoreResult<Vec<String>>;
    /// Forgets a connector's active topics.
    fn reset_active_topics(&self, connector: &str) -> StoreResult<()>;

    /// Reads a connector's private key-value state.
    fn kv_get(&self, connector: &str, key: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Writes a connector's private key-value state, durably.
    fn kv_put(&self, connector: &str, key: &str, value: &[u8]) -> StoreResult<()>;
    /// Deletes one key of a connector's private state.
    fn kv_delete(&self, connector: &str, key: &str) -> StoreResult<()>;
    /// Keys of a connector's private state that start with `prefix`.
    fn kv_keys(&self, connector: &str, prefix: &str) -> StoreResult<Vec<String>>;

    /// Number of records in a topic of the embedded log (what retention left).
    fn log_len(&self, topic: &str) -> StoreResult<u64>;
    /// The first and one-past-the-last offsets of a topic.
    fn log_bounds(&self, topic: &str) -> StoreResult<(u64, u64)>;
    /// Deletes the oldest records of every topic while the topic holds more
    /// than `max_bytes` or were appended more than `max_age_ms` ago; returns
    /// how many were deleted. Offsets are never reused.
    fn enforce_retention(&self, max_bytes: Option<u64>, max_age_ms: Option<i64>, now_ms: i64) -> StoreResult<u64>;
    /// Up to `max` records of a topic from position `from`.
    fn log_read(&self, topic: &str, from: u64, max: usize) -> StoreResult<Vec<(u64, LogRecord)>>;
    /// Topics of the embedded log.
    fn log_topics(&self) -> StoreResult<Vec<String>>;

    /// A stable id generated once per data directory (the cluster id when
    /// there is no Kafka cluster).
    fn cluster_id(&self) -> StoreResult<String>;
}

/// The canonical form of a JSON object: keys sorted at every level, no
/// spaces. Used as the offset key so equal partitions are one key.
pub fn canonical_json(text: &str, what: &str) -> StoreResult<String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|source| StoreError::Json { what: what.to_string(), source })?;
    Ok(canonical_value(&value).to_string())
}

fn canonical_value(value: &serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<(&String, &serde_json::Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k.clone(), canonical_value(v))).collect())
        }
        serde_json::Value::Array(items) => serde_json::Value::Array(items.iter().map(canonical_value).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let a = canonical_json(r#"{"b":1,"a":{"d":2,"c":3}}"#, "t").unwrap();
        let b = canonical_json(r#"{ "a" : {"c":3,"d":2}, "b" : 1 }"#, "t").unwrap();
        assert_eq!(a, b);
        assert_eq!(a, r#"{"a":{"c":3,"d":2},"b":1}"#);
    }

    #[test]
    fn canonical_json_rejects_invalid_json() {
        assert!(matches!(canonical_json("{nope", "partition"), Err(StoreError::Json { .. })));
    }
}

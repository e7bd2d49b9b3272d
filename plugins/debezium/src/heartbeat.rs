//! Heartbeat records: they carry the connector's current offset to
//! `__debezium-heartbeat.<topic.prefix>` so offsets advance while the
//! captured tables are idle.

use std::sync::Arc;

use weir_sdk::{Schema, SourceRecord, Value};

/// Key and value schemas of heartbeat records.
#[derive(Debug, Clone)]
pub struct Schemas {
    /// `io.debezium.connector.common.ServerNameKey` `{serverName}`.
    pub key: Arc<Schema>,
    /// `io.debezium.connector.common.Heartbeat` `{ts_ms}`.
    pub value: Arc<Schema>,
}

impl Default for Schemas {
    fn default() -> Self {
        Self {
            key: Schema::structure("io.debezium.connector.common.ServerNameKey")
                .version(1)
                .field("serverName", Schema::string())
                .shared(),
            value: Schema::structure("io.debezium.connector.common.Heartbeat")
                .version(1)
                .field("ts_ms", Schema::int64())
                .shared(),
        }
    }
}

impl Schemas {
    /// A heartbeat record on `topic` for `server_name` (`topic.prefix`),
    /// carrying `offset`.
    pub fn record(&self, topic: &str, partition: &str, server_name: &str, offset: String) -> SourceRecord {
        let now_ms = crate::envelope::now_ns() / 1_000_000;
        let (key, value) = Self::values(server_name, now_ms);
        SourceRecord::new(topic, partition, offset)
            .key(Some(self.key.clone()), key)
            .value(Some(self.value.clone()), value)
            .timestamp(now_ms)
    }

    /// A heartbeat's key and value.
    pub fn values(server_name: &str, now_ms: i64) -> (Value, Value) {
        (Value::Struct(vec![Value::String(server_name.to_string())]), Value::Struct(vec![Value::Int64(now_ms)]))
    }
}

//! What the worker offers a running plugin: logging, committed offsets, a
//! durable key-value store and metrics.

use crate::bindings::weir::connector::host as wit;

/// Log levels, forwarded to the worker's `tracing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Very detailed.
    Trace,
    /// Detailed.
    Debug,
    /// Normal operation.
    Info,
    /// Something to look at.
    Warn,
    /// Something failed.
    Error,
}

/// Logs a message through the worker, tagged with the connector and task.
pub fn log(level: Level, message: &str) {
    let level = match level {
        Level::Trace => wit::LogLevel::Trace,
        Level::Debug => wit::LogLevel::Debug,
        Level::Info => wit::LogLevel::Info,
        Level::Warn => wit::LogLevel::Warn,
        Level::Error => wit::LogLevel::Error,
    };
    wit::log(level, message);
}

/// Logs at info level.
pub fn info(message: &str) {
    log(Level::Info, message);
}

/// Logs at warn level.
pub fn warn(message: &str) {
    log(Level::Warn, message);
}

/// The last committed offset (a JSON object) for a source partition (a JSON
/// object), as Kafka Connect's `OffsetStorageReader` returns it. Partitions
/// compare as JSON values, so key order and spacing do not matter.
pub fn committed_offset(source_partition: &str) -> Option<String> {
    wit::committed_offset(source_partition)
}

/// Reads the connector's durable private state.
pub fn kv_get(key: &str) -> Option<Vec<u8>> {
    wit::kv_get(key)
}

/// Writes the connector's durable private state; durable when it returns.
pub fn kv_put(key: &str, value: &[u8]) {
    wit::kv_put(key, value);
}

/// Deletes a key from the connector's private state.
pub fn kv_delete(key: &str) {
    wit::kv_delete(key);
}

/// Keys of the private state starting with `prefix`, in order.
pub fn kv_keys(prefix: &str) -> Vec<String> {
    wit::kv_keys(prefix)
}

/// Adds `value` to a counter.
pub fn counter(name: &str, value: f64) {
    wit::metric(name, wit::MetricKind::Counter, value);
}

/// Sets a gauge.
pub fn gauge(name: &str, value: f64) {
    wit::metric(name, wit::MetricKind::Gauge, value);
}

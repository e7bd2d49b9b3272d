//! The smallest Weir connector: a source that counts. Each record's value
//! is the next number; the offset remembers it, so a restart continues.

use std::sync::Arc;
use std::time::{Duration, Instant};

use weir_sdk::{
    Config, ConfigKey, ConfigType, Connector, ConnectorDescriptor, ConnectorError, Schema, SourceRecord, SourceTask,
    export_connectors, host,
};

struct Counter;

impl Connector for Counter {
    fn descriptor(&self) -> ConnectorDescriptor {
        ConnectorDescriptor::source("com.example.CounterConnector", env!("CARGO_PKG_VERSION"))
            .key(ConfigKey::new("topic", ConfigType::String).doc("Topic to write the numbers to"))
    }

    fn open_task(&self, _task_id: u32, config: Config) -> Result<Box<dyn SourceTask>, ConnectorError> {
        // Shared: every record names it, and a clone is a reference count.
        let topic: Arc<str> = config.required("topic")?.into();
        // Resume after the last number that was durably delivered.
        let next = host::committed_offset(PARTITION)
            .and_then(|o| o.trim_start_matches("{\"n\":").trim_end_matches('}').parse::<i64>().ok())
            .map_or(0, |n| n + 1);
        // Built once: a schema crosses into the worker once per task.
        let schema = Schema::int64().shared();
        Ok(Box::new(CounterTask { topic, next, schema }))
    }
}

const PARTITION: &str = "{\"counter\":\"main\"}";

struct CounterTask {
    topic: Arc<str>,
    next: i64,
    schema: Arc<Schema>,
}

impl SourceTask for CounterTask {
    fn poll(&mut self, deadline: Instant) -> Result<Vec<SourceRecord>, ConnectorError> {
        // One record every 100 ms, never waiting past the deadline.
        std::thread::sleep(deadline.saturating_duration_since(Instant::now()).min(Duration::from_millis(100)));
        let n = self.next;
        self.next += 1;
        let record = SourceRecord::new(self.topic.clone(), PARTITION, format!("{{\"n\":{n}}}"))
            .value(Some(self.schema.clone()), n);
        Ok(vec![record])
    }
}

export_connectors!(Counter);

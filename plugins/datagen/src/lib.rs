//! A datagen source connector with the keys of Confluent's
//! `DatagenConnector`: `kafka.topic`, `quickstart` (`users`, `pageviews`,
//! `orders`), `max.interval`, `iterations` and `tasks.max`.
//!
//! Each task's source partition is `{"task.id":N}` and its offset
//! `{"current.iteration":K}`: the number of records it has produced so far.
//! A restarted task resumes from its committed offset, so `iterations` is a
//! total across restarts. Values are a pure function of (quickstart, task,
//! iteration), so a resumed run produces exactly what an uninterrupted one would.

mod quickstart;

use std::sync::Arc;
use std::time::Instant;

use weir_sdk::{
    Config, ConfigKey, ConfigType, Connector, ConnectorDescriptor, ConnectorError, Importance, SourceRecord,
    SourceTask, export_connectors,
};

use quickstart::Quickstart;

// A record here is a handful of small blocks: the SDK's size-class lists
// serve them with about 15% less CPU per record than wasi-libc's allocator.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
// SAFETY: wasm32-wasip2 guests are single-threaded.
static ALLOCATOR: weir_sdk::alloc::SizeClasses = unsafe { weir_sdk::alloc::SizeClasses::new() };

/// The datagen connector class.
pub struct Datagen;

const CLASS: &str = "io.confluent.kafka.connect.datagen.DatagenConnector";

impl Connector for Datagen {
    fn descriptor(&self) -> ConnectorDescriptor {
        ConnectorDescriptor::source(CLASS, env!("CARGO_PKG_VERSION"))
            .key(
                ConfigKey::new("kafka.topic", ConfigType::String)
                    .importance(Importance::High)
                    .doc("Topic to write to")
                    .group("Datagen", 0),
            )
            .key(
                ConfigKey::new("quickstart", ConfigType::String)
                    .default_value("users")
                    .one_of(&["users", "pageviews", "orders"])
                    .importance(Importance::High)
                    .doc("Which data set to generate")
                    .group("Datagen", 1),
            )
            .key(
                ConfigKey::new("max.interval", ConfigType::Long)
                    .default_value("500")
                    .doc("Milliseconds between records, per task")
                    .group("Datagen", 2),
            )
            .key(
                ConfigKey::new("iterations", ConfigType::Int)
                    .default_value("-1")
                    .doc("Records to produce per task across restarts; -1 is unlimited")
                    .group("Datagen", 3),
            )
    }

    fn task_configs(&self, config: &Config, max_tasks: u32) -> Result<Vec<Config>, ConnectorError> {
        Ok((0..max_tasks.max(1))
            .map(|task| {
                let mut c = config.clone();
                c.set("task.id", task.to_string());
                c
            })
            .collect())
    }

    fn open_task(&self, task_id: u32, config: Config) -> Result<Box<dyn SourceTask>, ConnectorError> {
        let topic = config.required("kafka.topic")?.into();
        let quickstart = Quickstart::parse(&config.string_or("quickstart", "users"))?;
        let interval_ms = config.i64_or("max.interval", 500)?.max(0) as u64;
        let iterations = config.i64_or("iterations", -1)?;
        let partition = format!("{{\"task.id\":{task_id}}}");
        let next = match weir_sdk::host::committed_offset(&partition) {
            Some(offset) => parse_iteration(&offset)?,
            None => 0,
        };
        weir_sdk::host::info(&format!("datagen task {task_id} starts at iteration {next} of {iterations}"));
        Ok(Box::new(DatagenTask {
            topic,
            quickstart,
            task_id,
            interval_ms,
            iterations,
            next,
            partition: partition.into(),
            last_emit: None,
        }))
    }
}

fn parse_iteration(offset: &str) -> Result<u64, ConnectorError> {
    let value: serde_json::Value = serde_json::from_str(offset)
        .map_err(|e| ConnectorError::fatal(format!("committed offset {offset} is not JSON: {e}")))?;
    value
        .get("current.iteration")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| ConnectorError::fatal(format!("committed offset {offset} has no current.iteration")))
}

struct DatagenTask {
    topic: Arc<str>,
    quickstart: Quickstart,
    task_id: u32,
    interval_ms: u64,
    iterations: i64,
    /// The iteration the next record gets; also the number produced so far.
    next: u64,
    partition: Arc<str>,
    last_emit: Option<Instant>,
}

impl DatagenTask {
    fn done(&self) -> bool {
        self.iterations >= 0 && self.next >= self.iterations as u64
    }
}

impl SourceTask for DatagenTask {
    fn poll(&mut self, deadline: Instant) -> Result<Vec<SourceRecord>, ConnectorError> {
        if self.done() {
            // Nothing more to produce: wait out the deadline rather than spin.
            let wait = deadline.saturating_duration_since(Instant::now()).min(std::time::Duration::from_millis(100));
            std::thread::sleep(wait);
            return Ok(Vec::new());
        }
        if self.interval_ms == 0 {
            return Ok(self.burst(deadline));
        }
        let interval = std::time::Duration::from_millis(self.interval_ms);
        let mut records = Vec::new();
        while !self.done() {
            let now = Instant::now();
            if let Some(due) = self.last_emit.map(|last| last + interval).filter(|due| *due > now) {
                if due >= deadline || !records.is_empty() {
                    if records.is_empty() {
                        std::thread::sleep(deadline.saturating_duration_since(now));
                    }
                    return Ok(records);
                }
                std::thread::sleep(due - now);
            }
            self.last_emit = Some(Instant::now());
            records.push(self.next_record());
        }
        Ok(records)
    }
}

impl DatagenTask {
    /// The next record, advancing the iteration.
    fn next_record(&mut self) -> SourceRecord {
        let iteration = self.next;
        self.next += 1;
        let mut offset = String::with_capacity(44);
        offset.push_str("{\"current.iteration\":");
        weir_json::write_u64(&mut offset, self.next);
        offset.push('}');
        self.quickstart.record(&self.topic, self.task_id, iteration, &self.partition, offset)
    }

    /// No interval: a full batch as fast as possible, looking at the clock
    /// only every few records (each look is a call into the host).
    fn burst(&mut self, deadline: Instant) -> Vec<SourceRecord> {
        const BATCH: usize = 1000;
        let mut records = Vec::with_capacity(BATCH);
        while records.len() < BATCH && !self.done() {
            records.push(self.next_record());
            if records.len() % 128 == 0 && Instant::now() >= deadline {
                break;
            }
        }
        records
    }
}

export_connectors!(Datagen);

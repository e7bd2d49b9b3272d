//! One source task's life: open, then poll → transform and convert →
//! append records and advance offsets in one durable transaction → tell the
//! task what is committed. Polling runs on the task's thread and delivery on
//! a second one, so the plugin's work and the sink's overlap. Offsets never
//! move before their records are durable, so a crash at any point loses
//! nothing that was committed.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;

mod handoff;

use handoff::{Handoff, Take};

use crate::convert::Converter;
use crate::plugin::ConnectorError;
use crate::record::{OutputFormat, Part, PolledRecord};
use crate::runtime::{
    DisplayChain, Grants, HostServices, Instance, Limits, LoadedPlugin, PolledBatch, Runtime, TaskRef,
};
use crate::sink::{Delivery, Outgoing, Sink};
use crate::store::{LogRecord, OffsetEntry, StateStore};
use crate::transforms::Chain;

/// Connector and task states, as Kafka Connect names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not started yet.
    Unassigned,
    /// Running.
    Running,
    /// Paused by the operator.
    Paused,
    /// Stopped by the operator (connectors only).
    Stopped,
    /// Failed; see the trace.
    Failed,
    /// About to restart.
    Restarting,
}

impl State {
    /// The upper-case name the REST API shows.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unassigned => "UNASSIGNED",
            Self::Running => "RUNNING",
            Self::Paused => "PAUSED",
            Self::Stopped => "STOPPED",
            Self::Failed => "FAILED",
            Self::Restarting => "RESTARTING",
        }
    }
}

/// A state with the failure trace, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// State.
    pub state: State,
    /// Why it failed.
    pub trace: Option<String>,
}

impl Status {
    /// A status without a trace.
    pub fn of(state: State) -> Self {
        Self { state, trace: None }
    }

    /// A FAILED status with a trace.
    pub fn failed(trace: impl Into<String>) -> Self {
        Self { state: State::Failed, trace: Some(trace.into()) }
    }
}

/// How retriable errors are retried: Kafka Connect's `errors.retry.timeout`
/// (0: no retries, -1: forever) and `errors.retry.delay.max.ms`.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Total time to keep retrying, in ms; -1 is unbounded.
    pub timeout_ms: i64,
    /// Longest delay between retries, in ms.
    pub max_delay_ms: u64,
}

/// The first delay; doubled on each retry, as Kafka Connect does.
const RETRY_DELAY_MIN_MS: u64 = 300;

struct RetryState {
    policy: RetryPolicy,
    first_failure: Option<Instant>,
    attempt: u32,
}

impl RetryState {
    fn new(policy: RetryPolicy) -> Self {
        Self { policy, first_failure: None, attempt: 0 }
    }

    fn reset(&mut self) {
        self.first_failure = None;
        self.attempt = 0;
    }

    /// The delay before the next retry, or `None` when retries are exhausted.
    fn next_delay(&mut self) -> Option<Duration> {
        let first = *self.first_failure.get_or_insert_with(Instant::now);
        let elapsed = first.elapsed().as_millis() as u64;
        let delay = RETRY_DELAY_MIN_MS.saturating_mul(1u64 << self.attempt.min(20)).min(self.policy.max_delay_ms);
        self.attempt += 1;
        match self.policy.timeout_ms {
            -1 => Some(Duration::from_millis(delay)),
            t if t <= 0 => None,
            t => {
                let remaining = (t as u64).checked_sub(elapsed)?;
                if remaining == 0 {
                    return None;
                }
                Some(Duration::from_millis(delay.min(remaining)))
            }
        }
    }
}

/// Kafka Connect's error handling for records that fail a stage
/// (`errors.tolerance`, `errors.log.enable`, `errors.log.include.messages`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ErrorPolicy {
    /// `errors.tolerance=all`: skip the record (its offset still advances).
    pub tolerate_all: bool,
    /// Log each failure.
    pub log: bool,
    /// Include the record's topic and key in the log line.
    pub include_messages: bool,
}

/// What the supervisor tells a running task.
#[derive(Debug, Default)]
pub struct TaskControl {
    /// Stop and close.
    pub stop: AtomicBool,
    /// Do not poll until cleared.
    pub paused: AtomicBool,
    /// Set by the task when its thread ends.
    pub finished: AtomicBool,
}

/// Everything a task needs to run.
pub struct TaskSpec {
    /// Connector name.
    pub connector: String,
    /// Task number.
    pub task_id: u32,
    /// Connector class.
    pub class: String,
    /// The plugin that provides the class.
    pub plugin: Arc<LoadedPlugin>,
    /// The task's configuration.
    pub config: BTreeMap<String, String>,
    /// Endpoints it may reach.
    pub grants: Arc<Grants>,
    /// Sandbox limits.
    pub limits: Limits,
    /// Key converter.
    pub key_converter: Converter,
    /// Value converter.
    pub value_converter: Converter,
    /// Retry policy.
    pub retry: RetryPolicy,
    /// Error handling for records.
    pub errors: ErrorPolicy,
    /// The connector's config (its `transforms` and `predicates`).
    pub connector_config: Arc<BTreeMap<String, String>>,
    /// Where records go.
    pub delivery: Delivery,
    /// `offset.flush.timeout.ms`: how long a stopping task waits for outstanding records.
    pub flush_timeout: Duration,
    /// The runtime.
    pub runtime: Arc<Runtime>,
    /// The state store.
    pub store: Arc<dyn StateStore>,
}

/// How long one `poll` may take before it must return.
pub const POLL_TIMEOUT_MS: u32 = 500;

/// Starts a task on its own thread.
pub fn spawn(spec: TaskSpec, status: Arc<Mutex<Status>>, control: Arc<TaskControl>) -> std::io::Result<JoinHandle<()>> {
    let name = format!("task-{}-{}", spec.connector, spec.task_id);
    std::thread::Builder::new().name(name).spawn(move || {
        run(&spec, &status, &control);
        control.finished.store(true, Ordering::SeqCst);
    })
}

fn set(status: &Mutex<Status>, value: Status) {
    if let Ok(mut s) = status.lock() {
        *s = value;
    }
}

fn fail(spec: &TaskSpec, status: &Mutex<Status>, trace: String) {
    tracing::error!(connector = %spec.connector, task = spec.task_id, trace = %trace, "task failed");
    set(status, Status::failed(trace));
}

/// Sleeps up to `d`, waking early when the task is told to stop.
fn sleep_unless_stopped(control: &TaskControl, d: Duration) {
    let end = Instant::now() + d;
    while !control.stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= end {
            return;
        }
        std::thread::sleep((end - now).min(Duration::from_millis(50)));
    }
}

fn run(spec: &TaskSpec, status: &Mutex<Status>, control: &TaskControl) {
    let services = HostServices {
        connector: spec.connector.clone(),
        class: spec.class.clone(),
        task: Some(spec.task_id),
        store: Some(spec.store.clone()),
        metrics: Arc::default(),
    };
    let mut instance = match spec.runtime.instantiate(&spec.plugin, spec.grants.clone(), spec.limits, services) {
        Ok(i) => i,
        Err(e) => return fail(spec, status, e.trace()),
    };
    let chain = match Chain::from_config(&spec.connector_config) {
        Ok(chain) => chain,
        Err(problems) => {
            let messages: Vec<String> = problems.into_iter().map(|p| p.message).collect();
            return fail(spec, status, format!("invalid transforms: {}", messages.join("; ")));
        }
    };
    let sink = match spec.delivery.open(&spec.connector, spec.store.clone()) {
        Ok(sink) => sink,
        Err(e) => return fail(spec, status, DisplayChain(&e).to_string()),
    };
    // With no transform to read them, keys and values JsonConverter would
    // write are written by the task itself, sparing the typed round trip.
    let output = if chain.is_empty() {
        OutputFormat { key: spec.key_converter.task_encoding(), value: spec.value_converter.task_encoding() }
    } else {
        OutputFormat::default()
    };
    let mut retry = RetryState::new(spec.retry);
    let task = loop {
        if control.stop.load(Ordering::SeqCst) {
            return;
        }
        match instance.open_task(&spec.class, spec.task_id, &spec.config, output) {
            Ok(Ok(task)) => break task,
            Ok(Err(ConnectorError::Retriable(message))) => match retry.next_delay() {
                Some(delay) => {
                    tracing::warn!(connector = %spec.connector, task = spec.task_id, error = %message, ?delay, "opening the task failed; retrying");
                    sleep_unless_stopped(control, delay);
                }
                None => return fail(spec, status, exhausted(spec, &message)),
            },
            Ok(Err(e)) => return fail(spec, status, e.to_string()),
            Err(e) => return fail(spec, status, e.trace()),
        }
    };
    retry.reset();
    set(status, Status::of(State::Running));
    tracing::info!(connector = %spec.connector, task = spec.task_id, "task started");

    // Polling (the plugin's work) and delivery (transforms, converters, the
    // sink's durable commit) run on two threads, so neither waits for the
    // other: what was polled is delivered while the next poll runs.
    let handoff = Handoff::<PolledBatch>::new(GATHER_MAX_RECORDS);
    let (reports, delivered) = std::sync::mpsc::channel::<Delivered>();
    let mut failure = std::thread::scope(|scope| {
        let delivery = std::thread::Builder::new()
            .name(format!("deliver-{}-{}", spec.connector, spec.task_id))
            .spawn_scoped(scope, || deliver(spec, control, chain, sink, &handoff, reports));
        if let Err(e) = delivery {
            return Some(format!("could not start the delivery thread: {e}"));
        }
        let failure = poll_loop(spec, status, control, &mut instance, task, &mut retry, &handoff, &delivered);
        // Closing the hand-off tells delivery to flush what is outstanding, as Kafka Connect does on stop.
        handoff.close();
        failure
    });
    // Delivery has ended: tell the task what it made durable, then close it.
    let delivery_failure = hear(spec, &mut instance, task, &delivered);
    failure = failure.or(delivery_failure);
    if let Err(e) = instance.close(task) {
        tracing::warn!(connector = %spec.connector, task = spec.task_id, error = %e, "closing the task failed");
    }
    match failure {
        Some(trace) => fail(spec, status, trace),
        None => tracing::info!(connector = %spec.connector, task = spec.task_id, "task stopped"),
    }
}

/// What the delivery thread reports to the polling thread.
enum Delivered {
    /// These offsets are durable; the task's `commit` hook hears of them.
    Committed(Vec<OffsetEntry>),
    /// Delivery failed; the task fails with this trace.
    Failed(String),
}

/// The most polled records gathered for delivery while it is busy; bounds
/// the task's memory ahead of the sink.
const GATHER_MAX_RECORDS: usize = 2048;

/// Tells the task what delivery made durable (its `commit` hook); returns
/// delivery's failure, which is always its last report.
fn hear(
    spec: &TaskSpec,
    instance: &mut Instance,
    task: TaskRef,
    delivered: &std::sync::mpsc::Receiver<Delivered>,
) -> Option<String> {
    for report in delivered.try_iter() {
        match report {
            Delivered::Committed(committed) => tell_committed(spec, instance, task, &committed),
            Delivered::Failed(trace) => return Some(trace),
        }
    }
    None
}

/// How often delivery commits when no batch arrives (the sink keeps its own
/// flush interval; this only bounds how late an idle task hears of it).
const IDLE_COMMIT_TICK: Duration = Duration::from_millis(100);

/// Polls until told to stop or a failure; returns the failure's trace.
#[allow(clippy::too_many_arguments)]
fn poll_loop(
    spec: &TaskSpec,
    status: &Mutex<Status>,
    control: &TaskControl,
    instance: &mut Instance,
    task: TaskRef,
    retry: &mut RetryState,
    handoff: &Handoff<PolledBatch>,
    delivered: &std::sync::mpsc::Receiver<Delivered>,
) -> Option<String> {
    // Delivery ended early; its report says why.
    let ended = |instance: &mut Instance| {
        hear(spec, instance, task, delivered).or_else(|| Some("delivery stopped unexpectedly".into()))
    };
    while !control.stop.load(Ordering::SeqCst) {
        // A delivery failure ends polling.
        if let Some(trace) = hear(spec, instance, task, delivered) {
            return Some(trace);
        }
        if control.paused.load(Ordering::SeqCst) {
            // Records already polled are still delivered; a paused task only stops polling.
            set(status, Status::of(State::Paused));
            sleep_unless_stopped(control, Duration::from_millis(50));
            continue;
        }
        if status.lock().map(|s| s.state == State::Paused).unwrap_or(false) {
            set(status, Status::of(State::Running));
        }
        let records = match instance.poll(task, POLL_TIMEOUT_MS) {
            Err(e) => return Some(e.trace()),
            Ok(Err(ConnectorError::Retriable(message))) => match retry.next_delay() {
                Some(delay) => {
                    tracing::warn!(connector = %spec.connector, task = spec.task_id, error = %message, ?delay, "retriable error; retrying");
                    sleep_unless_stopped(control, delay);
                    continue;
                }
                None => return Some(exhausted(spec, &message)),
            },
            Ok(Err(e)) => return Some(e.to_string()),
            Ok(Ok(records)) => records,
        };
        retry.reset();
        // Past the hand-off's cap this blocks: that is the task's backpressure.
        if !records.is_empty() && !handoff.put(records) {
            return ended(instance);
        }
    }
    None
}

/// Transforms, converts and delivers each polled batch, committing as the
/// sink allows; on a closed channel, flushes what is outstanding.
fn deliver(
    spec: &TaskSpec,
    control: &TaskControl,
    mut chain: Chain,
    mut sink: Box<dyn Sink>,
    handoff: &Handoff<PolledBatch>,
    reports: std::sync::mpsc::Sender<Delivered>,
) {
    // However delivery ends, a poller waiting for room stops waiting.
    struct Ended<'a>(&'a Handoff<PolledBatch>);
    impl Drop for Ended<'_> {
        fn drop(&mut self) {
            self.0.delivery_ended();
        }
    }
    let _ended = Ended(handoff);
    let report = |r: Delivered| {
        // The polling thread outlives this one (scoped), so the receiver is there.
        let _ = reports.send(r);
    };
    loop {
        match handoff.take(IDLE_COMMIT_TICK) {
            Take::Records(records) => {
                let batch = match outgoing(spec, &mut chain, records) {
                    Ok(batch) => batch,
                    Err(trace) => return report(Delivered::Failed(trace)),
                };
                if let Err(e) = sink.send(batch, &|| control.stop.load(Ordering::SeqCst)) {
                    return report(Delivered::Failed(DisplayChain(&e).to_string()));
                }
            }
            Take::Idle => {}
            Take::Closed => break,
        }
        match sink.commit(false) {
            Ok(committed) if committed.is_empty() => {}
            Ok(committed) => report(Delivered::Committed(committed)),
            Err(e) => return report(Delivered::Failed(DisplayChain(&e).to_string())),
        }
    }
    match sink.flush(spec.flush_timeout) {
        Ok(committed) => report(Delivered::Committed(committed)),
        Err(e) => {
            tracing::warn!(connector = %spec.connector, task = spec.task_id, error = %DisplayChain(&e), "the final flush failed")
        }
    }
}

/// Transforms and converts polled batches for the sink, per
/// `errors.tolerance`: a skipped record still carries its offset. `Err` is
/// the task's failure trace. The records are read out of the batches here,
/// on the delivery thread, so the polling thread is free for the plugin.
fn outgoing(spec: &TaskSpec, chain: &mut Chain, polled: Vec<PolledBatch>) -> Result<Vec<Outgoing>, String> {
    let mut batch = Vec::with_capacity(polled.iter().map(PolledBatch::len).sum());
    for records in polled {
        // Data a plugin sent malformed fails its task, as a trap would.
        for record in records.into_records().map_err(|e| e.to_string())? {
            // Both share the poll's buffers: these are reference counts, not copies.
            let (partition, offset) = (record.source_partition.clone(), record.source_offset.clone());
            match process(spec, chain, record) {
                Ok(record) => batch.push(Outgoing { record, partition, offset }),
                Err(failure) if spec.errors.tolerate_all => {
                    if spec.errors.log {
                        failure.log(spec, true);
                    }
                    batch.push(Outgoing { record: None, partition, offset });
                }
                Err(failure) => {
                    failure.log(spec, false);
                    return Err(format!("Tolerance exceeded in error handler: {failure}"));
                }
            }
        }
    }
    Ok(batch)
}

/// Tells the task which offsets are durable (its `commit` hook).
fn tell_committed(spec: &TaskSpec, instance: &mut Instance, task: TaskRef, committed: &[OffsetEntry]) {
    if committed.is_empty() {
        return;
    }
    match instance.commit(task, committed) {
        Err(e) => {
            tracing::warn!(connector = %spec.connector, task = spec.task_id, error = %e.trace(), "the task's commit hook trapped")
        }
        Ok(Err(e)) => {
            tracing::warn!(connector = %spec.connector, task = spec.task_id, error = %e, "the task's commit hook failed")
        }
        Ok(Ok(())) => {}
    }
}

/// A record that failed in a stage, for the error handler.
struct StageFailure {
    stage: &'static str,
    detail: String,
    topic: String,
    key: Option<String>,
}

impl std::fmt::Display for StageFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "stage {} failed for a record of topic {}: {}", self.stage, self.topic, self.detail)
    }
}

impl StageFailure {
    /// Logs as Kafka Connect's `errors.log.enable` does; the record only with `errors.log.include.messages`.
    fn log(&self, spec: &TaskSpec, tolerated: bool) {
        let record = if spec.errors.include_messages {
            format!(", where source record is = topic={} key={}", self.topic, self.key.as_deref().unwrap_or("null"))
        } else {
            String::new()
        };
        tracing::error!(
            connector = %spec.connector,
            task = spec.task_id,
            tolerated,
            "Error encountered in task {}-{}. Executing stage '{}'{record}: {}",
            spec.connector,
            spec.task_id,
            self.stage,
            self.detail
        );
    }
}

/// Transforms and converts one record; `Ok(None)` when a transform dropped it.
fn process(spec: &TaskSpec, chain: &mut Chain, polled: PolledRecord) -> Result<Option<LogRecord>, StageFailure> {
    let mut record = if chain.is_empty() {
        polled
    } else {
        // `bindings` refuses encoded parts the host did not ask for, and it asks only without transforms.
        let record = polled.into_typed().map_err(|r| StageFailure {
            stage: "TRANSFORMATION",
            detail: "the record arrived encoded, which transforms cannot read".into(),
            topic: r.topic.to_string(),
            key: None,
        })?;
        // The chain consumes the record; its key is kept aside only when a failure would log it.
        let key =
            if spec.errors.include_messages { record.key.as_ref().map(|k| format!("{:?}", k.value)) } else { None };
        match chain.apply(record) {
            Ok(Some(r)) => PolledRecord::from(r),
            Ok(None) => return Ok(None),
            Err(e) => {
                return Err(StageFailure {
                    stage: "TRANSFORMATION",
                    detail: DisplayChain(&e).to_string(),
                    topic: e.topic().to_string(),
                    key,
                });
            }
        }
    };
    let failure = |stage: &'static str, record: &PolledRecord, detail: String| StageFailure {
        stage,
        detail,
        topic: record.topic.to_string(),
        key: record.key.as_ref().map(|k| match k {
            Part::Typed(data) => format!("{:?}", data.value),
            Part::Encoded(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        }),
    };
    // Typed parts go through their converter; encoded ones are already its
    // bytes and move through afterwards, so a failure can still name the key.
    let typed = |converter: &Converter, part: &Option<Part>| match part {
        Some(Part::Typed(data)) => converter.convert(Some(data)).map(|bytes| Some(bytes.map(Bytes::from))),
        _ => Ok(None),
    };
    let key = typed(&spec.key_converter, &record.key).map_err(|e| failure("KEY_CONVERTER", &record, e.to_string()))?;
    let value =
        typed(&spec.value_converter, &record.value).map_err(|e| failure("VALUE_CONVERTER", &record, e.to_string()))?;
    let encoded = |part: Option<Part>| match part {
        Some(Part::Encoded(bytes)) => Some(bytes),
        _ => None,
    };
    let key = key.unwrap_or_else(|| encoded(record.key.take()));
    let value = value.unwrap_or_else(|| encoded(record.value.take()));
    let mut headers = Vec::with_capacity(record.headers.len());
    for (k, v) in &record.headers {
        let bytes = crate::convert::header_bytes(v.as_ref())
            .map_err(|e| failure("HEADER_CONVERTER", &record, format!("header {k}: {e}")))?;
        headers.push((k.clone(), bytes));
    }
    Ok(Some(LogRecord {
        topic: record.topic,
        partition: record.kafka_partition,
        key,
        value,
        timestamp: record.timestamp,
        headers,
        appended_ms: 0,
    }))
}

fn exhausted(spec: &TaskSpec, message: &str) -> String {
    if spec.retry.timeout_ms == 0 {
        format!("retriable error, and errors.retry.timeout is 0 (no retries): {message}")
    } else {
        format!("retriable error persisted past errors.retry.timeout={} ms: {message}", spec.retry.timeout_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_timeout_means_no_retries() {
        let mut r = RetryState::new(RetryPolicy { timeout_ms: 0, max_delay_ms: 60_000 });
        assert_eq!(r.next_delay(), None);
    }

    #[test]
    fn delays_double_up_to_the_maximum() {
        let mut r = RetryState::new(RetryPolicy { timeout_ms: -1, max_delay_ms: 1000 });
        let delays: Vec<u64> = (0..5).map(|_| r.next_delay().unwrap().as_millis() as u64).collect();
        assert_eq!(delays, vec![300, 600, 1000, 1000, 1000]);
    }

    #[test]
    fn retries_end_at_the_timeout() {
        let mut r = RetryState::new(RetryPolicy { timeout_ms: 50, max_delay_ms: 1000 });
        assert!(r.next_delay().unwrap() <= Duration::from_millis(50));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(r.next_delay(), None);
    }
}

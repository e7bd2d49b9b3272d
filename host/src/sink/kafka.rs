//! Delivery to Kafka with one rdkafka producer per task, as Kafka Connect
//! gives each source task its own producer. The producer's own thread
//! serves delivery reports, so acknowledgements arrive while the task polls.
//!
//! Offsets follow delivery reports: a record's offset becomes committable
//! once it and every record polled before it are acknowledged, and the
//! committable offsets are written to redb every `offset.flush.interval.ms`.
//! A full producer queue blocks `send` (the task stops polling) rather than
//! dropping or failing; with Connect's unbounded delivery timeout an
//! unavailable broker is waited for.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::{ClientContext, DefaultClientContext};
use rdkafka::config::{ClientConfig, RDKafkaLogLevel};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};

use super::submitted::Submitted;
use super::{Outgoing, Sink, SinkError, TopicCreation};
use crate::store::{OffsetEntry, StateStore};

/// What a task's Kafka sink needs to know.
#[derive(Clone)]
pub struct KafkaSettings {
    /// Producer settings in librdkafka's names.
    pub producer: BTreeMap<String, String>,
    /// Admin client settings, for topic creation.
    pub admin: BTreeMap<String, String>,
    /// Topic creation, when on for this connector.
    pub topic_creation: Option<TopicCreation>,
    /// `offset.flush.interval.ms`.
    pub flush_interval: Duration,
    /// `errors.tolerance=all`: a record that cannot be delivered is logged and skipped.
    pub tolerate_errors: bool,
}

/// One delivery report: the record's sequence number and, on failure, why.
type Report = (u64, Option<(String, String)>);

/// Collects delivery reports from the producer's polling thread and wakes
/// the task when one arrives (a task blocked on a full queue waits on it).
struct DeliveryContext {
    connector: String,
    reports: Mutex<Vec<Report>>,
    arrived: Condvar,
    /// Set, under `reports`' lock, while the task waits on `arrived`: a
    /// notification is a system call, so reports arriving while nobody waits
    /// (nearly all of them) are only queued.
    waiting: AtomicBool,
}

impl ClientContext for DeliveryContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, message: &str) {
        match level {
            RDKafkaLogLevel::Emerg | RDKafkaLogLevel::Alert | RDKafkaLogLevel::Critical | RDKafkaLogLevel::Error => {
                tracing::error!(target: "weir::kafka", connector = %self.connector, facility = fac, "{message}")
            }
            RDKafkaLogLevel::Warning => {
                tracing::warn!(target: "weir::kafka", connector = %self.connector, facility = fac, "{message}")
            }
            _ => tracing::debug!(target: "weir::kafka", connector = %self.connector, facility = fac, "{message}"),
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        // Broker transport errors are retried by librdkafka; they are worth a warning, not a failure.
        tracing::warn!(target: "weir::kafka", connector = %self.connector, %error, "{reason}");
    }
}

impl ProducerContext for DeliveryContext {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, seq: usize) {
        let failure = match result {
            Ok(_) => None,
            Err((e, message)) => Some((message.topic().to_string(), e.to_string())),
        };
        if let Ok(mut reports) = self.reports.lock() {
            reports.push((seq as u64, failure));
            if self.waiting.load(Ordering::Relaxed) {
                self.arrived.notify_all();
            }
        }
    }
}

/// Delivers one task's records to Kafka.
pub struct KafkaSink {
    connector: String,
    settings: KafkaSettings,
    store: Arc<dyn StateStore>,
    producer: ThreadedProducer<DeliveryContext>,
    admin: Option<AdminClient<DefaultClientContext>>,
    /// Topics this task has checked or created.
    known_topics: HashSet<String>,
    /// Topics delivered to since the last commit (for `GET /connectors/{c}/topics`).
    new_active_topics: BTreeSet<String>,
    /// The topic of the previous record: runs of one topic skip the set lookups.
    last_topic: Option<Arc<str>>,
    submitted: Submitted,
    last_commit: Instant,
    failure: Option<SinkError>,
}

/// How long a blocked `send` waits for the queue between checks for a stop.
const QUEUE_FULL_WAIT: Duration = Duration::from_millis(20);

impl KafkaSink {
    /// Creates the task's producer.
    pub fn new(connector: String, settings: KafkaSettings, store: Arc<dyn StateStore>) -> Result<Self, SinkError> {
        let mut config = ClientConfig::new();
        for (k, v) in &settings.producer {
            config.set(k, v);
        }
        let context = DeliveryContext {
            connector: connector.clone(),
            reports: Mutex::new(Vec::new()),
            arrived: Condvar::new(),
            waiting: AtomicBool::new(false),
        };
        let producer: ThreadedProducer<DeliveryContext> =
            config.create_with_context(context).map_err(|e| SinkError::Setup(e.to_string()))?;
        Ok(Self {
            connector,
            settings,
            store,
            producer,
            admin: None,
            known_topics: HashSet::new(),
            new_active_topics: BTreeSet::new(),
            last_topic: None,
            submitted: Submitted::default(),
            last_commit: Instant::now(),
            failure: None,
        })
    }

    /// Creates `topic` if topic creation is on and this task has not seen it yet.
    fn ensure_topic(&mut self, topic: &str) -> Result<(), SinkError> {
        if self.last_topic.as_deref() == Some(topic) || self.known_topics.contains(topic) {
            return Ok(());
        }
        if let Some(creation) = &self.settings.topic_creation {
            let group = creation.group_for(topic);
            if self.admin.is_none() {
                let mut config = ClientConfig::new();
                for (k, v) in &self.settings.admin {
                    config.set(k, v);
                }
                let admin = config.create().map_err(|e| SinkError::Setup(e.to_string()))?;
                self.admin = Some(admin);
            }
            let Some(admin) = &self.admin else { return Ok(()) };
            let mut new = NewTopic::new(topic, group.partitions, TopicReplication::Fixed(group.replication_factor));
            for (k, v) in &group.configs {
                new = new.set(k, v);
            }
            let options = AdminOptions::new().request_timeout(Some(Duration::from_secs(30)));
            let err = |reason: String| SinkError::TopicCreation { topic: topic.to_string(), reason };
            let results =
                futures_executor::block_on(admin.create_topics([&new], &options)).map_err(|e| err(e.to_string()))?;
            for result in results {
                match result {
                    Ok(_) => tracing::info!(
                        connector = %self.connector,
                        topic,
                        group = group.name(),
                        partitions = group.partitions,
                        replication_factor = group.replication_factor,
                        "created topic"
                    ),
                    Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                    Err((_, code)) => return Err(err(code.to_string())),
                }
            }
        }
        self.known_topics.insert(topic.to_string());
        Ok(())
    }

    /// Takes the delivery reports that arrived, waiting up to `timeout` for one.
    fn serve(&mut self, timeout: Duration) {
        let context = self.producer.context();
        let reports = {
            let Ok(mut reports) = context.reports.lock() else { return };
            if reports.is_empty() && !timeout.is_zero() {
                context.waiting.store(true, Ordering::Relaxed);
                reports = match context.arrived.wait_timeout(reports, timeout) {
                    Ok((r, _)) => r,
                    Err(_) => return,
                };
                context.waiting.store(false, Ordering::Relaxed);
            }
            std::mem::take(&mut *reports)
        };
        for (seq, failure) in reports {
            match failure {
                None => self.submitted.ack(seq),
                Some((topic, reason)) if self.settings.tolerate_errors => {
                    tracing::error!(connector = %self.connector, topic, error = %reason,
                        "delivering a record failed; skipped (errors.tolerance=all)");
                    self.submitted.ack(seq);
                }
                Some((topic, reason)) => {
                    if self.failure.is_none() {
                        self.failure = Some(SinkError::Delivery { topic, reason });
                    }
                }
            }
        }
    }

    fn take_failure(&mut self) -> Result<(), SinkError> {
        match self.failure.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Sink for KafkaSink {
    fn send(&mut self, batch: Vec<Outgoing>, stopping: &dyn Fn() -> bool) -> Result<(), SinkError> {
        for out in batch {
            let Some(record) = out.record else {
                self.submitted.push(out.partition, &out.offset, true);
                continue;
            };
            self.ensure_topic(&record.topic)?;
            let seq = self.submitted.push(out.partition, &out.offset, false);
            let mut message = BaseRecord::<[u8], [u8], usize>::with_opaque_to(&record.topic, seq as usize);
            if let Some(key) = record.key.as_deref() {
                message = message.key(key);
            }
            if let Some(value) = record.value.as_deref() {
                message = message.payload(value);
            }
            if let Some(partition) = record.partition {
                message = message.partition(partition);
            }
            if let Some(ts) = record.timestamp {
                message = message.timestamp(ts);
            }
            if !record.headers.is_empty() {
                let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
                for (key, value) in &record.headers {
                    headers = headers.insert(Header { key: key.as_str(), value: value.as_deref() });
                }
                message = message.headers(headers);
            }
            loop {
                match self.producer.send(message) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), returned)) => {
                        // Backpressure: wait for deliveries to make room instead of dropping.
                        self.serve(QUEUE_FULL_WAIT);
                        self.take_failure()?;
                        if stopping() {
                            return Ok(());
                        }
                        message = returned;
                    }
                    Err((e, _)) if self.settings.tolerate_errors => {
                        tracing::error!(connector = %self.connector, topic = %record.topic, error = %e,
                            "producing a record failed; skipped (errors.tolerance=all)");
                        self.submitted.ack(seq);
                        break;
                    }
                    Err((e, _)) => {
                        return Err(SinkError::Delivery { topic: record.topic.to_string(), reason: e.to_string() });
                    }
                }
            }
            if self.last_topic.as_deref() != Some(&*record.topic) {
                self.new_active_topics.insert(record.topic.to_string());
                self.last_topic = Some(record.topic);
            }
        }
        self.serve(Duration::ZERO);
        self.take_failure()
    }

    fn commit(&mut self, force: bool) -> Result<Vec<OffsetEntry>, SinkError> {
        self.serve(Duration::ZERO);
        self.take_failure()?;
        if !force && self.last_commit.elapsed() < self.settings.flush_interval {
            return Ok(Vec::new());
        }
        self.last_commit = Instant::now();
        let offsets = self.submitted.take_acked_prefix();
        let topics: Vec<String> = std::mem::take(&mut self.new_active_topics).into_iter().collect();
        if !offsets.is_empty() || !topics.is_empty() {
            self.store.commit_offsets(&self.connector, &offsets, &topics)?;
        }
        Ok(offsets)
    }

    fn flush(&mut self, timeout: Duration) -> Result<Vec<OffsetEntry>, SinkError> {
        if let Err(e) = self.producer.flush(timeout) {
            tracing::warn!(connector = %self.connector, error = %e, outstanding = self.submitted.len(),
                "not every record was delivered before the flush timeout; their offsets are not committed");
        }
        self.commit(true)
    }
}

/// The Kafka cluster's id (what `GET /` reports as `kafka_cluster_id`), asked
/// of the cluster with the admin client's settings.
pub fn cluster_id(admin: &BTreeMap<String, String>, timeout: Duration) -> Result<String, SinkError> {
    let mut config = ClientConfig::new();
    for (k, v) in admin {
        config.set(k, v);
    }
    let client: AdminClient<DefaultClientContext> = config.create().map_err(|e| SinkError::Setup(e.to_string()))?;
    client
        .inner()
        .fetch_cluster_id(timeout)
        .ok_or_else(|| SinkError::Setup(format!("the cluster did not answer within {} s", timeout.as_secs())))
}

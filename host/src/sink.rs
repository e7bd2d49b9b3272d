//! Where converted records go, and when their offsets may move.
//!
//! A task hands each polled batch to its [`Sink`]: the embedded log (records
//! and offsets in one redb transaction) or Kafka (offsets move only for
//! records the broker acknowledged). Every polled record takes part, also
//! the ones a transform dropped or an error tolerance skipped, so their
//! offsets advance in order with the rest.

mod client_config;
mod embedded;
mod kafka;
mod submitted;
mod topic_creation;

use std::sync::Arc;
use std::time::Duration;

pub use self::client_config::{
    ClientConfigError, OverridePolicy, PRODUCER_OVERRIDE, admin_settings, producer_settings,
};
pub use self::embedded::EmbeddedLog;
pub use self::kafka::{KafkaSettings, KafkaSink, cluster_id};
pub use self::topic_creation::TopicCreation;
use crate::record::SharedText;
use crate::store::{LogRecord, OffsetEntry, StoreError};

/// One polled record on its way out.
#[derive(Debug)]
pub struct Outgoing {
    /// The converted record; `None` when it was dropped (filtered or skipped).
    pub record: Option<LogRecord>,
    /// Its source partition (JSON).
    pub partition: Arc<str>,
    /// Its source offset (JSON).
    pub offset: SharedText,
}

/// Errors delivering records.
#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    /// The state store failed.
    #[error("writing to the state store failed")]
    Store(#[from] StoreError),
    /// The Kafka client could not be set up.
    #[error("setting up the Kafka producer failed: {0}")]
    Setup(String),
    /// A record could not be delivered and errors are not tolerated.
    #[error("delivering a record to topic {topic} failed: {reason}")]
    Delivery {
        /// The topic.
        topic: String,
        /// librdkafka's error.
        reason: String,
    },
    /// Client settings are invalid.
    #[error(transparent)]
    Config(#[from] ClientConfigError),
    /// A topic could not be created.
    #[error("creating topic {topic} failed: {reason}")]
    TopicCreation {
        /// The topic.
        topic: String,
        /// Why.
        reason: String,
    },
}

/// A destination for a task's records.
pub trait Sink: Send {
    /// Takes a polled batch. Blocks while the destination is full (that is the
    /// task's backpressure) unless `stopping` turns true.
    fn send(&mut self, batch: Vec<Outgoing>, stopping: &dyn Fn() -> bool) -> Result<(), SinkError>;

    /// Makes durable the offsets of everything delivered so far, when the
    /// flush interval has passed or `force` is set, and returns them (for the
    /// task's `commit` hook); empty when nothing moved.
    fn commit(&mut self, force: bool) -> Result<Vec<OffsetEntry>, SinkError>;

    /// Waits up to `timeout` for outstanding records, then commits what was delivered.
    fn flush(&mut self, timeout: Duration) -> Result<Vec<OffsetEntry>, SinkError>;
}

/// Where a connector's tasks deliver.
#[derive(Clone)]
pub enum Delivery {
    /// The embedded log (no `bootstrap.servers`).
    Embedded,
    /// A Kafka cluster.
    Kafka(KafkaSettings),
    /// Nowhere: records are dropped after conversion, offsets are kept
    /// (`weir.delivery.discard=true`, for benchmarks).
    Discard,
}

impl Delivery {
    /// Opens a task's sink.
    pub fn open(
        &self,
        connector: &str,
        store: std::sync::Arc<dyn crate::store::StateStore>,
    ) -> Result<Box<dyn Sink>, SinkError> {
        Ok(match self {
            Self::Embedded => Box::new(EmbeddedLog::new(connector.to_string(), store, true)),
            Self::Kafka(settings) => Box::new(KafkaSink::new(connector.to_string(), settings.clone(), store)?),
            Self::Discard => Box::new(EmbeddedLog::new(connector.to_string(), store, false)),
        })
    }
}

/// The last offset of each source partition among `entries`, in first-seen
/// order. Only those last ones are copied out: a batch's records mostly share
/// one partition string (the same pointer), so the scan is cheap.
fn last_offsets<'a, O: ToString>(entries: impl IntoIterator<Item = (&'a str, O)>) -> Vec<OffsetEntry> {
    let mut last: Vec<(&str, O)> = Vec::new();
    for (partition, offset) in entries {
        match last.iter_mut().find(|(p, _)| std::ptr::eq(*p, partition) || *p == partition) {
            Some(entry) => entry.1 = offset,
            None => last.push((partition, offset)),
        }
    }
    last.into_iter().map(|(p, o)| OffsetEntry { partition: p.to_string(), offset: o.to_string() }).collect()
}

//! The embedded log: each batch's records and the offsets they advance go
//! into redb in one transaction, so a crash keeps both or neither and the
//! log never holds a duplicate. Without `keep_records`
//! (`weir.delivery.discard=true`, for benchmarks) only the offsets are kept.

use std::sync::Arc;
use std::time::Duration;

use super::{Outgoing, Sink, SinkError, last_offsets};
use crate::store::{OffsetEntry, StateStore};

/// Delivers to the embedded log.
pub struct EmbeddedLog {
    connector: String,
    store: Arc<dyn StateStore>,
    /// False: records are dropped after conversion.
    keep_records: bool,
    /// Offsets committed since the task's hook last heard of them.
    committed: Vec<OffsetEntry>,
}

impl EmbeddedLog {
    /// A sink writing for `connector`; records are stored when `keep_records`.
    pub fn new(connector: String, store: Arc<dyn StateStore>, keep_records: bool) -> Self {
        Self { connector, store, keep_records, committed: Vec::new() }
    }
}

impl Sink for EmbeddedLog {
    fn send(&mut self, batch: Vec<Outgoing>, _stopping: &dyn Fn() -> bool) -> Result<(), SinkError> {
        let offsets = last_offsets(batch.iter().map(|o| (&*o.partition, &o.offset)));
        if self.keep_records {
            let records: Vec<_> = batch.into_iter().filter_map(|o| o.record).collect();
            self.store.append_and_commit(&self.connector, &records, &offsets)?;
        } else {
            self.store.commit_offsets(&self.connector, &offsets, &[])?;
        }
        let merged = self.committed.iter().chain(&offsets).map(|o| (o.partition.as_str(), &o.offset));
        self.committed = last_offsets(merged);
        Ok(())
    }

    fn commit(&mut self, _force: bool) -> Result<Vec<OffsetEntry>, SinkError> {
        Ok(std::mem::take(&mut self.committed))
    }

    fn flush(&mut self, _timeout: Duration) -> Result<Vec<OffsetEntry>, SinkError> {
        self.commit(true)
    }
}

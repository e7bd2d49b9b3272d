//! The task: decides whether to snapshot, runs the snapshot, then streams;
//! reconnects with backoff when the server goes away.

use std::time::{Duration, Instant};

use weir_debezium::backoff::Backoff;
use weir_sdk::{ConnectorError, SourceRecord, SourceTask};

use crate::config::{MongoConfig, SnapshotMode};
use crate::error::MongoError;
use crate::events::Emitter;
use crate::offsets::{self, Offset};
use crate::snapshot::{Snapshot, captured_collections};
use crate::stream::{Start, Stream};
use crate::wire::MongoConn;

enum Phase {
    Snapshot(Box<Snapshot>),
    Streaming(Box<Stream>),
    /// `initial_only` finished: nothing more to do.
    Done,
    /// The server went away; try again when the backoff says.
    Reconnect(Backoff),
}

/// A running MongoDB task.
pub struct MongoTask {
    config: MongoConfig,
    emitter: Emitter,
    conn: Option<MongoConn>,
    phase: Phase,
    /// The offset of the last record handed to the worker (or committed).
    last_offset: Option<Offset>,
    next_heartbeat: Option<Instant>,
}

fn log(msg: &str) {
    crate::log_info(msg);
}

impl MongoTask {
    /// Opens the task: connects and plans from the committed offset.
    pub fn open(config: MongoConfig) -> Result<Self, ConnectorError> {
        let partition = offsets::partition(config.common.topics.prefix());
        let committed = weir_sdk::host::committed_offset(&partition).and_then(|o| Offset::parse(&o));
        let emitter = Emitter::new(config.common.topics.clone(), partition);
        let heartbeat = (config.common.heartbeat_interval_ms > 0)
            .then(|| Instant::now() + Duration::from_millis(config.common.heartbeat_interval_ms));
        let mut task =
            Self { config, emitter, conn: None, phase: Phase::Done, last_offset: committed, next_heartbeat: heartbeat };
        task.phase = match task.plan() {
            Ok(phase) => phase,
            Err(e) if e.is_transient() => {
                weir_sdk::host::warn(&format!("MongoDB not reachable ({e}); retrying"));
                Phase::Reconnect(Backoff::start())
            }
            Err(e) => return Err(task.fatal(e)),
        };
        Ok(task)
    }

    fn conn(&mut self) -> Result<&mut MongoConn, MongoError> {
        if self.conn.is_none() {
            self.conn = Some(MongoConn::connect(&self.config.connection, self.config.connect_timeout)?);
        }
        self.conn.as_mut().ok_or(MongoError::Closed)
    }

    /// A non-transient error as the task's failure, with advice where an
    /// operator can act on it.
    fn fatal(&self, e: MongoError) -> ConnectorError {
        if e.is_history_lost() {
            let token = self.last_offset.as_ref().and_then(|o| o.resume_token.clone()).unwrap_or_default();
            return ConnectorError::fatal(format!(
                "MongoDB: the change stream cannot resume from the stored resume token {token}: {e}. \
                 The server's oplog no longer holds that position, so changes made since were lost to this connector. \
                 Set snapshot.mode=when_needed to take a new snapshot automatically, or stop the connector, \
                 reset its offsets (DELETE /connectors/<name>/offsets) and start it again; \
                 a larger oplog (replSetResizeOplog) avoids this"
            ));
        }
        e.into()
    }

    /// Decides from the last known offset: snapshot, or stream.
    fn plan(&mut self) -> Result<Phase, MongoError> {
        let offset = self.last_offset.clone();
        let unfinished = offset.as_ref().is_some_and(|o| o.initsync);
        let snapshot = match self.config.snapshot_mode {
            SnapshotMode::Always => true,
            SnapshotMode::Initial | SnapshotMode::InitialOnly | SnapshotMode::WhenNeeded => {
                offset.is_none() || unfinished
            }
            SnapshotMode::NoData | SnapshotMode::Never => false,
        };
        if !snapshot && self.config.snapshot_mode == SnapshotMode::InitialOnly {
            log("snapshot.mode=initial_only and the snapshot is complete: nothing to stream");
            return Ok(Phase::Done);
        }
        if snapshot {
            return self.start_snapshot();
        }
        let start = offset.as_ref().map_or(Start::Now, Start::from_offset);
        let config = self.config.clone();
        match Stream::open(self.conn()?, &config, start, 0) {
            Ok(stream) => {
                log("Streaming changes");
                Ok(Phase::Streaming(Box::new(stream)))
            }
            Err(e) if e.is_history_lost() && self.config.snapshot_mode == SnapshotMode::WhenNeeded => {
                weir_sdk::host::warn(&format!(
                    "Stored resume token is gone ({e}); snapshot.mode=when_needed: snapshotting again"
                ));
                self.start_snapshot()
            }
            Err(e) => Err(e),
        }
    }

    fn start_snapshot(&mut self) -> Result<Phase, MongoError> {
        let config = self.config.clone();
        let conn = self.conn()?;
        let collections = captured_collections(conn, &config)?;
        log(&format!("Snapshot of {} collection(s) starting", collections.len()));
        Ok(Phase::Snapshot(Box::new(Snapshot::begin(conn, &config, collections)?)))
    }

    fn step(&mut self, deadline: Instant, out: &mut Vec<SourceRecord>) -> Result<(), MongoError> {
        match &mut self.phase {
            Phase::Done => {
                std::thread::sleep(deadline.saturating_duration_since(Instant::now()).min(Duration::from_millis(500)));
                Ok(())
            }
            Phase::Reconnect(backoff) => {
                if !backoff.wait(deadline) {
                    return Ok(());
                }
                let backoff = *backoff;
                self.conn = None;
                match self.plan() {
                    Ok(phase) => {
                        log("Reconnected to MongoDB");
                        self.phase = phase;
                        Ok(())
                    }
                    Err(e) if e.is_transient() => {
                        let next = backoff.next();
                        weir_sdk::host::warn(&format!(
                            "MongoDB still unavailable ({e}); retrying in {} ms",
                            next.delay().as_millis()
                        ));
                        self.phase = Phase::Reconnect(next);
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            Phase::Snapshot(snapshot) => {
                let conn = self.conn.as_mut().ok_or(MongoError::Closed)?;
                let done = snapshot.read(conn, &self.config, &mut self.emitter, out)?;
                if done {
                    let start = snapshot.start.clone();
                    log("Snapshot complete");
                    if self.config.snapshot_mode == SnapshotMode::InitialOnly {
                        self.phase = Phase::Done;
                        return Ok(());
                    }
                    let config = self.config.clone();
                    let conn = self.conn.as_mut().ok_or(MongoError::Closed)?;
                    self.phase = Phase::Streaming(Box::new(Stream::open(conn, &config, Start::After(start), 0)?));
                }
                Ok(())
            }
            Phase::Streaming(stream) => {
                let conn = self.conn.as_mut().ok_or(MongoError::Closed)?;
                stream.poll(conn, &self.config, &mut self.emitter, deadline, out)
            }
        }
    }

    fn heartbeat(&mut self, out: &mut Vec<SourceRecord>) {
        let Some(at) = self.next_heartbeat else { return };
        if Instant::now() < at {
            return;
        }
        self.next_heartbeat = Some(Instant::now() + Duration::from_millis(self.config.common.heartbeat_interval_ms));
        if let Phase::Streaming(stream) = &self.phase
            && stream.position.resume_token.is_some()
        {
            out.push(self.emitter.heartbeat(stream.position.to_json()));
        }
    }
}

impl SourceTask for MongoTask {
    fn poll(&mut self, deadline: Instant) -> Result<Vec<SourceRecord>, ConnectorError> {
        let mut out = Vec::new();
        match self.step(deadline, &mut out) {
            Ok(()) => {}
            Err(e) if e.is_transient() => {
                // The records read before the failure are kept: the plan
                // resumes after the last of them.
                weir_sdk::host::warn(&format!("Lost the MongoDB connection ({e}); reconnecting"));
                if let Some(last) = out.last().and_then(|r| Offset::parse(&r.source_offset)) {
                    self.last_offset = Some(last);
                } else if let Phase::Streaming(s) = &self.phase
                    && s.position.resume_token.is_some()
                {
                    self.last_offset = Some(s.position.clone());
                }
                self.conn = None;
                self.phase = Phase::Reconnect(Backoff::start());
            }
            Err(e) if e.is_history_lost() && self.config.snapshot_mode == SnapshotMode::WhenNeeded => {
                weir_sdk::host::warn(&format!(
                    "Change stream history lost ({e}); snapshot.mode=when_needed: snapshotting again"
                ));
                self.last_offset = None;
                self.phase = Phase::Reconnect(Backoff::now());
            }
            Err(e) => return Err(self.fatal(e)),
        }
        if let Some(last) = out.last().and_then(|r| Offset::parse(&r.source_offset)) {
            self.last_offset = Some(last);
        }
        self.heartbeat(&mut out);
        Ok(out)
    }

    fn close(&mut self) {
        if let (Phase::Streaming(stream), Some(conn)) = (&mut self.phase, self.conn.as_mut()) {
            stream.close(conn);
        }
        self.conn = None;
    }
}

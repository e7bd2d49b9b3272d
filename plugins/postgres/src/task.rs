//! The task: decides whether to snapshot, runs the snapshot, then streams;
//! reconnects with backoff when the database goes away.

use std::time::{Duration, Instant};

use weir_debezium::backoff::Backoff;
use weir_sdk::{CommittedOffset, ConnectorError, SourceRecord, SourceTask};

use crate::catalog::{self, TableId, TypeCache};
use crate::config::{Autocreate, PgConfig, SnapshotMode};
use crate::error::PgError;
use crate::events::Emitter;
use crate::lsn;
use crate::offsets::{self, Offset};
use crate::snapshot::Snapshot;
use crate::stream::Stream;
use crate::tables::Captured;
use crate::wire::{PgConn, ident, literal};

enum Phase {
    Snapshot {
        snapshot: Box<Snapshot>,
        repl: PgConn,
    },
    Streaming(Box<Stream>),
    /// `initial_only` finished: nothing more to do.
    Done,
    /// The database went away; try again when the backoff says.
    Reconnect(Backoff),
}

/// A running PostgreSQL task.
pub struct PgTask {
    config: PgConfig,
    emitter: Emitter,
    query: Option<PgConn>,
    types: TypeCache,
    phase: Phase,
    /// The offset of the last record handed to the worker.
    last_offset: Option<Offset>,
    next_heartbeat: Option<Instant>,
}

fn log(msg: &str) {
    crate::log_info(msg);
}

impl PgTask {
    /// Opens the task: connects and plans from the committed offset.
    pub fn open(config: PgConfig) -> Result<Self, ConnectorError> {
        let partition = offsets::partition(config.common.topics.prefix());
        let committed = weir_sdk::host::committed_offset(&partition).and_then(|o| Offset::parse(&o));
        let emitter =
            Emitter::new(config.common.topics.prefix(), &config.connect.dbname, partition, &config.modes.binary);
        let heartbeat = (config.common.heartbeat_interval_ms > 0)
            .then(|| Instant::now() + Duration::from_millis(config.common.heartbeat_interval_ms));
        let mut task = Self {
            config,
            emitter,
            query: None,
            types: TypeCache::default(),
            phase: Phase::Done,
            last_offset: committed,
            next_heartbeat: heartbeat,
        };
        task.phase = match task.plan() {
            Ok(phase) => phase,
            // The server restarting, or the slot still held by a walsender
            // that has not noticed its client died: try again shortly.
            Err(e) if e.is_transient() => {
                weir_sdk::host::warn(&format!("PostgreSQL not ready ({e}); retrying"));
                task.query = None;
                Phase::Reconnect(Backoff::start())
            }
            Err(e) => return Err(e.into()),
        };
        Ok(task)
    }

    fn query(&mut self) -> Result<&mut PgConn, PgError> {
        if self.query.is_none() {
            self.query = Some(PgConn::connect(&self.config.connect, false)?);
        }
        self.query.as_mut().ok_or(PgError::Closed)
    }

    /// Decides what to do from the last known offset: snapshot (in a fresh
    /// slot's exported snapshot) or stream.
    fn plan(&mut self) -> Result<Phase, PgError> {
        let offset = self.last_offset.clone();
        let slot = self.config.slot.clone();
        let query = self.query()?;
        let slot_exists = query
            .query_value(&format!(
                "SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = {}",
                literal(&slot)
            ))?
            .is_some();
        self.ensure_publication()?;
        let unfinished = offset.as_ref().is_some_and(Offset::snapshot_in_progress);
        let snapshot = match self.config.snapshot_mode {
            SnapshotMode::Always => true,
            SnapshotMode::Initial | SnapshotMode::InitialOnly => offset.is_none() || unfinished,
            SnapshotMode::WhenNeeded => offset.is_none() || unfinished || !slot_exists,
            SnapshotMode::NoData | SnapshotMode::Never => false,
        };
        if !snapshot && self.config.snapshot_mode == SnapshotMode::InitialOnly {
            log("snapshot.mode=initial_only and the snapshot is complete: nothing to stream");
            return Ok(Phase::Done);
        }
        let mut repl = PgConn::connect(&self.config.connect, true)?;
        if snapshot {
            if slot_exists {
                // A snapshot starts over in a fresh slot, whose exported
                // snapshot is the one point where the table reads and the
                // change stream meet without a gap.
                log(&format!("Dropping slot {slot} to take a snapshot consistent with a new one"));
                self.query()?.query(&format!("SELECT pg_catalog.pg_drop_replication_slot({})", literal(&slot)))?;
            }
            let major = major_version(&repl.server_version);
            let create = if major >= 15 {
                format!("CREATE_REPLICATION_SLOT \"{slot}\" LOGICAL pgoutput (SNAPSHOT 'export')")
            } else {
                format!("CREATE_REPLICATION_SLOT \"{slot}\" LOGICAL pgoutput EXPORT_SNAPSHOT")
            };
            let rows = repl.query(&create)?;
            let row =
                rows.into_iter().flat_map(|r| r.rows).next().ok_or(PgError::Protocol("no slot created".into()))?;
            let consistent_point = row.get(1).cloned().flatten().and_then(|l| lsn::parse(&l)).unwrap_or(0);
            let snapshot_name = row.get(2).cloned().flatten().unwrap_or_default();
            log(&format!("Created slot {slot} at {}; snapshot {snapshot_name}", lsn::format(consistent_point)));
            let query = self.query()?;
            query.query(&format!(
                "BEGIN ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION SNAPSHOT {}",
                literal(&snapshot_name)
            ))?;
            let tx_id = query.query_value("SELECT txid_current()")?.and_then(|v| v.parse().ok());
            let tables = self.captured_tables()?;
            let fetch = self.config.common.max_batch_size;
            let snapshot = Snapshot::new(tables, consistent_point, tx_id, fetch);
            return Ok(Phase::Snapshot { snapshot: Box::new(snapshot), repl });
        }
        let start = if slot_exists {
            offset.as_ref().map(Offset::resume_lsn).unwrap_or(0)
        } else {
            let rows = repl.query(&format!("CREATE_REPLICATION_SLOT \"{slot}\" LOGICAL pgoutput"))?;
            let cp = rows
                .into_iter()
                .flat_map(|r| r.rows)
                .next()
                .and_then(|r| r.get(1).cloned().flatten())
                .and_then(|l| lsn::parse(&l))
                .unwrap_or(0);
            log(&format!("Created slot {slot} at {}", lsn::format(cp)));
            cp.max(offset.as_ref().map(Offset::resume_lsn).unwrap_or(0))
        };
        let resume = offset.filter(|o| !o.snapshot_in_progress());
        Ok(Phase::Streaming(Box::new(Stream::start(repl, &self.config, start, resume).map_err(to_pg)?)))
    }

    fn ensure_publication(&mut self) -> Result<(), PgError> {
        let name = self.config.publication.clone();
        let exists = self
            .query()?
            .query_value(&format!("SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = {}", literal(&name)))?
            .is_some();
        match self.config.autocreate {
            Autocreate::Disabled if !exists => Err(PgError::Server {
                code: "42704".into(),
                message: format!(
                    "publication {name} does not exist and publication.autocreate.mode is disabled: create it with CREATE PUBLICATION"
                ),
            }),
            Autocreate::Disabled => Ok(()),
            Autocreate::AllTables if !exists => {
                self.query()?.query(&format!("CREATE PUBLICATION {} FOR ALL TABLES", ident(&name)))?;
                log(&format!("Created publication {name} for all tables"));
                Ok(())
            }
            Autocreate::AllTables => Ok(()),
            Autocreate::Filtered => {
                let tables: Vec<String> = self
                    .filtered_tables()?
                    .iter()
                    .map(|(_, id)| format!("{}.{}", ident(&id.schema), ident(&id.table)))
                    .collect();
                let list = tables.join(", ");
                let sql = match (exists, tables.is_empty()) {
                    (false, true) => format!("CREATE PUBLICATION {}", ident(&name)),
                    (false, false) => format!("CREATE PUBLICATION {} FOR TABLE {list}", ident(&name)),
                    (true, true) => return Ok(()),
                    (true, false) => format!("ALTER PUBLICATION {} SET TABLE {list}", ident(&name)),
                };
                self.query()?.query(&sql)?;
                Ok(())
            }
        }
    }

    fn filtered_tables(&mut self) -> Result<Vec<(u32, TableId)>, PgError> {
        let all = catalog::list_tables(self.query()?)?;
        Ok(all
            .into_iter()
            .filter(|(_, id)| {
                self.config.schemas.accepts(&id.schema) && self.config.common.tables.accepts(&id.qualified())
            })
            .collect())
    }

    fn captured_tables(&mut self) -> Result<Vec<Captured>, PgError> {
        let mut out = Vec::new();
        for (oid, id) in self.filtered_tables()? {
            let conn = self.query.as_mut().ok_or(PgError::Closed)?;
            let info = catalog::table_info(conn, &mut self.types, oid, id)?;
            out.push(Captured::new(&info, &self.config, &self.config.common.topics, &self.emitter.source));
        }
        Ok(out)
    }

    fn step(&mut self, deadline: Instant, out: &mut Vec<SourceRecord>) -> Result<(), ConnectorError> {
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
                self.query = None;
                match self.plan() {
                    Ok(phase) => {
                        log("Reconnected to PostgreSQL");
                        self.phase = phase;
                        Ok(())
                    }
                    Err(e) if e.is_transient() => {
                        let next = backoff.next();
                        weir_sdk::host::warn(&format!(
                            "PostgreSQL still unavailable ({e}); retrying in {} ms",
                            next.delay().as_millis()
                        ));
                        self.phase = Phase::Reconnect(next);
                        Ok(())
                    }
                    Err(e) => Err(e.into()),
                }
            }
            Phase::Snapshot { snapshot, .. } => {
                let conn = self.query.as_mut().ok_or_else(|| ConnectorError::retriable("query connection lost"))?;
                let (records, done) = snapshot.read(conn, &self.emitter, &self.config.modes)?;
                out.extend(records);
                if done {
                    self.finish_snapshot()?;
                }
                Ok(())
            }
            Phase::Streaming(stream) => {
                let query = self.query.as_mut().ok_or_else(|| ConnectorError::retriable("query connection lost"))?;
                stream.poll(deadline, &self.config, &self.emitter, query, &mut self.types, out)
            }
        }
    }

    fn finish_snapshot(&mut self) -> Result<(), ConnectorError> {
        let Phase::Snapshot { snapshot, repl } = std::mem::replace(&mut self.phase, Phase::Done) else {
            return Ok(());
        };
        if let Some(q) = self.query.as_mut() {
            q.query("COMMIT")?;
        }
        let cp = snapshot.consistent_point();
        log(&format!("Snapshot complete; streaming continues from {}", lsn::format(cp)));
        if self.config.snapshot_mode == SnapshotMode::InitialOnly {
            repl.terminate_owned();
            return Ok(());
        }
        let resume = Offset { lsn: Some(cp), lsn_proc: Some(cp), lsn_commit: Some(cp), ..Offset::default() };
        self.phase = Phase::Streaming(Box::new(Stream::start(repl, &self.config, cp, Some(resume))?));
        Ok(())
    }

    fn heartbeat(&mut self, out: &mut Vec<SourceRecord>) -> Result<(), ConnectorError> {
        let Some(at) = self.next_heartbeat else { return Ok(()) };
        if Instant::now() < at {
            return Ok(());
        }
        self.next_heartbeat = Some(Instant::now() + Duration::from_millis(self.config.common.heartbeat_interval_ms));
        // Only while streaming: during a snapshot the query connection
        // holds the snapshot's transaction and, often, a FETCH in flight.
        let Phase::Streaming(stream) = &mut self.phase else { return Ok(()) };
        if let Some(sql) = self.config.heartbeat_action_query.as_deref()
            && let Some(q) = self.query.as_mut()
            && let Err(e) = q.query(sql)
        {
            weir_sdk::host::warn(&format!("heartbeat.action.query failed: {e}"));
        }
        let topic = self.config.common.topics.heartbeat();
        out.push(stream.heartbeat(&self.emitter, &topic));
        Ok(())
    }
}

fn major_version(v: &str) -> u32 {
    v.split(['.', ' ']).next().and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn to_pg(e: ConnectorError) -> PgError {
    match e {
        ConnectorError::Retriable(m) => PgError::Io(std::io::Error::other(m)),
        other => PgError::Protocol(other.to_string()),
    }
}

impl SourceTask for PgTask {
    fn poll(&mut self, deadline: Instant) -> Result<Vec<SourceRecord>, ConnectorError> {
        let mut out = Vec::new();
        match self.step(deadline, &mut out) {
            Ok(()) => {}
            Err(ConnectorError::Retriable(m)) => {
                // The records read before the failure are kept: their
                // offsets are exact, and the plan resumes after them.
                weir_sdk::host::warn(&format!("Lost the PostgreSQL connection ({m}); reconnecting"));
                if let Phase::Streaming(s) = &self.phase {
                    if let Some(last) = out.last().and_then(|r| Offset::parse(&r.source_offset)) {
                        self.last_offset = Some(last);
                    } else {
                        self.last_offset =
                            Some(s.position().clone()).filter(|p| p.tx_id.is_some()).or(self.last_offset.take());
                    }
                }
                self.query = None;
                self.phase = Phase::Reconnect(Backoff::start());
            }
            Err(e) => return Err(e),
        }
        if let Some(last) = out.last().and_then(|r| Offset::parse(&r.source_offset)) {
            self.last_offset = Some(last);
        }
        self.heartbeat(&mut out)?;
        Ok(out)
    }

    fn commit(&mut self, offsets: &[CommittedOffset]) -> Result<(), ConnectorError> {
        let Some(last) = offsets.iter().rev().find(|o| *o.source_partition == *self.emitter.partition) else {
            return Ok(());
        };
        if let Phase::Streaming(stream) = &mut self.phase
            && let Err(e) = stream.committed(&last.source_offset)
        {
            // The next poll notices the broken connection and reconnects.
            weir_sdk::host::warn(&format!("could not confirm the flushed position: {e}"));
        }
        Ok(())
    }

    fn close(&mut self) {
        match std::mem::replace(&mut self.phase, Phase::Done) {
            Phase::Streaming(stream) => stream.close(),
            Phase::Snapshot { repl, .. } => {
                repl.terminate_owned();
                // The snapshot's transaction is abandoned, and a FETCH may
                // be in flight: the slot is dropped on a new connection.
                if let Some(mut q) = self.query.take() {
                    q.terminate();
                }
            }
            _ => {}
        }
        if self.config.drop_slot_on_stop {
            let slot = self.config.slot.clone();
            if let Ok(q) = self.query() {
                // The walsender may take a moment to exit after the stream closes.
                for _ in 0..20 {
                    match q.query(&format!("SELECT pg_catalog.pg_drop_replication_slot({})", literal(&slot))) {
                        Ok(_) => {
                            log(&format!("Dropped slot {slot} (slot.drop.on.stop)"));
                            break;
                        }
                        Err(e) if e.code() == Some("55006") => std::thread::sleep(Duration::from_millis(100)),
                        Err(e) => {
                            weir_sdk::host::warn(&format!("could not drop slot {slot}: {e}"));
                            break;
                        }
                    }
                }
            }
        }
        if let Some(mut q) = self.query.take() {
            q.terminate();
        }
    }
}

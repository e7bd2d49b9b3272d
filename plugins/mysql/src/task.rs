//! The task: decides whether to snapshot (schema and data), runs the
//! snapshot, then streams the binlog; reconnects with backoff when the
//! server goes away.

use std::time::{Duration, Instant};

use weir_debezium::backoff::Backoff;
use weir_sdk::{CommittedOffset, ConnectorError, SourceRecord, SourceTask};

use weir_debezium::source::SnapshotMarker;

use crate::catalog::{Catalog, TableId};
use crate::config::{LockingMode, MyConfig, SnapshotMode};
use crate::error::{ER_BINLOG_READ, MyError};
use crate::events::Emitter;
use crate::gtid;
use crate::history::{BinlogPos, Entry, History, Resume};
use crate::lock::{self, Definition, Held, Start};
use crate::offsets::{self, Offset};
use crate::resume::GtidResume;
use crate::snapshot::{Point, Snapshot};
use crate::stream::{Context, Schemas, Stream};
use crate::tables::Captured;
use crate::wire::MyConn;

enum Phase {
    /// Schema change records of the snapshot, then its rows. The last
    /// schema change record is held back until the first row: when no row
    /// comes, it carries the snapshot's completion instead, so a restart
    /// does not take the snapshot again.
    Snapshot {
        pending: Vec<SourceRecord>,
        held: Option<SourceRecord>,
        snapshot: Box<Snapshot>,
    },
    Streaming(Box<Stream>),
    /// `initial_only` finished: nothing more to do.
    Done,
    /// The server went away; try again when the backoff says.
    Reconnect(Backoff),
}

/// A running MySQL/MariaDB task.
pub struct MyTask {
    config: MyConfig,
    emitter: Emitter,
    query: Option<MyConn>,
    schemas: Schemas,
    phase: Phase,
    /// The offset of the last record handed to the worker.
    last_offset: Option<Offset>,
    next_heartbeat: Option<Instant>,
}

fn log(msg: &str) {
    crate::log_info(msg);
}

impl MyTask {
    /// Opens the task: connects and plans from the committed offset.
    pub fn open(config: MyConfig) -> Result<Self, ConnectorError> {
        let partition = offsets::partition(config.common.topics.prefix());
        let committed = match weir_sdk::host::committed_offset(&partition) {
            None => None,
            Some(text) => Some(
                Offset::parse(&text)
                    .map_err(|e| ConnectorError::fatal(format!("the committed offset {text} cannot be used: {e}")))?,
            ),
        };
        let emitter = Emitter::new(config.flavor, config.common.topics.prefix(), partition);
        let heartbeat = (config.common.heartbeat_interval_ms > 0)
            .then(|| Instant::now() + Duration::from_millis(config.common.heartbeat_interval_ms));
        let mut task = Self {
            config,
            emitter,
            query: None,
            schemas: Schemas::default(),
            phase: Phase::Done,
            last_offset: committed,
            next_heartbeat: heartbeat,
        };
        task.phase = match task.plan() {
            Ok(phase) => phase,
            Err(e) if e.is_transient() => {
                weir_sdk::host::warn(&format!("{} not ready ({e}); retrying", task.server()));
                task.query = None;
                Phase::Reconnect(Backoff::start())
            }
            Err(e) => return Err(e.into()),
        };
        Ok(task)
    }

    fn server(&self) -> &'static str {
        match self.config.flavor {
            crate::config::Flavor::MySql => "MySQL",
            crate::config::Flavor::MariaDb => "MariaDB",
        }
    }

    fn query(&mut self) -> Result<&mut MyConn, MyError> {
        if self.query.is_none() {
            let mut conn = MyConn::connect(&self.config.connect)?;
            // TIMESTAMP columns read as UTC, as the binlog stores them, and
            // text in each column's own character set, as the binlog has it.
            conn.execute("SET SESSION time_zone = '+00:00', character_set_results = NULL")?;
            self.query = Some(conn);
        }
        self.query.as_mut().ok_or(MyError::Closed)
    }

    /// Decides what to do from the last known offset.
    fn plan(&mut self) -> Result<Phase, MyError> {
        let offset = self.last_offset.clone();
        let unfinished = offset.as_ref().is_some_and(Offset::snapshot_in_progress);
        let mode = self.config.snapshot_mode;
        let available = match offset.as_ref() {
            Some(o) if !unfinished => self.offset_available(o)?,
            _ => false,
        };
        let data = match mode {
            SnapshotMode::Always => true,
            SnapshotMode::Initial | SnapshotMode::InitialOnly => offset.is_none() || unfinished,
            SnapshotMode::WhenNeeded => offset.is_none() || unfinished || !available,
            SnapshotMode::NoData | SnapshotMode::Recovery | SnapshotMode::Never => false,
        };
        if !data && mode == SnapshotMode::InitialOnly {
            log("snapshot.mode=initial_only and the snapshot is complete: nothing to stream");
            return Ok(Phase::Done);
        }
        let resume = offset.filter(|o| !o.snapshot_in_progress());
        if !data && let Some(o) = &resume {
            if !available {
                return Err(MyError::Server {
                    code: ER_BINLOG_READ,
                    state: "HY000".into(),
                    message: format!(
                        "the committed offset ({}) is no longer in the server's binlogs (purged?); \
                         set snapshot.mode=when_needed to take a new snapshot, or reset the connector's offsets",
                        o.gtids.as_deref().map_or_else(|| format!("binlog file {}", o.file), |g| format!("GTIDs {g}"))
                    ),
                });
            }
            let mut catalog = Catalog::default();
            let flavor = gtid::Flavor::from(self.config.flavor);
            let gtids = o.gtids.as_deref().filter(|g| !g.trim().is_empty());
            let resume = Resume {
                at: BinlogPos { file: o.file.clone(), pos: o.pos },
                gtids: gtids.map(|g| gtid::GtidSet::parse(flavor, g)).transpose()?,
            };
            let history = History::open(&mut catalog, Some(&resume));
            if mode != SnapshotMode::Recovery && !catalog.tables.is_empty() {
                self.schemas = Schemas::new(catalog, history);
                return Ok(Phase::Streaming(Box::new(Stream::open(&self.config, o)?)));
            }
            // No history (recovery mode, or offsets set through the
            // REST API): rebuild it from the tables as they are now.
            log("Rebuilding the schema history from the current table definitions");
            self.read_schema(false)?;
            return Ok(Phase::Streaming(Box::new(Stream::open(&self.config, o)?)));
        }
        // A snapshot: of the schema only (no_data, recovery and never
        // without an offset), or of schema and data.
        let (creates, point) = self.read_schema(data)?;
        let tables: Vec<Captured> = self
            .schemas
            .catalog
            .tables
            .values()
            .filter(|def| self.config.captures(&def.id))
            .map(|def| Captured::new(def, &self.config, &self.config.common.topics, &self.emitter.source))
            .collect();
        let batch = self.config.common.max_batch_size;
        let tables = if data { tables } else { Vec::new() };
        let snapshot = Snapshot::new(tables, point, batch);
        let at = snapshot.position(SnapshotMarker::True);
        let offset = snapshot.offset(false).to_json();
        let mut pending: Vec<SourceRecord> = creates
            .into_iter()
            .map(|(id, sql)| {
                let def = self.schemas.catalog.table(&id);
                let changes = def.map(|d| vec![crate::changes::table_change("CREATE", d)]).unwrap_or_default();
                self.emitter.schema_change(&id.database, Some(&id.table), &sql, changes, &at, offset.clone())
            })
            .collect();
        let held = pending.pop();
        Ok(Phase::Snapshot { pending, held, snapshot: Box::new(snapshot) })
    }

    /// Whether streaming can resume from `o` with nothing lost: where it
    /// resumes by GTID, whether anything after the offset's GTIDs was
    /// purged, as Debezium decides; else whether its binlog file is there.
    fn offset_available(&mut self, o: &Offset) -> Result<bool, MyError> {
        // Connected first, then borrowed apart from `self.config`, which the decision reads too.
        self.query()?;
        let Some(conn) = self.query.as_mut() else { return Err(MyError::Closed) };
        match GtidResume::of(conn, &self.config, o)? {
            Some(resume) => resume.available(conn),
            None => Ok(conn.binlog_names()?.contains(&o.file)),
        }
    }

    /// Fixes the snapshot's consistent point (`lock::begin`) and reads every
    /// table definition there into a fresh history; in `minimal` mode the
    /// global lock is released before the data. Returns the CREATE
    /// statements of the captured tables (for schema change events) and
    /// the point; what `begin` holds stays held for the data, and is
    /// released at once when there is none to read.
    fn read_schema(&mut self, data: bool) -> Result<(Vec<(TableId, String)>, Point), MyError> {
        // Connected first, then borrowed apart from `self.config`, which `begin` reads too.
        self.query()?;
        let Some(conn) = self.query.as_mut() else { return Err(MyError::Closed) };
        let Start { point, definitions, held } = lock::begin(conn, &self.config)?;
        if held == Held::Global && self.config.locking == LockingMode::Minimal {
            conn.execute("UNLOCK TABLES")?;
        }
        let mut catalog = Catalog::default();
        let mut history = History::default();
        history.clear();
        let mut creates = Vec::new();
        for Definition { db, table, sql } in definitions {
            let entry = Entry {
                at: BinlogPos { file: point.file.clone(), pos: point.pos },
                db: db.clone(),
                ddl: sql.clone(),
                snapshot: true,
                gtid: None,
            };
            if let Err(e) = history.apply(&mut catalog, &entry) {
                weir_sdk::host::warn(&format!("snapshot: cannot parse `{sql}`: {e}"));
                continue;
            }
            let Some(table) = table else { continue };
            let id = TableId::new(db, table);
            if self.config.include_schema_changes && self.config.captures(&id) {
                creates.push((id, sql));
            }
        }
        if !data && let Some(q) = self.query.as_mut() {
            q.execute(lock::RELEASE)?;
        }
        self.schemas = Schemas::new(catalog, history);
        Ok((creates, point))
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
                        log(&format!("Reconnected to {}", self.server()));
                        self.phase = phase;
                        Ok(())
                    }
                    Err(e) if e.is_transient() => {
                        let next = backoff.next();
                        weir_sdk::host::warn(&format!(
                            "{} still unavailable ({e}); retrying in {} ms",
                            self.server(),
                            next.delay().as_millis()
                        ));
                        self.phase = Phase::Reconnect(next);
                        Ok(())
                    }
                    Err(e) => Err(e.into()),
                }
            }
            Phase::Snapshot { pending, held, snapshot } => {
                if !pending.is_empty() {
                    let n = pending.len().min(self.config.common.max_batch_size);
                    out.extend(pending.drain(..n));
                    return Ok(());
                }
                let conn = self.query.as_mut().ok_or_else(|| ConnectorError::retriable("query connection lost"))?;
                let (records, done) = if snapshot.is_empty() {
                    (Vec::new(), true)
                } else {
                    snapshot.read(conn, &self.emitter, &self.config.modes)?
                };
                if let Some(mut record) = held.take() {
                    if records.is_empty() && done {
                        record.source_offset = snapshot.offset(true).to_json();
                        out.push(record);
                    } else if records.is_empty() {
                        *held = Some(record);
                    } else {
                        out.push(record);
                    }
                }
                out.extend(records);
                if done {
                    self.finish_snapshot()?;
                }
                Ok(())
            }
            Phase::Streaming(stream) => {
                let mut ctx = Context { config: &self.config, emitter: &self.emitter, schemas: &mut self.schemas };
                let records = stream.poll(deadline, self.config.common.max_batch_size, &mut ctx)?;
                out.extend(records);
                Ok(())
            }
        }
    }

    fn finish_snapshot(&mut self) -> Result<(), ConnectorError> {
        // Released before the phase moves on, so a failure here leaves the snapshot to retry.
        if let Some(q) = self.query.as_mut() {
            q.execute(lock::RELEASE)?;
        }
        let Phase::Snapshot { snapshot, .. } = std::mem::replace(&mut self.phase, Phase::Done) else {
            return Ok(());
        };
        let point = snapshot.point.clone();
        log(&format!("Snapshot complete; streaming continues from {}:{}", point.file, point.pos));
        if self.config.snapshot_mode == SnapshotMode::InitialOnly {
            return Ok(());
        }
        let from = snapshot.offset(true);
        self.last_offset = Some(from.clone());
        self.phase = Phase::Streaming(Box::new(Stream::open(&self.config, &from)?));
        Ok(())
    }

    fn heartbeat(&mut self, out: &mut Vec<SourceRecord>) {
        let Some(at) = self.next_heartbeat else { return };
        if Instant::now() < at {
            return;
        }
        self.next_heartbeat = Some(Instant::now() + Duration::from_millis(self.config.common.heartbeat_interval_ms));
        if let Phase::Streaming(stream) = &self.phase {
            let topic = self.config.common.topics.heartbeat();
            out.push(self.emitter.heartbeat(&topic, stream.idle_offset().to_json()));
        }
    }
}

impl SourceTask for MyTask {
    fn poll(&mut self, deadline: Instant) -> Result<Vec<SourceRecord>, ConnectorError> {
        let mut out = Vec::new();
        match self.step(deadline, &mut out) {
            Ok(()) => {}
            Err(ConnectorError::Retriable(m)) => {
                // Records read before the failure are kept: their offsets
                // are exact, and the plan resumes after them.
                weir_sdk::host::warn(&format!("Lost the {} connection ({m}); reconnecting", self.server()));
                self.query = None;
                self.phase = Phase::Reconnect(Backoff::start());
            }
            Err(e) => return Err(e),
        }
        if let Some(last) = out.last().and_then(|r| Offset::parse(&r.source_offset).ok()) {
            self.last_offset = Some(last);
        }
        self.heartbeat(&mut out);
        Ok(out)
    }

    fn commit(&mut self, _offsets: &[CommittedOffset]) -> Result<(), ConnectorError> {
        // The binlog needs no acknowledgement: the server keeps it by time.
        Ok(())
    }

    fn close(&mut self) {
        self.phase = Phase::Done;
        self.query = None;
    }
}

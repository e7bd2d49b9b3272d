//! Streaming: `pgoutput` changes from the replication slot become change
//! events; the slot is told what is durable only after the worker says so.
//!
//! Positions: each event's offset names its transaction and how many of that
//! transaction's events are emitted so far, plus `lsn_commit`, the end of the
//! last transaction all of whose events were emitted. A restart asks the
//! server to stream from `lsn_commit`; transactions that end before it are
//! skipped whole, and the transaction that was cut off is skipped up to the
//! events already emitted. So nothing is lost and nothing emitted twice
//! unless it was not yet durable.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use weir_debezium::envelope::Op;
use weir_debezium::source::SnapshotMarker;
use weir_debezium::transaction::Tracker;
use weir_sdk::{ConnectorError, SourceRecord, Value};

use crate::catalog::{TableId, TableInfo, TypeCache, table_info};
use crate::config::PgConfig;
use crate::events::{Emitter, Position};
use crate::lsn;
use crate::offsets::Offset;
use crate::pgoutput::{self, Datum, Message};
use crate::tables::Captured;
use crate::types::Column;
use crate::wire::{PgConn, literal};

/// What the connector knows about a relation OID.
enum Relation {
    Captured(Box<Captured>),
    Ignored,
}

/// The open transaction.
struct OpenTx {
    xid: u32,
    commit_ts_us: i64,
    events: u64,
    /// Events to drop because they were emitted before a restart.
    skip: u64,
    /// Skip events up to this LSN (offsets altered without `tx_event`).
    skip_upto_lsn: Option<u64>,
    skip_all: bool,
    began: bool,
}

/// A committed transaction waiting for its events to become durable.
struct Completed {
    xid: i64,
    events: u64,
    end_lsn: u64,
}

/// The streaming state.
pub struct Stream {
    repl: PgConn,
    relations: HashMap<u32, Relation>,
    tx: Option<OpenTx>,
    last_commit_end: Option<u64>,
    resume: Option<Offset>,
    completed: VecDeque<Completed>,
    /// The latest WAL position the server reported.
    received: u64,
    /// What the slot has been told is durable.
    confirmed: u64,
    last_status: Instant,
    last_emitted: Option<String>,
    last_durable: Option<String>,
    /// The offset of the last event emitted (for heartbeats and reconnects).
    position: Offset,
    tracker: Tracker,
}

impl Stream {
    /// Starts replication on `repl` from `start`, resuming after `resume`.
    pub fn start(
        mut repl: PgConn,
        config: &PgConfig,
        start: u64,
        resume: Option<Offset>,
    ) -> Result<Self, ConnectorError> {
        let major: u32 = repl.server_version.split(['.', ' ']).next().and_then(|v| v.parse().ok()).unwrap_or(0);
        let messages = if major >= 14 { ", messages 'true'" } else { "" };
        let command = format!(
            "START_REPLICATION SLOT \"{}\" LOGICAL {} (proto_version '1', publication_names {}{messages})",
            config.slot,
            lsn::format(start),
            literal(&format!("\"{}\"", config.publication.replace('"', "\"\"")))
        );
        repl.start_copy_both(&command)?;
        crate::log_info(&format!("Streaming from slot {} at {}", config.slot, lsn::format(start)));
        let position = resume.clone().unwrap_or_else(|| Offset {
            lsn: Some(start),
            lsn_proc: Some(start),
            lsn_commit: Some(start),
            ..Offset::default()
        });
        Ok(Self {
            repl,
            relations: HashMap::new(),
            tx: None,
            last_commit_end: resume.as_ref().map(Offset::resume_lsn).or(Some(start)),
            resume,
            completed: VecDeque::new(),
            received: start,
            confirmed: start,
            last_status: Instant::now(),
            last_emitted: None,
            last_durable: None,
            position,
            tracker: Tracker::default(),
        })
    }

    /// The position of the last event emitted.
    pub fn position(&self) -> &Offset {
        &self.position
    }

    /// Reads changes until `deadline` or a full batch.
    #[allow(clippy::too_many_arguments)]
    pub fn poll(
        &mut self,
        deadline: Instant,
        config: &PgConfig,
        emitter: &Emitter,
        query: &mut PgConn,
        types: &mut TypeCache,
        out: &mut Vec<SourceRecord>,
    ) -> Result<(), ConnectorError> {
        loop {
            let now = Instant::now();
            if now.duration_since(self.last_status) >= config.status_interval {
                self.send_status(false)?;
            }
            if out.len() >= config.common.max_batch_size || now >= deadline {
                return Ok(());
            }
            // With records in hand, take only what has already arrived.
            let wait = if out.is_empty() || self.tx.is_some() { deadline - now } else { Duration::from_millis(1) };
            let Some(data) = self.repl.copy_data(wait)? else {
                if !out.is_empty() && self.tx.is_none() {
                    return Ok(());
                }
                continue;
            };
            let mut r = crate::wire::Reader::new(&data);
            match r.u8()? {
                b'w' => {
                    let wal_start = r.u64()?;
                    let wal_end = r.u64()?;
                    let _sent = r.u64()?;
                    self.received = self.received.max(wal_end);
                    let message = pgoutput::decode(r.rest())?;
                    self.handle(message, wal_start, config, emitter, query, types, out)?;
                }
                b'k' => {
                    let wal_end = r.u64()?;
                    let _sent = r.u64()?;
                    let reply = r.u8()? == 1;
                    self.received = self.received.max(wal_end);
                    self.advance_when_idle(wal_end);
                    if reply {
                        self.send_status(false)?;
                    }
                }
                other => {
                    return Err(ConnectorError::fatal(format!("unexpected replication message '{}'", other as char)));
                }
            }
        }
    }

    /// Nothing captured is pending: the slot may move to the server's WAL
    /// end, so an idle database does not hold WAL back.
    fn advance_when_idle(&mut self, wal_end: u64) {
        if self.tx.is_none() && self.completed.is_empty() && self.last_emitted == self.last_durable {
            if wal_end > self.confirmed {
                self.confirmed = wal_end;
            }
            if wal_end > self.position.lsn_commit.unwrap_or(0) {
                self.position.lsn = Some(wal_end);
                self.position.lsn_proc = Some(wal_end);
                self.position.lsn_commit = Some(wal_end);
                self.last_commit_end = Some(wal_end);
            }
        }
    }

    fn send_status(&mut self, reply: bool) -> Result<(), ConnectorError> {
        self.repl.standby_status(self.received.max(self.confirmed), self.confirmed, reply)?;
        self.last_status = Instant::now();
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn handle(
        &mut self,
        message: Message,
        wal_start: u64,
        config: &PgConfig,
        emitter: &Emitter,
        query: &mut PgConn,
        types: &mut TypeCache,
        out: &mut Vec<SourceRecord>,
    ) -> Result<(), ConnectorError> {
        match message {
            Message::Begin { final_lsn, commit_ts, xid } => {
                let resume = self.resume.as_ref();
                let skip_all = resume.is_some_and(|r| final_lsn < r.resume_lsn());
                let same = resume.filter(|r| r.tx_id == Some(i64::from(xid)) && r.snapshot.is_none());
                self.tx = Some(OpenTx {
                    xid,
                    commit_ts_us: Position::unix_us(commit_ts),
                    events: 0,
                    skip: same.and_then(|r| r.tx_event).unwrap_or(0),
                    skip_upto_lsn: same.filter(|r| r.tx_event.is_none()).and_then(|r| r.lsn),
                    skip_all,
                    began: false,
                });
            }
            Message::Commit { commit_lsn, end_lsn, .. } => {
                let Some(tx) = self.tx.take() else { return Ok(()) };
                if tx.began
                    && config.common.transaction_metadata
                    && let Some((key, value)) = self.tracker.end_value(tx.commit_ts_us / 1000)
                {
                    let offset = Offset {
                        lsn: Some(commit_lsn),
                        lsn_proc: Some(end_lsn),
                        lsn_commit: Some(end_lsn),
                        tx_id: Some(i64::from(tx.xid)),
                        ts_usec: Some(tx.commit_ts_us),
                        message_type: Some("COMMIT".into()),
                        tx_event: Some(tx.events),
                        ..Offset::default()
                    };
                    let key = with_tx_id(key, &format!("{}:{commit_lsn}", tx.xid));
                    let value = with_tx_id(value, &format!("{}:{commit_lsn}", tx.xid));
                    self.emit(
                        emitter.transaction(&config.common.topics.transaction(), key, value, offset.to_json()),
                        offset,
                        out,
                    );
                }
                self.last_commit_end = Some(end_lsn);
                self.completed.push_back(Completed { xid: i64::from(tx.xid), events: tx.events, end_lsn });
                self.position.lsn_commit = Some(end_lsn);
                self.position.lsn_proc = Some(end_lsn);
                self.confirm_durable();
            }
            Message::Relation { oid, namespace, name, columns, .. } => {
                let id = TableId { schema: namespace, table: name };
                let captured = config.schemas.accepts(&id.schema) && config.common.tables.accepts(&id.qualified());
                let relation = if captured {
                    let catalog = table_info(query, types, oid, id.clone())?;
                    let mut cols = Vec::with_capacity(columns.len());
                    for c in &columns {
                        let known = catalog.columns.iter().find(|k| k.name == c.name);
                        cols.push(Column {
                            name: c.name.clone(),
                            ty: types.get(query, c.type_oid)?,
                            typmod: c.typmod,
                            not_null: known.is_some_and(|k| k.not_null),
                            default_expr: known.and_then(|k| k.default_expr.clone()),
                        });
                    }
                    let info = TableInfo { id, columns: cols, primary_key: catalog.primary_key };
                    Relation::Captured(Box::new(Captured::new(&info, config, &config.common.topics, &emitter.source)))
                } else {
                    Relation::Ignored
                };
                self.relations.insert(oid, relation);
            }
            Message::Type { oid, .. } => types.forget(oid),
            Message::Origin => {}
            Message::Insert { oid, new } => {
                self.change(oid, wal_start, Change::Insert(new), config, emitter, out)?;
            }
            Message::Update { oid, old, new, .. } => {
                self.change(oid, wal_start, Change::Update(old, new), config, emitter, out)?;
            }
            Message::Delete { oid, old, .. } => {
                self.change(oid, wal_start, Change::Delete(old), config, emitter, out)?;
            }
            Message::Truncate { oids } => {
                for oid in oids {
                    self.change(oid, wal_start, Change::Truncate, config, emitter, out)?;
                }
            }
            Message::Emitted { transactional, lsn: msg_lsn, prefix, content } => {
                let content = config.modes.binary.value(content);
                if transactional {
                    let Some(at) = self.next_event(msg_lsn) else { return Ok(()) };
                    let (position, offset, block) = self.event_offset(&at, "MESSAGE", config, emitter, out, "");
                    let topic = format!("{}.message", config.common.topics.prefix());
                    let record = emitter.message(&topic, &prefix, content, &position, block, offset.to_json());
                    self.emit(record, offset, out);
                } else {
                    let at = Position {
                        ts_us: lsn::unix_now_micros(),
                        tx_id: None,
                        lsn: Some(msg_lsn),
                        last_commit: self.last_commit_end,
                        snapshot: SnapshotMarker::False,
                    };
                    let offset = Offset {
                        lsn: Some(msg_lsn),
                        lsn_proc: self.last_commit_end,
                        lsn_commit: self.last_commit_end,
                        ts_usec: Some(at.ts_us),
                        message_type: Some("MESSAGE".into()),
                        ..Offset::default()
                    };
                    let topic = format!("{}.message", config.common.topics.prefix());
                    let record = emitter.message(&topic, &prefix, content, &at, None, offset.to_json());
                    self.emit(record, offset, out);
                }
            }
        }
        Ok(())
    }

    /// Counts an event of the open transaction; `None` when it must be
    /// skipped (emitted before a restart).
    fn next_event(&mut self, event_lsn: u64) -> Option<(u64, u64)> {
        let tx = self.tx.as_mut()?;
        tx.events += 1;
        if tx.skip_all || tx.events <= tx.skip || tx.skip_upto_lsn.is_some_and(|l| event_lsn <= l) {
            return None;
        }
        Some((event_lsn, tx.events))
    }

    /// The position, offset and transaction block of an event; emits the
    /// BEGIN record first when it is the transaction's first.
    fn event_offset(
        &mut self,
        at: &(u64, u64),
        kind: &str,
        config: &PgConfig,
        emitter: &Emitter,
        out: &mut Vec<SourceRecord>,
        collection: &str,
    ) -> (Position, Offset, Option<Value>) {
        let (event_lsn, ordinal) = *at;
        let (xid, ts_us, first) = match self.tx.as_mut() {
            Some(tx) => {
                let first = !tx.began;
                tx.began = true;
                (tx.xid, tx.commit_ts_us, first)
            }
            None => (0, lsn::unix_now_micros(), false),
        };
        let offset = Offset {
            lsn: Some(event_lsn),
            lsn_proc: Some(event_lsn),
            lsn_commit: self.last_commit_end,
            tx_id: Some(i64::from(xid)),
            ts_usec: Some(ts_us),
            message_type: Some(kind.to_string()),
            tx_event: Some(ordinal),
            ..Offset::default()
        };
        let mut block = None;
        if config.common.transaction_metadata {
            let id = format!("{xid}:{event_lsn}");
            if first {
                self.tracker.begin(xid.to_string());
                if let Some((key, value)) = self.tracker.begin_value(ts_us / 1000) {
                    let begin =
                        Offset { tx_event: Some(ordinal - 1), message_type: Some("BEGIN".into()), ..offset.clone() };
                    let record = emitter.transaction(
                        &config.common.topics.transaction(),
                        with_tx_id(key, &id),
                        with_tx_id(value, &id),
                        begin.to_json(),
                    );
                    self.emit(record, begin, out);
                }
            }
            block = self.tracker.event(collection).map(|b| with_tx_id(b, &id));
        }
        let position = Position {
            ts_us,
            tx_id: Some(i64::from(xid)),
            lsn: Some(event_lsn),
            last_commit: self.last_commit_end,
            snapshot: SnapshotMarker::False,
        };
        (position, offset, block)
    }

    fn emit(&mut self, record: SourceRecord, offset: Offset, out: &mut Vec<SourceRecord>) {
        self.last_emitted = Some(record.source_offset.clone());
        self.position = offset;
        out.push(record);
    }

    fn change(
        &mut self,
        oid: u32,
        event_lsn: u64,
        change: Change,
        config: &PgConfig,
        emitter: &Emitter,
        out: &mut Vec<SourceRecord>,
    ) -> Result<(), ConnectorError> {
        match self.relations.get(&oid) {
            Some(Relation::Captured(_)) => {}
            Some(Relation::Ignored) => {
                let _ = self.next_event(event_lsn);
                return Ok(());
            }
            None => {
                return Err(ConnectorError::fatal(format!(
                    "pgoutput sent a change for relation {oid} before describing it"
                )));
            }
        }
        let skipped = &config.common.skipped;
        let Some(at) = self.next_event(event_lsn) else { return Ok(()) };
        let skip = match &change {
            Change::Insert(_) => skipped.create,
            Change::Update(..) => skipped.update,
            Change::Delete(_) => skipped.delete,
            Change::Truncate => skipped.truncate,
        };
        if skip {
            return Ok(());
        }
        // Take the table out of the map while emitting (emitting borrows self).
        let Some(Relation::Captured(table)) = self.relations.remove(&oid) else { return Ok(()) };
        let result = self.emit_change(&table, at, change, config, emitter, out);
        self.relations.insert(oid, Relation::Captured(table));
        result
    }

    fn emit_change(
        &mut self,
        table: &Captured,
        at: (u64, u64),
        change: Change,
        config: &PgConfig,
        emitter: &Emitter,
        out: &mut Vec<SourceRecord>,
    ) -> Result<(), ConnectorError> {
        let modes = &config.modes;
        let kind = change.kind();
        let collection = table.id.qualified();
        let (pos, offset, block) = self.event_offset(&at, kind, config, emitter, out, &collection);
        let json = offset.to_json();
        match change {
            Change::Insert(new) => {
                let key = table.key(&new, modes)?;
                let after = table.row(&new, modes)?;
                let r = emitter.change(table, Op::Create, key, None, Some(after), &pos, block, json);
                self.emit(r, offset, out);
            }
            Change::Update(old, new) => {
                let key_change = old.as_ref().is_some_and(|o| table.key_schema.is_some() && table.key_changed(o, &new));
                if let (true, Some(old)) = (key_change, old.as_ref()) {
                    // A key change is a delete of the old key and a create of the new one.
                    let old_key = table.key(old, modes)?;
                    let new_key = table.key(&new, modes)?;
                    let before = table.row(old, modes)?;
                    let after = table.row(&new, modes)?;
                    let key_schema = table.key_schema.clone();
                    let mut delete = emitter.change(
                        table,
                        Op::Delete,
                        old_key.clone(),
                        Some(before),
                        None,
                        &pos,
                        block.clone(),
                        json.clone(),
                    );
                    if let Some(k) = &new_key {
                        delete = delete.header("__debezium.newkey", key_schema.clone(), k.clone());
                    }
                    self.emit(delete, offset.clone(), out);
                    if config.common.tombstones_on_delete {
                        let t = emitter.tombstone(table, old_key.clone(), json.clone());
                        self.emit(t, offset.clone(), out);
                    }
                    let mut create = emitter.change(table, Op::Create, new_key, None, Some(after), &pos, block, json);
                    if let Some(k) = old_key {
                        create = create.header("__debezium.oldkey", key_schema, k);
                    }
                    self.emit(create, offset, out);
                } else {
                    let key = table.key(&new, modes)?;
                    let before = old.as_ref().map(|o| table.row(o, modes)).transpose()?;
                    let after = table.row(&new, modes)?;
                    let r = emitter.change(table, Op::Update, key, before, Some(after), &pos, block, json);
                    self.emit(r, offset, out);
                }
            }
            Change::Delete(old) => {
                let key = table.key(&old, modes)?;
                let before = table.row(&old, modes)?;
                let r = emitter.change(table, Op::Delete, key.clone(), Some(before), None, &pos, block, json.clone());
                self.emit(r, offset.clone(), out);
                if config.common.tombstones_on_delete {
                    let t = emitter.tombstone(table, key, json);
                    self.emit(t, offset, out);
                }
            }
            Change::Truncate => {
                let mut r = emitter.change(table, Op::Truncate, None, None, None, &pos, block, json);
                r.key = None;
                self.emit(r, offset, out);
            }
        }
        Ok(())
    }

    /// The worker made `offset` durable: tell the slot what it may release.
    pub fn committed(&mut self, offset: &str) -> Result<(), ConnectorError> {
        self.last_durable = Some(offset.to_string());
        let Some(durable) = Offset::parse(offset) else { return Ok(()) };
        if let Some(c) = durable.lsn_commit {
            // Everything before the durable event's transaction is durable.
            while self.completed.front().is_some_and(|t| t.end_lsn <= c) {
                self.completed.pop_front();
            }
            if c > self.confirmed && durable.snapshot.is_none() {
                self.confirmed = c;
            }
        }
        if let (Some(x), Some(n)) = (durable.tx_id, durable.tx_event)
            && let Some(t) = self.completed.front().filter(|t| t.xid == x && t.events <= n)
        {
            self.confirmed = self.confirmed.max(t.end_lsn);
            self.completed.pop_front();
        }
        self.confirm_durable();
        // Everything emitted is durable: the slot may move to the last WAL
        // position the server reported, as on an idle keepalive. A server
        // shutting down waits for exactly this before it stops.
        let received = self.received;
        self.advance_when_idle(received);
        self.send_status(false)
    }

    /// Transactions with nothing emitted are durable once all before them are.
    fn confirm_durable(&mut self) {
        while let Some(t) = self.completed.front() {
            // With nothing emitted this session (both `None`), the
            // transaction's events were skipped as durable before a restart.
            if t.events == 0 || self.last_emitted == self.last_durable {
                self.confirmed = self.confirmed.max(t.end_lsn);
                self.completed.pop_front();
            } else {
                break;
            }
        }
    }

    /// A heartbeat carrying the current position; counted as emitted, so the
    /// slot advances once it is durable.
    pub fn heartbeat(&mut self, emitter: &Emitter, topic: &str) -> SourceRecord {
        let mut offset = self.position.clone();
        if self.tx.is_none() {
            offset.lsn_commit = self.last_commit_end.max(offset.lsn_commit);
            offset.lsn_proc = offset.lsn_commit;
        }
        let record = emitter.heartbeat(topic, offset.to_json());
        self.last_emitted = Some(record.source_offset.clone());
        record
    }

    /// Ends replication.
    pub fn close(mut self) {
        let _ = self.send_status(false);
        self.repl.terminate();
    }
}

/// A row change.
enum Change {
    Insert(Vec<Datum>),
    Update(Option<Vec<Datum>>, Vec<Datum>),
    Delete(Vec<Datum>),
    Truncate,
}

impl Change {
    fn kind(&self) -> &'static str {
        match self {
            Change::Insert(_) => "INSERT",
            Change::Update(..) => "UPDATE",
            Change::Delete(_) => "DELETE",
            Change::Truncate => "TRUNCATE",
        }
    }
}

/// Replaces the `id` field (the first) of a transaction struct.
fn with_tx_id(value: Value, id: &str) -> Value {
    match value {
        Value::Struct(mut fields) if !fields.is_empty() => {
            let i = if matches!(fields.first(), Some(Value::String(s)) if s == "BEGIN" || s == "END") { 1 } else { 0 };
            fields[i] = Value::String(id.to_string());
            Value::Struct(fields)
        }
        other => other,
    }
}

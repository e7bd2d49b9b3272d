//! Streaming: the binlog read as a replica from an offset, turned into
//! change, truncate, schema change and transaction records. Offsets follow
//! Debezium's binlog rules: inside a transaction they point at its first
//! event and count the events (`event`) and rows (`row`) already emitted,
//! so a restart anywhere resumes at the next row; outside one they point
//! at the next event.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use weir_debezium::envelope::Op;
use weir_debezium::source::SnapshotMarker;
use weir_debezium::transaction::Tracker;
use weir_sdk::{ConnectorError, SourceRecord, Value};

use crate::binlog::{ChecksumAlg, Decoder, Event, RowsEvent, RowsKind};
use crate::catalog::{Catalog, Change, TableId};
use crate::config::MyConfig;
use crate::error::MyError;
use crate::events::{Emitter, Position};
use crate::gtid;
use crate::history::{BinlogPos, Entry, History};
use crate::offsets::Offset;
use crate::resume::GtidResume;
use crate::tables::Captured;
use crate::wire::MyConn;

/// How long the server may stay silent before it sends a heartbeat event
/// (it only does when idle): a dead connection shows within this.
const SERVER_HEARTBEAT: Duration = Duration::from_secs(5);

/// Table definitions, their durable history, and the captured tables'
/// schemas built from them (rebuilt when DDL changes a table).
#[derive(Debug, Default)]
pub struct Schemas {
    /// Every known table definition.
    pub catalog: Catalog,
    /// The durable DDL history.
    pub history: History,
    captured: HashMap<TableId, Option<Arc<Captured>>>,
}

impl Schemas {
    /// Definitions and history as they stand.
    pub fn new(catalog: Catalog, history: History) -> Self {
        Self { catalog, history, captured: HashMap::new() }
    }

    /// The captured table `id`; `None` when it is filtered out or unknown.
    pub fn captured(&mut self, id: &TableId, config: &MyConfig, emitter: &Emitter) -> Option<Arc<Captured>> {
        if let Some(c) = self.captured.get(id) {
            return c.clone();
        }
        let built = (config.captures(id))
            .then(|| self.catalog.table(id))
            .flatten()
            .map(|def| Arc::new(Captured::new(def, config, &config.common.topics, &emitter.source)));
        self.captured.insert(id.clone(), built.clone());
        built
    }

    /// Forgets the schemas a DDL statement may have changed.
    pub fn invalidate(&mut self, changes: &[Change]) {
        for c in changes {
            match c {
                Change::Create(id) | Change::Alter(id) | Change::Drop(id) | Change::Truncate(id) => {
                    self.captured.remove(id);
                }
                Change::Rename(from, to) => {
                    self.captured.remove(from);
                    self.captured.remove(to);
                }
                Change::CreateDatabase(_) | Change::DropDatabase(_) => self.captured.clear(),
            }
        }
    }
}

/// What the stream needs from the task for each event.
pub struct Context<'a> {
    /// The configuration.
    pub config: &'a MyConfig,
    /// Record builder.
    pub emitter: &'a Emitter,
    /// Table definitions.
    pub schemas: &'a mut Schemas,
}

/// A binlog stream in progress.
pub struct Stream {
    conn: MyConn,
    decoder: Decoder,
    /// The file events come from now.
    file: String,
    /// Where a restart resumes.
    restart: Offset,
    /// GTID set (MySQL) or positions (MariaDB) including the open transaction.
    current_gtids: Option<String>,
    in_tx: bool,
    /// Events of the open transaction already handled.
    events_done: u64,
    /// From the offset: events of the first transaction to skip.
    skip_events: u64,
    skipping: bool,
    /// From the offset: rows of the next rows event to skip.
    start_row: u64,
    gtid: Option<String>,
    /// The open transaction comes from a GTID source `gtid.source.*` filters out.
    ignore_dml: bool,
    thread: Option<u32>,
    query: Option<String>,
    tx: Tracker,
    /// Position of the event being handled and its length.
    event_pos: u64,
    event_len: u64,
}

impl Stream {
    /// Connects as replica `config.server_id` and asks for the binlog from `from`.
    pub fn open(config: &MyConfig, from: &Offset) -> Result<Self, MyError> {
        let mut conn = MyConn::connect(&config.connect)?;
        // Tell the server we verify checksums (else it refuses to send
        // CRC32-checked events), and to send a heartbeat when idle.
        conn.execute("SET @master_binlog_checksum = @@global.binlog_checksum")?;
        conn.execute(&format!("SET @master_heartbeat_period = {}", SERVER_HEARTBEAT.as_nanos()))?;
        if conn.is_mariadb() {
            // MARIA_SLAVE_CAPABILITY_GTID: send GTID and annotate-rows events.
            conn.execute("SET @mariadb_slave_capability = 4")?;
        }
        let pos = u32::try_from(from.pos)
            .map_err(|_| MyError::Protocol(format!("binlog position {} too large", from.pos)))?;
        let annotate = conn.is_mariadb() && config.include_query;
        let by_gtid = GtidResume::of(&mut conn, config, from)?;
        let mut file = from.file.clone();
        match &by_gtid {
            Some(resume) => {
                if let Some(name) = resume.start_file(&mut conn)? {
                    file = name;
                }
                match resume.request()? {
                    gtid::DumpRequest::MariaDb(commands) => {
                        for command in &commands {
                            conn.execute(command)?;
                        }
                        // With @slave_connect_state set, MariaDB ignores file and position.
                        conn.binlog_dump(config.server_id, "", 4, annotate)?;
                    }
                    gtid::DumpRequest::MySql(data) => conn.binlog_dump_gtid(config.server_id, &data)?,
                }
            }
            None => conn.binlog_dump(config.server_id, &from.file, pos, annotate)?,
        }
        // The dump's first (artificial) rotate already carries a checksum
        // when the server writes them.
        let mut decoder = Decoder::default();
        let checksum = conn.query_value("SELECT @@global.binlog_checksum")?.unwrap_or_default();
        decoder.set_checksum(if checksum.eq_ignore_ascii_case("CRC32") {
            ChecksumAlg::Crc32
        } else {
            ChecksumAlg::Off
        });
        let start = match (&by_gtid, &from.gtids) {
            (Some(_), Some(gtids)) => format!("after GTIDs {gtids}"),
            _ => format!("{}:{}", from.file, from.pos),
        };
        crate::log_info(&format!("Streaming from {start} (skipping {} events and {} rows)", from.event, from.row));
        Ok(Self {
            conn,
            decoder,
            file,
            restart: Offset { event: 0, row: 0, snapshot: None, ..from.clone() },
            current_gtids: from.gtids.clone(),
            in_tx: false,
            events_done: 0,
            skip_events: from.event,
            skipping: false,
            start_row: from.row,
            gtid: None,
            ignore_dml: false,
            thread: None,
            query: None,
            tx: Tracker::default(),
            event_pos: from.pos,
            event_len: 0,
        })
    }

    /// Reads events until `deadline` or until `max` records are ready.
    pub fn poll(
        &mut self,
        deadline: Instant,
        max: usize,
        ctx: &mut Context<'_>,
    ) -> Result<Vec<SourceRecord>, ConnectorError> {
        let mut out = Vec::new();
        while out.len() < max {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            // Once records are ready, only take what has already arrived.
            let wait = if out.is_empty() { deadline - now } else { Duration::from_millis(1) };
            let Some(event) = self.conn.next_event(wait).map_err(ConnectorError::from)? else { break };
            self.handle(&event, ctx, &mut out)?;
        }
        Ok(out)
    }

    /// The offset of the position after everything handled so far, for
    /// heartbeats while idle.
    pub fn idle_offset(&self) -> Offset {
        Offset { event: if self.in_tx { self.events_done } else { 0 }, ..self.restart.clone() }
    }

    fn handle(
        &mut self,
        bytes: &[u8],
        ctx: &mut Context<'_>,
        out: &mut Vec<SourceRecord>,
    ) -> Result<(), ConnectorError> {
        let (header, event) = self.decoder.decode(bytes).map_err(|e| {
            ConnectorError::fatal(format!("cannot decode the binlog event at {}:{}: {e}", self.file, self.restart.pos))
        })?;
        // Artificial events (the dump's fake rotate, a heartbeat) describe
        // the stream, not a place in it.
        let artificial = header.flags & 0x20 != 0 || matches!(event, Event::Heartbeat { .. });
        if let Event::Rotate { next_file, position } = &event {
            self.file = next_file.clone();
            if !self.in_tx {
                self.restart.file = next_file.clone();
                self.restart.pos = *position;
            }
            return Ok(());
        }
        if !artificial && header.log_pos > 0 {
            self.event_len = u64::from(header.event_size);
            self.event_pos = u64::from(header.log_pos).saturating_sub(self.event_len);
            if !self.in_tx {
                self.restart.file = self.file.clone();
                self.restart.pos = u64::from(header.log_pos);
                self.events_done = 0;
            }
        }
        self.restart.server_id = u64::from(header.server_id);
        self.restart.ts_sec = Some(i64::from(header.timestamp));
        let mut completes = true;
        match event {
            Event::MariadbGtid(ref g) => {
                let text = g.text();
                self.ignore_dml = !ctx.config.gtid_filter.accepts(&format!("{}-{}", g.domain_id, g.server_id));
                if !self.ignore_dml {
                    self.current_gtids = Some(advance(ctx.config.flavor, self.restart.gtids.as_deref(), &text));
                }
                self.gtid = Some(text);
                if !g.standalone() {
                    self.begin(&self.position(&header), ctx, out);
                }
            }
            Event::Gtid(ref g) => {
                let text = g.text();
                let uuid = text.split(':').next().unwrap_or_default();
                self.ignore_dml = !ctx.config.gtid_filter.accepts(uuid);
                if !self.ignore_dml {
                    self.current_gtids = Some(advance(ctx.config.flavor, self.restart.gtids.as_deref(), &text));
                }
                self.gtid = Some(text);
            }
            Event::Query(ref q) => {
                let (sql, database, thread_id) = (&q.sql, &q.database, q.thread_id);
                let statement = sql.trim();
                if statement.eq_ignore_ascii_case("BEGIN") {
                    self.thread = Some(thread_id);
                    if !self.in_tx {
                        self.begin(&self.position(&header), ctx, out);
                    }
                } else if statement.eq_ignore_ascii_case("COMMIT") || statement.eq_ignore_ascii_case("ROLLBACK") {
                    self.commit(ctx, out);
                    completes = false;
                } else if is_ignorable(statement) {
                } else {
                    self.thread = Some(thread_id);
                    self.ddl(database, statement, &self.position(&header), ctx, out)?;
                    if !self.in_tx {
                        // DDL commits on its own (with a standalone GTID).
                        self.restart.gtids = self.current_gtids.clone();
                        self.gtid = None;
                    }
                }
            }
            Event::Xid(_) => {
                self.commit(ctx, out);
                completes = false;
            }
            Event::AnnotateRows(ref sql) | Event::RowsQuery(ref sql) if ctx.config.include_query => {
                self.query = Some(sql.clone());
            }
            Event::Rows(ref rows) => {
                if !self.skipping && !self.ignore_dml {
                    self.rows(rows, &header, ctx, out)?;
                }
                self.start_row = 0;
            }
            _ => {}
        }
        if completes && !artificial {
            self.events_done += 1;
            if self.skipping {
                self.skip_events = self.skip_events.saturating_sub(1);
                self.skipping = self.skip_events > 0;
            }
        }
        Ok(())
    }

    fn begin(&mut self, at: &Position, ctx: &mut Context<'_>, out: &mut Vec<SourceRecord>) {
        self.in_tx = true;
        self.events_done = 0;
        self.restart.file = self.file.clone();
        self.restart.pos = self.event_pos;
        if self.skip_events > 0 {
            self.skipping = true;
        }
        if ctx.config.common.transaction_metadata {
            let id =
                self.gtid.clone().unwrap_or_else(|| format!("file={},pos={}", self.restart.file, self.restart.pos));
            self.tx.begin(id);
            if let Some((key, value)) = self.tx.begin_value(at.ts_us / 1000) {
                let topic = ctx.config.common.topics.transaction();
                out.push(ctx.emitter.transaction(&topic, key, value, self.offset(0, 0).to_json()));
            }
        }
    }

    fn commit(&mut self, ctx: &mut Context<'_>, out: &mut Vec<SourceRecord>) {
        self.in_tx = false;
        self.restart.file = self.file.clone();
        self.restart.pos = self.event_pos + self.event_len;
        self.restart.gtids = self.current_gtids.clone();
        self.events_done = 0;
        self.skip_events = 0;
        self.skipping = false;
        self.gtid = None;
        self.ignore_dml = false;
        self.thread = None;
        self.query = None;
        if ctx.config.common.transaction_metadata {
            let ts_ms = self.restart.ts_sec.unwrap_or(0) * 1000;
            if let Some((key, value)) = self.tx.end_value(ts_ms) {
                let topic = ctx.config.common.topics.transaction();
                out.push(ctx.emitter.transaction(&topic, key, value, self.offset(0, 0).to_json()));
            }
        }
    }

    /// The offset of a record: the restart point, the events handled, and
    /// the rows of the current event already emitted.
    fn offset(&self, events: u64, rows: u64) -> Offset {
        Offset { event: events, row: rows, ..self.restart.clone() }
    }

    fn ddl(
        &mut self,
        database: &str,
        statement: &str,
        at: &Position,
        ctx: &mut Context<'_>,
        out: &mut Vec<SourceRecord>,
    ) -> Result<(), ConnectorError> {
        let entry = Entry {
            at: BinlogPos { file: self.file.clone(), pos: self.event_pos },
            db: database.to_string(),
            ddl: statement.to_string(),
            snapshot: false,
            gtid: self.gtid.clone(),
        };
        let applied = match ctx.schemas.history.apply(&mut ctx.schemas.catalog, &entry) {
            Ok(a) => a,
            Err(e) if ctx.config.skip_unparseable_ddl => {
                weir_sdk::host::warn(&format!("Skipping DDL the parser cannot read: {e}: {statement}"));
                return Ok(());
            }
            Err(e) => {
                return Err(ConnectorError::fatal(format!(
                    "cannot parse DDL at {}:{}: {e}: {statement} \
                     (set schema.history.internal.skip.unparseable.ddl=true to skip it)",
                    self.file, self.event_pos
                )));
            }
        };
        let changes = applied.changes;
        ctx.schemas.invalidate(&changes);
        let offset = self.offset(self.events_done, 0).to_json();
        for change in &changes {
            if let Change::Truncate(id) = change
                && !ctx.config.common.skipped.truncate
                && let Some(table) = ctx.schemas.captured(id, ctx.config, ctx.emitter)
            {
                let block = self.tx.event(&id.to_string());
                out.push(ctx.emitter.truncate(&table, at, block, offset.clone()));
            }
        }
        if !ctx.config.include_schema_changes {
            return Ok(());
        }
        let mut table_changes = Vec::new();
        let mut db = database.to_string();
        let mut table_name = None;
        let mut relevant = false;
        for change in &changes {
            let (kind, id, new_id) = match change {
                Change::Create(id) => ("CREATE", id, id),
                Change::Alter(id) => ("ALTER", id, id),
                // Debezium reports a rename as an ALTER of the new table.
                Change::Rename(from, to) => ("ALTER", from, to),
                Change::Drop(id) => ("DROP", id, id),
                Change::CreateDatabase(name) | Change::DropDatabase(name) => {
                    if ctx.config.databases.accepts(name) {
                        db = name.clone();
                        relevant = true;
                    }
                    continue;
                }
                Change::Truncate(_) => continue,
            };
            if !ctx.config.captures(new_id) && !ctx.config.captures(id) {
                continue;
            }
            relevant = true;
            db = new_id.database.clone();
            table_name = Some(new_id.table.clone());
            let def = ctx.schemas.catalog.table(new_id).or_else(|| applied.dropped.iter().find(|d| &d.id == id));
            if let Some(def) = def {
                table_changes.push(crate::changes::table_change(kind, def));
            }
        }
        if relevant {
            out.push(ctx.emitter.schema_change(&db, table_name.as_deref(), statement, table_changes, at, offset));
        }
        Ok(())
    }

    /// The `source` position of the current event's first row; the
    /// strings are shared, as every row of the event carries them.
    fn position(&self, header: &crate::binlog::EventHeader) -> Position {
        Position {
            ts_us: i64::from(header.timestamp) * 1_000_000,
            server_id: header.server_id,
            gtid: self.gtid.clone().map_or(Value::Null, Value::shared),
            file: Value::shared(self.file.clone()),
            pos: self.event_pos,
            row: 0,
            thread: self.thread,
            query: self.query.clone(),
            snapshot: SnapshotMarker::False,
        }
    }

    fn rows(
        &mut self,
        rows: &RowsEvent,
        header: &crate::binlog::EventHeader,
        ctx: &mut Context<'_>,
        out: &mut Vec<SourceRecord>,
    ) -> Result<(), ConnectorError> {
        if rows.rows.iter().any(|r| r.before.as_ref().or(r.after.as_ref()).is_some_and(|i| i.partial)) {
            return Err(ConnectorError::fatal(format!(
                "a row event for {}.{} at {}:{} lacks columns: the server's binlog_row_image must be FULL",
                rows.table.database, rows.table.table, self.file, self.event_pos
            )));
        }
        let id = TableId::new(rows.table.database.clone(), rows.table.table.clone());
        let Some(table) = ctx.schemas.captured(&id, ctx.config, ctx.emitter) else { return Ok(()) };
        let modes = &ctx.config.modes;
        let skipped = ctx.config.common.skipped;
        let n = rows.rows.len() as u64;
        let collection = id.to_string();
        // What differs between the rows of one event is the row number:
        // the position and offset are built once per event.
        let offsets = self.offset(self.events_done, 0).row_offsets();
        let mut at = self.position(header);
        for (i, row) in rows.rows.iter().enumerate().skip(usize::try_from(self.start_row).unwrap_or(usize::MAX)) {
            let i = i as u64;
            let rows_done = if i + 1 < n { i + 1 } else { n };
            let offset = offsets.row(rows_done);
            at.row = u32::try_from(i).unwrap_or(u32::MAX);
            match rows.kind {
                RowsKind::Write => {
                    let Some(after) = row.after.as_ref().map(|i| &i.cells) else { continue };
                    table.check_width(after.len())?;
                    if skipped.create {
                        continue;
                    }
                    let key = table.key(after, modes, false)?;
                    let value = table.row(after, modes, false)?;
                    let block = self.tx.event(&collection);
                    out.push(ctx.emitter.change(&table, Op::Create, key, None, Some(value), &at, block, offset));
                }
                RowsKind::Delete => {
                    let Some(before) = row.before.as_ref().map(|i| &i.cells) else { continue };
                    table.check_width(before.len())?;
                    if skipped.delete {
                        continue;
                    }
                    let key = table.key(before, modes, false)?;
                    let value = table.row(before, modes, false)?;
                    let block = self.tx.event(&collection);
                    out.push(ctx.emitter.change(
                        &table,
                        Op::Delete,
                        key.clone(),
                        Some(value),
                        None,
                        &at,
                        block,
                        offset.clone(),
                    ));
                    if ctx.config.common.tombstones_on_delete {
                        out.push(ctx.emitter.tombstone(&table, key, offset));
                    }
                }
                RowsKind::Update => {
                    let (Some(before), Some(after)) =
                        (row.before.as_ref().map(|i| &i.cells), row.after.as_ref().map(|i| &i.cells))
                    else {
                        continue;
                    };
                    table.check_width(after.len())?;
                    if skipped.update {
                        continue;
                    }
                    let old_key = table.key(before, modes, false)?;
                    let new_key = table.key(after, modes, false)?;
                    let old = table.row(before, modes, false)?;
                    let new = table.row(after, modes, false)?;
                    if table.key_changed(before, after) {
                        // A key change is a delete of the old key and a
                        // create of the new one, as Debezium emits it.
                        let block = self.tx.event(&collection);
                        out.push(ctx.emitter.change(
                            &table,
                            Op::Delete,
                            old_key.clone(),
                            Some(old),
                            None,
                            &at,
                            block,
                            offset.clone(),
                        ));
                        if ctx.config.common.tombstones_on_delete {
                            out.push(ctx.emitter.tombstone(&table, old_key, offset.clone()));
                        }
                        let block = self.tx.event(&collection);
                        out.push(ctx.emitter.change(&table, Op::Create, new_key, None, Some(new), &at, block, offset));
                    } else {
                        let block = self.tx.event(&collection);
                        out.push(ctx.emitter.change(
                            &table,
                            Op::Update,
                            new_key,
                            Some(old),
                            Some(new),
                            &at,
                            block,
                            offset,
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The GTID set (MySQL) or positions (MariaDB) `set` with `gtid` added;
/// text that does not parse is kept as it is, with a warning.
fn advance(flavor: crate::config::Flavor, set: Option<&str>, gtid: &str) -> String {
    let flavor = gtid::Flavor::from(flavor);
    let parsed = gtid::GtidSet::parse(flavor, set.unwrap_or("")).and_then(|mut s| {
        gtid::Gtid::parse(flavor, gtid).map(|g| {
            s.add(&g);
            s
        })
    });
    match parsed {
        Ok(s) => s.to_string(),
        Err(e) => {
            weir_sdk::host::warn(&format!("cannot track GTID {gtid} in {set:?}: {e}"));
            set.unwrap_or(gtid).to_string()
        }
    }
}

/// Statements in QUERY events that change no schema and need no handling.
fn is_ignorable(statement: &str) -> bool {
    let head: String = statement.chars().take(16).collect::<String>().to_ascii_uppercase();
    ["SAVEPOINT", "XA ", "FLUSH", "SET ", "# ", "ANALYZE", "OPTIMIZE", "REPAIR", "GRANT", "REVOKE"]
        .iter()
        .any(|p| head.starts_with(p))
}

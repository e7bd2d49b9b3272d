//! The initial snapshot: every captured table read at the consistent point
//! `lock::begin` fixed (inside a `START TRANSACTION WITH CONSISTENT
//! SNAPSHOT` opened while the global read lock held the binlog still, or
//! under read locks on the captured tables), so streaming from that binlog
//! position continues exactly where the snapshot's view ends.
//!
//! Rows stream from the server (the text protocol sends them one by one),
//! a batch per poll, so a table of any size takes bounded memory. The last
//! row read is held back until the next one is known, which is how
//! `source.snapshot` can say `last` (of the table, of the snapshot).

use weir_debezium::envelope::Op;
use weir_debezium::source::{Lookahead, SnapshotMarker, SnapshotSources};
use weir_sdk::{ConnectorError, SourceRecord, Value};

use crate::cell::Cell;
use crate::events::{Emitter, Position};
use crate::offsets::Offset;
use crate::tables::Captured;
use crate::types::{self, Modes};
use crate::wire::{MyConn, ident};

/// Where the snapshot's consistent view sits in the binlog.
#[derive(Debug, Clone, Default)]
pub struct Point {
    /// Binlog file.
    pub file: String,
    /// Position in it.
    pub pos: u64,
    /// GTID set executed at that point, if GTIDs are in use.
    pub gtids: Option<String>,
}

/// A snapshot in progress on the query connection, which holds what
/// `lock::begin` left open (a transaction, table locks or both) until the
/// task releases it at the end.
pub struct Snapshot {
    tables: Vec<Captured>,
    current: usize,
    reading: bool,
    rows: Lookahead<Vec<Cell>>,
    /// The binlog position streaming continues from.
    pub point: Point,
    ts_us: i64,
    batch: usize,
    /// `offset(false)` as JSON: the same for every record but the last.
    offset_json: String,
    /// The `source` structs the rows share.
    sources: SnapshotSources,
}

impl Snapshot {
    /// Starts reading `tables` at `point`, as `lock::begin` left the connection.
    pub fn new(tables: Vec<Captured>, point: Point, batch: usize) -> Self {
        let mut snapshot = Self {
            tables,
            current: 0,
            reading: false,
            rows: Lookahead::default(),
            point,
            ts_us: weir_debezium::envelope::now_ns() / 1000,
            batch: batch.max(1),
            offset_json: String::new(),
            sources: SnapshotSources::default(),
        };
        snapshot.offset_json = snapshot.offset(false).to_json();
        snapshot
    }

    /// Whether there are no tables to read (a schema-only snapshot).
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// Reads up to one batch of rows; returns the records and whether the
    /// snapshot is complete.
    pub fn read(
        &mut self,
        conn: &mut MyConn,
        emitter: &Emitter,
        modes: &Modes,
    ) -> Result<(Vec<SourceRecord>, bool), ConnectorError> {
        let mut out = Vec::new();
        while self.current < self.tables.len() {
            if !self.reading {
                let table = &self.tables[self.current];
                conn.start_query(&format!("SELECT * FROM {}.{}", ident(&table.id.database), ident(&table.id.table)))?;
                self.reading = true;
                self.rows.start_table();
                crate::log_info(&format!("Snapshot: reading table {}", table.id));
            }
            let mut n = 0;
            while n < self.batch {
                let Some(row) = conn.next_row()? else {
                    self.reading = false;
                    break;
                };
                let table = &self.tables[self.current];
                let columns = table.columns();
                let mut cells = Vec::with_capacity(columns.len());
                for (i, col) in columns.iter().enumerate() {
                    cells.push(match row.get(i) {
                        None => Cell::Null,
                        Some(text) => types::text_cell(col, text)
                            .map_err(|e| ConnectorError::fatal(format!("snapshot of {}: {e}", table.id)))?,
                    });
                }
                if let Some((table, row, marker)) = self.rows.push(self.current, cells) {
                    out.push(self.record(table, &row, marker, emitter, modes)?);
                }
                n += 1;
            }
            if self.reading {
                return Ok((out, false));
            }
            self.rows.end_table(self.current);
            crate::log_info(&format!(
                "Snapshot: {} rows from {}",
                self.rows.rows_in_table(),
                self.tables[self.current].id
            ));
            self.current += 1;
            if !out.is_empty() {
                return Ok((out, false));
            }
        }
        if let Some((table, row, marker)) = self.rows.finish() {
            out.push(self.record(table, &row, marker, emitter, modes)?);
        }
        Ok((out, true))
    }

    /// The offset snapshot records carry: the consistent point, marked as
    /// an unfinished snapshot until the last record.
    pub fn offset(&self, last: bool) -> Offset {
        Offset {
            file: self.point.file.clone(),
            pos: self.point.pos,
            gtids: self.point.gtids.clone(),
            ts_sec: Some(self.ts_us.div_euclid(1_000_000)),
            snapshot: (!last).then(|| "INITIAL".to_string()),
            ..Offset::default()
        }
    }

    /// The `source` position of snapshot records.
    pub fn position(&self, marker: SnapshotMarker) -> Position {
        Position {
            ts_us: self.ts_us,
            file: Value::String(self.point.file.clone()),
            pos: self.point.pos,
            gtid: Value::Null,
            snapshot: marker,
            ..Position::default()
        }
    }

    fn record(
        &mut self,
        index: usize,
        row: &[Cell],
        marker: SnapshotMarker,
        emitter: &Emitter,
        modes: &Modes,
    ) -> Result<SourceRecord, ConnectorError> {
        let last_in_snapshot = marker == SnapshotMarker::Last;
        // Taken out for the call, so that building a source (rarely) can read `self`.
        let mut sources = std::mem::take(&mut self.sources);
        let table = &self.tables[index];
        let source = sources.get(index, marker, || emitter.table_source(table, &self.position(marker)));
        self.sources = sources;
        let key = table.key(row, modes, true)?;
        let after = table.row(row, modes, true)?;
        let offset = if last_in_snapshot { self.offset(true).to_json() } else { self.offset_json.clone() };
        let now_ns = weir_debezium::envelope::now_ns();
        Ok(emitter.change_with_source(table, Op::Read, key, None, Some(after), source, None, offset, now_ns))
    }
}

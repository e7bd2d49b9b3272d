//! The initial snapshot: every captured table read inside the transaction
//! snapshot a new replication slot exported, so streaming from the slot's
//! consistent point continues exactly where the snapshot's view ends.
//!
//! Rows are read through a cursor a batch at a time, so a table of any size
//! takes bounded memory. The last row read is held back until the next one
//! is known, which is how `source.snapshot` can say `last` (of the table, of
//! the whole snapshot) as Debezium does.

use weir_debezium::envelope::{Op, RunClock};
use weir_debezium::source::{Lookahead, SnapshotMarker, SnapshotSources};
use weir_sdk::{ConnectorError, SourceRecord, Value};

use crate::events::{Emitter, Position};
use crate::lsn;
use crate::offsets::Offset;
use crate::tables::Captured;
use crate::types::Modes;
use crate::wire::{PgConn, cells, ident};

/// A snapshot in progress on the query connection (which holds the
/// snapshot transaction until [`Snapshot::finish`]).
pub struct Snapshot {
    tables: Vec<Captured>,
    current: usize,
    cursor_open: bool,
    table_exhausted: bool,
    /// A FETCH already sent, whose rows the next `read` takes: sent as one
    /// batch ends, the server produces the next while this poll's records
    /// are converted and delivered.
    fetch_sent: bool,
    /// Which of the current table's columns are fetched in binary.
    binary: Vec<bool>,
    /// Rows converted to their key and `after` values, the last one held
    /// back until its marker is known.
    rows: Lookahead<(Option<Value>, Value)>,
    consistent_point: u64,
    tx_id: Option<i64>,
    ts_us: i64,
    fetch_size: usize,
    /// The offset every record carries, rendered once: `[0]` for all but
    /// the last record, `[1]` for the last (which marks the snapshot done).
    offsets: [String; 2],
    /// The `source` structs the rows share.
    sources: SnapshotSources,
    /// The rows' processing time, read once for several rows, and afresh
    /// after the connection read (and so may have waited): at `reads`.
    clock: RunClock,
    reads: u64,
}

impl Snapshot {
    /// Starts reading `tables` in the transaction already open on `conn`.
    pub fn new(tables: Vec<Captured>, consistent_point: u64, tx_id: Option<i64>, fetch_size: usize) -> Self {
        let ts_us = lsn::unix_now_micros();
        let offset = |last: bool| {
            Offset {
                lsn: Some(consistent_point),
                tx_id,
                ts_usec: Some(ts_us),
                snapshot: Some("INITIAL".into()),
                last_snapshot_record: Some(last),
                snapshot_completed: Some(last),
                ..Offset::default()
            }
            .to_json()
        };
        Self {
            tables,
            current: 0,
            cursor_open: false,
            table_exhausted: false,
            fetch_sent: false,
            binary: Vec::new(),
            rows: Lookahead::default(),
            consistent_point,
            tx_id,
            ts_us,
            fetch_size: fetch_size.max(1),
            offsets: [offset(false), offset(true)],
            sources: SnapshotSources::default(),
            clock: RunClock::default(),
            reads: 0,
        }
    }

    /// The LSN streaming continues from.
    pub fn consistent_point(&self) -> u64 {
        self.consistent_point
    }

    /// Reads up to one batch of rows; returns the records and whether the
    /// snapshot is complete.
    pub fn read(
        &mut self,
        conn: &mut PgConn,
        emitter: &Emitter,
        modes: &Modes,
    ) -> Result<(Vec<SourceRecord>, bool), ConnectorError> {
        let mut out = Vec::new();
        // The host may have waited since the last batch.
        self.clock.reset();
        while self.current < self.tables.len() {
            if !self.cursor_open {
                let table = &self.tables[self.current];
                let columns: Vec<String> = table.column_names().map(ident).collect();
                let select = if columns.is_empty() { "*".to_string() } else { columns.join(", ") };
                conn.query(&format!(
                    "DECLARE weir_snapshot NO SCROLL CURSOR FOR SELECT {select} FROM {}.{}",
                    ident(&table.id.schema),
                    ident(&table.id.table)
                ))?;
                self.cursor_open = true;
                self.binary = table.binary_columns();
                self.table_exhausted = false;
                self.rows.start_table();
                crate::log_info(&format!("Snapshot: reading table {}", table.id.qualified()));
            }
            if !self.table_exhausted {
                if !self.fetch_sent {
                    self.send_fetch(conn)?;
                }
                self.fetch_sent = false;
                let mut n = 0;
                while let Some(body) = conn.next_data_row()? {
                    n += 1;
                    // Converted straight from the read buffer: no copy of the row.
                    let cells = cells(body, &self.binary)?;
                    let table = &self.tables[self.current];
                    let row = (table.key(&cells, modes)?, table.row(&cells, modes)?);
                    if conn.reads() != self.reads {
                        self.reads = conn.reads();
                        self.clock.reset();
                    }
                    if let Some((table, row, marker)) = self.rows.push(self.current, row) {
                        out.push(self.record(table, row, marker, emitter));
                    }
                }
                if n < self.fetch_size {
                    self.table_exhausted = true;
                }
                if !self.table_exhausted {
                    self.send_fetch(conn)?;
                    self.fetch_sent = true;
                    return Ok((out, false));
                }
            }
            self.rows.end_table(self.current);
            conn.query("CLOSE weir_snapshot")?;
            crate::log_info(&format!(
                "Snapshot: {} rows from {}",
                self.rows.rows_in_table(),
                self.tables[self.current].id.qualified()
            ));
            self.cursor_open = false;
            self.current += 1;
            if !out.is_empty() {
                return Ok((out, false));
            }
        }
        if let Some((table, row, marker)) = self.rows.finish() {
            out.push(self.record(table, row, marker, emitter));
        }
        Ok((out, true))
    }

    /// Asks for the next batch, the columns that have one in binary format
    /// (cheaper to decode than their text).
    fn send_fetch(&self, conn: &mut PgConn) -> Result<(), ConnectorError> {
        // The extended protocol's Bind sets a FETCH's formats, whatever the cursor's.
        conn.start_extended(&format!("FETCH FORWARD {} FROM weir_snapshot", self.fetch_size), &self.binary)?;
        Ok(())
    }

    fn record(
        &mut self,
        index: usize,
        (key, after): (Option<Value>, Value),
        marker: SnapshotMarker,
        emitter: &Emitter,
    ) -> SourceRecord {
        let last_in_snapshot = marker == SnapshotMarker::Last;
        let at = Position {
            ts_us: self.ts_us,
            tx_id: self.tx_id,
            lsn: Some(self.consistent_point),
            last_commit: None,
            snapshot: marker,
        };
        let table = &self.tables[index];
        let source = self.sources.get(index, marker, || emitter.source_value(&table.id.schema, &table.id.table, &at));
        let offset = self.offsets[usize::from(last_in_snapshot)].clone();
        emitter.change_with_source(table, Op::Read, key, None, Some(after), source, None, offset, self.clock.now_ns())
    }
}

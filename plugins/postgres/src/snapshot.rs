//! The initial snapshot: every captured table read inside the transaction
//! snapshot a new replication slot exported, so streaming from the slot's
//! consistent point continues exactly where the snapshot's view ends.
//!
//! Rows are read through a cursor a batch at a time, so a table of any size
//! takes bounded memory. The last row read is held back until the next one
//! is known, which is how `source.snapshot` can say `last` (of the table, of
//! the whole snapshot) as Debezium does.

use weir_debezium::envelope::Op;
use weir_debezium::source::SnapshotMarker;
use weir_sdk::{ConnectorError, SourceRecord};

use crate::events::{Emitter, Position};
use crate::lsn;
use crate::offsets::Offset;
use crate::pgoutput::Datum;
use crate::tables::Captured;
use crate::types::Modes;
use crate::wire::{PgConn, ident};

/// A row read but not yet emitted.
struct Held {
    table: usize,
    row: Vec<Datum>,
    first_in_snapshot: bool,
    first_in_table: bool,
    last_in_table: bool,
}

/// A snapshot in progress on the query connection (which holds the
/// snapshot transaction until [`Snapshot::finish`]).
pub struct Snapshot {
    tables: Vec<Captured>,
    current: usize,
    cursor_open: bool,
    table_exhausted: bool,
    rows_in_table: u64,
    emitted_any: bool,
    held: Option<Held>,
    consistent_point: u64,
    tx_id: Option<i64>,
    ts_us: i64,
    fetch_size: usize,
}

impl Snapshot {
    /// Starts reading `tables` in the transaction already open on `conn`.
    pub fn new(tables: Vec<Captured>, consistent_point: u64, tx_id: Option<i64>, fetch_size: usize) -> Self {
        Self {
            tables,
            current: 0,
            cursor_open: false,
            table_exhausted: false,
            rows_in_table: 0,
            emitted_any: false,
            held: None,
            consistent_point,
            tx_id,
            ts_us: lsn::unix_now_micros(),
            fetch_size: fetch_size.max(1),
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
                self.table_exhausted = false;
                self.rows_in_table = 0;
                crate::log_info(&format!("Snapshot: reading table {}", table.id.qualified()));
            }
            if !self.table_exhausted {
                conn.start_query(&format!("FETCH FORWARD {} FROM weir_snapshot", self.fetch_size))?;
                let mut n = 0;
                while let Some(row) = conn.next_row()? {
                    n += 1;
                    let row: Vec<Datum> = row.into_iter().map(|c| c.map_or(Datum::Null, Datum::Text)).collect();
                    self.push(row, emitter, modes, &mut out)?;
                }
                if n < self.fetch_size {
                    self.table_exhausted = true;
                }
                if !self.table_exhausted {
                    return Ok((out, false));
                }
            }
            if let Some(h) = self.held.as_mut().filter(|h| h.table == self.current) {
                h.last_in_table = true;
            }
            conn.query("CLOSE weir_snapshot")?;
            crate::log_info(&format!(
                "Snapshot: {} rows from {}",
                self.rows_in_table,
                self.tables[self.current].id.qualified()
            ));
            self.cursor_open = false;
            self.current += 1;
            if !out.is_empty() {
                return Ok((out, false));
            }
        }
        if let Some(h) = self.held.take() {
            out.push(self.record(h, true, emitter, modes)?);
        }
        Ok((out, true))
    }

    fn push(
        &mut self,
        row: Vec<Datum>,
        emitter: &Emitter,
        modes: &Modes,
        out: &mut Vec<SourceRecord>,
    ) -> Result<(), ConnectorError> {
        if let Some(h) = self.held.take() {
            out.push(self.record(h, false, emitter, modes)?);
        }
        self.held = Some(Held {
            table: self.current,
            row,
            first_in_snapshot: !self.emitted_any,
            first_in_table: self.rows_in_table == 0,
            last_in_table: false,
        });
        self.emitted_any = true;
        self.rows_in_table += 1;
        Ok(())
    }

    fn record(
        &self,
        h: Held,
        last_in_snapshot: bool,
        emitter: &Emitter,
        modes: &Modes,
    ) -> Result<SourceRecord, ConnectorError> {
        let table = &self.tables[h.table];
        let marker = SnapshotMarker::resolve(h.first_in_snapshot, last_in_snapshot, h.first_in_table, h.last_in_table);
        let at = Position {
            ts_us: self.ts_us,
            tx_id: self.tx_id,
            lsn: Some(self.consistent_point),
            last_commit: None,
            snapshot: marker,
        };
        let offset = Offset {
            lsn: Some(self.consistent_point),
            tx_id: self.tx_id,
            ts_usec: Some(self.ts_us),
            snapshot: Some("INITIAL".into()),
            last_snapshot_record: Some(last_in_snapshot),
            snapshot_completed: Some(last_in_snapshot),
            ..Offset::default()
        };
        let key = table.key(&h.row, modes)?;
        let after = table.row(&h.row, modes)?;
        Ok(emitter.change(table, Op::Read, key, None, Some(after), &at, None, offset.to_json()))
    }
}

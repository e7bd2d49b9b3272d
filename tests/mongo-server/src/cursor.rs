//! Open cursors: batches of a `find`/`aggregate` result not yet returned, or
//! a change stream's reading position.

use std::collections::{HashMap, VecDeque};

use bson::Document;

use crate::change_stream::ChangeStream;

/// What a cursor reads from.
#[derive(Debug)]
pub enum Source {
    /// The rest of a query result.
    Documents(VecDeque<Document>),
    /// A change stream (tailable, awaitData).
    ChangeStream(Box<ChangeStream>),
}

/// One open cursor.
#[derive(Debug)]
pub struct Cursor {
    /// The namespace the cursor reports (`db.coll`, or `db.$cmd.aggregate`
    /// for database and deployment change streams).
    pub ns: String,
    /// The user who opened it; only they may continue it.
    pub owner: Option<String>,
    /// What it reads.
    pub source: Source,
}

/// The server's open cursors by id.
#[derive(Debug, Default)]
pub struct Cursors {
    next_id: i64,
    open: HashMap<i64, Cursor>,
}

impl Cursors {
    /// Registers a cursor and returns its (non-zero) id.
    pub fn open(&mut self, cursor: Cursor) -> i64 {
        // Ids look like MongoDB's (large, never 0) but stay unique per server.
        self.next_id += 1;
        let id = 0x0100_0000_0000 + self.next_id;
        self.open.insert(id, cursor);
        id
    }

    /// The cursor with this id.
    pub fn get(&self, id: i64) -> Option<&Cursor> {
        self.open.get(&id)
    }

    /// Takes a cursor out while a getMore works on it (the state lock is
    /// held throughout); [`Cursors::restore`] puts it back.
    pub fn take(&mut self, id: i64) -> Option<Cursor> {
        self.open.remove(&id)
    }

    /// Puts back a cursor taken with [`Cursors::take`].
    pub fn restore(&mut self, id: i64, cursor: Cursor) {
        self.open.insert(id, cursor);
    }

    /// Closes a cursor; returns whether it existed.
    pub fn close(&mut self, id: i64) -> bool {
        self.open.remove(&id).is_some()
    }
}

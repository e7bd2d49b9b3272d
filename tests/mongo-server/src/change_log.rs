//! The ordered change log that change streams read, standing in for the
//! oplog: bounded, so the oldest entries fall off and a stream resuming
//! from before them gets `ChangeStreamHistoryLost`.

use std::collections::VecDeque;

use bson::{Bson, DateTime, Document};

use crate::resume_token::Position;
use crate::update::UpdateDescription;

/// One change, with the images change streams may need.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A document was inserted.
    Insert {
        /// The inserted document.
        document: Document,
    },
    /// Operators changed a document.
    Update {
        /// The document's `_id`.
        id: Bson,
        /// What changed.
        description: UpdateDescription,
        /// The document before.
        before: Document,
        /// The document after.
        after: Document,
    },
    /// A document was replaced whole.
    Replace {
        /// The document before.
        before: Document,
        /// The document after.
        after: Document,
    },
    /// A document was deleted.
    Delete {
        /// The document's `_id`.
        id: Bson,
        /// The document before.
        before: Document,
    },
    /// A collection was dropped.
    Drop,
}

/// One log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Where it sits in the log; its resume token.
    pub position: Position,
    /// Wall-clock time of the write (`wallTime`).
    pub wall_time: DateTime,
    /// Database name.
    pub db: String,
    /// Collection name.
    pub coll: String,
    /// What happened.
    pub change: Change,
    /// Whether the collection had `changeStreamPreAndPostImages` enabled at
    /// the time; only then are the images available to streams.
    pub images: bool,
    /// The transaction's `lsid` and `txnNumber`, for a committed transaction's change.
    pub txn: Option<(Document, i64)>,
}

/// The bounded log.
#[derive(Debug)]
pub struct ChangeLog {
    entries: VecDeque<Entry>,
    capacity: usize,
    dropped_through: Option<Position>,
}

impl ChangeLog {
    /// An empty log that retains at most `capacity` entries.
    pub fn new(capacity: usize) -> Self {
        Self { entries: VecDeque::new(), capacity, dropped_through: None }
    }

    /// Appends an entry, evicting the oldest beyond capacity.
    pub fn push(&mut self, entry: Entry) {
        self.entries.push_back(entry);
        while self.entries.len() > self.capacity {
            if let Some(evicted) = self.entries.pop_front() {
                self.dropped_through = Some(evicted.position);
            }
        }
    }

    /// Whether every entry after `position` is still retained.
    pub fn retains_everything_after(&self, position: Position) -> bool {
        self.dropped_through.is_none_or(|dropped| dropped <= position)
    }

    /// Entries strictly after `position`, oldest first.
    pub fn after(&self, position: Position) -> impl Iterator<Item = &Entry> {
        let start = self.entries.partition_point(|e| e.position <= position);
        self.entries.range(start..)
    }
}

#[cfg(test)]
mod tests {
    use bson::Timestamp;

    use super::*;

    fn entry(increment: u32) -> Entry {
        Entry {
            position: Position::event(Timestamp { time: 10, increment }, 0),
            wall_time: DateTime::from_millis(0),
            db: "d".into(),
            coll: "c".into(),
            change: Change::Drop,
            images: false,
            txn: None,
        }
    }

    #[test]
    fn eviction_moves_the_history_horizon() {
        let mut log = ChangeLog::new(2);
        for i in 1..=4 {
            log.push(entry(i));
        }
        let at = |i| Position::event(Timestamp { time: 10, increment: i }, 0);
        assert!(!log.retains_everything_after(at(1)));
        assert!(log.retains_everything_after(at(2)));
        assert_eq!(log.after(at(2)).count(), 2);
        assert_eq!(log.after(at(3)).map(|e| e.position).collect::<Vec<_>>(), vec![at(4)]);
    }
}

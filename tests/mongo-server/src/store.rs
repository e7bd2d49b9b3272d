//! The in-memory deployment: databases, collections, the cluster clock, the
//! change log, open cursors. Every write goes through here so that it lands
//! in the change log with a fresh cluster time.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use bson::{Binary, Bson, DateTime, Document, Timestamp, oid::ObjectId, spec::BinarySubtype};

use crate::change_log::{Change, ChangeLog, Entry};
use crate::cursor::Cursors;
use crate::error::CommandError;
use crate::fail_point::FailPoint;
use crate::query::values_equal;
use crate::resume_token::Position;
use crate::transaction::{Pending, Transactions, TxnKey, undo};
use crate::update::UpdateDescription;

/// One collection: documents in insertion order (the natural order `find`
/// returns without a sort).
#[derive(Debug, Clone)]
pub struct Collection {
    /// The collection UUID `listCollections` reports.
    pub uuid: [u8; 16],
    /// The documents.
    pub docs: Vec<Document>,
    /// `changeStreamPreAndPostImages.enabled`.
    pub pre_and_post_images: bool,
}

impl Collection {
    fn new(pre_and_post_images: bool) -> Self {
        let mut uuid = [0u8; 16];
        // A UUID only has to be unique within this process's lifetime; fall
        // back to an ObjectId's bytes if the OS RNG is unavailable.
        if getrandom::fill(&mut uuid).is_err() {
            uuid[..12].copy_from_slice(&ObjectId::new().bytes());
        }
        uuid[6] = (uuid[6] & 0x0F) | 0x40;
        uuid[8] = (uuid[8] & 0x3F) | 0x80;
        Self { uuid, docs: Vec::new(), pre_and_post_images }
    }

    /// The index of the document with this `_id`.
    pub fn position_of(&self, id: &Bson) -> Option<usize> {
        self.docs.iter().position(|d| d.get("_id").is_some_and(|v| values_equal(v, id)))
    }

    /// The UUID as BSON binary subtype 4.
    pub fn uuid_bson(&self) -> Bson {
        Bson::Binary(Binary { subtype: BinarySubtype::Uuid, bytes: self.uuid.to_vec() })
    }
}

/// The deployment's mutable state, behind the server's one mutex.
#[derive(Debug)]
pub struct State {
    /// Database name to collection name to collection.
    pub databases: BTreeMap<String, BTreeMap<String, Collection>>,
    /// The change log.
    pub log: ChangeLog,
    /// Open cursors.
    pub cursors: Cursors,
    /// The active `failCommand` fail point, if any.
    pub fail_point: Option<FailPoint>,
    /// Open multi-document transactions.
    pub transactions: Transactions,
    /// How many changes a point-in-time read may look back across.
    pub snapshot_history: usize,
    /// The transaction the command holding the lock writes in, if any: its
    /// changes wait in [`State::transactions`] instead of the change log.
    pub(crate) writing_in: Option<TxnKey>,
    clock: Timestamp,
}

fn unix_seconds() -> u32 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as u32).unwrap_or(0)
}

/// Checks a database name as MongoDB restricts them
/// (https://www.mongodb.com/docs/manual/reference/limits/#naming-restrictions).
pub fn check_db_name(db: &str) -> Result<(), CommandError> {
    if db.is_empty() || db.len() > 63 || db.contains(['/', '\\', '.', ' ', '"', '$', '\0']) {
        return Err(CommandError::new(73, "InvalidNamespace", format!("Invalid database name: '{db}'")));
    }
    Ok(())
}

/// Checks a collection name.
pub fn check_collection_name(db: &str, coll: &str) -> Result<(), CommandError> {
    if coll.is_empty() || coll.contains(['$', '\0']) || coll.starts_with('.') {
        return Err(CommandError::new(73, "InvalidNamespace", format!("Invalid namespace specified '{db}.{coll}'")));
    }
    Ok(())
}

impl State {
    /// An empty deployment retaining `log_capacity` change-log entries.
    pub fn new(log_capacity: usize) -> Self {
        Self {
            databases: BTreeMap::new(),
            log: ChangeLog::new(log_capacity),
            cursors: Cursors::default(),
            fail_point: None,
            transactions: Transactions::default(),
            snapshot_history: usize::MAX,
            writing_in: None,
            clock: Timestamp { time: unix_seconds(), increment: 1 },
        }
    }

    /// The cluster time of the latest write (`operationTime`, `$clusterTime`).
    pub fn cluster_time(&self) -> Timestamp {
        self.clock
    }

    /// Advances the cluster clock: strictly increasing, seconds from the
    /// wall clock, increment counting within a second.
    fn tick(&mut self) -> Timestamp {
        let now = unix_seconds();
        self.clock = if now > self.clock.time {
            Timestamp { time: now, increment: 1 }
        } else {
            Timestamp { time: self.clock.time, increment: self.clock.increment + 1 }
        };
        self.clock
    }

    fn record(&mut self, db: &str, coll: &str, change: Change, images: bool) {
        if let Some(key) = self.writing_in.clone() {
            let pending = Pending { db: db.to_owned(), coll: coll.to_owned(), change, images };
            self.transactions.add(&key, pending);
            return;
        }
        let position = Position::event(self.tick(), 0);
        let entry = Entry {
            position,
            wall_time: DateTime::now(),
            db: db.to_owned(),
            coll: coll.to_owned(),
            change,
            images,
            txn: None,
        };
        self.log.push(entry);
    }

    /// Commits a transaction: its changes enter the change log at one new
    /// cluster time, in the order they were made, with its `lsid` and number.
    pub fn commit(&mut self, key: &TxnKey) -> Result<(), CommandError> {
        let open = self.transactions.end(key)?;
        if open.pending.is_empty() {
            // A read-only transaction writes no oplog entry.
            return Ok(());
        }
        let at = self.tick();
        let wall_time = DateTime::now();
        for (seq, p) in (0u32..).zip(open.pending) {
            self.log.push(Entry {
                position: Position::event(at, seq),
                wall_time,
                db: p.db,
                coll: p.coll,
                change: p.change,
                images: p.images,
                txn: Some((open.lsid.clone(), key.1)),
            });
        }
        Ok(())
    }

    /// Aborts a transaction, undoing its changes newest first.
    pub fn abort(&mut self, key: &TxnKey) -> Result<(), CommandError> {
        let open = self.transactions.end(key)?;
        for p in open.pending.iter().rev() {
            if let Some(c) = self.databases.get_mut(&p.db).and_then(|c| c.get_mut(&p.coll)) {
                undo(&mut c.docs, &p.change);
            }
        }
        Ok(())
    }

    /// The documents of `db.coll` as they were at cluster time `at` (a
    /// `readConcern: {level: "snapshot", atClusterTime}` read): today's,
    /// with uncommitted and later changes undone, newest first. Like
    /// MongoDB, it fails with `SnapshotTooOld` once the history it needs is
    /// gone from the change log or older than the snapshot history.
    pub fn documents_at(&self, db: &str, coll: &str, at: Timestamp) -> Result<Vec<Document>, CommandError> {
        if at > self.clock {
            return Err(CommandError::new(
                72,
                "InvalidOptions",
                format!("atClusterTime {at} is greater than the current clusterTime {}", self.clock),
            ));
        }
        let horizon = Position::after_all_at(at);
        if !self.log.retains_everything_after(horizon) || self.log.after(horizon).count() > self.snapshot_history {
            return Err(CommandError::new(
                239,
                "SnapshotTooOld",
                format!("Read timestamp {at} is older than the oldest available timestamp."),
            ));
        }
        let mut docs = self.collection(db, coll).map(|c| c.docs.clone()).unwrap_or_default();
        let uncommitted: Vec<&Change> = self.transactions.pending_in(db, coll).collect();
        for change in uncommitted.into_iter().rev() {
            undo(&mut docs, change);
        }
        let later: Vec<&Entry> = self.log.after(horizon).filter(|e| e.db == db && e.coll == coll).collect();
        for entry in later.into_iter().rev() {
            if entry.change == Change::Drop {
                return Err(CommandError::new(
                    246,
                    "SnapshotUnavailable",
                    format!("Collection {db}.{coll} was dropped after the requested snapshot time {at}."),
                ));
            }
            undo(&mut docs, &entry.change);
        }
        Ok(docs)
    }

    /// The collection, if it exists.
    pub fn collection(&self, db: &str, coll: &str) -> Option<&Collection> {
        self.databases.get(db)?.get(coll)
    }

    /// The collection, created (implicitly, as inserts do) if missing.
    pub fn collection_or_create(&mut self, db: &str, coll: &str) -> Result<&mut Collection, CommandError> {
        check_db_name(db)?;
        check_collection_name(db, coll)?;
        Ok(self
            .databases
            .entry(db.to_owned())
            .or_default()
            .entry(coll.to_owned())
            .or_insert_with(|| Collection::new(false)))
    }

    /// Creates a collection explicitly; `NamespaceExists` if it is there.
    pub fn create_collection(&mut self, db: &str, coll: &str, images: bool) -> Result<(), CommandError> {
        if self.collection(db, coll).is_some() {
            return Err(CommandError::new(48, "NamespaceExists", format!("Collection {db}.{coll} already exists.")));
        }
        self.collection_or_create(db, coll)?.pre_and_post_images = images;
        Ok(())
    }

    /// Inserts without a change event: data that predates the change log.
    pub fn seed(&mut self, db: &str, coll: &str, doc: Document) -> Result<(), CommandError> {
        let doc = with_id(doc);
        let collection = self.collection_or_create(db, coll)?;
        check_unique(collection, db, coll, &doc)?;
        collection.docs.push(doc);
        Ok(())
    }

    /// Inserts a document (adding an ObjectId `_id` if it has none) and logs it.
    pub fn insert(&mut self, db: &str, coll: &str, doc: Document) -> Result<(), CommandError> {
        let doc = with_id(doc);
        let collection = self.collection_or_create(db, coll)?;
        check_unique(collection, db, coll, &doc)?;
        collection.docs.push(doc.clone());
        let images = collection.pre_and_post_images;
        self.record(db, coll, Change::Insert { document: doc }, images);
        Ok(())
    }

    /// Replaces the document at `index` with `new`, logging an update (when
    /// `description` is given) or a replace. Returns false, logging nothing,
    /// when the document is unchanged, as MongoDB skips no-op writes.
    pub fn rewrite(
        &mut self,
        db: &str,
        coll: &str,
        index: usize,
        new: Document,
        description: Option<UpdateDescription>,
    ) -> Result<bool, CommandError> {
        let Some(collection) = self.databases.get_mut(db).and_then(|c| c.get_mut(coll)) else {
            return Ok(false);
        };
        let Some(slot) = collection.docs.get_mut(index) else { return Ok(false) };
        if *slot == new && slot.keys().eq(new.keys()) {
            return Ok(false);
        }
        let before = std::mem::replace(slot, new.clone());
        let images = collection.pre_and_post_images;
        let change = match description {
            Some(description) => {
                let id = new.get("_id").cloned().unwrap_or(Bson::Null);
                Change::Update { id, description, before, after: new }
            }
            None => Change::Replace { before, after: new },
        };
        self.record(db, coll, change, images);
        Ok(true)
    }

    /// Deletes the document at `index` and logs it.
    pub fn delete_at(&mut self, db: &str, coll: &str, index: usize) {
        let Some(collection) = self.databases.get_mut(db).and_then(|c| c.get_mut(coll)) else { return };
        if index >= collection.docs.len() {
            return;
        }
        let before = collection.docs.remove(index);
        let images = collection.pre_and_post_images;
        let id = before.get("_id").cloned().unwrap_or(Bson::Null);
        self.record(db, coll, Change::Delete { id, before }, images);
    }

    /// Drops a collection (and its database once empty); logs a `drop`.
    pub fn drop_collection(&mut self, db: &str, coll: &str) -> bool {
        let Some(collections) = self.databases.get_mut(db) else { return false };
        if collections.remove(coll).is_none() {
            return false;
        }
        if collections.is_empty() {
            self.databases.remove(db);
        }
        self.record(db, coll, Change::Drop, false);
        true
    }
}

fn with_id(doc: Document) -> Document {
    if doc.contains_key("_id") {
        return doc;
    }
    // MongoDB puts a generated _id first.
    let mut with = Document::new();
    with.insert("_id", ObjectId::new());
    with.extend(doc);
    with
}

fn check_unique(collection: &Collection, db: &str, coll: &str, doc: &Document) -> Result<(), CommandError> {
    let id = doc.get("_id").unwrap_or(&Bson::Null);
    if collection.position_of(id).is_some() {
        return Err(CommandError::new(
            11000,
            "DuplicateKey",
            format!("E11000 duplicate key error collection: {db}.{coll} index: _id_ dup key: {{ _id: {id} }}"),
        ));
    }
    Ok(())
}

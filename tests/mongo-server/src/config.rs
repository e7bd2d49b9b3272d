//! What the server starts with: replica set name, users, change-log size and
//! seeded collections.

use bson::Document;

/// A user the server authenticates with SCRAM-SHA-1 and SCRAM-SHA-256. Every
/// user may run every command (as MongoDB's `root` role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// User name.
    pub name: String,
    /// Password (SASLprep is not applied; keep it ASCII).
    pub password: String,
    /// Authentication database (`authSource`), `admin` by default.
    pub db: String,
}

impl User {
    /// A user authenticating against `admin`.
    pub fn new(name: impl Into<String>, password: impl Into<String>) -> Self {
        Self { name: name.into(), password: password.into(), db: "admin".to_owned() }
    }

    /// The same user, authenticating against `db` instead.
    pub fn in_db(mut self, db: impl Into<String>) -> Self {
        self.db = db.into();
        self
    }
}

/// A collection that exists, with documents, before the server takes its
/// first command. Seeded documents predate the change log: they are visible
/// to `find` but produce no change events, like data older than the oplog.
#[derive(Debug, Clone, PartialEq)]
pub struct CollectionSeed {
    /// Database name.
    pub db: String,
    /// Collection name.
    pub coll: String,
    /// Documents (an ObjectId `_id` is added where missing).
    pub documents: Vec<Document>,
    /// `changeStreamPreAndPostImages: {enabled: true}`.
    pub pre_and_post_images: bool,
}

impl CollectionSeed {
    /// An empty collection.
    pub fn new(db: impl Into<String>, coll: impl Into<String>) -> Self {
        Self { db: db.into(), coll: coll.into(), documents: Vec::new(), pre_and_post_images: false }
    }

    /// Adds documents.
    pub fn documents(mut self, documents: impl IntoIterator<Item = Document>) -> Self {
        self.documents.extend(documents);
        self
    }

    /// Records pre- and post-images for change streams.
    pub fn pre_and_post_images(mut self, enabled: bool) -> Self {
        self.pre_and_post_images = enabled;
        self
    }
}

/// Server configuration. `ServerConfig::default()` is an unauthenticated
/// replica set `rs0` on a free port retaining 10 000 change-log entries.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Replica set name (`setName`; the `replicaSet` URI option must match).
    /// Empty: the server answers as a standalone `mongod`, which has no
    /// change streams.
    pub replica_set: String,
    /// Users; when empty, no authentication is required (as `mongod`
    /// without `--auth`), otherwise every command but the handshake needs it.
    pub users: Vec<User>,
    /// How many change-log entries are retained; older resume points get
    /// `ChangeStreamHistoryLost`.
    pub change_log_capacity: usize,
    /// How many changes a point-in-time read may look back across; reads
    /// further back get `SnapshotTooOld` (MongoDB bounds this in time, with
    /// `minSnapshotHistoryWindowInSeconds`).
    pub snapshot_history: usize,
    /// Collections present at start.
    pub collections: Vec<CollectionSeed>,
    /// Print each command and each connection error to stderr.
    pub verbose: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            port: 0,
            replica_set: "rs0".to_owned(),
            users: Vec::new(),
            change_log_capacity: 10_000,
            snapshot_history: usize::MAX,
            collections: Vec::new(),
            verbose: false,
        }
    }
}

impl ServerConfig {
    /// Adds a user.
    pub fn user(mut self, user: User) -> Self {
        self.users.push(user);
        self
    }

    /// Sets the replica set name.
    pub fn replica_set(mut self, name: impl Into<String>) -> Self {
        self.replica_set = name.into();
        self
    }

    /// Sets how many change-log entries are retained.
    pub fn change_log_capacity(mut self, entries: usize) -> Self {
        self.change_log_capacity = entries;
        self
    }

    /// Sets how many changes a point-in-time read may look back across.
    pub fn snapshot_history(mut self, changes: usize) -> Self {
        self.snapshot_history = changes;
        self
    }

    /// Adds a seeded collection.
    pub fn collection(mut self, seed: CollectionSeed) -> Self {
        self.collections.push(seed);
        self
    }

    /// Sets the port (0 for any free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }
}

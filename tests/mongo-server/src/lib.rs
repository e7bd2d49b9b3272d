//! A MongoDB replica-set primary for tests, in memory, speaking the real wire
//! protocol, because no MongoDB server can be installed where Weir is built.
//!
//! It answers what a change-data-capture connector and a driver's handshake
//! need, as MongoDB documents it: OP_MSG (and the legacy OP_QUERY `hello`),
//! SCRAM-SHA-1/256, `listDatabases`/`listCollections`, `find`/`getMore`/
//! `killCursors`, `insert`/`update`/`delete`, multi-document transactions,
//! point-in-time (`readConcern: snapshot`) reads, and change streams at
//! collection, database and deployment scope with resume tokens, pre- and
//! post-images and `ChangeStreamHistoryLost`. It is checked with pymongo
//! (`tests/`), and anything pymongo rejects is a bug here.
//!
//! ```text
//!  TcpListener ──accept──▶ one thread per connection
//!                            wire      (framing: OP_MSG, OP_QUERY → OP_REPLY)
//!                            commands  (auth gate, dispatch, reply fields)
//!                               │ lock
//!                            store::State ─ databases, cluster clock,
//!                                           change_log, cursors, fail point
//!                               ▲ condvar: writes wake awaiting getMores
//! ```
//!
//! Start one from a test:
//!
//! ```no_run
//! use weir_mongo_server::{CollectionSeed, MongoServer, ServerConfig, User};
//! let server = MongoServer::start(
//!     ServerConfig::default()
//!         .user(User::new("weir", "secret"))
//!         .collection(CollectionSeed::new("shop", "orders").documents([bson::doc! {"_id": 1}])),
//! )?;
//! let uri = server.uri_with_credentials("weir", "secret");
//! # Ok::<(), weir_mongo_server::ServerError>(())
//! ```

mod change_log;
mod change_stream;
mod commands;
mod config;
mod cursor;
mod error;
mod fail_point;
mod query;
pub mod resume_token;
mod scram;
mod server;
mod session;
mod store;
mod transaction;
mod update;
pub mod wire;

pub use bson;

pub use crate::config::{CollectionSeed, ServerConfig, User};
pub use crate::error::{CommandError, ServerError, WireError};
pub use crate::server::{MongoServer, ServerHandle};

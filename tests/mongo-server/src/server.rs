//! The listener, one thread per connection, and the handle tests hold.
//!
//! Threads rather than async: a test server sees a handful of connections,
//! and blocking sockets with a mutex and condvar keep it small and quick to
//! compile. Awaiting `getMore`s wait on the condvar that every write notifies.

use std::collections::HashMap;
use std::io::Write;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicI64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use bson::Document;
use bson::oid::ObjectId;

use crate::commands::{self, Outcome};
use crate::config::ServerConfig;
use crate::error::{CommandError, ServerError, WireError};
use crate::scram::{Credentials, Mechanism};
use crate::session::Session;
use crate::store::State;
use crate::wire::{self, CHECKSUM_PRESENT, MORE_TO_COME, Request};

/// A configured user's stored SCRAM credentials.
pub(crate) struct UserRecord {
    pub name: String,
    pub db: String,
    pub sha1: Credentials,
    pub sha256: Credentials,
}

impl UserRecord {
    pub fn credentials(&self, mechanism: Mechanism) -> &Credentials {
        match mechanism {
            Mechanism::Sha1 => &self.sha1,
            Mechanism::Sha256 => &self.sha256,
        }
    }
}

/// What every connection thread shares.
pub(crate) struct Shared {
    pub replica_set: String,
    /// `host:port` as the replica set config names this member.
    pub me: String,
    pub users: Vec<UserRecord>,
    pub election_id: ObjectId,
    state: Mutex<State>,
    /// Notified after every write and on stop, for awaiting getMores.
    pub changed: Condvar,
    pub stopping: AtomicBool,
    pub verbose: bool,
    next_connection_id: AtomicI64,
    next_request_id: AtomicI32,
    connections: Mutex<HashMap<i64, TcpStream>>,
}

impl Shared {
    /// Locks the deployment state. A handler that panicked cannot have left
    /// it half-written in a way later commands care about, so a poisoned lock
    /// is taken over rather than taking the whole server down.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for a write or `timeout`, whichever comes first.
    pub fn wait<'a>(&self, guard: MutexGuard<'a, State>, timeout: std::time::Duration) -> MutexGuard<'a, State> {
        match self.changed.wait_timeout(guard, timeout) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }

    pub fn user(&self, db: &str, name: &str) -> Option<&UserRecord> {
        self.users.iter().find(|u| u.db == db && u.name == name)
    }

    pub fn auth_required(&self) -> bool {
        !self.users.is_empty()
    }

    fn connections(&self) -> MutexGuard<'_, HashMap<i64, TcpStream>> {
        self.connections.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn request_id(&self) -> i32 {
        self.next_request_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// Starts servers.
pub struct MongoServer;

impl MongoServer {
    /// Binds 127.0.0.1 on the configured port (0: any free one), seeds the
    /// configured collections and serves until the handle is stopped or dropped.
    pub fn start(config: ServerConfig) -> Result<ServerHandle, ServerError> {
        let listener = TcpListener::bind(("127.0.0.1", config.port))
            .map_err(|source| ServerError::Bind { port: config.port, source })?;
        let address = listener.local_addr().map_err(ServerError::Listener)?;
        let users = config
            .users
            .iter()
            .map(|u| {
                let mut salt = [0u8; 16];
                if getrandom::fill(&mut salt).is_err() {
                    salt[..12].copy_from_slice(&ObjectId::new().bytes());
                }
                UserRecord {
                    name: u.name.clone(),
                    db: u.db.clone(),
                    sha1: Credentials::for_mongodb(Mechanism::Sha1, &u.name, &u.password, &salt),
                    sha256: Credentials::for_mongodb(Mechanism::Sha256, &u.name, &u.password, &salt),
                }
            })
            .collect();
        let mut state = State::new(config.change_log_capacity);
        state.snapshot_history = config.snapshot_history;
        for seed in &config.collections {
            // Seeds are the test author's own data; a bad one is reported
            // through the first command that touches it, not at start.
            if state.create_collection(&seed.db, &seed.coll, seed.pre_and_post_images).is_ok() {
                for doc in &seed.documents {
                    if let Err(e) = state.seed(&seed.db, &seed.coll, doc.clone()) {
                        eprintln!("weir-mongo-server: seeding {}.{}: {e}", seed.db, seed.coll);
                    }
                }
            }
        }
        let shared = Arc::new(Shared {
            replica_set: config.replica_set.clone(),
            me: address.to_string(),
            users,
            election_id: ObjectId::new(),
            state: Mutex::new(state),
            changed: Condvar::new(),
            stopping: AtomicBool::new(false),
            verbose: config.verbose,
            next_connection_id: AtomicI64::new(1),
            next_request_id: AtomicI32::new(1),
            connections: Mutex::new(HashMap::new()),
        });
        let accept_shared = Arc::clone(&shared);
        let accept = std::thread::Builder::new()
            .name("mongo-accept".into())
            .spawn(move || accept_loop(listener, accept_shared))
            .map_err(ServerError::Spawn)?;
        Ok(ServerHandle { address, shared, accept: Some(accept) })
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else { continue };
        let id = shared.next_connection_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(clone) = stream.try_clone() {
            shared.connections().insert(id, clone);
        }
        let conn_shared = Arc::clone(&shared);
        let spawned =
            std::thread::Builder::new().name(format!("mongo-conn-{id}")).spawn(move || serve(stream, id, conn_shared));
        if spawned.is_err() {
            shared.connections().remove(&id);
        }
    }
}

fn serve(mut stream: TcpStream, id: i64, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let mut session = Session::new(id);
    if let Err(e) = serve_messages(&mut stream, &mut session, &shared)
        && shared.verbose
        && !shared.stopping.load(Ordering::SeqCst)
    {
        eprintln!("weir-mongo-server: connection {id}: {e}");
    }
    let _ = stream.shutdown(Shutdown::Both);
    shared.connections().remove(&id);
}

fn serve_messages(stream: &mut TcpStream, session: &mut Session, shared: &Shared) -> Result<(), WireError> {
    while let Some((header, message)) = wire::read_message(stream)? {
        let reply = match wire::parse_request(&header, &message)? {
            Request::Msg(msg) => {
                match commands::run(shared, session, msg.command) {
                    Outcome::Close => return Ok(()),
                    // With moreToCome the client expects no reply (w:0 writes).
                    Outcome::Reply(_) if msg.flags & MORE_TO_COME != 0 => continue,
                    Outcome::Reply(doc) => wire::encode_op_msg(
                        shared.request_id(),
                        header.request_id,
                        &doc,
                        msg.flags & CHECKSUM_PRESENT != 0,
                    )?,
                }
            }
            Request::Query(query) => {
                let doc = commands::run_legacy(shared, session, query);
                wire::encode_op_reply(shared.request_id(), header.request_id, &doc)?
            }
        };
        stream.write_all(&reply)?;
    }
    Ok(())
}

/// A running server. Dropping it stops the server.
pub struct ServerHandle {
    address: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// The port it listens on (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// `127.0.0.1:<port>`, the member's name in the replica set.
    pub fn host(&self) -> String {
        self.address.to_string()
    }

    /// A connection string without credentials, naming the replica set.
    pub fn uri(&self) -> String {
        format!("mongodb://{}/?replicaSet={}", self.address, self.shared.replica_set)
    }

    /// A connection string with credentials (authenticating against `admin`).
    /// The user name and password are used as given: keep them URI-safe.
    pub fn uri_with_credentials(&self, user: &str, password: &str) -> String {
        format!("mongodb://{user}:{password}@{}/?replicaSet={}&authSource=admin", self.address, self.shared.replica_set)
    }

    /// Runs a command as if sent by an authenticated client on database
    /// `db`, e.g. `doc! {"insert": "orders", "documents": [...]}` — the way
    /// Rust tests write data that change streams then report. Returns the
    /// reply, or the error a client would have received.
    pub fn run_command(&self, db: &str, mut command: Document) -> Result<Document, CommandError> {
        command.insert("$db", db);
        let mut session = Session::internal();
        match commands::run(&self.shared, &mut session, command) {
            Outcome::Reply(reply) => commands::reply_result(reply),
            Outcome::Close => Err(CommandError::new(6, "HostUnreachable", "a fail point closed the connection")),
        }
    }

    /// Inserts documents into `db.coll` (logged to the change log), failing
    /// with the first write error (e.g. 11000 for a duplicate `_id`).
    pub fn insert(&self, db: &str, coll: &str, documents: Vec<Document>) -> Result<(), CommandError> {
        let reply = self.run_command(db, bson::doc! { "insert": coll, "documents": documents })?;
        match reply.get_array("writeErrors").ok().and_then(|errors| errors.first()) {
            Some(bson::Bson::Document(error)) => Err(CommandError::new(
                error.get_i32("code").unwrap_or(8),
                "WriteError",
                error.get_str("errmsg").unwrap_or("write error"),
            )),
            _ => Ok(()),
        }
    }

    /// Runs write commands (`(db, command)`) as one multi-document
    /// transaction in a fresh session, then commits it: change streams see
    /// them together, at one cluster time, with the session's `lsid`.
    pub fn transaction(&self, commands: Vec<(&str, Document)>) -> Result<(), CommandError> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|e| CommandError::new(1, "InternalError", e.to_string()))?;
        let lsid = bson::doc! { "id": bson::Binary { subtype: bson::spec::BinarySubtype::Uuid, bytes: id.to_vec() } };
        let inside = |mut command: Document, start: bool| {
            command.insert("lsid", lsid.clone());
            command.insert("txnNumber", 1_i64);
            command.insert("autocommit", false);
            if start {
                command.insert("startTransaction", true);
            }
            command
        };
        for (i, (db, command)) in commands.into_iter().enumerate() {
            let reply = self.run_command(db, inside(command, i == 0))?;
            if let Ok(errors) = reply.get_array("writeErrors")
                && !errors.is_empty()
            {
                self.run_command("admin", inside(bson::doc! { "abortTransaction": 1 }, false))?;
                return Err(CommandError::new(8, "WriteError", format!("write error in a transaction: {errors:?}")));
            }
        }
        self.run_command("admin", inside(bson::doc! { "commitTransaction": 1 }, false)).map(|_| ())
    }

    /// Stops accepting, closes every connection and wakes awaiting getMores.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if self.shared.stopping.swap(true, Ordering::SeqCst) {
            return;
        }
        // Unblock accept() with one last connection, then close the rest.
        let _ = TcpStream::connect(self.address);
        for stream in self.shared.connections().values() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        self.shared.changed.notify_all();
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

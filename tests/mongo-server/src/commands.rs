//! Command dispatch: the auth gate, the `failCommand` fail point, and the
//! fields every reply carries (`ok`, `$clusterTime`, `operationTime`), as a
//! replica set primary sends them
//! (https://www.mongodb.com/docs/manual/reference/command/).

mod aggregate;
mod auth;
mod catalog;
mod crud;
mod cursors;
mod find;
mod handshake;
mod transactions;

use bson::{Binary, Bson, Document, doc, spec::BinarySubtype};

use crate::error::CommandError;
use crate::fail_point::{Action, FailPoint};
use crate::server::Shared;
use crate::session::Session;
use crate::store::State;
use crate::transaction::{self, TxnKey};
use crate::wire::OpQuery;

/// What the connection does after a command.
#[derive(Debug)]
pub enum Outcome {
    /// Send this reply.
    Reply(Document),
    /// Close the connection without replying (a `closeConnection` fail point).
    Close,
}

/// What a handler sees.
pub(crate) struct Ctx<'a> {
    pub shared: &'a Shared,
    pub session: &'a mut Session,
    /// The command's `$db`.
    pub db: String,
    /// The transaction the command runs in, if any.
    pub txn: Option<TxnKey>,
}

/// The state locked by a command that may write: its writes go to the
/// command's transaction, if it has one, until the lock is released.
pub(crate) struct WriteGuard<'a>(std::sync::MutexGuard<'a, State>);

impl std::ops::Deref for WriteGuard<'_> {
    type Target = State;
    fn deref(&self) -> &State {
        &self.0
    }
}

impl std::ops::DerefMut for WriteGuard<'_> {
    fn deref_mut(&mut self) -> &mut State {
        &mut self.0
    }
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        self.0.writing_in = None;
    }
}

impl<'a> Ctx<'a> {
    /// Locks the state for a command's writes.
    pub fn write_lock(&self) -> WriteGuard<'a> {
        let mut state = self.shared.lock();
        state.writing_in = self.txn.clone();
        WriteGuard(state)
    }
}

type Handler = fn(&mut Ctx<'_>, &Document) -> Result<Document, CommandError>;

/// Commands that run before authentication, as in MongoDB: the handshake,
/// authentication itself, and a few harmless ones.
const WITHOUT_AUTH: [&str; 10] = [
    "hello",
    "isMaster",
    "ismaster",
    "buildInfo",
    "buildinfo",
    "ping",
    "saslStart",
    "saslContinue",
    "endSessions",
    "connectionStatus",
];

fn handler(name: &str) -> Option<Handler> {
    Some(match name {
        "hello" | "isMaster" | "ismaster" => handshake::hello,
        "buildInfo" | "buildinfo" => handshake::build_info,
        "ping" => handshake::ping,
        "endSessions" => handshake::end_sessions,
        "connectionStatus" => handshake::connection_status,
        "saslStart" => auth::sasl_start,
        "saslContinue" => auth::sasl_continue,
        "listDatabases" => catalog::list_databases,
        "listCollections" => catalog::list_collections,
        "create" => catalog::create,
        "collMod" => catalog::coll_mod,
        "drop" => catalog::drop,
        "dropDatabase" => catalog::drop_database,
        "insert" => crud::insert,
        "update" => crud::update,
        "delete" => crud::delete,
        "find" => find::find,
        "count" => find::count,
        "getMore" => cursors::get_more,
        "killCursors" => cursors::kill_cursors,
        "aggregate" => aggregate::aggregate,
        "configureFailPoint" => configure_fail_point,
        "commitTransaction" => transactions::commit,
        "abortTransaction" => transactions::abort,
        _ => return None,
    })
}

/// Runs one OP_MSG command and builds its reply.
pub(crate) fn run(shared: &Shared, session: &mut Session, command: Document) -> Outcome {
    let name = command.keys().next().cloned().unwrap_or_default();
    if shared.verbose {
        eprintln!("weir-mongo-server: conn {} <- {command}", session.connection_id);
    }
    let result = match command.get_str("$db") {
        Ok(db) => {
            let mut ctx = Ctx { shared, session, db: db.to_owned(), txn: None };
            match fail_point(shared, &name) {
                Some(Action::CloseConnection) => return Outcome::Close,
                Some(Action::Fail(error)) => Err(error),
                None => dispatch(&mut ctx, &name, &command),
            }
        }
        Err(_) => Err(CommandError::new(40571, "Location40571", "OP_MSG requests require a $db argument")),
    };
    let reply = finish(shared, result);
    if shared.verbose {
        eprintln!("weir-mongo-server: conn {} -> {reply}", session.connection_id);
    }
    Outcome::Reply(reply)
}

fn dispatch(ctx: &mut Ctx<'_>, name: &str, command: &Document) -> Result<Document, CommandError> {
    let Some(handler) = handler(name) else {
        return Err(CommandError::command_not_found(name));
    };
    if ctx.shared.auth_required() && !ctx.session.authenticated() && !WITHOUT_AUTH.contains(&name) {
        return Err(CommandError::unauthorized(format!("Command {name} requires authentication")));
    }
    if let Some(args) = transaction::args(name, command, ctx.session.owner().as_deref())? {
        ctx.shared.lock().transactions.enter(&args)?;
        ctx.txn = Some(args.key);
    }
    handler(ctx, command)
}

fn fail_point(shared: &Shared, name: &str) -> Option<Action> {
    if matches!(name, "configureFailPoint" | "hello" | "isMaster" | "ismaster") {
        return None;
    }
    let mut state = shared.lock();
    let point = state.fail_point.as_mut()?;
    let (action, exhausted) = point.trigger(name)?;
    if exhausted {
        state.fail_point = None;
    }
    Some(action)
}

/// `configureFailPoint`: test-only in MongoDB, always on here; see the
/// `fail_point` module for the specification it follows.
fn configure_fail_point(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    if ctx.db != "admin" {
        return Err(CommandError::unauthorized("configureFailPoint may only be run against the admin database."));
    }
    let point = FailPoint::parse(command)?;
    ctx.shared.lock().fail_point = point;
    Ok(doc! { "count": 0 })
}

/// Adds `ok` and the replica-set gossip fields: `$clusterTime` (unsigned:
/// a zero hash with keyId 0, as a deployment without keys sends) and
/// `operationTime`
/// (https://www.mongodb.com/docs/manual/reference/read-concern/#std-label-afterClusterTime).
fn finish(shared: &Shared, result: Result<Document, CommandError>) -> Document {
    let mut reply = match result {
        Ok(mut reply) => {
            reply.insert("ok", 1.0);
            reply
        }
        Err(error) => error_reply(&error),
    };
    let cluster_time = shared.lock().cluster_time();
    reply.insert(
        "$clusterTime",
        doc! {
            "clusterTime": cluster_time,
            "signature": {
                "hash": Binary { subtype: BinarySubtype::Generic, bytes: vec![0; 20] },
                "keyId": 0_i64,
            },
        },
    );
    reply.insert("operationTime", cluster_time);
    reply
}

fn error_reply(error: &CommandError) -> Document {
    let mut reply = doc! {
        "ok": 0.0,
        "errmsg": &error.message,
        "code": error.code,
        "codeName": error.code_name,
    };
    if !error.labels.is_empty() {
        reply.insert("errorLabels", error.labels.iter().map(|l| Bson::String(l.clone())).collect::<Vec<_>>());
    }
    reply
}

/// Turns a finished reply back into a result, for in-process callers.
pub(crate) fn reply_result(reply: Document) -> Result<Document, CommandError> {
    let ok = matches!(reply.get("ok"), Some(Bson::Double(v)) if *v == 1.0);
    if ok {
        return Ok(reply);
    }
    let code = reply.get_i32("code").unwrap_or(8);
    let message = reply.get_str("errmsg").unwrap_or("unknown error").to_owned();
    Err(CommandError::new(code, "CommandFailed", message))
}

/// Answers a legacy OP_QUERY: only the handshake drivers send before they
/// know the server speaks OP_MSG. Anything else gets
/// `UnsupportedOpQueryCommand`, as MongoDB 5.1+ answers.
pub(crate) fn run_legacy(shared: &Shared, session: &mut Session, query: OpQuery) -> Document {
    let db = query.full_collection_name.strip_suffix(".$cmd").unwrap_or("admin").to_owned();
    // Drivers wrap the command in $query when they add $readPreference.
    let command = match query.query.get_document("$query") {
        Ok(inner) => inner.clone(),
        Err(_) => query.query,
    };
    let name = command.keys().next().cloned().unwrap_or_default();
    let result = if matches!(name.as_str(), "hello" | "isMaster" | "ismaster") {
        let mut ctx = Ctx { shared, session, db, txn: None };
        handshake::hello(&mut ctx, &command)
    } else {
        Err(CommandError::new(
            352,
            "UnsupportedOpQueryCommand",
            format!("Unsupported OP_QUERY command: {name}. The client driver may require an upgrade."),
        ))
    };
    finish(shared, result)
}

/// Reads a numeric argument as i64, accepting any BSON number type as
/// MongoDB does for counts and sizes.
pub(crate) fn number(command: &Document, field: &str) -> Result<Option<i64>, CommandError> {
    match command.get(field) {
        None | Some(Bson::Null) => Ok(None),
        Some(Bson::Int32(v)) => Ok(Some(i64::from(*v))),
        Some(Bson::Int64(v)) => Ok(Some(*v)),
        Some(Bson::Double(v)) if v.fract() == 0.0 => Ok(Some(*v as i64)),
        Some(other) => Err(CommandError::type_mismatch(format!("field '{field}' must be a number, not {other}"))),
    }
}

/// A document argument, empty when absent.
pub(crate) fn document_arg(command: &Document, field: &str) -> Result<Document, CommandError> {
    match command.get(field) {
        None | Some(Bson::Null) => Ok(Document::new()),
        Some(Bson::Document(d)) => Ok(d.clone()),
        Some(other) => Err(CommandError::type_mismatch(format!("field '{field}' must be an object, not {other}"))),
    }
}

/// The collection name a command targets (its first field's value).
pub(crate) fn collection_arg<'a>(command: &'a Document, name: &str) -> Result<&'a str, CommandError> {
    command.get_str(name).map_err(|_| {
        CommandError::new(73, "InvalidNamespace", format!("collection name for '{name}' must be a string"))
    })
}

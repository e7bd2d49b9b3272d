//! The handshake and server-information commands.

use bson::{Bson, DateTime, Document, doc};

use super::{Ctx, auth};
use crate::error::CommandError;

/// The wire version of MongoDB 7.0, which this server imitates.
const MAX_WIRE_VERSION: i32 = 21;
/// The version `buildInfo` reports, matching the wire version.
const VERSION: &str = "7.0.0";

/// `hello` and its legacy spelling `isMaster`, answered as a replica set
/// primary (or, with no replica set name configured, as a standalone
/// `mongod`, whose reply has no `setName`, `hosts` or `lastWrite`). No
/// `topologyVersion` is sent, so drivers poll rather than stream the
/// monitoring protocol (which needs exhaust replies).
/// https://www.mongodb.com/docs/manual/reference/command/hello/
pub(super) fn hello(ctx: &mut Ctx<'_>, command: &Document) -> Result<Document, CommandError> {
    let legacy = !command.contains_key("hello");
    let cluster_time = ctx.shared.lock().cluster_time();
    let write_date = DateTime::from_millis(i64::from(cluster_time.time) * 1000);
    let mut reply = Document::new();
    if legacy {
        reply.insert("ismaster", true);
        if command.contains_key("helloOk") {
            // Tells the driver it may use `hello` from now on.
            reply.insert("helloOk", true);
        }
    } else {
        reply.insert("isWritablePrimary", true);
    }
    if !ctx.shared.replica_set.is_empty() {
        reply.extend(doc! {
            "hosts": [&ctx.shared.me],
            "setName": &ctx.shared.replica_set,
            "setVersion": 1,
            "secondary": false,
            "primary": &ctx.shared.me,
            "me": &ctx.shared.me,
            "electionId": ctx.shared.election_id,
            "lastWrite": {
                "opTime": { "ts": cluster_time, "t": 1_i64 },
                "lastWriteDate": write_date,
                "majorityOpTime": { "ts": cluster_time, "t": 1_i64 },
                "majorityWriteDate": write_date,
            },
        });
    }
    reply.extend(doc! {
        "maxBsonObjectSize": 16 * 1024 * 1024,
        "maxMessageSizeBytes": crate::wire::MAX_MESSAGE_SIZE,
        "maxWriteBatchSize": 100_000,
        "localTime": DateTime::now(),
        "logicalSessionTimeoutMinutes": 30,
        "connectionId": ctx.session.connection_id,
        "minWireVersion": 0,
        "maxWireVersion": MAX_WIRE_VERSION,
        "readOnly": false,
    });
    // "db.user": the mechanisms that user can use, so the driver picks SCRAM-SHA-256.
    if let Ok(qualified) = command.get_str("saslSupportedMechs") {
        let known = qualified.split_once('.').and_then(|(db, user)| ctx.shared.user(db, user)).is_some();
        if known {
            reply.insert("saslSupportedMechs", vec![Bson::from("SCRAM-SHA-1"), Bson::from("SCRAM-SHA-256")]);
        }
    }
    // Speculative authentication: the driver's saslStart rides along with
    // hello; on any failure we omit the answer and it authenticates normally.
    // https://github.com/mongodb/specifications/blob/master/source/auth/auth.md#speculative-authentication
    if let Ok(speculative) = command.get_document("speculativeAuthenticate") {
        let db = speculative.get_str("db").unwrap_or("admin").to_owned();
        let saved_db = std::mem::replace(&mut ctx.db, db);
        let answer = auth::sasl_start(ctx, speculative);
        ctx.db = saved_db;
        if let Ok(answer) = answer {
            reply.insert("speculativeAuthenticate", answer);
        }
    }
    Ok(reply)
}

/// https://www.mongodb.com/docs/manual/reference/command/buildInfo/
pub(super) fn build_info(_ctx: &mut Ctx<'_>, _command: &Document) -> Result<Document, CommandError> {
    Ok(doc! {
        "version": VERSION,
        "gitVersion": "0000000000000000000000000000000000000000",
        "modules": [],
        "allocator": "system",
        "javascriptEngine": "none",
        "sysInfo": "deprecated",
        "versionArray": [7, 0, 0, 0],
        "bits": 64,
        "debug": false,
        "maxBsonObjectSize": 16 * 1024 * 1024,
        "storageEngines": ["inMemory"],
    })
}

/// https://www.mongodb.com/docs/manual/reference/command/ping/
pub(super) fn ping(_ctx: &mut Ctx<'_>, _command: &Document) -> Result<Document, CommandError> {
    Ok(Document::new())
}

/// Sessions hold no server state here, so ending them is a no-op.
/// https://www.mongodb.com/docs/manual/reference/command/endSessions/
pub(super) fn end_sessions(_ctx: &mut Ctx<'_>, _command: &Document) -> Result<Document, CommandError> {
    Ok(Document::new())
}

/// Every user holds `root`, the one role this server knows.
/// https://www.mongodb.com/docs/manual/reference/command/connectionStatus/
pub(super) fn connection_status(ctx: &mut Ctx<'_>, _command: &Document) -> Result<Document, CommandError> {
    let (users, roles) = match &ctx.session.identity {
        Some(identity) => (
            vec![Bson::Document(doc! { "user": &identity.name, "db": &identity.db })],
            vec![Bson::Document(doc! { "role": "root", "db": "admin" })],
        ),
        None => (Vec::new(), Vec::new()),
    };
    Ok(doc! { "authInfo": { "authenticatedUsers": users, "authenticatedUserRoles": roles } })
}

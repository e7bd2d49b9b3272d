//! MongoDB's wire protocol over the worker's connection: OP_MSG framing
//! (https://www.mongodb.com/docs/manual/reference/mongodb-wire-protocol/),
//! the `hello` handshake, authentication and commands.

use std::io::{Read, Write};
use std::time::Duration;

use weir_sdk::net::{Connection, TlsVerify};

use crate::bson::{Bson, Doc};
use crate::config::ConnectionString;
use crate::error::MongoError;
use weir_debezium::scram::Mechanism;

const OP_MSG: i32 = 2013;
/// Replies larger than MongoDB's own limit (48 MB) are refused.
const MAX_MESSAGE: usize = 48 * 1024 * 1024;

/// What `hello` said about the server.
#[derive(Debug, Clone, Default)]
pub struct ServerInfo {
    /// `setName`: the replica set, absent on a standalone server.
    pub set_name: Option<String>,
    /// `msg: "isdbgrid"`: a mongos router.
    pub is_mongos: bool,
    /// `isWritablePrimary`.
    pub primary: bool,
    /// `saslSupportedMechs` for the user.
    pub mechanisms: Vec<String>,
}

/// One authenticated connection.
pub struct MongoConn {
    conn: Connection,
    request_id: i32,
    /// The server's handshake answer.
    pub info: ServerInfo,
    /// `host:port` connected to.
    pub address: String,
}

impl MongoConn {
    /// Connects to the first reachable seed host (a writable primary is
    /// preferred; change streams run on any member), handshakes and
    /// authenticates.
    pub fn connect(cs: &ConnectionString, timeout: Duration) -> Result<Self, MongoError> {
        let mut last = None;
        let mut secondary = None;
        for (host, port) in &cs.hosts {
            match Self::connect_one(cs, host, *port, timeout) {
                Ok(conn) if conn.info.primary || conn.info.is_mongos || conn.info.set_name.is_none() => {
                    return Ok(conn);
                }
                Ok(conn) => {
                    if secondary.is_none() {
                        secondary = Some(conn);
                    }
                }
                // Bad credentials are the same on every member.
                Err(e @ MongoError::Command { code: crate::error::AUTHENTICATION_FAILED, .. }) => return Err(e),
                Err(e @ MongoError::Auth(_)) => return Err(e),
                Err(e) => last = Some(e),
            }
        }
        secondary.ok_or_else(|| last.unwrap_or(MongoError::Protocol("no host in the connection string".into())))
    }

    fn connect_one(cs: &ConnectionString, host: &str, port: u16, timeout: Duration) -> Result<Self, MongoError> {
        let address = format!("{host}:{port}");
        let mut conn = Connection::connect(host, port, timeout)
            .map_err(|source| MongoError::Connect { host: address.clone(), source })?;
        conn.set_read_timeout(timeout.max(Duration::from_secs(5)));
        if cs.tls {
            let verify = if cs.tls_insecure {
                TlsVerify::None
            } else if cs.tls_allow_invalid_hostnames {
                TlsVerify::Ca
            } else {
                TlsVerify::Full
            };
            conn.upgrade_tls(verify, None, Some(host)).map_err(|e| MongoError::Tls(e.to_string()))?;
        }
        let mut me = Self { conn, request_id: 0, info: ServerInfo::default(), address };
        let mut hello = Doc::new()
            .with("hello", 1)
            .with(
                "client",
                Doc::new()
                    .with("driver", Doc::new().with("name", "weir-mongodb").with("version", env!("CARGO_PKG_VERSION"))),
            )
            .with("$db", "admin");
        if let Some(user) = &cs.user {
            hello.push("saslSupportedMechs", format!("{}.{user}", cs.auth_source));
        }
        let reply = me.command_raw(hello)?;
        me.info = ServerInfo {
            set_name: reply.str("setName").map(str::to_string),
            is_mongos: reply.str("msg") == Some("isdbgrid"),
            primary: reply.truthy("isWritablePrimary") || reply.truthy("ismaster"),
            mechanisms: reply
                .array("saslSupportedMechs")
                .unwrap_or_default()
                .iter()
                .filter_map(|h| if let Bson::String(s) = h { Some(s.clone()) } else { None })
                .collect(),
        };
        if let Some(user) = cs.user.clone() {
            me.authenticate(cs, &user)?;
        }
        Ok(me)
    }

    fn authenticate(&mut self, cs: &ConnectionString, user: &str) -> Result<(), MongoError> {
        let mechanism = match cs.auth_mechanism.as_deref() {
            Some("SCRAM-SHA-1") => Mechanism::Sha1,
            Some(_) => Mechanism::Sha256,
            // Without saslSupportedMechs (an unknown user), SCRAM-SHA-256
            // is tried: the failure then names the credentials.
            None if self.info.mechanisms.iter().any(|m| m == "SCRAM-SHA-256") || self.info.mechanisms.is_empty() => {
                Mechanism::Sha256
            }
            None => Mechanism::Sha1,
        };
        let password = cs.password.clone().unwrap_or_default();
        let mut scram = crate::auth::scram(mechanism, user, &password);
        let db = cs.auth_source.as_str();
        let start = Doc::new()
            .with("saslStart", 1)
            .with("mechanism", mechanism.name())
            .with("payload", Bson::Binary(0, scram.client_first().into_bytes()))
            .with("autoAuthorize", 1)
            .with("options", Doc::new().with("skipEmptyExchange", true))
            .with("$db", db);
        let reply = self.command_raw(start)?;
        let conversation = reply.get("conversationId").cloned().unwrap_or(Bson::Int32(1));
        let server_first = payload(&reply)?;
        let client_final = scram.client_final(&server_first)?;
        let reply = self.command_raw(
            Doc::new()
                .with("saslContinue", 1)
                .with("conversationId", conversation.clone())
                .with("payload", Bson::Binary(0, client_final.into_bytes()))
                .with("$db", db),
        )?;
        scram.verify_server(&payload(&reply)?)?;
        let mut done = reply.truthy("done");
        // Servers without skipEmptyExchange want one more, empty, round.
        while !done {
            let reply = self.command_raw(
                Doc::new()
                    .with("saslContinue", 1)
                    .with("conversationId", conversation.clone())
                    .with("payload", Bson::Binary(0, Vec::new()))
                    .with("$db", db),
            )?;
            done = reply.truthy("done");
            if !done && payload(&reply)?.is_empty() {
                return Err(MongoError::Auth("the SASL conversation does not finish".into()));
            }
        }
        Ok(())
    }

    /// Runs `command` against `db`; an `ok: 0` reply is an error.
    pub fn command(&mut self, db: &str, mut command: Doc) -> Result<Doc, MongoError> {
        command.push("$db", db);
        self.command_raw(command)
    }

    /// Runs a command whose reply may take up to `wait` (a `getMore` with
    /// `maxTimeMS`) on top of the normal read timeout.
    pub fn command_waiting(&mut self, db: &str, command: Doc, wait: Duration) -> Result<Doc, MongoError> {
        let normal = Duration::from_secs(30);
        self.conn.set_read_timeout(normal + wait);
        let result = self.command(db, command);
        self.conn.set_read_timeout(normal);
        result
    }

    fn command_raw(&mut self, command: Doc) -> Result<Doc, MongoError> {
        self.request_id = self.request_id.wrapping_add(1);
        let body = command.to_bytes();
        let len = 16 + 4 + 1 + body.len();
        let mut msg = Vec::with_capacity(len);
        msg.extend_from_slice(&(len as i32).to_le_bytes());
        msg.extend_from_slice(&self.request_id.to_le_bytes());
        msg.extend_from_slice(&0i32.to_le_bytes());
        msg.extend_from_slice(&OP_MSG.to_le_bytes());
        msg.extend_from_slice(&0u32.to_le_bytes());
        msg.push(0);
        msg.extend_from_slice(&body);
        self.conn.write_all(&msg).map_err(MongoError::Io)?;
        let reply = self.read_reply()?;
        check(reply)
    }

    fn read_exact(&mut self, buf: &mut [u8]) -> Result<(), MongoError> {
        self.conn.read_exact(buf).map_err(|e| match e.kind() {
            std::io::ErrorKind::UnexpectedEof => MongoError::Closed,
            std::io::ErrorKind::TimedOut => MongoError::Timeout(Duration::from_secs(30)),
            _ => MongoError::Io(e),
        })
    }

    fn read_reply(&mut self) -> Result<Doc, MongoError> {
        let mut header = [0u8; 16];
        self.read_exact(&mut header)?;
        let len = i32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        let op = i32::from_le_bytes([header[12], header[13], header[14], header[15]]);
        let len = usize::try_from(len)
            .ok()
            .filter(|l| (21..=MAX_MESSAGE).contains(l))
            .ok_or_else(|| MongoError::Protocol(format!("reply length {len} out of range")))?;
        let mut body = vec![0u8; len - 16];
        self.read_exact(&mut body)?;
        if op != OP_MSG {
            return Err(MongoError::Protocol(format!("unexpected reply opcode {op}")));
        }
        let flags = u32::from_le_bytes([body[0], body[1], body[2], body[3]]);
        // A checksum (flag bit 0) trails the sections.
        let end = if flags & 1 == 1 { body.len().saturating_sub(4) } else { body.len() };
        let mut pos = 4;
        let mut doc = None;
        let mut sequences = Vec::new();
        while pos < end {
            let kind = body[pos];
            pos += 1;
            let size = body
                .get(pos..pos + 4)
                .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .and_then(|s| usize::try_from(s).ok())
                .filter(|s| pos + s <= end && *s >= 4)
                .ok_or_else(|| MongoError::Protocol("bad OP_MSG section".into()))?;
            match kind {
                0 => doc = Some(Doc::from_bytes(&body[pos..pos + size])?),
                1 => sequences.push(body[pos..pos + size].to_vec()),
                other => return Err(MongoError::Protocol(format!("unknown OP_MSG section kind {other}"))),
            }
            pos += size;
        }
        let mut doc = doc.ok_or_else(|| MongoError::Protocol("OP_MSG reply without a body".into()))?;
        // Document sequences (kind 1) are folded into the body as arrays.
        for seq in sequences {
            let name_end = seq[4..].iter().position(|b| *b == 0).map(|p| p + 4).unwrap_or(seq.len());
            let name = String::from_utf8_lossy(&seq[4..name_end]).into_owned();
            let mut items = Vec::new();
            let mut p = name_end + 1;
            while p + 4 <= seq.len() {
                let n = i32::from_le_bytes([seq[p], seq[p + 1], seq[p + 2], seq[p + 3]]) as usize;
                let slice = seq.get(p..p + n).ok_or_else(|| MongoError::Protocol("bad document sequence".into()))?;
                items.push(Bson::Document(Doc::from_bytes(slice)?));
                p += n;
            }
            doc.push(&name, Bson::Array(items));
        }
        Ok(doc)
    }

    /// Closes any cursor and drops the connection.
    pub fn kill_cursor(&mut self, db: &str, coll: &str, id: i64) {
        if id != 0 {
            let _ = self.command(db, Doc::new().with("killCursors", coll).with("cursors", vec![Bson::Int64(id)]));
        }
    }
}

fn payload(reply: &Doc) -> Result<Vec<u8>, MongoError> {
    match reply.get("payload") {
        Some(Bson::Binary(_, bytes)) => Ok(bytes.clone()),
        Some(Bson::String(s)) => Ok(s.clone().into_bytes()),
        _ => Err(MongoError::Auth("SASL reply without a payload".into())),
    }
}

/// An `ok: 0` reply as an error; a write concern error likewise.
fn check(reply: Doc) -> Result<Doc, MongoError> {
    if reply.truthy("ok") {
        return Ok(reply);
    }
    let labels = reply
        .array("errorLabels")
        .unwrap_or_default()
        .iter()
        .filter_map(|l| if let Bson::String(s) = l { Some(s.clone()) } else { None })
        .collect();
    Err(MongoError::Command {
        code: reply.int("code").and_then(|c| i32::try_from(c).ok()).unwrap_or(0),
        code_name: reply.str("codeName").unwrap_or("").to_string(),
        message: reply.str("errmsg").unwrap_or("command failed").to_string(),
        labels,
    })
}

/// A cursor's first or next batch: `(id, ns, documents, postBatchResumeToken)`.
pub fn cursor_batch(reply: &Doc) -> Result<(i64, String, Vec<Doc>, Option<Doc>), MongoError> {
    let cursor = reply.doc("cursor").ok_or_else(|| MongoError::Protocol("reply without a cursor".into()))?;
    let id = cursor.int("id").unwrap_or(0);
    let ns = cursor.str("ns").unwrap_or("").to_string();
    let batch = cursor.array("firstBatch").or_else(|| cursor.array("nextBatch")).unwrap_or_default();
    let docs = batch.iter().filter_map(|d| if let Bson::Document(d) = d { Some(d.clone()) } else { None }).collect();
    Ok((id, ns, docs, cursor.doc("postBatchResumeToken").cloned()))
}

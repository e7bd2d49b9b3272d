//! PostgreSQL's frontend/backend protocol (version 3) over a connection the
//! worker makes for us: startup with TLS and authentication, simple queries
//! with text results, extended-protocol queries with per-column formats
//! (the snapshot's FETCHes), and the CopyBoth stream replication uses.

use std::borrow::Cow;
use std::io::Write;
use std::ops::Range;
use std::time::Duration;

use weir_sdk::net::{Connection, TlsVerify};

use weir_debezium::scram::{Mechanism, Scram};

use crate::auth;
use crate::error::PgError;

/// A bounds-checked reader over a message body.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// Reads `bytes` from the start.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }
    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], PgError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or_else(|| PgError::Protocol("message truncated".into()))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    /// One byte.
    pub fn u8(&mut self) -> Result<u8, PgError> {
        Ok(self.take(1)?[0])
    }
    /// Big-endian u16.
    pub fn u16(&mut self) -> Result<u16, PgError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    /// Big-endian u32.
    pub fn u32(&mut self) -> Result<u32, PgError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// Big-endian i32.
    pub fn i32(&mut self) -> Result<i32, PgError> {
        Ok(self.u32()? as i32)
    }
    /// Big-endian u64.
    pub fn u64(&mut self) -> Result<u64, PgError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
    /// A NUL-terminated string.
    pub fn cstr(&mut self) -> Result<&'a str, PgError> {
        let rest = &self.bytes[self.pos..];
        let nul = rest.iter().position(|b| *b == 0).ok_or_else(|| PgError::Protocol("unterminated string".into()))?;
        let s = std::str::from_utf8(&rest[..nul]).map_err(|_| PgError::Protocol("string is not UTF-8".into()))?;
        self.pos += nul + 1;
        Ok(s)
    }
    /// Everything not read yet.
    pub fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }
}

/// How TLS is used (`database.sslmode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, else plain.
    Prefer,
    /// TLS, certificate not checked.
    Require,
    /// TLS, chain checked.
    VerifyCa,
    /// TLS, chain and host name checked.
    VerifyFull,
}

impl SslMode {
    /// Parses a `database.sslmode` value (`allow` behaves as `prefer`).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "disable" => Self::Disable,
            "allow" | "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            _ => return None,
        })
    }
}

/// Where and how to connect.
#[derive(Debug, Clone)]
pub struct ConnectParams {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// User.
    pub user: String,
    /// Password (empty when none).
    pub password: String,
    /// Database.
    pub dbname: String,
    /// TLS mode.
    pub ssl: SslMode,
    /// Trusted root certificates (PEM), for verify-ca/verify-full.
    pub root_cert_pem: Option<String>,
    /// How long connecting may take.
    pub connect_timeout: Duration,
}

/// One result set of a simple query: column names and text rows.
#[derive(Debug, Default)]
pub struct Rows {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows; `None` is SQL NULL.
    pub rows: Vec<Vec<Option<String>>>,
    /// The command tag, e.g. `SELECT 3`.
    pub tag: String,
}

/// How much room a read asks for: a FETCH batch or a run of WAL messages
/// arrives in a few reads.
const READ_CHUNK: usize = 128 * 1024;

/// How long a query's next row may take (a snapshot's FETCH of a large table).
const ROW_WAIT: Duration = Duration::from_secs(600);

/// An open session.
pub struct PgConn {
    conn: Connection,
    /// Bytes read, kept across messages so reading one costs no allocation;
    /// `start..end` is not consumed yet.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Reads from the network so far.
    reads: u64,
    /// `server_version` as the server reported it.
    pub server_version: String,
}

impl PgConn {
    /// Connects, negotiates TLS, starts up and authenticates. With
    /// `replication`, the session is a logical replication connection
    /// (`replication=database`).
    pub fn connect(params: &ConnectParams, replication: bool) -> Result<Self, PgError> {
        let conn = Connection::connect(&params.host, params.port, params.connect_timeout).map_err(PgError::Connect)?;
        let mut pg = Self { conn, buf: Vec::new(), start: 0, end: 0, reads: 0, server_version: String::new() };
        pg.negotiate_tls(params)?;
        let mut startup: Vec<(&str, &str)> =
            vec![("user", &params.user), ("database", &params.dbname), ("client_encoding", "UTF8")];
        startup.push(("DateStyle", "ISO"));
        startup.push(("IntervalStyle", "postgres"));
        startup.push(("extra_float_digits", "3"));
        startup.push(("application_name", "weir"));
        if replication {
            startup.push(("replication", "database"));
        }
        pg.startup(&startup, params)?;
        Ok(pg)
    }

    fn negotiate_tls(&mut self, params: &ConnectParams) -> Result<(), PgError> {
        let verify = match params.ssl {
            SslMode::Disable => return Ok(()),
            // libpq: `require` with a root certificate checks the chain.
            SslMode::Prefer | SslMode::Require if params.root_cert_pem.is_some() => TlsVerify::Ca,
            SslMode::Prefer | SslMode::Require => TlsVerify::None,
            SslMode::VerifyCa => TlsVerify::Ca,
            SslMode::VerifyFull => TlsVerify::Full,
        };
        let mut msg = 8u32.to_be_bytes().to_vec();
        msg.extend_from_slice(&80_877_103u32.to_be_bytes());
        self.conn.write_all(&msg).map_err(PgError::Io)?;
        let mut answer = [0u8; 1];
        let n = self.conn.read_timeout(&mut answer, Duration::from_secs(10)).map_err(PgError::Io)?;
        if n == 1 && answer[0] == b'S' {
            let server_name = (params.ssl == SslMode::VerifyFull).then_some(params.host.as_str());
            return self
                .conn
                .upgrade_tls(verify, params.root_cert_pem.as_deref(), server_name)
                .map_err(|e| PgError::Tls(e.to_string()));
        }
        if params.ssl == SslMode::Prefer {
            return Ok(());
        }
        Err(PgError::Tls(format!("the server does not accept TLS, but database.sslmode is {:?}", params.ssl)))
    }

    fn startup(&mut self, params: &[(&str, &str)], connect: &ConnectParams) -> Result<(), PgError> {
        let mut body = Vec::new();
        body.extend_from_slice(&196_608u32.to_be_bytes());
        for (k, v) in params {
            body.extend_from_slice(k.as_bytes());
            body.push(0);
            body.extend_from_slice(v.as_bytes());
            body.push(0);
        }
        body.push(0);
        let mut msg = ((body.len() + 4) as u32).to_be_bytes().to_vec();
        msg.extend_from_slice(&body);
        self.conn.write_all(&msg).map_err(PgError::Io)?;
        let mut scram: Option<Scram> = None;
        loop {
            let (tag, body) = self.expect_message(Duration::from_secs(30))?;
            match tag {
                b'R' => {
                    let mut r = Reader::new(&body);
                    match r.u32()? {
                        0 => {}
                        3 => self.password_message(connect.password.as_bytes())?,
                        5 => {
                            let salt = r.take(4)?;
                            let hashed = auth::md5_password(&connect.user, &connect.password, salt);
                            self.password_message(hashed.as_bytes())?;
                        }
                        10 => {
                            let mut mechanisms = Vec::new();
                            while let Ok(m) = r.cstr() {
                                if m.is_empty() {
                                    break;
                                }
                                mechanisms.push(m.to_string());
                            }
                            if !mechanisms.iter().any(|m| m == "SCRAM-SHA-256") {
                                return Err(PgError::Auth(format!(
                                    "the server offers SASL mechanisms {mechanisms:?}; Weir supports SCRAM-SHA-256"
                                )));
                            }
                            let s = Scram::new(Mechanism::Sha256, "", &connect.password);
                            let first = s.client_first();
                            let mut body = b"SCRAM-SHA-256\0".to_vec();
                            body.extend_from_slice(&(first.len() as u32).to_be_bytes());
                            body.extend_from_slice(first.as_bytes());
                            self.send(b'p', &body)?;
                            scram = Some(s);
                        }
                        11 => {
                            let s =
                                scram.as_mut().ok_or_else(|| PgError::Protocol("SASL continue before start".into()))?;
                            let reply = s.client_final(r.rest())?;
                            self.send(b'p', reply.as_bytes())?;
                        }
                        12 => {
                            let s =
                                scram.as_ref().ok_or_else(|| PgError::Protocol("SASL final before start".into()))?;
                            s.verify_server(r.rest())?;
                        }
                        other => {
                            return Err(PgError::Auth(format!(
                                "the server asks for authentication method {other}; Weir supports trust, password, md5 and SCRAM-SHA-256"
                            )));
                        }
                    }
                }
                b'S' => {
                    let mut r = Reader::new(&body);
                    if r.cstr()? == "server_version" {
                        self.server_version = r.cstr()?.to_string();
                    }
                }
                b'E' => return Err(PgError::server(&body)),
                b'Z' => return Ok(()),
                _ => {}
            }
        }
    }

    fn password_message(&mut self, password: &[u8]) -> Result<(), PgError> {
        let mut body = password.to_vec();
        body.push(0);
        self.send(b'p', &body)
    }

    /// Sends one frontend message.
    pub fn send(&mut self, tag: u8, body: &[u8]) -> Result<(), PgError> {
        let mut msg = Vec::with_capacity(body.len() + 5);
        put_message(&mut msg, tag, body);
        self.conn.write_all(&msg).map_err(PgError::Io)
    }

    /// Reads one backend message within `timeout`; `None` when none arrived.
    pub fn message(&mut self, timeout: Duration) -> Result<Option<(u8, Vec<u8>)>, PgError> {
        Ok(self.frame(timeout)?.map(|(tag, body)| (tag, self.buf[body].to_vec())))
    }

    /// The next message as its tag and where its body lies in `buf` (valid
    /// until the next read), so rows can be converted without a copy.
    fn frame(&mut self, timeout: Duration) -> Result<Option<(u8, Range<usize>)>, PgError> {
        loop {
            if let Some(frame) = self.buffered()? {
                return Ok(Some(frame));
            }
            // Keep the partial message, moved to the front; grow only for a
            // message larger than the buffer.
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            if self.buf.len() - self.end < READ_CHUNK {
                self.buf.resize(self.end + READ_CHUNK, 0);
            }
            self.reads += 1;
            match self.conn.read_timeout(&mut self.buf[self.end..], timeout) {
                Ok(0) => return Err(PgError::Closed),
                Ok(n) => self.end += n,
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return Ok(None),
                Err(e) => return Err(PgError::Io(e)),
            }
        }
    }

    /// How many times the connection has read from the network: when it
    /// changes, the caller may have waited for the server.
    pub fn reads(&self) -> u64 {
        self.reads
    }

    /// A whole message already in the buffer, if any.
    fn buffered(&mut self) -> Result<Option<(u8, Range<usize>)>, PgError> {
        let avail = &self.buf[self.start..self.end];
        if avail.len() < 5 {
            return Ok(None);
        }
        let len = u32::from_be_bytes([avail[1], avail[2], avail[3], avail[4]]) as usize;
        if len < 4 {
            return Err(PgError::Protocol(format!("bad message length {len}")));
        }
        if avail.len() <= len {
            return Ok(None);
        }
        let tag = avail[0];
        let body = self.start + 5..self.start + len + 1;
        self.start += len + 1;
        Ok(Some((tag, body)))
    }

    fn expect_message(&mut self, timeout: Duration) -> Result<(u8, Vec<u8>), PgError> {
        self.message(timeout)?.ok_or(PgError::Timeout(timeout))
    }

    /// Runs `sql` (one or more statements) with the simple query protocol and
    /// returns every result set. A server error is returned after the
    /// session is ready again.
    pub fn query(&mut self, sql: &str) -> Result<Vec<Rows>, PgError> {
        self.query_with_timeout(sql, Duration::from_secs(600))
    }

    /// [`query`](Self::query) waiting at most `timeout` for each message.
    pub fn query_with_timeout(&mut self, sql: &str, timeout: Duration) -> Result<Vec<Rows>, PgError> {
        let mut body = sql.as_bytes().to_vec();
        body.push(0);
        self.send(b'Q', &body)?;
        let mut results = Vec::new();
        let mut current = Rows::default();
        let mut error = None;
        loop {
            let (tag, body) = self.expect_message(timeout)?;
            match tag {
                b'T' => {
                    let mut r = Reader::new(&body);
                    let n = r.u16()?;
                    current.columns.clear();
                    for _ in 0..n {
                        current.columns.push(r.cstr()?.to_string());
                        r.take(18)?;
                    }
                }
                b'D' => current.rows.push(data_row(&body)?),
                b'C' => {
                    current.tag = Reader::new(&body).cstr()?.to_string();
                    results.push(std::mem::take(&mut current));
                }
                b'I' => results.push(std::mem::take(&mut current)),
                b'E' => error = Some(PgError::server(&body)),
                b'Z' => return error.map_or(Ok(results), Err),
                _ => {}
            }
        }
    }

    /// The first column of the first row of a query, if any.
    pub fn query_value(&mut self, sql: &str) -> Result<Option<String>, PgError> {
        let results = self.query(sql)?;
        Ok(results
            .into_iter()
            .find(|r| !r.rows.is_empty())
            .and_then(|r| r.rows.into_iter().next()?.into_iter().next()?))
    }

    /// Starts `sql` with the extended query protocol (the snapshot reads
    /// tables this way), which lets each result column be asked for in
    /// binary (`binary[i]`) or text; read its rows with
    /// [`next_data_row`](Self::next_data_row). Parse, Bind, Execute and Sync
    /// go in one write.
    pub fn start_extended(&mut self, sql: &str, binary: &[bool]) -> Result<(), PgError> {
        let columns = u16::try_from(binary.len())
            .map_err(|_| PgError::Protocol(format!("{} result columns are too many to bind", binary.len())))?;
        let mut out = Vec::with_capacity(sql.len() + 2 * binary.len() + 64);
        // Parse: unnamed statement, no parameter types.
        put_message(&mut out, b'P', &[&[0], sql.as_bytes(), &[0, 0, 0]].concat());
        // Bind: unnamed portal and statement, no parameters, a format per column.
        let mut bind = vec![0, 0, 0, 0, 0, 0];
        bind.extend_from_slice(&columns.to_be_bytes());
        for b in binary {
            bind.extend_from_slice(&u16::from(*b).to_be_bytes());
        }
        put_message(&mut out, b'B', &bind);
        // Execute: unnamed portal, every row.
        put_message(&mut out, b'E', &[0, 0, 0, 0, 0]);
        put_message(&mut out, b'S', &[]);
        self.conn.write_all(&out).map_err(PgError::Io)
    }

    /// The next DataRow body of a query started with `start_extended`, borrowed
    /// from the read buffer (read it with [`cells`]); `None` once the server
    /// is ready again.
    pub fn next_data_row(&mut self) -> Result<Option<&[u8]>, PgError> {
        let mut error = None;
        loop {
            let (tag, body) = self.frame(ROW_WAIT)?.ok_or(PgError::Timeout(ROW_WAIT))?;
            match tag {
                b'D' if error.is_none() => return Ok(Some(&self.buf[body])),
                b'E' => error = Some(PgError::server(&self.buf[body])),
                b'Z' => return error.map_or(Ok(None), Err),
                _ => {}
            }
        }
    }

    /// Enters replication: sends `START_REPLICATION` and waits for the
    /// CopyBothResponse.
    pub fn start_copy_both(&mut self, command: &str) -> Result<(), PgError> {
        let mut body = command.as_bytes().to_vec();
        body.push(0);
        self.send(b'Q', &body)?;
        loop {
            let (tag, body) = self.expect_message(Duration::from_secs(60))?;
            match tag {
                b'W' => return Ok(()),
                b'E' => return Err(PgError::server(&body)),
                _ => {}
            }
        }
    }

    /// The next CopyData payload of the replication stream, or `None` when
    /// nothing arrived within `timeout`.
    pub fn copy_data(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>, PgError> {
        match self.message(timeout)? {
            None => Ok(None),
            Some((b'd', body)) => Ok(Some(body)),
            Some((b'E', body)) => Err(PgError::server(&body)),
            Some((b'c', _)) => Err(PgError::Closed),
            Some(_) => Ok(None),
        }
    }

    /// Sends a standby status update: received up to `write`, durable up to `flush`.
    pub fn standby_status(&mut self, write: u64, flush: u64, reply: bool) -> Result<(), PgError> {
        let mut body = Vec::with_capacity(34);
        body.push(b'r');
        body.extend_from_slice(&write.to_be_bytes());
        body.extend_from_slice(&flush.to_be_bytes());
        body.extend_from_slice(&flush.to_be_bytes());
        body.extend_from_slice(&crate::lsn::pg_now_micros().to_be_bytes());
        body.push(u8::from(reply));
        self.send(b'd', &body)
    }

    /// Ends the session politely.
    pub fn terminate(&mut self) {
        let _ = self.send(b'X', &[]);
    }

    /// Ends the session and drops the connection.
    pub fn terminate_owned(mut self) {
        self.terminate();
    }
}

/// Appends a frontend message: its tag, length and body.
fn put_message(out: &mut Vec<u8>, tag: u8, body: &[u8]) {
    out.push(tag);
    out.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    out.extend_from_slice(body);
}

/// A DataRow's columns, each made by `column(index, bytes)`; `None` is SQL NULL.
fn columns<'a, T>(body: &'a [u8], mut column: impl FnMut(usize, &'a [u8]) -> T) -> Result<Vec<Option<T>>, PgError> {
    let mut r = Reader::new(body);
    let n = r.u16()?;
    let mut row = Vec::with_capacity(n as usize);
    for i in 0..usize::from(n) {
        let len = r.i32()?;
        // A negative length is NULL.
        row.push(usize::try_from(len).ok().map(|len| r.take(len).map(|bytes| column(i, bytes))).transpose()?);
    }
    Ok(row)
}

fn data_row(body: &[u8]) -> Result<Vec<Option<String>>, PgError> {
    columns(body, |_, bytes| text(bytes))
}

/// A column of a DataRow, borrowed from its body.
#[derive(Debug)]
pub enum Field<'a> {
    /// Text format; borrowed where it is UTF-8 (see [`text_cow`]).
    Text(Cow<'a, str>),
    /// Binary format.
    Binary(&'a [u8]),
}

/// A DataRow's columns; `binary[i]` says column `i` was asked for in
/// binary format (columns past its end are text). `None` is SQL NULL.
pub fn cells<'a>(body: &'a [u8], binary: &[bool]) -> Result<Vec<Option<Field<'a>>>, PgError> {
    columns(body, |i, bytes| match binary.get(i) {
        Some(true) => Field::Binary(bytes),
        _ => Field::Text(text_cow(bytes)),
    })
}

/// A text-format column as a `String` (see [`text_cow`]).
pub fn text(bytes: &[u8]) -> String {
    text_cow(bytes).into_owned()
}

/// A text-format column. Columns are UTF-8 in practice (queries run with
/// client_encoding UTF8), so `from_utf8`'s fast path is the norm (the lossy
/// conversion checks more slowly); anything else is kept, with replacement
/// characters.
fn text_cow(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Quotes an identifier for SQL.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a string literal for SQL.
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

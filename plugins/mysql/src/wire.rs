//! MySQL's client/server protocol over a connection the worker makes for
//! us: the handshake with TLS and authentication plugins, text queries
//! (read whole or row by row), and the binlog dump replication uses.
//! MariaDB speaks the same protocol; where it differs, `is_mariadb` says so.

use std::io::Write;
use std::time::Duration;

use weir_sdk::net::{Connection, TlsVerify};

use crate::auth::{Authenticator, Step};
use crate::error::MyError;

/// Capability flags this client uses (`CLIENT_*` in MySQL's protocol docs).
mod caps {
    pub const LONG_PASSWORD: u32 = 1;
    pub const LONG_FLAG: u32 = 1 << 2;
    pub const PROTOCOL_41: u32 = 1 << 9;
    pub const SSL: u32 = 1 << 11;
    pub const TRANSACTIONS: u32 = 1 << 13;
    pub const SECURE_CONNECTION: u32 = 1 << 15;
    pub const MULTI_STATEMENTS: u32 = 1 << 16;
    pub const MULTI_RESULTS: u32 = 1 << 17;
    pub const PLUGIN_AUTH: u32 = 1 << 19;
    pub const PLUGIN_AUTH_LENENC_DATA: u32 = 1 << 21;
}

/// `utf8mb4_general_ci`, which both MySQL and MariaDB know.
const UTF8MB4_GENERAL_CI: u8 = 45;
/// The largest payload one packet carries; longer payloads continue.
const MAX_PAYLOAD: usize = 0xFF_FFFF;

/// A bounds-checked little-endian reader over a packet.
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
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], MyError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or_else(|| MyError::Protocol("packet truncated".into()))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    /// One byte.
    pub fn u8(&mut self) -> Result<u8, MyError> {
        Ok(self.take(1)?[0])
    }
    /// Little-endian u16.
    pub fn u16(&mut self) -> Result<u16, MyError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    /// Little-endian u32.
    pub fn u32(&mut self) -> Result<u32, MyError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// A length-encoded integer; `None` is the NULL marker (0xFB).
    pub fn lenenc(&mut self) -> Result<Option<u64>, MyError> {
        Ok(match self.u8()? {
            0xFB => None,
            0xFC => Some(u64::from(self.u16()?)),
            0xFD => {
                let b = self.take(3)?;
                Some(u64::from(b[0]) | u64::from(b[1]) << 8 | u64::from(b[2]) << 16)
            }
            0xFE => {
                let b = self.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                Some(u64::from_le_bytes(a))
            }
            n => Some(u64::from(n)),
        })
    }
    /// A length-encoded string; `None` for NULL.
    pub fn lenenc_bytes(&mut self) -> Result<Option<&'a [u8]>, MyError> {
        match self.lenenc()? {
            None => Ok(None),
            Some(n) => {
                let n = usize::try_from(n).map_err(|_| MyError::Protocol("length too large".into()))?;
                Ok(Some(self.take(n)?))
            }
        }
    }
    /// A NUL-terminated string (or the rest, when no NUL follows).
    pub fn cstr(&mut self) -> &'a [u8] {
        let rest = &self.bytes[self.pos..];
        match rest.iter().position(|b| *b == 0) {
            Some(nul) => {
                self.pos += nul + 1;
                &rest[..nul]
            }
            None => {
                self.pos = self.bytes.len();
                rest
            }
        }
    }
    /// Everything not read yet.
    pub fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }
    /// The read position.
    pub fn pos(&self) -> usize {
        self.pos
    }
}

/// Appends a length-encoded integer.
pub fn put_lenenc(out: &mut Vec<u8>, n: u64) {
    match n {
        0..=250 => out.push(n as u8),
        251..=0xFFFF => {
            out.push(0xFC);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        0x1_0000..=0xFF_FFFF => {
            out.push(0xFD);
            out.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
        }
        _ => {
            out.push(0xFE);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

/// How TLS is used (`database.ssl.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Plain TCP.
    Disabled,
    /// TLS when the server offers it, else plain.
    Preferred,
    /// TLS, certificate not checked.
    Required,
    /// TLS, chain checked.
    VerifyCa,
    /// TLS, chain and host name checked.
    VerifyIdentity,
}

impl SslMode {
    /// Parses a `database.ssl.mode` value.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "disabled" | "disable" => Self::Disabled,
            "preferred" | "prefer" => Self::Preferred,
            "required" | "require" => Self::Required,
            "verify_ca" => Self::VerifyCa,
            "verify_identity" => Self::VerifyIdentity,
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
    /// TLS mode.
    pub ssl: SslMode,
    /// Trusted root certificates (PEM), for verify_ca/verify_identity.
    pub root_cert_pem: Option<String>,
    /// How long connecting may take.
    pub connect_timeout: Duration,
}

/// One text-protocol row: the packet and where each value lies in it.
#[derive(Debug, Default)]
pub struct TextRow {
    packet: Vec<u8>,
    spans: Vec<Option<(usize, usize)>>,
}

impl TextRow {
    /// Value `i`'s bytes; `None` for NULL (or past the end).
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let (start, end) = (*self.spans.get(i)?)?;
        self.packet.get(start..end)
    }
    /// Value `i` as UTF-8 text (lossy).
    pub fn text(&self, i: usize) -> Option<String> {
        self.get(i).map(|b| String::from_utf8_lossy(b).into_owned())
    }
}

/// One result set of a text query.
#[derive(Debug, Default)]
pub struct Rows {
    /// Rows.
    pub rows: Vec<TextRow>,
}

/// An open session.
pub struct MyConn {
    conn: Connection,
    buf: Vec<u8>,
    start: usize,
    seq: u8,
    /// The server's version string, e.g. `10.11.14-MariaDB-0+deb12u2-log`.
    pub server_version: String,
    /// The connection (thread) id the server gave this session.
    pub connection_id: u32,
    /// Whether TLS is in use.
    pub tls: bool,
    /// Columns of the query being read row by row.
    streaming: Option<usize>,
}

impl MyConn {
    /// Connects, negotiates TLS and authenticates.
    pub fn connect(params: &ConnectParams) -> Result<Self, MyError> {
        let conn = Connection::connect(&params.host, params.port, params.connect_timeout).map_err(MyError::Connect)?;
        let mut my = Self {
            conn,
            buf: Vec::with_capacity(64 * 1024),
            start: 0,
            seq: 0,
            server_version: String::new(),
            connection_id: 0,
            tls: false,
            streaming: None,
        };
        my.handshake(params)?;
        Ok(my)
    }

    /// Whether the server is MariaDB.
    pub fn is_mariadb(&self) -> bool {
        self.server_version.contains("MariaDB")
    }

    /// The statement reporting the current binlog position.
    pub fn binlog_status_statement(&self) -> &'static str {
        binlog_status_statement(&self.server_version)
    }

    fn handshake(&mut self, params: &ConnectParams) -> Result<(), MyError> {
        let greeting = self.read_packet(params.connect_timeout.max(Duration::from_secs(10)))?;
        if greeting.first() == Some(&0xFF) {
            return Err(server_error(&greeting));
        }
        let mut r = Reader::new(&greeting);
        let protocol = r.u8()?;
        if protocol != 10 {
            return Err(MyError::Protocol(format!("unsupported handshake protocol {protocol}")));
        }
        self.server_version = String::from_utf8_lossy(r.cstr()).into_owned();
        self.connection_id = r.u32()?;
        let mut scramble = r.take(8)?.to_vec();
        r.take(1)?;
        let caps_low = u32::from(r.u16()?);
        let mut server_caps = caps_low;
        let mut plugin = String::from("mysql_native_password");
        if !r.rest().is_empty() {
            r.take(1)?; // character set
            r.take(2)?; // status flags
            server_caps |= u32::from(r.u16()?) << 16;
            let auth_len = r.u8()?;
            r.take(10)?;
            if server_caps & caps::SECURE_CONNECTION != 0 {
                let n = (usize::from(auth_len).saturating_sub(8)).max(13);
                let part2 = r.take(n.min(r.rest().len()))?;
                // The scramble is 20 bytes; the part's last byte is a NUL.
                scramble.extend_from_slice(part2.strip_suffix(&[0]).unwrap_or(part2));
            }
            if server_caps & caps::PLUGIN_AUTH != 0 {
                plugin = String::from_utf8_lossy(r.cstr()).into_owned();
            }
        }
        let mut client_caps = caps::LONG_PASSWORD
            | caps::LONG_FLAG
            | caps::PROTOCOL_41
            | caps::TRANSACTIONS
            | caps::SECURE_CONNECTION
            | caps::MULTI_STATEMENTS
            | caps::MULTI_RESULTS
            | caps::PLUGIN_AUTH
            | caps::PLUGIN_AUTH_LENENC_DATA;
        client_caps &= server_caps | caps::PROTOCOL_41;
        self.negotiate_tls(params, server_caps, &mut client_caps)?;

        let mut auth = Authenticator::new(&params.password, self.tls);
        let (announced, response) =
            auth.handshake_response(&plugin, &scramble).map_err(|e| MyError::Auth(e.to_string()))?;
        let mut out = Vec::with_capacity(128);
        out.extend_from_slice(&client_caps.to_le_bytes());
        out.extend_from_slice(&(MAX_PAYLOAD as u32).to_le_bytes());
        out.push(UTF8MB4_GENERAL_CI);
        out.extend_from_slice(&[0u8; 23]);
        out.extend_from_slice(params.user.as_bytes());
        out.push(0);
        if client_caps & caps::PLUGIN_AUTH_LENENC_DATA != 0 {
            put_lenenc(&mut out, response.len() as u64);
        } else {
            out.push(u8::try_from(response.len()).map_err(|_| MyError::Auth("auth response too long".into()))?);
        }
        out.extend_from_slice(&response);
        out.extend_from_slice(announced.as_bytes());
        out.push(0);
        self.write_packet(&out)?;
        self.authenticate(&mut auth)
    }

    fn negotiate_tls(
        &mut self,
        params: &ConnectParams,
        server_caps: u32,
        client_caps: &mut u32,
    ) -> Result<(), MyError> {
        let verify = match params.ssl {
            SslMode::Disabled => return Ok(()),
            SslMode::Preferred | SslMode::Required => TlsVerify::None,
            SslMode::VerifyCa => TlsVerify::Ca,
            SslMode::VerifyIdentity => TlsVerify::Full,
        };
        if server_caps & caps::SSL == 0 {
            if params.ssl == SslMode::Preferred {
                return Ok(());
            }
            return Err(MyError::Tls(format!(
                "the server does not offer TLS, but database.ssl.mode is {:?}",
                params.ssl
            )));
        }
        *client_caps |= caps::SSL;
        let mut req = Vec::with_capacity(32);
        req.extend_from_slice(&client_caps.to_le_bytes());
        req.extend_from_slice(&(MAX_PAYLOAD as u32).to_le_bytes());
        req.push(UTF8MB4_GENERAL_CI);
        req.extend_from_slice(&[0u8; 23]);
        self.write_packet(&req)?;
        let server_name = (params.ssl == SslMode::VerifyIdentity).then_some(params.host.as_str());
        self.conn
            .upgrade_tls(verify, params.root_cert_pem.as_deref(), server_name)
            .map_err(|e| MyError::Tls(e.to_string()))?;
        self.tls = true;
        Ok(())
    }

    /// Answers auth switches and the plugins' extra rounds until OK or ERR.
    fn authenticate(&mut self, auth: &mut Authenticator) -> Result<(), MyError> {
        let timeout = Duration::from_secs(30);
        let failed = |e: crate::auth::AuthError| MyError::Auth(e.to_string());
        loop {
            let packet = self.read_packet(timeout)?;
            match packet.first() {
                Some(0x00) => return Ok(()),
                Some(0xFF) => return Err(server_error(&packet)),
                Some(0xFE) => {
                    // AuthSwitchRequest: plugin name, then its scramble.
                    let mut r = Reader::new(&packet[1..]);
                    let name = String::from_utf8_lossy(r.cstr()).into_owned();
                    let response = auth.switch(&name, r.rest()).map_err(failed)?;
                    self.write_packet(&response)?;
                }
                Some(0x01) => match auth.more_data(&packet).map_err(failed)? {
                    Step::Send(reply) => self.write_packet(&reply)?,
                    Step::AwaitResult => {}
                },
                _ => return Err(MyError::Protocol("unexpected packet during authentication".into())),
            }
        }
    }

    /// Reads one packet's payload (joining continued packets) within `timeout`.
    pub fn read_packet(&mut self, timeout: Duration) -> Result<Vec<u8>, MyError> {
        self.try_read_packet(timeout)?.ok_or(MyError::Timeout(timeout))
    }

    /// Reads one packet's payload if one arrives within `timeout`.
    pub fn try_read_packet(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>, MyError> {
        let mut payload: Option<Vec<u8>> = None;
        loop {
            match self.buffered_frame() {
                Some((len, seq)) => {
                    self.seq = seq.wrapping_add(1);
                    let body = &self.buf[self.start + 4..self.start + 4 + len];
                    let done = len < MAX_PAYLOAD;
                    match payload.as_mut() {
                        Some(p) => p.extend_from_slice(body),
                        None if done => {
                            let p = body.to_vec();
                            self.start += 4 + len;
                            return Ok(Some(p));
                        }
                        None => payload = Some(body.to_vec()),
                    }
                    self.start += 4 + len;
                    if done {
                        return Ok(payload);
                    }
                }
                None => {
                    if !self.fill(timeout)? {
                        if payload.is_some() {
                            // Mid-way through a long payload: keep waiting.
                            continue;
                        }
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// The length and sequence of a whole frame at the buffer's start, if any.
    fn buffered_frame(&self) -> Option<(usize, u8)> {
        let avail = &self.buf[self.start..];
        if avail.len() < 4 {
            return None;
        }
        let len = usize::from(avail[0]) | usize::from(avail[1]) << 8 | usize::from(avail[2]) << 16;
        (avail.len() >= 4 + len).then_some((len, avail[3]))
    }

    /// Reads more bytes; false when none came within `timeout`.
    fn fill(&mut self, timeout: Duration) -> Result<bool, MyError> {
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + 256 * 1024, 0);
        match self.conn.read_timeout(&mut self.buf[old..], timeout) {
            Ok(0) => {
                self.buf.truncate(old);
                Err(MyError::Closed)
            }
            Ok(n) => {
                self.buf.truncate(old + n);
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                self.buf.truncate(old);
                Ok(false)
            }
            Err(e) => {
                self.buf.truncate(old);
                Err(MyError::Io(e))
            }
        }
    }

    /// Writes one payload as packets, continuing the sequence.
    pub fn write_packet(&mut self, payload: &[u8]) -> Result<(), MyError> {
        let mut out = Vec::with_capacity(payload.len() + 8);
        let mut chunks = payload.chunks(MAX_PAYLOAD).peekable();
        let mut last_len = 0;
        while let Some(chunk) = chunks.next() {
            out.extend_from_slice(&(chunk.len() as u32).to_le_bytes()[..3]);
            out.push(self.seq);
            self.seq = self.seq.wrapping_add(1);
            out.extend_from_slice(chunk);
            last_len = chunk.len();
            if chunks.peek().is_none() {
                break;
            }
        }
        if payload.is_empty() || last_len == MAX_PAYLOAD {
            out.extend_from_slice(&[0, 0, 0, self.seq]);
            self.seq = self.seq.wrapping_add(1);
        }
        self.conn.write_all(&out).map_err(MyError::Io)
    }

    /// Sends a command packet (a new sequence).
    pub fn command(&mut self, code: u8, body: &[u8]) -> Result<(), MyError> {
        if self.streaming.is_some() {
            return Err(MyError::Protocol("a query's rows are still being read".into()));
        }
        self.seq = 0;
        let mut payload = Vec::with_capacity(body.len() + 1);
        payload.push(code);
        payload.extend_from_slice(body);
        self.write_packet(&payload)
    }

    /// Runs `sql` (one or more statements) and returns every result set.
    pub fn query(&mut self, sql: &str) -> Result<Vec<Rows>, MyError> {
        self.command(0x03, sql.as_bytes())?;
        let timeout = Duration::from_secs(600);
        let mut results = Vec::new();
        loop {
            let first = self.read_packet(timeout)?;
            let more = match first.first() {
                Some(0x00) => {
                    results.push(Rows::default());
                    ok_more_results(&first)
                }
                Some(0xFF) => return Err(server_error(&first)),
                Some(0xFB) => return Err(MyError::Protocol("LOCAL INFILE is not supported".into())),
                _ => {
                    let n = self.read_columns(&first, timeout)?;
                    let mut rows = Rows::default();
                    let more = loop {
                        let packet = self.read_packet(timeout)?;
                        match packet.first() {
                            Some(0xFE) if packet.len() < 9 => break eof_more_results(&packet),
                            Some(0xFF) => return Err(server_error(&packet)),
                            _ => rows.rows.push(text_row(packet, n)?),
                        }
                    };
                    results.push(rows);
                    more
                }
            };
            if !more {
                return Ok(results);
            }
        }
    }

    /// Runs statements whose results do not matter.
    pub fn execute(&mut self, sql: &str) -> Result<(), MyError> {
        self.query(sql).map(|_| ())
    }

    /// The first column of the first row of a query, if any.
    pub fn query_value(&mut self, sql: &str) -> Result<Option<String>, MyError> {
        let results = self.query(sql)?;
        Ok(results.iter().find_map(|r| r.rows.first()).and_then(|row| row.text(0)))
    }

    /// Starts a single-statement query whose rows are read one by one with
    /// [`next_row`](Self::next_row) (the snapshot reads tables this way).
    pub fn start_query(&mut self, sql: &str) -> Result<(), MyError> {
        self.command(0x03, sql.as_bytes())?;
        let timeout = Duration::from_secs(600);
        let first = self.read_packet(timeout)?;
        match first.first() {
            Some(0xFF) => Err(server_error(&first)),
            Some(0x00) => Ok(()),
            _ => {
                self.streaming = Some(self.read_columns(&first, timeout)?);
                Ok(())
            }
        }
    }

    /// The next row of a query started with `start_query`; `None` after the last.
    pub fn next_row(&mut self) -> Result<Option<TextRow>, MyError> {
        let Some(n) = self.streaming else { return Ok(None) };
        let packet = self.read_packet(Duration::from_secs(600))?;
        match packet.first() {
            Some(0xFE) if packet.len() < 9 => {
                self.streaming = None;
                Ok(None)
            }
            Some(0xFF) => {
                self.streaming = None;
                Err(server_error(&packet))
            }
            _ => text_row(packet, n).map(Some),
        }
    }

    /// Skips the column definitions (the connector knows its tables'
    /// columns from their definitions); returns how many there are.
    fn read_columns(&mut self, first: &[u8], timeout: Duration) -> Result<usize, MyError> {
        let count = Reader::new(first).lenenc()?.unwrap_or(0);
        let count = usize::try_from(count).map_err(|_| MyError::Protocol("too many columns".into()))?;
        for _ in 0..count {
            self.read_packet(timeout)?;
        }
        // The EOF after the column definitions.
        let eof = self.read_packet(timeout)?;
        if eof.first() != Some(&0xFE) {
            return Err(MyError::Protocol("expected EOF after column definitions".into()));
        }
        Ok(count)
    }

    /// Sends `COM_BINLOG_DUMP` from `file`/`pos` as replica `server_id`;
    /// with `annotate`, MariaDB also sends each row event's statement
    /// (`BINLOG_SEND_ANNOTATE_ROWS_EVENT`).
    pub fn binlog_dump(&mut self, server_id: u32, file: &str, pos: u32, annotate: bool) -> Result<(), MyError> {
        let mut body = Vec::with_capacity(10 + file.len());
        body.extend_from_slice(&pos.to_le_bytes());
        let flags: u16 = if annotate { 2 } else { 0 };
        body.extend_from_slice(&flags.to_le_bytes());
        body.extend_from_slice(&server_id.to_le_bytes());
        body.extend_from_slice(file.as_bytes());
        self.command(0x12, &body)
    }

    /// The server's binlog files, oldest first (`SHOW BINARY LOGS`).
    pub fn binlog_names(&mut self) -> Result<Vec<String>, MyError> {
        let logs = self.query("SHOW BINARY LOGS")?;
        Ok(logs.iter().flat_map(|r| r.rows.iter()).filter_map(|row| row.text(0)).collect())
    }

    /// Sends MySQL's `COM_BINLOG_DUMP_GTID` as replica `server_id`, from the
    /// GTID set `data` encodes ([`crate::gtid::MySqlGtidSet::encode`]): the
    /// server streams every transaction not in the set.
    pub fn binlog_dump_gtid(&mut self, server_id: u32, data: &[u8]) -> Result<(), MyError> {
        self.command(0x1e, &binlog_dump_gtid_body(server_id, data)?)
    }

    /// The next replication-stream event, if one arrives within `timeout`:
    /// the event bytes without the leading OK byte.
    pub fn next_event(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>, MyError> {
        let Some(mut packet) = self.try_read_packet(timeout)? else { return Ok(None) };
        match packet.first() {
            Some(0x00) => {
                packet.remove(0);
                Ok(Some(packet))
            }
            Some(0xFF) => Err(server_error(&packet)),
            Some(0xFE) if packet.len() < 9 => Err(MyError::Closed),
            _ => Err(MyError::Protocol("unexpected packet in the binlog stream".into())),
        }
    }
}

/// `COM_BINLOG_DUMP_GTID`'s body: flags (`BINLOG_THROUGH_GTID`), server id,
/// an empty file name (its length, 0), position 4, then the GTID data and
/// its size.
fn binlog_dump_gtid_body(server_id: u32, data: &[u8]) -> Result<Vec<u8>, MyError> {
    const BINLOG_THROUGH_GTID: u16 = 0x04;
    let size = u32::try_from(data.len()).map_err(|_| MyError::Protocol("GTID set too large to send".into()))?;
    let mut body = Vec::with_capacity(22 + data.len());
    body.extend_from_slice(&BINLOG_THROUGH_GTID.to_le_bytes());
    body.extend_from_slice(&server_id.to_le_bytes());
    body.extend_from_slice(&0u32.to_le_bytes());
    body.extend_from_slice(&4u64.to_le_bytes());
    body.extend_from_slice(&size.to_le_bytes());
    body.extend_from_slice(data);
    Ok(body)
}

fn text_row(packet: Vec<u8>, columns: usize) -> Result<TextRow, MyError> {
    let mut spans = Vec::with_capacity(columns);
    let mut r = Reader::new(&packet);
    for _ in 0..columns {
        let v = r.lenenc_bytes()?;
        spans.push(v.map(|b| (r.pos() - b.len(), r.pos())));
    }
    Ok(TextRow { packet, spans })
}

/// `SERVER_MORE_RESULTS_EXISTS` in an OK packet's status flags.
fn ok_more_results(packet: &[u8]) -> bool {
    let mut r = Reader::new(&packet[1..]);
    let status = r.lenenc().and_then(|_| r.lenenc()).and_then(|_| r.u16());
    status.is_ok_and(|s| s & 0x0008 != 0)
}

/// The same flag in an EOF packet.
fn eof_more_results(packet: &[u8]) -> bool {
    packet.len() >= 5 && u16::from_le_bytes([packet[3], packet[4]]) & 0x0008 != 0
}

/// Parses an ERR packet.
pub fn server_error(packet: &[u8]) -> MyError {
    let mut r = Reader::new(packet.get(1..).unwrap_or_default());
    let code = r.u16().unwrap_or(0);
    let mut state = String::new();
    if r.rest().first() == Some(&b'#')
        && let Ok(s) = r.take(6)
    {
        state = String::from_utf8_lossy(&s[1..]).into_owned();
    }
    MyError::Server { code, state, message: String::from_utf8_lossy(r.rest()).into_owned() }
}

/// The leading `major.minor.patch` of a server version string (`8.0.36`,
/// `10.11.6-MariaDB-…`), missing parts as 0. MariaDB's replication prefix
/// `5.5.5-` is not skipped: callers check for "MariaDB" first.
pub fn version_number(server_version: &str) -> (u32, u32, u32) {
    let mut parts = server_version.split(|c: char| !c.is_ascii_digit()).map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// MySQL 8.2 renamed `SHOW MASTER STATUS` to `SHOW BINARY LOG STATUS`, and
/// 8.4 dropped the old name; MariaDB keeps it.
fn binlog_status_statement(server_version: &str) -> &'static str {
    if !server_version.contains("MariaDB") && version_number(server_version) >= (8, 2, 0) {
        "SHOW BINARY LOG STATUS"
    } else {
        "SHOW MASTER STATUS"
    }
}

/// Quotes an identifier with backquotes.
pub fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_binlog_position_statement_follows_mysqls_rename() {
        assert_eq!(binlog_status_statement("8.0.36"), "SHOW MASTER STATUS");
        assert_eq!(binlog_status_statement("8.2.0"), "SHOW BINARY LOG STATUS");
        assert_eq!(binlog_status_statement("8.4.3-log"), "SHOW BINARY LOG STATUS");
        assert_eq!(binlog_status_statement("9.1.0"), "SHOW BINARY LOG STATUS");
        assert_eq!(binlog_status_statement("5.5.5-10.11.6-MariaDB-0+deb12u1"), "SHOW MASTER STATUS");
        assert_eq!(binlog_status_statement("11.4.2-MariaDB"), "SHOW MASTER STATUS");
    }

    #[test]
    fn lenenc_round_trips() {
        for n in [0u64, 250, 251, 0xFFFF, 0x1_0000, 0xFF_FFFF, 0x100_0000, u64::MAX] {
            let mut out = Vec::new();
            put_lenenc(&mut out, n);
            assert_eq!(Reader::new(&out).lenenc().ok().flatten(), Some(n), "{n}");
        }
        assert_eq!(Reader::new(&[0xFB]).lenenc().ok(), Some(None));
    }

    #[test]
    fn binlog_dump_gtid_is_laid_out_as_mysql_documents() {
        // MySQL's COM_BINLOG_DUMP_GTID for replica 5400 from the set
        // 3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5, byte by byte from the
        // protocol documentation (the interval's end is exclusive).
        let set = crate::gtid::MySqlGtidSet::parse("3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5").expect("set");
        let body = binlog_dump_gtid_body(5400, &set.encode().expect("encode")).expect("body");
        let mut expected = vec![0x04, 0x00]; // flags: BINLOG_THROUGH_GTID
        expected.extend([0x18, 0x15, 0, 0]); // server id
        expected.extend([0, 0, 0, 0]); // file name length: none
        expected.extend([4, 0, 0, 0, 0, 0, 0, 0]); // position
        expected.extend([48, 0, 0, 0]); // data size
        expected.extend([1, 0, 0, 0, 0, 0, 0, 0]); // one source
        expected
            .extend([0x3E, 0x11, 0xFA, 0x47, 0x71, 0xCA, 0x11, 0xE1, 0x9E, 0x33, 0xC8, 0x0A, 0xA9, 0x42, 0x95, 0x62]);
        expected.extend([1, 0, 0, 0, 0, 0, 0, 0]); // one interval
        expected.extend([1, 0, 0, 0, 0, 0, 0, 0]); // from 1
        expected.extend([6, 0, 0, 0, 0, 0, 0, 0]); // to 6, exclusive
        assert_eq!(body, expected);
    }

    #[test]
    fn text_rows_keep_nulls_and_bytes() {
        let packet = vec![3, b'a', 0, b'c', 0xFB, 0];
        let row = text_row(packet, 3).expect("row");
        assert_eq!(row.get(0), Some(&b"a\0c"[..]));
        assert_eq!(row.get(1), None);
        assert_eq!(row.get(2), Some(&b""[..]));
        assert!(text_row(vec![5, b'a'], 1).is_err());
    }

    #[test]
    fn err_packets_carry_code_state_and_message() {
        let mut p = vec![0xFF];
        p.extend_from_slice(&1045u16.to_le_bytes());
        p.extend_from_slice(b"#28000Access denied");
        match server_error(&p) {
            MyError::Server { code, state, message } => {
                assert_eq!((code, state.as_str(), message.as_str()), (1045, "28000", "Access denied"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn identifiers_double_backquotes() {
        assert_eq!(ident("we`ird"), "`we``ird`");
    }
}

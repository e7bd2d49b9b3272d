//! Just enough of PostgreSQL's frontend/backend protocol for the proof.

use std::io::Write;
use std::time::Duration;

use weir_sdk::ConnectorError;
use weir_sdk::net::{Connection, TlsVerify};

fn protocol(msg: impl Into<String>) -> ConnectorError {
    ConnectorError::fatal(format!("postgres protocol: {}", msg.into()))
}

/// A bounds-checked reader over a message body.
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], ConnectorError> {
        let end =
            self.pos.checked_add(n).filter(|e| *e <= self.bytes.len()).ok_or_else(|| protocol("message truncated"))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    pub fn u8(&mut self) -> Result<u8, ConnectorError> {
        Ok(self.take(1)?[0])
    }
    pub fn u16(&mut self) -> Result<u16, ConnectorError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    pub fn u32(&mut self) -> Result<u32, ConnectorError> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub fn u64(&mut self) -> Result<u64, ConnectorError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
    pub fn cstr(&mut self) -> Result<String, ConnectorError> {
        let rest = &self.bytes[self.pos..];
        let nul = rest.iter().position(|b| *b == 0).ok_or_else(|| protocol("unterminated string"))?;
        let s = String::from_utf8_lossy(&rest[..nul]).into_owned();
        self.pos += nul + 1;
        Ok(s)
    }
    pub fn rest(&self) -> &'a [u8] {
        &self.bytes[self.pos..]
    }
}

/// A replication connection.
pub struct Backend {
    conn: Connection,
    buf: Vec<u8>,
    /// The highest LSN the host has made durable.
    pub confirmed: u64,
}

impl Backend {
    pub fn new(conn: Connection) -> Self {
        Self { conn, buf: Vec::new(), confirmed: 0 }
    }

    fn send(&mut self, tag: u8, body: &[u8]) -> Result<(), ConnectorError> {
        let mut msg = Vec::with_capacity(body.len() + 5);
        msg.push(tag);
        msg.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
        msg.extend_from_slice(body);
        self.conn.write_all(&msg).map_err(ConnectorError::from)
    }

    /// Reads one backend message within `timeout`; `None` if none arrived.
    fn message(&mut self, timeout: Duration) -> Result<Option<(u8, Vec<u8>)>, ConnectorError> {
        loop {
            if self.buf.len() >= 5 {
                let len = u32::from_be_bytes([self.buf[1], self.buf[2], self.buf[3], self.buf[4]]) as usize;
                if len < 4 {
                    return Err(protocol(format!("bad message length {len}")));
                }
                if self.buf.len() > len {
                    let tag = self.buf[0];
                    let body = self.buf[5..len + 1].to_vec();
                    self.buf.drain(..len + 1);
                    return Ok(Some((tag, body)));
                }
            }
            let mut chunk = [0u8; 64 * 1024];
            match self.conn.read_timeout(&mut chunk, timeout) {
                Ok(0) => return Err(ConnectorError::retriable("postgres closed the connection")),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn error_text(body: &[u8]) -> String {
        body.split(|b| *b == 0)
            .filter(|f| f.first() == Some(&b'M'))
            .map(|f| String::from_utf8_lossy(&f[1..]).into_owned())
            .next()
            .unwrap_or_else(|| "unknown error".into())
    }

    /// SSLRequest, then TLS on the same connection when the server agrees.
    pub fn start_tls(&mut self, verify: TlsVerify, root_ca_pem: Option<&str>) -> Result<(), ConnectorError> {
        let mut msg = 8u32.to_be_bytes().to_vec();
        msg.extend_from_slice(&80_877_103u32.to_be_bytes());
        self.conn.write_all(&msg).map_err(ConnectorError::from)?;
        let mut answer = [0u8; 1];
        let n = self.conn.read_timeout(&mut answer, Duration::from_secs(10)).map_err(ConnectorError::from)?;
        if n != 1 || answer[0] != b'S' {
            return Err(ConnectorError::fatal("postgres does not accept TLS (SSLRequest was refused)"));
        }
        self.conn
            .upgrade_tls(verify, root_ca_pem, None)
            .map_err(|e| ConnectorError::fatal(format!("TLS with postgres failed: {e}")))
    }

    /// Startup with trust authentication; waits for ReadyForQuery.
    pub fn startup(&mut self, params: &[(&str, &str)]) -> Result<(), ConnectorError> {
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
        self.conn.write_all(&msg).map_err(ConnectorError::from)?;
        loop {
            let Some((tag, body)) = self.message(Duration::from_secs(10))? else {
                return Err(ConnectorError::retriable("postgres did not answer the startup message"));
            };
            match tag {
                b'R' => {
                    let mut r = Reader::new(&body);
                    let code = r.u32()?;
                    if code != 0 {
                        return Err(ConnectorError::fatal(format!(
                            "postgres asks for authentication method {code}; this proof connector supports trust only"
                        )));
                    }
                }
                b'E' => return Err(ConnectorError::fatal(format!("postgres refused: {}", Self::error_text(&body)))),
                b'Z' => return Ok(()),
                _ => {}
            }
        }
    }

    /// `START_REPLICATION` with pgoutput; waits for CopyBothResponse.
    pub fn start_replication(&mut self, slot: &str, lsn: u64, publication: &str) -> Result<(), ConnectorError> {
        let query = format!(
            "START_REPLICATION SLOT \"{slot}\" LOGICAL {:X}/{:X} (proto_version '1', publication_names '{publication}')",
            lsn >> 32,
            lsn & 0xFFFF_FFFF
        );
        let mut body = query.into_bytes();
        body.push(0);
        self.send(b'Q', &body)?;
        loop {
            let Some((tag, body)) = self.message(Duration::from_secs(10))? else {
                return Err(ConnectorError::retriable("postgres did not start replication"));
            };
            match tag {
                b'W' => return Ok(()),
                b'E' => {
                    return Err(ConnectorError::fatal(format!(
                        "START_REPLICATION failed: {}",
                        Self::error_text(&body)
                    )));
                }
                _ => {}
            }
        }
    }

    /// The next CopyData payload, or `None` if nothing arrived within `timeout`.
    pub fn next_copy_data(&mut self, timeout: Duration) -> Result<Option<Vec<u8>>, ConnectorError> {
        match self.message(timeout)? {
            None => Ok(None),
            Some((b'd', body)) => Ok(Some(body)),
            Some((b'E', body)) => {
                Err(ConnectorError::fatal(format!("replication failed: {}", Self::error_text(&body))))
            }
            Some((b'c', _)) => Err(ConnectorError::retriable("postgres ended the replication stream")),
            Some(_) => Ok(None),
        }
    }

    /// Standby status update: what is written and flushed.
    pub fn standby_status(&mut self, write: u64, flush: u64) -> Result<(), ConnectorError> {
        let mut body = vec![b'r'];
        body.extend_from_slice(&write.to_be_bytes());
        body.extend_from_slice(&flush.to_be_bytes());
        body.extend_from_slice(&flush.to_be_bytes());
        body.extend_from_slice(&0i64.to_be_bytes());
        body.push(0);
        self.send(b'd', &body)
    }
}

//! Network connections made by the worker on the plugin's behalf.
//!
//! The worker resolves the name, checks it against the endpoints the
//! connector's config names, and runs TLS natively, so a database protocol
//! written against [`std::io::Read`]/[`Write`] works unchanged.

use std::io;
use std::time::Duration;

use crate::bindings::weir::connector::network as wit;

/// How the server certificate is checked when upgrading to TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsVerify {
    /// Encrypt only.
    None,
    /// Check the chain, not the host name.
    Ca,
    /// Check the chain and the host name.
    Full,
}

/// A TCP connection through the worker. Reads wait at most the read timeout
/// and then fail with [`io::ErrorKind::TimedOut`], leaving the connection usable.
pub struct Connection {
    inner: wit::Connection,
    read_timeout: Duration,
}

/// Turns the contract's network error into an [`io::Error`] whose kind says
/// what happened; a denied endpoint is `PermissionDenied`.
fn to_io(err: wit::NetError) -> io::Error {
    match err {
        wit::NetError::NotAllowed(m) => io::Error::new(io::ErrorKind::PermissionDenied, m),
        wit::NetError::Resolve(m) => io::Error::new(io::ErrorKind::NotFound, m),
        wit::NetError::Connect(m) => io::Error::new(io::ErrorKind::ConnectionRefused, m),
        wit::NetError::Timeout => io::Error::new(io::ErrorKind::TimedOut, "read timed out"),
        wit::NetError::Closed => io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed by peer"),
        wit::NetError::Tls(m) => io::Error::new(io::ErrorKind::InvalidData, format!("tls: {m}")),
        wit::NetError::Io(m) => io::Error::other(m),
    }
}

impl Connection {
    /// Connects to `host:port` within `timeout`.
    pub fn connect(host: &str, port: u16, timeout: Duration) -> io::Result<Self> {
        let inner = wit::Connection::connect(host, port, millis(timeout)).map_err(to_io)?;
        Ok(Self { inner, read_timeout: Duration::from_secs(30) })
    }

    /// Sets how long a read waits for data.
    pub fn set_read_timeout(&mut self, timeout: Duration) {
        self.read_timeout = timeout;
    }

    /// Reads with an explicit timeout, returning at least one byte.
    pub fn read_timeout(&mut self, buf: &mut [u8], timeout: Duration) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let max = u32::try_from(buf.len()).unwrap_or(u32::MAX);
        match self.inner.read(max, millis(timeout)) {
            Ok(bytes) => {
                let n = bytes.len().min(buf.len());
                buf[..n].copy_from_slice(&bytes[..n]);
                Ok(n)
            }
            Err(wit::NetError::Closed) => Ok(0),
            Err(err) => Err(to_io(err)),
        }
    }

    /// Upgrades this connection to TLS in place.
    pub fn upgrade_tls(
        &mut self,
        verify: TlsVerify,
        root_ca_pem: Option<&str>,
        server_name: Option<&str>,
    ) -> io::Result<()> {
        let verify = match verify {
            TlsVerify::None => wit::TlsVerify::None,
            TlsVerify::Ca => wit::TlsVerify::Ca,
            TlsVerify::Full => wit::TlsVerify::Full,
        };
        let options = wit::TlsOptions {
            verify,
            root_ca_pem: root_ca_pem.map(str::to_string),
            server_name: server_name.map(str::to_string),
        };
        self.inner.upgrade_tls(&options).map_err(to_io)
    }

    /// The peer's address, `ip:port`.
    pub fn peer(&self) -> String {
        self.inner.peer()
    }
}

fn millis(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}

impl io::Read for Connection {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let timeout = self.read_timeout;
        self.read_timeout(buf, timeout)
    }
}

impl io::Write for Connection {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf).map_err(to_io)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

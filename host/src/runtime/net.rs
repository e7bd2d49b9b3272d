//! Connections the host makes on a plugin's behalf: checked against the
//! instance's grants by name, read with deadlines, and upgraded to TLS in
//! place with rustls running natively.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, RootCertStore, SignatureScheme, StreamOwned};

/// How the certificate is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verify {
    /// Encrypt only.
    None,
    /// Chain only.
    Ca,
    /// Chain and name.
    Full,
}

/// Why a network operation failed.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// Not in the grants.
    #[error("{0}")]
    NotAllowed(String),
    /// Name resolution.
    #[error("cannot resolve {0}")]
    Resolve(String),
    /// Connect failed.
    #[error("{0}")]
    Connect(String),
    /// Deadline passed without data.
    #[error("timed out")]
    Timeout,
    /// Peer closed.
    #[error("connection closed")]
    Closed,
    /// TLS failure.
    #[error("{0}")]
    Tls(String),
    /// Other I/O.
    #[error("{0}")]
    Io(String),
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
    /// Only while switching to TLS.
    Switching,
}

/// One open connection, owned by a plugin instance's resource table.
pub struct Connection {
    stream: Stream,
    host: String,
    peer: SocketAddr,
    /// Where reads land before they are copied out: kept, so a read neither
    /// allocates nor zeroes its whole `max`.
    read_buf: Vec<u8>,
    /// The socket's read timeout as last set, so an unchanged one costs no system call.
    read_timeout: Option<Duration>,
}

/// The most one read returns.
const MAX_READ: usize = 256 * 1024;

impl Connection {
    /// Connects to `host:port`, trying each resolved address.
    pub fn open(host: &str, port: u16, timeout: Duration) -> Result<Self, NetError> {
        let addrs: Vec<SocketAddr> =
            (host, port).to_socket_addrs().map_err(|e| NetError::Resolve(format!("{host}: {e}")))?.collect();
        if addrs.is_empty() {
            return Err(NetError::Resolve(host.to_string()));
        }
        let mut last = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, timeout.max(Duration::from_millis(1))) {
                Ok(stream) => {
                    let _ = stream.set_nodelay(true);
                    return Ok(Self {
                        stream: Stream::Plain(stream),
                        host: host.to_string(),
                        peer: addr,
                        read_buf: Vec::new(),
                        read_timeout: None,
                    });
                }
                Err(e) => last = Some(format!("cannot connect to {host}:{port} ({addr}): {e}")),
            }
        }
        Err(NetError::Connect(last.unwrap_or_default()))
    }

    fn tcp(&self) -> Option<&TcpStream> {
        match &self.stream {
            Stream::Plain(s) => Some(s),
            Stream::Tls(s) => Some(&s.sock),
            Stream::Switching => None,
        }
    }

    /// Reads up to `max` bytes within `timeout`.
    pub fn read(&mut self, max: usize, timeout: Duration) -> Result<Vec<u8>, NetError> {
        let timeout = Some(timeout.max(Duration::from_millis(1)));
        if self.read_timeout != timeout {
            let tcp =
                self.tcp().ok_or_else(|| NetError::Io("connection is unusable after a failed TLS upgrade".into()))?;
            tcp.set_read_timeout(timeout).map_err(|e| NetError::Io(e.to_string()))?;
            self.read_timeout = timeout;
        }
        let max = max.clamp(1, MAX_READ);
        if self.read_buf.len() < max {
            self.read_buf.resize(max, 0);
        }
        let buf = &mut self.read_buf[..max];
        let n = match &mut self.stream {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            Stream::Switching => return Err(NetError::Io("connection is unusable".into())),
        };
        match n {
            Ok(0) => Err(NetError::Closed),
            Ok(n) => Ok(buf[..n].to_vec()),
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => Err(NetError::Timeout),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(NetError::Closed),
            Err(e) => Err(NetError::Io(e.to_string())),
        }
    }

    /// Writes all of `data`.
    pub fn write(&mut self, data: &[u8]) -> Result<(), NetError> {
        let result = match &mut self.stream {
            Stream::Plain(s) => s.write_all(data).and_then(|_| s.flush()),
            Stream::Tls(s) => s.write_all(data).and_then(|_| s.flush()),
            Stream::Switching => return Err(NetError::Io("connection is unusable".into())),
        };
        result.map_err(|e| match e.kind() {
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset => NetError::Closed,
            _ => NetError::Io(e.to_string()),
        })
    }

    /// The peer address.
    pub fn peer(&self) -> String {
        self.peer.to_string()
    }

    /// Upgrades to TLS in place and completes the handshake.
    pub fn upgrade_tls(
        &mut self,
        verify: Verify,
        root_ca_pem: Option<&str>,
        server_name: Option<&str>,
    ) -> Result<(), NetError> {
        let tcp = match std::mem::replace(&mut self.stream, Stream::Switching) {
            Stream::Plain(tcp) => tcp,
            other => {
                self.stream = other;
                return Err(NetError::Tls("the connection already uses TLS".into()));
            }
        };
        let config = client_config(verify, root_ca_pem)?;
        let name = server_name.unwrap_or(&self.host).to_string();
        let name = ServerName::try_from(name.clone())
            .map_err(|e| NetError::Tls(format!("invalid server name {name}: {e}")))?;
        let mut conn = ClientConnection::new(Arc::new(config), name).map_err(|e| NetError::Tls(e.to_string()))?;
        let mut tcp = tcp;
        let handshake_timeout = Some(Duration::from_secs(30));
        tcp.set_read_timeout(handshake_timeout).map_err(|e| NetError::Io(e.to_string()))?;
        self.read_timeout = handshake_timeout;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp)
                .map_err(|e| NetError::Tls(format!("handshake with {} failed: {e}", self.host)))?;
        }
        self.stream = Stream::Tls(Box::new(StreamOwned::new(conn, tcp)));
        Ok(())
    }
}

fn client_config(verify: Verify, root_ca_pem: Option<&str>) -> Result<ClientConfig, NetError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    match root_ca_pem {
        Some(pem) => {
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                let cert = cert.map_err(|e| NetError::Tls(format!("invalid root certificate PEM: {e:?}")))?;
                roots.add(cert).map_err(|e| NetError::Tls(format!("unusable root certificate: {e}")))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| NetError::Tls(e.to_string()))?;
    let config = match verify {
        Verify::Full => builder.with_root_certificates(roots).with_no_client_auth(),
        Verify::Ca => {
            let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| NetError::Tls(e.to_string()))?;
            builder.dangerous().with_custom_certificate_verifier(Arc::new(ChainOnly(inner))).with_no_client_auth()
        }
        Verify::None => {
            builder.dangerous().with_custom_certificate_verifier(Arc::new(NoVerify(provider))).with_no_client_auth()
        }
    };
    Ok(config)
}

/// `verify-ca`: the chain must be valid; the name is not checked.
#[derive(Debug)]
struct ChainOnly(Arc<rustls::client::WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(m, c, d)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(m, c, d)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// `require`: encrypt, check nothing (signatures are still verified so the
/// handshake is not trivially forgeable by a passive party).
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &self.0.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

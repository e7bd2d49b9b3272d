//! Errors talking to MySQL or MariaDB, and what each means for the task.

use std::time::Duration;

use weir_sdk::ConnectorError;

/// A failure on a MySQL/MariaDB connection or in what it sent.
#[derive(Debug, thiserror::Error)]
pub enum MyError {
    /// The TCP connection could not be made (or the sandbox refused it).
    #[error("cannot connect: {0}")]
    Connect(#[source] std::io::Error),
    /// Reading or writing failed.
    #[error("connection failed: {0}")]
    Io(#[source] std::io::Error),
    /// The server closed the connection.
    #[error("the server closed the connection")]
    Closed,
    /// No answer in time.
    #[error("no answer from the server within {} s", .0.as_secs())]
    Timeout(Duration),
    /// TLS could not be set up.
    #[error("TLS: {0}")]
    Tls(String),
    /// Authentication could not proceed.
    #[error("authentication: {0}")]
    Auth(String),
    /// The server sent something this client does not understand.
    #[error("protocol: {0}")]
    Protocol(String),
    /// An ERR packet: error number, SQLSTATE and message.
    #[error("{message} (error {code}, SQLSTATE {state})")]
    Server {
        /// MySQL error number, e.g. 1045.
        code: u16,
        /// SQLSTATE, e.g. `28000`.
        state: String,
        /// The server's message.
        message: String,
    },
    /// A binlog event could not be decoded.
    #[error("binlog: {0}")]
    Binlog(#[from] crate::binlog::BinlogError),
    /// A GTID set (the offset's, or the server's purged set) could not be read.
    #[error("GTIDs: {0}")]
    Gtid(#[from] crate::gtid::GtidError),
}

/// `ER_MASTER_FATAL_ERROR_READING_BINLOG`: the requested binlog position or
/// GTID is gone (purged) or invalid.
pub const ER_BINLOG_READ: u16 = 1236;

impl MyError {
    /// The error number of a server error.
    pub fn code(&self) -> Option<u16> {
        match self {
            Self::Server { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether trying again later can help: the connection dropped or the
    /// server is starting, shutting down or out of connections.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Connect(e) => e.kind() != std::io::ErrorKind::PermissionDenied,
            Self::Io(_) | Self::Closed | Self::Timeout(_) => true,
            // 1040 too many connections, 1053 shutdown in progress, 1077
            // normal shutdown, 1152/1158-1161 aborted/net errors, 1927
            // connection killed (MariaDB), 2006/2013 gone away/lost.
            Self::Server { code, .. } => {
                matches!(code, 1040 | 1053 | 1077 | 1152 | 1158..=1161 | 1927 | 2006 | 2013)
            }
            Self::Tls(_) | Self::Auth(_) | Self::Protocol(_) | Self::Binlog(_) | Self::Gtid(_) => false,
        }
    }
}

impl From<MyError> for ConnectorError {
    fn from(err: MyError) -> Self {
        if err.is_transient() {
            ConnectorError::retriable(format!("MySQL: {err}"))
        } else {
            ConnectorError::fatal(format!("MySQL: {err}"))
        }
    }
}

//! Errors talking to PostgreSQL, and what each means for the task.

use std::time::Duration;

use weir_sdk::ConnectorError;

/// A failure on a PostgreSQL connection.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
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
    /// An ErrorResponse: SQLSTATE and message.
    #[error("{message} (SQLSTATE {code})")]
    Server {
        /// SQLSTATE, e.g. `28P01`.
        code: String,
        /// The server's message.
        message: String,
    },
}

impl PgError {
    /// Parses an ErrorResponse body.
    pub fn server(body: &[u8]) -> Self {
        let mut code = String::new();
        let mut message = String::new();
        for field in body.split(|b| *b == 0) {
            match field.first() {
                Some(b'C') => code = String::from_utf8_lossy(&field[1..]).into_owned(),
                Some(b'M') => message = String::from_utf8_lossy(&field[1..]).into_owned(),
                _ => {}
            }
        }
        Self::Server { code, message }
    }

    /// The SQLSTATE of a server error.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Server { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether trying again later can help: the connection dropped or the
    /// server is starting, shutting down or overloaded.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Connect(e) => e.kind() != std::io::ErrorKind::PermissionDenied,
            Self::Io(_) | Self::Closed | Self::Timeout(_) => true,
            Self::Server { code, .. } => {
                code.starts_with("08") || code.starts_with("57P") || code == "53300" || code == "55006"
            }
            Self::Tls(_) | Self::Auth(_) | Self::Protocol(_) => false,
        }
    }
}

impl From<PgError> for ConnectorError {
    fn from(err: PgError) -> Self {
        if err.is_transient() {
            ConnectorError::retriable(format!("PostgreSQL: {err}"))
        } else {
            ConnectorError::fatal(format!("PostgreSQL: {err}"))
        }
    }
}

impl From<weir_debezium::scram::ScramError> for PgError {
    fn from(err: weir_debezium::scram::ScramError) -> Self {
        Self::Auth(err.0)
    }
}

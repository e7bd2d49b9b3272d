//! Errors talking to MongoDB, and what each means for the task.

use std::time::Duration;

use weir_sdk::ConnectorError;

/// `ChangeStreamHistoryLost`: the resume point is older than the oplog.
pub const HISTORY_LOST: i32 = 286;
/// `InvalidResumeToken`.
pub const INVALID_RESUME_TOKEN: i32 = 260;
/// `AuthenticationFailed`.
pub const AUTHENTICATION_FAILED: i32 = 18;
/// `Unauthorized`.
pub const UNAUTHORIZED: i32 = 13;

/// A failure on a MongoDB connection.
#[derive(Debug, thiserror::Error)]
pub enum MongoError {
    /// The TCP connection could not be made (or the sandbox refused it).
    #[error("cannot connect to {host}: {source}")]
    Connect {
        /// `host:port`.
        host: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
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
    /// A command failed: `{ok: 0, code, codeName, errmsg}`.
    #[error("{message} ({code_name}, code {code})")]
    Command {
        /// Error code, e.g. 286.
        code: i32,
        /// Code name, e.g. `ChangeStreamHistoryLost`.
        code_name: String,
        /// The server's message.
        message: String,
        /// Error labels such as `ResumableChangeStreamError`.
        labels: Vec<String>,
    },
}

impl MongoError {
    /// The error code of a failed command.
    pub fn code(&self) -> Option<i32> {
        match self {
            Self::Command { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether the stored resume point cannot be used any more.
    pub fn is_history_lost(&self) -> bool {
        matches!(self.code(), Some(HISTORY_LOST | INVALID_RESUME_TOKEN))
    }

    /// Whether trying again later can help: the connection dropped, or the
    /// server says the error is transient (not primary, shutting down, …).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Connect { source, .. } => source.kind() != std::io::ErrorKind::PermissionDenied,
            Self::Io(_) | Self::Closed | Self::Timeout(_) => true,
            Self::Command { code, labels, .. } => {
                labels.iter().any(|l| l == "ResumableChangeStreamError" || l == "RetryableWriteError")
                    || matches!(
                        code,
                        6 | 7 | 89 | 91 | 189 | 262 | 9001 | 10107 | 11600 | 11602 | 13435 | 13436 | 63 | 150 | 234
                    )
            }
            Self::Tls(_) | Self::Auth(_) | Self::Protocol(_) => false,
        }
    }
}

impl From<MongoError> for ConnectorError {
    fn from(err: MongoError) -> Self {
        if err.is_transient() {
            ConnectorError::retriable(format!("MongoDB: {err}"))
        } else {
            ConnectorError::fatal(format!("MongoDB: {err}"))
        }
    }
}

impl From<weir_debezium::scram::ScramError> for MongoError {
    fn from(err: weir_debezium::scram::ScramError) -> Self {
        Self::Auth(err.0)
    }
}

//! The connector's error, with Kafka Connect's consequences.

use std::fmt;

/// An error from a connector, classified by what the worker does with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectorError {
    /// Transient (a dropped connection, a busy server): the worker retries
    /// with backoff while the task stays RUNNING, within
    /// `errors.retry.timeout`.
    Retriable(String),
    /// The task cannot go on: it goes FAILED with this message as its trace.
    Fatal(String),
    /// Bad configuration, reported per key: `(key, message)`.
    Config(Vec<(String, String)>),
}

impl ConnectorError {
    /// A retriable error.
    pub fn retriable(message: impl Into<String>) -> Self {
        Self::Retriable(message.into())
    }

    /// A fatal error.
    pub fn fatal(message: impl Into<String>) -> Self {
        Self::Fatal(message.into())
    }

    /// A configuration error on one key.
    pub fn config(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Config(vec![(key.into(), message.into())])
    }
}

impl fmt::Display for ConnectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Retriable(m) => write!(f, "retriable: {m}"),
            Self::Fatal(m) => f.write_str(m),
            Self::Config(errors) => {
                let parts: Vec<String> = errors.iter().map(|(k, m)| format!("{k}: {m}")).collect();
                write!(f, "invalid configuration: {}", parts.join("; "))
            }
        }
    }
}

impl std::error::Error for ConnectorError {}

impl From<std::io::Error> for ConnectorError {
    /// I/O errors are transient: the connection can be made again.
    fn from(err: std::io::Error) -> Self {
        Self::Retriable(err.to_string())
    }
}

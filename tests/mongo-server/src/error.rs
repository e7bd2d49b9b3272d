//! Errors: what stops the server from starting, what breaks one connection's
//! framing, and what a command answers with `ok: 0`.

use std::io;

/// The server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Binding the listening socket failed.
    #[error("binding 127.0.0.1:{port}")]
    Bind {
        /// The port asked for (0 for any free port).
        port: u16,
        /// Why the bind failed.
        #[source]
        source: io::Error,
    },
    /// Another socket operation at start-up failed.
    #[error("setting up the listener")]
    Listener(#[source] io::Error),
    /// Starting the accept thread failed.
    #[error("spawning the accept thread")]
    Spawn(#[source] io::Error),
}

/// A message on one connection could not be read or answered; the connection
/// is closed, as MongoDB closes a connection that sends a malformed message.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    /// Reading or writing the socket failed.
    #[error("socket i/o")]
    Io(#[from] io::Error),
    /// The header's length is below the header's own size or above the limit.
    #[error("message length {0} is out of range")]
    Length(i32),
    /// The message ended before a field it announced.
    #[error("message truncated while reading {0}")]
    Truncated(&'static str),
    /// An opcode this server does not speak (OP_COMPRESSED is never negotiated).
    #[error("unsupported opcode {0}")]
    OpCode(i32),
    /// OP_MSG flag bits 2-15 are "required": a receiver must reject unknown ones.
    #[error("unknown required OP_MSG flag bits {0:#x}")]
    RequiredFlags(u32),
    /// The CRC-32C in the message does not match its bytes.
    #[error("OP_MSG checksum mismatch: message says {expected:#010x}, bytes give {actual:#010x}")]
    Checksum {
        /// The checksum the peer sent.
        expected: u32,
        /// The checksum computed over the received bytes.
        actual: u32,
    },
    /// A section kind other than 0 (body) or 1 (document sequence).
    #[error("unknown OP_MSG section kind {0}")]
    SectionKind(u8),
    /// An OP_MSG must carry exactly one body section.
    #[error("OP_MSG has {0} body sections, expected exactly one")]
    BodyCount(usize),
    /// A C string (collection name, sequence identifier) is not UTF-8.
    #[error("invalid UTF-8 in a {0}")]
    Utf8(&'static str),
    /// A BSON document in the message does not decode.
    #[error("malformed BSON document")]
    Bson(#[from] bson::error::Error),
}

/// A command failure, answered as `{ok: 0, errmsg, code, codeName}` with the
/// code and code name MongoDB uses for the same failure
/// (https://www.mongodb.com/docs/manual/reference/error-codes/).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code_name} ({code}): {message}")]
pub struct CommandError {
    /// MongoDB's numeric error code.
    pub code: i32,
    /// MongoDB's name for the code.
    pub code_name: &'static str,
    /// The `errmsg` text.
    pub message: String,
    /// `errorLabels`, e.g. `ResumableChangeStreamError`.
    pub labels: Vec<String>,
}

impl CommandError {
    /// An error with a code and name from MongoDB's error-code table.
    pub fn new(code: i32, code_name: &'static str, message: impl Into<String>) -> Self {
        Self { code, code_name, message: message.into(), labels: Vec::new() }
    }

    /// Code 2: an argument has the right type but a wrong value.
    pub fn bad_value(message: impl Into<String>) -> Self {
        Self::new(2, "BadValue", message)
    }

    /// Code 9: a command or argument could not be parsed.
    pub fn failed_to_parse(message: impl Into<String>) -> Self {
        Self::new(9, "FailedToParse", message)
    }

    /// Code 14: an argument has the wrong BSON type.
    pub fn type_mismatch(message: impl Into<String>) -> Self {
        Self::new(14, "TypeMismatch", message)
    }

    /// Code 13: the connection lacks the privilege (or any authentication).
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(13, "Unauthorized", message)
    }

    /// Code 18: SCRAM failed. MongoDB says no more than this, whatever the
    /// reason (unknown user, wrong password, bad proof), so as not to leak which.
    pub fn authentication_failed() -> Self {
        Self::new(18, "AuthenticationFailed", "Authentication failed.")
    }

    /// Code 43: a getMore or killCursors for a cursor that does not exist.
    pub fn cursor_not_found(id: i64) -> Self {
        Self::new(43, "CursorNotFound", format!("cursor id {id} not found"))
    }

    /// Code 59: no command by that name.
    pub fn command_not_found(name: &str) -> Self {
        Self::new(59, "CommandNotFound", format!("no such command: '{name}'"))
    }

    /// Code 286: the change log no longer holds the resume point.
    pub fn history_lost(detail: impl Into<String>) -> Self {
        Self::new(286, "ChangeStreamHistoryLost", detail)
    }

    /// Adds an `errorLabels` entry.
    pub fn with_label(mut self, label: &str) -> Self {
        self.labels.push(label.to_owned());
        self
    }
}

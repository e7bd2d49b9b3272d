//! Per-connection state: who authenticated, and SASL conversations in flight.

use std::collections::HashMap;

use crate::scram::Conversation;

/// An authenticated identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// User name.
    pub name: String,
    /// Authentication database.
    pub db: String,
}

impl Identity {
    /// `name@db`, how cursors remember their owner.
    pub fn qualified(&self) -> String {
        format!("{}@{}", self.name, self.db)
    }
}

/// A SCRAM conversation between `saslStart` and its final `saslContinue`.
#[derive(Debug)]
pub struct PendingSasl {
    /// Who is authenticating.
    pub identity: Identity,
    /// The SCRAM state.
    pub conversation: Conversation,
    /// Client-final has been verified; only the empty closing exchange is
    /// left (clients that did not ask for `skipEmptyExchange`).
    pub verified: bool,
    /// The client asked to skip that empty exchange.
    pub skip_empty_exchange: bool,
}

/// One connection's state.
#[derive(Debug)]
pub struct Session {
    /// The `connectionId` `hello` reports.
    pub connection_id: i64,
    /// The authenticated user, if any.
    pub identity: Option<Identity>,
    /// In-process callers ([`crate::ServerHandle::run_command`]) skip auth.
    pub internal: bool,
    /// SASL conversations by `conversationId`.
    pub sasl: HashMap<i32, PendingSasl>,
    next_conversation: i32,
}

impl Session {
    /// A new client connection.
    pub fn new(connection_id: i64) -> Self {
        Self { connection_id, identity: None, internal: false, sasl: HashMap::new(), next_conversation: 1 }
    }

    /// The session of an in-process caller.
    pub fn internal() -> Self {
        Self { internal: true, ..Self::new(0) }
    }

    /// Whether commands needing authentication may run.
    pub fn authenticated(&self) -> bool {
        self.internal || self.identity.is_some()
    }

    /// The owner recorded on cursors this session opens.
    pub fn owner(&self) -> Option<String> {
        self.identity.as_ref().map(Identity::qualified)
    }

    /// A fresh SASL conversation id.
    pub fn next_conversation_id(&mut self) -> i32 {
        let id = self.next_conversation;
        self.next_conversation += 1;
        id
    }
}

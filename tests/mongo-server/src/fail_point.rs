//! The `failCommand` fail point that MongoDB's test builds offer through
//! `configureFailPoint`, so driver-level tests can make the next command
//! fail or drop its connection, e.g. to exercise a change stream's
//! automatic resume after a network error
//! (https://github.com/mongodb/specifications/blob/master/source/transactions/tests/README.md#server-fail-point).

use bson::{Bson, Document};

use crate::error::CommandError;

/// What a triggered fail point does to the command.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Close the connection without replying.
    CloseConnection,
    /// Reply with this error.
    Fail(CommandError),
}

/// An armed `failCommand` fail point.
#[derive(Debug, Clone, PartialEq)]
pub struct FailPoint {
    /// Triggers left; `None` for `alwaysOn`.
    remaining: Option<u32>,
    commands: Vec<String>,
    close_connection: bool,
    error_code: i32,
    error_labels: Vec<String>,
}

impl FailPoint {
    /// Reads a `configureFailPoint` command. `Ok(None)` turns it off.
    pub fn parse(command: &Document) -> Result<Option<Self>, CommandError> {
        if command.get_str("configureFailPoint").ok() != Some("failCommand") {
            return Err(CommandError::bad_value("only the failCommand fail point is supported"));
        }
        let remaining = match command.get("mode") {
            Some(Bson::String(m)) if m == "off" => return Ok(None),
            Some(Bson::String(m)) if m == "alwaysOn" => None,
            Some(Bson::Document(m)) => match m.get("times") {
                Some(Bson::Int32(n)) if *n > 0 => Some(*n as u32),
                Some(Bson::Int64(n)) if *n > 0 => Some(*n as u32),
                _ => return Err(CommandError::bad_value("mode must be {times: <positive int>}")),
            },
            _ => return Err(CommandError::bad_value("mode must be 'off', 'alwaysOn' or {times: n}")),
        };
        let data = command.get_document("data").map_err(|_| CommandError::bad_value("failCommand needs data"))?;
        let commands = data
            .get_array("failCommands")
            .map_err(|_| CommandError::bad_value("data.failCommands must be an array"))?
            .iter()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect();
        let error_code = match data.get("errorCode") {
            Some(Bson::Int32(c)) => *c,
            Some(Bson::Int64(c)) => *c as i32,
            _ => 0,
        };
        let error_labels = match data.get("errorLabels") {
            Some(Bson::Array(labels)) => labels.iter().filter_map(|l| l.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        };
        let close_connection = matches!(data.get("closeConnection"), Some(Bson::Boolean(true)));
        if !close_connection && error_code == 0 {
            return Err(CommandError::bad_value("failCommand needs closeConnection or errorCode"));
        }
        Ok(Some(Self { remaining, commands, close_connection, error_code, error_labels }))
    }

    /// Consumes one trigger if `command` is targeted. Returns the action and
    /// whether the fail point is now used up.
    pub fn trigger(&mut self, command: &str) -> Option<(Action, bool)> {
        if !self.commands.iter().any(|c| c == command) {
            return None;
        }
        let exhausted = match &mut self.remaining {
            Some(n) => {
                *n -= 1;
                *n == 0
            }
            None => false,
        };
        let action = if self.close_connection {
            Action::CloseConnection
        } else {
            let mut error = CommandError::new(
                self.error_code,
                "FailPoint",
                format!("Failing command {command} via 'failCommand' failpoint"),
            );
            error.labels = self.error_labels.clone();
            Action::Fail(error)
        };
        Some((action, exhausted))
    }
}

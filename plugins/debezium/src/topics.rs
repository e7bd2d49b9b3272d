//! Topic names as Debezium's default naming strategies build them.

/// `topic.prefix`, `topic.delimiter`, `topic.heartbeat.prefix` and
/// `topic.transaction`, with the names derived from them.
#[derive(Debug, Clone)]
pub struct TopicNames {
    prefix: String,
    delimiter: String,
    heartbeat_prefix: String,
    transaction: String,
}

impl TopicNames {
    /// Names from the connector's settings.
    pub fn new(prefix: &str, delimiter: &str, heartbeat_prefix: &str, transaction: &str) -> Self {
        Self {
            prefix: prefix.to_string(),
            delimiter: delimiter.to_string(),
            heartbeat_prefix: heartbeat_prefix.to_string(),
            transaction: transaction.to_string(),
        }
    }

    /// The logical name (`topic.prefix`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// `<prefix>.<part>.<part>`: a data-change topic (`schema.table` for
    /// PostgreSQL, `database.table` for MySQL and MongoDB).
    pub fn data(&self, parts: &[&str]) -> String {
        let mut name = self.prefix.clone();
        for part in parts {
            name.push_str(&self.delimiter);
            name.push_str(part);
        }
        sanitize(&name)
    }

    /// `__debezium-heartbeat.<prefix>`.
    pub fn heartbeat(&self) -> String {
        sanitize(&format!("{}{}{}", self.heartbeat_prefix, self.delimiter, self.prefix))
    }

    /// `<prefix>.transaction`.
    pub fn transaction(&self) -> String {
        sanitize(&format!("{}{}{}", self.prefix, self.delimiter, self.transaction))
    }
}

/// Replaces characters Kafka does not allow in topic names with `_` and cuts
/// the name at 249 characters, as Debezium does.
pub fn sanitize(name: &str) -> String {
    let mut out: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect();
    out.truncate(249);
    out
}

/// Whether `name` is a valid `topic.prefix` (`^[a-zA-Z0-9_.\-]+$`).
pub fn is_valid_prefix(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_debezium() {
        let t = TopicNames::new("fulfillment", ".", "__debezium-heartbeat", "transaction");
        assert_eq!(t.data(&["public", "customers"]), "fulfillment.public.customers");
        assert_eq!(t.data(&["public", "ta ble$"]), "fulfillment.public.ta_ble_");
        assert_eq!(t.heartbeat(), "__debezium-heartbeat.fulfillment");
        assert_eq!(t.transaction(), "fulfillment.transaction");
        assert!(is_valid_prefix("db-1.x_y"));
        assert!(!is_valid_prefix("db 1"));
    }
}

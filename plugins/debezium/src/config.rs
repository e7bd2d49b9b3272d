//! Configuration shared by the Debezium connectors: the common keys with
//! Debezium's defaults, and checks that report problems in Debezium's words
//! (`The '<key>' value is invalid: <problem>`).

use weir_sdk::{Config, ConfigKey, ConfigType, ConfigValue, Importance};

use crate::filters::Filter;
use crate::topics::{self, TopicNames};

/// A problem with one key: (key, message).
pub type Problem = (String, String);

/// Debezium's wording for a bad value.
pub fn invalid(key: &str, problem: &str) -> Problem {
    (key.to_string(), format!("The '{key}' value is invalid: {problem}"))
}

/// `/config/validate` results for `keys` with `problems` on their keys.
/// Kafka's generic "Missing required configuration" messages are dropped:
/// Debezium reports required keys in its own words, among `problems`.
pub fn validation(config: &Config, keys: &[ConfigKey], problems: Vec<Problem>) -> Vec<ConfigValue> {
    let mut values = config.validate_against(keys);
    for v in &mut values {
        v.errors.retain(|e| !e.starts_with("Missing required configuration"));
    }
    for (key, message) in problems {
        match values.iter_mut().find(|v| v.name == key) {
            Some(v) if v.errors.contains(&message) => {}
            Some(v) => v.error(message),
            None => values.push(ConfigValue {
                name: key,
                value: None,
                recommended_values: Vec::new(),
                errors: vec![message],
                visible: true,
            }),
        }
    }
    values
}

/// A key definition; without a default the key is required.
pub fn key(name: &str, ty: ConfigType, default: Option<&str>, doc: &str) -> ConfigKey {
    let k = ConfigKey::new(name, ty).doc(doc);
    match default {
        Some(d) => k.default_value(d),
        None => k,
    }
}

/// `key`'s trimmed value, or `default` when absent or blank.
pub fn value<'a>(config: &'a Config, key: &str, default: &'a str) -> &'a str {
    config.get(key).map(str::trim).filter(|v| !v.is_empty()).unwrap_or(default)
}

/// `database.hostname`, checked for Debezium's allowed characters (the
/// required check is the caller's, with its other required keys).
pub fn hostname<'a>(config: &'a Config, problems: &mut Vec<Problem>) -> &'a str {
    let host = value(config, "database.hostname", "");
    if !host.is_empty() && !host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':')) {
        problems.push(invalid(
            "database.hostname",
            &format!(
                "{host} has invalid format (only the underscore, hyphen, dot and alphanumeric characters are allowed)"
            ),
        ));
    }
    host
}

/// `database.port`, `default` when absent.
pub fn port(config: &Config, default: u16, problems: &mut Vec<Problem>) -> u16 {
    match config.get("database.port").map(str::trim).filter(|v| !v.is_empty()) {
        None => default,
        Some(v) => v.parse().unwrap_or_else(|_| {
            problems.push(invalid("database.port", "A port number between 1 and 65535 is expected"));
            default
        }),
    }
}

/// A certificate given as PEM text under `key`: the sandboxed connector
/// cannot read files, so anything else (a path) is `problem`.
pub fn pem_text(config: &Config, key: &str, problem: &str, problems: &mut Vec<Problem>) -> Option<String> {
    match value(config, key, "") {
        "" => None,
        text if text.contains("-----BEGIN") => Some(text.to_string()),
        _ => {
            problems.push(invalid(key, problem));
            None
        }
    }
}

/// `<what>.include.list` / `<what>.exclude.list` as a filter; a bad pattern
/// or both lists set is a problem on the key concerned.
pub fn filter(config: &Config, what: &str, problems: &mut Vec<Problem>) -> Filter {
    let include = format!("{what}.include.list");
    let exclude = format!("{what}.exclude.list");
    Filter::new(config.get(&include), config.get(&exclude)).unwrap_or_else(|e| {
        if e.starts_with("both") {
            problems.push(invalid(&exclude, &format!("\"{include}\" is already specified")));
        } else {
            let bad = if Filter::new(config.get(&include), None).is_err() { include } else { exclude };
            problems.push(invalid(&bad, &e));
        }
        Filter::All
    })
}

/// Keys every Debezium connector has (connector-specific keys come on top).
pub fn common_keys() -> Vec<ConfigKey> {
    vec![
        key(
            "topic.prefix",
            ConfigType::String,
            None,
            "Logical name of the server; prefixes every topic and names the offsets' partition. Never change it.",
        )
        .importance(Importance::High),
        key(
            "tombstones.on.delete",
            ConfigType::Boolean,
            Some("true"),
            "Emit a tombstone (null value) after each delete event.",
        ),
        key(
            "skipped.operations",
            ConfigType::List,
            Some("t"),
            "Operations not emitted: comma list of c, u, d, t (or none).",
        ),
        key("max.batch.size", ConfigType::Int, Some("2048"), "Maximum number of events returned by one poll."),
        key(
            "max.queue.size",
            ConfigType::Int,
            Some("8192"),
            "Maximum number of events buffered; must be larger than max.batch.size.",
        ),
        key("poll.interval.ms", ConfigType::Long, Some("500"), "How long a poll waits for new events."),
        key(
            "heartbeat.interval.ms",
            ConfigType::Int,
            Some("0"),
            "How often a heartbeat record is emitted; 0 disables heartbeats.",
        ),
        key(
            "provide.transaction.metadata",
            ConfigType::Boolean,
            Some("false"),
            "Emit BEGIN/END records and the transaction block.",
        ),
        key("topic.delimiter", ConfigType::String, Some("."), "Delimiter between the parts of topic names."),
        key(
            "topic.heartbeat.prefix",
            ConfigType::String,
            Some("__debezium-heartbeat"),
            "Prefix of the heartbeat topic.",
        ),
        key("topic.transaction", ConfigType::String, Some("transaction"), "Suffix of the transaction metadata topic."),
        key(
            "table.include.list",
            ConfigType::List,
            Some(""),
            "Regular expressions of fully-qualified tables to capture.",
        ),
        key(
            "table.exclude.list",
            ConfigType::List,
            Some(""),
            "Regular expressions of fully-qualified tables not to capture.",
        ),
        key(
            "column.include.list",
            ConfigType::List,
            Some(""),
            "Regular expressions of fully-qualified columns to include.",
        ),
        key(
            "column.exclude.list",
            ConfigType::List,
            Some(""),
            "Regular expressions of fully-qualified columns to exclude.",
        ),
        key("message.key.columns", ConfigType::String, Some(""), "Custom keys: <table regex>:<col>,<col>;..."),
        key(
            "decimal.handling.mode",
            ConfigType::String,
            Some("precise"),
            "How DECIMAL/NUMERIC values are represented.",
        )
        .one_of(&["precise", "double", "string"]),
        key("binary.handling.mode", ConfigType::String, Some("bytes"), "How binary values are represented.").one_of(&[
            "bytes",
            "base64",
            "base64-url-safe",
            "hex",
        ]),
        key(
            "include.unknown.datatypes",
            ConfigType::Boolean,
            Some("false"),
            "Capture columns of unknown types as bytes.",
        ),
    ]
}

/// Skipped operations (`skipped.operations`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SkippedOps {
    /// Inserts.
    pub create: bool,
    /// Updates.
    pub update: bool,
    /// Deletes.
    pub delete: bool,
    /// Truncates.
    pub truncate: bool,
}

impl SkippedOps {
    /// Parses the list; the error is Debezium's.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut out = Self::default();
        let items: Vec<&str> = list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
        if items.iter().any(|i| i.eq_ignore_ascii_case("none")) {
            if items.len() > 1 {
                return Err("'none' cannot be specified with other skipped operation types".into());
            }
            return Ok(out);
        }
        for item in items {
            match item {
                "c" => out.create = true,
                "u" => out.update = true,
                "d" => out.delete = true,
                "t" => out.truncate = true,
                "r" => {}
                other => return Err(format!("Invalid operation '{other}'")),
            }
        }
        Ok(out)
    }
}

/// The common settings, parsed.
#[derive(Debug, Clone)]
pub struct Common {
    /// Topic names.
    pub topics: TopicNames,
    /// `tombstones.on.delete`.
    pub tombstones_on_delete: bool,
    /// `skipped.operations`.
    pub skipped: SkippedOps,
    /// `max.batch.size`.
    pub max_batch_size: usize,
    /// `poll.interval.ms`.
    pub poll_interval_ms: u64,
    /// `heartbeat.interval.ms` (0 = off).
    pub heartbeat_interval_ms: u64,
    /// `provide.transaction.metadata`.
    pub transaction_metadata: bool,
    /// `table.include.list` / `.exclude.list`.
    pub tables: Filter,
    /// `column.include.list` / `.exclude.list`.
    pub columns: Filter,
    /// `message.key.columns`, parsed.
    pub key_columns: crate::keys::KeyColumns,
}

/// An integer key, `default` when absent; a non-integer is a problem.
pub fn int(config: &Config, key: &str, default: i64, problems: &mut Vec<Problem>) -> i64 {
    match config.get(key).map(str::trim).filter(|v| !v.is_empty()) {
        None => default,
        Some(v) => v.parse().unwrap_or_else(|_| {
            problems.push(invalid(key, "A positive, non-zero integer value is expected"));
            default
        }),
    }
}

/// A boolean key, `default` when absent; anything but true/false is a problem.
pub fn boolean(config: &Config, key: &str, default: bool, problems: &mut Vec<Problem>) -> bool {
    match config.get(key).map(str::trim).filter(|v| !v.is_empty()) {
        None => default,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(_) => {
            problems.push(invalid(key, "A boolean value is expected (true or false)"));
            default
        }
    }
}

impl Common {
    /// Parses and checks the common keys, collecting every problem.
    pub fn parse(config: &Config, problems: &mut Vec<Problem>) -> Self {
        let prefix = config.get("topic.prefix").map(str::trim).unwrap_or("");
        if prefix.is_empty() {
            problems.push(invalid("topic.prefix", "A value is required"));
        } else if !topics::is_valid_prefix(prefix) {
            problems.push(invalid(
                "topic.prefix",
                &format!("{prefix} has invalid format (only the underscore, hyphen, dot and alphanumeric characters are allowed)"),
            ));
        }
        let string = |key: &str, default: &str| value(config, key, default).to_string();
        let topics = TopicNames::new(
            prefix,
            &string("topic.delimiter", "."),
            &string("topic.heartbeat.prefix", "__debezium-heartbeat"),
            &string("topic.transaction", "transaction"),
        );
        let skipped = SkippedOps::parse(&string("skipped.operations", "t")).unwrap_or_else(|e| {
            problems.push(invalid("skipped.operations", &e));
            SkippedOps::default()
        });
        let max_batch_size = int(config, "max.batch.size", 2048, problems);
        if max_batch_size <= 0 {
            problems.push(invalid("max.batch.size", "A positive, non-zero integer value is expected"));
        }
        let max_queue_size = int(config, "max.queue.size", 8192, problems);
        if max_queue_size <= max_batch_size {
            problems.push(invalid("max.queue.size", "Must be larger than the maximum batch size"));
        }
        let poll_interval_ms = int(config, "poll.interval.ms", 500, problems);
        if poll_interval_ms <= 0 {
            problems.push(invalid("poll.interval.ms", "A positive, non-zero integer value is expected"));
        }
        let heartbeat_interval_ms = int(config, "heartbeat.interval.ms", 0, problems);
        if heartbeat_interval_ms < 0 {
            problems.push(invalid("heartbeat.interval.ms", "A non-negative integer value is expected"));
        }
        let tables = filter(config, "table", problems);
        let columns = filter(config, "column", problems);
        let key_columns = crate::keys::KeyColumns::parse(&string("message.key.columns", "")).unwrap_or_else(|e| {
            problems.push(invalid("message.key.columns", &e));
            crate::keys::KeyColumns::default()
        });
        Self {
            topics,
            tombstones_on_delete: boolean(config, "tombstones.on.delete", true, problems),
            skipped,
            max_batch_size: usize::try_from(max_batch_size).unwrap_or(2048).max(1),
            poll_interval_ms: u64::try_from(poll_interval_ms).unwrap_or(500).max(1),
            heartbeat_interval_ms: u64::try_from(heartbeat_interval_ms).unwrap_or(0),
            transaction_metadata: boolean(config, "provide.transaction.metadata", false, problems),
            tables,
            columns,
            key_columns,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn problems_use_debeziums_words() {
        let mut problems = Vec::new();
        Common::parse(
            &config(&[
                ("topic.prefix", "bad prefix"),
                ("skipped.operations", "none,c"),
                ("max.batch.size", "100"),
                ("max.queue.size", "50"),
                ("table.include.list", "a"),
                ("table.exclude.list", "b"),
            ]),
            &mut problems,
        );
        let find = |k: &str| problems.iter().find(|(key, _)| key == k).map(|(_, m)| m.as_str()).unwrap_or("");
        assert!(find("topic.prefix").starts_with("The 'topic.prefix' value is invalid: bad prefix has invalid format"));
        assert!(find("skipped.operations").contains("'none' cannot be specified"));
        assert!(find("max.queue.size").ends_with("Must be larger than the maximum batch size"));
        assert!(find("table.exclude.list").ends_with("\"table.include.list\" is already specified"));
        let mut problems = Vec::new();
        Common::parse(&config(&[]), &mut problems);
        assert_eq!(problems, vec![invalid("topic.prefix", "A value is required")]);
    }

    #[test]
    fn skipped_operations_parse() {
        assert_eq!(SkippedOps::parse("t").map(|s| s.truncate), Ok(true));
        assert_eq!(SkippedOps::parse("none"), Ok(SkippedOps::default()));
        assert!(SkippedOps::parse("x").is_err());
    }
}

//! The connector's configuration: Debezium's PostgreSQL keys, defaults and
//! checks (the keys all Debezium connectors share come from
//! `weir_debezium::config`).

use std::time::Duration;

use weir_debezium::config::{
    Common, Problem, common_keys, filter, hostname, invalid, key, pem_text, port, value as get,
};
use weir_debezium::filters::Filter;
use weir_sdk::{Config, ConfigKey, ConfigType, Importance};

use crate::types::{HstoreMode, IntervalMode, Modes};
use crate::wire::{ConnectParams, SslMode};
use weir_debezium::binary::BinaryMode;
use weir_debezium::decimal::DecimalMode;
use weir_debezium::temporal::TimePrecision;

/// `snapshot.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    /// Snapshot when there is no offset (or the last snapshot did not finish), then stream.
    Initial,
    /// Snapshot as `initial`, then stop.
    InitialOnly,
    /// No data snapshot (`no_data`, formerly `schema_only`).
    NoData,
    /// Snapshot on every start.
    Always,
    /// Snapshot when there is no offset or the slot is gone.
    WhenNeeded,
    /// Never snapshot (removed from Debezium 3.4; kept for old configs).
    Never,
}

impl SnapshotMode {
    const NAMES: &[&str] = &["initial", "initial_only", "no_data", "schema_only", "always", "when_needed", "never"];

    fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "initial" => Self::Initial,
            "initial_only" => Self::InitialOnly,
            "no_data" | "schema_only" => Self::NoData,
            "always" => Self::Always,
            "when_needed" => Self::WhenNeeded,
            "never" => Self::Never,
            _ => return None,
        })
    }
}

/// `publication.autocreate.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Autocreate {
    /// `CREATE PUBLICATION … FOR ALL TABLES`.
    AllTables,
    /// `CREATE PUBLICATION … FOR TABLE <captured tables>`.
    Filtered,
    /// The publication must exist.
    Disabled,
}

/// The parsed configuration.
#[derive(Debug, Clone)]
pub struct PgConfig {
    /// Keys shared by the Debezium connectors.
    pub common: Common,
    /// Connection settings.
    pub connect: ConnectParams,
    /// `slot.name`.
    pub slot: String,
    /// `slot.drop.on.stop`.
    pub drop_slot_on_stop: bool,
    /// `publication.name`.
    pub publication: String,
    /// `publication.autocreate.mode`.
    pub autocreate: Autocreate,
    /// `schema.include.list` / `.exclude.list`.
    pub schemas: Filter,
    /// `snapshot.mode`.
    pub snapshot_mode: SnapshotMode,
    /// Value conversion settings.
    pub modes: Modes,
    /// `heartbeat.action.query`.
    pub heartbeat_action_query: Option<String>,
    /// `status.update.interval.ms`.
    pub status_interval: Duration,
}

/// The connector's own keys, after the common ones.
pub fn keys() -> Vec<ConfigKey> {
    let mut keys = vec![
        key("database.hostname", ConfigType::String, None, "Host name or address of the PostgreSQL server.")
            .importance(Importance::High),
        key("database.port", ConfigType::Int, Some("5432"), "Port of the PostgreSQL server."),
        key("database.user", ConfigType::String, None, "User with the REPLICATION and LOGIN roles.")
            .importance(Importance::High),
        key("database.password", ConfigType::Password, Some(""), "The user's password."),
        key("database.dbname", ConfigType::String, None, "The database to capture.").importance(Importance::High),
        key(
            "database.sslmode",
            ConfigType::String,
            Some("prefer"),
            "disable, prefer, require, verify-ca or verify-full.",
        )
        .one_of(&["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]),
        key(
            "database.sslrootcert",
            ConfigType::String,
            Some(""),
            "Trusted root certificates as PEM text. The connector runs sandboxed without file access: inline a file with ${directory:/path/to/dir:root.crt}.",
        ),
        key(
            "plugin.name",
            ConfigType::String,
            Some("pgoutput"),
            "Logical decoding plug-in: pgoutput (built into PostgreSQL 10+).",
        ),
        key("slot.name", ConfigType::String, Some("debezium"), "Name of the logical replication slot."),
        key("slot.drop.on.stop", ConfigType::Boolean, Some("false"), "Drop the slot when the task stops."),
        key("publication.name", ConfigType::String, Some("dbz_publication"), "Name of the pgoutput publication."),
        key("publication.autocreate.mode", ConfigType::String, Some("all_tables"), "all_tables, filtered or disabled.")
            .one_of(&["all_tables", "filtered", "disabled"]),
        key("schema.include.list", ConfigType::List, Some(""), "Regular expressions of schemas to capture."),
        key("schema.exclude.list", ConfigType::List, Some(""), "Regular expressions of schemas not to capture."),
        key(
            "snapshot.mode",
            ConfigType::String,
            Some("initial"),
            "When to take a snapshot: initial, initial_only, no_data, always, when_needed, never.",
        ),
        key("time.precision.mode", ConfigType::String, Some("adaptive"), "How temporal values are represented.")
            .one_of(&["adaptive", "adaptive_time_microseconds", "connect", "isostring", "microseconds", "nanoseconds"]),
        key(
            "interval.handling.mode",
            ConfigType::String,
            Some("numeric"),
            "numeric (microseconds) or string (ISO 8601).",
        )
        .one_of(&["numeric", "string"]),
        key("hstore.handling.mode", ConfigType::String, Some("json"), "json or map.").one_of(&["json", "map"]),
        key("money.fraction.digits", ConfigType::Short, Some("2"), "Fraction digits of money values."),
        key(
            "unavailable.value.placeholder",
            ConfigType::String,
            Some("__debezium_unavailable_value"),
            "Stands in for unchanged TOASTed values.",
        ),
        key("heartbeat.action.query", ConfigType::String, Some(""), "SQL run on each heartbeat."),
        key(
            "status.update.interval.ms",
            ConfigType::Int,
            Some("10000"),
            "How often the connector reports its position to the server.",
        ),
    ];
    let mut all = common_keys();
    all.append(&mut keys);
    all
}

impl PgConfig {
    /// Parses and checks everything, reporting every problem at once.
    pub fn parse(config: &Config) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let common = Common::parse(config, &mut problems);
        for required in ["database.hostname", "database.user", "database.dbname"] {
            if get(config, required, "").is_empty() {
                problems.push(invalid(required, "A value is required"));
            }
        }
        let host = hostname(config, &mut problems);
        let port = port(config, 5432, &mut problems);
        let ssl = SslMode::parse(get(config, "database.sslmode", "prefer")).unwrap_or_else(|| {
            problems.push(invalid(
                "database.sslmode",
                "Value must be one of disable, allow, prefer, require, verify-ca, verify-full",
            ));
            SslMode::Prefer
        });
        let root_cert_pem = pem_text(
            config,
            "database.sslrootcert",
            "expected the certificate's PEM text, not a path: the connector runs sandboxed without file access; \
             inline the file with ${directory:/path/to/dir:root.crt} (DirectoryConfigProvider)",
            &mut problems,
        );
        match get(config, "plugin.name", "pgoutput") {
            "pgoutput" => {}
            "decoderbufs" => problems.push(invalid(
                "plugin.name",
                "decoderbufs is not supported: it needs Debezium's Protobuf plug-in installed in the server; \
                 Weir decodes pgoutput, which is built into PostgreSQL 10 and later. Set plugin.name=pgoutput",
            )),
            other => problems.push(invalid("plugin.name", &format!("Value must be one of pgoutput (got {other})"))),
        }
        let slot = get(config, "slot.name", "debezium").to_string();
        if slot.is_empty()
            || slot.len() > 63
            || !slot.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            problems.push(invalid(
                "slot.name",
                "Valid replication slot name must contain only digits, lowercase characters and underscores with length <= 63",
            ));
        }
        let autocreate = match get(config, "publication.autocreate.mode", "all_tables").to_ascii_lowercase().as_str() {
            "all_tables" => Autocreate::AllTables,
            "filtered" => Autocreate::Filtered,
            "disabled" => Autocreate::Disabled,
            _ => {
                problems.push(invalid(
                    "publication.autocreate.mode",
                    "Value must be one of all_tables, filtered, disabled",
                ));
                Autocreate::AllTables
            }
        };
        let schemas = filter(config, "schema", &mut problems);
        let snapshot_mode = SnapshotMode::parse(get(config, "snapshot.mode", "initial")).unwrap_or_else(|| {
            problems
                .push(invalid("snapshot.mode", &format!("Value must be one of {}", SnapshotMode::NAMES.join(", "))));
            SnapshotMode::Initial
        });
        let mut modes = Modes::default();
        macro_rules! mode {
            ($key:literal, $default:literal, $parse:expr, $field:ident, $allowed:literal) => {
                match $parse(get(config, $key, $default)) {
                    Some(m) => modes.$field = m,
                    None => problems.push(invalid($key, concat!("Value must be one of ", $allowed))),
                }
            };
        }
        mode!("decimal.handling.mode", "precise", DecimalMode::parse, decimal, "precise, double, string");
        mode!(
            "time.precision.mode",
            "adaptive",
            TimePrecision::parse,
            time,
            "adaptive, adaptive_time_microseconds, connect, isostring, microseconds, nanoseconds"
        );
        mode!("binary.handling.mode", "bytes", BinaryMode::parse, binary, "bytes, base64, base64-url-safe, hex");
        mode!("interval.handling.mode", "numeric", IntervalMode::parse, interval, "numeric, string");
        mode!("hstore.handling.mode", "json", HstoreMode::parse, hstore, "json, map");
        match get(config, "include.unknown.datatypes", "false") {
            v if v.eq_ignore_ascii_case("true") => modes.include_unknown = true,
            v if v.eq_ignore_ascii_case("false") => modes.include_unknown = false,
            _ => problems.push(invalid("include.unknown.datatypes", "A boolean value is expected (true or false)")),
        }
        match get(config, "money.fraction.digits", "2").parse::<u8>() {
            Ok(d) => modes.money_fraction_digits = d,
            Err(_) => problems.push(invalid("money.fraction.digits", "A non-negative integer value is expected")),
        }
        let placeholder = get(config, "unavailable.value.placeholder", "__debezium_unavailable_value");
        modes.unavailable_placeholder = match placeholder.strip_prefix("hex:") {
            Some(hex) => decode_hex(hex).unwrap_or_else(|| {
                problems.push(invalid("unavailable.value.placeholder", "hex: must be followed by hexadecimal digits"));
                Vec::new()
            }),
            None => placeholder.as_bytes().to_vec(),
        };
        let drop_slot_on_stop = match get(config, "slot.drop.on.stop", "false") {
            v if v.eq_ignore_ascii_case("true") => true,
            v if v.eq_ignore_ascii_case("false") => false,
            _ => {
                problems.push(invalid("slot.drop.on.stop", "A boolean value is expected (true or false)"));
                false
            }
        };
        let status_ms = get(config, "status.update.interval.ms", "10000").parse::<u64>().unwrap_or_else(|_| {
            problems.push(invalid("status.update.interval.ms", "A positive, non-zero integer value is expected"));
            10_000
        });
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            common,
            connect: ConnectParams {
                host: host.to_string(),
                port,
                user: get(config, "database.user", "").to_string(),
                password: config.get("database.password").unwrap_or("").to_string(),
                dbname: get(config, "database.dbname", "").to_string(),
                ssl,
                root_cert_pem,
                connect_timeout: Duration::from_secs(30),
            },
            slot,
            drop_slot_on_stop,
            publication: get(config, "publication.name", "dbz_publication").to_string(),
            autocreate,
            schemas,
            snapshot_mode,
            modes,
            heartbeat_action_query: Some(get(config, "heartbeat.action.query", "").to_string())
                .filter(|q| !q.is_empty()),
            status_interval: Duration::from_millis(status_ms.max(100)),
        })
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![("database.hostname", "db"), ("database.user", "u"), ("database.dbname", "d"), ("topic.prefix", "p")]
    }

    #[test]
    fn defaults_are_debeziums_with_pgoutput() {
        let c = PgConfig::parse(&config(&base())).expect("valid");
        assert_eq!(c.slot, "debezium");
        assert_eq!(c.publication, "dbz_publication");
        assert_eq!(c.snapshot_mode, SnapshotMode::Initial);
        assert_eq!(c.connect.port, 5432);
        assert_eq!(c.connect.ssl, SslMode::Prefer);
        assert!(c.common.skipped.truncate);
    }

    #[test]
    fn bad_values_are_reported_on_their_keys() {
        let mut pairs = base();
        pairs.extend([
            ("plugin.name", "decoderbufs"),
            ("snapshot.mode", "sometimes"),
            ("slot.name", "Bad-Slot"),
            ("database.sslrootcert", "/etc/ssl/root.crt"),
        ]);
        let problems = PgConfig::parse(&config(&pairs)).expect_err("invalid");
        let keys: Vec<&str> = problems.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, vec!["database.sslrootcert", "plugin.name", "slot.name", "snapshot.mode"]);
        assert!(problems[1].1.contains("pgoutput"));
        assert!(problems[3].1.contains("Value must be one of initial"));
        assert!(PgConfig::parse(&config(&[("snapshot.mode", "schema_only")])).is_err(), "required keys missing");
    }
}

//! The connector's configuration: Debezium's MySQL and MariaDB keys,
//! defaults and checks (the keys all Debezium connectors share come from
//! `weir_debezium::config`).

use std::time::Duration;

use weir_debezium::binary::BinaryMode;
use weir_debezium::config::{
    Common, Problem, boolean, common_keys, filter, hostname, int, invalid, key, pem_text, port, value as get,
};
use weir_debezium::decimal::DecimalMode;
use weir_debezium::filters::Filter;
use weir_debezium::temporal::TimePrecision;
use weir_sdk::{Config, ConfigKey, ConfigType, Importance};

use crate::types::{BigIntUnsignedMode, Modes};
use crate::wire::{ConnectParams, SslMode};

/// Which server family a connector class is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `io.debezium.connector.mysql.MySqlConnector`.
    MySql,
    /// `io.debezium.connector.mariadb.MariaDbConnector`.
    MariaDb,
}

/// A connector class reads its own family's GTIDs.
impl From<Flavor> for crate::gtid::Flavor {
    fn from(flavor: Flavor) -> Self {
        match flavor {
            Flavor::MySql => Self::MySql,
            Flavor::MariaDb => Self::MariaDb,
        }
    }
}

impl Flavor {
    /// The connector class name.
    pub fn class(self) -> &'static str {
        match self {
            Self::MySql => "io.debezium.connector.mysql.MySqlConnector",
            Self::MariaDb => "io.debezium.connector.mariadb.MariaDbConnector",
        }
    }
    /// `source.connector` and the `io.debezium.connector.<name>` package.
    pub fn name(self) -> &'static str {
        match self {
            Self::MySql => "mysql",
            Self::MariaDb => "mariadb",
        }
    }
}

/// `snapshot.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    /// Snapshot when there is no offset (or the last snapshot did not finish), then stream.
    Initial,
    /// Snapshot as `initial`, then stop.
    InitialOnly,
    /// Schema only, no data (`no_data`, formerly `schema_only`).
    NoData,
    /// Snapshot on every start.
    Always,
    /// Snapshot when there is no offset or its binlog position is gone.
    WhenNeeded,
    /// Rebuild the schema history from the current tables, then stream
    /// (formerly `schema_only_recovery`).
    Recovery,
    /// Never snapshot: stream from the offset, or from the current position.
    Never,
}

impl SnapshotMode {
    const NAMES: &[&str] = &[
        "initial",
        "initial_only",
        "no_data",
        "schema_only",
        "always",
        "when_needed",
        "recovery",
        "schema_only_recovery",
        "never",
    ];

    fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "initial" => Self::Initial,
            "initial_only" => Self::InitialOnly,
            "no_data" | "schema_only" => Self::NoData,
            "always" => Self::Always,
            "when_needed" => Self::WhenNeeded,
            "recovery" | "schema_only_recovery" => Self::Recovery,
            "never" => Self::Never,
            _ => return None,
        })
    }
}

/// `snapshot.locking.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockingMode {
    /// Global read lock while the schema is read, released before the data.
    Minimal,
    /// Global read lock for the whole snapshot.
    Extended,
    /// No locks (safe only without concurrent DDL).
    None,
}

/// The parsed configuration.
#[derive(Debug, Clone)]
pub struct MyConfig {
    /// MySQL or MariaDB.
    pub flavor: Flavor,
    /// Keys shared by the Debezium connectors.
    pub common: Common,
    /// Connection settings.
    pub connect: ConnectParams,
    /// `database.server.id`: this replica's id.
    pub server_id: u32,
    /// `database.include.list` / `.exclude.list`.
    pub databases: Filter,
    /// `snapshot.mode`.
    pub snapshot_mode: SnapshotMode,
    /// `snapshot.locking.mode`.
    pub locking: LockingMode,
    /// `include.schema.changes`.
    pub include_schema_changes: bool,
    /// `include.query`.
    pub include_query: bool,
    /// `gtid.source.includes` / `.excludes`: GTID sources (MySQL server
    /// UUIDs, MariaDB `domain-server`) whose transactions are captured.
    pub gtid_filter: Filter,
    /// Value conversion settings.
    pub modes: Modes,
    /// `schema.history.internal.skip.unparseable.ddl`.
    pub skip_unparseable_ddl: bool,
}

/// The connector's own keys, after the common ones.
pub fn keys(flavor: Flavor) -> Vec<ConfigKey> {
    let server = match flavor {
        Flavor::MySql => "MySQL",
        Flavor::MariaDb => "MariaDB",
    };
    let locking: &[&str] = match flavor {
        Flavor::MySql => &["minimal", "minimal_percona", "extended", "none"],
        Flavor::MariaDb => &["minimal", "extended", "none"],
    };
    let mut keys = vec![
        key("database.hostname", ConfigType::String, None, &format!("Host name or address of the {server} server."))
            .importance(Importance::High),
        key("database.port", ConfigType::Int, Some("3306"), &format!("Port of the {server} server.")),
        key(
            "database.user",
            ConfigType::String,
            None,
            "User with SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE and REPLICATION CLIENT privileges.",
        )
        .importance(Importance::High),
        key("database.password", ConfigType::Password, Some(""), "The user's password."),
        key(
            "database.server.id",
            ConfigType::Long,
            None,
            "A numeric id for this connector, unique among the server's replicas.",
        )
        .importance(Importance::High),
        key(
            "database.ssl.mode",
            ConfigType::String,
            Some("preferred"),
            "disabled, preferred, required, verify_ca or verify_identity.",
        )
        .one_of(&["disabled", "preferred", "required", "verify_ca", "verify_identity"]),
        key(
            "database.ssl.truststore",
            ConfigType::String,
            Some(""),
            "Trusted root certificates as PEM text (Java key stores cannot be read by the sandboxed connector): inline a file with ${directory:/path/to/dir:ca.pem}.",
        ),
        key("database.include.list", ConfigType::List, Some(""), "Regular expressions of databases to capture."),
        key("database.exclude.list", ConfigType::List, Some(""), "Regular expressions of databases not to capture."),
        key(
            "snapshot.mode",
            ConfigType::String,
            Some("initial"),
            "When to take a snapshot: initial, initial_only, no_data, always, when_needed, recovery, never.",
        ),
        key("snapshot.locking.mode", ConfigType::String, Some("minimal"), "How the snapshot locks tables.")
            .one_of(locking),
        key(
            "include.schema.changes",
            ConfigType::Boolean,
            Some("true"),
            "Emit schema change events to the topic named by topic.prefix.",
        ),
        key("include.query", ConfigType::Boolean, Some("false"), "Add the original SQL to source.query."),
        key(
            "enable.time.adjuster",
            ConfigType::Boolean,
            Some("true"),
            "Read two-digit years as MySQL does (00-69 as 2000-2069, 70-99 as 1970-1999).",
        ),
        key("include.schema.comments", ConfigType::Boolean, Some("false"), "Carry column comments as schema docs."),
        key(
            "time.precision.mode",
            ConfigType::String,
            Some("adaptive_time_microseconds"),
            "How temporal values are represented.",
        )
        .one_of(&["adaptive_time_microseconds", "connect", "isostring", "microseconds", "nanoseconds"]),
        key("bigint.unsigned.handling.mode", ConfigType::String, Some("long"), "long or precise.")
            .one_of(&["long", "precise"]),
        key("gtid.source.includes", ConfigType::List, Some(""), "GTID sources to use when positioning."),
        key("gtid.source.excludes", ConfigType::List, Some(""), "GTID sources to ignore when positioning."),
        key(
            "schema.history.internal.skip.unparseable.ddl",
            ConfigType::Boolean,
            Some("false"),
            "Log and skip DDL the parser cannot read instead of failing.",
        ),
        key(
            "schema.history.internal",
            ConfigType::String,
            Some("io.debezium.storage.kafka.history.KafkaSchemaHistory"),
            "Accepted for compatibility: Weir keeps the schema history in its own durable store.",
        ),
        key("connect.timeout.ms", ConfigType::Long, Some("30000"), "How long connecting to the server may take."),
    ];
    let mut all = common_keys();
    all.append(&mut keys);
    all
}

impl MyConfig {
    /// Parses and checks everything, reporting every problem at once.
    pub fn parse(flavor: Flavor, config: &Config) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let common = Common::parse(config, &mut problems);
        for required in ["database.hostname", "database.user", "database.server.id"] {
            if get(config, required, "").is_empty() {
                problems.push(invalid(required, "A value is required"));
            }
        }
        let host = hostname(config, &mut problems);
        let port = port(config, 3306, &mut problems);
        let server_id = match get(config, "database.server.id", "") {
            "" => 0,
            v => match v.parse::<u32>() {
                Ok(id) if id > 0 => id,
                _ => {
                    problems.push(invalid("database.server.id", "A positive, non-zero integer value is expected"));
                    0
                }
            },
        };
        let ssl = SslMode::parse(get(config, "database.ssl.mode", "preferred")).unwrap_or_else(|| {
            problems.push(invalid(
                "database.ssl.mode",
                "Value must be one of disabled, preferred, required, verify_ca, verify_identity",
            ));
            SslMode::Preferred
        });
        let root_cert_pem = pem_text(
            config,
            "database.ssl.truststore",
            "expected the CA certificate's PEM text, not a path or key store: the connector runs sandboxed \
             without file access; inline the file with ${directory:/path/to/dir:ca.pem} (DirectoryConfigProvider)",
            &mut problems,
        );
        let databases = filter(config, "database", &mut problems);
        let snapshot_mode = SnapshotMode::parse(get(config, "snapshot.mode", "initial")).unwrap_or_else(|| {
            problems
                .push(invalid("snapshot.mode", &format!("Value must be one of {}", SnapshotMode::NAMES.join(", "))));
            SnapshotMode::Initial
        });
        let locking = match get(config, "snapshot.locking.mode", "minimal").to_ascii_lowercase().as_str() {
            "minimal" => LockingMode::Minimal,
            "minimal_percona" if flavor == Flavor::MySql => LockingMode::Minimal,
            "extended" => LockingMode::Extended,
            "none" => LockingMode::None,
            _ => {
                let allowed = match flavor {
                    Flavor::MySql => "minimal, minimal_percona, extended, none",
                    Flavor::MariaDb => "minimal, extended, none",
                };
                problems.push(invalid("snapshot.locking.mode", &format!("Value must be one of {allowed}")));
                LockingMode::Minimal
            }
        };
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
        if get(config, "time.precision.mode", "").eq_ignore_ascii_case("adaptive") {
            // BinlogConnectorConfig rejects it in these words.
            problems.push(invalid("time.precision.mode", "The 'adaptive' time.precision.mode is no longer supported"));
        } else {
            mode!(
                "time.precision.mode",
                "adaptive_time_microseconds",
                TimePrecision::parse,
                time,
                "adaptive_time_microseconds, connect, isostring, microseconds, nanoseconds"
            );
        }
        mode!("binary.handling.mode", "bytes", BinaryMode::parse, binary, "bytes, base64, base64-url-safe, hex");
        mode!("bigint.unsigned.handling.mode", "long", BigIntUnsignedMode::parse, bigint_unsigned, "long, precise");
        let gtid_filter = Filter::new(config.get("gtid.source.includes"), config.get("gtid.source.excludes"))
            .unwrap_or_else(|e| {
                let problem = if e.starts_with("both") {
                    ("gtid.source.excludes", "Cannot specify GTID excludes when includes are provided.".to_string())
                } else {
                    ("gtid.source.includes", e)
                };
                problems.push(invalid(problem.0, &problem.1));
                Filter::All
            });
        modes.time_adjuster = boolean(config, "enable.time.adjuster", true, &mut problems);
        modes.include_comments = boolean(config, "include.schema.comments", false, &mut problems);
        let include_schema_changes = boolean(config, "include.schema.changes", true, &mut problems);
        let include_query = boolean(config, "include.query", false, &mut problems);
        let skip_unparseable_ddl =
            boolean(config, "schema.history.internal.skip.unparseable.ddl", false, &mut problems);
        let connect_ms = int(config, "connect.timeout.ms", 30_000, &mut problems);
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            flavor,
            common,
            connect: ConnectParams {
                host: host.to_string(),
                port,
                user: get(config, "database.user", "").to_string(),
                password: config.get("database.password").unwrap_or("").to_string(),
                ssl,
                root_cert_pem,
                connect_timeout: Duration::from_millis(u64::try_from(connect_ms).unwrap_or(30_000).max(100)),
            },
            server_id,
            databases,
            snapshot_mode,
            locking,
            include_schema_changes,
            include_query,
            gtid_filter,
            modes,
            skip_unparseable_ddl,
        })
    }

    /// Whether a table is captured: its database and the table filters.
    pub fn captures(&self, id: &crate::catalog::TableId) -> bool {
        self.databases.accepts(&id.database) && self.common.tables.accepts(&id.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("topic.prefix", "shop"),
            ("database.hostname", "localhost"),
            ("database.user", "weir"),
            ("database.server.id", "5400"),
        ]
    }

    #[test]
    fn defaults_are_debeziums() {
        let c = MyConfig::parse(Flavor::MariaDb, &config(&base())).expect("valid");
        assert_eq!(c.connect.port, 3306);
        assert_eq!(c.server_id, 5400);
        assert_eq!(c.connect.ssl, SslMode::Preferred);
        assert_eq!(c.snapshot_mode, SnapshotMode::Initial);
        assert_eq!(c.locking, LockingMode::Minimal);
        assert!(c.include_schema_changes);
        assert!(!c.include_query);
        assert_eq!(c.modes.time, TimePrecision::AdaptiveTimeMicroseconds);
    }

    #[test]
    fn bad_values_are_reported_on_their_keys() {
        let mut pairs = base();
        pairs.retain(|(k, _)| *k != "database.server.id");
        pairs.extend([
            ("snapshot.mode", "sometimes"),
            ("time.precision.mode", "adaptive"),
            ("database.ssl.mode", "maybe"),
            ("gtid.source.includes", "a"),
            ("gtid.source.excludes", "b"),
            ("snapshot.locking.mode", "minimal_percona"),
            ("database.ssl.truststore", "/etc/ca.pem"),
        ]);
        let problems = MyConfig::parse(Flavor::MariaDb, &config(&pairs)).expect_err("invalid");
        let keys: Vec<&str> = problems.iter().map(|p| p.0.as_str()).collect();
        for k in [
            "database.server.id",
            "snapshot.mode",
            "time.precision.mode",
            "database.ssl.mode",
            "gtid.source.excludes",
            "snapshot.locking.mode",
            "database.ssl.truststore",
        ] {
            assert!(keys.contains(&k), "{k} missing from {keys:?}");
        }
        let adaptive = problems.iter().find(|p| p.0 == "time.precision.mode").map(|p| p.1.as_str());
        assert_eq!(
            adaptive,
            Some(
                "The 'time.precision.mode' value is invalid: The 'adaptive' time.precision.mode is no longer supported"
            )
        );
    }

    #[test]
    fn old_snapshot_mode_names_still_parse() {
        assert_eq!(SnapshotMode::parse("schema_only"), Some(SnapshotMode::NoData));
        assert_eq!(SnapshotMode::parse("schema_only_recovery"), Some(SnapshotMode::Recovery));
    }
}

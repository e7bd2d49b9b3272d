//! The connector's configuration: Debezium's MongoDB keys, defaults and
//! checks (the keys all Debezium connectors share come from
//! `weir_debezium::config`), and the `mongodb://` connection string.

use std::time::Duration;

use weir_debezium::config::{Common, Problem, common_keys, filter, invalid, key, value as get};
use weir_debezium::filters::{Filter, Patterns};
use weir_sdk::{Config, ConfigKey, ConfigType, Importance};

/// The connection string key.
pub const CONNECTION_STRING: &str = "mongodb.connection.string";

/// `snapshot.mode` (Debezium 3.1's MongoDB values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotMode {
    /// Snapshot when there is no offset (or the last snapshot did not finish), then stream.
    Initial,
    /// Snapshot as `initial`, then stop.
    InitialOnly,
    /// No data snapshot: stream from the current position.
    NoData,
    /// Snapshot on every start.
    Always,
    /// Snapshot when there is no offset or the stored position is gone.
    WhenNeeded,
    /// Never snapshot (accepted through Debezium 3.2).
    Never,
}

impl SnapshotMode {
    const NAMES: &[&str] = &["initial", "initial_only", "no_data", "always", "when_needed", "never"];

    fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "initial" => Self::Initial,
            "initial_only" => Self::InitialOnly,
            "no_data" => Self::NoData,
            "always" => Self::Always,
            "when_needed" => Self::WhenNeeded,
            "never" => Self::Never,
            _ => return None,
        })
    }
}

/// `capture.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureMode {
    /// Updates carry only `updateDescription`.
    ChangeStreams,
    /// Updates also carry the full document (default).
    UpdateFull,
    /// Updates and deletes carry the pre-image.
    WithPreImage,
    /// Both.
    UpdateFullWithPreImage,
}

impl CaptureMode {
    const NAMES: &[&str] = &[
        "change_streams",
        "change_streams_update_full",
        "change_streams_with_pre_image",
        "change_streams_update_full_with_pre_image",
    ];

    fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "change_streams" => Self::ChangeStreams,
            "change_streams_update_full" => Self::UpdateFull,
            "change_streams_with_pre_image" => Self::WithPreImage,
            "change_streams_update_full_with_pre_image" => Self::UpdateFullWithPreImage,
            _ => return None,
        })
    }

    /// Whether update events look up the full document.
    pub fn full_document(self) -> bool {
        matches!(self, Self::UpdateFull | Self::UpdateFullWithPreImage)
    }

    /// Whether events carry pre-images.
    pub fn pre_image(self) -> bool {
        matches!(self, Self::WithPreImage | Self::UpdateFullWithPreImage)
    }
}

/// `capture.scope`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureScope {
    /// Every database (`allChangesForCluster`).
    Deployment,
    /// One database (`capture.target`).
    Database(String),
    /// One collection (`capture.target` = `db.coll`).
    Collection(String, String),
}

/// What a `mongodb://` connection string says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionString {
    /// Seed hosts with ports.
    pub hosts: Vec<(String, u16)>,
    /// User name, percent-decoded.
    pub user: Option<String>,
    /// Password, percent-decoded.
    pub password: Option<String>,
    /// `authSource` (else the path's database, else `admin`).
    pub auth_source: String,
    /// `authMechanism`, if given.
    pub auth_mechanism: Option<String>,
    /// `replicaSet`.
    pub replica_set: Option<String>,
    /// `tls`/`ssl`.
    pub tls: bool,
    /// `tlsInsecure` / `tlsAllowInvalidCertificates`.
    pub tls_insecure: bool,
    /// `tlsAllowInvalidHostnames`.
    pub tls_allow_invalid_hostnames: bool,
    /// `connectTimeoutMS`.
    pub connect_timeout: Option<Duration>,
}

fn percent_decode(s: &str) -> Result<String, String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or("a '%' is not followed by two hex digits")?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| "a '%' is not followed by two hex digits")?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "percent-encoding does not decode to UTF-8".to_string())
}

fn truthy(v: &str) -> bool {
    v.eq_ignore_ascii_case("true")
}

impl ConnectionString {
    /// Parses a `mongodb://` URI; the error says what is wrong with it.
    pub fn parse(uri: &str) -> Result<Self, String> {
        let uri = uri.trim();
        if uri.starts_with("mongodb+srv://") {
            return Err("mongodb+srv:// connection strings need DNS SRV lookups, which the sandbox does not offer; \
                 list the replica set members instead: mongodb://host1:27017,host2:27017/?replicaSet=<name>"
                .into());
        }
        let rest = uri.strip_prefix("mongodb://").ok_or("Invalid connection string: it must start with mongodb://")?;
        let (authority, tail) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (userinfo, hostlist) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            Some(info) => {
                let (u, p) = match info.split_once(':') {
                    Some((u, p)) => (u, Some(p)),
                    None => (info, None),
                };
                (Some(percent_decode(u)?), p.map(percent_decode).transpose()?)
            }
            None => (None, None),
        };
        let mut hosts = Vec::new();
        for h in hostlist.split(',').filter(|h| !h.is_empty()) {
            let (host, port) = match h.rsplit_once(':') {
                Some((host, port)) if !host.ends_with(']') || h.starts_with('[') => {
                    (host, port.parse::<u16>().map_err(|_| format!("Invalid connection string: bad port in '{h}'"))?)
                }
                _ => (h, 27017),
            };
            hosts.push((host.trim_start_matches('[').trim_end_matches(']').to_string(), port));
        }
        if hosts.is_empty() {
            return Err("Invalid connection string: no host".into());
        }
        let (path, query) = match tail.split_once('?') {
            Some((p, q)) => (p, q),
            None => (tail, ""),
        };
        let path_db = path.trim_start_matches('/');
        let mut cs = Self {
            hosts,
            user,
            password,
            auth_source: if path_db.is_empty() { "admin".into() } else { percent_decode(path_db)? },
            auth_mechanism: None,
            replica_set: None,
            tls: false,
            tls_insecure: false,
            tls_allow_invalid_hostnames: false,
            connect_timeout: None,
        };
        for pair in query.split(['&', ';']).filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = percent_decode(v)?;
            match k.to_ascii_lowercase().as_str() {
                "authsource" => cs.auth_source = v,
                "authmechanism" => cs.auth_mechanism = Some(v),
                "replicaset" => cs.replica_set = Some(v),
                "tls" | "ssl" => cs.tls = truthy(&v),
                "tlsinsecure" | "tlsallowinvalidcertificates" => cs.tls_insecure = truthy(&v),
                "tlsallowinvalidhostnames" => cs.tls_allow_invalid_hostnames = truthy(&v),
                "connecttimeoutms" => cs.connect_timeout = v.parse().ok().map(Duration::from_millis),
                _ => {}
            }
        }
        if let Some(m) = &cs.auth_mechanism
            && !matches!(m.as_str(), "SCRAM-SHA-1" | "SCRAM-SHA-256")
        {
            return Err(format!("authMechanism {m} is not supported: use SCRAM-SHA-256 or SCRAM-SHA-1"));
        }
        Ok(cs)
    }

    /// `host:port, …` for messages.
    pub fn describe_hosts(&self) -> String {
        self.hosts.iter().map(|(h, p)| format!("{h}:{p}")).collect::<Vec<_>>().join(",")
    }
}

/// The parsed configuration.
#[derive(Debug, Clone)]
pub struct MongoConfig {
    /// Keys shared by the Debezium connectors.
    pub common: Common,
    /// `mongodb.connection.string`.
    pub connection: ConnectionString,
    /// `capture.mode`.
    pub capture_mode: CaptureMode,
    /// `capture.mode.full.update.type` is `post_image`.
    pub post_image: bool,
    /// `capture.scope` with `capture.target`.
    pub scope: CaptureScope,
    /// `database.include.list` / `.exclude.list`.
    pub databases: Filter,
    /// `collection.include.list` / `.exclude.list` (`<db>.<coll>`).
    pub collections: Filter,
    /// `field.exclude.list` (`<db>.<coll>.<field path>`).
    pub field_excludes: Vec<(Patterns, Vec<String>)>,
    /// `snapshot.mode`.
    pub snapshot_mode: SnapshotMode,
    /// `snapshot.collection.filter.overrides.<db>.<coll>` filters (JSON).
    pub snapshot_filters: Vec<(String, String)>,
    /// `mongodb.connect.timeout.ms`.
    pub connect_timeout: Duration,
    /// `cursor.max.await.time.ms` (0: the poll interval).
    pub max_await: Duration,
    /// `snapshot.fetch.size` (0: the server's default).
    pub fetch_size: i32,
}

/// The connector's own keys, after the common ones.
pub fn keys() -> Vec<ConfigKey> {
    let mut keys = vec![
        key(
            CONNECTION_STRING,
            ConfigType::Password,
            None,
            "mongodb:// connection string naming the replica set members (or mongos routers), with credentials, authSource, replicaSet and tls.",
        )
        .importance(Importance::High),
        key("capture.mode", ConfigType::String, Some("change_streams_update_full"), "What change events carry.")
            .one_of(CaptureMode::NAMES),
        key(
            "capture.mode.full.update.type",
            ConfigType::String,
            Some("lookup"),
            "lookup (fullDocument: updateLookup) or post_image (fullDocument: whenAvailable).",
        )
        .one_of(&["lookup", "post_image"]),
        key("capture.scope", ConfigType::String, Some("deployment"), "deployment, database or collection.")
            .one_of(&["deployment", "database", "collection"]),
        key("capture.target", ConfigType::String, None, "The database (or db.collection) for the capture scope."),
        key("database.include.list", ConfigType::List, Some(""), "Regular expressions of databases to capture."),
        key("database.exclude.list", ConfigType::List, Some(""), "Regular expressions of databases not to capture."),
        key("collection.include.list", ConfigType::List, Some(""), "Regular expressions of <db>.<collection> to capture."),
        key(
            "collection.exclude.list",
            ConfigType::List,
            Some(""),
            "Regular expressions of <db>.<collection> not to capture.",
        ),
        key("field.exclude.list", ConfigType::List, Some(""), "<db>.<collection>.<field> paths left out of events."),
        key(
            "snapshot.mode",
            ConfigType::String,
            Some("initial"),
            "When to take a snapshot: initial, initial_only, no_data, always, when_needed, never.",
        ),
        key(
            "snapshot.collection.filter.overrides",
            ConfigType::String,
            Some(""),
            "Collections (<db>.<coll>) whose snapshot is filtered by snapshot.collection.filter.overrides.<db>.<coll> (a JSON query).",
        ),
        key("snapshot.fetch.size", ConfigType::Int, Some("0"), "Documents per snapshot batch (0: the server's default)."),
        key("mongodb.connect.timeout.ms", ConfigType::Int, Some("10000"), "How long a connection may take."),
        key("mongodb.poll.interval.ms", ConfigType::Int, Some("30000"), "Accepted for compatibility."),
        key(
            "cursor.max.await.time.ms",
            ConfigType::Int,
            Some("0"),
            "Longest wait of one getMore on the change stream (0: bounded by the poll).",
        ),
        key("mongodb.ssl.enabled", ConfigType::Boolean, Some("false"), "Connect with TLS (as tls=true in the URI)."),
        key(
            "mongodb.ssl.invalid.hostname.allowed",
            ConfigType::Boolean,
            Some("false"),
            "Accept a server certificate whose host name does not match.",
        ),
    ];
    // The relational filters and key overrides have no meaning for MongoDB.
    let mut all: Vec<ConfigKey> = common_keys()
        .into_iter()
        .filter(|k| !k.name.starts_with("table.") && !k.name.starts_with("column.") && k.name != "message.key.columns")
        .collect();
    all.append(&mut keys);
    all
}

impl MongoConfig {
    /// Parses and checks everything, reporting every problem at once.
    pub fn parse(config: &Config) -> Result<Self, Vec<Problem>> {
        let mut problems = Vec::new();
        let common = Common::parse(config, &mut problems);
        let uri = get(config, CONNECTION_STRING, "");
        let connection = if uri.is_empty() {
            problems.push(invalid(CONNECTION_STRING, "Missing connection string"));
            None
        } else {
            match ConnectionString::parse(uri) {
                Ok(mut cs) => {
                    if get(config, "mongodb.ssl.enabled", "false").eq_ignore_ascii_case("true") {
                        cs.tls = true;
                    }
                    if get(config, "mongodb.ssl.invalid.hostname.allowed", "false").eq_ignore_ascii_case("true") {
                        cs.tls_allow_invalid_hostnames = true;
                    }
                    Some(cs)
                }
                Err(e) => {
                    problems.push(invalid(CONNECTION_STRING, &e));
                    None
                }
            }
        };
        let capture_mode = CaptureMode::parse(get(config, "capture.mode", "change_streams_update_full"))
            .unwrap_or_else(|| {
                problems
                    .push(invalid("capture.mode", &format!("Value must be one of {}", CaptureMode::NAMES.join(", "))));
                CaptureMode::UpdateFull
            });
        let post_image = match get(config, "capture.mode.full.update.type", "lookup").to_ascii_lowercase().as_str() {
            "lookup" => false,
            "post_image" => true,
            _ => {
                problems.push(invalid("capture.mode.full.update.type", "Value must be one of lookup, post_image"));
                false
            }
        };
        let target = get(config, "capture.target", "");
        let scope = match get(config, "capture.scope", "deployment").to_ascii_lowercase().as_str() {
            "deployment" => CaptureScope::Deployment,
            "database" if !target.is_empty() => CaptureScope::Database(target.to_string()),
            "collection" => match target.split_once('.') {
                Some((db, coll)) if !db.is_empty() && !coll.is_empty() => {
                    CaptureScope::Collection(db.to_string(), coll.to_string())
                }
                _ => {
                    problems.push(invalid("capture.target", "A value <database>.<collection> is required"));
                    CaptureScope::Deployment
                }
            },
            "database" => {
                problems.push(invalid("capture.target", "A value is required"));
                CaptureScope::Deployment
            }
            _ => {
                problems.push(invalid("capture.scope", "Value must be one of deployment, database, collection"));
                CaptureScope::Deployment
            }
        };
        let databases = filter(config, "database", &mut problems);
        let collections = filter(config, "collection", &mut problems);
        let mut field_excludes = Vec::new();
        for entry in get(config, "field.exclude.list", "").split(',').map(str::trim).filter(|e| !e.is_empty()) {
            // `<db>.<coll>.<field>[.<nested>]`: the first two parts name
            // the collection (each may be a regular expression, as Debezium's).
            let parts: Vec<&str> = entry.splitn(3, '.').collect();
            match parts.as_slice() {
                [db, coll, path] => match Patterns::parse(&format!("{db}\\.{coll}")) {
                    Ok(p) => field_excludes.push((p, path.split('.').map(str::to_string).collect())),
                    Err(e) => problems.push(invalid("field.exclude.list", &e)),
                },
                _ => problems.push(invalid(
                    "field.exclude.list",
                    &format!("'{entry}' is not of the form <database>.<collection>.<field>"),
                )),
            }
        }
        let snapshot_mode = SnapshotMode::parse(get(config, "snapshot.mode", "initial")).unwrap_or_else(|| {
            problems
                .push(invalid("snapshot.mode", &format!("Value must be one of {}", SnapshotMode::NAMES.join(", "))));
            SnapshotMode::Initial
        });
        let mut snapshot_filters = Vec::new();
        for coll in get(config, "snapshot.collection.filter.overrides", "").split(',').map(str::trim) {
            if coll.is_empty() {
                continue;
            }
            let key = format!("snapshot.collection.filter.overrides.{coll}");
            match config.get(&key).map(str::trim).filter(|v| !v.is_empty()) {
                Some(filter) if serde_json::from_str::<serde_json::Value>(filter).is_ok_and(|v| v.is_object()) => {
                    snapshot_filters.push((coll.to_string(), filter.to_string()))
                }
                Some(_) => problems.push(invalid(&key, "A JSON object (a MongoDB query) is expected")),
                None => problems.push(invalid(&key, "A value is required")),
            }
        }
        let ms = |key: &str, default: &str, problems: &mut Vec<Problem>| {
            get(config, key, default).parse::<u64>().unwrap_or_else(|_| {
                problems.push(invalid(key, "A non-negative integer value is expected"));
                0
            })
        };
        let connect_ms = ms("mongodb.connect.timeout.ms", "10000", &mut problems);
        let await_ms = ms("cursor.max.await.time.ms", "0", &mut problems);
        let fetch_size = ms("snapshot.fetch.size", "0", &mut problems);
        if !problems.is_empty() {
            return Err(problems);
        }
        let connection = connection.ok_or_else(|| vec![invalid(CONNECTION_STRING, "Missing connection string")])?;
        let connect_timeout = connection.connect_timeout.unwrap_or(Duration::from_millis(connect_ms.max(1)));
        Ok(Self {
            common,
            connection,
            capture_mode,
            post_image,
            scope,
            databases,
            collections,
            field_excludes,
            snapshot_mode,
            snapshot_filters,
            connect_timeout,
            max_await: Duration::from_millis(await_ms),
            fetch_size: i32::try_from(fetch_size).unwrap_or(i32::MAX),
        })
    }

    /// Whether `db.coll` is captured (scope, database and collection filters).
    pub fn captures(&self, db: &str, coll: &str) -> bool {
        if matches!(db, "admin" | "config" | "local") || coll.starts_with("system.") {
            return false;
        }
        let in_scope = match &self.scope {
            CaptureScope::Deployment => true,
            CaptureScope::Database(d) => d == db,
            CaptureScope::Collection(d, c) => d == db && c == coll,
        };
        in_scope && self.databases.accepts(db) && self.collections.accepts(&format!("{db}.{coll}"))
    }

    /// Field paths excluded from `db.coll`'s events.
    pub fn excluded_fields(&self, db: &str, coll: &str) -> Vec<Vec<String>> {
        let name = format!("{db}.{coll}");
        self.field_excludes.iter().filter(|(p, _)| p.matches(&name)).map(|(_, path)| path.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> Config {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_are_debeziums() {
        let c =
            MongoConfig::parse(&config(&[(CONNECTION_STRING, "mongodb://h/"), ("topic.prefix", "p")])).expect("valid");
        assert_eq!(c.capture_mode, CaptureMode::UpdateFull);
        assert_eq!(c.scope, CaptureScope::Deployment);
        assert_eq!(c.snapshot_mode, SnapshotMode::Initial);
        assert_eq!(c.connection.hosts, vec![("h".to_string(), 27017)]);
        assert_eq!(c.connection.auth_source, "admin");
        assert!(c.captures("shop", "orders"));
        assert!(!c.captures("admin", "x"));
        assert!(!c.captures("shop", "system.views"));
    }

    #[test]
    fn connection_strings_parse() {
        let cs = ConnectionString::parse(
            "mongodb://us%40er:p%3Ass@a:1,b/app?replicaSet=rs0&tls=true&authSource=other&authMechanism=SCRAM-SHA-1",
        )
        .expect("valid");
        assert_eq!(cs.hosts, vec![("a".to_string(), 1), ("b".to_string(), 27017)]);
        assert_eq!(cs.user.as_deref(), Some("us@er"));
        assert_eq!(cs.password.as_deref(), Some("p:ss"));
        assert_eq!(cs.auth_source, "other");
        assert_eq!(cs.replica_set.as_deref(), Some("rs0"));
        assert!(cs.tls);
        assert!(ConnectionString::parse("mongodb+srv://x/").expect_err("srv").contains("mongodb+srv"));
        assert!(ConnectionString::parse("http://x").is_err());
        assert!(ConnectionString::parse("mongodb://h/?authMechanism=PLAIN").is_err());
    }

    #[test]
    fn bad_values_are_reported_on_their_keys() {
        let problems = MongoConfig::parse(&config(&[
            ("topic.prefix", "p"),
            ("capture.mode", "oplog"),
            ("snapshot.mode", "sometimes"),
            ("capture.scope", "collection"),
            ("capture.target", "nodot"),
        ]))
        .expect_err("invalid");
        let keys: Vec<&str> = problems.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, vec![CONNECTION_STRING, "capture.mode", "capture.target", "snapshot.mode"]);
        assert_eq!(problems[0].1, "The 'mongodb.connection.string' value is invalid: Missing connection string");
    }
}

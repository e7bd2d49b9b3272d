//! The worker's configuration: a Kafka Connect standalone properties file,
//! read unchanged. Every key has a default, so no file is needed at all.
//! Keys meant for the JVM worker that Weir does not use are warned about,
//! not fatal.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Errors reading the worker configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read worker config {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A value is invalid.
    #[error("invalid value {value:?} for worker config {key}: {reason}")]
    Invalid {
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Why.
        reason: String,
    },
}

/// Worker settings, with Kafka Connect's key names where one exists.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// `listeners`: where the REST API listens.
    pub listen: SocketAddr,
    /// `plugin.path`: folders searched for `*.wasm` connector components.
    pub plugin_path: Vec<PathBuf>,
    /// `bootstrap.servers`, when Kafka is configured.
    pub bootstrap_servers: Option<String>,
    /// `weir.delivery.discard`: converted records are dropped and only their
    /// offsets kept (for measuring connectors without the log's cost).
    pub discard_records: bool,
    /// `weir.data.dir`: state, compile cache.
    pub data_dir: PathBuf,
    /// `offset.storage.file.filename`: the redb state file.
    pub state_file: PathBuf,
    /// `key.converter`.
    pub key_converter: String,
    /// `value.converter`.
    pub value_converter: String,
    /// `key.converter.schemas.enable`.
    pub key_schemas_enable: bool,
    /// `value.converter.schemas.enable`.
    pub value_schemas_enable: bool,
    /// `offset.flush.interval.ms`: how often offsets of records Kafka
    /// acknowledged are committed (the embedded log commits with each batch).
    pub offset_flush_interval_ms: u64,
    /// `offset.flush.timeout.ms`: how long a stopping task waits for
    /// outstanding records before committing what was delivered.
    pub offset_flush_timeout_ms: u64,
    /// `topic.creation.enable`: whether connectors may create their topics.
    pub topic_creation_enable: bool,
    /// `connector.client.config.override.policy`.
    pub override_policy: crate::sink::OverridePolicy,
    /// Every property as written: the Kafka client keys (`bootstrap.servers`,
    /// `security.protocol`, `ssl.*`, `sasl.*`, `producer.*`, `admin.*`) and
    /// converter settings such as `value.converter.decimal.format`.
    pub props: BTreeMap<String, String>,
    /// `weir.sandbox.allowed.endpoints`: the operator's allow-list
    /// (`host`, `host:port`, or `*`); intersected with what each connector's
    /// config names.
    pub allowed_endpoints: Vec<String>,
    /// `weir.sandbox.memory.max.bytes`: default linear-memory limit per instance.
    pub memory_max_bytes: u64,
    /// `weir.sandbox.cpu.max.ms`: default bound on CPU time spent in wasm per call.
    pub cpu_max_ms: u64,
    /// `weir.log.retention.bytes`: per-topic size of the embedded log
    /// (default 1 GiB; -1 keeps everything).
    pub log_retention_bytes: Option<u64>,
    /// `weir.log.retention.ms`: age of embedded-log records by timestamp
    /// (default 7 days, as Kafka's `retention.ms`; -1 keeps everything).
    pub log_retention_ms: Option<i64>,
    /// `weir.store.cache.bytes`: redb's page cache (default 16 MiB).
    pub store_cache_bytes: u64,
    /// `weir.log.retention.check.interval.ms`: how often retention runs.
    pub log_retention_check_ms: u64,
    /// The `worker_id` shown in statuses: advertised host:port.
    pub worker_id: String,
    /// Keys present in the file that Weir ignores (warned about at start).
    pub ignored_keys: Vec<String>,
    /// `config.providers`: resolve `${provider:path:key}` placeholders.
    pub providers: crate::providers::ConfigProviders,
}

/// Keys Weir reads.
const KNOWN: &[&str] = &[
    "listeners",
    "plugin.path",
    "bootstrap.servers",
    "weir.data.dir",
    "offset.storage.file.filename",
    "key.converter",
    "value.converter",
    "key.converter.schemas.enable",
    "value.converter.schemas.enable",
    "offset.flush.interval.ms",
    "offset.flush.timeout.ms",
    "topic.creation.enable",
    "connector.client.config.override.policy",
    "security.protocol",
    "weir.sandbox.allowed.endpoints",
    "weir.sandbox.memory.max.bytes",
    "weir.sandbox.cpu.max.ms",
    "rest.advertised.host.name",
    "rest.advertised.port",
    "weir.log.retention.bytes",
    "weir.store.cache.bytes",
    "weir.delivery.discard",
    "weir.log.retention.ms",
    "weir.log.retention.check.interval.ms",
];

impl Default for WorkerConfig {
    fn default() -> Self {
        match Self::from_properties(&BTreeMap::new()) {
            Ok(c) => c,
            Err(_) => unreachable!("the defaults are valid"),
        }
    }
}

impl WorkerConfig {
    /// Reads a properties file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        Self::from_properties(&parse_properties(&text))
    }

    /// Builds the config from parsed properties.
    pub fn from_properties(props: &BTreeMap<String, String>) -> Result<Self, ConfigError> {
        let get = |k: &str| props.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let listen = parse_listener(get("listeners").unwrap_or("http://127.0.0.1:8083"))?;
        let data_dir = PathBuf::from(get("weir.data.dir").unwrap_or("weir-data"));
        let state_file = get("offset.storage.file.filename").map_or_else(|| data_dir.join("weir.redb"), PathBuf::from);
        let bool_of = |k: &str, default: bool| -> Result<bool, ConfigError> {
            match get(k) {
                None => Ok(default),
                Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
                Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
                Some(v) => Err(ConfigError::Invalid {
                    key: k.into(),
                    value: v.into(),
                    reason: "expected true or false".into(),
                }),
            }
        };
        let u64_of = |k: &str, default: u64| -> Result<u64, ConfigError> {
            get(k).map_or(Ok(default), |v| {
                v.parse().map_err(|_| ConfigError::Invalid {
                    key: k.into(),
                    value: v.into(),
                    reason: "expected a non-negative integer".into(),
                })
            })
        };
        let limit = |k: &str, default: i64| -> Result<Option<i64>, ConfigError> {
            let v = get(k).map_or(Ok(default), |v| {
                v.parse::<i64>().map_err(|_| ConfigError::Invalid {
                    key: k.into(),
                    value: v.into(),
                    reason: "expected an integer (-1 for no limit)".into(),
                })
            })?;
            Ok((v >= 0).then_some(v))
        };
        let host = get("rest.advertised.host.name").map_or_else(|| listen.ip().to_string(), str::to_string);
        let port = get("rest.advertised.port").map_or_else(|| listen.port().to_string(), str::to_string);
        let list = |k: &str| -> Vec<String> {
            get(k)
                .map(|v| v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default()
        };
        let mut allowed = list("weir.sandbox.allowed.endpoints");
        if allowed.is_empty() {
            allowed.push("*".into());
        }
        Ok(Self {
            listen,
            plugin_path: list("plugin.path").into_iter().map(PathBuf::from).collect(),
            bootstrap_servers: get("bootstrap.servers").map(str::to_string),
            discard_records: get("weir.delivery.discard").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
            data_dir,
            state_file,
            key_converter: get("key.converter").unwrap_or("org.apache.kafka.connect.json.JsonConverter").to_string(),
            value_converter: get("value.converter")
                .unwrap_or("org.apache.kafka.connect.json.JsonConverter")
                .to_string(),
            key_schemas_enable: bool_of("key.converter.schemas.enable", true)?,
            value_schemas_enable: bool_of("value.converter.schemas.enable", true)?,
            offset_flush_interval_ms: u64_of("offset.flush.interval.ms", 60_000)?,
            offset_flush_timeout_ms: u64_of("offset.flush.timeout.ms", 5_000)?,
            topic_creation_enable: bool_of("topic.creation.enable", true)?,
            override_policy: {
                let class = get("connector.client.config.override.policy").unwrap_or("All");
                crate::sink::OverridePolicy::from_class(class).ok_or_else(|| ConfigError::Invalid {
                    key: "connector.client.config.override.policy".into(),
                    value: class.into(),
                    reason: "expected All, Principal or None".into(),
                })?
            },
            props: props.clone(),
            allowed_endpoints: allowed,
            memory_max_bytes: u64_of("weir.sandbox.memory.max.bytes", 256 * 1024 * 1024)?,
            cpu_max_ms: u64_of("weir.sandbox.cpu.max.ms", 10_000)?,
            worker_id: format!("{host}:{port}"),
            log_retention_bytes: limit("weir.log.retention.bytes", 1 << 30)?.map(|v| v as u64),
            log_retention_ms: limit("weir.log.retention.ms", 7 * 24 * 3600 * 1000)?,
            store_cache_bytes: u64_of("weir.store.cache.bytes", 16 << 20)?,
            log_retention_check_ms: u64_of("weir.log.retention.check.interval.ms", 30_000)?.max(10),
            ignored_keys: props
                .keys()
                .filter(|k| {
                    !KNOWN.contains(&k.as_str())
                        && !k.starts_with("config.providers")
                        && !k.starts_with("key.converter.")
                        && !k.starts_with("value.converter.")
                        && !is_client_key(k)
                })
                .cloned()
                .collect(),
            providers: crate::providers::ConfigProviders::from_properties(props).map_err(|e| ConfigError::Invalid {
                key: "config.providers".into(),
                value: props.get("config.providers").cloned().unwrap_or_default(),
                reason: e.to_string(),
            })?,
        })
    }
}

/// Keys that configure the Kafka clients.
fn is_client_key(key: &str) -> bool {
    ["bootstrap.servers", "security.protocol", "client.dns.lookup"].contains(&key)
        || ["ssl.", "sasl.", "producer.", "admin."].iter().any(|p| key.starts_with(p))
}

/// Parses the first listener, `http://host:port` (`http://:8083` binds all interfaces).
fn parse_listener(raw: &str) -> Result<SocketAddr, ConfigError> {
    let invalid =
        |reason: &str| ConfigError::Invalid { key: "listeners".into(), value: raw.into(), reason: reason.into() };
    let first = raw.split(',').next().unwrap_or(raw).trim();
    let rest = first.strip_prefix("http://").ok_or_else(|| invalid("only http:// listeners are supported"))?;
    let rest = rest.trim_end_matches('/');
    let (host, port) = rest.rsplit_once(':').ok_or_else(|| invalid("expected http://host:port"))?;
    let port: u16 = port.parse().map_err(|_| invalid("the port is not a number"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let host = match host {
        "" | "0.0.0.0" => "0.0.0.0",
        "localhost" => "127.0.0.1",
        h => h,
    };
    let ip = host.parse().map_err(|_| invalid("the host must be an IP address or localhost"))?;
    Ok(SocketAddr::new(ip, port))
}

/// Parses Java properties: `key=value`, `key: value` or `key value`,
/// `#`/`!` comments, backslash line continuations and escapes.
pub fn parse_properties(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut logical = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if logical.is_empty() && (trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('!')) {
            continue;
        }
        let trailing = trimmed.chars().rev().take_while(|c| *c == '\\').count();
        if trailing % 2 == 1 {
            logical.push_str(&trimmed[..trimmed.len() - 1]);
            continue;
        }
        logical.push_str(trimmed);
        let entry = std::mem::take(&mut logical);
        let (key, value) = split_entry(&entry);
        out.insert(unescape(&key), unescape(value.trim_start()));
    }
    if !logical.is_empty() {
        let (key, value) = split_entry(&logical);
        out.insert(unescape(&key), unescape(value.trim_start()));
    }
    out
}

fn split_entry(entry: &str) -> (String, &str) {
    let mut escaped = false;
    for (i, c) in entry.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '=' | ':' => return (entry[..i].trim_end().to_string(), &entry[i + 1..]),
            c if c.is_whitespace() => {
                let rest = entry[i..].trim_start();
                let rest = rest.strip_prefix(['=', ':']).unwrap_or(rest);
                return (entry[..i].to_string(), rest);
            }
            _ => {}
        }
    }
    (entry.to_string(), "")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                if let Some(ch) = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    out.push(ch);
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kafka_connect_standalone_properties() {
        let props = parse_properties(
            "# comment\nbootstrap.servers=localhost:9092\nkey.converter: org.apache.kafka.connect.json.JsonConverter\n\
             plugin.path /a,\\\n  /b\nlisteners=http://:9083\ntask.shutdown.graceful.timeout.ms=1000\n",
        );
        assert_eq!(props["plugin.path"], "/a,/b");
        let config = WorkerConfig::from_properties(&props).unwrap();
        assert_eq!(config.listen, "0.0.0.0:9083".parse().unwrap());
        assert_eq!(config.plugin_path, vec![PathBuf::from("/a"), PathBuf::from("/b")]);
        assert_eq!(config.bootstrap_servers.as_deref(), Some("localhost:9092"));
        assert_eq!(config.ignored_keys, vec!["task.shutdown.graceful.timeout.ms".to_string()]);
    }

    #[test]
    fn defaults_serve_on_loopback_with_state_under_weir_data() {
        let config = WorkerConfig::default();
        assert_eq!(config.listen, "127.0.0.1:8083".parse().unwrap());
        assert_eq!(config.state_file, PathBuf::from("weir-data/weir.redb"));
        assert_eq!(config.allowed_endpoints, vec!["*".to_string()]);
    }

    #[test]
    fn bad_values_are_named() {
        let mut props = BTreeMap::new();
        props.insert("listeners".to_string(), "https://x:1".to_string());
        let err = WorkerConfig::from_properties(&props).unwrap_err();
        assert!(err.to_string().contains("listeners"), "{err}");
    }
}

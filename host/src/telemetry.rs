//! Logging: `tracing` with levels that `/admin/loggers` changes at run time.
//!
//! Logger names are `root`, the worker's module paths (`weir::runtime`)
//! and, for what plugins log, their connector class names
//! (`io.confluent.kafka.connect.datagen.DatagenConnector`, or a package
//! prefix of one). A logger's effective level is that of its nearest
//! configured ancestor (`.` or `::` separated), else root's.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use tracing::Level;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Registry, reload};

/// Plugins' log lines use this target; their own levels are applied per class.
pub const PLUGIN_TARGET: &str = "weir::plugin";

/// The worker's own loggers, listed by `GET /admin/loggers/{name}`.
const MODULES: &[&str] = &[
    "weir",
    "weir::api",
    "weir::config",
    "weir::convert",
    "weir::runtime",
    "weir::store",
    "weir::supervisor",
    "weir::task",
    PLUGIN_TARGET,
];

/// A level set through the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggerLevel {
    /// `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR` or `OFF`.
    pub level: String,
    /// Epoch millis of the last change through the API; `None` if never.
    pub last_modified: Option<i64>,
}

/// An unknown level name.
#[derive(Debug, thiserror::Error)]
#[error("invalid log level '{0}'.")]
pub struct InvalidLevel(pub String);

struct Loggers {
    handle: Option<reload::Handle<EnvFilter, Registry>>,
    levels: Mutex<BTreeMap<String, LoggerLevel>>,
}

static LOGGERS: OnceLock<Loggers> = OnceLock::new();

fn loggers() -> &'static Loggers {
    LOGGERS.get_or_init(|| Loggers { handle: None, levels: Mutex::new(default_levels()) })
}

fn default_levels() -> BTreeMap<String, LoggerLevel> {
    let mut levels = BTreeMap::new();
    for (name, level) in [("root", "INFO"), ("wasmtime", "WARN"), ("cranelift", "WARN")] {
        levels.insert(name.to_string(), LoggerLevel { level: level.into(), last_modified: None });
    }
    levels
}

/// Installs the subscriber (stderr) with a reloadable filter.
pub fn init() {
    let levels = default_levels();
    let (filter, handle) = reload::Layer::new(filter_for(&levels));
    let fmt =
        tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(std::env::var_os("NO_COLOR").is_none());
    let _ = tracing_subscriber::registry().with(filter).with(fmt).try_init();
    let _ = LOGGERS.set(Loggers { handle: Some(handle), levels: Mutex::new(levels) });
}

fn directive_level(level: &str) -> &'static str {
    match level {
        "TRACE" => "trace",
        "DEBUG" => "debug",
        "INFO" => "info",
        "WARN" => "warn",
        "ERROR" => "error",
        _ => "off",
    }
}

/// Root's level, then each logger's. Plugin lines always pass the filter:
/// their class levels are applied when they are logged.
fn filter_for(levels: &BTreeMap<String, LoggerLevel>) -> EnvFilter {
    let mut directives: Vec<String> = Vec::new();
    let root = levels.get("root").map_or("info", |l| directive_level(&l.level));
    directives.push(root.to_string());
    for (name, level) in levels {
        if name != "root" && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
            directives.push(format!("{name}={}", directive_level(&level.level)));
        }
    }
    directives.push(format!("{PLUGIN_TARGET}=trace"));
    EnvFilter::try_new(directives.join(",")).unwrap_or_else(|_| EnvFilter::new("info"))
}

fn is_ancestor(ancestor: &str, name: &str) -> bool {
    name == ancestor || name.strip_prefix(ancestor).is_some_and(|rest| rest.starts_with('.') || rest.starts_with("::"))
}

fn effective(levels: &BTreeMap<String, LoggerLevel>, name: &str) -> LoggerLevel {
    levels
        .iter()
        .filter(|(l, _)| *l != "root" && is_ancestor(l, name))
        .max_by_key(|(l, _)| l.len())
        .map(|(_, v)| v.clone())
        .or_else(|| levels.get("root").cloned())
        .unwrap_or(LoggerLevel { level: "INFO".into(), last_modified: None })
}

/// Every logger with an explicit level (`GET /admin/loggers`).
pub fn list() -> BTreeMap<String, LoggerLevel> {
    loggers().levels.lock().map(|l| l.clone()).unwrap_or_default()
}

/// A logger's level, if the logger exists: explicitly set, one of the
/// worker's modules, or a loaded connector class (`known`).
pub fn get(name: &str, known: impl Fn(&str) -> bool) -> Option<LoggerLevel> {
    let levels = loggers().levels.lock().ok()?;
    let name = if name.eq_ignore_ascii_case("root") { "root" } else { name };
    if let Some(level) = levels.get(name) {
        return Some(level.clone());
    }
    (MODULES.contains(&name) || known(name)).then(|| effective(&levels, name))
}

/// Sets `name` and every explicit logger whose name starts with it;
/// returns the affected loggers, sorted.
pub fn set(name: &str, level: &str, now_millis: i64) -> Result<Vec<String>, InvalidLevel> {
    let level = match level.to_ascii_uppercase().as_str() {
        "ALL" | "TRACE" => "TRACE",
        "DEBUG" => "DEBUG",
        "INFO" => "INFO",
        "WARN" => "WARN",
        "ERROR" | "FATAL" => "ERROR",
        "OFF" => "OFF",
        _ => return Err(InvalidLevel(level.to_string())),
    };
    let name = if name.eq_ignore_ascii_case("root") { "root".to_string() } else { name.to_string() };
    let loggers = loggers();
    let mut levels = loggers.levels.lock().unwrap_or_else(|p| p.into_inner());
    let mut affected: Vec<String> = levels.keys().filter(|k| name == "root" || k.starts_with(&name)).cloned().collect();
    if !affected.contains(&name) {
        affected.push(name.clone());
    }
    for logger in &affected {
        levels.insert(logger.clone(), LoggerLevel { level: level.into(), last_modified: Some(now_millis) });
    }
    if let Some(handle) = &loggers.handle
        && let Err(e) = handle.reload(filter_for(&levels))
    {
        tracing::warn!(error = %e, "cannot apply the new log levels");
    }
    affected.sort();
    Ok(affected)
}

/// Whether a plugin of `class` logs at `level` (its logger's effective level).
pub fn plugin_enabled(class: &str, level: Level) -> bool {
    let Ok(levels) = loggers().levels.lock() else { return true };
    let threshold = match effective(&levels, class).level.as_str() {
        "TRACE" => Level::TRACE,
        "DEBUG" => Level::DEBUG,
        "INFO" => Level::INFO,
        "WARN" => Level::WARN,
        "ERROR" => Level::ERROR,
        _ => return false,
    };
    level <= threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effective_levels_follow_the_nearest_ancestor() {
        let mut levels = default_levels();
        levels.insert("io.debezium".into(), LoggerLevel { level: "DEBUG".into(), last_modified: Some(1) });
        assert_eq!(effective(&levels, "io.debezium.connector.postgresql.PostgresConnector").level, "DEBUG");
        assert_eq!(effective(&levels, "io.debeziumx.Other").level, "INFO");
        assert_eq!(effective(&levels, "wasmtime::runtime").level, "WARN");
    }
}

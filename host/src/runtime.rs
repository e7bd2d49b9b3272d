//! The WebAssembly runtime: one engine, the loaded plugins, and instances
//! bounded by the sandbox.
//!
//! Plugins come from the `weir` binary itself (first-party connectors) and
//! from every `*.wasm` under `plugin.path`. A file that is not a component
//! for a supported contract version is reported in the log and skipped.
//! Compiled components are cached on disk, keyed by the component's hash and
//! the engine's settings, so a restart does not recompile.
//!
//! Instances use wasmtime's synchronous API, each on the thread of the task
//! that owns it. Connectors speak database protocols with blocking reads, so
//! a thread per task is the natural shape; the OS schedules a spinning guest
//! away from the others, and the CPU bound (epoch checks against the thread's
//! CPU clock) stops it.

mod bindings;
mod host_impl;
mod instance;
pub mod net;
mod sandbox;

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

use self::bindings::since_v0_1_0::{Plugin as Bindings, PluginPre};
pub use self::bindings::{PolledBatch, SUPPORTED_VERSIONS};
pub use self::host_impl::HostServices;
pub use self::instance::{CallError, Instance, TaskRef};
use self::sandbox::StoreState;
pub use self::sandbox::{Grants, Limits};
use crate::plugin::ConnectorDescriptor;

/// First-party components carried in the binary: (name, bytes).
pub const EMBEDDED: &[(&str, &[u8])] = &[
    ("datagen", include_bytes!(env!("WEIR_DATAGEN_WASM"))),
    ("postgres", include_bytes!(env!("WEIR_POSTGRES_WASM"))),
    ("mongodb", include_bytes!(env!("WEIR_MONGODB_WASM"))),
    ("mysql", include_bytes!(env!("WEIR_MYSQL_WASM"))),
];

/// Errors loading a plugin.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Not a WebAssembly component.
    #[error("{origin} is not a WebAssembly component (a core module or other file); build plugins for wasm32-wasip2")]
    NotAComponent {
        /// Where it came from.
        origin: String,
    },
    /// The component does not compile.
    #[error("{origin} is not a valid component")]
    Invalid {
        /// Where it came from.
        origin: String,
        /// The compiler's error.
        #[source]
        source: wasmtime::Error,
    },
    /// It targets a contract this host does not load.
    #[error("{origin} targets weir:connector@{found}, but this worker loads {}", SUPPORTED_VERSIONS.join(", "))]
    UnsupportedContract {
        /// Where it came from.
        origin: String,
        /// The version it imports, or `none`.
        found: String,
    },
    /// Linking or describing failed.
    #[error("{origin} could not be instantiated")]
    Instantiate {
        /// Where it came from.
        origin: String,
        /// Why.
        #[source]
        source: CallError,
    },
    /// Reading the file failed.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// A loaded plugin component.
pub struct LoadedPlugin {
    /// Where it came from: `builtin:datagen` or a file path.
    pub origin: String,
    /// The contract version it was built against.
    pub contract: &'static str,
    /// The connector classes it exports.
    pub connectors: Vec<ConnectorDescriptor>,
    pre: PluginPre<StoreState>,
}

/// Counters the compile cache keeps (the tests and benchmarks read them).
#[derive(Debug, Default)]
pub struct CacheStats {
    /// Components compiled from scratch.
    pub compiled: AtomicU64,
    /// Components loaded from the on-disk cache.
    pub cache_hits: AtomicU64,
}

/// The engine, the linker and the loaded plugins.
pub struct Runtime {
    engine: Engine,
    linker: Linker<StoreState>,
    cache_dir: Option<PathBuf>,
    plugins: Vec<Arc<LoadedPlugin>>,
    /// Cache counters.
    pub stats: CacheStats,
}

/// How often the epoch advances; a runaway guest is noticed within this.
const EPOCH_TICK: Duration = Duration::from_millis(10);

impl Runtime {
    /// An engine with epoch interruption and a compile cache under `cache_dir`.
    pub fn new(cache_dir: Option<PathBuf>) -> Result<Self, wasmtime::Error> {
        let mut config = Config::new();
        config.wasm_component_model(true).epoch_interruption(true);
        // `WEIR_PROFILE=perfmap` names guest functions for `perf` (/tmp/perf-<pid>.map).
        if std::env::var("WEIR_PROFILE").is_ok_and(|v| v == "perfmap") {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&config)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)?;
        Bindings::add_to_linker::<StoreState, wasmtime::component::HasSelf<StoreState>>(&mut linker, |s| s)?;
        let weak = engine.weak();
        std::thread::Builder::new()
            .name("weir-epoch".into())
            .spawn(move || {
                while let Some(engine) = weak.upgrade() {
                    engine.increment_epoch();
                    drop(engine);
                    std::thread::sleep(EPOCH_TICK);
                }
            })
            .map_err(|e| wasmtime::format_err!("cannot start the epoch thread: {e}"))?;
        if let Some(dir) = &cache_dir
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot create the compile cache; compiling every start");
        }
        Ok(Self { engine, linker, cache_dir, plugins: Vec::new(), stats: CacheStats::default() })
    }

    /// Loads the embedded plugins and every `*.wasm` under `plugin_path`,
    /// logging and skipping what cannot be loaded.
    pub fn load_all(&mut self, plugin_path: &[PathBuf]) {
        for (name, bytes) in EMBEDDED {
            match self.load(&format!("builtin:{name}"), bytes) {
                Ok(plugin) => self.plugins.push(Arc::new(plugin)),
                Err(e) => tracing::error!(error = %DisplayChain(&e), "cannot load a built-in plugin"),
            }
        }
        for dir in plugin_path {
            for path in wasm_files(dir) {
                match std::fs::read(&path)
                    .map_err(|source| LoadError::Read { path: path.clone(), source })
                    .and_then(|bytes| self.load(&path.display().to_string(), &bytes))
                {
                    Ok(plugin) => {
                        tracing::info!(plugin = %plugin.origin, classes = ?plugin.connectors.iter().map(|c| &c.class_name).collect::<Vec<_>>(), "loaded plugin");
                        self.plugins.push(Arc::new(plugin));
                    }
                    Err(e) => tracing::error!(error = %DisplayChain(&e), "skipping plugin"),
                }
            }
        }
    }

    /// The loaded plugins.
    pub fn plugins(&self) -> &[Arc<LoadedPlugin>] {
        &self.plugins
    }

    /// Finds the plugin and descriptor a `connector.class` value names: the
    /// class name, simple name, simple name without `Connector`, or an alias.
    pub fn resolve(&self, name: &str) -> Option<(Arc<LoadedPlugin>, ConnectorDescriptor)> {
        for plugin in &self.plugins {
            if let Some(d) = plugin.connectors.iter().find(|d| d.class_name == name) {
                return Some((plugin.clone(), d.clone()));
            }
        }
        self.plugins
            .iter()
            .flat_map(|p| p.connectors.iter().map(move |d| (p, d)))
            .find(|(_, d)| d.names().iter().any(|n| n == name))
            .map(|(p, d)| (p.clone(), d.clone()))
    }

    /// Compiles (or loads from cache) and describes one component.
    pub fn load(&self, origin: &str, bytes: &[u8]) -> Result<LoadedPlugin, LoadError> {
        // A component's preamble is `\0asm` then version 0x0d with layer 1.
        if bytes.len() < 8 || &bytes[0..4] != b"\0asm" || bytes[6..8] != [1, 0] {
            return Err(LoadError::NotAComponent { origin: origin.to_string() });
        }
        let component = self.compile(origin, bytes)?;
        let contract = contract_version(&self.engine, &component)
            .ok_or_else(|| LoadError::UnsupportedContract { origin: origin.into(), found: "none".into() })?;
        let contract = SUPPORTED_VERSIONS
            .iter()
            .find(|v| **v == contract)
            .copied()
            .ok_or_else(|| LoadError::UnsupportedContract { origin: origin.into(), found: contract.clone() })?;
        let instantiate_err = |source: CallError| LoadError::Instantiate { origin: origin.to_string(), source };
        let pre = self
            .linker
            .instantiate_pre(&component)
            .and_then(PluginPre::new)
            .map_err(|e| instantiate_err(CallError::from_link(e)))?;
        let mut plugin = LoadedPlugin { origin: origin.to_string(), contract, connectors: Vec::new(), pre };
        let mut instance = self
            .instantiate(
                &plugin,
                Arc::new(Grants::default()),
                Limits { memory_bytes: 256 << 20, cpu_per_call: Duration::from_secs(10) },
                HostServices::detached(origin),
            )
            .map_err(instantiate_err)?;
        plugin.connectors = instance.describe().map_err(instantiate_err)?;
        Ok(plugin)
    }

    fn compile(&self, origin: &str, bytes: &[u8]) -> Result<Component, LoadError> {
        let cache_file = self.cache_dir.as_ref().map(|dir| dir.join(format!("{}.cwasm", self.cache_key(bytes))));
        if let Some(file) = cache_file.as_ref().filter(|f| f.exists()) {
            // SAFETY: the file was written by `Component::serialize` of this
            // engine configuration (its name includes the engine's
            // compatibility hash) into a directory the worker owns.
            match unsafe { Component::deserialize_file(&self.engine, file) } {
                Ok(component) => {
                    self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(plugin = origin, cache = %file.display(), "compiled component loaded from cache");
                    return Ok(component);
                }
                Err(e) => tracing::warn!(plugin = origin, error = %e, "compile cache entry unusable; recompiling"),
            }
        }
        let component = Component::new(&self.engine, bytes)
            .map_err(|source| LoadError::Invalid { origin: origin.to_string(), source })?;
        self.stats.compiled.fetch_add(1, Ordering::Relaxed);
        if let Some(file) = cache_file {
            match component.serialize() {
                Ok(serialized) => {
                    let tmp = file.with_extension("tmp");
                    if let Err(e) = std::fs::write(&tmp, serialized).and_then(|_| std::fs::rename(&tmp, &file)) {
                        tracing::warn!(plugin = origin, error = %e, "cannot write the compile cache");
                    }
                }
                Err(e) => tracing::warn!(plugin = origin, error = %e, "cannot serialize the compiled component"),
            }
        }
        Ok(component)
    }

    fn cache_key(&self, bytes: &[u8]) -> String {
        let mut engine_hash = DefaultHasher::new();
        self.engine.precompile_compatibility_hash().hash(&mut engine_hash);
        let mut sha = Sha256::new();
        sha.update(bytes);
        sha.update(engine_hash.finish().to_le_bytes());
        sha.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect()
    }

    /// A fresh instance of `plugin` in its own store, bounded by `limits`
    /// and able to reach only `grants`.
    pub fn instantiate(
        &self,
        plugin: &LoadedPlugin,
        grants: Arc<Grants>,
        limits: Limits,
        services: HostServices,
    ) -> Result<Instance, CallError> {
        Instance::new(&self.engine, &plugin.pre, grants, limits, services)
    }
}

/// The contract version a component imports (`weir:connector/host@X.Y.Z`).
fn contract_version(engine: &Engine, component: &Component) -> Option<String> {
    component.component_type().imports(engine).find_map(|(name, _)| {
        name.strip_prefix("weir:connector/").and_then(|rest| rest.split_once('@')).map(|(_, v)| v.to_string())
    })
}

fn wasm_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        tracing::warn!(dir = %dir.display(), "plugin.path entry is not a readable directory");
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(wasm_files(&path));
        } else if path.extension().is_some_and(|e| e == "wasm") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Displays an error with its chain of sources.
pub struct DisplayChain<'a>(pub &'a dyn std::error::Error);

impl std::fmt::Display for DisplayChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}

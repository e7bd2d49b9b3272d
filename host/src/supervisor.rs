//! Connectors and their tasks: what the operator asked for (target state,
//! stored durably) and what is actually running (statuses, in memory).
//!
//! Every method is synchronous; the REST layer calls them on blocking
//! threads. Creating a connector validates it completely (framework keys
//! here, the connector's own keys by the plugin) and persists it before
//! anything starts, so a restart brings back exactly what was accepted.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::config::WorkerConfig;
use crate::convert::Converter;
use crate::plugin::{ConnectorDescriptor, ConnectorKind};
use crate::runtime::{DisplayChain, Grants, HostServices, Limits, LoadedPlugin, Runtime};
use crate::store::{OffsetEntry, StateStore, StoreError, StoredConnector, TargetState};
use crate::task::{self, RetryPolicy, State, Status, TaskControl, TaskSpec};

/// Errors with Kafka Connect's REST consequences.
#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    /// 404.
    #[error("Connector {0} not found")]
    NotFound(String),
    /// 409.
    #[error("Connector {0} already exists")]
    AlreadyExists(String),
    /// 400.
    #[error("{0}")]
    BadRequest(String),
    /// 500: the state store failed.
    #[error("state store failure")]
    Store(#[from] StoreError),
}

/// `GET /connectors/{c}`.
#[derive(Debug, Clone)]
pub struct ConnectorInfo {
    /// Name.
    pub name: String,
    /// Config as submitted.
    pub config: BTreeMap<String, String>,
    /// Task ids.
    pub tasks: Vec<u32>,
    /// `source`, `sink` or `unknown`.
    pub kind: &'static str,
}

/// `GET /connectors/{c}/status`.
#[derive(Debug, Clone)]
pub struct ConnectorStatus {
    /// Name.
    pub name: String,
    /// The connector's own status.
    pub connector: Status,
    /// Each task's status, by id.
    pub tasks: Vec<(u32, Status)>,
    /// `source`, `sink` or `unknown`.
    pub kind: &'static str,
    /// `host:port` of this worker.
    pub worker_id: String,
}

struct TaskHandle {
    id: u32,
    status: Arc<Mutex<Status>>,
    control: Arc<TaskControl>,
    thread: Option<JoinHandle<()>>,
}

struct Entry {
    config: BTreeMap<String, String>,
    target: TargetState,
    kind: Option<ConnectorKind>,
    status: Status,
    tasks: Vec<TaskHandle>,
}

/// Runs the connectors.
pub struct Supervisor {
    runtime: Arc<Runtime>,
    store: Arc<dyn StateStore>,
    worker: WorkerConfig,
    connectors: Mutex<BTreeMap<String, Entry>>,
}

/// Framework keys every connector accepts, validated by the host.
struct Framework {
    tasks_max: u32,
    retry: RetryPolicy,
    key_converter: Converter,
    value_converter: Converter,
    limits: Limits,
}

impl Supervisor {
    /// A supervisor with nothing running yet.
    pub fn new(runtime: Arc<Runtime>, store: Arc<dyn StateStore>, worker: WorkerConfig) -> Self {
        Self { runtime, store, worker, connectors: Mutex::new(BTreeMap::new()) }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<String, Entry>> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.connectors.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The runtime.
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// The state store.
    pub fn store(&self) -> &Arc<dyn StateStore> {
        &self.store
    }

    /// The worker's `host:port`.
    pub fn worker_id(&self) -> &str {
        &self.worker.worker_id
    }

    /// Starts every stored connector in its stored target state.
    pub fn restore(&self) -> Result<(), SupervisorError> {
        for stored in self.store.connectors()? {
            tracing::info!(connector = %stored.name, target = ?stored.target, "restoring connector");
            let mut entry = Entry {
                config: stored.config,
                target: stored.target,
                kind: None,
                status: Status::of(State::Unassigned),
                tasks: Vec::new(),
            };
            self.start(&stored.name, &mut entry);
            self.lock().insert(stored.name, entry);
        }
        Ok(())
    }

    /// Names of all connectors.
    pub fn names(&self) -> Vec<String> {
        self.lock().keys().cloned().collect()
    }

    /// Creates a connector, validating and persisting it before starting it.
    pub fn create(
        &self,
        name: &str,
        mut config: BTreeMap<String, String>,
        initial: TargetState,
    ) -> Result<ConnectorInfo, SupervisorError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(SupervisorError::BadRequest("Connector name is required and may not be empty".into()));
        }
        if name.chars().any(char::is_control) {
            return Err(SupervisorError::BadRequest(format!("Connector name {name:?} contains control characters")));
        }
        match config.get("name") {
            Some(n) if n != name => {
                return Err(SupervisorError::BadRequest(format!(
                    "Connector name configuration ({n}) doesn't match connector name in the URL ({name})"
                )));
            }
            Some(_) => {}
            None => {
                config.insert("name".into(), name.to_string());
            }
        }
        self.validate_for_create(&config)?;
        {
            let connectors = self.lock();
            if connectors.contains_key(name) {
                return Err(SupervisorError::AlreadyExists(name.to_string()));
            }
        }
        self.store.put_connector(&StoredConnector {
            name: name.to_string(),
            config: config.clone(),
            target: initial,
        })?;
        let mut entry =
            Entry { config, target: initial, kind: None, status: Status::of(State::Unassigned), tasks: Vec::new() };
        self.start(name, &mut entry);
        let info = info_of(name, &entry);
        self.lock().insert(name.to_string(), entry);
        Ok(info)
    }

    /// Validates a config as `POST /connectors` does: any error is a 400
    /// listing every error.
    fn validate_for_create(&self, config: &BTreeMap<String, String>) -> Result<(), SupervisorError> {
        let class = match config.get("connector.class").map(|c| c.trim()) {
            Some(c) if !c.is_empty() => c,
            _ => {
                let rendered: Vec<String> = config.iter().map(|(k, v)| format!("{k}={v}")).collect();
                return Err(SupervisorError::BadRequest(format!(
                    "Connector config {{{}}} contains no connector type",
                    rendered.join(", ")
                )));
            }
        };
        let (plugin, descriptor) = self.resolve(class)?;
        let mut errors = Vec::new();
        if let Err(e) = framework(config, &self.worker) {
            errors.extend(e);
        }
        match self.plugin_validate(&plugin, &descriptor, config) {
            Ok(values) => errors.extend(values.into_iter().flat_map(|v| v.errors)),
            Err(e) => errors.push(format!("the connector's validation failed: {e}")),
        }
        if errors.is_empty() {
            return Ok(());
        }
        Err(SupervisorError::BadRequest(format!(
            "Connector configuration is invalid and contains the following {} error(s):\n{}\nYou can also find the above list of errors at the endpoint `/connector-plugins/{{connectorType}}/config/validate`",
            errors.len(),
            errors.join("\n")
        )))
    }

    fn resolve(&self, class: &str) -> Result<(Arc<LoadedPlugin>, ConnectorDescriptor), SupervisorError> {
        self.runtime.resolve(class).ok_or_else(|| {
            let available: Vec<String> = self
                .runtime
                .plugins()
                .iter()
                .flat_map(|p| p.connectors.iter().map(|d| d.class_name.clone()))
                .collect();
            SupervisorError::BadRequest(format!(
                "Failed to find any class that implements Connector and which name matches {class}, available connectors are: {}",
                available.join(", ")
            ))
        })
    }

    fn plugin_validate(
        &self,
        plugin: &LoadedPlugin,
        descriptor: &ConnectorDescriptor,
        config: &BTreeMap<String, String>,
    ) -> Result<Vec<crate::plugin::ConfigValueInfo>, crate::runtime::CallError> {
        let grants = Arc::new(Grants::from_config(&descriptor.endpoints, config, &self.worker.allowed_endpoints));
        let limits = framework(config, &self.worker).map(|f| f.limits).unwrap_or(self.default_limits());
        let mut instance = self.runtime.instantiate(plugin, grants, limits, HostServices::detached("validate"))?;
        instance.validate(&descriptor.class_name, config)
    }

    fn default_limits(&self) -> Limits {
        Limits {
            memory_bytes: self.worker.memory_max_bytes,
            cpu_per_call: Duration::from_millis(self.worker.cpu_max_ms),
        }
    }

    /// Starts a connector per its target state: asks the plugin for task
    /// configs and starts the tasks. Failures land in the entry's status.
    fn start(&self, name: &str, entry: &mut Entry) {
        entry.tasks.clear();
        if entry.target == TargetState::Stopped {
            entry.status = Status::of(State::Stopped);
            return;
        }
        let class = entry.config.get("connector.class").cloned().unwrap_or_default();
        let (plugin, descriptor) = match self.resolve(&class) {
            Ok(found) => found,
            Err(e) => {
                entry.status = Status::failed(e.to_string());
                return;
            }
        };
        entry.kind = Some(descriptor.kind);
        let fw = match framework(&entry.config, &self.worker) {
            Ok(f) => f,
            Err(errors) => {
                entry.status = Status::failed(format!("invalid configuration: {}", errors.join("; ")));
                return;
            }
        };
        let grants =
            Arc::new(Grants::from_config(&descriptor.endpoints, &entry.config, &self.worker.allowed_endpoints));
        let task_configs = match self
            .runtime
            .instantiate(&plugin, grants.clone(), fw.limits, HostServices::detached(name))
            .and_then(|mut i| i.task_configs(&descriptor.class_name, &entry.config, fw.tasks_max))
        {
            Ok(Ok(configs)) => configs,
            Ok(Err(e)) => {
                entry.status = Status::failed(format!("the connector could not generate task configs: {e}"));
                return;
            }
            Err(e) => {
                entry.status = Status::failed(e.trace());
                return;
            }
        };
        let paused = entry.target == TargetState::Paused;
        entry.status = Status::of(if paused { State::Paused } else { State::Running });
        for (id, config) in task_configs.into_iter().take(fw.tasks_max as usize).enumerate() {
            let id = id as u32;
            let status = Arc::new(Mutex::new(Status::of(State::Unassigned)));
            let control = Arc::new(TaskControl::default());
            control.paused.store(paused, Ordering::SeqCst);
            // The task's own endpoints are what its config names.
            let grants = Arc::new(Grants::from_config(&descriptor.endpoints, &config, &self.worker.allowed_endpoints));
            let spec = TaskSpec {
                connector: name.to_string(),
                task_id: id,
                class: descriptor.class_name.clone(),
                plugin: plugin.clone(),
                config,
                grants,
                limits: fw.limits,
                key_converter: fw.key_converter,
                value_converter: fw.value_converter,
                retry: fw.retry,
                runtime: self.runtime.clone(),
                store: self.store.clone(),
            };
            let thread = match task::spawn(spec, status.clone(), control.clone()) {
                Ok(t) => Some(t),
                Err(e) => {
                    if let Ok(mut s) = status.lock() {
                        *s = Status::failed(format!("cannot start the task's thread: {e}"));
                    }
                    None
                }
            };
            entry.tasks.push(TaskHandle { id, status, control, thread });
        }
    }

    /// Connector info.
    pub fn info(&self, name: &str) -> Result<ConnectorInfo, SupervisorError> {
        let connectors = self.lock();
        let entry = connectors.get(name).ok_or_else(|| SupervisorError::NotFound(name.to_string()))?;
        Ok(info_of(name, entry))
    }

    /// Connector status with its tasks.
    pub fn status(&self, name: &str) -> Result<ConnectorStatus, SupervisorError> {
        let connectors = self.lock();
        let entry = connectors.get(name).ok_or_else(|| SupervisorError::NotFound(name.to_string()))?;
        let tasks = entry
            .tasks
            .iter()
            .map(|t| (t.id, t.status.lock().map(|s| s.clone()).unwrap_or_else(|p| p.into_inner().clone())))
            .collect();
        Ok(ConnectorStatus {
            name: name.to_string(),
            connector: entry.status.clone(),
            tasks,
            kind: kind_str(entry.kind),
            worker_id: self.worker.worker_id.clone(),
        })
    }

    /// Committed offsets of a connector.
    pub fn offsets(&self, name: &str) -> Result<Vec<OffsetEntry>, SupervisorError> {
        if !self.lock().contains_key(name) {
            return Err(SupervisorError::NotFound(name.to_string()));
        }
        Ok(self.store.offsets(name)?)
    }

    /// Deletes a connector: its config goes, its tasks stop; its offsets
    /// stay, as in Kafka Connect, so re-creating it resumes.
    pub fn delete(&self, name: &str) -> Result<(), SupervisorError> {
        let entry = self.lock().remove(name).ok_or_else(|| SupervisorError::NotFound(name.to_string()))?;
        self.store.delete_connector(name)?;
        stop_tasks(entry.tasks, Duration::from_secs(0));
        Ok(())
    }

    /// Stops every task, waiting up to `grace` for them to close.
    pub fn shutdown(&self, grace: Duration) {
        let tasks: Vec<TaskHandle> = self.lock().values_mut().flat_map(|e| e.tasks.drain(..)).collect();
        stop_tasks(tasks, grace);
    }
}

/// Signals tasks to stop and waits up to `grace` for their threads; a task
/// stuck inside a call is left to the CPU bound and detached.
fn stop_tasks(tasks: Vec<TaskHandle>, grace: Duration) {
    for t in &tasks {
        t.control.stop.store(true, Ordering::SeqCst);
    }
    let deadline = Instant::now() + grace;
    for mut t in tasks {
        while !t.control.finished.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        if t.control.finished.load(Ordering::SeqCst)
            && let Some(thread) = t.thread.take()
        {
            let _ = thread.join();
        }
    }
}

fn kind_str(kind: Option<ConnectorKind>) -> &'static str {
    kind.map_or("unknown", ConnectorKind::as_str)
}

fn info_of(name: &str, entry: &Entry) -> ConnectorInfo {
    ConnectorInfo {
        name: name.to_string(),
        config: entry.config.clone(),
        tasks: entry.tasks.iter().map(|t| t.id).collect(),
        kind: kind_str(entry.kind),
    }
}

/// Parses and checks the framework keys, in Kafka Connect's wording.
fn framework(config: &BTreeMap<String, String>, worker: &WorkerConfig) -> Result<Framework, Vec<String>> {
    let mut errors = Vec::new();
    let invalid = |key: &str, value: &str, why: &str| format!("Invalid value {value} for configuration {key}: {why}");
    let mut long = |key: &str, default: i64, min: i64| -> i64 {
        match config.get(key).map(|v| v.trim()) {
            None => default,
            Some(v) => match v.parse::<i64>() {
                Ok(n) if n >= min => n,
                Ok(_) => {
                    errors.push(invalid(key, v, &format!("Value must be at least {min}")));
                    default
                }
                Err(_) => {
                    errors.push(invalid(key, v, "Not a number of type LONG"));
                    default
                }
            },
        }
    };
    let tasks_max = long("tasks.max", 1, 1).min(i64::from(u32::MAX)) as u32;
    let retry = RetryPolicy {
        timeout_ms: long("errors.retry.timeout", 0, -1),
        max_delay_ms: long("errors.retry.delay.max.ms", 60_000, 0) as u64,
    };
    let memory = long("weir.sandbox.memory.max.bytes", worker.memory_max_bytes as i64, 1 << 20) as u64;
    let cpu = long("weir.sandbox.cpu.max.ms", worker.cpu_max_ms as i64, 1) as u64;
    let mut converter = |prefix: &str, class_default: &str, schemas_default: bool| -> Converter {
        let class = config.get(&format!("{prefix}.converter")).map_or(class_default, |s| s.as_str());
        let schemas =
            match config.get(&format!("{prefix}.converter.schemas.enable")).map(|s| s.trim().to_ascii_lowercase()) {
                None => schemas_default,
                Some(v) if v == "true" => true,
                Some(v) if v == "false" => false,
                Some(v) => {
                    errors.push(invalid(
                        &format!("{prefix}.converter.schemas.enable"),
                        &v,
                        "Expected value to be either true or false",
                    ));
                    schemas_default
                }
            };
        match Converter::from_class(class, schemas) {
            Ok(c) => c,
            Err(e) => {
                errors.push(invalid(
                    &format!("{prefix}.converter"),
                    class,
                    &format!("Class {class} could not be found ({e})"),
                ));
                Converter::Json { schemas }
            }
        }
    };
    let key_converter = converter("key", &worker.key_converter, worker.key_schemas_enable);
    let value_converter = converter("value", &worker.value_converter, worker.value_schemas_enable);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Framework {
        tasks_max,
        retry,
        key_converter,
        value_converter,
        limits: Limits { memory_bytes: memory, cpu_per_call: Duration::from_millis(cpu) },
    })
}

/// Logs an error with its sources (for callers outside the REST path).
pub fn log_error(context: &str, err: &dyn std::error::Error) {
    tracing::error!(error = %DisplayChain(err), "{context}");
}

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
use crate::framework::ConfigInfos;
use crate::plugin::{ConnectorDescriptor, ConnectorKind};
use crate::runtime::{DisplayChain, Grants, HostServices, Limits, LoadedPlugin, Runtime};
use crate::sink::{Delivery, KafkaSettings, TopicCreation, producer_settings};
use crate::store::{OffsetEntry, StateStore, StoreError, StoredConnector, TargetState};
use crate::task::{self, ErrorPolicy, RetryPolicy, State, Status, TaskControl, TaskSpec};
use crate::transforms::Chain;

/// Errors with Kafka Connect's REST consequences.
#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    /// 404.
    #[error("Connector {0} not found")]
    NotFound(String),
    /// 404 with another message (Kafka Connect words its 404s per endpoint).
    #[error("{0}")]
    Missing(String),
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

/// A task's configuration.
pub type TaskConfig = BTreeMap<String, String>;

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
    /// The task configs the connector generated (kept while STOPPED is not).
    task_configs: Vec<BTreeMap<String, String>>,
    /// What starting a task needs, once the connector has started.
    runner: Option<Runner>,
}

impl Entry {
    fn new(config: BTreeMap<String, String>, target: TargetState) -> Self {
        Self {
            config,
            target,
            kind: None,
            status: Status::of(State::Unassigned),
            tasks: Vec::new(),
            task_configs: Vec::new(),
            runner: None,
        }
    }
}

/// The resolved plugin and framework settings of a started connector.
#[derive(Clone)]
struct Runner {
    plugin: Arc<LoadedPlugin>,
    descriptor: ConnectorDescriptor,
    fw: Framework,
}

/// Runs the connectors.
pub struct Supervisor {
    runtime: Arc<Runtime>,
    store: Arc<dyn StateStore>,
    worker: WorkerConfig,
    connectors: Mutex<BTreeMap<String, Entry>>,
    /// Serialises creates and deletes, so two creates of one name cannot
    /// both pass the existence check.
    changes: Mutex<()>,
}

/// Framework keys every connector accepts, validated by the host.
#[derive(Clone)]
struct Framework {
    tasks_max: u32,
    retry: RetryPolicy,
    errors: ErrorPolicy,
    key_converter: Converter,
    value_converter: Converter,
    limits: Limits,
    delivery: Delivery,
    /// The resolved connector config (its transforms and predicates).
    config: Arc<BTreeMap<String, String>>,
}

impl Supervisor {
    /// A supervisor with nothing running yet.
    pub fn new(runtime: Arc<Runtime>, store: Arc<dyn StateStore>, worker: WorkerConfig) -> Self {
        Self { runtime, store, worker, connectors: Mutex::new(BTreeMap::new()), changes: Mutex::new(()) }
    }

    /// The entry for `name`, or the 404 Kafka Connect words as
    /// "Unknown connector X" (pause, resume, stop).
    fn known<'a>(connectors: &'a mut BTreeMap<String, Entry>, name: &str) -> Result<&'a mut Entry, SupervisorError> {
        connectors.get_mut(name).ok_or_else(|| SupervisorError::Missing(format!("Unknown connector {name}")))
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
            let mut entry = Entry::new(stored.config, stored.target);
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
        if name.contains('/') {
            return Err(SupervisorError::BadRequest(format!(
                "Connector name {name} contains '/', which cannot be used in the REST paths that name it"
            )));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(SupervisorError::BadRequest(format!(
                "Connector name is longer than {MAX_NAME_CHARS} characters"
            )));
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
        let _changes = self.changes.lock().unwrap_or_else(|p| p.into_inner());
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
        let mut entry = Entry::new(config, initial);
        self.start(name, &mut entry);
        let info = info_of(name, &entry);
        self.lock().insert(name.to_string(), entry);
        Ok(info)
    }

    /// Validates a config as `POST /connectors` does: any error is a 400
    /// listing every error.
    fn validate_for_create(&self, config: &BTreeMap<String, String>) -> Result<(), SupervisorError> {
        let infos = self.validate(config)?;
        if infos.error_count == 0 {
            return Ok(());
        }
        let errors = infos.errors();
        Err(SupervisorError::BadRequest(format!(
            "Connector configuration is invalid and contains the following {} error(s):\n{}\nYou can also find the above list of errors at the endpoint `/connector-plugins/{{connectorType}}/config/validate`",
            errors.len(),
            errors.join("\n")
        )))
    }

    /// `PUT /connector-plugins/{p}/config/validate`: the body's
    /// `connector.class` must match `{p}` (Kafka Connect's suffix rule).
    pub fn validate_for_plugin(
        &self,
        plugin: &str,
        config: &BTreeMap<String, String>,
    ) -> Result<ConfigInfos, SupervisorError> {
        if let Some(class) = config.get("connector.class") {
            fn normalize(s: &str) -> &str {
                match s.strip_suffix("Connector") {
                    Some(rest) if !rest.is_empty() => rest,
                    _ => s,
                }
            }
            if !normalize(class).ends_with(normalize(plugin)) {
                return Err(SupervisorError::BadRequest(format!(
                    "Included connector type {class} does not match request type {plugin}"
                )));
            }
        }
        self.validate(config)
    }

    /// Validates a whole config: the framework keys here, the connector's
    /// own keys by the plugin (which may connect to what the config names).
    pub fn validate(&self, config: &BTreeMap<String, String>) -> Result<ConfigInfos, SupervisorError> {
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
        let raw = config;
        let resolved = self.worker.providers.resolve(raw).map_err(|e| SupervisorError::BadRequest(e.to_string()))?;
        let config = &resolved;
        let values = match self.plugin_validate(&plugin, &descriptor, config) {
            Ok(values) => values,
            Err(e) => vec![crate::plugin::ConfigValueInfo {
                name: "connector.class".into(),
                value: Some(class.to_string()),
                recommended_values: Vec::new(),
                errors: vec![format!("the connector's validation failed: {}", e.trace())],
                visible: true,
            }],
        };
        let mut infos = crate::framework::validate(class, descriptor.kind, config, &descriptor.config_keys, values);
        if let Err(problems) = delivery(config, &self.worker, &ErrorPolicy::default()) {
            crate::framework::add_problems(&mut infos, problems);
        }
        // Report placeholders, never what they resolve to.
        for c in &mut infos.configs {
            if let Some(raw_value) = raw.get(&c.value.name).filter(|v| v.contains("${"))
                && c.value.value.is_some()
                && c.value.value.as_deref() != Some("[hidden]")
            {
                c.value.value = Some(raw_value.clone());
            }
        }
        Ok(infos)
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

    /// Resolves the plugin and asks it for task configs (shown and kept
    /// with their placeholders). An error is the connector's FAILED status.
    fn generate(&self, name: &str, config: &BTreeMap<String, String>) -> Result<(Runner, Vec<TaskConfig>), Status> {
        let class = config.get("connector.class").map_or("", String::as_str);
        let (plugin, descriptor) = self.resolve(class).map_err(|e| Status::failed(e.to_string()))?;
        let resolved =
            self.worker.providers.resolve(config).map_err(|e| {
                Status::failed(format!("resolving the config's placeholders failed: {}", DisplayChain(&e)))
            })?;
        let fw = framework(&resolved, &self.worker)
            .map_err(|errors| Status::failed(format!("invalid configuration: {}", errors.join("; "))))?;
        let grants = Arc::new(Grants::from_config(&descriptor.endpoints, &resolved, &self.worker.allowed_endpoints));
        let services = HostServices { class: descriptor.class_name.clone(), ..HostServices::detached(name) };
        let mut configs = match self
            .runtime
            .instantiate(&plugin, grants, fw.limits, services)
            .and_then(|mut i| i.task_configs(&descriptor.class_name, &resolved, fw.tasks_max))
        {
            Ok(Ok(configs)) => configs,
            Ok(Err(e)) => return Err(Status::failed(format!("the connector could not generate task configs: {e}"))),
            Err(e) => return Err(Status::failed(e.trace())),
        };
        configs.truncate(fw.tasks_max as usize);
        for task in &mut configs {
            self.worker.providers.unresolve(config, &resolved, task);
        }
        Ok((Runner { plugin, descriptor, fw }, configs))
    }

    /// Starts a connector per its target state: asks the plugin for task
    /// configs and starts the tasks. Failures land in the entry's status.
    fn start(&self, name: &str, entry: &mut Entry) {
        entry.tasks.clear();
        entry.task_configs.clear();
        if entry.target == TargetState::Stopped {
            entry.status = Status::of(State::Stopped);
            return;
        }
        let (runner, task_configs) = match self.generate(name, &entry.config) {
            Ok(generated) => generated,
            Err(status) => {
                let class = entry.config.get("connector.class").map_or("", String::as_str);
                entry.kind = self.runtime.resolve(class).map(|(_, d)| d.kind);
                entry.status = status;
                return;
            }
        };
        entry.kind = Some(runner.descriptor.kind);
        let paused = entry.target == TargetState::Paused;
        entry.status = Status::of(if paused { State::Paused } else { State::Running });
        for (id, config) in task_configs.iter().enumerate() {
            entry.tasks.push(self.spawn_task(name, &runner, id as u32, config.clone(), paused));
        }
        entry.task_configs = task_configs;
        entry.runner = Some(runner);
    }

    fn spawn_task(
        &self,
        name: &str,
        runner: &Runner,
        id: u32,
        config: BTreeMap<String, String>,
        paused: bool,
    ) -> TaskHandle {
        let status = Arc::new(Mutex::new(Status::of(State::Unassigned)));
        let control = Arc::new(TaskControl::default());
        control.paused.store(paused, Ordering::SeqCst);
        let config = match self.worker.providers.resolve(&config) {
            Ok(c) => c,
            Err(e) => {
                control.finished.store(true, Ordering::SeqCst);
                let failed =
                    Status::failed(format!("resolving the task config's placeholders failed: {}", DisplayChain(&e)));
                return TaskHandle { id, status: Arc::new(Mutex::new(failed)), control, thread: None };
            }
        };
        // The task's own endpoints are what its config names.
        let grants =
            Arc::new(Grants::from_config(&runner.descriptor.endpoints, &config, &self.worker.allowed_endpoints));
        let spec = TaskSpec {
            connector: name.to_string(),
            task_id: id,
            class: runner.descriptor.class_name.clone(),
            plugin: runner.plugin.clone(),
            config,
            grants,
            limits: runner.fw.limits,
            key_converter: runner.fw.key_converter,
            value_converter: runner.fw.value_converter,
            retry: runner.fw.retry,
            errors: runner.fw.errors,
            connector_config: runner.fw.config.clone(),
            delivery: runner.fw.delivery.clone(),
            flush_timeout: Duration::from_millis(self.worker.offset_flush_timeout_ms),
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
        TaskHandle { id, status, control, thread }
    }

    /// Takes a connector's tasks out, stops them and waits for them to
    /// close, so a restarted task never overlaps the one it replaces.
    fn take_and_stop_tasks(&self, name: &str, ids: Option<&[u32]>) -> Result<(), SupervisorError> {
        let taken: Vec<TaskHandle> = {
            let mut connectors = self.lock();
            let entry = connectors.get_mut(name).ok_or_else(|| SupervisorError::NotFound(name.to_string()))?;
            match ids {
                None => entry.tasks.drain(..).collect(),
                Some(ids) => {
                    let (out, keep): (Vec<TaskHandle>, Vec<TaskHandle>) =
                        entry.tasks.drain(..).partition(|t| ids.contains(&t.id));
                    entry.tasks = keep;
                    out
                }
            }
        };
        stop_tasks(taken, TASK_STOP_GRACE);
        Ok(())
    }

    /// `PUT /connectors/{c}/pause`: tasks stop polling; FAILED tasks stay FAILED.
    pub fn pause(&self, name: &str) -> Result<(), SupervisorError> {
        let _changes = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        let mut connectors = self.lock();
        let entry = Self::known(&mut connectors, name)?;
        if entry.target == TargetState::Paused {
            return Ok(());
        }
        self.store.set_target_state(name, TargetState::Paused)?;
        entry.target = TargetState::Paused;
        if entry.status.state != State::Failed {
            entry.status = Status::of(State::Paused);
        }
        for t in &entry.tasks {
            t.control.paused.store(true, Ordering::SeqCst);
        }
        Ok(())
    }

    /// `PUT /connectors/{c}/resume`: from PAUSED or STOPPED to RUNNING.
    pub fn resume(&self, name: &str) -> Result<(), SupervisorError> {
        let _changes = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        let mut connectors = self.lock();
        let entry = Self::known(&mut connectors, name)?;
        let previous = entry.target;
        if previous == TargetState::Running {
            return Ok(());
        }
        self.store.set_target_state(name, TargetState::Running)?;
        entry.target = TargetState::Running;
        if previous == TargetState::Stopped || entry.runner.is_none() {
            self.start(name, entry);
        } else {
            if entry.status.state == State::Paused {
                entry.status = Status::of(State::Running);
            }
            for t in &entry.tasks {
                t.control.paused.store(false, Ordering::SeqCst);
            }
        }
        Ok(())
    }

    /// `PUT /connectors/{c}/stop`: tasks shut down and disappear.
    pub fn stop(&self, name: &str) -> Result<(), SupervisorError> {
        let _changes = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        {
            let mut connectors = self.lock();
            let entry = Self::known(&mut connectors, name)?;
            self.store.set_target_state(name, TargetState::Stopped)?;
            entry.target = TargetState::Stopped;
        }
        self.take_and_stop_tasks(name, None)?;
        let mut connectors = self.lock();
        if let Some(entry) = connectors.get_mut(name) {
            entry.task_configs.clear();
            entry.status = Status::of(State::Stopped);
        }
        Ok(())
    }

    /// `POST /connectors/{c}/restart`. Without `include_tasks` and
    /// `only_failed` it restarts the connector alone and returns `None`;
    /// otherwise it returns the status with what is restarting shown as
    /// RESTARTING, as Kafka Connect's 202 body does.
    pub fn restart(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<Option<ConnectorStatus>, SupervisorError> {
        let _changes = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        let plain = !include_tasks && !only_failed;
        let mut snapshot =
            self.status(name).map_err(|_| SupervisorError::Missing(format!("Unknown connector: {name}")))?;
        let restart_connector = !only_failed || snapshot.connector.state == State::Failed;
        let task_ids: Vec<u32> = snapshot
            .tasks
            .iter()
            .filter(|(_, s)| include_tasks && (!only_failed || s.state == State::Failed))
            .map(|(id, _)| *id)
            .collect();
        if restart_connector {
            snapshot.connector = Status::of(State::Restarting);
        }
        for (id, s) in &mut snapshot.tasks {
            if task_ids.contains(id) {
                *s = Status::of(State::Restarting);
            }
        }
        let target = self.lock().get(name).map(|e| e.target);
        if target == Some(TargetState::Stopped) {
            // A stopped connector has nothing to restart.
            return Ok(if plain { None } else { Some(snapshot) });
        }
        if restart_connector {
            self.restart_connector(name)?;
        }
        if !task_ids.is_empty() {
            self.restart_tasks(name, &task_ids)?;
        }
        Ok(if plain { None } else { Some(snapshot) })
    }

    /// Re-runs the connector: new task configs restart the tasks; a failed
    /// connector gets another chance.
    fn restart_connector(&self, name: &str) -> Result<(), SupervisorError> {
        let (healthy, config, old_configs) = {
            let connectors = self.lock();
            let entry = connectors.get(name).ok_or_else(|| SupervisorError::NotFound(name.to_string()))?;
            (
                entry.status.state != State::Failed && entry.runner.is_some(),
                entry.config.clone(),
                entry.task_configs.clone(),
            )
        };
        // Unchanged task configs leave the running tasks alone.
        if healthy && self.generate(name, &config).is_ok_and(|(_, configs)| configs == old_configs) {
            return Ok(());
        }
        self.take_and_stop_tasks(name, None)?;
        let mut connectors = self.lock();
        if let Some(entry) = connectors.get_mut(name) {
            self.start(name, entry);
        }
        Ok(())
    }

    fn restart_tasks(&self, name: &str, ids: &[u32]) -> Result<(), SupervisorError> {
        self.take_and_stop_tasks(name, Some(ids))?;
        let mut connectors = self.lock();
        let entry = connectors.get_mut(name).ok_or_else(|| SupervisorError::NotFound(name.to_string()))?;
        let Some(runner) = entry.runner.clone() else { return Ok(()) };
        let paused = entry.target == TargetState::Paused;
        for id in ids {
            if let Some(config) = entry.task_configs.get(*id as usize).cloned() {
                let handle = self.spawn_task(name, &runner, *id, config, paused);
                entry.tasks.push(handle);
            }
        }
        entry.tasks.sort_by_key(|t| t.id);
        Ok(())
    }

    /// `POST /connectors/{c}/tasks/{t}/restart`.
    pub fn restart_task(&self, name: &str, id: u32) -> Result<(), SupervisorError> {
        let _changes = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        {
            let connectors = self.lock();
            let entry = connectors.get(name).ok_or_else(|| SupervisorError::NotFound(name.to_string()))?;
            if !entry.tasks.iter().any(|t| t.id == id) {
                return Err(SupervisorError::Missing(format!("Task {name}-{id} not found")));
            }
        }
        self.restart_tasks(name, &[id])
    }

    /// `PUT /connectors/{c}/config`: creates (`true`) or replaces the config
    /// and restarts the connector with it, keeping its target state.
    pub fn put_config(
        &self,
        name: &str,
        mut config: BTreeMap<String, String>,
    ) -> Result<(bool, ConnectorInfo), SupervisorError> {
        if !self.lock().contains_key(name) {
            return self.create(name, config, TargetState::Running).map(|info| (true, info));
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
        self.replace_config(name, config).map(|info| (false, info))
    }

    /// `PATCH /connectors/{c}/config`: merges; a `None` value removes the key.
    pub fn patch_config(
        &self,
        name: &str,
        patch: BTreeMap<String, Option<String>>,
    ) -> Result<ConnectorInfo, SupervisorError> {
        let mut config = {
            let connectors = self.lock();
            connectors.get(name).ok_or_else(|| SupervisorError::NotFound(name.to_string()))?.config.clone()
        };
        for (k, v) in patch {
            match v {
                Some(v) => config.insert(k, v),
                None => config.remove(&k),
            };
        }
        self.replace_config(name, config)
    }

    fn replace_config(&self, name: &str, config: BTreeMap<String, String>) -> Result<ConnectorInfo, SupervisorError> {
        let _changes = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        self.validate_for_create(&config)?;
        let target =
            self.lock().get(name).map(|e| e.target).ok_or_else(|| SupervisorError::NotFound(name.to_string()))?;
        self.store.put_connector(&StoredConnector { name: name.to_string(), config: config.clone(), target })?;
        self.take_and_stop_tasks(name, None)?;
        let mut connectors = self.lock();
        let entry = connectors.get_mut(name).ok_or_else(|| SupervisorError::NotFound(name.to_string()))?;
        entry.config = config;
        self.start(name, entry);
        Ok(info_of(name, entry))
    }

    /// `GET /connectors/{c}/tasks`: each task's id and config.
    pub fn tasks(&self, name: &str) -> Result<Vec<(u32, TaskConfig)>, SupervisorError> {
        let connectors = self.lock();
        let entry = connectors.get(name).ok_or_else(|| SupervisorError::NotFound(name.to_string()))?;
        if entry.target == TargetState::Stopped {
            return Ok(Vec::new());
        }
        Ok(entry.task_configs.iter().cloned().enumerate().map(|(i, c)| (i as u32, c)).collect())
    }

    /// `GET /connectors/{c}/tasks/{t}/status`.
    pub fn task_status(&self, name: &str, id: u32) -> Result<Status, SupervisorError> {
        let missing = || SupervisorError::Missing(format!("No status found for task {name}-{id}"));
        let status = self.status(name).map_err(|_| missing())?;
        status.tasks.into_iter().find(|(t, _)| *t == id).map(|(_, s)| s).ok_or_else(missing)
    }

    fn require_stopped(&self, name: &str) -> Result<(), SupervisorError> {
        let connectors = self.lock();
        let entry = connectors.get(name).ok_or_else(|| SupervisorError::NotFound(name.to_string()))?;
        if entry.target != TargetState::Stopped || !entry.tasks.is_empty() {
            return Err(SupervisorError::BadRequest(format!(
                "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint"
            )));
        }
        Ok(())
    }

    /// `PATCH /connectors/{c}/offsets`: what the connector resumes from.
    pub fn alter_offsets(&self, name: &str, entries: &[(String, Option<String>)]) -> Result<(), SupervisorError> {
        let _changes = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        self.require_stopped(name)?;
        self.store.alter_offsets(name, entries)?;
        Ok(())
    }

    /// `DELETE /connectors/{c}/offsets`: offsets and private plugin state go,
    /// so the next start begins afresh.
    pub fn reset_offsets(&self, name: &str) -> Result<(), SupervisorError> {
        let _changes = self.changes.lock().unwrap_or_else(|p| p.into_inner());
        self.require_stopped(name)?;
        self.store.reset_connector_state(name)?;
        Ok(())
    }

    /// `GET /connectors/{c}/topics`.
    pub fn topics(&self, name: &str) -> Result<Vec<String>, SupervisorError> {
        Ok(self.store.active_topics(name)?)
    }

    /// `PUT /connectors/{c}/topics/reset`.
    pub fn reset_topics(&self, name: &str) -> Result<(), SupervisorError> {
        Ok(self.store.reset_active_topics(name)?)
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
        let _changes = self.changes.lock().unwrap_or_else(|p| p.into_inner());
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

/// The longest connector name accepted.
const MAX_NAME_CHARS: usize = 249;

/// How long a restart waits for the task it replaces to close.
const TASK_STOP_GRACE: Duration = Duration::from_secs(15);

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
    // Connector keys; the worker's own defaults (`*.converter.schemas.enable`) come parsed in `worker`.
    let mut flag = |key: &str, default: bool| -> bool {
        match config.get(key).map(|v| v.trim().to_ascii_lowercase()) {
            None => default,
            Some(v) if v == "true" => true,
            Some(v) if v == "false" => false,
            Some(v) => {
                errors.push(invalid(key, &v, "Expected value to be either true or false"));
                default
            }
        }
    };
    let key_schemas = flag("key.converter.schemas.enable", worker.key_schemas_enable);
    let value_schemas = flag("value.converter.schemas.enable", worker.value_schemas_enable);
    let error_policy = ErrorPolicy {
        tolerate_all: config.get("errors.tolerance").is_some_and(|v| v.trim().eq_ignore_ascii_case("all")),
        log: flag("errors.log.enable", false),
        include_messages: flag("errors.log.include.messages", false),
    };
    let mut converter = |prefix: &str, class_default: &str, schemas: bool| -> Converter {
        let class = config.get(&format!("{prefix}.converter")).map_or(class_default, |s| s.as_str());
        let format_key = format!("{prefix}.converter.decimal.format");
        let numeric = match config.get(&format_key).or_else(|| worker.props.get(&format_key)).map(|v| v.trim()) {
            None => false,
            Some(v) if v.eq_ignore_ascii_case("BASE64") => false,
            Some(v) if v.eq_ignore_ascii_case("NUMERIC") => true,
            Some(v) => {
                errors.push(invalid(&format_key, v, "String must be one of: BASE64, NUMERIC"));
                false
            }
        };
        match Converter::from_class(class, schemas) {
            Ok(Converter::Json { schemas, .. }) => Converter::Json { schemas, numeric_decimals: numeric },
            Ok(c) => c,
            Err(e) => {
                errors.push(invalid(
                    &format!("{prefix}.converter"),
                    class,
                    &format!("Class {class} could not be found ({e})"),
                ));
                Converter::json(schemas)
            }
        }
    };
    let key_converter = converter("key", &worker.key_converter, key_schemas);
    let value_converter = converter("value", &worker.value_converter, value_schemas);
    if let Err(problems) = Chain::from_config(config) {
        errors.extend(problems.into_iter().map(|p| p.message));
    }
    let delivery = match delivery(config, worker, &error_policy) {
        Ok(d) => d,
        Err(problems) => {
            errors.extend(problems.into_iter().map(|(_, message)| message));
            Delivery::Embedded
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Framework {
        tasks_max,
        retry,
        errors: error_policy,
        key_converter,
        value_converter,
        limits: Limits { memory_bytes: memory, cpu_per_call: Duration::from_millis(cpu) },
        delivery,
        config: Arc::new(config.clone()),
    })
}

/// Where a connector's records go: Kafka when the worker has
/// `bootstrap.servers`, else the embedded log. Problems are `(key, message)`.
fn delivery(
    config: &BTreeMap<String, String>,
    worker: &WorkerConfig,
    errors: &ErrorPolicy,
) -> Result<Delivery, Vec<(String, String)>> {
    let mut problems = worker.override_policy.violations(config);
    let topic_creation = match TopicCreation::from_config(config, worker.topic_creation_enable) {
        Ok(t) => t,
        Err(e) => {
            problems.extend(e);
            None
        }
    };
    if worker.discard_records {
        return if problems.is_empty() { Ok(Delivery::Discard) } else { Err(problems) };
    }
    if worker.bootstrap_servers.is_none() {
        return if problems.is_empty() { Ok(Delivery::Embedded) } else { Err(problems) };
    }
    let producer = producer_settings(&worker.props, config, worker.override_policy)
        .map_err(|e| vec![("producer.override".to_string(), e.to_string())]);
    let admin = crate::sink::admin_settings(&worker.props).map_err(|e| vec![("admin".to_string(), e.to_string())]);
    match (producer, admin) {
        (Ok(producer), Ok(admin)) if problems.is_empty() => Ok(Delivery::Kafka(KafkaSettings {
            producer,
            admin,
            topic_creation,
            flush_interval: Duration::from_millis(worker.offset_flush_interval_ms),
            tolerate_errors: errors.tolerate_all,
        })),
        (p, a) => {
            problems.extend(p.err().into_iter().flatten());
            problems.extend(a.err().into_iter().flatten());
            Err(problems)
        }
    }
}

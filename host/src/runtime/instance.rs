//! One plugin instance in its own store, and every call into it bounded and
//! classified: a trap, a limit, a sandbox violation or malformed data is a
//! [`CallError`]; the connector's own errors come back as values.

use std::collections::BTreeMap;
use std::sync::Arc;

use wasmtime::component::ResourceAny;
use wasmtime::{Engine, Store, UpdateDeadline};

use super::bindings::since_v0_1_0::weir::connector::types as wit;
use super::bindings::since_v0_1_0::{Plugin as Bindings, PluginPre};
use super::bindings::{self, MalformedData, PolledBatch, SchemaTable};
use super::host_impl::HostServices;
use super::sandbox::{Grants, Limits, StoreState, thread_cpu_time};
use crate::plugin::{ConfigValueInfo, ConnectorDescriptor, ConnectorError};
use crate::record::OutputFormat;
use crate::store::OffsetEntry;

/// A call into a plugin that did not return normally. Every variant fails
/// the task it belongs to; [`CallError::trace`] is what the status shows.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The guest trapped (a panic, `unreachable`, a host import refusing).
    #[error("the plugin trapped in {call}: {message}")]
    Trap {
        /// The call.
        call: String,
        /// The trap with its wasm backtrace.
        message: String,
        /// The guest's last stderr output (a panic message).
        stderr: String,
    },
    /// The CPU bound was hit.
    #[error("{0}")]
    CpuLimit(String),
    /// The memory limit was hit.
    #[error("{0}")]
    MemoryLimit(String),
    /// The guest tried to reach something it is not granted.
    #[error("{0}")]
    Sandbox(String),
    /// The guest returned data that does not decode.
    #[error(transparent)]
    Malformed(#[from] MalformedData),
    /// The instance trapped earlier and cannot be used.
    #[error("the plugin instance is unusable after an earlier failure")]
    Poisoned,
    /// Linking or instantiating failed.
    #[error("cannot instantiate the plugin: {0}")]
    Link(String),
}

impl CallError {
    pub(super) fn from_link(err: wasmtime::Error) -> Self {
        Self::Link(format!("{err:?}"))
    }

    /// The trace a task status shows: what happened and what to do.
    pub fn trace(&self) -> String {
        match self {
            Self::Trap { call, message, stderr } if !stderr.trim().is_empty() => {
                format!("the plugin trapped in {call}\nplugin stderr:\n{}\n{message}", stderr.trim_end())
            }
            other => other.to_string(),
        }
    }
}

/// A source task inside an instance.
#[derive(Clone, Copy)]
pub struct TaskRef(ResourceAny);

/// One instance: its store and bindings.
pub struct Instance {
    store: Store<StoreState>,
    bindings: Bindings,
    schemas: Arc<SchemaTable>,
    /// What `open-task` asked of the records.
    output: OutputFormat,
    poisoned: bool,
}

impl Instance {
    pub(super) fn new(
        engine: &Engine,
        pre: &PluginPre<StoreState>,
        grants: Arc<Grants>,
        limits: Limits,
        services: HostServices,
    ) -> Result<Self, CallError> {
        let mut store = Store::new(engine, StoreState::new(grants, limits, services));
        store.limiter(|s| &mut s.limiter);
        store.epoch_deadline_callback(|mut ctx| {
            let state = ctx.data_mut();
            let used = thread_cpu_time().saturating_sub(state.call_started_cpu);
            if used > state.cpu_budget {
                let message = format!(
                    "CPU limit exceeded: the plugin ran for {} ms of CPU time in one call; its limit is {} ms \
                     (set weir.sandbox.cpu.max.ms on the connector to change it)",
                    used.as_millis(),
                    state.cpu_budget.as_millis()
                );
                state.limit_hit = Some(message.clone());
                return Err(wasmtime::format_err!("{message}"));
            }
            Ok(UpdateDeadline::Continue(1))
        });
        store.data_mut().call_started_cpu = thread_cpu_time();
        store.set_epoch_deadline(1);
        let bindings = pre.instantiate(&mut store).map_err(|e| {
            let state = store.data_mut();
            if let Some(m) = state.limiter.exceeded.take() {
                CallError::MemoryLimit(m)
            } else {
                CallError::from_link(e)
            }
        })?;
        Ok(Self { store, bindings, schemas: Arc::default(), output: OutputFormat::default(), poisoned: false })
    }

    fn call<R>(
        &mut self,
        name: &str,
        f: impl FnOnce(&mut Store<StoreState>, &Bindings) -> wasmtime::Result<R>,
    ) -> Result<R, CallError> {
        if self.poisoned {
            return Err(CallError::Poisoned);
        }
        {
            let state = self.store.data_mut();
            state.limit_hit = None;
            state.limiter.exceeded = None;
            state.call_started_cpu = thread_cpu_time();
        }
        self.store.set_epoch_deadline(1);
        let result = f(&mut self.store, &self.bindings);
        let state = self.store.data_mut();
        let violation = state.violation.lock().ok().and_then(|mut v| v.take());
        if let Some(message) = violation {
            self.poisoned = true;
            return Err(CallError::Sandbox(message));
        }
        match result {
            Ok(r) => Ok(r),
            Err(err) => {
                self.poisoned = true;
                if let Some(m) = state.limit_hit.take() {
                    return Err(CallError::CpuLimit(m));
                }
                if let Some(m) = state.limiter.exceeded.take() {
                    return Err(CallError::MemoryLimit(m));
                }
                Err(CallError::Trap {
                    call: name.to_string(),
                    message: format!("{err:?}"),
                    stderr: state.stderr.text(),
                })
            }
        }
    }

    /// The connector classes the component exports.
    pub fn describe(&mut self) -> Result<Vec<ConnectorDescriptor>, CallError> {
        let raw = self.call("describe", |store, b| b.weir_connector_source().call_describe(store))?;
        Ok(raw.into_iter().map(bindings::descriptor).collect())
    }

    /// Validates a config with the connector.
    pub fn validate(
        &mut self,
        class: &str,
        config: &BTreeMap<String, String>,
    ) -> Result<Vec<ConfigValueInfo>, CallError> {
        let config = to_pairs(config);
        let raw = self.call("validate", |store, b| b.weir_connector_source().call_validate(store, class, &config))?;
        Ok(raw.into_iter().map(bindings::config_value).collect())
    }

    /// Task configurations for a connector config.
    pub fn task_configs(
        &mut self,
        class: &str,
        config: &BTreeMap<String, String>,
        max_tasks: u32,
    ) -> Result<Result<Vec<BTreeMap<String, String>>, ConnectorError>, CallError> {
        let config = to_pairs(config);
        let raw = self.call("task-configs", |store, b| {
            b.weir_connector_source().call_task_configs(store, class, &config, max_tasks)
        })?;
        Ok(raw
            .map(|configs| configs.into_iter().map(|c| c.into_iter().collect()).collect())
            .map_err(bindings::connector_error))
    }

    /// Opens a task; `output` says which parts it may hand over encoded.
    pub fn open_task(
        &mut self,
        class: &str,
        task_id: u32,
        config: &BTreeMap<String, String>,
        output: OutputFormat,
    ) -> Result<Result<TaskRef, ConnectorError>, CallError> {
        let config = to_pairs(config);
        let format = bindings::output_format(output);
        let raw = self.call("open-task", |store, b| {
            b.weir_connector_source().call_open_task(store, class, task_id, &config, format)
        })?;
        self.output = output;
        Ok(raw.map(TaskRef).map_err(bindings::connector_error))
    }

    /// Polls a task for at most `timeout_ms`. The records come as they
    /// crossed; [`PolledBatch::into_records`] converts them, wherever the
    /// caller likes.
    pub fn poll(&mut self, task: TaskRef, timeout_ms: u32) -> Result<Result<PolledBatch, ConnectorError>, CallError> {
        let raw =
            self.call("poll", |store, b| b.weir_connector_source().source_task().call_poll(store, task.0, timeout_ms))?;
        match raw {
            Ok(mut batch) => {
                let introduced = std::mem::take(&mut batch.schemas);
                if !introduced.is_empty() {
                    Arc::make_mut(&mut self.schemas).register(introduced)?;
                }
                Ok(Ok(PolledBatch::new(batch, self.schemas.clone(), self.output)))
            }
            Err(e) => Ok(Err(bindings::connector_error(e))),
        }
    }

    /// Tells a task which offsets are durable.
    pub fn commit(&mut self, task: TaskRef, offsets: &[OffsetEntry]) -> Result<Result<(), ConnectorError>, CallError> {
        let offsets: Vec<wit::CommittedOffset> = offsets
            .iter()
            .map(|o| wit::CommittedOffset { source_partition: o.partition.clone(), source_offset: o.offset.clone() })
            .collect();
        let raw = self
            .call("commit", |store, b| b.weir_connector_source().source_task().call_commit(store, task.0, &offsets))?;
        Ok(raw.map_err(bindings::connector_error))
    }

    /// Closes and drops a task.
    pub fn close(&mut self, task: TaskRef) -> Result<(), CallError> {
        self.call("close", |store, b| b.weir_connector_source().source_task().call_close(&mut *store, task.0))?;
        self.call("drop", |store, _| task.0.resource_drop(store))
    }

    /// Metrics the instance has reported.
    pub fn metrics(&self) -> BTreeMap<String, f64> {
        self.store.data().services.metrics.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

fn to_pairs(config: &BTreeMap<String, String>) -> Vec<(String, String)> {
    config.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

//! The host side of the contract's imports: logging, offsets, private
//! state, metrics and network connections.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wasmtime::component::Resource;

use super::bindings::since_v0_1_0::weir::connector::{host, network, types};
use super::net::{Connection, NetError, Verify};
use super::sandbox::StoreState;
use crate::store::StateStore;

/// What the host offers one instance: who it is and where its state lives.
#[derive(Clone)]
pub struct HostServices {
    /// Connector name.
    pub connector: String,
    /// Connector class: the logger its log lines go under.
    pub class: String,
    /// Task number, when the instance is a task.
    pub task: Option<u32>,
    /// State store (offsets, private state); `None` for instances that only
    /// describe or validate.
    pub store: Option<Arc<dyn StateStore>>,
    /// Metrics the instance reported.
    pub metrics: Arc<Mutex<BTreeMap<String, f64>>>,
}

impl HostServices {
    /// Services for an instance that belongs to no connector (describe, validate).
    pub fn detached(label: &str) -> Self {
        Self {
            connector: label.to_string(),
            class: label.to_string(),
            task: None,
            store: None,
            metrics: Arc::default(),
        }
    }
}

impl types::Host for StoreState {}

impl host::Host for StoreState {
    fn log(&mut self, level: host::LogLevel, message: String) -> wasmtime::Result<()> {
        let connector = &self.services.connector;
        let class = &self.services.class;
        let task = self.services.task.map_or_else(String::new, |t| t.to_string());
        let level = match level {
            host::LogLevel::Trace => tracing::Level::TRACE,
            host::LogLevel::Debug => tracing::Level::DEBUG,
            host::LogLevel::Info => tracing::Level::INFO,
            host::LogLevel::Warn => tracing::Level::WARN,
            host::LogLevel::Error => tracing::Level::ERROR,
        };
        if !crate::telemetry::plugin_enabled(class, level) {
            return Ok(());
        }
        // `tracing` needs a constant level per call site.
        match level {
            tracing::Level::TRACE => tracing::trace!(target: "weir::plugin", class, connector, task, "{message}"),
            tracing::Level::DEBUG => tracing::debug!(target: "weir::plugin", class, connector, task, "{message}"),
            tracing::Level::INFO => tracing::info!(target: "weir::plugin", class, connector, task, "{message}"),
            tracing::Level::WARN => tracing::warn!(target: "weir::plugin", class, connector, task, "{message}"),
            tracing::Level::ERROR => tracing::error!(target: "weir::plugin", class, connector, task, "{message}"),
        }
        Ok(())
    }

    fn committed_offset(&mut self, source_partition: String) -> wasmtime::Result<Option<String>> {
        let Some(store) = &self.services.store else { return Ok(None) };
        // A partition that is not JSON is the plugin's bug: trap with the reason.
        store
            .offset(&self.services.connector, &source_partition)
            .map_err(|e| wasmtime::format_err!("committed-offset({source_partition}): {e}"))
    }

    fn kv_get(&mut self, key: String) -> wasmtime::Result<Option<Vec<u8>>> {
        let Some(store) = &self.services.store else { return Ok(None) };
        store.kv_get(&self.services.connector, &key).map_err(|e| wasmtime::format_err!("kv-get: {e}"))
    }

    fn kv_put(&mut self, key: String, value: Vec<u8>) -> wasmtime::Result<()> {
        let Some(store) = &self.services.store else {
            return Err(wasmtime::format_err!("kv-put is only available to running tasks"));
        };
        store.kv_put(&self.services.connector, &key, &value).map_err(|e| wasmtime::format_err!("kv-put: {e}"))
    }

    fn kv_delete(&mut self, key: String) -> wasmtime::Result<()> {
        let Some(store) = &self.services.store else { return Ok(()) };
        store.kv_delete(&self.services.connector, &key).map_err(|e| wasmtime::format_err!("kv-delete: {e}"))
    }

    fn kv_keys(&mut self, prefix: String) -> wasmtime::Result<Vec<String>> {
        let Some(store) = &self.services.store else { return Ok(Vec::new()) };
        store.kv_keys(&self.services.connector, &prefix).map_err(|e| wasmtime::format_err!("kv-keys: {e}"))
    }

    fn metric(&mut self, name: String, kind: host::MetricKind, value: f64) -> wasmtime::Result<()> {
        if let Ok(mut metrics) = self.services.metrics.lock() {
            let entry = metrics.entry(name).or_insert(0.0);
            match kind {
                host::MetricKind::Counter => *entry += value,
                host::MetricKind::Gauge => *entry = value,
            }
        }
        Ok(())
    }
}

fn to_wit(err: NetError) -> network::NetError {
    match err {
        NetError::NotAllowed(m) => network::NetError::NotAllowed(m),
        NetError::Resolve(m) => network::NetError::Resolve(m),
        NetError::Connect(m) => network::NetError::Connect(m),
        NetError::Timeout => network::NetError::Timeout,
        NetError::Closed => network::NetError::Closed,
        NetError::Tls(m) => network::NetError::Tls(m),
        NetError::Io(m) => network::NetError::Io(m),
    }
}

impl network::Host for StoreState {}

impl network::HostConnection for StoreState {
    fn connect(
        &mut self,
        host: String,
        port: u16,
        timeout_ms: u32,
    ) -> wasmtime::Result<Result<Resource<Connection>, network::NetError>> {
        if !self.grants.allows(&host, port) {
            let message = format!(
                "sandbox: connection to {host}:{port} denied; this connector may reach only the endpoints its config names ({})",
                self.grants.describe()
            );
            if let Ok(mut v) = self.violation.lock() {
                v.get_or_insert(message.clone());
            }
            return Ok(Err(network::NetError::NotAllowed(message)));
        }
        match Connection::open(&host, port, Duration::from_millis(u64::from(timeout_ms))) {
            Ok(conn) => Ok(Ok(self.table.push(conn)?)),
            Err(e) => Ok(Err(to_wit(e))),
        }
    }

    fn read(
        &mut self,
        conn: Resource<Connection>,
        max: u32,
        timeout_ms: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, network::NetError>> {
        let conn = self.table.get_mut(&conn)?;
        Ok(conn.read(max as usize, Duration::from_millis(u64::from(timeout_ms))).map_err(to_wit))
    }

    fn write(&mut self, conn: Resource<Connection>, data: Vec<u8>) -> wasmtime::Result<Result<(), network::NetError>> {
        let conn = self.table.get_mut(&conn)?;
        Ok(conn.write(&data).map_err(to_wit))
    }

    fn upgrade_tls(
        &mut self,
        conn: Resource<Connection>,
        options: network::TlsOptions,
    ) -> wasmtime::Result<Result<(), network::NetError>> {
        let conn = self.table.get_mut(&conn)?;
        let verify = match options.verify {
            network::TlsVerify::None => Verify::None,
            network::TlsVerify::Ca => Verify::Ca,
            network::TlsVerify::Full => Verify::Full,
        };
        Ok(conn.upgrade_tls(verify, options.root_ca_pem.as_deref(), options.server_name.as_deref()).map_err(to_wit))
    }

    fn peer(&mut self, conn: Resource<Connection>) -> wasmtime::Result<String> {
        Ok(self.table.get(&conn)?.peer())
    }

    fn drop(&mut self, conn: Resource<Connection>) -> wasmtime::Result<()> {
        self.table.delete(conn)?;
        Ok(())
    }
}

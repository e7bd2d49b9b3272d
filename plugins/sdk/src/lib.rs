//! The SDK for Weir connector plugins.
//!
//! A plugin is one WebAssembly component (`wasm32-wasip2`, crate type
//! `cdylib`) that exports one or more connector classes through the
//! `weir:connector@0.1.0` contract in the repository's `wit/` folder. Authors
//! implement [`Connector`] for each class and [`SourceTask`] for its tasks,
//! then name the classes in [`export_connectors!`]:
//!
//! ```ignore
//! use weir_sdk::*;
//!
//! struct Hello;
//! impl Connector for Hello {
//!     fn descriptor(&self) -> ConnectorDescriptor {
//!         ConnectorDescriptor::source("com.example.HelloConnector", env!("CARGO_PKG_VERSION"))
//!     }
//!     fn open_task(&self, _task_id: u32, config: Config) -> Result<Box<dyn SourceTask>, ConnectorError> {
//!         todo!()
//!     }
//! }
//! export_connectors!(Hello);
//! ```
//!
//! Schemas cross the boundary once per task: the SDK remembers which
//! [`Schema`] handles it has already sent (by identity of the `Arc`), so build
//! a table's schema once and reuse it in every record.
//!
//! A plugin whose records are a few small allocations each may install
//! [`alloc::SizeClasses`] as its global allocator; measure first (see that
//! module).

pub mod alloc;
mod config;
mod error;
#[doc(hidden)]
pub mod export;
pub mod host;
pub mod net;
mod record;
mod schema;

pub use config::{Config, ConfigKey, ConfigType, Importance, Width};
pub use error::ConnectorError;
pub use record::{CommittedOffset, Header, Signal, SnapshotKind, SnapshotRequest, SourceRecord};
pub use schema::{Schema, SchemaType, SharedValue, Value};

/// The generated WIT bindings. Authors rarely need them: the SDK's own types
/// cover the contract.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit/connector@0.1.0",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_plugin",
        default_bindings_module: "weir_sdk::bindings",
    });
}

/// The WIT contract version this SDK builds plugins for.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// Whether a connector reads from (source) or writes to (sink) an external system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectorKind {
    /// Reads from an external system into topics.
    Source,
    /// Writes from topics into an external system.
    Sink,
}

/// Where a connector's config names a network endpoint the sandbox must allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointKey {
    /// A host key (one name or a comma-separated list) and a port key, with
    /// the port used when the port key is absent.
    HostPort {
        /// Key holding the host name(s).
        host_key: String,
        /// Key holding the port.
        port_key: String,
        /// Port used when `port_key` is unset.
        default_port: u16,
    },
    /// A key holding a URI or connection string.
    Uri(String),
}

/// What the worker needs to know about one connector class.
#[derive(Debug, Clone)]
pub struct ConnectorDescriptor {
    /// Fully qualified class name, e.g. `com.example.HelloConnector`.
    pub class_name: String,
    /// Additional names the class resolves by.
    pub aliases: Vec<String>,
    /// The connector's version, shown by `GET /connector-plugins`.
    pub version: String,
    /// Source or sink.
    pub kind: ConnectorKind,
    /// The connector's own configuration keys (framework keys are the host's).
    pub config_keys: Vec<ConfigKey>,
    /// Config keys that name endpoints the connector connects to.
    pub endpoints: Vec<EndpointKey>,
}

impl ConnectorDescriptor {
    /// A source connector class with no keys yet.
    pub fn source(class_name: impl Into<String>, version: impl Into<String>) -> Self {
        Self {
            class_name: class_name.into(),
            aliases: Vec::new(),
            version: version.into(),
            kind: ConnectorKind::Source,
            config_keys: Vec::new(),
            endpoints: Vec::new(),
        }
    }

    /// Adds an alias the class resolves by.
    pub fn alias(mut self, alias: impl Into<String>) -> Self {
        self.aliases.push(alias.into());
        self
    }

    /// Adds a configuration key.
    pub fn key(mut self, key: ConfigKey) -> Self {
        self.config_keys.push(key);
        self
    }

    /// Declares that `host_key`/`port_key` name an endpoint to allow.
    pub fn host_port_endpoint(mut self, host_key: &str, port_key: &str, default_port: u16) -> Self {
        self.endpoints.push(EndpointKey::HostPort {
            host_key: host_key.to_string(),
            port_key: port_key.to_string(),
            default_port,
        });
        self
    }

    /// Declares that `key` holds a URI whose hosts are endpoints to allow.
    pub fn uri_endpoint(mut self, key: &str) -> Self {
        self.endpoints.push(EndpointKey::Uri(key.to_string()));
        self
    }
}

/// One connector class. Implement it on a unit struct and name that struct in
/// [`export_connectors!`]. Only [`descriptor`](Connector::descriptor) and
/// [`open_task`](Connector::open_task) are required.
pub trait Connector: Sync + 'static {
    /// Describes the class: name, version, config keys, endpoints.
    fn descriptor(&self) -> ConnectorDescriptor;

    /// Validates a configuration, one [`config::ConfigValue`] per key the
    /// connector defines. The default checks each key against its
    /// definition (required, type, recommended values); override it to add
    /// checks that need the network, and start from [`Config::validate_against`].
    fn validate(&self, config: &Config) -> Vec<ConfigValue> {
        config.validate_against(&self.descriptor().config_keys)
    }

    /// Splits the connector's configuration into task configurations. The
    /// default gives one task with the connector's configuration.
    fn task_configs(&self, config: &Config, max_tasks: u32) -> Result<Vec<Config>, ConnectorError> {
        let _ = max_tasks;
        Ok(vec![config.clone()])
    }

    /// Opens task `task_id` with its task configuration.
    fn open_task(&self, task_id: u32, config: Config) -> Result<Box<dyn SourceTask>, ConnectorError>;
}

pub use config::ConfigValue;

/// A running source task. The worker calls [`poll`](SourceTask::poll) in a
/// loop, makes the returned records durable, and then calls
/// [`commit`](SourceTask::commit) with the offsets that are now safe.
pub trait SourceTask {
    /// Returns the records ready before `deadline`, possibly none. Never
    /// block past the deadline: commits, pauses and shutdown wait on it.
    fn poll(&mut self, deadline: std::time::Instant) -> Result<Vec<SourceRecord>, ConnectorError>;

    /// The offsets that are durable: every record up to them is delivered.
    fn commit(&mut self, offsets: &[CommittedOffset]) -> Result<(), ConnectorError> {
        let _ = offsets;
        Ok(())
    }

    /// A signal such as an ad-hoc snapshot request. The default rejects it.
    fn signal(&mut self, signal: Signal) -> Result<(), ConnectorError> {
        Err(ConnectorError::Fatal(format!("this connector does not handle the signal {signal:?}")))
    }

    /// Releases connections before the task is dropped.
    fn close(&mut self) {}
}

/// Exports connector classes from this component. Name each class's value
/// (usually a unit struct) once; one component may export several.
///
/// ```ignore
/// weir_sdk::export_connectors!(MySqlConnector, MariaDbConnector);
/// ```
#[macro_export]
macro_rules! export_connectors {
    ($($connector:expr),+ $(,)?) => {
        #[doc(hidden)]
        struct __WeirPlugin;

        impl $crate::export::Registry for __WeirPlugin {
            fn connectors() -> &'static [&'static dyn $crate::Connector] {
                static CONNECTORS: &[&dyn $crate::Connector] = &[$(&$connector),+];
                CONNECTORS
            }
        }

        $crate::__export_guest_impl!(__WeirPlugin);
        $crate::bindings::__export_plugin!(__WeirPlugin with_types_in $crate::bindings);
    };
}

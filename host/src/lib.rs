//! Weir: a Kafka Connect worker whose connectors are sandboxed WebAssembly
//! components.
//!
//! ```text
//! REST (api) ──► supervisor ──► connector instance (runtime) ──► task configs
//!                   │                                              │
//!                   ▼                                              ▼
//!             store (redb) ◄── offsets + records ◄── convert ◄── task (runtime): poll()
//! ```
//!
//! - [`api`]: the Kafka Connect REST API.
//! - [`supervisor`]: connectors and tasks, their target and actual states.
//! - [`task`]: one task's loop: poll, convert, make durable, commit.
//! - [`runtime`]: wasmtime, the plugin contract, the sandbox.
//! - [`store`]: durable state and the embedded log.
//! - [`convert`]: Kafka Connect converters.
//! - [`transforms`]: single message transforms and predicates.
//! - [`sink`]: delivery to the embedded log or Kafka, and when offsets move.
//! - [`config`]: the worker's properties.

pub mod api;
pub mod cli;
pub mod config;
pub mod convert;
pub mod framework;
pub mod plugin;
pub mod providers;
pub mod record;
pub mod runtime;
pub mod sink;
pub mod store;
pub mod supervisor;
pub mod task;
pub mod telemetry;
pub mod transforms;

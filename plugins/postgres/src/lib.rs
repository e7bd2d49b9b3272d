//! Debezium-compatible PostgreSQL change data capture, as a Weir component.
//!
//! The connector speaks PostgreSQL's protocol itself through the worker's
//! connection interface: a normal session for the catalog, the snapshot and
//! heartbeat queries, and a logical replication session decoding `pgoutput`.
//! Events, topics, offsets and configuration follow Debezium 3.x's
//! PostgreSQL connector; what all Debezium connectors share lives in
//! `weir-debezium`.

mod auth;
mod catalog;
mod config;
mod error;
mod events;
mod lsn;
mod offsets;
mod pgoutput;
mod snapshot;
mod stream;
mod tables;
mod task;
pub mod types;
mod validate;
mod wire;

use weir_sdk::{Config, ConfigValue, Connector, ConnectorDescriptor, ConnectorError, SourceTask, export_connectors};

pub(crate) fn log_info(message: &str) {
    weir_sdk::host::info(message);
}

struct PostgresConnector;

impl Connector for PostgresConnector {
    fn descriptor(&self) -> ConnectorDescriptor {
        let mut d = ConnectorDescriptor::source(
            "io.debezium.connector.postgresql.PostgresConnector",
            weir_debezium::source::DEBEZIUM_VERSION,
        )
        .alias("PostgresConnector")
        .alias("Postgres")
        .host_port_endpoint("database.hostname", "database.port", 5432);
        d.config_keys = config::keys();
        d
    }

    fn validate(&self, config: &Config) -> Vec<ConfigValue> {
        validate::validate(config)
    }

    fn task_configs(&self, config: &Config, _max_tasks: u32) -> Result<Vec<Config>, ConnectorError> {
        // One task reads the one replication slot, as with Debezium.
        Ok(vec![config.clone()])
    }

    fn open_task(&self, _task_id: u32, config: Config) -> Result<Box<dyn SourceTask>, ConnectorError> {
        let parsed = config::PgConfig::parse(&config).map_err(ConnectorError::Config)?;
        Ok(Box::new(task::PgTask::open(parsed)?))
    }
}

export_connectors!(PostgresConnector);

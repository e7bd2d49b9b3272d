//! Debezium-compatible MongoDB change data capture, as a Weir component.
//!
//! The connector speaks MongoDB's wire protocol itself (OP_MSG, BSON,
//! SCRAM) through the worker's connection interface, snapshots the captured
//! collections with `find`, and streams with `$changeStream`. Events, topics,
//! offsets and configuration follow Debezium 3.1's MongoDB connector; what
//! all Debezium connectors share lives in `weir-debezium`.

mod auth;
pub mod bson;
mod config;
mod error;
mod events;
pub mod extjson;
mod offsets;
mod snapshot;
mod stream;
mod task;
mod validate;
mod wire;

use weir_sdk::{Config, ConfigValue, Connector, ConnectorDescriptor, ConnectorError, SourceTask, export_connectors};

pub(crate) fn log_info(message: &str) {
    weir_sdk::host::info(message);
}

struct MongoDbConnector;

impl Connector for MongoDbConnector {
    fn descriptor(&self) -> ConnectorDescriptor {
        let mut d = ConnectorDescriptor::source(
            "io.debezium.connector.mongodb.MongoDbConnector",
            weir_debezium::source::DEBEZIUM_VERSION,
        )
        .alias("MongoDbConnector")
        .alias("MongoDb")
        .uri_endpoint(config::CONNECTION_STRING);
        d.config_keys = config::keys();
        d
    }

    fn validate(&self, config: &Config) -> Vec<ConfigValue> {
        validate::validate(config)
    }

    fn task_configs(&self, config: &Config, _max_tasks: u32) -> Result<Vec<Config>, ConnectorError> {
        // One task reads the one change stream, as with Debezium 2.6+.
        Ok(vec![config.clone()])
    }

    fn open_task(&self, _task_id: u32, config: Config) -> Result<Box<dyn SourceTask>, ConnectorError> {
        let parsed = config::MongoConfig::parse(&config).map_err(ConnectorError::Config)?;
        Ok(Box::new(task::MongoTask::open(parsed)?))
    }
}

export_connectors!(MongoDbConnector);

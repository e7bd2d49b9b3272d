//! Debezium-compatible MySQL and MariaDB change data capture, as a Weir
//! component.
//!
//! The connector speaks MySQL's client protocol itself through the worker's
//! connection interface: a query session for the snapshot and the catalog,
//! and a replication session reading the binlog. DDL in the binlog is parsed
//! into a schema history kept in the worker's key-value store. Events,
//! topics, offsets and configuration follow Debezium 3.x's MySQL and MariaDB
//! connectors; what all Debezium connectors share lives in `weir-debezium`.
//! One component exports both connector classes.

pub mod auth;
pub mod binlog;
pub mod catalog;
pub mod cell;
pub mod changes;
mod config;
pub mod ddl;
mod error;
mod events;
pub mod gtid;
mod history;
pub mod jsonb;
mod lock;
mod offsets;
mod resume;
pub mod rows;
mod snapshot;
mod stream;
mod tables;
mod task;
pub mod types;
mod validate;
mod wire;

use weir_sdk::{Config, ConfigValue, Connector, ConnectorDescriptor, ConnectorError, SourceTask, export_connectors};

use config::Flavor;

pub(crate) fn log_info(message: &str) {
    weir_sdk::host::info(message);
}

fn descriptor(flavor: Flavor) -> ConnectorDescriptor {
    let mut d = ConnectorDescriptor::source(flavor.class(), weir_debezium::source::DEBEZIUM_VERSION);
    d = match flavor {
        Flavor::MySql => d.alias("MySqlConnector").alias("MySql"),
        Flavor::MariaDb => d.alias("MariaDbConnector").alias("MariaDb"),
    };
    d = d.host_port_endpoint("database.hostname", "database.port", 3306);
    d.config_keys = config::keys(flavor);
    d
}

fn open_task(flavor: Flavor, config: Config) -> Result<Box<dyn SourceTask>, ConnectorError> {
    let parsed = config::MyConfig::parse(flavor, &config).map_err(ConnectorError::Config)?;
    Ok(Box::new(task::MyTask::open(parsed)?))
}

/// `io.debezium.connector.mysql.MySqlConnector`.
struct MySqlConnector;

impl Connector for MySqlConnector {
    fn descriptor(&self) -> ConnectorDescriptor {
        descriptor(Flavor::MySql)
    }

    fn validate(&self, config: &Config) -> Vec<ConfigValue> {
        validate::validate(Flavor::MySql, config)
    }

    fn task_configs(&self, config: &Config, _max_tasks: u32) -> Result<Vec<Config>, ConnectorError> {
        // One task reads the binlog, as with Debezium.
        Ok(vec![config.clone()])
    }

    fn open_task(&self, _task_id: u32, config: Config) -> Result<Box<dyn SourceTask>, ConnectorError> {
        open_task(Flavor::MySql, config)
    }
}

/// `io.debezium.connector.mariadb.MariaDbConnector`.
struct MariaDbConnector;

impl Connector for MariaDbConnector {
    fn descriptor(&self) -> ConnectorDescriptor {
        descriptor(Flavor::MariaDb)
    }

    fn validate(&self, config: &Config) -> Vec<ConfigValue> {
        validate::validate(Flavor::MariaDb, config)
    }

    fn task_configs(&self, config: &Config, _max_tasks: u32) -> Result<Vec<Config>, ConnectorError> {
        Ok(vec![config.clone()])
    }

    fn open_task(&self, _task_id: u32, config: Config) -> Result<Box<dyn SourceTask>, ConnectorError> {
        open_task(Flavor::MariaDb, config)
    }
}

export_connectors!(MySqlConnector, MariaDbConnector);

//! `/config/validate`: every key checked as Debezium does, then (when the
//! keys are valid) a connection to the server, with problems reported on
//! `mongodb.connection.string`.

use weir_sdk::{Config, ConfigValue};

use crate::bson::Doc;
use crate::config::{CONNECTION_STRING, MongoConfig, keys};
use crate::error::{AUTHENTICATION_FAILED, MongoError, UNAUTHORIZED};
use crate::wire::MongoConn;

/// Validates `config`.
pub fn validate(config: &Config) -> Vec<ConfigValue> {
    let problems = match MongoConfig::parse(config) {
        Err(problems) => problems,
        Ok(parsed) => connection_problems(&parsed).into_iter().map(|m| (CONNECTION_STRING.to_string(), m)).collect(),
    };
    weir_debezium::config::validation(config, &keys(), problems)
}

fn connection_problems(config: &MongoConfig) -> Vec<String> {
    let cs = &config.connection;
    let hosts = cs.describe_hosts();
    let mut conn = match MongoConn::connect(cs, config.connect_timeout) {
        Ok(conn) => conn,
        Err(e) => return vec![connect_problem(config, &e)],
    };
    if conn.info.set_name.is_none() && !conn.info.is_mongos {
        return vec![format!(
            "The MongoDB server at {} is not a replica set member or a mongos router (its hello reply has no setName): \
             change streams need a replica set (a single-node one is enough: start mongod with --replSet and run \
             rs.initiate()) or a sharded cluster",
            conn.address
        )];
    }
    if let (Some(want), Some(got)) = (&cs.replica_set, &conn.info.set_name)
        && want != got
    {
        return vec![format!(
            "The connection string names replicaSet={want}, but the server at {} belongs to replica set {got}",
            conn.address
        )];
    }
    match conn.command("admin", Doc::new().with("listDatabases", 1).with("nameOnly", true)) {
        Ok(_) => Vec::new(),
        Err(e) if e.code() == Some(UNAUTHORIZED) => {
            vec![
                "User doesn't have rights to list databases. Please verify credentials and database permissions."
                    .into(),
            ]
        }
        Err(e) => vec![format!("Unable to connect to {hosts}: {e}")],
    }
}

fn connect_problem(config: &MongoConfig, e: &MongoError) -> String {
    let cs = &config.connection;
    let hosts = cs.describe_hosts();
    match e {
        MongoError::Command { code: AUTHENTICATION_FAILED, .. } | MongoError::Auth(_) => format!(
            "Unable to connect to {hosts}: authentication of user '{}' against database '{}' failed: {e}; \
             check the user name, password and authSource in the connection string",
            cs.user.as_deref().unwrap_or(""),
            cs.auth_source
        ),
        MongoError::Tls(_) => {
            format!("Unable to connect to {hosts}: {e}; check tls and the server's certificate")
        }
        _ => format!(
            "Unable to connect to {hosts}: {e}; check the hosts and ports in the connection string and that the server accepts connections"
        ),
    }
}

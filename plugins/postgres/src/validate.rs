//! `/config/validate`: every key checked as Debezium does, then (when the
//! keys are valid) a connection to the server, with each problem reported
//! on the key an operator has to change.

use weir_sdk::{Config, ConfigValue};

use crate::config::{PgConfig, keys};
use crate::error::PgError;
use crate::wire::PgConn;

/// Validates `config`.
pub fn validate(config: &Config) -> Vec<ConfigValue> {
    let problems = match PgConfig::parse(config) {
        Err(problems) => problems,
        Ok(parsed) => connection_problems(&parsed),
    };
    weir_debezium::config::validation(config, &keys(), problems)
}

fn connection_problems(config: &PgConfig) -> Vec<(String, String)> {
    let c = &config.connect;
    let mut conn = match PgConn::connect(c, false) {
        Ok(conn) => conn,
        Err(e) => return vec![connect_problem(config, &e)],
    };
    let mut problems = Vec::new();
    match conn.query_value("SHOW wal_level") {
        Ok(Some(level)) if level != "logical" => problems.push((
            "database.hostname".to_string(),
            format!(
                "The server at {}:{} has wal_level={level}; change data capture needs wal_level=logical \
                 (set it in postgresql.conf and restart the server)",
                c.host, c.port
            ),
        )),
        Ok(_) => {}
        Err(e) => problems.push(("database.hostname".into(), format!("Error while validating connector config: {e}"))),
    }
    match conn.query_value("SELECT rolreplication OR rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user") {
        Ok(Some(v)) if v == "t" => {}
        Ok(_) => problems.push((
            "database.user".into(),
            format!(
                "User {} lacks the REPLICATION role needed to read the change stream: run ALTER ROLE {} REPLICATION as a superuser",
                c.user, c.user
            ),
        )),
        Err(e) => problems.push(("database.user".into(), format!("Error while validating connector config: {e}"))),
    }
    conn.terminate();
    problems
}

fn connect_problem(config: &PgConfig, e: &PgError) -> (String, String) {
    let c = &config.connect;
    let key = match e.code() {
        Some("28P01") => "database.password",
        Some("28000") => "database.user",
        Some("3D000") => "database.dbname",
        _ => match e {
            PgError::Auth(_) => "database.password",
            PgError::Tls(_) => "database.sslmode",
            _ => "database.hostname",
        },
    };
    let advice = match key {
        "database.password" => "check database.password for this user",
        "database.user" => "check database.user and the server's pg_hba.conf",
        "database.dbname" => "check database.dbname",
        "database.sslmode" => "check database.sslmode and database.sslrootcert",
        _ => "check database.hostname and database.port, and that the server accepts TCP connections",
    };
    (
        key.to_string(),
        format!(
            "Error while validating connector config: connecting to {}:{} as {} failed: {e}; {advice}",
            c.host, c.port, c.user
        ),
    )
}

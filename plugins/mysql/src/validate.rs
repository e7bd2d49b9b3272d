//! `/config/validate`: every key checked as Debezium does, then (when the
//! keys are valid) a connection to the server and its binlog settings and
//! the user's privileges, each problem reported on the key an operator
//! has to change.

use weir_sdk::{Config, ConfigValue};

use crate::config::{Flavor, MyConfig, keys};
use crate::error::MyError;
use crate::wire::MyConn;

/// Validates `config` for `flavor`.
pub fn validate(flavor: Flavor, config: &Config) -> Vec<ConfigValue> {
    let problems = match MyConfig::parse(flavor, config) {
        Err(problems) => problems,
        Ok(parsed) => connection_problems(&parsed),
    };
    weir_debezium::config::validation(config, &keys(flavor), problems)
}

fn connection_problems(config: &MyConfig) -> Vec<(String, String)> {
    let c = &config.connect;
    let mut conn = match MyConn::connect(c) {
        Ok(conn) => conn,
        Err(e) => return vec![connect_problem(config, &e)],
    };
    let mut problems = Vec::new();
    let host = |p: String| ("database.hostname".to_string(), p);
    match conn.query("SELECT @@log_bin, @@binlog_format, @@binlog_row_image") {
        Ok(results) => {
            let row = results.iter().find_map(|r| r.rows.first());
            let get = |i| row.and_then(|r| r.text(i)).unwrap_or_default();
            let at = format!("The server at {}:{}", c.host, c.port);
            if get(0) != "1" && !get(0).eq_ignore_ascii_case("ON") {
                problems.push(host(format!(
                    "{at} has the binary log off; change data capture reads it: start the server with log-bin \
                     (and binlog_format=ROW, binlog_row_image=FULL)"
                )));
            } else {
                if !get(1).eq_ignore_ascii_case("ROW") {
                    problems.push(host(format!(
                        "{at} has binlog_format={}; change data capture needs binlog_format=ROW \
                         (SET GLOBAL binlog_format=ROW and in the server's configuration)",
                        get(1)
                    )));
                }
                if !get(2).eq_ignore_ascii_case("FULL") {
                    problems.push(host(format!(
                        "{at} has binlog_row_image={}; change data capture needs binlog_row_image=FULL \
                         so that every column is in every event",
                        get(2)
                    )));
                }
            }
        }
        Err(e) => problems.push(host(format!("Unable to connect: {e}"))),
    }
    match conn.query("SHOW GRANTS FOR CURRENT_USER()") {
        Ok(results) => {
            let grants: String = results
                .iter()
                .flat_map(|r| r.rows.iter())
                .filter_map(|r| r.text(0))
                .filter(|g| g.contains(" ON *.* "))
                .collect::<Vec<_>>()
                .join(" ")
                .to_ascii_uppercase();
            let all = grants.contains("ALL PRIVILEGES");
            let mut missing = Vec::new();
            if !all && !grants.contains("REPLICATION SLAVE") && !grants.contains("REPLICATION REPLICA") {
                missing.push("REPLICATION SLAVE");
            }
            // MariaDB 10.5+ shows REPLICATION CLIENT as BINLOG MONITOR.
            if !all
                && !grants.contains("REPLICATION CLIENT")
                && !grants.contains("BINLOG MONITOR")
                && !grants.contains("SUPER")
            {
                missing.push("REPLICATION CLIENT");
            }
            if !missing.is_empty() {
                problems.push((
                    "database.user".into(),
                    format!(
                        "User {} lacks {} needed to read the binary log: run GRANT {} ON *.* TO '{}'",
                        c.user,
                        missing.join(" and "),
                        missing.join(", "),
                        c.user
                    ),
                ));
            }
        }
        Err(e) => problems.push(("database.user".into(), format!("Unable to read the user's privileges: {e}"))),
    }
    if config.flavor == Flavor::MySql && conn.is_mariadb() {
        problems.push(host(format!(
            "The server at {}:{} is MariaDB ({}); use io.debezium.connector.mariadb.MariaDbConnector for it",
            c.host, c.port, conn.server_version
        )));
    }
    problems
}

fn connect_problem(config: &MyConfig, e: &MyError) -> (String, String) {
    let c = &config.connect;
    let key = match e.code() {
        // ER_ACCESS_DENIED_ERROR: wrong user or password.
        Some(1045) => "database.password",
        Some(1044) | Some(1130) => "database.user",
        _ => match e {
            MyError::Auth(_) => "database.password",
            MyError::Tls(_) => "database.ssl.mode",
            _ => "database.hostname",
        },
    };
    let advice = match key {
        "database.password" => "check database.user and database.password",
        "database.user" => "check database.user and the host it may connect from",
        "database.ssl.mode" => "check database.ssl.mode and database.ssl.truststore",
        _ => "check database.hostname and database.port, and that the server accepts TCP connections",
    };
    (
        key.to_string(),
        format!("Unable to connect: connecting to {}:{} as {} failed: {e}; {advice}", c.host, c.port, c.user),
    )
}

//! `weir-mongo-server`: the test server as a process, for tests that run
//! the Weir worker separately and for humans poking at it with mongosh or
//! pymongo. Runs until killed.

use std::process::ExitCode;

use weir_mongo_server::{MongoServer, ServerConfig, User};

const USAGE: &str = "usage: weir-mongo-server [--port N] [--user NAME:PASSWORD]... [--replica-set NAME] \
[--change-log-size N] [--verbose]

Serves an in-memory MongoDB replica-set primary on 127.0.0.1 (port 0 picks a
free one) and prints its connection string. Users authenticate against admin
with SCRAM-SHA-256 or SCRAM-SHA-1; with no --user, no authentication is
required.";

fn parse(args: impl Iterator<Item = String>) -> Result<ServerConfig, String> {
    let mut config = ServerConfig::default();
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--port" => config.port = value("--port")?.parse().map_err(|e| format!("--port: {e}"))?,
            "--user" => {
                let spec = value("--user")?;
                let (name, password) =
                    spec.split_once(':').ok_or_else(|| format!("--user takes NAME:PASSWORD, got {spec:?}"))?;
                config.users.push(User::new(name, password));
            }
            "--replica-set" => config.replica_set = value("--replica-set")?,
            "--change-log-size" => {
                config.change_log_capacity =
                    value("--change-log-size")?.parse().map_err(|e| format!("--change-log-size: {e}"))?;
            }
            "--verbose" => config.verbose = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(config)
}

fn main() -> ExitCode {
    let config = match parse(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("weir-mongo-server: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let server = match MongoServer::start(config) {
        Ok(server) => server,
        Err(e) => {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                message.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            eprintln!("weir-mongo-server: {message}");
            return ExitCode::FAILURE;
        }
    };
    // Tests read the port from this line.
    println!("listening on {} ({})", server.host(), server.uri());
    loop {
        std::thread::park();
    }
}

//! The server driven by a real MongoDB driver: each test starts a fresh
//! server in-process on a free port and runs one pymongo script from
//! `tests/py/` against it. The scripts `assert` what they check and print
//! `OK <name>` at the end; anything pymongo rejects is a server bug.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use weir_mongo_server::{MongoServer, ServerConfig, ServerHandle, User};

const USER: &str = "weir";
const PASSWORD: &str = "pencil-7";
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(180);

const INSTALL_HINT: &str = "install it with `scripts/setup --tests` (or `python3 -m pip install --user pymongo`)";

/// Fails (never skips) when the driver is missing, saying how to get it.
fn require_pymongo() {
    static PROBE: OnceLock<Result<String, String>> = OnceLock::new();
    let probe = PROBE.get_or_init(|| {
        let out = Command::new("python3")
            .args(["-c", "import pymongo; print(pymongo.version)"])
            .output()
            .map_err(|e| format!("python3 is not runnable ({e}); these tests need python3 with pymongo"))?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let reason = stderr.lines().last().unwrap_or("no error output");
            return Err(format!("pymongo is not importable by python3 ({reason})"));
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    });
    match probe {
        Ok(version) => eprintln!("pymongo {version}"),
        Err(problem) => panic!("{problem}: {INSTALL_HINT}"),
    }
}

fn start(config: ServerConfig) -> ServerHandle {
    MongoServer::start(config.user(User::new(USER, PASSWORD))).expect("server starts on a free port")
}

/// Runs `tests/py/<script>` against `server`; panics with its output unless
/// it exits 0 having printed `OK <name>`.
fn run_script(script: &str, server: &ServerHandle) {
    require_pymongo();
    let path = format!("{}/tests/py/{script}", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new("python3")
        .arg(&path)
        .env("WEIR_MONGO_URI", server.uri_with_credentials(USER, PASSWORD))
        .env("WEIR_MONGO_URI_NO_AUTH", server.uri())
        .env("WEIR_MONGO_USER", USER)
        .env("WEIR_MONGO_PASSWORD", PASSWORD)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    // Read both pipes on threads so a chatty script cannot block on a full pipe.
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let deadline = Instant::now() + SCRIPT_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for python3") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let name = script.trim_end_matches(".py");
    match status {
        None => panic!("{script} timed out after {SCRIPT_TIMEOUT:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"),
        Some(status) => assert!(
            status.success() && stdout.lines().any(|l| l == format!("OK {name}")),
            "{script} failed ({status})\nstdout:\n{stdout}\nstderr:\n{stderr}"
        ),
    }
}

/// Replica-set discovery, hello/buildInfo fields, SCRAM-SHA-256 and -SHA-1,
/// wrong password and unknown user (18), unauthenticated commands and
/// change streams (13), unknown commands (59).
#[test]
fn pymongo_discovers_the_replica_set_and_authenticates_with_scram() {
    let server = start(ServerConfig::default());
    run_script("handshake_and_auth.py", &server);
}

/// Every BSON type round-trips; insert_many as a document sequence;
/// find filters, sort, skip, limit, projection; $set/$unset/$inc,
/// replacement, multi, upsert; deletes; duplicate keys; catalog listing.
#[test]
fn pymongo_crud_round_trips_every_bson_type() {
    let server = start(ServerConfig::default());
    run_script("crud.py", &server);
}

/// find then getMore across batches, default batch sizes, killCursors,
/// CursorNotFound (43) for a killed cursor.
#[test]
fn pymongo_reads_cursors_across_batches() {
    let server = start(ServerConfig::default());
    run_script("cursors.py", &server);
}

/// Change events at collection, database and deployment scope, with
/// updateLookup, pre-/post-images, the start options, awaiting getMore,
/// postBatchResumeToken on every batch and drop/invalidate.
#[test]
fn pymongo_change_streams_report_every_change() {
    let server = start(ServerConfig::default());
    run_script("change_streams.py", &server);
}

/// Resuming after the client disconnects, and pymongo's own resume after a
/// dropped connection and after a killed cursor, with nothing lost or repeated.
#[test]
fn pymongo_change_streams_resume_after_disconnects() {
    let server = start(ServerConfig::default());
    run_script("resume.py", &server);
}

/// A resume point older than the retained change log: ChangeStreamHistoryLost (286).
#[test]
fn pymongo_gets_history_lost_for_a_resume_point_past_the_retained_log() {
    let server = start(ServerConfig::default().change_log_capacity(5));
    run_script("history_lost.py", &server);
}

/// Transactions (commit, abort, with_transaction) with one cluster time and
/// the session's lsid/txnNumber in change events; snapshot-session reads
/// at a fixed cluster time.
#[test]
fn pymongo_runs_transactions_and_point_in_time_reads() {
    let server = start(ServerConfig::default());
    run_script("transactions.py", &server);
}

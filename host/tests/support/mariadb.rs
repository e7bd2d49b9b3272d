//! A throwaway MariaDB server: `mariadb-install-db` into a temporary
//! directory, then `mariadbd` with a row-format binlog, TLS (a fresh test
//! CA) and a free port on 127.0.0.1. The connector's user `weir` (password
//! `weir-secret`) has the privileges Debezium documents.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The connector's user and password.
pub const USER: &str = "weir";
pub const PASSWORD: &str = "weir-secret";

/// A running server, stopped on drop.
pub struct MariaDb {
    pub port: u16,
    /// The CA certificate (PEM) that signed the server's certificate.
    pub ca_pem: String,
    dir: tempfile::TempDir,
    args: Vec<String>,
    child: Option<Child>,
}

fn find(program: &str) -> PathBuf {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"] {
        let p = Path::new(dir).join(program);
        if p.exists() {
            return p;
        }
    }
    panic!(
        "{program} not found: this test needs a real MariaDB server. \
         Install it with `apt-get install mariadb-server mariadb-client` (scripts/setup does)."
    );
}

impl MariaDb {
    /// Initialises and starts a server with the binlog settings Debezium
    /// needs, plus `extra` server options.
    pub fn start_with(extra: &[&str]) -> Self {
        let dir = tempfile::Builder::new().prefix("weir-maria").tempdir_in("/tmp").expect("temp dir");
        let data = dir.path().join("data");
        // A temporary directory of its own: servers installed side by side
        // in /tmp collide on their temporary tables' names.
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp).expect("temp dir for mariadbd");
        let out = Command::new(find("mariadb-install-db"))
            .args(["--no-defaults", "--user=root", "--auth-root-authentication-method=normal", "--skip-test-db"])
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--tmpdir={}", tmp.display()))
            .output()
            .expect("running mariadb-install-db");
        assert!(out.status.success(), "mariadb-install-db failed:\n{}", String::from_utf8_lossy(&out.stderr));
        let ca_pem = super::certs::make(dir.path());
        let port = super::worker::free_port();
        let d = dir.path().display().to_string();
        let mut args = vec![
            "--no-defaults".to_string(),
            "--user=root".into(),
            format!("--datadir={d}/data"),
            format!("--tmpdir={d}/tmp"),
            format!("--socket={d}/mysqld.sock"),
            format!("--pid-file={d}/mysqld.pid"),
            format!("--log-error={d}/error.log"),
            format!("--port={port}"),
            "--bind-address=127.0.0.1".into(),
            "--skip-name-resolve".into(),
            format!("--log-bin={d}/data/mariadb-bin"),
            "--binlog-format=ROW".into(),
            "--binlog-row-image=FULL".into(),
            "--server-id=1".into(),
            "--innodb-buffer-pool-size=64M".into(),
            "--innodb-flush-log-at-trx-commit=2".into(),
            "--sync-binlog=0".into(),
            "--max-connections=64".into(),
            "--character-set-server=utf8mb4".into(),
            "--collation-server=utf8mb4_general_ci".into(),
            format!("--ssl-ca={d}/ca.crt"),
            format!("--ssl-cert={d}/server.crt"),
            format!("--ssl-key={d}/server.key"),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        let mut db = Self { port, ca_pem, dir, args, child: None };
        db.spawn();
        db.sql(&format!(
            "CREATE USER '{USER}'@'%' IDENTIFIED BY '{PASSWORD}'; \
             GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT, LOCK TABLES ON *.* TO '{USER}'@'%'; \
             CREATE DATABASE shop;"
        ));
        db
    }

    /// A server with the default settings.
    pub fn start() -> Self {
        Self::start_with(&[])
    }

    fn spawn(&mut self) {
        let child = Command::new(find("mariadbd"))
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting mariadbd");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.try_sql("SELECT 1").is_err() {
            assert!(
                Instant::now() < deadline,
                "mariadbd did not accept connections; log:\n{}",
                std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops the server cleanly and starts it again with the same settings.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    /// Stops the server (shutdown through SQL, then waits for the process).
    pub fn stop(&mut self) {
        let _ = self.try_sql("SHUTDOWN");
        if let Some(mut child) = self.child.take() {
            let deadline = Instant::now() + Duration::from_secs(60);
            while child.try_wait().ok().flatten().is_none() {
                if Instant::now() > deadline {
                    let _ = child.kill();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.wait();
        }
    }

    fn client(&self) -> Command {
        let mut c = Command::new(find("mariadb"));
        c.arg("--no-defaults").arg(format!("--socket={}/mysqld.sock", self.dir.path().display())).args([
            "-uroot",
            "-N",
            "-B",
            "--raw",
            "--default-character-set=utf8mb4",
        ]);
        c
    }

    pub fn try_sql(&self, sql: &str) -> Result<String, String> {
        let out = self.client().arg("-e").arg(sql).output().map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim_end_matches('\n').to_string())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// Runs `body` as one anonymous block (see `block_in_background`).
    pub fn block(&self, body: &str) {
        if let Err(e) = self.block_in_background(body).join() {
            std::panic::resume_unwind(e);
        }
    }

    /// Runs SQL as root and returns the tab-separated output.
    pub fn sql(&self, sql: &str) -> String {
        self.try_sql(sql).unwrap_or_else(|e| panic!("SQL failed: {sql}\n{e}"))
    }

    /// Runs `body` (statements with loops: `FOR i IN 1..10 DO …; END FOR`)
    /// as one anonymous block, on a thread of its own, as a writer busy
    /// while the test does something else; joining the handle panics if it failed.
    pub fn block_in_background(&self, body: &str) -> std::thread::JoinHandle<()> {
        let sql = format!("BEGIN NOT ATOMIC {body} END");
        let mut cmd = self.client();
        // One statement: the client must not split the block at its semicolons.
        cmd.arg("--delimiter=//").arg("-e").arg(&sql);
        let sql = sql.to_string();
        std::thread::spawn(move || {
            let out = cmd.output().expect("running mariadb");
            assert!(out.status.success(), "SQL failed: {sql}\n{}", String::from_utf8_lossy(&out.stderr));
        })
    }

    /// A client program beside the server (`mariadb`, `mariadb-binlog`).
    pub fn tool(&self, name: &str) -> PathBuf {
        find(name)
    }

    /// The server's socket, for client tools.
    pub fn socket(&self) -> String {
        format!("{}/mysqld.sock", self.dir.path().display())
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

//! A throwaway PostgreSQL server: `initdb` into a temporary directory,
//! `wal_level=logical`, trust authentication on 127.0.0.1, a free port.
//! As root, the server runs as the `postgres` user (initdb refuses root).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A running server, stopped on drop.
pub struct Postgres {
    bin: PathBuf,
    data: PathBuf,
    pub port: u16,
    as_postgres_user: bool,
    /// The CA certificate (PEM) that signed the server's certificate, when TLS is on.
    pub ca_pem: Option<String>,
    _dir: tempfile::TempDir,
}

fn find_bin() -> PathBuf {
    for version in ["17", "16", "15", "14"] {
        let dir = PathBuf::from(format!("/usr/lib/postgresql/{version}/bin"));
        if dir.join("initdb").exists() && dir.join("postgres").exists() {
            return dir;
        }
    }
    panic!(
        "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: this test needs a real server. \
         Install it with `apt-get install postgresql` (.ci/run does)."
    );
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

impl Postgres {
    /// Initialises and starts a server.
    pub fn start() -> Self {
        Self::start_with(false, "")
    }

    /// Starts a server with extra `-c name=value` settings (later ones win).
    pub fn start_with_settings(settings: &str) -> Self {
        Self::start_with(false, settings)
    }

    /// Initialises and starts a server that also accepts TLS, with a
    /// certificate for `localhost`/127.0.0.1 signed by a fresh test CA.
    pub fn start_with_tls() -> Self {
        Self::start_with(true, "")
    }

    /// Restarts the server (fast shutdown, then start with the same settings).
    pub fn restart(&self) {
        let log = self._dir.path().join("pg.log");
        self.run_pg(
            "pg_ctl",
            &["-D", self.data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-m", "fast", "-w", "restart"],
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.try_sql("SELECT 1").is_err() {
            assert!(Instant::now() < deadline, "postgres did not come back after a restart");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Requires `method` (`md5` or `scram-sha-256`) for TCP connections of
    /// every user but `postgres`, and reloads the configuration.
    pub fn require_password(&self, method: &str) {
        let hba = format!(
            "local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost replication postgres 127.0.0.1/32 trust\n\
             host all all 127.0.0.1/32 {method}\nhost replication all 127.0.0.1/32 {method}\n"
        );
        std::fs::write(self.data.join("pg_hba.conf"), hba).expect("writing pg_hba.conf");
        self.sql("SELECT pg_reload_conf()");
        std::thread::sleep(Duration::from_millis(300));
    }

    fn start_with(tls: bool, settings: &str) -> Self {
        let bin = find_bin();
        let dir = tempfile::Builder::new().prefix("weir-pg").tempdir_in("/tmp").expect("temp dir");
        let data = dir.path().join("data");
        let as_postgres_user = is_root();
        if as_postgres_user {
            run(Command::new("chown").args(["postgres:postgres"]).arg(dir.path()), "chown");
        }
        let port = super::worker::free_port();
        let mut pg = Self { bin, data, port, as_postgres_user, ca_pem: None, _dir: dir };
        pg.run_pg(
            "initdb",
            &["-D", pg.data.to_str().unwrap(), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"],
        );
        let opts = format!(
            "-c port={port} -c listen_addresses=127.0.0.1 -c max_connections=50 -c unix_socket_directories={} -c wal_level=logical \
             -c max_replication_slots=8 -c max_wal_senders=8 -c fsync=off",
            pg._dir.path().display()
        );
        let opts = if tls { format!("{opts} {}", pg.make_certificates()) } else { opts };
        let opts = format!("{opts} {settings}");
        let log = pg._dir.path().join("pg.log");
        pg.run_pg(
            "pg_ctl",
            &["-D", pg.data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-o", &opts, "-w", "-t", "60", "start"],
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while pg.try_sql("SELECT 1").is_err() {
            assert!(
                Instant::now() < deadline,
                "postgres did not accept connections; log:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        pg
    }

    /// Writes a CA and a server certificate; returns the server's TLS options.
    fn make_certificates(&mut self) -> String {
        let dir = self._dir.path();
        self.ca_pem = Some(super::certs::make(dir));
        if self.as_postgres_user {
            run(
                Command::new("chown").args(["postgres:postgres", "server.key", "server.crt"]).current_dir(dir),
                "chown",
            );
        }
        run(Command::new("chmod").args(["600", "server.key"]).current_dir(dir), "chmod");
        format!("-c ssl=on -c ssl_cert_file={0}/server.crt -c ssl_key_file={0}/server.key", dir.display())
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres_user {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run_pg(&self, program: &str, args: &[&str]) {
        run(self.command(program).args(args), program);
    }

    fn try_sql(&self, sql: &str) -> Result<String, String> {
        psql(&self.bin, self.port, sql)
    }

    /// Runs SQL as the superuser and returns the unaligned output.
    pub fn sql(&self, sql: &str) -> String {
        self.try_sql(sql).unwrap_or_else(|e| panic!("SQL failed: {sql}\n{e}"))
    }

    /// Runs `sql` on a thread of its own, as a writer busy while the test
    /// does something else; joining the handle panics if the SQL failed.
    pub fn sql_in_background(&self, sql: &str) -> std::thread::JoinHandle<()> {
        let (bin, port, sql) = (self.bin.clone(), self.port, sql.to_string());
        std::thread::spawn(move || {
            if let Err(e) = psql(&bin, port, &sql) {
                panic!("SQL failed: {sql}\n{e}");
            }
        })
    }

    /// A client program of the same installation (`psql`, `pg_recvlogical`).
    pub fn tool(&self, name: &str) -> PathBuf {
        self.bin.join(name)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args(["-D", self.data.to_str().unwrap_or(""), "-m", "immediate", "-w", "stop"])
            .output();
    }
}

/// `psql` as the superuser, stopping at the first error; the unaligned output.
fn psql(bin: &Path, port: u16, sql: &str) -> Result<String, String> {
    let out = Command::new(bin.join("psql"))
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres", "-d", "postgres"])
        .args(["-v", "ON_ERROR_STOP=1", "-At", "-c", sql])
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn run(cmd: &mut Command, what: &str) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("running {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

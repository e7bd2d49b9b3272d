//! Starts the real `weir` binary on a free port with its own data directory,
//! and talks to it over HTTP.

#![allow(dead_code)]

use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// CPU seconds (user and system) process `pid` has used so far: fields 14
/// and 15 of `/proc/<pid>/stat`, in clock ticks (100 Hz); `"self"` for this process.
pub fn cpu_seconds(pid: &str) -> f64 {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_comm = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// A port nothing listens on right now, chosen below the kernel's ephemeral
/// range: a port from that range can be taken by any outgoing connection
/// (a database client's, say) between a worker's stop and its restart on
/// the same port, which then fails with "Address already in use".
pub fn free_port() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    // Handed out in turn within this process, so tests running side by side
    // never probe the same port at the same moment; the start differs per process.
    static NEXT: AtomicU32 = AtomicU32::new(0);
    const FLOOR: u32 = 10_000;
    let ceiling = fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32_768)
        .clamp(FLOOR + 1_000, 65_535);
    let span = ceiling - FLOOR;
    let start = std::process::id().wrapping_mul(7_919) % span;
    for _ in 0..span {
        let port = FLOOR + (start + NEXT.fetch_add(1, Ordering::Relaxed)) % span;
        if let Ok(port) = u16::try_from(port)
            && TcpListener::bind(("127.0.0.1", port)).is_ok()
        {
            return port;
        }
    }
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("binding an ephemeral port")
}

/// Paths of the wasm guests the host's build script produced.
pub fn guest(var: &str) -> PathBuf {
    let path = match var {
        "misbehave" => env!("WEIR_TEST_MISBEHAVE_WASM"),
        "pgproof" => env!("WEIR_TEST_PGPROOF_WASM"),
        "minimal" => env!("WEIR_EXAMPLE_MINIMAL_WASM"),
        other => panic!("unknown guest {other}"),
    };
    PathBuf::from(path)
}

/// A `plugin.path` folder under `dir` holding the named guests as `NAME.wasm`.
pub fn plugin_dir(dir: &Path, guests: &[&str]) -> PathBuf {
    let plugins = dir.join("plugins");
    fs::create_dir_all(&plugins).expect("creating the plugin folder");
    for name in guests {
        fs::copy(guest(name), plugins.join(format!("{name}.wasm"))).expect("copying a guest");
    }
    plugins
}

/// A running worker.
pub struct Worker {
    child: Option<Child>,
    pub port: u16,
    pub dir: PathBuf,
    agent: ureq::Agent,
    log_path: PathBuf,
}

impl Worker {
    /// Starts a worker whose state lives in `dir`, with extra properties.
    pub fn start(dir: &Path, extra: &[(&str, &str)]) -> Self {
        Self::start_on(dir, free_port(), extra)
    }

    /// Starts a worker on a given port (used to restart on the same port).
    pub fn start_on(dir: &Path, port: u16, extra: &[(&str, &str)]) -> Self {
        fs::create_dir_all(dir).expect("creating the worker dir");
        let mut props = format!("listeners=http://127.0.0.1:{port}\nweir.data.dir={}\n", dir.join("data").display());
        for (k, v) in extra {
            props.push_str(&format!("{k}={v}\n"));
        }
        let props_path = dir.join("worker.properties");
        fs::write(&props_path, props).expect("writing worker.properties");
        let log_path = dir.join(format!("worker-{}.log", now_millis()));
        let log = fs::File::create(&log_path).expect("creating the worker log");
        let child = Command::new(env!("CARGO_BIN_EXE_weir"))
            .arg(&props_path)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .env("WEIR_TEST_ENV_TOPIC", "from-env")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting the weir binary");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        let mut worker = Self { child: Some(child), port, dir: dir.to_path_buf(), agent, log_path };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = worker.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("weir exited during start-up ({status}); log:\n{}", worker.log());
            }
            if worker.agent.get(&worker.url("/")).call().is_ok() {
                return worker;
            }
            assert!(Instant::now() < deadline, "weir did not start serving within 120 s; log:\n{}", worker.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The worker's process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The worker's log so far (ANSI colours stripped).
    pub fn log(&self) -> String {
        let raw = fs::read_to_string(&self.log_path).unwrap_or_default();
        strip_ansi(&raw)
    }

    fn parse(mut resp: ureq::http::Response<ureq::Body>) -> (u16, Value) {
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        let json =
            if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        (status, json)
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        Self::parse(self.agent.get(&self.url(path)).call().expect("GET"))
    }

    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.post_raw(path, "application/json", &body.to_string())
    }

    pub fn post_raw(&self, path: &str, content_type: &str, body: &str) -> (u16, Value) {
        Self::parse(self.agent.post(&self.url(path)).header("Content-Type", content_type).send(body).expect("POST"))
    }

    pub fn put(&self, path: &str, body: Option<&Value>) -> (u16, Value) {
        let req = self.agent.put(&self.url(path)).header("Content-Type", "application/json");
        Self::parse(
            match body {
                Some(b) => req.send(b.to_string()),
                None => req.send_empty(),
            }
            .expect("PUT"),
        )
    }

    pub fn patch(&self, path: &str, body: &Value) -> (u16, Value) {
        Self::parse(
            self.agent
                .patch(&self.url(path))
                .header("Content-Type", "application/json")
                .send(body.to_string())
                .expect("PATCH"),
        )
    }

    pub fn post_empty(&self, path: &str) -> (u16, Value) {
        Self::parse(self.agent.post(&self.url(path)).send_empty().expect("POST"))
    }

    pub fn delete(&self, path: &str) -> (u16, Value) {
        Self::parse(self.agent.delete(&self.url(path)).call().expect("DELETE"))
    }

    /// Creates a connector and asserts the 201.
    pub fn create(&self, name: &str, config: Value) -> Value {
        let (status, body) = self.post("/connectors", &serde_json::json!({ "name": name, "config": config }));
        assert_eq!(status, 201, "creating {name}: {body}\nlog:\n{}", self.log());
        body
    }

    /// The status of a connector.
    pub fn status(&self, name: &str) -> Value {
        let (code, body) = self.get(&format!("/connectors/{name}/status"));
        assert_eq!(code, 200, "status of {name}: {body}");
        body
    }

    /// Task 0's state and trace.
    pub fn task0(&self, name: &str) -> (String, String) {
        let status = self.status(name);
        let task = &status["tasks"][0];
        (task["state"].as_str().unwrap_or("").to_string(), task["trace"].as_str().unwrap_or("").to_string())
    }

    /// The committed offset of connector `name`'s first source partition
    /// (`Null` when there is none).
    pub fn offset(&self, name: &str) -> Value {
        let (_, body) = self.get(&format!("/connectors/{name}/offsets"));
        body["offsets"][0]["offset"].clone()
    }

    /// Stops connector `name` (`PUT /stop`) and waits until it is STOPPED.
    pub fn stop(&self, name: &str) {
        let (code, body) = self.put(&format!("/connectors/{name}/stop"), None);
        assert_eq!(code, 204, "stopping {name}: {body}");
        self.wait_for(&format!("{name} to stop"), Duration::from_secs(60), |w| {
            w.status(name)["connector"]["state"] == "STOPPED"
        });
    }

    /// Sets a stopped connector's offset for `partition` (`PATCH /offsets`).
    pub fn alter_offset(&self, name: &str, partition: Value, offset: Value) {
        let body = serde_json::json!({"offsets": [{"partition": partition, "offset": offset}]});
        let (code, reply) = self.patch(&format!("/connectors/{name}/offsets"), &body);
        assert_eq!(code, 200, "altering {name}'s offsets: {reply}");
    }

    /// Resumes connector `name` (`PUT /resume`).
    pub fn resume(&self, name: &str) {
        let (code, body) = self.put(&format!("/connectors/{name}/resume"), None);
        assert_eq!(code, 202, "resuming {name}: {body}");
    }

    /// Records in an embedded-log topic.
    pub fn topic_len(&self, topic: &str) -> u64 {
        let (_, topics) = self.get("/weir/topics");
        topics[topic]["records"].as_u64().unwrap_or(0)
    }

    /// Every record of a topic.
    pub fn records(&self, topic: &str) -> Vec<Value> {
        let mut out = Vec::new();
        loop {
            let (code, page) = self.get(&format!("/weir/topics/{topic}/records?offset={}&limit=1000", out.len()));
            assert_eq!(code, 200, "{page}");
            let page = page.as_array().cloned().unwrap_or_default();
            if page.is_empty() {
                return out;
            }
            out.extend(page);
        }
    }

    /// Waits until `f` holds, or panics with `what` and the log.
    pub fn wait_for(&self, what: &str, timeout: Duration, mut f: impl FnMut(&Self) -> bool) {
        let deadline = Instant::now() + timeout;
        while !f(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}; log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// (key, value) of every record of a topic, parsed from their JSON text;
    /// `None` for a null key or value.
    pub fn events(&self, topic: &str) -> Vec<(Option<Value>, Option<Value>)> {
        let parse = |v: &Value| v.as_str().map(|s| serde_json::from_str::<Value>(s).expect("record JSON"));
        self.records(topic).iter().map(|r| (parse(&r["key"]), parse(&r["value"]))).collect()
    }

    /// The `payload` of every non-null value (JsonConverter with schemas).
    pub fn payloads(&self, topic: &str) -> Vec<Value> {
        self.events(topic).into_iter().filter_map(|(_, v)| v.map(|v| v["payload"].clone())).collect()
    }

    /// Waits up to a minute until `topic` holds `n` records; fails at once,
    /// with the trace, if connector `name`'s task fails.
    pub fn wait_records(&self, name: &str, topic: &str, n: u64) {
        self.wait_for(&format!("{n} records in {topic}"), Duration::from_secs(60), |w| {
            let (state, trace) = w.task0(name);
            assert_ne!(state, "FAILED", "task failed: {trace}");
            w.topic_len(topic) >= n
        });
    }

    /// The worker's peak resident set (VmHWM), MiB.
    pub fn peak_rss_mib(&self) -> f64 {
        let Some(pid) = self.pid() else { return 0.0 };
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }

    /// `kill -9`.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            let _ = child.wait();
        }
    }

    /// SIGTERM, then waits for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("worker is running");
        // SAFETY: sending a signal to our own child process.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().expect("waiting for weir") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("weir did not exit within 30 s of SIGTERM; log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn now_millis() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

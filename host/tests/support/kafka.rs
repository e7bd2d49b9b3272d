//! A real Kafka-protocol broker for tests (tansu, in memory, on a free
//! port) and an rdkafka consumer that reads topics back.
//!
//! The broker binary comes from `WEIR_TANSU` or `~/.cache/weir/tansu/bin/tansu`
//! (where `scripts/setup` installs it); without it the test fails and says so.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{Offset, TopicPartitionList};

/// A record read back from Kafka.
#[derive(Debug, Clone)]
pub struct Consumed {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub value: Option<Vec<u8>>,
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

impl Consumed {
    /// The value as UTF-8 JSON.
    pub fn json(&self) -> serde_json::Value {
        let bytes = self.value.as_deref().expect("a value");
        serde_json::from_slice(bytes)
            .unwrap_or_else(|e| panic!("value is not JSON ({e}): {:?}", String::from_utf8_lossy(bytes)))
    }
}

/// A running tansu broker.
pub struct Broker {
    child: Child,
    pub port: u16,
}

fn tansu_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("WEIR_TANSU") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/root"));
    home.join(".cache/weir/tansu/bin/tansu")
}

impl Broker {
    /// Starts a broker with in-memory storage on a free port.
    pub fn start() -> Self {
        let bin = tansu_binary();
        assert!(
            bin.exists(),
            "this test needs the tansu Kafka broker at {} (set WEIR_TANSU, or run scripts/setup, which installs it)",
            bin.display()
        );
        let port = super::worker::free_port();
        let url = format!("tcp://127.0.0.1:{port}");
        let child = Command::new(&bin)
            .args(["broker", "--listener-url", &url, "--advertised-listener-url", &url])
            .args(["--storage-engine", "memory://tansu/"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        let broker = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tansu did not listen on {port} within 30 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        broker
    }

    /// The broker's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `bootstrap.servers` for this broker.
    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Creates a topic with the tansu CLI (the broker does not auto-create).
    pub fn create_topic(&self, name: &str, partitions: u32) {
        let status = Command::new(tansu_binary())
            .args(["topic", "create", name, "--broker", &format!("tcp://127.0.0.1:{}", self.port)])
            .args(["--partitions", &partitions.to_string()])
            .stdout(Stdio::null())
            .status()
            .expect("running tansu topic create");
        assert!(status.success(), "tansu topic create {name} failed: {status}");
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Partitions of `topic` as the broker reports them (0 when it does not exist).
pub fn partition_count(bootstrap: &str, topic: &str) -> usize {
    let consumer = consumer(bootstrap);
    consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .ok()
        .and_then(|m| {
            m.topics().iter().find(|t| t.name() == topic && t.error().is_none()).map(|t| t.partitions().len())
        })
        .unwrap_or(0)
}

fn consumer(bootstrap: &str) -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "weir-tests")
        .set("enable.auto.commit", "false")
        .set("allow.auto.create.topics", "false")
        .create()
        .expect("creating a consumer")
}

/// Reads every record of `topic` from the beginning until at least `at_least`
/// have arrived and no more come for a moment, or `timeout` passes.
pub fn read_topic(bootstrap: &str, topic: &str, at_least: usize, timeout: Duration) -> Vec<Consumed> {
    let deadline = Instant::now() + timeout;
    let partitions = loop {
        let n = partition_count(bootstrap, topic);
        if n > 0 {
            break n;
        }
        assert!(Instant::now() < deadline, "topic {topic} does not exist on {bootstrap}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let consumer = consumer(bootstrap);
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions as i32 {
        tpl.add_partition_offset(topic, p, Offset::Beginning).expect("partition offset");
    }
    consumer.assign(&tpl).expect("assigning partitions");
    let mut out = Vec::new();
    let mut quiet_since = Instant::now();
    loop {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                let headers = m
                    .headers()
                    .map(|h| h.iter().map(|h| (h.key.to_string(), h.value.map(<[u8]>::to_vec))).collect())
                    .unwrap_or_default();
                out.push(Consumed {
                    partition: m.partition(),
                    offset: m.offset(),
                    key: m.key().map(<[u8]>::to_vec),
                    value: m.payload().map(<[u8]>::to_vec),
                    headers,
                });
                quiet_since = Instant::now();
            }
            Some(Err(e)) => panic!("consuming {topic}: {e}"),
            None => {}
        }
        let settled = out.len() >= at_least && quiet_since.elapsed() > Duration::from_millis(1500);
        if settled || Instant::now() > deadline {
            return out;
        }
    }
}

/// Java's `Utils.murmur2`, written out here independently of librdkafka so
/// the test checks partitions against Kafka's own definition.
pub fn java_murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    let len = data.len();
    let mut h: u32 = SEED ^ len as u32;
    for chunk in data.chunks_exact(4) {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> 24;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = &data[len & !3..];
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if !tail.is_empty() {
        h ^= u32::from(tail[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition Kafka's default partitioner picks for a key.
pub fn java_partition(key: &[u8], partitions: usize) -> i32 {
    ((java_murmur2(key) & 0x7fff_ffff) as usize % partitions) as i32
}

//! `cargo bench -p weir --bench delivery` (needs tansu; see scripts/setup)
//!
//! Records per second through the whole host path — datagen's `poll` in the
//! sandbox → JsonConverter (`schemas.enable=false`) → sink — into the
//! embedded log and into Kafka (a tansu broker started here), against the
//! physical limit: a raw rdkafka producer with the same settings sending the
//! same bytes to the same broker in the same run (three runs of each, taken
//! in turn, medians compared). Also the worker's peak RSS while delivering
//! to Kafka.

#[path = "../tests/support/worker.rs"]
mod worker;

#[path = "../tests/support/kafka.rs"]
mod kafka;
#[allow(dead_code, reason = "only the interleaved runs are used here")]
#[path = "support/limit.rs"]
mod limit;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use limit::Limit;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DefaultProducerContext, Producer, ThreadedProducer};
use serde_json::json;
use weir::sink::{OverridePolicy, producer_settings};
use worker::Worker;

const N: u64 = 2_000_000;

/// A record's key and value bytes, as the converters wrote them.
type KeyValue = (Option<Vec<u8>>, Option<Vec<u8>>);

fn committed(w: &Worker, name: &str) -> u64 {
    w.get(&format!("/connectors/{name}/offsets")).1["offsets"][0]["offset"]["current.iteration"].as_u64().unwrap_or(0)
}

/// Creates a datagen connector and times it until all N offsets are committed.
fn run_connector(w: &Worker, name: &str, topic: &str) -> Duration {
    let t = Instant::now();
    w.create(
        name,
        json!({"connector.class": "DatagenConnector", "kafka.topic": topic, "quickstart": "orders",
               "max.interval": "0", "iterations": N.to_string(), "tasks.max": "1",
               "value.converter.schemas.enable": "false", "key.converter": "org.apache.kafka.connect.storage.StringConverter"}),
    );
    w.wait_for("every record delivered", Duration::from_secs(600), |w| committed(w, name) >= N);
    t.elapsed()
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let broker = kafka::Broker::start();
    let bootstrap = broker.bootstrap();
    broker.create_topic("bench-weir", 3);
    broker.create_topic("bench-raw", 3);

    // 1. Embedded log.
    let embedded = Worker::start(&dir.path().join("embedded"), &[]);
    let embedded_time = run_connector(&embedded, "embedded", "bench-embedded");

    // The exact bytes the connector produced, for the raw producer.
    let records: Vec<KeyValue> = embedded
        .records("bench-embedded")
        .iter()
        .map(|r| {
            let text = |v: &serde_json::Value| v.as_str().map(|s| s.as_bytes().to_vec());
            (text(&r["key"]), text(&r["value"]))
        })
        .collect();
    assert_eq!(records.len() as u64, N);
    let bytes: usize =
        records.iter().map(|(k, v)| k.as_ref().map_or(0, Vec::len) + v.as_ref().map_or(0, Vec::len)).sum();
    drop(embedded);

    // 2. Kafka through Weir and 3. the limit, a raw producer with the same
    // settings sending the same bytes to the same broker: three runs of
    // each, taken in turn (each into a new topic), their medians compared.
    let props = [("bootstrap.servers", bootstrap.as_str()), ("offset.flush.interval.ms", "100")];
    // Started once to fill the compile cache, so the peak RSS is that of
    // delivering, not of compiling the components at first start.
    let mut w = Worker::start(&dir.path().join("kafka"), &props);
    w.terminate();
    let broker_pid = broker.pid().to_string();
    let worker_props: BTreeMap<String, String> = props.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let settings = producer_settings(&worker_props, &BTreeMap::new(), OverridePolicy::All).expect("settings");
    // CPU seconds over all runs: (worker, broker) while Weir ran, (raw
    // producer, broker) while it ran.
    let (mut weir_cpu, mut raw_cpu) = ((0.0, 0.0), (0.0, 0.0));
    let mut raw_run = 0;
    let raw_once = || {
        let topic = format!("bench-raw-{raw_run}");
        raw_run += 1;
        broker.create_topic(&topic, 3);
        let (raw_cpu0, broker_cpu0) = (worker::cpu_seconds("self"), worker::cpu_seconds(&broker_pid));
        let elapsed = produce_raw(&settings, &topic, &records);
        raw_cpu.0 += worker::cpu_seconds("self") - raw_cpu0;
        raw_cpu.1 += worker::cpu_seconds(&broker_pid) - broker_cpu0;
        elapsed
    };
    // Each run has a worker of its own (the compile cache warm): the peak
    // RSS is that of one worker delivering one connector, not what the
    // allocator kept from the connectors before it.
    let mut rss: f64 = 0.0;
    let weir_once = |run: usize| {
        let w = Worker::start(&dir.path().join("kafka"), &props);
        let worker_pid = w.pid().expect("worker pid").to_string();
        let topic = format!("bench-weir-{run}");
        broker.create_topic(&topic, 3);
        let (worker_cpu0, broker_cpu0) = (worker::cpu_seconds(&worker_pid), worker::cpu_seconds(&broker_pid));
        let elapsed = run_connector(&w, &format!("kafka{run}"), &topic);
        weir_cpu.0 += worker::cpu_seconds(&worker_pid) - worker_cpu0;
        weir_cpu.1 += worker::cpu_seconds(&broker_pid) - broker_cpu0;
        rss = rss.max(w.peak_rss_mib());
        // Deleted, so the next run's worker does not restart it.
        w.delete(&format!("/connectors/kafka{run}"));
        elapsed
    };
    let (raw, weir) = Limit::interleaved(raw_once, weir_once);
    let (kafka_rate, raw_rate) = (weir.rate(N), raw.rate(N));
    let per_record = |cpu: f64| cpu * 1e6 / (3 * N) as f64;

    println!(
        "delivery: {N} datagen orders records, {:.1} MiB of keys+values, schemas.enable=false",
        bytes as f64 / 1048576.0
    );
    let embedded_rate = N as f64 / embedded_time.as_secs_f64();
    println!("  embedded log   {embedded_rate:>9.0} rec/s  (one run)");
    let (lo, hi) = weir.range(N);
    println!("  kafka (weir)   {kafka_rate:>9.0} rec/s  (median of 3: {lo:.0}–{hi:.0})");
    let (lo, hi) = raw.range(N);
    println!(
        "  kafka (raw)    {raw_rate:>9.0} rec/s  (median of 3: {lo:.0}–{hi:.0})  <- limit: same settings, same bytes, same broker"
    );
    println!("  weir kafka / raw producer = {:.2}", kafka_rate / raw_rate);
    println!("  weir embedded / raw producer = {:.2}", embedded_rate / raw_rate);
    println!("  worker peak RSS while delivering to Kafka: {rss:.1} MiB");
    // On a machine with few cores the broker, the producer and the worker
    // share them, so the Kafka ratio is bounded by how much CPU per record
    // the worker adds to what the raw producer and the broker spend.
    println!(
        "  CPU per record: weir worker {:.2} µs + broker {:.2} µs; raw producer {:.2} µs + broker {:.2} µs",
        per_record(weir_cpu.0),
        per_record(weir_cpu.1),
        per_record(raw_cpu.0),
        per_record(raw_cpu.1)
    );
}

/// Sends `records` to `topic` with a raw producer made from `settings`,
/// waiting for every delivery; returns the time taken.
fn produce_raw(settings: &BTreeMap<String, String>, topic: &str, records: &[KeyValue]) -> Duration {
    let mut config = ClientConfig::new();
    for (k, v) in settings {
        config.set(k, v);
    }
    let producer: ThreadedProducer<DefaultProducerContext> = config.create().expect("raw producer");
    let t = Instant::now();
    for (key, value) in records {
        let mut record = BaseRecord::<[u8], [u8]>::to(topic);
        if let Some(k) = key {
            record = record.key(k.as_slice());
        }
        if let Some(v) = value {
            record = record.payload(v.as_slice());
        }
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    std::thread::sleep(Duration::from_millis(1));
                    record = back;
                }
                Err((e, _)) => panic!("raw produce failed: {e}"),
            }
        }
    }
    producer.flush(Duration::from_secs(120)).expect("raw flush");
    t.elapsed()
}

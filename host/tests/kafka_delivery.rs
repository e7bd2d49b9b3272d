//! Delivery to a real Kafka-protocol broker (tansu): topics created as
//! Kafka Connect creates them, keys on Java's murmur2 partitions, records in
//! order, offsets committed only for what the broker acknowledged, and a
//! `kill -9` losing nothing.

#[path = "support/worker.rs"]
mod worker;

#[path = "support/kafka.rs"]
mod kafka;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kafka::{Broker, java_murmur2, java_partition, partition_count, read_topic};
use serde_json::json;
use worker::Worker;

#[test]
fn the_tests_murmur2_is_kafkas() {
    // Vectors from Kafka's own UtilsTest.
    assert_eq!(java_murmur2(b"21"), -973932308);
    assert_eq!(java_murmur2(b"foobar"), -790332482);
    assert_eq!(java_murmur2(b"a-little-bit-long-string"), -985981536);
    assert_eq!(java_murmur2(b"a-little-bit-longer-string"), -1486304829);
    assert_eq!(java_murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971);
    assert_eq!(java_murmur2(b"abc"), 479470107);
}

fn datagen(topic: &str, iterations: u64, extra: &[(&str, &str)]) -> serde_json::Value {
    let mut config = json!({
        "connector.class": "DatagenConnector", "kafka.topic": topic, "quickstart": "orders",
        "max.interval": "0", "iterations": iterations.to_string(), "tasks.max": "1",
        "topic.creation.default.partitions": "3", "topic.creation.default.replication.factor": "1",
    });
    for (k, v) in extra {
        config[*k] = json!(v);
    }
    config
}

#[test]
fn records_reach_kafka_on_java_partitions_in_order_and_offsets_follow_acks() {
    const N: u64 = 300;
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let bootstrap = broker.bootstrap();
    let w =
        Worker::start(&dir.path().join("w"), &[("bootstrap.servers", &bootstrap), ("offset.flush.interval.ms", "200")]);
    w.create("orders", datagen("orders", N, &[]));
    w.wait_for("every offset committed", Duration::from_secs(60), |w| {
        w.get("/connectors/orders/offsets").1["offsets"][0]["offset"]["current.iteration"] == json!(N)
    });
    assert_eq!(partition_count(&bootstrap, "orders"), 3, "topic created with topic.creation.default.partitions");
    assert_eq!(w.topic_len("orders"), 0, "with a broker nothing goes to the embedded log");

    let records = read_topic(&bootstrap, "orders", N as usize, Duration::from_secs(30));
    assert_eq!(records.len() as u64, N, "every record once");
    let mut last_id_per_partition: BTreeMap<i32, i64> = BTreeMap::new();
    let mut ids = BTreeSet::new();
    for r in &records {
        let key = r.key.as_deref().expect("datagen records have keys");
        assert_eq!(r.partition, java_partition(key, 3), "key {:?} on Java's partition", String::from_utf8_lossy(key));
        let value = r.json();
        // value.converter defaults to JsonConverter with schemas.
        assert_eq!(value["schema"]["type"], "struct", "{value}");
        let id = value["payload"]["orderid"].as_i64().expect("orderid");
        if let Some(prev) = last_id_per_partition.insert(r.partition, id) {
            assert!(id > prev, "partition {} out of order: {prev} then {id}", r.partition);
        }
        ids.insert(id);
    }
    assert_eq!(ids, (0..N as i64).collect::<BTreeSet<_>>());
    assert_eq!(w.get("/connectors/orders/topics").1, json!({"orders": {"topics": ["orders"]}}));
}

#[test]
fn with_topic_creation_off_an_existing_topic_is_used_as_it_is() {
    let broker = Broker::start();
    broker.create_topic("existing", 2);
    let dir = tempfile::tempdir().unwrap();
    let bootstrap = broker.bootstrap();
    let w = Worker::start(
        &dir.path().join("w"),
        &[("bootstrap.servers", &bootstrap), ("offset.flush.interval.ms", "200"), ("topic.creation.enable", "false")],
    );
    // The worker turned topic creation off, so the connector's settings do nothing; the topic exists already.
    w.create("existing", datagen("existing", 50, &[("value.converter.schemas.enable", "false")]));
    let records = read_topic(&bootstrap, "existing", 50, Duration::from_secs(60));
    assert_eq!(records.len(), 50);
    assert_eq!(partition_count(&bootstrap, "existing"), 2, "the existing topic was left as it was");
    let value = records[0].json();
    assert!(value.get("schema").is_none() && value.get("orderid").is_some(), "schemas.enable=false: {value}");
}

#[test]
fn kill_9_mid_stream_loses_no_record() {
    const N: u64 = 2000;
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let wdir = dir.path().join("w");
    let bootstrap = broker.bootstrap();
    let props = [("bootstrap.servers", bootstrap.as_str()), ("offset.flush.interval.ms", "300")];
    let mut w = Worker::start(&wdir, &props);
    let port = w.port;
    w.create("orders", datagen("orders", N, &[("max.interval", "1")]));
    let committed = |w: &Worker| {
        w.get("/connectors/orders/offsets").1["offsets"][0]["offset"]["current.iteration"].as_u64().unwrap_or(0)
    };
    w.wait_for("some offsets committed", Duration::from_secs(60), |w| committed(w) >= N / 4);
    // Offsets only grow, so what is read here is at most what was committed at the kill.
    let committed_before_kill = committed(&w);
    w.kill9();
    let w = Worker::start_on(&wdir, port, &props);
    w.wait_for("the resumed task to finish", Duration::from_secs(120), |w| {
        w.get("/connectors/orders/offsets").1["offsets"][0]["offset"]["current.iteration"] == json!(N)
    });
    let records = read_topic(&bootstrap, "orders", N as usize, Duration::from_secs(30));
    let ids: Vec<i64> = records.iter().map(|r| r.json()["payload"]["orderid"].as_i64().expect("orderid")).collect();
    let distinct: BTreeSet<i64> = ids.iter().copied().collect();
    assert_eq!(distinct, (0..N as i64).collect::<BTreeSet<_>>(), "at least once: every record is in Kafka");
    let mut seen = BTreeSet::new();
    let repeated: Vec<i64> = ids.iter().copied().filter(|id| !seen.insert(*id)).collect();
    assert!(
        repeated.iter().all(|id| *id as u64 >= committed_before_kill),
        "only records after the last committed offset may repeat; committed {committed_before_kill}, repeated {repeated:?}"
    );
    println!("{} duplicates, all after offset {committed_before_kill}", repeated.len());
}

#[test]
fn validation_reports_override_policy_and_topic_creation_problems() {
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(
        &dir.path().join("w"),
        &[("bootstrap.servers", "127.0.0.1:1"), ("connector.client.config.override.policy", "None")],
    );
    let (code, infos) = w.put(
        "/connector-plugins/DatagenConnector/config/validate",
        Some(&json!({"connector.class": "DatagenConnector", "name": "v", "kafka.topic": "t",
                     "producer.override.linger.ms": "10", "topic.creation.default.partitions": "0"})),
    );
    assert_eq!(code, 200, "{infos}");
    let errors: Vec<String> = infos["configs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["value"]["errors"].as_array().cloned().unwrap_or_default())
        .map(|e| e.as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        errors.iter().any(|e| e.contains("'None' policy does not allow 'linger.ms'")),
        "override refused: {errors:?}"
    );
    assert!(errors.iter().any(|e| e.contains("topic.creation.default.partitions")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("topic.creation.default.replication.factor")), "{errors:?}");
    assert_eq!(infos["error_count"].as_u64().unwrap() as usize, errors.len());
}

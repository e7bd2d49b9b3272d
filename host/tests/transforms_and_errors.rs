//! Transforms, predicates and error tolerance on the real worker, into the
//! embedded log: chains configured as Kafka Connect configures them, records
//! a transform drops still advance their offsets, and records that fail a
//! stage fail the task or are skipped and logged per `errors.tolerance`.

#[path = "support/worker.rs"]
mod worker;

use std::time::Duration;

use serde_json::json;
use worker::Worker;

fn committed(w: &Worker, name: &str) -> u64 {
    w.get(&format!("/connectors/{name}/offsets")).1["offsets"][0]["offset"]["current.iteration"].as_u64().unwrap_or(0)
}

#[test]
fn a_chain_routes_inserts_and_filters_with_predicates() {
    const N: u64 = 40;
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(&dir.path().join("w"), &[]);
    w.create(
        "routed",
        json!({"connector.class": "DatagenConnector", "kafka.topic": "orders", "quickstart": "orders",
               "max.interval": "0", "iterations": N.to_string(),
               "value.converter.schemas.enable": "false",
               "transforms": "route,origin,key",
               "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
               "transforms.route.regex": "(.*)",
               "transforms.route.replacement": "copy-$1",
               "transforms.origin.type": "org.apache.kafka.connect.transforms.InsertField$Value",
               "transforms.origin.static.field": "origin",
               "transforms.origin.static.value": "weir",
               "transforms.key.type": "org.apache.kafka.connect.transforms.ValueToKey",
               "transforms.key.fields": "orderid,itemid"}),
    );
    w.wait_for("every offset", Duration::from_secs(60), |w| committed(w, "routed") == N);
    assert_eq!(w.topic_len("orders"), 0, "RegexRouter renamed the topic");
    let records = w.records("copy-orders");
    assert_eq!(records.len() as u64, N);
    for r in &records {
        let value: serde_json::Value = serde_json::from_str(r["value"].as_str().unwrap()).unwrap();
        assert_eq!(value["origin"], "weir", "{value}");
        let key: serde_json::Value = serde_json::from_str(r["key"].as_str().unwrap()).unwrap();
        assert_eq!(key["payload"]["orderid"], value["orderid"], "ValueToKey: {key}");
        assert_eq!(key["payload"]["itemid"], value["itemid"], "ValueToKey: {key}");
        assert_eq!(key["schema"]["fields"].as_array().map(Vec::len), Some(2), "{key}");
    }
    assert_eq!(w.get("/connectors/routed/topics").1, json!({"routed": {"topics": ["copy-orders"]}}));

    // Filter everything that is not a tombstone: nothing is written, every offset still moves.
    w.create(
        "filtered",
        json!({"connector.class": "DatagenConnector", "kafka.topic": "dropped", "quickstart": "users",
               "max.interval": "0", "iterations": N.to_string(),
               "transforms": "drop", "transforms.drop.type": "org.apache.kafka.connect.transforms.Filter",
               "transforms.drop.predicate": "tomb", "transforms.drop.negate": "true",
               "predicates": "tomb",
               "predicates.tomb.type": "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone"}),
    );
    w.wait_for("the filtered connector's offsets", Duration::from_secs(60), |w| committed(w, "filtered") == N);
    assert_eq!(w.topic_len("dropped"), 0, "every record was filtered");
}

#[test]
fn unknown_transform_classes_are_validation_errors() {
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(&dir.path().join("w"), &[]);
    let config = json!({"connector.class": "DatagenConnector", "name": "bad", "kafka.topic": "t",
                        "transforms": "nope", "transforms.nope.type": "com.example.DoesNotExist"});
    let (code, infos) = w.put("/connector-plugins/DatagenConnector/config/validate", Some(&config));
    assert_eq!(code, 200);
    assert!(infos["error_count"].as_u64().unwrap() >= 1, "{infos}");
    let entry = infos["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["value"]["name"] == "transforms.nope.type")
        .unwrap_or_else(|| panic!("no entry for transforms.nope.type: {infos}"));
    let errors = entry["value"]["errors"].to_string();
    assert!(errors.contains("com.example.DoesNotExist"), "{errors}");
    let (code, body) = w.put("/connectors/bad/config", Some(&config));
    assert_eq!(code, 400, "creating with an unknown transform is refused: {body}");
    assert_eq!(w.get("/connectors").1, json!([]));
}

#[test]
fn a_record_failing_a_stage_fails_the_task_or_is_skipped_and_logged() {
    const N: u64 = 30;
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(&dir.path().join("w"), &[]);
    // ByteArrayConverter cannot write datagen's struct values.
    let config = |tolerance: &str| {
        json!({"connector.class": "DatagenConnector", "kafka.topic": format!("t-{tolerance}"), "quickstart": "users",
               "max.interval": "0", "iterations": N.to_string(),
               "value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
               "errors.tolerance": tolerance, "errors.log.enable": "true", "errors.log.include.messages": "true"})
    };
    w.create("strict", config("none"));
    w.wait_for("the strict task to fail", Duration::from_secs(60), |w| w.task0("strict").0 == "FAILED");
    let (_, trace) = w.task0("strict");
    assert!(trace.contains("Tolerance exceeded") && trace.contains("VALUE_CONVERTER"), "{trace}");
    assert_eq!(committed(&w, "strict"), 0, "nothing was delivered, so nothing is committed");

    w.create("tolerant", config("all"));
    w.wait_for("the tolerant connector's offsets", Duration::from_secs(60), |w| committed(w, "tolerant") == N);
    assert_eq!(w.task0("tolerant").0, "RUNNING");
    assert_eq!(w.topic_len("t-all"), 0, "skipped records are not written");
    let log = w.log();
    let lines = log.lines().filter(|l| l.contains("Error encountered in task tolerant-0")).count();
    assert_eq!(lines as u64, N, "one log line per skipped record:\n{log}");
    assert!(log.contains("where source record is = topic=t-all"), "include.messages puts the record in the line");
}

/// Without transforms the task writes JsonConverter's bytes itself (the
/// contract's `output-format`); with one, the worker's converter writes them.
/// A transform that changes only the topic must leave every key and value
/// byte for byte the same, with and without schemas.
#[test]
fn records_the_task_encodes_match_the_workers_converter() {
    const N: u64 = 30;
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(&dir.path().join("w"), &[]);
    for (quickstart, schemas) in [("orders", "true"), ("users", "false")] {
        let base = json!({"connector.class": "DatagenConnector", "quickstart": quickstart,
                          "max.interval": "0", "iterations": N.to_string(),
                          "value.converter.schemas.enable": schemas});
        let mut direct = base.clone();
        direct["kafka.topic"] = json!(format!("direct-{quickstart}"));
        let mut routed = base;
        routed["kafka.topic"] = json!(format!("typed-{quickstart}"));
        routed["transforms"] = json!("route");
        routed["transforms.route.type"] = json!("org.apache.kafka.connect.transforms.RegexRouter");
        routed["transforms.route.regex"] = json!("typed-(.*)");
        routed["transforms.route.replacement"] = json!("routed-$1");
        let (a, b) = (format!("direct-{quickstart}"), format!("routed-{quickstart}"));
        w.create(&a, direct);
        w.create(&b, routed);
        w.wait_for("both connectors' offsets", Duration::from_secs(60), |w| {
            committed(w, &a) == N && committed(w, &b) == N
        });
        let (encoded, converted) = (w.records(&a), w.records(&b));
        assert_eq!(encoded.len() as u64, N);
        assert_eq!(converted.len() as u64, N);
        for (e, c) in encoded.iter().zip(&converted) {
            assert_eq!(e["key"], c["key"], "keys differ");
            assert_eq!(e["value"], c["value"], "values differ");
        }
        let first: serde_json::Value = serde_json::from_str(encoded[0]["value"].as_str().unwrap()).unwrap();
        assert_eq!(first.get("schema").is_some(), schemas == "true", "schemas.enable={schemas}: {first}");
    }
}

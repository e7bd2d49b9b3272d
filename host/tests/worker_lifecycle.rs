//! The worker as an operator sees it: plugins from `plugin.path`, the
//! compile cache, clean shutdown, and `kill -9` losing nothing.

#[path = "support/worker.rs"]
mod worker;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::json;
use worker::{Worker, guest, plugin_dir};

#[test]
fn plugin_path_components_are_listed_and_corrupt_files_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir_all(plugins.join("nested")).unwrap();
    std::fs::copy(guest("minimal"), plugins.join("nested/minimal.wasm")).unwrap();
    // A file with a wasm header and garbage after it, and a core module.
    std::fs::write(plugins.join("corrupt.wasm"), b"\0asm\x0d\x00\x01\x00garbage that is not a component").unwrap();
    std::fs::write(plugins.join("core-module.wasm"), b"\0asm\x01\x00\x00\x00").unwrap();
    let w = Worker::start(&dir.path().join("w"), &[("plugin.path", plugins.to_str().unwrap())]);

    let (code, list) = w.get("/connector-plugins");
    assert_eq!(code, 200);
    let classes: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["class"].as_str().unwrap()).collect();
    assert!(classes.contains(&"com.example.CounterConnector"), "{classes:?}");
    assert!(classes.contains(&"io.confluent.kafka.connect.datagen.DatagenConnector"), "{classes:?}");
    let log = w.log();
    assert!(log.contains("skipping plugin") && log.contains("corrupt.wasm"), "corrupt file not reported:\n{log}");
    assert!(log.contains("core-module.wasm is not a WebAssembly component"), "core module not reported:\n{log}");

    // The example connector runs and resumes from its offset.
    w.create("counter", json!({"connector.class": "Counter", "topic": "numbers"}));
    w.wait_for("the counter to count", Duration::from_secs(30), |w| w.topic_len("numbers") >= 3);
    let values: Vec<String> = w.records("numbers").iter().map(|r| r["value"].as_str().unwrap().to_string()).collect();
    assert!(values[0].contains("\"payload\":0") && values[1].contains("\"payload\":1"), "{values:?}");
}

#[test]
fn a_restart_reuses_the_compile_cache_and_sigterm_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &["minimal"]);
    let props = [("plugin.path", plugins.to_str().unwrap())];

    let mut first = Worker::start(&dir.path().join("w"), &props);
    assert!(!first.log().contains("loaded from cache"), "a fresh data dir has no cache:\n{}", first.log());
    let status = first.terminate();
    assert!(status.success(), "SIGTERM should exit cleanly, got {status}; log:\n{}", first.log());
    assert!(first.log().contains("stopped cleanly"));
    let cache = dir.path().join("w/data/compile-cache");
    let entries: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .flatten()
        .map(|e| (e.path(), e.metadata().unwrap().modified().unwrap()))
        .collect();
    assert_eq!(
        entries.len(),
        5,
        "one cache entry per component (datagen, postgres, mongodb, mysql, minimal): {entries:?}"
    );

    let second = Worker::start(&dir.path().join("w"), &props);
    let log = second.log();
    assert_eq!(
        log.matches("compiled component loaded from cache").count(),
        5,
        "every component should load from cache:\n{log}"
    );
    for (path, modified) in entries {
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), modified, "{} was rewritten", path.display());
    }
}

#[test]
fn datagen_killed_half_way_and_restarted_leaves_exactly_n_records() {
    const N: u64 = 400;
    let dir = tempfile::tempdir().unwrap();
    let wdir = dir.path().join("w");
    let mut w = Worker::start(&wdir, &[]);
    let port = w.port;
    w.create(
        "orders",
        json!({"connector.class": "io.confluent.kafka.connect.datagen.DatagenConnector", "kafka.topic": "orders",
               "quickstart": "orders", "max.interval": "5", "iterations": N.to_string(), "tasks.max": "1"}),
    );
    w.wait_for("about half the records", Duration::from_secs(60), |w| w.topic_len("orders") >= N / 3);
    w.kill9();

    let w = Worker::start_on(&wdir, port, &[]);
    // The connector comes back by itself, in its state, from its offset.
    w.wait_for("the resumed task to finish", Duration::from_secs(60), |w| {
        w.get("/connectors/orders/offsets").1["offsets"][0]["offset"]["current.iteration"] == json!(N)
    });
    std::thread::sleep(Duration::from_millis(700));
    let records = w.records("orders");
    assert_eq!(records.len() as u64, N, "exactly N records after kill -9 and restart");
    let ids: BTreeSet<i64> = records
        .iter()
        .map(|r| {
            let value: serde_json::Value = serde_json::from_str(r["value"].as_str().unwrap()).unwrap();
            value["payload"]["orderid"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(ids, (0..N as i64).collect::<BTreeSet<_>>(), "each iteration exactly once");
    assert_eq!(w.task0("orders").0, "RUNNING");
}

#[test]
fn rest_answers_bad_input_with_kafka_connect_error_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(&dir.path().join("w"), &[]);

    let (code, info) = w.get("/");
    assert_eq!(code, 200);
    assert_eq!(info["version"], "3.9.0");
    assert_eq!(info["commit"].as_str().unwrap().len(), 16);
    assert_eq!(info["kafka_cluster_id"].as_str().unwrap().len(), 32);

    let (code, body) = w.get("/connectors/nope");
    assert_eq!((code, body), (404, json!({"error_code": 404, "message": "Connector nope not found"})));
    let (code, body) = w.get("/no/such/path");
    assert_eq!((code, body), (404, json!({"error_code": 404, "message": "HTTP 404 Not Found"})));

    let (code, body) = w.post_raw("/connectors", "application/json", "{\"name\": \"x\", ");
    assert_eq!(code, 400);
    assert!(body["message"].as_str().unwrap().starts_with("Invalid JSON in request body"), "{body}");
    let (code, body) = w.post_raw("/connectors", "application/x-www-form-urlencoded", "name=x");
    assert_eq!((code, body["error_code"].clone()), (415, json!(415)));
    let (code, body) = w.post("/connectors", &json!({"name": "x", "config": {}, "tasks": []}));
    assert_eq!(code, 400);
    assert!(body["message"].as_str().unwrap().contains("unknown field `tasks`"), "{body}");
    let (code, body) = w.post("/connectors", &json!({"name": "x", "config": {"tasks.max": 1}}));
    assert_eq!(code, 400);
    assert!(body["message"].as_str().unwrap().contains("contains no connector type"), "{body}");
    let (code, body) = w.post("/connectors", &json!({"name": "x", "config": {"connector.class": "NoSuchConnector"}}));
    assert_eq!(code, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Failed to find any class that implements Connector and which name matches NoSuchConnector"),
        "{body}"
    );
    let (code, body) =
        w.post("/connectors", &json!({"name": "x", "config": {"connector.class": "Datagen", "tasks.max": "zero"}}));
    assert_eq!(code, 400);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with("Connector configuration is invalid and contains the following 2 error(s):"),
        "{message}"
    );
    assert!(message.contains("Missing required configuration \"kafka.topic\""), "{message}");
    assert!(message.contains("Invalid value zero for configuration tasks.max"), "{message}");

    // Numbers are taken as strings, as Kafka Connect coerces them.
    let created =
        w.create("dg", json!({"connector.class": "Datagen", "kafka.topic": "t", "tasks.max": 2, "max.interval": 1000}));
    assert_eq!(created["config"]["tasks.max"], "2");
    assert_eq!(created["config"]["name"], "dg");
    assert_eq!(created["tasks"], json!([{"connector": "dg", "task": 0}, {"connector": "dg", "task": 1}]));
    assert_eq!(created["type"], "source");
    let (code, body) =
        w.post("/connectors", &json!({"name": "dg", "config": {"connector.class": "Datagen", "kafka.topic": "t"}}));
    assert_eq!((code, body), (409, json!({"error_code": 409, "message": "Connector dg already exists"})));

    // Concurrent creates of one name: exactly one 201, the rest 409.
    let codes: Vec<u16> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| {
                s.spawn(|| {
                    w.post(
                        "/connectors",
                        &json!({"name": "race", "config": {"connector.class": "Datagen", "kafka.topic": "r"}}),
                    )
                    .0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(codes.iter().filter(|c| **c == 201).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 409).count(), 5, "{codes:?}");
    let (code, _) = w.delete("/connectors/race");
    assert_eq!(code, 204);

    let (_, list) = w.get("/connectors");
    assert_eq!(list, json!(["dg"]));
    let (_, expanded) = w.get("/connectors?expand=status&expand=info");
    assert_eq!(expanded["dg"]["info"]["name"], "dg");
    assert_eq!(expanded["dg"]["status"]["connector"]["state"], "RUNNING");

    let (code, _) = w.delete("/connectors/dg");
    assert_eq!(code, 204);
    let (code, _) = w.get("/connectors/dg");
    assert_eq!(code, 404);
}

#[test]
fn after_kill_9_every_connector_is_back_in_its_target_state() {
    let dir = tempfile::tempdir().unwrap();
    let wdir = dir.path().join("w");
    let mut w = Worker::start(&wdir, &[]);
    let port = w.port;
    let config = |topic: &str| json!({"connector.class": "Datagen", "kafka.topic": topic, "max.interval": "20"});
    w.create("running", config("r"));
    let (code, _) = w.post("/connectors", &json!({"name": "paused", "config": config("p"), "initial_state": "PAUSED"}));
    assert_eq!(code, 201);
    let (code, _) =
        w.post("/connectors", &json!({"name": "stopped", "config": config("s"), "initial_state": "stopped"}));
    assert_eq!(code, 201);
    w.create("paused-later", config("pl"));
    assert_eq!(w.put("/connectors/paused-later/pause", None).0, 202);
    w.wait_for("the running connector to produce", Duration::from_secs(30), |w| w.topic_len("r") > 3);
    w.kill9();

    let w = Worker::start_on(&wdir, port, &[]);
    let mut names = w.get("/connectors").1.as_array().unwrap().clone();
    names.sort_by_key(|n| n.as_str().unwrap().to_string());
    assert_eq!(names, vec![json!("paused"), json!("paused-later"), json!("running"), json!("stopped")]);
    w.wait_for("the states to settle", Duration::from_secs(30), |w| {
        w.task0("running").0 == "RUNNING" && w.task0("paused").0 == "PAUSED"
    });
    assert_eq!(w.status("paused")["connector"]["state"], "PAUSED");
    assert_eq!(w.status("paused-later")["connector"]["state"], "PAUSED");
    assert_eq!(w.status("stopped")["connector"]["state"], "STOPPED");
    assert_eq!(w.status("stopped")["tasks"], json!([]));
    assert_eq!(w.topic_len("s"), 0, "a connector created STOPPED never ran");
    let before = w.topic_len("r");
    w.wait_for("the running connector to resume producing", Duration::from_secs(30), |w| w.topic_len("r") > before);
}

#[test]
fn weir_topics_list_and_tail_read_the_running_workers_log() {
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(&dir.path().join("w"), &[]);
    w.create("cli", json!({"connector.class": "Datagen", "kafka.topic": "cli-orders", "quickstart": "orders", "max.interval": "5", "iterations": "25"}));
    w.wait_for("25 records", Duration::from_secs(30), |w| w.topic_len("cli-orders") == 25);
    let url = w.url("");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_weir"))
            .arg("topics")
            .args(args)
            .args(["--url", &url])
            .output()
            .unwrap();
        assert!(out.status.success(), "weir topics {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(run(&["list"]), "cli-orders\t25\n");
    let tail = run(&["tail", "cli-orders"]);
    assert_eq!(tail.lines().count(), 10, "tail shows the last 10 records:\n{tail}");
    assert!(tail.lines().last().unwrap().contains("\"orderid\":24"), "{tail}");
    let all = run(&["tail", "cli-orders", "--from-beginning", "--print-key"]);
    assert_eq!(all.lines().count(), 25);
    assert!(all.lines().next().unwrap().contains("\"payload\":0}\t"), "key then value: {all}");
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_weir")).args(["topics", "frobnicate"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("usage:"));
}

#[test]
fn retention_keeps_the_embedded_log_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(
        &dir.path().join("w"),
        &[
            ("weir.log.retention.bytes", "20000"),
            ("weir.log.retention.ms", "-1"),
            ("weir.log.retention.check.interval.ms", "100"),
        ],
    );
    w.create(
        "big",
        json!({"connector.class": "Datagen", "kafka.topic": "big", "quickstart": "orders", "max.interval": "1"}),
    );
    w.wait_for("retention to trim the topic", Duration::from_secs(60), |w| {
        w.get("/weir/topics").1["big"]["start_offset"].as_u64().unwrap_or(0) > 0
    });
    let (_, topics) = w.get("/weir/topics");
    let info = &topics["big"];
    // Each orders record is under 1 KiB with its schema, so ~20 KB is well under 100 records.
    assert!(info["records"].as_u64().unwrap() < 100, "{info}");
    assert_eq!(
        info["records"].as_u64().unwrap(),
        info["end_offset"].as_u64().unwrap() - info["start_offset"].as_u64().unwrap()
    );
    let first = &w.get("/weir/topics/big/records?offset=0&limit=1").1[0];
    assert!(
        first["offset"].as_u64().unwrap() >= info["start_offset"].as_u64().unwrap(),
        "reads skip what retention deleted"
    );
}

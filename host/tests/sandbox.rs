//! Misbehaving plugins fail their own task with a trace a person can act
//! on, while a datagen connector beside them keeps producing.

#[path = "support/worker.rs"]
mod worker;

use std::time::Duration;

use serde_json::json;
use worker::{Worker, free_port, plugin_dir};

#[test]
fn each_misbehaving_task_fails_alone_while_datagen_keeps_producing() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &["misbehave"]);
    let w = Worker::start(&dir.path().join("w"), &[("plugin.path", plugins.to_str().unwrap())]);

    w.create("dg", json!({"connector.class": "DatagenConnector", "kafka.topic": "dg", "quickstart": "orders", "max.interval": "20"}));
    w.wait_for("datagen to produce", Duration::from_secs(60), |w| w.topic_len("dg") > 5);

    let unreachable = free_port().to_string();
    let limits = json!({"weir.sandbox.cpu.max.ms": "500", "weir.sandbox.memory.max.bytes": "67108864"});
    // (connector class, extra config, what the trace must say)
    let cases = [
        ("test.InfiniteLoopConnector", json!({}), "CPU limit exceeded"),
        ("test.MemoryBombConnector", json!({}), "memory limit exceeded"),
        ("test.PanicConnector", json!({}), "poll panicked on purpose"),
        (
            "test.ForbiddenHostConnectConnector",
            json!({"forbidden.host": "localhost", "forbidden.port": unreachable}),
            "sandbox: connection to localhost",
        ),
        (
            "test.ForbiddenSocketConnectConnector",
            json!({"forbidden.host": "127.0.0.1", "forbidden.port": unreachable}),
            "sandbox: TcpConnect to 127.0.0.1",
        ),
        ("test.OpenFileConnector", json!({}), "reading /etc/passwd"),
        ("test.FatalConnector", json!({}), "fatal error on purpose"),
    ];
    for (i, (class, extra, _)) in cases.iter().enumerate() {
        let mut config = limits.clone();
        config["connector.class"] = json!(class);
        for (k, v) in extra.as_object().unwrap() {
            config[k] = v.clone();
        }
        w.create(&format!("bad{i}"), config);
    }
    for (i, (class, _, expected)) in cases.iter().enumerate() {
        let name = format!("bad{i}");
        w.wait_for(&format!("{class} to fail"), Duration::from_secs(60), |w| w.task0(&name).0 == "FAILED");
        let (_, trace) = w.task0(&name);
        assert!(trace.contains(expected), "{class}: trace should mention {expected:?}, got:\n{trace}");
        // The connector itself is unaffected; only its task failed.
        assert_eq!(w.status(&name)["connector"]["state"], "RUNNING");
    }
    let before = w.topic_len("dg");
    w.wait_for("datagen to keep producing after the failures", Duration::from_secs(30), |w| {
        w.topic_len("dg") > before + 5
    });
    assert_eq!(w.task0("dg").0, "RUNNING", "datagen must be unaffected");
}

#[test]
fn retriable_errors_are_retried_within_errors_retry_timeout_then_fail() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &["misbehave"]);
    let w = Worker::start(&dir.path().join("w"), &[("plugin.path", plugins.to_str().unwrap())]);

    // Two failures, a generous timeout: retried, stays RUNNING, then produces.
    w.create("recovers", json!({"connector.class": "test.RetriableConnector", "fail.times": "2", "errors.retry.timeout": "30000", "topic": "recovered"}));
    w.wait_for("the retried task to produce", Duration::from_secs(30), |w| w.topic_len("recovered") > 0);
    assert_eq!(w.task0("recovers").0, "RUNNING");

    // Failing for longer than the timeout: FAILED, saying why.
    w.create("gives-up", json!({"connector.class": "test.RetriableConnector", "fail.times": "100000", "errors.retry.timeout": "1000", "errors.retry.delay.max.ms": "200"}));
    w.wait_for("the task to exhaust its retries", Duration::from_secs(30), |w| w.task0("gives-up").0 == "FAILED");
    assert!(w.task0("gives-up").1.contains("persisted past errors.retry.timeout=1000 ms"), "{}", w.task0("gives-up").1);

    // errors.retry.timeout defaults to 0, as in Kafka Connect: no retries.
    w.create("no-retries", json!({"connector.class": "test.RetriableConnector", "fail.times": "5"}));
    w.wait_for("the task to fail at once", Duration::from_secs(30), |w| w.task0("no-retries").0 == "FAILED");
    assert!(w.task0("no-retries").1.contains("errors.retry.timeout is 0"), "{}", w.task0("no-retries").1);
}

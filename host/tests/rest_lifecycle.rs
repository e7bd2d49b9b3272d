//! Driving a datagen connector through Kafka Connect's state transitions
//! and config, task, topic and offset endpoints.

#[path = "support/worker.rs"]
mod worker;

use std::time::Duration;

use serde_json::json;
use worker::Worker;

fn datagen(topic: &str, interval: &str) -> serde_json::Value {
    json!({"connector.class": "DatagenConnector", "kafka.topic": topic, "quickstart": "users", "max.interval": interval})
}

#[test]
fn pause_resume_stop_and_restart_drive_the_states() {
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(&dir.path().join("w"), &[]);
    w.create("dg", datagen("users", "10"));
    w.wait_for("records", Duration::from_secs(30), |w| w.topic_len("users") > 3);

    let (code, _) = w.put("/connectors/dg/pause", None);
    assert_eq!(code, 202);
    w.wait_for("the task to pause", Duration::from_secs(10), |w| w.task0("dg").0 == "PAUSED");
    assert_eq!(w.status("dg")["connector"]["state"], "PAUSED");
    let paused_at = w.topic_len("users");
    std::thread::sleep(Duration::from_millis(700));
    assert!(w.topic_len("users") <= paused_at + 1, "a paused task must not keep producing");

    let (code, _) = w.put("/connectors/dg/resume", None);
    assert_eq!(code, 202);
    w.wait_for("the task to resume", Duration::from_secs(10), |w| w.task0("dg").0 == "RUNNING");
    w.wait_for("records after resume", Duration::from_secs(10), |w| w.topic_len("users") > paused_at + 2);

    let (code, _) = w.put("/connectors/dg/stop", None);
    assert_eq!(code, 204);
    let status = w.status("dg");
    assert_eq!(status["connector"]["state"], "STOPPED");
    assert_eq!(status["tasks"], json!([]));
    assert_eq!(w.get("/connectors/dg/tasks").1, json!([]));
    let (code, _) = w.put("/connectors/dg/resume", None);
    assert_eq!(code, 202);
    w.wait_for("the task after stop/resume", Duration::from_secs(10), |w| w.task0("dg").0 == "RUNNING");

    // Plain restart: 204. With tasks: 202 and the plan shows RESTARTING.
    let (code, body) = w.post_empty("/connectors/dg/restart");
    assert_eq!((code, body), (204, serde_json::Value::Null));
    let (code, plan) = w.post_empty("/connectors/dg/restart?includeTasks=true&onlyFailed=false");
    assert_eq!(code, 202);
    assert_eq!(plan["connector"]["state"], "RESTARTING");
    assert_eq!(plan["tasks"][0]["state"], "RESTARTING");
    let (code, plan) = w.post_empty("/connectors/dg/restart?includeTasks=true&onlyFailed=true");
    assert_eq!(code, 202);
    assert_eq!(plan["connector"]["state"], "RUNNING", "nothing failed, so nothing restarts: {plan}");
    w.wait_for("running after restarts", Duration::from_secs(10), |w| w.task0("dg").0 == "RUNNING");
    let (code, _) = w.post_empty("/connectors/dg/tasks/0/restart");
    assert_eq!(code, 204);
    let (code, body) = w.post_empty("/connectors/dg/tasks/7/restart");
    assert_eq!((code, body["message"].clone()), (404, json!("Task dg-7 not found")));
    let (code, body) = w.get("/connectors/dg/tasks/x/status");
    assert_eq!((code, body["message"].clone()), (404, json!("HTTP 404 Not Found")));
    let (code, body) = w.get("/connectors/dg/tasks/0/status");
    assert_eq!(code, 200);
    assert_eq!(body["id"], 0);

    let (code, body) = w.get("/connectors/nope/status");
    assert_eq!((code, body["message"].clone()), (404, json!("No status found for connector nope")));
    for path in ["/connectors/nope/pause", "/connectors/nope/resume"] {
        let (code, body) = w.put(path, None);
        assert_eq!((code, body["message"].clone()), (404, json!("Unknown connector nope")), "{path}");
    }
}

#[test]
fn config_can_be_created_replaced_and_patched() {
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(&dir.path().join("w"), &[]);

    let (code, info) = w.put("/connectors/pv/config", Some(&datagen("pv1", "1000")));
    assert_eq!(code, 201, "{info}");
    assert_eq!(info["config"]["name"], "pv");
    let (code, info) = w.put("/connectors/pv/config", Some(&datagen("pv2", "1000")));
    assert_eq!(code, 200, "{info}");
    assert_eq!(w.get("/connectors/pv/config").1["kafka.topic"], "pv2");

    let (code, info) =
        w.patch("/connectors/pv/config", &json!({"kafka.topic": "pv3", "max.interval": null, "tasks.max": 2}));
    assert_eq!(code, 200, "{info}");
    let config = w.get("/connectors/pv/config").1;
    assert_eq!(config["kafka.topic"], "pv3");
    assert_eq!(config["tasks.max"], "2");
    assert!(config.get("max.interval").is_none(), "a null value removes the key: {config}");
    let (_, tasks) = w.get("/connectors/pv/tasks");
    assert_eq!(tasks.as_array().unwrap().len(), 2);
    assert_eq!(tasks[1]["id"], json!({"connector": "pv", "task": 1}));
    let (_, tasks_config) = w.get("/connectors/pv/tasks-config");
    assert_eq!(tasks_config["pv-1"]["kafka.topic"], "pv3");

    let (code, body) = w.put(
        "/connectors/pv/config",
        Some(&json!({"name": "other", "connector.class": "Datagen", "kafka.topic": "t"})),
    );
    assert_eq!(code, 400);
    assert_eq!(body["message"], "Connector name configuration (other) doesn't match connector name in the URL (pv)");
    let (code, body) = w.patch("/connectors/pv/config", &json!({"kafka.topic": null}));
    assert_eq!(code, 400, "removing a required key is invalid: {body}");
    assert_eq!(w.get("/connectors/pv/config").1["kafka.topic"], "pv3", "a failed update leaves the config as it was");
    let (code, _) = w.patch("/connectors/absent/config", &json!({"a": "b"}));
    assert_eq!(code, 404);
}

#[test]
fn offsets_change_only_when_stopped_and_topics_are_tracked() {
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(&dir.path().join("w"), &[]);
    w.create("og", json!({"connector.class": "DatagenConnector", "kafka.topic": "orders", "quickstart": "orders", "max.interval": "5", "iterations": "20"}));
    w.wait_for("all 20 records", Duration::from_secs(30), |w| w.topic_len("orders") == 20);
    assert_eq!(w.get("/connectors/og/topics").1, json!({"og": {"topics": ["orders"]}}));

    let body = json!({"offsets": [{"partition": {"task.id": 0}, "offset": {"current.iteration": 15}}]});
    let (code, msg) = w.patch("/connectors/og/offsets", &body);
    assert_eq!(code, 400);
    assert!(msg["message"].as_str().unwrap().starts_with("Connectors must be in the STOPPED state"), "{msg}");
    let (code, msg) = w.patch("/connectors/og/offsets", &json!({"offsets": []}));
    assert_eq!(
        (code, msg["message"].clone()),
        (400, json!("Partitions / offsets need to be provided for an alter offsets request"))
    );

    assert_eq!(w.put("/connectors/og/stop", None).0, 204);
    let (code, msg) = w.patch("/connectors/og/offsets", &body);
    assert_eq!(code, 200, "{msg}");
    assert!(msg["message"].as_str().unwrap().contains("altered successfully"));
    assert_eq!(w.get("/connectors/og/offsets").1["offsets"][0]["offset"], json!({"current.iteration": 15}));

    // Resumed, the task continues from the altered offset: 5 more records.
    assert_eq!(w.put("/connectors/og/resume", None).0, 202);
    w.wait_for("5 more records", Duration::from_secs(30), |w| w.topic_len("orders") == 25);

    assert_eq!(w.put("/connectors/og/stop", None).0, 204);
    let (code, msg) = w.delete("/connectors/og/offsets");
    assert_eq!(code, 200, "{msg}");
    assert!(msg["message"].as_str().unwrap().contains("reset successfully"));
    assert_eq!(w.get("/connectors/og/offsets").1, json!({"offsets": []}));

    assert_eq!(w.put("/connectors/og/topics/reset", None).0, 202);
    assert_eq!(w.get("/connectors/og/topics").1, json!({"og": {"topics": []}}));
    assert_eq!(w.get("/connectors/unknown/topics").1, json!({"unknown": {"topics": []}}));
}

#[test]
fn a_deleted_connector_recreated_under_its_name_resumes_from_its_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(&dir.path().join("w"), &[]);
    assert_eq!(
        w.get("/health"),
        (200, json!({"status": "healthy", "message": "Worker has completed startup and is ready to handle requests."}))
    );
    let config =
        json!({"connector.class": "DatagenConnector", "kafka.topic": "once", "max.interval": "5", "iterations": "10"});
    w.create("again", config.clone());
    w.wait_for("10 records", Duration::from_secs(30), |w| w.topic_len("once") == 10);
    assert_eq!(w.delete("/connectors/again").0, 204);
    assert_eq!(w.get("/connectors/again/status").0, 404, "status goes with the connector");
    assert_eq!(w.get("/connectors/again/tasks-config").0, 404);

    w.create("again", config);
    w.wait_for("the task to start", Duration::from_secs(30), |w| w.task0("again").0 == "RUNNING");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(w.topic_len("once"), 10, "offsets survived the delete, so nothing is produced twice");
    assert_eq!(w.get("/connectors/again/offsets").1["offsets"][0]["offset"], json!({"current.iteration": 10}));
}

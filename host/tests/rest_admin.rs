//! `/admin/loggers`: levels of the running worker, including the loggers
//! named for connector classes that plugins' log lines go under.

#[path = "support/worker.rs"]
mod worker;

use std::time::Duration;

use serde_json::json;
use worker::Worker;

#[test]
fn log_levels_change_at_run_time_for_worker_modules_and_connector_classes() {
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(&dir.path().join("w"), &[]);

    let (code, all) = w.get("/admin/loggers");
    assert_eq!(code, 200);
    assert_eq!(all["root"], json!({"level": "INFO", "last_modified": null}));

    let (code, affected) = w.put("/admin/loggers/weir::task", Some(&json!({"level": "debug"})));
    assert_eq!((code, affected), (200, json!(["weir::task"])));
    let (_, level) = w.get("/admin/loggers/weir::task");
    assert_eq!(level["level"], "DEBUG");
    assert!(level["last_modified"].as_i64().unwrap() > 0);
    assert_eq!(w.get("/admin/loggers/weir::runtime").1["level"], "INFO", "siblings keep root's level");
    let (code, body) = w.get("/admin/loggers/no.such.logger");
    assert_eq!((code, body["message"].clone()), (404, json!("Logger no.such.logger not found.")));
    let (code, body) = w.put("/admin/loggers/root", Some(&json!({"level": "LOUD"})));
    assert_eq!((code, body["message"].clone()), (404, json!("invalid log level 'LOUD'.")));
    let (code, body) = w.put("/admin/loggers/root", Some(&json!({"lvl": "INFO"})));
    assert_eq!(
        (code, body["message"].clone()),
        (400, json!("Desired 'level' parameter was not specified in request."))
    );
    let (code, _) = w.put("/admin/loggers/weir::api?scope=cluster", Some(&json!({"level": "WARN"})));
    assert_eq!(code, 204);

    // A plugin's lines go under its class's logger.
    let class = "io.confluent.kafka.connect.datagen.DatagenConnector";
    assert_eq!(w.get(&format!("/admin/loggers/{class}")).1["level"], "INFO");
    assert_eq!(w.put("/admin/loggers/io.confluent", Some(&json!({"level": "WARN"}))).0, 200);
    assert_eq!(w.get(&format!("/admin/loggers/{class}")).1["level"], "WARN", "inherited from io.confluent");
    w.create("quiet", json!({"connector.class": "Datagen", "kafka.topic": "q", "max.interval": "50"}));
    w.wait_for("the quiet task to produce", Duration::from_secs(30), |w| w.topic_len("q") > 0);
    assert!(!w.log().contains("datagen task 0 starts"), "the class logger is at WARN: {}", w.log());

    assert_eq!(w.put(&format!("/admin/loggers/{class}"), Some(&json!({"level": "INFO"}))).0, 200);
    w.create("loud", json!({"connector.class": "Datagen", "kafka.topic": "l", "max.interval": "50"}));
    w.wait_for("the plugin's info line", Duration::from_secs(30), |w| w.log().contains("datagen task 0 starts"));
    assert!(w.log().contains(&format!("class=\"{class}\"")), "{}", w.log());
}

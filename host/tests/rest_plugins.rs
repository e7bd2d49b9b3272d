//! `/connector-plugins`: listing, key definitions and config validation.

#[path = "support/worker.rs"]
mod worker;

use serde_json::json;
use worker::Worker;

#[test]
fn plugins_are_listed_described_and_validate_configs() {
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(&dir.path().join("w"), &[]);

    let (_, connectors) = w.get("/connector-plugins");
    assert_eq!(
        connectors,
        json!([{"class": "io.confluent.kafka.connect.datagen.DatagenConnector", "type": "source", "version": "0.1.0"},
               {"class": "io.debezium.connector.mariadb.MariaDbConnector", "type": "source", "version": "3.1.3.Final"},
               {"class": "io.debezium.connector.mongodb.MongoDbConnector", "type": "source", "version": "3.1.3.Final"},
               {"class": "io.debezium.connector.mysql.MySqlConnector", "type": "source", "version": "3.1.3.Final"},
               {"class": "io.debezium.connector.postgresql.PostgresConnector", "type": "source", "version": "3.1.3.Final"}])
    );
    let (_, all) = w.get("/connector-plugins?connectorsOnly=false");
    let types: Vec<&str> = all.as_array().unwrap().iter().map(|p| p["type"].as_str().unwrap()).collect();
    assert_eq!(types.first(), Some(&"source"));
    assert!(types.contains(&"converter") && types.contains(&"header_converter"), "{all}");

    // The plugin's keys first, then the framework's, by any of its names.
    for name in ["io.confluent.kafka.connect.datagen.DatagenConnector", "DatagenConnector", "Datagen"] {
        let (code, keys) = w.get(&format!("/connector-plugins/{name}/config"));
        assert_eq!(code, 200, "{name}: {keys}");
        let names: Vec<&str> = keys.as_array().unwrap().iter().map(|k| k["name"].as_str().unwrap()).collect();
        assert_eq!(&names[..4], ["kafka.topic", "quickstart", "max.interval", "iterations"]);
        assert!(names.contains(&"tasks.max") && names.contains(&"exactly.once.support"));
    }
    let (_, keys) = w.get("/connector-plugins/Datagen/config");
    let topic = keys.as_array().unwrap().iter().find(|k| k["name"] == "kafka.topic").unwrap();
    assert_eq!(topic["required"], true);
    assert_eq!(topic["default_value"], serde_json::Value::Null);
    assert_eq!(topic["type"], "STRING");
    assert_eq!(topic["order"], 0);
    let (code, body) = w.get("/connector-plugins/Nope/config");
    assert_eq!((code, body["message"].clone()), (404, json!("Unknown plugin Nope.")));

    // Validation: errors per key, groups, error_count, the class as supplied.
    let (code, infos) = w.put(
        "/connector-plugins/Datagen/config/validate",
        Some(&json!({"connector.class": "DatagenConnector", "quickstart": "clicks", "tasks.max": "0"})),
    );
    assert_eq!(code, 200, "{infos}");
    assert_eq!(infos["name"], "DatagenConnector");
    let errors: Vec<(String, String)> = infos["configs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| {
            let name = c["value"]["name"].as_str().unwrap().to_string();
            c["value"]["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |e| (name.clone(), e.as_str().unwrap().to_string()))
        })
        .collect();
    let keys: Vec<&str> = errors.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["name", "tasks.max", "kafka.topic", "quickstart"], "{errors:?}");
    assert_eq!(infos["error_count"], 4);
    assert_eq!(infos["groups"][0], "Common");
    assert!(infos["groups"].as_array().unwrap().contains(&json!("Datagen")));
    let tasks_max =
        infos["configs"].as_array().unwrap().iter().find(|c| c["definition"]["name"] == "tasks.max").unwrap();
    assert_eq!(tasks_max["definition"]["group"], "Common");
    assert_eq!(tasks_max["value"]["value"], "0");

    let (code, infos) = w.put(
        "/connector-plugins/Datagen/config/validate",
        Some(&json!({"connector.class": "Datagen", "name": "ok", "kafka.topic": "t"})),
    );
    assert_eq!((code, infos["error_count"].clone()), (200, json!(0)), "{infos}");

    let (code, body) =
        w.put("/connector-plugins/Datagen/config/validate", Some(&json!({"connector.class": "Counter"})));
    assert_eq!(
        (code, body["message"].clone()),
        (400, json!("Included connector type Counter does not match request type Datagen"))
    );
    let (code, body) = w.put("/connector-plugins/Datagen/config/validate", Some(&json!({"name": "x"})));
    assert_eq!(code, 400);
    assert!(body["message"].as_str().unwrap().contains("contains no connector type"), "{body}");
    let (code, body) = w.put(
        "/connector-plugins/Datagen/config/validate",
        Some(&json!({"connector.class": "Datagen", "nested": {"a": 1}})),
    );
    assert_eq!(code, 400, "{body}");
}

#[test]
fn config_providers_resolve_at_start_and_placeholders_are_what_the_api_shows() {
    let dir = tempfile::tempdir().unwrap();
    let secrets = dir.path().join("secrets.properties");
    std::fs::write(&secrets, "topic=secret-topic-name\n").unwrap();
    let w = Worker::start(
        &dir.path().join("w"),
        &[
            ("config.providers", "file,env"),
            ("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider"),
            ("config.providers.env.class", "org.apache.kafka.common.config.provider.EnvVarConfigProvider"),
        ],
    );
    let file_ref = format!("${{file:{}:topic}}", secrets.display());
    w.create("from-file", json!({"connector.class": "Datagen", "kafka.topic": file_ref, "max.interval": "20"}));
    w.create(
        "from-env",
        json!({"connector.class": "Datagen", "kafka.topic": "${env:WEIR_TEST_ENV_TOPIC}", "max.interval": "20"}),
    );
    w.wait_for("records in the resolved topics", std::time::Duration::from_secs(30), |w| {
        w.topic_len("secret-topic-name") > 0 && w.topic_len("from-env") > 0
    });
    assert_eq!(w.get("/connectors/from-file/config").1["kafka.topic"], json!(file_ref));
    assert_eq!(w.get("/connectors/from-file/tasks").1[0]["config"]["kafka.topic"], json!(file_ref));
    assert_eq!(w.get("/connectors/from-env/config").1["kafka.topic"], "${env:WEIR_TEST_ENV_TOPIC}");
    let (_, infos) = w.put(
        "/connector-plugins/Datagen/config/validate",
        Some(&json!({"connector.class": "Datagen", "name": "v", "kafka.topic": "${env:WEIR_TEST_ENV_TOPIC}"})),
    );
    assert_eq!(infos["error_count"], 0);
    assert!(!infos.to_string().contains("from-env"), "validate must not show resolved values: {infos}");
    assert!(!w.log().contains("secret-topic-name"), "resolved values must not be logged");
}

#[test]
fn bad_names_and_bodies_get_clear_4xx_answers() {
    let dir = tempfile::tempdir().unwrap();
    let w = Worker::start(&dir.path().join("w"), &[]);
    let config = json!({"connector.class": "Datagen", "kafka.topic": "t"});
    for (name, expected) in [("", "may not be empty"), ("a/b", "contains '/'"), ("bad\u{7}name", "control characters")]
    {
        let (code, body) = w.post("/connectors", &json!({"name": name, "config": config}));
        assert_eq!(code, 400, "{name:?}: {body}");
        assert!(body["message"].as_str().unwrap().contains(expected), "{name:?}: {body}");
    }
    let (code, body) = w.post("/connectors", &json!({"name": "x".repeat(300), "config": config}));
    assert_eq!(code, 400, "{body}");
    let (code, body) = w.post_raw("/connectors", "application/json", "");
    assert_eq!(code, 400);
    assert!(body["message"].as_str().unwrap().contains("empty"), "{body}");
    let (code, body) = w.post("/connectors", &json!(["not", "an", "object"]));
    assert_eq!(code, 400, "{body}");
    let (code, body) = w.post(
        "/connectors",
        &json!({"name": "x", "config": {"connector.class": "Datagen", "kafka.topic": {"nested": 1}}}),
    );
    assert_eq!(code, 400, "{body}");
    let (code, body) = w.post("/connectors", &json!({"name": "x", "config": config, "initial_state": "SLEEPING"}));
    assert_eq!(code, 400, "{body}");
    // An oversized body is refused from its Content-Length, before it is read. A raw socket, because
    // an HTTP client still writing the body may see the early answer as a broken pipe.
    let (code, body) = oversized_post(&w, "/connectors", 2 << 20);
    assert_eq!((code, body["error_code"].clone()), (413, json!(413)), "{body}");
    assert_eq!(w.get("/connectors").1, json!([]), "failed requests leave nothing behind");
}

/// Declares a `len`-byte JSON body, sends only its first bytes, and reads the answer.
fn oversized_post(w: &Worker, path: &str, len: usize) -> (u16, serde_json::Value) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", w.port)).expect("connecting to the worker");
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).expect("read timeout");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n{{\"name\":"
    );
    stream.write_all(head.as_bytes()).expect("writing the request head");
    let mut answer = Vec::new();
    // The server closes the connection after refusing, so read to the end (or the timeout).
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    let code = answer.get(9..12).and_then(|c| c.parse().ok()).unwrap_or_else(|| panic!("no status line in {answer:?}"));
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
    (code, serde_json::from_str(body).unwrap_or(serde_json::Value::String(body.to_string())))
}

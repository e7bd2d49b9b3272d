//! The MongoDB connector against the wire-protocol test server
//! (`tests/mongo-server`, started in-process): snapshot, streaming, event
//! shapes, capture modes, BSON rendering, restarts, lost resume tokens and
//! validation. The worker runs as a process (support/worker.rs).

#[path = "support/worker.rs"]
mod worker;

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};
use weir_mongo_server::bson::{self, Bson, doc};
use weir_mongo_server::{CollectionSeed, MongoServer, ServerConfig, ServerHandle, User};
use worker::Worker;

const WAIT: Duration = Duration::from_secs(60);

fn server(seeds: Vec<CollectionSeed>, capacity: usize) -> ServerHandle {
    let mut config = ServerConfig::default().user(User::new("weir", "secret")).change_log_capacity(capacity);
    for s in seeds {
        config = config.collection(s);
    }
    MongoServer::start(config).expect("test server starts")
}

fn config(server: &ServerHandle, prefix: &str, extra: Value) -> Value {
    let mut c = json!({
        "connector.class": "io.debezium.connector.mongodb.MongoDbConnector",
        "mongodb.connection.string": server.uri_with_credentials("weir", "secret"),
        "topic.prefix": prefix,
    });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        c[k] = v;
    }
    c
}

fn worker(dir: &std::path::Path) -> Worker {
    Worker::start(dir, &[("offset.flush.interval.ms", "200")])
}

fn run(server: &ServerHandle, db: &str, command: bson::Document) {
    server.run_command(db, command).expect("command succeeds");
}

#[test]
fn snapshot_and_streaming_events_have_debeziums_shape() {
    let s = server(
        vec![CollectionSeed::new("shop", "orders").documents([doc! {"_id": 1, "qty": 5}, doc! {"_id": 2, "qty": 7}])],
        10_000,
    );
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    w.create("m", config(&s, "srv", json!({})));
    let topic = "srv.shop.orders";
    w.wait_records("m", topic, 2);
    assert_eq!(w.task0("m").0, "RUNNING");

    let all = w.events(topic);
    let (key, value) = (all[0].0.clone().unwrap(), all[0].1.clone().unwrap());
    assert_eq!(
        key,
        json!({"schema": {"type": "struct", "fields": [{"type": "string", "optional": false, "field": "id"}],
                          "optional": false, "name": "srv.shop.orders.Key"},
               "payload": {"id": "1"}})
    );
    let schema = &value["schema"];
    assert_eq!(schema["name"], "srv.shop.orders.Envelope");
    let fields: Vec<&str> = schema["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["before", "after", "updateDescription", "source", "op", "ts_ms", "transaction"]);
    assert_eq!(
        schema["fields"][0],
        json!({"type": "string", "optional": true, "name": "io.debezium.data.Json", "version": 1, "field": "before"})
    );
    assert_eq!(schema["fields"][2]["name"], "io.debezium.connector.mongodb.changestream.updatedescription");
    assert_eq!(schema["fields"][3]["name"], "io.debezium.connector.mongo.Source");
    let source_fields: Vec<&str> =
        schema["fields"][3]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(
        source_fields,
        [
            "version",
            "connector",
            "name",
            "ts_ms",
            "snapshot",
            "db",
            "sequence",
            "ts_us",
            "ts_ns",
            "collection",
            "ord",
            "lsid",
            "txnNumber",
            "wallTime"
        ]
    );
    let p = &value["payload"];
    assert_eq!(p["op"], "r");
    assert_eq!(p["before"], Value::Null);
    assert_eq!(p["after"], "{\"_id\": 1,\"qty\": 5}");
    assert_eq!(p["updateDescription"], Value::Null);
    assert_eq!(p["source"]["connector"], "mongodb");
    assert_eq!(p["source"]["version"], "3.1.3.Final");
    assert_eq!(p["source"]["name"], "srv");
    assert_eq!(p["source"]["db"], "shop");
    assert_eq!(p["source"]["collection"], "orders");
    assert_eq!(p["source"]["snapshot"], "true");
    assert_eq!(p["source"]["ord"], -1);
    assert_eq!(p["source"]["sequence"], Value::Null);

    // Streaming: insert, update (updateLookup), replace, delete + tombstone.
    s.insert("shop", "orders", vec![doc! {"_id": 3, "qty": 1, "tags": ["a"]}]).unwrap();
    run(
        &s,
        "shop",
        doc! {"update": "orders", "updates": [{"q": {"_id": 3}, "u": {"$set": {"qty": 9}, "$unset": {"tags": ""}}}]},
    );
    // updateLookup reads the document when the event is read: let it be
    // read before the document changes again.
    w.wait_records("m", topic, 4);
    run(&s, "shop", doc! {"update": "orders", "updates": [{"q": {"_id": 3}, "u": {"qty": 10, "n": 1_i64}}]});
    run(&s, "shop", doc! {"delete": "orders", "deletes": [{"q": {"_id": 3}, "limit": 1}]});
    w.wait_records("m", topic, 7);
    let all = w.events(topic);
    let p: Vec<Value> = all[2..6].iter().map(|(_, v)| v.clone().unwrap()["payload"].clone()).collect();
    assert_eq!(p[0]["op"], "c");
    assert_eq!(p[0]["after"], "{\"_id\": 3,\"qty\": 1,\"tags\": [\"a\"]}");
    assert_eq!(p[0]["source"]["snapshot"], "false");
    assert!(p[0]["source"]["ord"].as_i64().unwrap() >= 0, "{}", p[0]);
    assert!(p[0]["source"]["wallTime"].as_i64().unwrap() > 0, "{}", p[0]);
    assert_eq!(p[0]["source"]["ts_ms"].as_i64().unwrap() % 1000, 0, "ts_ms is the cluster time's seconds");
    assert_eq!(p[1]["op"], "u");
    assert_eq!(p[1]["after"], "{\"_id\": 3,\"qty\": 9}", "the looked-up document");
    assert_eq!(
        p[1]["updateDescription"],
        json!({"removedFields": ["tags"], "updatedFields": "{\"qty\": 9}", "truncatedArrays": null})
    );
    assert_eq!(p[2]["op"], "u");
    assert_eq!(p[2]["after"], "{\"_id\": 3,\"qty\": 10,\"n\": {\"$numberLong\": \"1\"}}");
    assert_eq!(p[2]["updateDescription"], Value::Null);
    assert_eq!(p[3]["op"], "d");
    assert_eq!(p[3]["before"], Value::Null);
    assert_eq!(p[3]["after"], Value::Null);
    assert_eq!(all[6].0.as_ref().unwrap()["payload"], json!({"id": "3"}));
    assert_eq!(all[6].1, None, "a tombstone follows the delete");

    // The committed offset has Debezium's keys.
    w.wait_for("offsets", WAIT, |w| w.offset("m")["resume_token"].is_string());
    let (_, body) = w.get("/connectors/m/offsets");
    assert_eq!(body["offsets"][0]["partition"], json!({"server_id": "srv"}));
    let offset = &body["offsets"][0]["offset"];
    assert!(offset["sec"].as_i64().unwrap() > 0 && offset["ord"].is_i64(), "{offset}");
}

#[test]
fn capture_modes_and_tombstones() {
    let seeds =
        || vec![CollectionSeed::new("db", "c").documents([doc! {"_id": "k", "v": 1}]).pre_and_post_images(true)];
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    let mut outcomes = Vec::new();
    for (i, mode) in ["change_streams", "change_streams_with_pre_image", "change_streams_update_full_with_pre_image"]
        .into_iter()
        .enumerate()
    {
        let s = server(seeds(), 10_000);
        let name = format!("m{i}");
        let prefix = format!("p{i}");
        let topic = format!("{prefix}.db.c");
        w.create(&name, config(&s, &prefix, json!({"capture.mode": mode, "tombstones.on.delete": "false"})));
        w.wait_records(&name, &topic, 1);
        run(&s, "db", doc! {"update": "c", "updates": [{"q": {"_id": "k"}, "u": {"$set": {"v": 2}}}]});
        w.wait_records(&name, &topic, 2);
        run(&s, "db", doc! {"delete": "c", "deletes": [{"q": {"_id": "k"}, "limit": 1}]});
        w.wait_records(&name, &topic, 3);
        std::thread::sleep(Duration::from_millis(500));
        let all = w.events(&topic);
        assert_eq!(all.len(), 3, "no tombstone with tombstones.on.delete=false");
        assert_eq!(all[1].0.as_ref().unwrap()["payload"]["id"], "\"k\"");
        outcomes.push(all.into_iter().map(|(_, v)| v.unwrap()["payload"].clone()).collect::<Vec<_>>());
    }
    // change_streams: no document on updates.
    assert_eq!(outcomes[0][1]["after"], Value::Null);
    assert_eq!(outcomes[0][1]["before"], Value::Null);
    assert_eq!(outcomes[0][1]["updateDescription"]["updatedFields"], "{\"v\": 2}");
    // with_pre_image: before on updates and deletes, no after on updates.
    assert_eq!(outcomes[1][1]["before"], "{\"_id\": \"k\",\"v\": 1}");
    assert_eq!(outcomes[1][1]["after"], Value::Null);
    assert_eq!(outcomes[1][2]["before"], "{\"_id\": \"k\",\"v\": 2}");
    // update_full_with_pre_image: both.
    assert_eq!(outcomes[2][1]["before"], "{\"_id\": \"k\",\"v\": 1}");
    assert_eq!(outcomes[2][1]["after"], "{\"_id\": \"k\",\"v\": 2}");
}

#[test]
fn every_bson_type_renders_as_debezium() {
    let oid = bson::oid::ObjectId::parse_str("596e275826f08b2730779e1f").unwrap();
    // 1.5 as decimal128: coefficient 15, exponent -1.
    let mut dec = [0u8; 16];
    dec[0] = 15;
    dec[8..].copy_from_slice(&((6176u64 - 1) << 49).to_le_bytes());
    let document = doc! {
        "_id": oid,
        "s": "tab\t\"q\" é",
        "i": 7,
        "l": 5_000_000_000_i64,
        "d": 2.5,
        "whole": 3.0,
        "b": true,
        "n": Bson::Null,
        "dt": bson::DateTime::from_millis(1_700_000_000_123),
        "ts": Bson::Timestamp(bson::Timestamp { time: 1_700_000_000, increment: 4 }),
        "bin": Bson::Binary(bson::Binary { subtype: bson::spec::BinarySubtype::Generic, bytes: vec![0, 1, 2] }),
        "uuid": Bson::Binary(bson::Binary { subtype: bson::spec::BinarySubtype::Uuid, bytes: vec![0xab; 16] }),
        "re": Bson::RegularExpression(bson::Regex { pattern: "^a.*".try_into().unwrap(), options: "i".try_into().unwrap() }),
        "dec": Bson::Decimal128(bson::Decimal128::from_bytes(dec)),
        "min": Bson::MinKey,
        "max": Bson::MaxKey,
        "code": Bson::JavaScriptCode("f()".into()),
        "nested": {"a": [1, {"b": [true, Bson::Null]}], "o": {}},
        "empty": [],
    };
    let s = server(vec![CollectionSeed::new("t", "all")], 10_000);
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    w.create("types", config(&s, "ty", json!({})));
    w.wait_for("streaming", WAIT, |w| w.task0("types").0 == "RUNNING");
    std::thread::sleep(Duration::from_secs(2));
    s.insert("t", "all", vec![document]).unwrap();
    w.wait_records("types", "ty.t.all", 1);
    let (key, value) = w.events("ty.t.all").remove(0);
    assert_eq!(key.unwrap()["payload"]["id"], "{\"$oid\": \"596e275826f08b2730779e1f\"}");
    assert_eq!(
        value.unwrap()["payload"]["after"].as_str().unwrap(),
        concat!(
            r#"{"_id": {"$oid": "596e275826f08b2730779e1f"},"s": "tab\t\"q\" é","i": 7,"l": {"$numberLong": "5000000000"},"#,
            r#""d": 2.5,"whole": 3.0,"b": true,"n": null,"dt": {"$date": 1700000000123},"#,
            r#""ts": {"$timestamp": {"t": 1700000000,"i": 4}},"bin": {"$binary": "AAEC","$type": "00"},"#,
            r#""uuid": {"$binary": "q6urq6urq6urq6urq6urqw==","$type": "04"},"re": {"$regex": "^a.*","$options": "i"},"#,
            r#""dec": {"$numberDecimal": "1.5"},"min": {"$minKey": 1},"max": {"$maxKey": 1},"code": {"$code": "f()"},"#,
            r#""nested": {"a": [1,{"b": [true,null]}],"o": {}},"empty": []}"#
        )
    );
}

#[test]
fn hand_off_with_concurrent_writes_and_kill9_lose_nothing() {
    let seed: Vec<bson::Document> = (0..3000).map(|i| doc! {"_id": i, "v": "x"}).collect();
    let s = std::sync::Arc::new(server(vec![CollectionSeed::new("db", "ticks").documents(seed)], 100_000));
    let dir = tempfile::tempdir().unwrap();
    let port = worker::free_port();
    let mut w = Worker::start_on(&dir.path().join("w"), port, &[("offset.flush.interval.ms", "200")]);
    let writer = {
        let s = s.clone();
        std::thread::spawn(move || {
            for i in 3000..4000 {
                s.insert("db", "ticks", vec![doc! {"_id": i, "v": "y"}]).unwrap();
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    w.create("k", config(&s, "k9", json!({"max.batch.size": "200"})));
    w.wait_for("streaming to be under way", WAIT, |w| w.topic_len("k9.db.ticks") > 3200);
    w.kill9();
    writer.join().unwrap();
    s.insert("db", "ticks", vec![doc! {"_id": 4000, "v": "z"}]).unwrap();
    let w = Worker::start_on(&dir.path().join("w"), port, &[("offset.flush.interval.ms", "200")]);
    w.wait_for("every id", WAIT, |w| {
        let (state, trace) = w.task0("k");
        assert_ne!(state, "FAILED", "task failed: {trace}");
        let ids: BTreeSet<String> = w
            .records("k9.db.ticks")
            .iter()
            .filter_map(|r| serde_json::from_str::<Value>(r["key"].as_str()?).ok())
            .map(|k| k["payload"]["id"].as_str().unwrap().to_string())
            .collect();
        ids.len() == 4001
    });
    let ids: BTreeSet<i64> = w
        .payloads("k9.db.ticks")
        .iter()
        .map(|p| serde_json::from_str::<Value>(p["after"].as_str().unwrap()).unwrap()["_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, (0..=4000).collect::<BTreeSet<_>>(), "every document once at least, none lost");
}

#[test]
fn dropped_connections_are_retried_and_resume_without_loss_or_doubles() {
    let s = server(vec![CollectionSeed::new("db", "drops").documents((0..10).map(|i| doc! {"_id": i}))], 100_000);
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    w.create("drop", config(&s, "dr", json!({})));
    w.wait_records("drop", "dr.db.drops", 10);
    // The server closes the connection on the connector's next three
    // getMores (as a failover or a network fault would), while writes go on.
    run(
        &s,
        "admin",
        doc! {"configureFailPoint": "failCommand", "mode": {"times": 3},
        "data": {"failCommands": ["getMore"], "closeConnection": true}},
    );
    for i in 10..60 {
        s.insert("db", "drops", vec![doc! {"_id": i}]).unwrap();
        std::thread::sleep(Duration::from_millis(10));
    }
    w.wait_records("drop", "dr.db.drops", 60);
    std::thread::sleep(Duration::from_secs(1));
    let ids: Vec<i64> = w
        .payloads("dr.db.drops")
        .iter()
        .map(|p| serde_json::from_str::<Value>(p["after"].as_str().unwrap()).unwrap()["_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, (0..60).collect::<Vec<_>>(), "every document once, in order");
    assert_eq!(w.task0("drop").0, "RUNNING");
    let reconnects = w.log().matches("Lost the MongoDB connection").count();
    assert_eq!(reconnects, 3, "each closed connection was noticed and reconnected:\n{}", w.log());
}

#[test]
fn lost_resume_token_fails_with_actionable_trace() {
    let s = server(vec![CollectionSeed::new("db", "c").documents([doc! {"_id": 0}])], 5);
    let dir = tempfile::tempdir().unwrap();
    let port = worker::free_port();
    let mut w = Worker::start_on(&dir.path().join("w"), port, &[("offset.flush.interval.ms", "200")]);
    w.create("lost", config(&s, "lt", json!({})));
    w.wait_records("lost", "lt.db.c", 1);
    s.insert("db", "c", vec![doc! {"_id": 1}]).unwrap();
    w.wait_records("lost", "lt.db.c", 2);
    std::thread::sleep(Duration::from_millis(800));
    w.kill9();
    for i in 2..30 {
        s.insert("db", "c", vec![doc! {"_id": i}]).unwrap();
    }
    let w = Worker::start_on(&dir.path().join("w"), port, &[("offset.flush.interval.ms", "200")]);
    w.wait_for("the task to fail", WAIT, |w| w.task0("lost").0 == "FAILED");
    let trace = w.task0("lost").1;
    assert!(trace.contains("ChangeStreamHistoryLost") && trace.contains("snapshot.mode=when_needed"), "{trace}");

    // Under when_needed the same situation takes a new snapshot instead.
    let (code, body) =
        w.put("/connectors/lost/config", Some(&config(&s, "lt", json!({"snapshot.mode": "when_needed"}))));
    assert!(code == 200 || code == 201, "{body}");
    w.post_empty("/connectors/lost/restart?includeTasks=true");
    // The first snapshot read one document; the new one reads all 30.
    let first_snapshot = 1;
    w.wait_for("a new snapshot", WAIT, |w| {
        w.payloads("lt.db.c").iter().filter(|p| p["op"] == "r").count() >= first_snapshot + 30
    });
    assert_eq!(w.task0("lost").0, "RUNNING");
}

#[test]
fn validation_reports_connection_problems_on_the_connection_string() {
    let s = server(vec![], 10_000);
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    let validate = |c: Value| -> String {
        let (code, body) =
            w.put("/connector-plugins/io.debezium.connector.mongodb.MongoDbConnector/config/validate", Some(&c));
        assert_eq!(code, 200, "{body}");
        body["configs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["value"]["name"] == "mongodb.connection.string")
            .map(|c| c["value"]["errors"].to_string())
            .collect()
    };
    assert_eq!(validate(config(&s, "v", json!({}))), "[]");
    let bad_password = s.uri_with_credentials("weir", "wrong");
    let errors = validate(config(&s, "v", json!({"mongodb.connection.string": bad_password})));
    assert!(errors.contains("authentication of user 'weir'") && errors.contains("AuthenticationFailed"), "{errors}");
    let unreachable = format!("mongodb://weir:secret@127.0.0.1:{}/?replicaSet=rs0", worker::free_port());
    let errors = validate(config(&s, "v", json!({"mongodb.connection.string": unreachable})));
    assert!(errors.contains("Unable to connect to 127.0.0.1:"), "{errors}");
    let errors = validate(config(&s, "v", json!({"mongodb.connection.string": ""})));
    assert!(errors.contains("The 'mongodb.connection.string' value is invalid: Missing connection string"), "{errors}");
    let errors = validate(config(&s, "v", json!({"mongodb.connection.string": "mongodb+srv://x.example.com/"})));
    assert!(errors.contains("mongodb+srv"), "{errors}");
    let wrong_set = s.uri_with_credentials("weir", "secret").replace("replicaSet=rs0", "replicaSet=other");
    let errors = validate(config(&s, "v", json!({"mongodb.connection.string": wrong_set})));
    assert!(errors.contains("belongs to replica set rs0"), "{errors}");
    // A standalone server (no setName in its hello reply) has no change streams.
    let standalone = MongoServer::start(ServerConfig::default().replica_set("").user(User::new("weir", "secret")))
        .expect("test server starts");
    let uri = format!("mongodb://weir:secret@127.0.0.1:{}/", standalone.port());
    let errors = validate(config(&s, "v", json!({"mongodb.connection.string": uri})));
    assert!(errors.contains("is not a replica set member"), "{errors}");
}

#[test]
fn heartbeats_and_offsets_altered_through_rest() {
    let s = server(vec![], 10_000);
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    w.create("hb", config(&s, "hb", json!({"heartbeat.interval.ms": "300", "snapshot.mode": "no_data"})));
    w.wait_for("the task", WAIT, |w| w.task0("hb").0 == "RUNNING");
    run(&s, "db", doc! {"insert": "c", "documents": [{"_id": 1}]});
    w.wait_records("hb", "hb.db.c", 1);
    // Heartbeats while idle carry the stream's position.
    w.wait_for("heartbeats", WAIT, |w| w.topic_len("__debezium-heartbeat.hb") >= 2);
    let (key, _) = w.events("__debezium-heartbeat.hb").pop().unwrap();
    assert_eq!(key.unwrap()["payload"], json!({"serverName": "hb"}));

    // Moved back through the REST API to the position after the first
    // insert: the two later inserts are read again.
    w.wait_for("the insert's offset", WAIT, |w| w.offset("hb")["resume_token"].is_string());
    let after_first = w.offset("hb");
    run(&s, "db", doc! {"insert": "c", "documents": [{"_id": 2}]});
    run(&s, "db", doc! {"insert": "c", "documents": [{"_id": 3}]});
    w.wait_records("hb", "hb.db.c", 3);
    w.stop("hb");
    w.alter_offset("hb", json!({"server_id": "hb"}), after_first);
    w.resume("hb");
    w.wait_records("hb", "hb.db.c", 5);
    let ids: Vec<Value> = w.payloads("hb.db.c").iter().map(|p| p["after"].clone()).collect();
    assert_eq!(ids[3..], [json!("{\"_id\": 2}"), json!("{\"_id\": 3}")], "{ids:?}");
}

/// Snapshots `a_big` (20,000 documents, read first: database then
/// collection order, in batches of 100) and `b_late` (ids 0..50, `v: "old"`),
/// writing to `b_late` while the snapshot is still on `a_big`: 50 inserts
/// (ids 100..150), an update of id 0 and a delete of id 1. Returns the
/// worker and `b_late`'s event payloads once they have all arrived.
fn hand_off_under_writes(dir: &std::path::Path, config: ServerConfig) -> (Worker, Vec<Value>) {
    let big = CollectionSeed::new("db", "a_big").documents((0..20_000).map(|i| doc! {"_id": i}));
    let late = CollectionSeed::new("db", "b_late").documents((0..50).map(|i| doc! {"_id": i, "v": "old"}));
    let config = config.user(User::new("weir", "secret")).collection(big).collection(late);
    let s = MongoServer::start(config).expect("test server starts");
    let w = worker(dir);
    w.create("h", self::config(&s, "ho", json!({"max.batch.size": "100", "snapshot.fetch.size": "100"})));
    w.wait_records("h", "ho.db.a_big", 1);
    for i in 100..150 {
        s.insert("db", "b_late", vec![doc! {"_id": i, "v": "new"}]).unwrap();
    }
    run(&s, "db", doc! {"update": "b_late", "updates": [{"q": {"_id": 0}, "u": {"$set": {"v": "changed"}}}]});
    run(&s, "db", doc! {"delete": "b_late", "deletes": [{"q": {"_id": 1}, "limit": 1}]});
    assert_eq!(
        w.topic_len("ho.db.b_late"),
        0,
        "precondition: the writes must happen before `b_late` is snapshotted (raise a_big's size if this fails)"
    );
    // The update, the delete and its tombstone follow the reads and inserts.
    w.wait_for("b_late's delete and tombstone", WAIT, |w| {
        let (state, trace) = w.task0("h");
        assert_ne!(state, "FAILED", "task failed: {trace}");
        w.events("ho.db.b_late").last().is_some_and(|(_, value)| value.is_none())
    });
    assert_eq!(w.topic_len("ho.db.a_big"), 20_000);
    let events = w.payloads("ho.db.b_late");
    (w, events)
}

/// The `_id`s of the events with `op`, from `after`, sorted (the server's
/// natural order is unspecified).
fn after_ids(events: &[Value], op: &str) -> Vec<i64> {
    let id = |p: &Value| {
        let after: Value = serde_json::from_str(p["after"].as_str().expect("an after document")).unwrap();
        after["_id"].as_i64().expect("an integer _id")
    };
    let mut ids: Vec<i64> = events.iter().filter(|p| p["op"] == op).map(id).collect();
    ids.sort_unstable();
    ids
}

#[test]
fn snapshot_hand_off_reads_each_change_once_under_writes() {
    // Read at the snapshot's cluster time, `b_late` shows the writes made
    // after it only as changes.
    let dir = tempfile::tempdir().unwrap();
    let (w, events) = hand_off_under_writes(dir.path(), ServerConfig::default());
    assert_eq!(after_ids(&events, "r"), (0..50).collect::<Vec<_>>(), "the collection before the writes");
    for p in events.iter().filter(|p| p["op"] == "r") {
        assert!(p["after"].as_str().unwrap().contains("\"old\""), "read at the snapshot's time: {p}");
    }
    assert_eq!(after_ids(&events, "c"), (100..150).collect::<Vec<_>>(), "each insert once, as a change");
    assert_eq!(after_ids(&events, "u"), vec![0], "the update once, as a change");
    assert_eq!(events.iter().filter(|p| p["op"] == "d").count(), 1, "the delete once, as a change");
    assert_eq!(events.len(), 50 + 50 + 1 + 1, "nothing else: {events:?}");
    assert!(w.log().contains("Snapshot reads at cluster time"), "{}", w.log());
}

#[test]
fn snapshot_past_the_servers_history_falls_back_and_loses_nothing() {
    // The server keeps 10 changes of snapshot history: `b_late`'s read at
    // the snapshot's time fails with SnapshotTooOld, so it is read as it
    // is now; the writes then show up as reads and again as changes.
    let dir = tempfile::tempdir().unwrap();
    let (w, events) = hand_off_under_writes(dir.path(), ServerConfig::default().snapshot_history(10));
    let mut expected: Vec<i64> = (0..50).filter(|&i| i != 1).chain(100..150).collect();
    expected.sort_unstable();
    assert_eq!(after_ids(&events, "r"), expected, "the collection after the writes");
    assert_eq!(after_ids(&events, "c"), (100..150).collect::<Vec<_>>(), "every insert as a change too");
    assert_eq!(after_ids(&events, "u"), vec![0]);
    assert_eq!(events.iter().filter(|p| p["op"] == "d").count(), 1);
    assert_eq!(w.task0("h").0, "RUNNING");
    assert!(w.log().contains("no longer readable"), "the fallback is logged:\n{}", w.log());
}

#[test]
fn transaction_metadata_marks_each_transaction() {
    let s = server(
        vec![
            CollectionSeed::new("db", "a").documents([doc! {"_id": 1}]),
            CollectionSeed::new("db", "b").documents([doc! {"_id": 1}]),
        ],
        10_000,
    );
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    w.create("t", config(&s, "tx", json!({"provide.transaction.metadata": "true"})));
    w.wait_records("t", "tx.db.b", 1);
    s.transaction(vec![
        ("db", doc! {"insert": "a", "documents": [{"_id": 10}]}),
        ("db", doc! {"insert": "a", "documents": [{"_id": 11}]}),
        ("db", doc! {"update": "b", "updates": [{"q": {"_id": 1}, "u": {"$set": {"x": 1}}}]}),
    ])
    .unwrap();
    // The END comes once the stream is past the transaction, without
    // waiting for another event.
    w.wait_records("t", "tx.transaction", 2);
    s.insert("db", "a", vec![doc! {"_id": 12}]).unwrap();
    s.transaction(vec![("db", doc! {"insert": "b", "documents": [{"_id": 2}]})]).unwrap();
    w.wait_records("t", "tx.transaction", 4);

    let marks = w.events("tx.transaction");
    let value = |i: usize| marks[i].1.clone().expect("a value")["payload"].clone();
    let id1 = value(0)["id"].as_str().unwrap().to_string();
    let id2 = value(2)["id"].as_str().unwrap().to_string();
    // `<lsid as strict extended JSON, compact>:<txnNumber>`, as Debezium's.
    let shape = regex::Regex::new(
        r#"^\{"id": \{"\$binary": "[A-Za-z0-9+/]{22}==","\$type": "04"\},"uid": \{"\$binary": "[A-Za-z0-9+/]{43}=","\$type": "00"\}\}:1$"#,
    )
    .unwrap();
    assert!(shape.is_match(&id1), "{id1}");
    assert_ne!(id1, id2, "each session its own transaction");
    assert_eq!(marks[0].0.clone().unwrap()["payload"], json!({"id": id1}));
    let a = w.payloads("tx.db.a");
    let ts_ms = a[1]["source"]["ts_ms"].clone();
    assert_eq!(
        value(0),
        json!({"status": "BEGIN", "id": id1, "event_count": null, "data_collections": null, "ts_ms": ts_ms})
    );
    assert_eq!(
        value(1),
        json!({"status": "END", "id": id1, "event_count": 3, "ts_ms": ts_ms,
               "data_collections": [{"data_collection": "db.a", "event_count": 2},
                                    {"data_collection": "db.b", "event_count": 1}]})
    );
    assert_eq!(value(2)["status"], "BEGIN");
    assert_eq!(value(3)["event_count"], 1);
    assert_eq!(value(3)["data_collections"], json!([{"data_collection": "db.b", "event_count": 1}]));

    let b = w.payloads("tx.db.b");
    let blocks: Vec<Value> = a.iter().chain(&b).map(|p| p["transaction"].clone()).collect();
    assert_eq!(
        blocks,
        [
            Value::Null,
            json!({"id": id1, "total_order": 1, "data_collection_order": 1}),
            json!({"id": id1, "total_order": 2, "data_collection_order": 2}),
            Value::Null,
            Value::Null,
            json!({"id": id1, "total_order": 3, "data_collection_order": 1}),
            json!({"id": id2, "total_order": 1, "data_collection_order": 1}),
        ]
    );
    let (lsid, number) = id1.rsplit_once(':').unwrap();
    assert_eq!(a[1]["source"]["lsid"], lsid);
    assert_eq!(a[1]["source"]["txnNumber"], number.parse::<i64>().unwrap());
    assert_eq!(a[3]["source"]["lsid"], Value::Null);
}

#[test]
fn scram_sha_256_passwords_are_saslprepped() {
    // MongoDB stores SCRAM-SHA-256 credentials of the SASLprep'd password,
    // so a user whose password is "IX" logs in as "Ⅸ" (U+2168) too.
    let seed = CollectionSeed::new("db", "c").documents([doc! {"_id": 1}]);
    let s = MongoServer::start(ServerConfig::default().user(User::new("prep", "IX")).collection(seed))
        .expect("test server starts");
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    let mut c = config(&s, "sp", json!({}));
    c["mongodb.connection.string"] = json!(s.uri_with_credentials("prep", "%E2%85%A8"));
    w.create("p", c);
    w.wait_records("p", "sp.db.c", 1);
}

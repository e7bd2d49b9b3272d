//! The MariaDB connector against a real MariaDB 10.11: snapshot, streaming,
//! event shapes, types, DDL and the schema history, offsets, restarts,
//! TLS and validation. Each test starts its own server
//! (support/mariadb.rs) and worker.

#[path = "support/certs.rs"]
mod certs;
#[path = "support/mariadb.rs"]
mod mariadb;
#[path = "support/worker.rs"]
mod worker;

use std::collections::BTreeSet;
use std::time::Duration;

use mariadb::MariaDb;
use serde_json::{Value, json};
use worker::Worker;

const WAIT: Duration = Duration::from_secs(60);

fn config(db: &MariaDb, prefix: &str, extra: Value) -> Value {
    let mut c = json!({
        "connector.class": "io.debezium.connector.mariadb.MariaDbConnector",
        "database.hostname": "127.0.0.1", "database.port": db.port.to_string(),
        "database.user": mariadb::USER, "database.password": mariadb::PASSWORD,
        "database.server.id": "5400", "topic.prefix": prefix,
        "database.include.list": "shop",
    });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        c[k] = v;
    }
    c
}

fn worker(dir: &std::path::Path) -> Worker {
    Worker::start(dir, &[("offset.flush.interval.ms", "200")])
}

/// Debezium 3.1's MariaDB `source` schema: the common fields, then the
/// binlog fields (the reference's captured MySQL event, renamed).
fn source_schema() -> Value {
    json!({"type":"struct","fields":[
        {"type":"string","optional":false,"field":"version"},
        {"type":"string","optional":false,"field":"connector"},
        {"type":"string","optional":false,"field":"name"},
        {"type":"int64","optional":false,"field":"ts_ms"},
        {"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},
        {"type":"string","optional":false,"field":"db"},
        {"type":"string","optional":true,"field":"sequence"},
        {"type":"int64","optional":true,"field":"ts_us"},
        {"type":"int64","optional":true,"field":"ts_ns"},
        {"type":"string","optional":true,"field":"table"},
        {"type":"int64","optional":false,"field":"server_id"},
        {"type":"string","optional":true,"field":"gtid"},
        {"type":"string","optional":false,"field":"file"},
        {"type":"int64","optional":false,"field":"pos"},
        {"type":"int32","optional":false,"field":"row"},
        {"type":"int64","optional":true,"field":"thread"},
        {"type":"string","optional":true,"field":"query"}],
      "optional":false,"name":"io.debezium.connector.mariadb.Source","version":1,"field":"source"})
}

#[test]
fn snapshot_and_streaming_events_have_debeziums_shape() {
    let db = MariaDb::start();
    db.sql(
        "CREATE TABLE shop.customers (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, data VARCHAR(64), \
           checked_at DATETIME DEFAULT CURRENT_TIMESTAMP); \
         INSERT INTO shop.customers (data, checked_at) VALUES ('a', '2024-01-02 03:04:05'), ('b', NULL); \
         CREATE TABLE shop.orders (id INT PRIMARY KEY, qty INT); INSERT INTO shop.orders VALUES (1, 5), (2, 7)",
    );
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    w.create("shop", config(&db, "ravo", json!({"value.converter.schemas.enable": "true"})));
    w.wait_records("shop", "ravo.shop.customers", 2);
    w.wait_records("shop", "ravo.shop.orders", 2);

    let customers = w.payloads("ravo.shop.customers");
    let orders = w.payloads("ravo.shop.orders");
    let markers: Vec<&str> =
        customers.iter().chain(orders.iter()).map(|p| p["source"]["snapshot"].as_str().unwrap()).collect();
    assert_eq!(markers, vec!["first", "last_in_data_collection", "first_in_data_collection", "last"]);
    let first = &customers[0];
    assert_eq!(first["op"], "r");
    assert_eq!(first["after"], json!({"id": 1, "data": "a", "checked_at": 1_704_164_645_000_i64}));
    assert_eq!(first["source"]["connector"], "mariadb");
    assert_eq!(first["source"]["server_id"], 0);
    assert_eq!(first["source"]["db"], "shop");
    assert_eq!(first["source"]["table"], "customers");
    assert!(first["source"]["file"].as_str().unwrap().starts_with("mariadb-bin."), "{first}");

    // Streamed insert, update, delete: Debezium's envelope and source.
    db.sql("INSERT INTO shop.customers (data) VALUES ('CDC Test')");
    db.sql("UPDATE shop.customers SET data = 'b2' WHERE id = 2");
    db.sql("DELETE FROM shop.customers WHERE id = 1");
    w.wait_records("shop", "ravo.shop.customers", 6);
    let events = w.events("ravo.shop.customers");
    let (key, value) = events[2].clone();
    assert_eq!(key.unwrap()["payload"], json!({"id": 3}));
    let value = value.unwrap();
    let schema = &value["schema"];
    assert_eq!(schema["name"], "ravo.shop.customers.Envelope");
    assert_eq!(schema["fields"][2], source_schema(), "the source schema is Debezium's");
    assert_eq!(
        schema["fields"][1]["fields"],
        json!([
            {"type":"int64","optional":false,"field":"id"},
            {"type":"string","optional":true,"field":"data"},
            {"type":"int64","optional":true,"name":"io.debezium.time.Timestamp","version":1,"default":0,"field":"checked_at"}
        ]),
        "the row schema matches the reference's captured MySQL event"
    );
    let p = &value["payload"];
    assert_eq!(p["op"], "c");
    assert_eq!(p["after"]["data"], "CDC Test");
    let source = &p["source"];
    let keys: Vec<&str> = source.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        vec![
            "version",
            "connector",
            "name",
            "ts_ms",
            "snapshot",
            "db",
            "sequence",
            "ts_us",
            "ts_ns",
            "table",
            "server_id",
            "gtid",
            "file",
            "pos",
            "row",
            "thread",
            "query"
        ]
    );
    assert_eq!(source["snapshot"], "false");
    assert_eq!(source["server_id"], 1);
    assert_eq!(source["ts_ms"].as_i64().unwrap() % 1000, 0, "binlog times are whole seconds");
    assert!(source["gtid"].as_str().is_some_and(|g| g.starts_with("0-1-")), "{source}");
    // MariaDB opens a transaction with its GTID event, which names no
    // thread (there is no BEGIN query event to carry one).
    assert_eq!(source["thread"], Value::Null);
    assert_eq!(source["query"], Value::Null);

    let update = events[3].1.clone().unwrap();
    assert_eq!(update["payload"]["op"], "u");
    assert_eq!(update["payload"]["before"]["data"], "b");
    assert_eq!(update["payload"]["after"]["data"], "b2");
    let delete = events[4].1.clone().unwrap();
    assert_eq!(delete["payload"]["op"], "d");
    assert_eq!(delete["payload"]["before"]["id"], 1);
    assert_eq!(delete["payload"]["after"], Value::Null);
    assert_eq!(events[5].0.clone().unwrap()["payload"], json!({"id": 1}));
    assert!(events[5].1.is_none(), "a tombstone follows the delete");

    // Schema change events for the snapshot's tables go to <topic.prefix>.
    let changes = w.payloads("ravo");
    let ddl: Vec<&str> = changes.iter().map(|c| c["ddl"].as_str().unwrap_or("")).collect();
    assert!(ddl.iter().any(|d| d.starts_with("CREATE TABLE `customers`")), "{ddl:?}");
    let created = changes.iter().find(|c| c["source"]["table"] == "customers").unwrap();
    assert_eq!(created["databaseName"], "shop");
    assert_eq!(created["tableChanges"][0]["type"], "CREATE");
    assert_eq!(created["tableChanges"][0]["id"], "\"shop\".\"customers\"");
    assert_eq!(created["tableChanges"][0]["table"]["primaryKeyColumnNames"], json!(["id"]));

    // The committed offset has Debezium's keys.
    w.wait_for("offsets", WAIT, |w| {
        let o = w.offset("shop");
        o["file"].is_string() && o.get("snapshot").is_none()
    });
    let (_, o) = w.get("/connectors/shop/offsets");
    assert_eq!(o["offsets"][0]["partition"], json!({"server": "ravo"}));
    let offset = &o["offsets"][0]["offset"];
    assert!(offset["pos"].as_u64().unwrap() > 4, "{offset}");
    assert_eq!(offset["server_id"], 1);
    assert!(offset["ts_sec"].as_i64().is_some(), "{offset}");
}

#[test]
fn every_type_reads_the_same_in_the_snapshot_and_the_stream() {
    let db = MariaDb::start();
    let columns = "id INT PRIMARY KEY, ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, su SMALLINT UNSIGNED, \
        mi MEDIUMINT, mu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT, bu BIGINT UNSIGNED, \
        b BOOLEAN, bit1 BIT(1), bit10 BIT(10), dec1 DECIMAL(10,3), dec2 DECIMAL(30,10), f FLOAT, d DOUBLE, \
        c CHAR(3), vc VARCHAR(300), t TEXT, bin BINARY(3), vb VARBINARY(10), bl BLOB, \
        dt DATE, tm TIME(3), dtm DATETIME(6), ts TIMESTAMP(3) NULL, y YEAR, \
        e ENUM('small','medium','large'), st SET('a','b','c'), j JSON, l1 VARCHAR(10) CHARACTER SET latin1";
    let row1 = "(1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295, \
        -9223372036854775808, 18446744073709551615, TRUE, b'1', b'1010101010', -1234567.891, \
        12345678901234567890.0123456789, 1.5, -2.25e100, 'abc', REPEAT('x', 300), 'text ✓', \
        x'010203', x'ff00', x'deadbeef', '2024-02-29', '-838:59:59.000', '2024-02-29 23:59:59.123456', \
        '2024-03-01 01:02:03.456', 2024, 'medium', 'a,c', '{\"k\": [1, 2.5, \"s\", null, true]}', 'caf\u{e9}')";
    let row2 = "(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)";
    db.sql(&format!("CREATE TABLE shop.types ({columns}); INSERT INTO shop.types VALUES {row1}, {row2}"));
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    w.create("types", config(&db, "ty", json!({})));
    w.wait_records("types", "ty.shop.types", 2);
    db.sql(&format!(
        "INSERT INTO shop.types VALUES {}, {}",
        row1.replacen("(1,", "(11,", 1),
        row2.replacen("(2,", "(12,", 1)
    ));
    w.wait_records("types", "ty.shop.types", 4);
    let p = w.payloads("ty.shop.types");
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("id");
        v
    };
    assert_eq!(strip(p[2]["after"].clone()), strip(p[0]["after"].clone()), "streamed row 1 equals its snapshot");
    assert_eq!(strip(p[3]["after"].clone()), strip(p[1]["after"].clone()), "streamed NULL row equals its snapshot");
    let a = &p[2]["after"];
    let expected = json!({
        "ti": -128, "tu": 255, "si": -32768, "su": 65535, "mi": -8388608, "mu": 16777215,
        "i": -2147483648_i64, "iu": 4294967295_i64, "bi": i64::MIN, "bu": -1,
        "b": 1, "bit1": true, "bit10": "qgI=",
        "f": 1.5, "d": -2.25e100, "c": "abc", "t": "text ✓",
        "bin": "AQID", "vb": "/wA=", "bl": "3q2+7w==",
        "dt": 19782, "tm": -3_020_399_000_000_i64, "dtm": 1_709_251_199_123_456_i64,
        "ts": "2024-03-01T01:02:03.456Z", "y": 2024,
        "e": "medium", "st": "a,c", "l1": "café",
    });
    for (k, v) in expected.as_object().unwrap() {
        assert_eq!(&a[k], v, "column {k}: {a}");
    }
    assert_eq!(a["vc"].as_str().unwrap().len(), 300);
    // DECIMAL in precise mode: Connect's Decimal, base64 of the unscaled value.
    assert!(a["dec1"].is_string() && a["dec2"].is_string(), "{a}");
    // MariaDB stores JSON as text: passed through as written.
    assert_eq!(a["j"], "{\"k\": [1, 2.5, \"s\", null, true]}");
    let nulls = &p[3]["after"];
    assert!(nulls.as_object().unwrap().iter().filter(|(k, _)| *k != "id").all(|(_, v)| v.is_null()), "{nulls}");
}

#[test]
fn the_hand_off_under_concurrent_writes_loses_and_doubles_nothing() {
    let db = MariaDb::start();
    db.sql(
        "CREATE TABLE shop.ticks (id INT PRIMARY KEY, v INT); \
         INSERT INTO shop.ticks SELECT seq, 0 FROM shop.seq_1_to_20000",
    );
    // Writers run while the snapshot reads: inserts past 20000 and updates.
    let writer = db.block_in_background(
        "FOR i IN 20001..22000 DO INSERT INTO shop.ticks VALUES (i, 0); \
           UPDATE shop.ticks SET v = v + 1 WHERE id = i - 20000; END FOR;",
    );
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    w.create("ticks", config(&db, "ho", json!({"max.batch.size": "500"})));
    writer.join().expect("writer");
    db.sql("INSERT INTO shop.ticks VALUES (99999, 0)");
    w.wait_for("the final insert", Duration::from_secs(120), |w| {
        w.payloads("ho.shop.ticks").iter().any(|p| p["after"]["id"] == 99999)
    });
    assert_replays_to_the_table(&db, &w, "ho.shop.ticks", "shop.ticks");
}

/// Replaying every event of `topic` in order gives exactly the final
/// state of `table` (`id`, `v`): no row read twice, none created twice.
fn assert_replays_to_the_table(db: &MariaDb, w: &Worker, topic: &str, table: &str) {
    let mut state = std::collections::BTreeMap::new();
    let mut reads = BTreeSet::new();
    for p in w.payloads(topic) {
        let after = &p["after"];
        let id = after["id"].as_i64().unwrap();
        match p["op"].as_str().unwrap() {
            "r" => assert!(reads.insert(id), "row {id} read twice"),
            "c" => assert!(!state.contains_key(&id), "row {id} created twice"),
            _ => {}
        }
        state.insert(id, after["v"].as_i64().unwrap());
    }
    let table: std::collections::BTreeMap<i64, i64> = db
        .sql(&format!("SELECT id, v FROM {table}"))
        .lines()
        .map(|l| {
            let (a, b) = l.split_once('\t').unwrap();
            (a.parse().unwrap(), b.parse().unwrap())
        })
        .collect();
    assert_eq!(state.len(), table.len());
    assert_eq!(state, table, "the events replay to the table's final state");
}

#[test]
fn a_refused_global_read_lock_falls_back_to_read_locks_on_the_captured_tables() {
    let db = MariaDb::start();
    db.sql(
        "CREATE TABLE shop.ticks (id INT PRIMARY KEY, v INT); \
         INSERT INTO shop.ticks SELECT seq, 0 FROM shop.seq_1_to_20000; \
         CREATE TABLE shop.few (id INT PRIMARY KEY, v INT); INSERT INTO shop.few VALUES (1, 0), (2, 0)",
    );
    // Without RELOAD the server refuses FLUSH TABLES WITH READ LOCK.
    let grants = "SELECT, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT";
    db.sql(&format!(
        "CREATE USER 'tables'@'%' IDENTIFIED BY 'pw'; GRANT {grants}, LOCK TABLES ON *.* TO 'tables'@'%'; \
         CREATE USER 'nolocks'@'%' IDENTIFIED BY 'pw'; GRANT {grants} ON *.* TO 'nolocks'@'%'"
    ));
    let writer = db.block_in_background(
        "FOR i IN 20001..22000 DO INSERT INTO shop.ticks VALUES (i, 0); \
           UPDATE shop.ticks SET v = v + 1 WHERE id = i - 20000; END FOR;",
    );
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    // shop.few is not captured here: its definition is read before the lock.
    w.create(
        "tables",
        config(
            &db,
            "tl",
            json!({"database.user": "tables", "database.password": "pw", "max.batch.size": "500",
                   "table.include.list": "shop.ticks"}),
        ),
    );
    writer.join().expect("writer");
    db.sql("INSERT INTO shop.ticks VALUES (99999, 0)");
    w.wait_for("the final insert", Duration::from_secs(120), |w| {
        w.payloads("tl.shop.ticks").iter().any(|p| p["after"]["id"] == 99999)
    });
    assert_replays_to_the_table(&db, &w, "tl.shop.ticks", "shop.ticks");
    let log = w.log();
    assert!(log.contains("locking the captured tables instead"), "{log}");
    assert!(!log.contains("relying on the consistent snapshot"), "the table locks were granted: {log}");

    // Refused table locks too, MariaDB's consistent snapshot still gives the position.
    w.create(
        "nolocks",
        config(
            &db,
            "nl",
            json!({"database.user": "nolocks", "database.password": "pw", "database.server.id": "5401",
                   "table.include.list": "shop.few"}),
        ),
    );
    w.wait_for("the snapshot", WAIT, |w| w.payloads("nl.shop.few").len() == 2);
    db.sql("UPDATE shop.few SET v = 7 WHERE id = 2");
    w.wait_for("the update", WAIT, |w| w.payloads("nl.shop.few").iter().any(|p| p["op"] == "u"));
    assert_replays_to_the_table(&db, &w, "nl.shop.few", "shop.few");
    assert!(w.log().contains("relying on the consistent snapshot"), "{}", w.log());
    assert_eq!(w.task0("tables").0, "RUNNING");
}

#[test]
fn extended_locking_releases_the_global_lock_once_the_rows_are_read() {
    let db = MariaDb::start();
    db.sql("CREATE TABLE shop.held (id INT PRIMARY KEY); INSERT INTO shop.held VALUES (1), (2)");
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    w.create("held", config(&db, "ex", json!({"snapshot.locking.mode": "extended"})));
    w.wait_for("the snapshot", WAIT, |w| w.payloads("ex.shop.held").len() == 2);
    w.wait_for("streaming", WAIT, |w| w.log().contains("Snapshot complete"));
    // A write still blocked by the global read lock would time out here.
    db.try_sql("SET SESSION lock_wait_timeout = 10; INSERT INTO shop.held VALUES (3)")
        .unwrap_or_else(|e| panic!("the write after the snapshot was refused: {e}"));
    w.wait_for("the insert", WAIT, |w| w.payloads("ex.shop.held").iter().any(|p| p["op"] == "c"));
}

#[test]
fn ddl_mid_stream_survives_a_restart() {
    let db = MariaDb::start();
    db.sql("CREATE TABLE shop.evolving (id INT PRIMARY KEY, a VARCHAR(10))");
    let dir = tempfile::tempdir().unwrap();
    let mut w = worker(&dir.path().join("w"));
    let port = w.port;
    w.create("ev", config(&db, "ev", json!({})));
    w.wait_for("the task", WAIT, |w| w.task0("ev").0 == "RUNNING");
    db.sql("INSERT INTO shop.evolving VALUES (1, 'x')");
    db.sql("ALTER TABLE shop.evolving ADD COLUMN b INT NOT NULL DEFAULT 7 AFTER id");
    db.sql("INSERT INTO shop.evolving VALUES (2, 9, 'y')");
    w.wait_records("ev", "ev.shop.evolving", 2);
    let p = w.payloads("ev.shop.evolving");
    assert_eq!(p[0]["after"], json!({"id": 1, "a": "x"}));
    assert_eq!(p[1]["after"], json!({"id": 2, "b": 9, "a": "y"}));
    let changes = w.payloads("ev");
    assert!(changes.iter().any(|c| c["ddl"].as_str().unwrap_or("").starts_with("ALTER TABLE")), "{changes:?}");

    // The worker dies; more DDL and rows arrive meanwhile; the history
    // replays to the right definition at the resume position.
    w.kill9();
    db.sql("ALTER TABLE shop.evolving DROP COLUMN a, ADD COLUMN c DATE");
    db.sql("INSERT INTO shop.evolving VALUES (3, 10, '2024-01-01')");
    let w = Worker::start_on(&dir.path().join("w"), port, &[("offset.flush.interval.ms", "200")]);
    w.wait_for("the third row", WAIT, |w| w.payloads("ev.shop.evolving").iter().any(|p| p["after"]["id"] == 3));
    let p = w.payloads("ev.shop.evolving");
    let last = p.iter().rev().find(|p| p["after"]["id"] == 3).unwrap();
    assert_eq!(last["after"], json!({"id": 3, "b": 10, "c": 19723}));
    assert_eq!(w.task0("ev").0, "RUNNING");
}

#[test]
fn kill_9_and_a_server_restart_lose_no_change() {
    let mut db = MariaDb::start();
    db.sql("CREATE TABLE shop.ticks (id INT PRIMARY KEY)");
    let dir = tempfile::tempdir().unwrap();
    let mut w = worker(&dir.path().join("w"));
    let port = w.port;
    w.create("ticks", config(&db, "k9", json!({})));
    w.wait_for("the task", WAIT, |w| w.task0("ticks").0 == "RUNNING");
    // Multi-row events, so a kill can land inside one.
    let writer = db.block_in_background(
        "FOR i IN 0..199 DO INSERT INTO shop.ticks SELECT i * 10 + seq FROM shop.seq_1_to_10; END FOR;",
    );
    w.wait_for("streaming to be under way", WAIT, |w| w.topic_len("k9.shop.ticks") > 300);
    w.kill9();
    writer.join().expect("writer");
    let w = Worker::start_on(&dir.path().join("w"), port, &[("offset.flush.interval.ms", "200")]);
    w.wait_for("every row", WAIT, |w| {
        let ids: BTreeSet<i64> =
            w.payloads("k9.shop.ticks").iter().map(|p| p["after"]["id"].as_i64().unwrap()).collect();
        ids.len() == 2000
    });
    let ids: BTreeSet<i64> = w.payloads("k9.shop.ticks").iter().map(|p| p["after"]["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, (1..=2000).collect::<BTreeSet<_>>(), "every insert is present after kill -9");
    // The embedded log commits records with their offsets, so a resume that
    // skips exactly the events and rows emitted (even inside a multi-row
    // event) doubles nothing.
    assert_eq!(w.topic_len("k9.shop.ticks"), 2000, "no insert is emitted twice");

    // The server restarts under the connector: it reconnects and goes on.
    let before = w.topic_len("k9.shop.ticks");
    db.restart();
    db.sql("INSERT INTO shop.ticks VALUES (5000)");
    w.wait_records("ticks", "k9.shop.ticks", before + 1);
    assert_eq!(w.task0("ticks").0, "RUNNING");
    let last = w.payloads("k9.shop.ticks").last().cloned().unwrap();
    assert_eq!(last["after"]["id"], 5000);
}

#[test]
fn snapshot_modes_and_altered_offsets_are_honoured() {
    let db = MariaDb::start();
    db.sql("CREATE TABLE shop.jump (id INT PRIMARY KEY); INSERT INTO shop.jump VALUES (1)");
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    // no_data: the existing row is not read; new rows stream.
    w.create("jump", config(&db, "j", json!({"snapshot.mode": "no_data"})));
    w.wait_for("the task", WAIT, |w| w.task0("jump").0 == "RUNNING");
    db.sql("INSERT INTO shop.jump VALUES (2)");
    w.wait_records("jump", "j.shop.jump", 1);
    assert_eq!(w.payloads("j.shop.jump")[0]["after"]["id"], 2);

    // Stopped, moved past two inserts, resumed: only the later insert comes.
    w.stop("jump");
    db.sql("INSERT INTO shop.jump VALUES (3); INSERT INTO shop.jump VALUES (4)");
    let status = db.sql("SHOW MASTER STATUS");
    let mut fields = status.split('\t');
    let (file, pos) = (fields.next().unwrap().to_string(), fields.next().unwrap().parse::<u64>().unwrap());
    db.sql("INSERT INTO shop.jump VALUES (5)");
    w.alter_offset("jump", json!({"server": "j"}), json!({"file": file, "pos": pos}));
    w.resume("jump");
    w.wait_records("jump", "j.shop.jump", 2);
    std::thread::sleep(Duration::from_secs(1));
    let ids: Vec<Value> = w.payloads("j.shop.jump").iter().map(|p| p["after"]["id"].clone()).collect();
    assert_eq!(ids, vec![json!(2), json!(5)], "inserts before the altered offset are skipped");

    // initial_only: the snapshot, then nothing.
    w.create("once", config(&db, "o", json!({"snapshot.mode": "initial_only"})));
    w.wait_records("once", "o.shop.jump", 5);
    db.sql("INSERT INTO shop.jump VALUES (6)");
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(w.topic_len("o.shop.jump"), 5, "initial_only streams nothing");
}

/// Creates `no_data` connector `name` (prefix `prefix`) and waits until it
/// streams the row `insert` adds to `shop.<table>`.
fn streaming_one_insert(db: &MariaDb, w: &Worker, name: &str, prefix: &str, table: &str, insert: &str) {
    w.create(name, config(db, prefix, json!({"snapshot.mode": "no_data"})));
    w.wait_for("the task", WAIT, |w| w.task0(name).0 == "RUNNING");
    db.sql(insert);
    w.wait_records(name, &format!("{prefix}.shop.{table}"), 1);
}

/// Moves stopped connector `name`'s offset to `gtids`, in binlog file
/// `file`, which this server does not have: as after a failover to a
/// server that names its binlog files differently.
fn move_to_gtids_in(w: &Worker, name: &str, prefix: &str, file: &str, gtids: &str) {
    w.alter_offset(name, json!({"server": prefix}), json!({"file": file, "pos": 4, "gtids": gtids}));
}

#[test]
fn streaming_resumes_by_gtid_where_the_offsets_file_does_not_exist() {
    let db = MariaDb::start();
    db.sql("CREATE TABLE shop.moved (id INT PRIMARY KEY)");
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    streaming_one_insert(&db, &w, "moved", "g", "moved", "INSERT INTO shop.moved VALUES (1)");

    w.stop("moved");
    db.sql("INSERT INTO shop.moved VALUES (2)");
    let after_two = db.sql("SELECT @@global.gtid_binlog_pos").trim().to_string();
    db.sql("INSERT INTO shop.moved VALUES (3)");
    move_to_gtids_in(&w, "moved", "g", "elsewhere-bin.000042", &after_two);
    w.resume("moved");
    w.wait_records("moved", "g.shop.moved", 2);
    db.sql("INSERT INTO shop.moved VALUES (4)");
    w.wait_records("moved", "g.shop.moved", 3);
    let ids: Vec<Value> = w.payloads("g.shop.moved").iter().map(|p| p["after"]["id"].clone()).collect();
    assert_eq!(ids, vec![json!(1), json!(3), json!(4)], "streaming restarts after the offset's GTIDs");
    let (status, _) = w.task0("moved");
    assert_eq!(status, "RUNNING");
    let events = w.payloads("g.shop.moved");
    assert!(events[1]["source"]["file"].as_str().unwrap().starts_with("mariadb-bin."), "{}", events[1]);
    w.wait_for("the offset names this server's binlog again", WAIT, |w| {
        w.offset("moved")["file"].as_str().is_some_and(|f| f.starts_with("mariadb-bin."))
    });
}

#[test]
fn a_gtid_resume_replays_the_schema_history_up_to_its_gtids() {
    let db = MariaDb::start();
    db.sql("CREATE TABLE shop.evolve (id INT PRIMARY KEY, a INT)");
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    streaming_one_insert(&db, &w, "evolve", "h", "evolve", "INSERT INTO shop.evolve VALUES (1, 10)");
    w.stop("evolve");
    let before_alter = db.sql("SELECT @@global.gtid_binlog_pos").trim().to_string();
    db.sql("INSERT INTO shop.evolve VALUES (2, 20)");
    db.sql("ALTER TABLE shop.evolve ADD COLUMN b INT");
    db.sql("INSERT INTO shop.evolve VALUES (3, 30, 300)");
    w.resume("evolve");
    w.wait_records("evolve", "h.shop.evolve", 3);

    // Back to before the ALTER, in a file named as another server would
    // name it (numbered past the ALTER's): the history must be cut by
    // GTID, or row 2 would be read with the column the ALTER adds later.
    w.stop("evolve");
    move_to_gtids_in(&w, "evolve", "h", "elsewhere-bin.000099", &before_alter);
    w.resume("evolve");
    w.wait_records("evolve", "h.shop.evolve", 5);
    let after: Vec<Value> = w.payloads("h.shop.evolve").iter().map(|p| p["after"].clone()).collect();
    assert_eq!(after[1], json!({"id": 2, "a": 20}));
    assert_eq!(after[2], json!({"id": 3, "a": 30, "b": 300}));
    assert_eq!(after[3..], after[1..3], "the replay reads rows 2 and 3 as the first pass did");
    assert_eq!(w.task0("evolve").0, "RUNNING");
}

#[test]
fn recovery_rebuilds_a_schema_history_the_binlog_cannot() {
    let db = MariaDb::start();
    db.sql("CREATE TABLE shop.hidden (id INT PRIMARY KEY, a VARCHAR(10))");
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    w.create("hid", config(&db, "h", json!({"snapshot.mode": "no_data"})));
    w.wait_for("the task", WAIT, |w| w.task0("hid").0 == "RUNNING");
    db.sql("INSERT INTO shop.hidden VALUES (1, 'x')");
    w.wait_records("hid", "h.shop.hidden", 1);

    // DDL kept out of the binlog: the history, replayed from the binlog,
    // no longer matches the rows that follow it.
    w.stop("hid");
    db.sql(
        "SET SESSION sql_log_bin = 0; ALTER TABLE shop.hidden ADD COLUMN b INT NOT NULL DEFAULT 0; \
         SET SESSION sql_log_bin = 1; INSERT INTO shop.hidden VALUES (2, 'y', 5)",
    );
    w.resume("hid");
    w.wait_for("the task to fail on the mismatch", WAIT, |w| w.task0("hid").0 == "FAILED");
    let (_, trace) = w.task0("hid");
    assert!(trace.contains("snapshot.mode=recovery"), "the trace says what to do: {trace}");
    assert_eq!(w.topic_len("h.shop.hidden"), 1, "nothing is emitted from a mismatched row");

    // recovery: the history is rebuilt from the tables as they are, and
    // streaming goes on from the committed offset with no data snapshot.
    w.stop("hid");
    let (code, body) = w.put("/connectors/hid/config", Some(&config(&db, "h", json!({"snapshot.mode": "recovery"}))));
    assert_eq!(code, 200, "{body}");
    w.resume("hid");
    w.wait_records("hid", "h.shop.hidden", 2);
    db.sql("INSERT INTO shop.hidden VALUES (3, 'z', 6)");
    w.wait_records("hid", "h.shop.hidden", 3);
    let p = w.payloads("h.shop.hidden");
    let rows: Vec<(&Value, &Value)> = p.iter().map(|p| (&p["op"], &p["after"])).collect();
    assert_eq!(
        rows,
        vec![
            (&json!("c"), &json!({"id": 1, "a": "x"})),
            (&json!("c"), &json!({"id": 2, "a": "y", "b": 5})),
            (&json!("c"), &json!({"id": 3, "a": "z", "b": 6})),
        ],
        "each row once, read with the rebuilt definition, none re-read by a snapshot"
    );
    assert_eq!(w.task0("hid").0, "RUNNING");
    assert!(w.log().contains("Rebuilding the schema history"), "{}", w.log());
}

#[test]
fn tls_and_validation_report_problems_on_their_keys() {
    let db = MariaDb::start();
    db.sql("CREATE TABLE shop.t (id INT PRIMARY KEY); INSERT INTO shop.t VALUES (1)");
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    let validate = |cfg: &Value| {
        let (code, body) = w.put("/connector-plugins/MariaDbConnector/config/validate", Some(cfg));
        assert_eq!(code, 200, "{body}");
        body
    };
    let errors = |body: &Value, key: &str| -> Vec<String> {
        body["configs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["value"]["name"] == key)
            .map(|c| c["value"]["errors"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    let good = config(
        &db,
        "v",
        json!({"name": "tls", "database.ssl.mode": "verify_ca", "database.ssl.truststore": db.ca_pem}),
    );
    let body = validate(&good);
    assert_eq!(body["error_count"], 0, "{body}");

    let mut bad = good.clone();
    bad["database.password"] = json!("wrong");
    let body = validate(&bad);
    assert!(errors(&body, "database.password").iter().any(|e| e.contains("Access denied")), "{body}");

    let mut bad = good.clone();
    bad["database.port"] = json!(worker::free_port().to_string());
    let body = validate(&bad);
    assert!(errors(&body, "database.hostname").iter().any(|e| e.starts_with("Unable to connect")), "{body}");

    db.sql("CREATE USER 'plain'@'%' IDENTIFIED BY 'pw'; GRANT SELECT ON *.* TO 'plain'@'%'");
    let mut bad = good.clone();
    bad["database.user"] = json!("plain");
    bad["database.password"] = json!("pw");
    let body = validate(&bad);
    assert!(errors(&body, "database.user").iter().any(|e| e.contains("REPLICATION SLAVE")), "{body}");

    db.sql("SET GLOBAL binlog_format = 'STATEMENT'");
    let body = validate(&good);
    assert!(errors(&body, "database.hostname").iter().any(|e| e.contains("binlog_format=STATEMENT")), "{body}");
    db.sql("SET GLOBAL binlog_format = 'ROW'");

    // The connector runs over TLS with the CA checked.
    w.create("tls", good);
    w.wait_records("tls", "v.shop.t", 1);
    db.sql("INSERT INTO shop.t VALUES (2)");
    w.wait_records("tls", "v.shop.t", 2);
}

#[test]
fn transaction_metadata_heartbeats_and_schema_changes() {
    let db = MariaDb::start();
    db.sql("CREATE TABLE shop.a (id INT PRIMARY KEY); CREATE TABLE shop.b (id INT PRIMARY KEY)");
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    w.create("tx", config(&db, "tx", json!({"provide.transaction.metadata": "true", "heartbeat.interval.ms": "300"})));
    w.wait_for("the task", WAIT, |w| w.task0("tx").0 == "RUNNING");
    db.sql("BEGIN; INSERT INTO shop.a VALUES (1), (2); INSERT INTO shop.b VALUES (1); COMMIT");
    w.wait_records("tx", "tx.transaction", 2);
    let markers = w.payloads("tx.transaction");
    assert_eq!(markers[0]["status"], "BEGIN");
    let id = markers[0]["id"].as_str().unwrap().to_string();
    assert!(id.starts_with("0-1-"), "a MariaDB GTID names the transaction: {id}");
    assert_eq!(markers[1]["status"], "END");
    assert_eq!(markers[1]["id"], id.as_str());
    assert_eq!(markers[1]["event_count"], 3);
    assert_eq!(
        markers[1]["data_collections"],
        json!([{"data_collection": "shop.a", "event_count": 2}, {"data_collection": "shop.b", "event_count": 1}])
    );
    let a = w.payloads("tx.shop.a");
    assert_eq!(a[1]["transaction"], json!({"id": id, "total_order": 2, "data_collection_order": 2}));
    assert_eq!(a[1]["source"]["gtid"], id.as_str());
    assert_eq!(a[1]["source"]["row"], 1, "the second row of a two-row event");

    // Heartbeats while idle, carrying the offset past the transaction.
    w.wait_for("heartbeats", WAIT, |w| w.topic_len("__debezium-heartbeat.tx") >= 2);
    let beat = w.events("__debezium-heartbeat.tx").pop().unwrap();
    assert_eq!(beat.0.unwrap()["payload"], json!({"serverName": "tx"}));

    // DDL mid-stream: a schema change event with the statement and the
    // table's new definition; a rename is an ALTER of the new name.
    db.sql("ALTER TABLE shop.a ADD COLUMN note VARCHAR(20) DEFAULT 'n'");
    db.sql("RENAME TABLE shop.b TO shop.c");
    db.sql("DROP TABLE shop.c");
    w.wait_for("schema changes", WAIT, |w| {
        w.payloads("tx").iter().filter(|c| c["source"]["snapshot"] == "false").count() >= 3
    });
    let changes: Vec<Value> = w.payloads("tx").into_iter().filter(|c| c["source"]["snapshot"] == "false").collect();
    assert_eq!(changes[0]["ddl"], "ALTER TABLE shop.a ADD COLUMN note VARCHAR(20) DEFAULT 'n'");
    assert_eq!(changes[0]["tableChanges"][0]["type"], "ALTER");
    let columns = &changes[0]["tableChanges"][0]["table"]["columns"];
    assert_eq!(columns[1]["name"], "note");
    assert_eq!(columns[1]["typeName"], "VARCHAR");
    assert_eq!(columns[1]["length"], 20);
    assert_eq!(changes[1]["tableChanges"][0]["type"], "ALTER");
    assert_eq!(changes[1]["tableChanges"][0]["id"], "\"shop\".\"c\"");
    assert_eq!(changes[2]["tableChanges"][0]["type"], "DROP");
    db.sql("INSERT INTO shop.a VALUES (3, 'x')");
    w.wait_for("the row after the DDL", WAIT, |w| w.payloads("tx.shop.a").iter().any(|p| p["after"]["id"] == 3));
    let last = w.payloads("tx.shop.a").into_iter().find(|p| p["after"]["id"] == 3).unwrap();
    assert_eq!(last["after"], json!({"id": 3, "note": "x"}));
}

#[test]
fn an_empty_snapshot_completes_and_a_purged_binlog_takes_a_new_one() {
    let db = MariaDb::start();
    db.sql("CREATE TABLE shop.e (id INT PRIMARY KEY)");
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    w.create("e", config(&db, "e", json!({"snapshot.mode": "when_needed", "include.query": "true"})));
    // The snapshot reads no row: its schema change event carries the
    // completed offset, so a restart streams instead of snapshotting again.
    w.wait_for("the completed snapshot offset", WAIT, |w| {
        let o = w.offset("e");
        o["file"].is_string() && o.get("snapshot").is_none()
    });
    assert_eq!(w.topic_len("e"), 1, "one schema change event: {:?}", w.payloads("e"));
    let (code, _) = w.post_empty("/connectors/e/restart?includeTasks=true");
    assert_eq!(code, 202);
    w.wait_for("the restarted task", WAIT, |w| w.task0("e").0 == "RUNNING");
    db.sql("INSERT INTO shop.e VALUES (1)");
    w.wait_records("e", "e.shop.e", 1);
    assert_eq!(w.topic_len("e"), 1, "no second snapshot after the restart");
    let first = w.payloads("e.shop.e").remove(0);
    assert_eq!(first["op"], "c");
    // include.query: MariaDB's annotate-rows event gives the statement.
    assert_eq!(first["source"]["query"], "INSERT INTO shop.e VALUES (1)");

    // The binlog under the offset is purged while the connector is
    // stopped: when_needed takes a new snapshot.
    w.stop("e");
    db.sql("INSERT INTO shop.e VALUES (2)");
    db.sql("FLUSH BINARY LOGS");
    let current = db.sql("SHOW MASTER STATUS");
    let current = current.split('\t').next().unwrap();
    // The server keeps a file a replica's dump thread still reads; the
    // stopped connector's thread ends when the server notices.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        db.sql(&format!("PURGE BINARY LOGS TO '{current}'"));
        if db.sql("SHOW BINARY LOGS").lines().count() == 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the old binlog was never purged");
        std::thread::sleep(Duration::from_millis(200));
    }
    w.resume("e");
    w.wait_for("the new snapshot", WAIT, |w| w.payloads("e.shop.e").iter().filter(|p| p["op"] == "r").count() == 2);
    let reads: Vec<Value> =
        w.payloads("e.shop.e").iter().filter(|p| p["op"] == "r").map(|p| p["after"]["id"].clone()).collect();
    assert_eq!(reads, vec![json!(1), json!(2)]);
}

#[test]
fn an_offset_inside_a_multi_row_event_resumes_at_the_next_row() {
    let db = MariaDb::start();
    db.sql("CREATE TABLE shop.rows (id INT PRIMARY KEY)");
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    w.create("rows", config(&db, "r", json!({"snapshot.mode": "no_data"})));
    w.wait_for("the task", WAIT, |w| w.task0("rows").0 == "RUNNING");
    db.sql("INSERT INTO shop.rows SELECT seq FROM shop.seq_1_to_10");
    w.wait_records("rows", "r.shop.rows", 10);
    // After the event: the transaction's start, the events handled in it
    // (GTID, annotate, table map) and all 10 rows of the next event.
    w.wait_for("the offset after the event", WAIT, |w| w.offset("rows")["row"] == 10);
    let mut offset = w.offset("rows");
    assert!(offset["event"].as_u64().unwrap() >= 2, "{offset}");
    w.stop("rows");
    // As if only four rows had been emitted: the resume emits rows 5 to 10.
    offset["row"] = json!(4);
    w.alter_offset("rows", json!({"server": "r"}), offset);
    w.resume("rows");
    w.wait_records("rows", "r.shop.rows", 16);
    std::thread::sleep(Duration::from_secs(1));
    let ids: Vec<i64> = w.payloads("r.shop.rows").iter().map(|p| p["after"]["id"].as_i64().unwrap()).collect();
    assert_eq!(ids[10..], [5, 6, 7, 8, 9, 10], "{ids:?}");
    let rows: Vec<i64> = w.payloads("r.shop.rows")[10..].iter().map(|p| p["source"]["row"].as_i64().unwrap()).collect();
    assert_eq!(rows, vec![4, 5, 6, 7, 8, 9], "source.row is the row's index in the event");
}

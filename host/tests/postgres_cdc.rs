//! The PostgreSQL connector against a real PostgreSQL: snapshot, streaming,
//! event shapes, offsets, restarts, TLS, authentication and validation.
//! Each test starts its own server (support/postgres.rs) and worker.

#[path = "support/certs.rs"]
mod certs;
#[path = "support/postgres.rs"]
mod postgres;
#[path = "support/worker.rs"]
mod worker;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use postgres::Postgres;
use serde_json::{Value, json};
use worker::Worker;

const WAIT: Duration = Duration::from_secs(60);

fn config(pg: &Postgres, prefix: &str, slot: &str, extra: Value) -> Value {
    let mut c = json!({
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "database.hostname": "127.0.0.1", "database.port": pg.port.to_string(),
        "database.user": "postgres", "database.dbname": "postgres",
        "topic.prefix": prefix, "slot.name": slot, "database.sslmode": "disable",
    });
    for (k, v) in extra.as_object().cloned().unwrap_or_default() {
        c[k] = v;
    }
    c
}

fn worker(dir: &std::path::Path) -> Worker {
    Worker::start(dir, &[("offset.flush.interval.ms", "200")])
}

fn lsn(text: &str) -> u64 {
    let (hi, lo) = text.split_once('/').expect("an LSN");
    (u64::from_str_radix(hi, 16).unwrap() << 32) | u64::from_str_radix(lo, 16).unwrap()
}

/// The value schema Debezium 3.1.3 emits for `inventory.customers` (from the
/// captured event in the reference), with our field order check.
fn captured_customers_schema() -> Value {
    let row = |field: &str| {
        json!({"type":"struct","fields":[
            {"type":"int32","optional":false,"default":0,"field":"id"},
            {"type":"string","optional":false,"field":"first_name"},
            {"type":"string","optional":false,"field":"last_name"},
            {"type":"string","optional":false,"field":"email"}],
          "optional":true,"name":"dbserver1.inventory.customers.Value","field":field})
    };
    json!({"type":"struct","fields":[row("before"), row("after"),
        {"type":"struct","fields":[
            {"type":"string","optional":false,"field":"version"},
            {"type":"string","optional":false,"field":"connector"},
            {"type":"string","optional":false,"field":"name"},
            {"type":"int64","optional":false,"field":"ts_ms"},
            {"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},
            {"type":"string","optional":false,"field":"db"},
            {"type":"string","optional":true,"field":"sequence"},
            {"type":"int64","optional":true,"field":"ts_us"},
            {"type":"int64","optional":true,"field":"ts_ns"},
            {"type":"string","optional":false,"field":"schema"},
            {"type":"string","optional":false,"field":"table"},
            {"type":"int64","optional":true,"field":"txId"},
            {"type":"int64","optional":true,"field":"lsn"},
            {"type":"int64","optional":true,"field":"xmin"}],
          "optional":false,"name":"io.debezium.connector.postgresql.Source","version":1,"field":"source"},
        {"type":"struct","fields":[
            {"type":"string","optional":false,"field":"id"},
            {"type":"int64","optional":false,"field":"total_order"},
            {"type":"int64","optional":false,"field":"data_collection_order"}],
          "optional":true,"name":"event.block","version":1,"field":"transaction"},
        {"type":"string","optional":false,"field":"op"},
        {"type":"int64","optional":true,"field":"ts_ms"},
        {"type":"int64","optional":true,"field":"ts_us"},
        {"type":"int64","optional":true,"field":"ts_ns"}],
      "optional":false,"name":"dbserver1.inventory.customers.Envelope","version":2})
}

#[test]
fn snapshot_and_streaming_events_have_debeziums_shape() {
    let pg = Postgres::start();
    pg.sql(
        "CREATE SCHEMA inventory; \
         CREATE TABLE inventory.customers (id SERIAL PRIMARY KEY, first_name varchar(255) NOT NULL, \
           last_name varchar(255) NOT NULL, email varchar(255) NOT NULL); \
         ALTER TABLE inventory.customers REPLICA IDENTITY FULL; \
         INSERT INTO inventory.customers (first_name, last_name, email) VALUES \
           ('Sally','Thomas','sally@example.com'), ('George','Bailey','gb@example.com'), ('Edward','Walker','ed@example.com'); \
         CREATE TABLE inventory.orders (id int PRIMARY KEY, qty int); INSERT INTO inventory.orders VALUES (1, 5), (2, 7)",
    );
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    w.create("inv", config(&pg, "dbserver1", "shape_slot", json!({})));
    w.wait_records("inv", "dbserver1.inventory.customers", 3);
    w.wait_records("inv", "dbserver1.inventory.orders", 2);

    // Snapshot reads: op r, before null, markers first … last across tables.
    let customers = w.payloads("dbserver1.inventory.customers");
    let orders = w.payloads("dbserver1.inventory.orders");
    let markers: Vec<&str> =
        customers.iter().chain(orders.iter()).map(|p| p["source"]["snapshot"].as_str().unwrap()).collect();
    assert_eq!(markers, vec!["first", "true", "last_in_data_collection", "first_in_data_collection", "last"]);
    let first = &customers[0];
    assert_eq!(first["op"], "r");
    assert_eq!(first["before"], Value::Null);
    assert_eq!(
        first["after"],
        json!({"id": 1, "first_name": "Sally", "last_name": "Thomas", "email": "sally@example.com"})
    );
    assert_eq!(first["source"]["connector"], "postgresql");
    assert_eq!(first["source"]["version"], "3.1.3.Final");
    assert_eq!(first["source"]["name"], "dbserver1");
    assert_eq!(first["source"]["db"], "postgres");
    assert_eq!(first["source"]["schema"], "inventory");
    assert_eq!(first["source"]["table"], "customers");
    assert!(first["source"]["lsn"].is_u64(), "{first}");

    // A streamed update: the schema is byte for byte Debezium's.
    pg.sql("UPDATE inventory.customers SET email = 'sally2@example.com' WHERE id = 1");
    w.wait_records("inv", "dbserver1.inventory.customers", 4);
    let all = w.events("dbserver1.inventory.customers");
    let (key, value) = all[3].clone();
    let value = value.expect("a value");
    assert_eq!(value["schema"], captured_customers_schema());
    assert_eq!(
        serde_json::to_string(&value["schema"]).unwrap(),
        serde_json::to_string(&captured_customers_schema()).unwrap(),
        "field order matters"
    );
    let p = &value["payload"];
    let keys: Vec<&str> = p.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, vec!["before", "after", "source", "transaction", "op", "ts_ms", "ts_us", "ts_ns"]);
    assert_eq!(p["op"], "u");
    assert_eq!(p["before"]["email"], "sally@example.com");
    assert_eq!(p["after"]["email"], "sally2@example.com");
    assert_eq!(p["source"]["snapshot"], "false");
    assert_eq!(p["transaction"], Value::Null);
    assert_eq!(p["source"]["xmin"], Value::Null);
    let source_keys: Vec<&str> = p["source"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        source_keys,
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
            "schema",
            "table",
            "txId",
            "lsn",
            "xmin"
        ]
    );
    let sequence: Vec<Option<String>> = serde_json::from_str(p["source"]["sequence"].as_str().unwrap()).unwrap();
    assert_eq!(sequence[1].as_deref(), Some(p["source"]["lsn"].as_u64().unwrap().to_string().as_str()));
    assert_eq!(p["source"]["ts_us"].as_i64().unwrap() / 1000, p["source"]["ts_ms"].as_i64().unwrap());
    let key = key.expect("a key");
    assert_eq!(
        key,
        json!({"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"default":0,"field":"id"}],
                         "optional":false,"name":"dbserver1.inventory.customers.Key"},"payload":{"id":1}})
    );

    // Insert, then delete: c, then d with the old row and a tombstone.
    pg.sql("INSERT INTO inventory.customers (first_name, last_name, email) VALUES ('Anne','Kretchmar','annek@noanswer.org')");
    pg.sql("DELETE FROM inventory.customers WHERE id = 2");
    w.wait_records("inv", "dbserver1.inventory.customers", 7);
    let all = w.events("dbserver1.inventory.customers");
    let ops: Vec<Option<String>> =
        all.iter().map(|(_, v)| v.as_ref().map(|v| v["payload"]["op"].as_str().unwrap().to_string())).collect();
    assert_eq!(ops[4..], [Some("c".into()), Some("d".into()), None]);
    assert_eq!(all[5].1.as_ref().unwrap()["payload"]["before"]["first_name"], "George");
    assert_eq!(all[6].0.as_ref().unwrap()["payload"], json!({"id": 2}), "the tombstone keeps the key");

    // The offset has Debezium's keys and partition.
    w.wait_for("offsets", WAIT, |w| w.offset("inv")["messageType"] == "DELETE");
    let (_, o) = w.get("/connectors/inv/offsets");
    assert_eq!(o["offsets"][0]["partition"], json!({"server": "dbserver1"}));
    let offset = &o["offsets"][0]["offset"];
    for k in ["lsn", "lsn_proc", "lsn_commit", "txId", "ts_usec"] {
        assert!(offset[k].is_u64(), "offset key {k} in {offset}");
    }
}

#[test]
fn snapshot_hand_off_under_concurrent_writes_loses_and_doubles_nothing() {
    let pg = Postgres::start();
    pg.sql(
        "CREATE TABLE public.load (id int PRIMARY KEY, v int NOT NULL); \
            INSERT INTO public.load SELECT g, 0 FROM generate_series(1, 30000) g",
    );
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    // Commits one change at a time while the snapshot runs.
    let writer = pg.sql_in_background(
        "DO $$ BEGIN FOR i IN 1..400 LOOP \
           INSERT INTO public.load VALUES (30000 + i, i); \
           UPDATE public.load SET v = v + 1 WHERE id = i * 50; \
           DELETE FROM public.load WHERE id = i * 60 + 7; \
           COMMIT; PERFORM pg_sleep(0.005); END LOOP; END $$",
    );
    w.create("load", config(&pg, "ho", "handoff_slot", json!({"max.batch.size": "500"})));
    writer.join().expect("writer");
    let expected: BTreeMap<i64, i64> = pg
        .sql("SELECT id, v FROM public.load ORDER BY id")
        .lines()
        .map(|l| {
            let (id, v) = l.split_once('|').unwrap();
            (id.parse().unwrap(), v.parse().unwrap())
        })
        .collect();
    // Replay the events into a table and compare every row.
    let mut replayed: BTreeMap<i64, i64> = BTreeMap::new();
    w.wait_for("the replayed events to equal the table", Duration::from_secs(120), |w| {
        let (state, trace) = w.task0("load");
        assert_ne!(state, "FAILED", "{trace}");
        replayed.clear();
        let mut created: BTreeMap<i64, u32> = BTreeMap::new();
        for p in w.payloads("ho.public.load") {
            match p["op"].as_str().unwrap() {
                "r" | "c" => {
                    let id = p["after"]["id"].as_i64().unwrap();
                    *created.entry(id).or_default() += 1;
                    replayed.insert(id, p["after"]["v"].as_i64().unwrap());
                }
                "u" => {
                    replayed.insert(p["after"]["id"].as_i64().unwrap(), p["after"]["v"].as_i64().unwrap());
                }
                "d" => {
                    replayed.remove(&p["before"]["id"].as_i64().unwrap());
                }
                other => panic!("unexpected op {other}"),
            }
        }
        if let Some((id, n)) = created.iter().find(|(_, n)| **n > 1) {
            panic!("row {id} was read or created {n} times: the hand-off doubled it");
        }
        replayed == expected
    });
    assert_eq!(replayed.len(), expected.len());
}

#[test]
fn kill_9_and_a_database_restart_lose_no_change() {
    let pg = Postgres::start();
    pg.sql("CREATE TABLE public.ticks (id int PRIMARY KEY)");
    let dir = tempfile::tempdir().unwrap();
    let mut w = worker(&dir.path().join("w"));
    let port = w.port;
    w.create("ticks", config(&pg, "k9", "k9_slot", json!({})));
    w.wait_for("the task", WAIT, |w| w.task0("ticks").0 == "RUNNING");
    pg.sql("INSERT INTO public.ticks SELECT g FROM generate_series(1, 50) g");
    w.wait_records("ticks", "k9.public.ticks", 50);
    let writer = pg.sql_in_background(
        "DO $$ BEGIN FOR i IN 51..1050 LOOP INSERT INTO public.ticks VALUES (i); COMMIT; END LOOP; END $$",
    );
    w.wait_for("streaming to be under way", WAIT, |w| w.topic_len("k9.public.ticks") > 200);
    w.kill9();
    writer.join().expect("writer");
    let w = Worker::start_on(&dir.path().join("w"), port, &[("offset.flush.interval.ms", "200")]);
    w.wait_records("ticks", "k9.public.ticks", 1050);
    let ids: BTreeSet<i64> = w.payloads("k9.public.ticks").iter().map(|p| p["after"]["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, (1..=1050).collect::<BTreeSet<_>>(), "every insert is present after kill -9");

    // The database restarts under the connector: it reconnects and goes on.
    let before = w.topic_len("k9.public.ticks");
    pg.restart();
    pg.sql("INSERT INTO public.ticks VALUES (5000)");
    w.wait_records("ticks", "k9.public.ticks", before + 1);
    assert_eq!(w.task0("ticks").0, "RUNNING");
    let last = w.payloads("k9.public.ticks").last().cloned().unwrap();
    assert_eq!(last["after"]["id"], 5000);
}

/// A worker killed after its records were durable but before the slot
/// heard so replays the last transaction with every event skipped. The
/// slot must still move past it, or the database cannot shut down: its
/// walsender waits for the client to confirm the end of the WAL.
#[test]
fn a_restart_that_replays_only_durable_events_lets_the_database_shut_down() {
    let pg = Postgres::start();
    pg.sql("CREATE TABLE public.once (id int PRIMARY KEY)");
    let dir = tempfile::tempdir().unwrap();
    let mut w = worker(&dir.path().join("w"));
    let port = w.port;
    w.create("once", config(&pg, "once", "once_slot", json!({})));
    w.wait_for("the task", WAIT, |w| w.task0("once").0 == "RUNNING");
    pg.sql("INSERT INTO public.once VALUES (1)");
    w.wait_for("the offset", WAIT, |w| !w.offset("once").is_null());
    // Idle keepalives (every wal_sender_timeout / 2) would move the slot; this is well before one.
    w.kill9();
    let w = Worker::start_on(&dir.path().join("w"), port, &[("offset.flush.interval.ms", "200")]);
    w.wait_for("the task", WAIT, |w| w.task0("once").0 == "RUNNING");
    pg.restart();
    pg.sql("INSERT INTO public.once VALUES (2)");
    w.wait_records("once", "once.public.once", 2);
    let ids: Vec<i64> = w.payloads("once.public.once").iter().map(|p| p["after"]["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![1, 2], "nothing doubled by the replay, nothing lost");
}

#[test]
fn a_schema_change_mid_stream_changes_the_following_events() {
    let pg = Postgres::start();
    pg.sql("CREATE TABLE public.evolving (id int PRIMARY KEY, a text)");
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    w.create("ev", config(&pg, "ev", "ev_slot", json!({"value.converter.schemas.enable": "true"})));
    w.wait_for("the task", WAIT, |w| w.task0("ev").0 == "RUNNING");
    pg.sql("INSERT INTO public.evolving VALUES (1, 'x')");
    pg.sql("ALTER TABLE public.evolving ADD COLUMN b int NOT NULL DEFAULT 7");
    pg.sql("INSERT INTO public.evolving VALUES (2, 'y', 9)");
    pg.sql("ALTER TABLE public.evolving DROP COLUMN a");
    pg.sql("INSERT INTO public.evolving VALUES (3, 10)");
    w.wait_records("ev", "ev.public.evolving", 3);
    let all: Vec<Value> = w.events("ev.public.evolving").into_iter().filter_map(|(_, v)| v).collect();
    assert_eq!(all[0]["payload"]["after"], json!({"id": 1, "a": "x"}));
    assert_eq!(all[1]["payload"]["after"], json!({"id": 2, "a": "y", "b": 9}));
    assert_eq!(all[2]["payload"]["after"], json!({"id": 3, "b": 10}));
    let fields = |v: &Value| -> Vec<String> {
        v["schema"]["fields"][1]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(fields(&all[2]), vec!["id", "b"]);
    let b = &all[1]["schema"]["fields"][1]["fields"][2];
    assert_eq!(b["optional"], false);
    assert_eq!(b["default"], 7, "a literal column default becomes the schema default");
}

#[test]
fn replica_identity_toast_key_changes_and_tombstones() {
    let pg = Postgres::start();
    pg.sql("CREATE TABLE public.docs (id int PRIMARY KEY, title text NOT NULL, body text)");
    // An incompressible body larger than the TOAST threshold.
    pg.sql("INSERT INTO public.docs SELECT 1, 't', string_agg(md5(g::text), '') FROM generate_series(1, 200) g");
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    w.create("docs", config(&pg, "dx", "dx_slot", json!({"snapshot.mode": "no_data"})));
    w.wait_for("the task", WAIT, |w| w.task0("docs").0 == "RUNNING");
    pg.sql("UPDATE public.docs SET title = 'u' WHERE id = 1");
    pg.sql("UPDATE public.docs SET id = 2 WHERE id = 1");
    pg.sql("DELETE FROM public.docs WHERE id = 2");
    w.wait_records("docs", "dx.public.docs", 6);
    let all = w.events("dx.public.docs");
    let p = |i: usize| all[i].1.as_ref().map(|v| v["payload"].clone());
    // The unchanged TOASTed body is Debezium's placeholder; before is null under DEFAULT.
    let update = p(0).unwrap();
    assert_eq!(update["op"], "u");
    assert_eq!(update["before"], Value::Null);
    assert_eq!(update["after"]["body"], "__debezium_unavailable_value");
    // A key change is a delete (old key) + tombstone + create (new key), with key headers.
    assert_eq!(p(1).unwrap()["op"], "d");
    assert_eq!(all[1].0.as_ref().unwrap()["payload"], json!({"id": 1}));
    assert!(p(2).is_none(), "tombstone after the key change's delete");
    assert_eq!(p(3).unwrap()["op"], "c");
    let records = w.records("dx.public.docs");
    let header_keys = |i: usize| -> Vec<String> {
        records[i]["headers"].as_array().unwrap().iter().map(|h| h["key"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(header_keys(1), vec!["__debezium.newkey"]);
    assert_eq!(header_keys(3), vec!["__debezium.oldkey"]);
    // A delete under REPLICA IDENTITY DEFAULT: key columns, and the NOT NULL
    // fallback ("") for the others; then a tombstone.
    let delete = p(4).unwrap();
    assert_eq!(delete["op"], "d");
    assert_eq!(delete["before"], json!({"id": 2, "title": "", "body": null}));
    assert!(p(5).is_none());
}

#[test]
fn every_snapshot_mode_behaves_as_debeziums() {
    let pg = Postgres::start();
    pg.sql("CREATE TABLE public.modes (id int PRIMARY KEY); INSERT INTO public.modes VALUES (1), (2)");
    let dir = tempfile::tempdir().unwrap();
    let mut w = worker(&dir.path().join("w"));
    let port = w.port;
    let modes = ["initial", "initial_only", "no_data", "schema_only", "always", "when_needed", "never"];
    for mode in modes {
        let c = config(&pg, &format!("m_{mode}"), &format!("slot_{mode}"), json!({"snapshot.mode": mode}));
        w.create(&format!("c_{mode}"), c);
    }
    let topic = |mode: &str| format!("m_{mode}.public.modes");
    for mode in modes {
        w.wait_for(&format!("{mode} running"), WAIT, |w| w.task0(&format!("c_{mode}")).0 == "RUNNING");
    }
    for mode in ["initial", "initial_only", "always", "when_needed"] {
        w.wait_records(&format!("c_{mode}"), &topic(mode), 2);
    }
    // Give the no-snapshot modes time to (wrongly) read anything.
    std::thread::sleep(Duration::from_secs(2));
    pg.sql("INSERT INTO public.modes VALUES (3)");
    for mode in ["initial", "no_data", "schema_only", "always", "when_needed", "never"] {
        w.wait_for(&format!("{mode} streams the insert"), WAIT, |w| {
            w.payloads(&topic(mode)).iter().any(|p| p["op"] == "c" && p["after"]["id"] == 3)
        });
    }
    for mode in ["no_data", "schema_only", "never"] {
        let ops: Vec<Value> = w.payloads(&topic(mode)).iter().map(|p| p["op"].clone()).collect();
        assert_eq!(ops, vec![json!("c")], "{mode}: no snapshot, only the streamed insert");
    }
    std::thread::sleep(Duration::from_secs(1));
    let only: Vec<Value> = w.payloads(&topic("initial_only")).iter().map(|p| p["op"].clone()).collect();
    assert_eq!(only, vec![json!("r"), json!("r")], "initial_only stops after the snapshot");

    // Restart: `always` snapshots again, `initial` does not; `when_needed`
    // snapshots again when its slot is gone.
    w.terminate();
    pg.sql("SELECT pg_drop_replication_slot('slot_when_needed')");
    let w = Worker::start_on(&dir.path().join("w"), port, &[("offset.flush.interval.ms", "200")]);
    w.wait_records("c_always", &topic("always"), 3 + 3);
    w.wait_records("c_when_needed", &topic("when_needed"), 3 + 3);
    pg.sql("INSERT INTO public.modes VALUES (4)");
    w.wait_for("initial streams after the restart", WAIT, |w| {
        w.payloads(&topic("initial")).iter().any(|p| p["after"]["id"] == 4)
    });
    let reads = w.payloads(&topic("initial")).iter().filter(|p| p["op"] == "r").count();
    assert_eq!(reads, 2, "initial does not snapshot again when its snapshot completed");

    // An unknown mode is a validation error naming the allowed ones.
    let (code, body) = w.put(
        "/connector-plugins/io.debezium.connector.postgresql.PostgresConnector/config/validate",
        Some(&config(&pg, "v", "v_slot", json!({"snapshot.mode": "sometimes"}))),
    );
    assert_eq!(code, 200);
    let entry = body["configs"].as_array().unwrap().iter().find(|c| c["value"]["name"] == "snapshot.mode").unwrap();
    let errors = entry["value"]["errors"].to_string();
    assert!(errors.contains("The 'snapshot.mode' value is invalid: Value must be one of initial"), "{errors}");
}

#[test]
fn transaction_metadata_heartbeats_truncates_and_logical_messages() {
    let pg = Postgres::start();
    pg.sql(
        "CREATE TABLE public.a (id int PRIMARY KEY); CREATE TABLE public.b (id int PRIMARY KEY); \
         CREATE TABLE public.hb (id serial PRIMARY KEY)",
    );
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    let extra = json!({"provide.transaction.metadata": "true", "heartbeat.interval.ms": "300",
                       "heartbeat.action.query": "INSERT INTO public.hb DEFAULT VALUES",
                       "skipped.operations": "none", "value.converter.schemas.enable": "false",
                       "key.converter.schemas.enable": "false"});
    w.create("tx", config(&pg, "tx", "tx_slot", extra));
    w.wait_for("the task", WAIT, |w| w.task0("tx").0 == "RUNNING");
    pg.sql("BEGIN; INSERT INTO public.a VALUES (1); INSERT INTO public.b VALUES (1); INSERT INTO public.a VALUES (2); COMMIT");
    w.wait_records("tx", "tx.transaction", 2);
    let plain = |topic: &str| -> Vec<Value> { w.events(topic).into_iter().filter_map(|(_, v)| v).collect() };
    let tx = plain("tx.transaction");
    assert_eq!(tx[0]["status"], "BEGIN");
    assert_eq!(tx[1]["status"], "END");
    assert_eq!(tx[1]["event_count"], 3);
    assert_eq!(
        tx[1]["data_collections"],
        json!([{"data_collection": "public.a", "event_count": 2}, {"data_collection": "public.b", "event_count": 1}])
    );
    let xid = tx[0]["id"].as_str().unwrap().split(':').next().unwrap().to_string();
    let a = plain("tx.public.a");
    assert_eq!(a[1]["transaction"]["total_order"], 3);
    assert_eq!(a[1]["transaction"]["data_collection_order"], 2);
    assert!(a[1]["transaction"]["id"].as_str().unwrap().starts_with(&format!("{xid}:")));

    // Truncate (not skipped here): op t, no key, no before/after.
    pg.sql("TRUNCATE public.b");
    w.wait_for("the truncate", WAIT, |w| w.topic_len("tx.public.b") >= 2);
    let b = w.events("tx.public.b");
    assert_eq!(b[1].0, None);
    let t = b[1].1.clone().unwrap();
    assert_eq!((t["op"].clone(), t["before"].clone(), t["after"].clone()), (json!("t"), Value::Null, Value::Null));

    // A logical decoding message, transactional, to <prefix>.message.
    pg.sql("SELECT pg_logical_emit_message(true, 'audit', 'hello')");
    w.wait_for("the message", WAIT, |w| w.topic_len("tx.message") >= 1);
    let (key, value) = w.events("tx.message").remove(0);
    assert_eq!(key, Some(json!({"prefix": "audit"})));
    let value = value.unwrap();
    assert_eq!(value["op"], "m");
    assert_eq!(value["message"]["prefix"], "audit");
    assert_eq!(value["message"]["content"], "aGVsbG8=");

    // Heartbeats carry the server name to __debezium-heartbeat.<prefix>.
    w.wait_for("heartbeats", WAIT, |w| w.topic_len("__debezium-heartbeat.tx") >= 2);
    let (key, value) = w.events("__debezium-heartbeat.tx").remove(0);
    assert_eq!(key, Some(json!({"serverName": "tx"})));
    assert!(value.unwrap()["ts_ms"].is_i64());
    // heartbeat.action.query writes to a captured table, whose changes stream too.
    w.wait_for("the heartbeat table's changes", WAIT, |w| w.topic_len("tx.public.hb") >= 2);
    let inserted: u64 = pg.sql("SELECT count(*) FROM public.hb").trim().parse().unwrap();
    assert!(inserted >= 2, "{inserted} heartbeat rows");
}

#[test]
fn an_idle_slot_still_advances() {
    let pg = Postgres::start();
    pg.sql("CREATE TABLE public.captured (id int PRIMARY KEY); CREATE TABLE public.busy (id int)");
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    let extra = json!({"publication.autocreate.mode": "filtered", "table.include.list": "public.captured",
                       "publication.name": "idle_pub", "status.update.interval.ms": "200"});
    w.create("idle", config(&pg, "idle", "idle_slot", extra));
    w.wait_for("the task", WAIT, |w| w.task0("idle").0 == "RUNNING");
    let published = pg.sql("SELECT string_agg(tablename, ',') FROM pg_publication_tables WHERE pubname = 'idle_pub'");
    assert_eq!(published, "captured", "filtered publication lists the captured table only");
    pg.sql("INSERT INTO public.busy SELECT g FROM generate_series(1, 20000) g");
    let target = lsn(&pg.sql("SELECT pg_current_wal_lsn()"));
    w.wait_for("the slot to pass WAL written to an uncaptured table", WAIT, |_| {
        let confirmed = pg.sql("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'idle_slot'");
        lsn(&confirmed) >= target
    });
    assert_eq!(w.topic_len("idle.public.busy"), 0);
}

#[test]
fn tls_modes_and_certificate_checks() {
    let pg = Postgres::start_with_tls();
    pg.sql("CREATE TABLE public.s (id int PRIMARY KEY); INSERT INTO public.s VALUES (1)");
    let ca = pg.ca_pem.clone().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    for (name, mode, host) in
        [("full", "verify-full", "localhost"), ("ca", "verify-ca", "127.0.0.1"), ("req", "require", "127.0.0.1")]
    {
        let extra = json!({"database.sslmode": mode, "database.sslrootcert": ca, "database.hostname": host});
        w.create(name, config(&pg, name, &format!("tls_{name}"), extra));
        w.wait_records(name, &format!("{name}.public.s"), 1);
    }
    let ssl = pg.sql("SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE s.ssl AND a.application_name = 'weir'");
    assert!(ssl.parse::<u32>().unwrap() >= 3, "the connector's sessions use TLS ({ssl})");

    // A certificate from another CA is refused: the task fails, saying why.
    let other = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "k.pem",
            "-out",
            "c.pem",
            "-days",
            "1",
            "-subj",
            "/CN=other",
        ])
        .current_dir(other.path())
        .output()
        .expect("openssl");
    assert!(out.status.success());
    let wrong = std::fs::read_to_string(other.path().join("c.pem")).unwrap();
    let extra =
        json!({"database.sslmode": "verify-full", "database.sslrootcert": wrong, "database.hostname": "localhost"});
    // Creating validates first, so the connector is refused with the reason.
    let (code, body) = w.post("/connectors", &json!({"name": "bad", "config": config(&pg, "bad", "tls_bad", extra)}));
    assert_eq!(code, 400, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(message.contains("invalid peer certificate") && message.contains("database.sslrootcert"), "{message}");
}

#[test]
fn validation_connects_and_reports_problems_on_their_keys() {
    let pg = Postgres::start();
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    let validate = |mut c: Value| -> BTreeMap<String, String> {
        c["name"] = json!("v");
        let (code, body) =
            w.put("/connector-plugins/io.debezium.connector.postgresql.PostgresConnector/config/validate", Some(&c));
        assert_eq!(code, 200, "{body}");
        body["configs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| !c["value"]["errors"].as_array().unwrap().is_empty())
            .map(|c| (c["value"]["name"].as_str().unwrap().to_string(), c["value"]["errors"].to_string()))
            .collect()
    };

    // A server without logical decoding.
    let replica = Postgres::start_with_settings("-c wal_level=replica");
    let errors = validate(config(&replica, "v", "v", json!({})));
    assert!(errors["database.hostname"].contains("wal_level=replica"), "{errors:?}");
    drop(replica);

    pg.sql(
        "CREATE ROLE alice LOGIN PASSWORD 'wonder' REPLICATION; CREATE ROLE bob LOGIN PASSWORD 'builder'; \
            CREATE TABLE public.auth (id int PRIMARY KEY); INSERT INTO public.auth VALUES (1); \
            GRANT SELECT ON public.auth TO alice; CREATE PUBLICATION auth_pub FOR TABLE public.auth",
    );
    pg.require_password("scram-sha-256");
    let as_user = |user: &str, password: &str| {
        config(
            &pg,
            "a",
            "auth_slot",
            json!({"database.user": user, "database.password": password,
                                           "publication.name": "auth_pub", "publication.autocreate.mode": "disabled"}),
        )
    };
    let errors = validate(as_user("alice", "wonder"));
    assert!(errors.is_empty(), "SCRAM-SHA-256 login validates: {errors:?}");
    let errors = validate(as_user("alice", "wrong"));
    assert!(errors["database.password"].contains("password authentication failed"), "{errors:?}");
    let errors = validate(as_user("bob", "builder"));
    assert!(errors["database.user"].contains("REPLICATION"), "{errors:?}");
    let mut unreachable = as_user("alice", "wonder");
    unreachable["database.port"] = json!(worker::free_port().to_string());
    let errors = validate(unreachable);
    assert!(errors.contains_key("database.hostname"), "{errors:?}");
    let errors = validate(config(&pg, "v", "v", json!({"plugin.name": "decoderbufs"})));
    assert!(errors["plugin.name"].contains("pgoutput"), "{errors:?}");
    let errors = validate(config(&pg, "v", "v", json!({"database.dbname": "nope"})));
    assert!(errors.contains_key("database.dbname"), "{errors:?}");

    // The task streams as alice over SCRAM, then over md5.
    w.create("scram", as_user("alice", "wonder"));
    w.wait_records("scram", "a.public.auth", 1);
    pg.sql("SET password_encryption = 'md5'; ALTER ROLE alice PASSWORD 'wonder'");
    pg.require_password("md5");
    let mut md5 = as_user("alice", "wonder");
    md5["slot.name"] = json!("auth_md5");
    md5["topic.prefix"] = json!("m");
    w.create("md5", md5);
    w.wait_records("md5", "m.public.auth", 1);
}

#[test]
fn column_types_have_debeziums_schemas_and_values_in_snapshot_and_stream() {
    let pg = Postgres::start();
    pg.sql(
        "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy'); \
         CREATE TABLE public.types (id int PRIMARY KEY, i2 smallint, i8 bigint, r real, d double precision, \
           dnan double precision, n numeric(10,2), nv numeric, m money, b boolean, t text, vc varchar(10), \
           c char(3), by bytea, dt date, tm time, tm3 time(3), ts timestamp, ts3 timestamp(3), tstz timestamptz, \
           iv interval, u uuid, j json, jb jsonb, x xml, e mood, ai int[], at text[], ip inet, cidr cidr, \
           mac macaddr, bt bit(1), bv bit varying(8), pt point)",
    );
    let row = "1, 9007199254740993, 1.5, 0.1, 'NaN', 1.50, 3.14159, 1234.11, true, 'héllo \"q\"', 'v', 'ab', \
               '\\x01ff', '2016-11-04', '13:51:30', '13:51:30.123', '2018-06-20 15:13:16.945104', \
               '2016-11-04 13:51:30.124', '2016-11-04 13:51:30.123456+02', '1 day 02:00:00', \
               'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"k\": [1, 2]}', '{\"k\": 1}', '<a>x</a>', 'happy', \
               '{1,2,NULL}', '{\"a b\",c}', '192.168.0.1', '10.0.0.0/8', '08:00:2b:01:02:03', B'1', B'101', '(1.5,2)'";
    pg.sql(&format!("INSERT INTO public.types VALUES (1, {row})"));
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    w.create("types", config(&pg, "ty", "types_slot", json!({})));
    w.wait_records("types", "ty.public.types", 1);
    pg.sql(&format!("INSERT INTO public.types VALUES (2, {row})"));
    w.wait_records("types", "ty.public.types", 2);
    let all: Vec<Value> = w.events("ty.public.types").into_iter().filter_map(|(_, v)| v).collect();
    let (snap, stream) = (&all[0]["payload"]["after"], &all[1]["payload"]["after"]);
    let mut snap_rest = snap.clone();
    snap_rest["id"] = json!(2);
    assert_eq!(&snap_rest, stream, "the snapshot and the stream convert alike");
    assert_eq!(all[0]["schema"], all[1]["schema"]);

    let field = |name: &str| -> Value {
        all[1]["schema"]["fields"][1]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["field"] == name)
            .cloned()
            .unwrap()
    };
    let expect = |name: &str, ty: &str, semantic: Option<&str>, value: Value| {
        let f = field(name);
        assert_eq!(f["type"], ty, "{name}: {f}");
        assert_eq!(f["name"].as_str(), semantic, "{name}: {f}");
        assert_eq!(stream[name], value, "{name}");
    };
    expect("i2", "int16", None, json!(1));
    expect("i8", "int64", None, json!(9007199254740993_i64));
    expect("r", "float", None, json!(1.5));
    expect("d", "double", None, json!(0.1));
    expect("n", "bytes", Some("org.apache.kafka.connect.data.Decimal"), json!("AJY="));
    assert_eq!(field("n")["parameters"], json!({"scale": "2", "connect.decimal.precision": "10"}));
    expect("nv", "struct", Some("io.debezium.data.VariableScaleDecimal"), json!({"scale": 5, "value": "BMsv"}));
    expect("m", "bytes", Some("org.apache.kafka.connect.data.Decimal"), json!("AeIT"));
    expect("b", "boolean", None, json!(true));
    expect("t", "string", None, json!("héllo \"q\""));
    expect("c", "string", None, json!("ab "));
    expect("by", "bytes", None, json!("Af8="));
    expect("dt", "int32", Some("io.debezium.time.Date"), json!(17109));
    expect("tm", "int64", Some("io.debezium.time.MicroTime"), json!(49_890_000_000_i64));
    expect("tm3", "int32", Some("io.debezium.time.Time"), json!(49_890_123));
    expect("ts", "int64", Some("io.debezium.time.MicroTimestamp"), json!(1_529_507_596_945_104_i64));
    expect("ts3", "int64", Some("io.debezium.time.Timestamp"), json!(1_478_267_490_124_i64));
    expect("tstz", "string", Some("io.debezium.time.ZonedTimestamp"), json!("2016-11-04T11:51:30.123456Z"));
    expect("iv", "int64", Some("io.debezium.time.MicroDuration"), json!(93_600_000_000_i64));
    expect("u", "string", Some("io.debezium.data.Uuid"), json!("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));
    expect("j", "string", Some("io.debezium.data.Json"), json!("{\"k\": [1, 2]}"));
    expect("jb", "string", Some("io.debezium.data.Json"), json!("{\"k\": 1}"));
    expect("x", "string", Some("io.debezium.data.Xml"), json!("<a>x</a>"));
    expect("e", "string", Some("io.debezium.data.Enum"), json!("happy"));
    assert_eq!(field("e")["parameters"], json!({"allowed": "sad,ok,happy"}));
    expect("ai", "array", None, json!([1, 2, null]));
    expect("at", "array", None, json!(["a b", "c"]));
    expect("ip", "string", None, json!("192.168.0.1"));
    expect("mac", "string", None, json!("08:00:2b:01:02:03"));
    expect("bt", "boolean", None, json!(true));
    expect("bv", "bytes", Some("io.debezium.data.Bits"), json!("BQ=="));
    let pt = field("pt");
    assert_eq!(pt["name"], "io.debezium.data.geometry.Point");
    assert_eq!((stream["pt"]["x"].clone(), stream["pt"]["y"].clone()), (json!(1.5), json!(2.0)));
    assert!(stream["dnan"].is_string() || stream["dnan"].is_null() || stream["dnan"].is_f64(), "{}", stream["dnan"]);
}

#[test]
fn offsets_altered_through_rest_are_honoured_and_hstore_converts() {
    let pg = Postgres::start();
    pg.sql("CREATE EXTENSION hstore; CREATE TABLE public.jump (id int PRIMARY KEY, h hstore)");
    let dir = tempfile::tempdir().unwrap();
    let w = worker(dir.path());
    w.create("jump", config(&pg, "j", "jump_slot", json!({"snapshot.mode": "no_data"})));
    w.wait_for("the task", WAIT, |w| w.task0("jump").0 == "RUNNING");
    pg.sql("INSERT INTO public.jump VALUES (1, 'a=>1, b=>NULL')");
    w.wait_records("jump", "j.public.jump", 1);
    let first = w.payloads("j.public.jump").remove(0);
    let h: Value = serde_json::from_str(first["after"]["h"].as_str().expect("hstore as JSON text")).unwrap();
    assert_eq!(h, json!({"a": "1", "b": null}));

    // Stopped, moved past two inserts, resumed: only the later insert comes.
    w.stop("jump");
    pg.sql("INSERT INTO public.jump VALUES (2, NULL); INSERT INTO public.jump VALUES (3, NULL)");
    let past = lsn(&pg.sql("SELECT pg_current_wal_lsn()"));
    pg.sql("INSERT INTO public.jump VALUES (4, NULL)");
    w.alter_offset("jump", json!({"server": "j"}), json!({"lsn": past, "lsn_proc": past, "lsn_commit": past}));
    w.resume("jump");
    w.wait_records("jump", "j.public.jump", 2);
    std::thread::sleep(Duration::from_secs(1));
    let ids: Vec<Value> = w.payloads("j.public.jump").iter().map(|p| p["after"]["id"].clone()).collect();
    assert_eq!(ids, vec![json!(1), json!(4)], "inserts before the altered offset are skipped");
}

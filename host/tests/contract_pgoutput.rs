//! The contract's proof: a real `pgoutput` change from PostgreSQL travels
//! through a wasm guest (speaking the replication protocol over the host's
//! connection interface) into the embedded log, and the committed offset
//! flows back so the slot's confirmed LSN advances.

#[path = "support/certs.rs"]
mod certs;
#[path = "support/postgres.rs"]
mod postgres;
#[path = "support/worker.rs"]
mod worker;

use std::time::Duration;

use serde_json::json;
use worker::{Worker, plugin_dir};

fn lsn_to_u64(lsn: &str) -> u64 {
    let (hi, lo) = lsn.split_once('/').expect("an LSN like 0/16B3748");
    (u64::from_str_radix(hi, 16).unwrap() << 32) | u64::from_str_radix(lo, 16).unwrap()
}

#[test]
fn one_pgoutput_insert_streams_through_the_contract() {
    let pg = postgres::Postgres::start();
    pg.sql("CREATE TABLE public.items (id int PRIMARY KEY, name text)");
    pg.sql("CREATE PUBLICATION weir_pub FOR TABLE public.items");
    pg.sql("SELECT pg_create_logical_replication_slot('weir_slot', 'pgoutput')");
    pg.sql("INSERT INTO public.items VALUES (1, 'hello ''weir''')");

    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &["pgproof"]);
    let w = Worker::start(&dir.path().join("w"), &[("plugin.path", plugins.to_str().unwrap())]);
    w.create(
        "pg",
        json!({"connector.class": "weir.test.PgProofConnector", "database.hostname": "127.0.0.1",
               "database.port": pg.port.to_string(), "database.user": "postgres", "database.dbname": "postgres",
               "topic.prefix": "proof", "slot.name": "weir_slot", "publication.name": "weir_pub"}),
    );
    w.wait_for("the change in the embedded log", Duration::from_secs(60), |w| {
        let (state, trace) = w.task0("pg");
        assert_ne!(state, "FAILED", "the proof task failed: {trace}");
        w.topic_len("proof.public.items") >= 1
    });
    let records = w.records("proof.public.items");
    assert_eq!(records.len(), 1);
    let value: serde_json::Value = serde_json::from_str(records[0]["value"].as_str().unwrap()).unwrap();
    assert_eq!(value["payload"], json!({"id": "1", "name": "hello 'weir'"}));
    assert_eq!(value["schema"]["name"], "proof.public.items.Value");

    // The offset is committed and the slot's confirmed LSN moves to it.
    let (_, offsets) = w.get("/connectors/pg/offsets");
    assert_eq!(offsets["offsets"][0]["partition"], json!({"server": "proof"}));
    let committed = offsets["offsets"][0]["offset"]["lsn"].as_u64().expect("an lsn offset");
    w.wait_for("the slot to confirm the committed LSN", Duration::from_secs(30), |_| {
        let confirmed = pg.sql("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'weir_slot'");
        lsn_to_u64(&confirmed) >= committed
    });

    // A second change arrives while streaming.
    pg.sql("INSERT INTO public.items VALUES (2, NULL)");
    w.wait_for("the second change", Duration::from_secs(30), |w| w.topic_len("proof.public.items") >= 2);
    let second: serde_json::Value =
        serde_json::from_str(w.records("proof.public.items")[1]["value"].as_str().unwrap()).unwrap();
    assert_eq!(second["payload"], json!({"id": "2", "name": null}));
}

#[test]
fn the_connection_upgrades_to_tls_in_place_and_checks_the_certificate() {
    let pg = postgres::Postgres::start_with_tls();
    pg.sql("CREATE TABLE public.secrets (id int PRIMARY KEY, name text)");
    pg.sql("CREATE PUBLICATION tls_pub FOR TABLE public.secrets");
    pg.sql("SELECT pg_create_logical_replication_slot('tls_slot', 'pgoutput')");
    pg.sql("SELECT pg_create_logical_replication_slot('bad_slot', 'pgoutput')");
    pg.sql("INSERT INTO public.secrets VALUES (7, 'over tls')");

    let dir = tempfile::tempdir().unwrap();
    let plugins = plugin_dir(dir.path(), &["pgproof"]);
    let w = Worker::start(&dir.path().join("w"), &[("plugin.path", plugins.to_str().unwrap())]);
    let config = |slot: &str, ca: &str| {
        json!({"connector.class": "weir.test.PgProofConnector", "database.hostname": "localhost",
               "database.port": pg.port.to_string(), "database.user": "postgres", "database.dbname": "postgres",
               "topic.prefix": slot, "slot.name": slot, "publication.name": "tls_pub",
               "database.sslmode": "verify-full", "database.sslrootcert.pem": ca})
    };
    w.create("tls", config("tls_slot", pg.ca_pem.as_deref().unwrap()));
    w.wait_for("the change over TLS", Duration::from_secs(60), |w| {
        let (state, trace) = w.task0("tls");
        assert_ne!(state, "FAILED", "the TLS task failed: {trace}");
        w.topic_len("tls_slot.public.secrets") >= 1
    });
    let value: serde_json::Value =
        serde_json::from_str(w.records("tls_slot.public.secrets")[0]["value"].as_str().unwrap()).unwrap();
    assert_eq!(value["payload"], json!({"id": "7", "name": "over tls"}));
    // The replication connection really is encrypted.
    let ssl = pg
        .sql("SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.backend_type = 'walsender'");
    assert_eq!(ssl, "t", "the walsender connection should use TLS");

    // A certificate the configured roots did not sign is refused.
    w.create("untrusted", config("bad_slot", ""));
    w.wait_for("the untrusted connection to fail", Duration::from_secs(60), |w| w.task0("untrusted").0 == "FAILED");
    let trace = w.task0("untrusted").1;
    assert!(trace.contains("TLS with postgres failed"), "{trace}");
}

//! `cargo bench -p weir --bench mariadb`
//!
//! The MariaDB connector against the physical limits measured in the same
//! run on the same data (`value.converter.schemas.enable=false`, embedded log):
//! - streaming: events/s through Weir vs `mariadb-binlog
//!   --read-from-remote-server --verbose --base64-output=DECODE-ROWS`
//!   fetching and decoding the same binlog to /dev/null;
//! - decode only: the same stream with records dropped after conversion
//!   (`weir.delivery.discard=true`);
//! - snapshot: rows/s vs `mariadb --quick -e 'SELECT …'` to /dev/null, three
//!   runs of each taken in turn and their medians compared;
//! - each limit is the median of three runs (see support/limit.rs);
//! - the worker's peak RSS while streaming one connector.

#[path = "../tests/support/certs.rs"]
mod certs;
#[path = "support/limit.rs"]
mod limit;
#[path = "../tests/support/mariadb.rs"]
mod mariadb;
#[path = "support/snapshot.rs"]
mod snapshot;
#[path = "../tests/support/worker.rs"]
mod worker;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use limit::Limit;
use mariadb::MariaDb;
use serde_json::json;
use worker::Worker;

const ROWS: u64 = 1_000_000;

fn connector(db: &MariaDb, prefix: &str, mode: &str, file: &str, pos: u64) -> (serde_json::Value, serde_json::Value) {
    let config = json!({"connector.class": "MariaDbConnector", "database.hostname": "127.0.0.1",
           "database.port": db.port.to_string(), "database.user": mariadb::USER,
           "database.password": mariadb::PASSWORD, "database.server.id": "6400",
           "database.ssl.mode": "disabled", "database.include.list": "shop",
           "topic.prefix": prefix, "snapshot.mode": mode, "include.schema.changes": "false",
           "value.converter.schemas.enable": "false", "key.converter.schemas.enable": "false"});
    let offset = json!({"offsets": [{"partition": {"server": prefix}, "offset": {"file": file, "pos": pos}}]});
    (config, offset)
}

/// Creates a connector stopped, points its offset at `file:pos`, resumes it.
fn start_at(w: &Worker, name: &str, config: serde_json::Value, offset: &serde_json::Value) {
    let body = json!({"name": name, "config": config, "initial_state": "STOPPED"});
    let (code, reply) = w.post("/connectors", &body);
    assert_eq!(code, 201, "{reply}");
    let (code, reply) = w.patch(&format!("/connectors/{name}/offsets"), offset);
    assert_eq!(code, 200, "{reply}");
    let (code, _) = w.put(&format!("/connectors/{name}/resume"), None);
    assert_eq!(code, 202);
}

fn main() {
    let db = MariaDb::start();
    db.sql(
        "CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, customer VARCHAR(64) NOT NULL, amount DECIMAL(10,2), \
         created DATETIME NOT NULL, shipped BOOLEAN)",
    );
    let status = db.sql("SHOW MASTER STATUS");
    let mut fields = status.split('\t');
    let file = fields.next().expect("binlog file").to_string();
    let start: u64 = fields.next().and_then(|p| p.parse().ok()).expect("binlog position");
    let dir = tempfile::tempdir().expect("temp dir");
    // A first start compiles the embedded components into the cache; the
    // measured worker starts warm, as a worker does after its first run.
    let mut warm = Worker::start(&dir.path().join("w"), &[]);
    warm.terminate();

    db.block(&format!(
        "FOR b IN 0..{} DO INSERT INTO shop.orders SELECT b * 1000 + seq, CONCAT('customer ', b * 1000 + seq), \
         ((b * 1000 + seq) % 10000) / 100.0, '2024-01-01 00:00:00' + INTERVAL (b * 1000 + seq) SECOND, seq % 2 = 0 \
         FROM shop.seq_1_to_1000; END FOR;",
        ROWS / 1000 - 1
    ));
    // A one-row sentinel transaction marks the end: the decode-only run is
    // done when its offset reaches the sentinel's position.
    let status = db.sql("SHOW MASTER STATUS");
    let sentinel: u64 = status.split('\t').nth(1).and_then(|p| p.parse().ok()).expect("binlog position");
    db.sql(&format!("INSERT INTO shop.orders VALUES ({}, 'sentinel', 0, '2024-01-01', 0)", ROWS + 1));
    let events = ROWS + 1;

    // mariadb-binlog: the same binlog fetched from the server and decoded.
    let binlog = Limit::measure(|| {
        let t = Instant::now();
        let ok = Command::new(db.tool("mariadb-binlog"))
            .args(["--no-defaults", "--read-from-remote-server", "--verbose", "--base64-output=DECODE-ROWS"])
            .args(["-h", "127.0.0.1", "-P", &db.port.to_string(), "-u", mariadb::USER])
            .arg(format!("-p{}", mariadb::PASSWORD))
            .arg(format!("--start-position={start}"))
            .arg(&file)
            .stdout(Stdio::null())
            .status()
            .expect("mariadb-binlog")
            .success();
        assert!(ok, "mariadb-binlog failed");
        t.elapsed()
    });
    let binlog_rate = binlog.rate(events);

    // Weir streaming into the embedded log, from the same position.
    let w = Worker::start(&dir.path().join("w"), &[]);
    let (config, offset) = connector(&db, "bench", "never", &file, start);
    let t = Instant::now();
    start_at(&w, "stream", config, &offset);
    w.wait_for("every event in the log", Duration::from_secs(600), |w| w.topic_len("bench.shop.orders") >= events);
    let weir = t.elapsed();
    let weir_rate = events as f64 / weir.as_secs_f64();
    let rss = w.peak_rss_mib();
    drop(w);

    // Decode only: the same events converted and dropped.
    let w = Worker::start(&dir.path().join("d"), &[("weir.delivery.discard", "true")]);
    let (config, offset) = connector(&db, "decode", "never", &file, start);
    let t = Instant::now();
    start_at(&w, "decode", config, &offset);
    w.wait_for("every event decoded", Duration::from_secs(600), |w| {
        let (_, o) = w.get("/connectors/decode/offsets");
        o["offsets"][0]["offset"]["pos"].as_u64() == Some(sentinel)
    });
    let decode = t.elapsed();
    let decode_rate = events as f64 / decode.as_secs_f64();
    drop(w);

    // Snapshot vs SELECT --quick: three runs of each, taken in turn.
    let select_once = || {
        let t = Instant::now();
        let ok = Command::new(db.tool("mariadb"))
            .args(["--no-defaults", "--quick", "-h", "127.0.0.1", "-P", &db.port.to_string(), "-u", mariadb::USER])
            .arg(format!("-p{}", mariadb::PASSWORD))
            .args(["-e", "SELECT * FROM shop.orders"])
            .stdout(Stdio::null())
            .status()
            .expect("mariadb")
            .success();
        assert!(ok, "mariadb --quick failed");
        t.elapsed()
    };
    // From the connector's creation to the last row in the log.
    let snapshot_once = |run: usize| {
        snapshot::timed(&dir.path().join(format!("snap{run}")), events, |w| {
            let name = format!("snap{run}");
            w.create(&name, connector(&db, &name, "initial_only", &file, start).0);
            format!("{name}.shop.orders")
        })
    };
    let (select, snap) = Limit::interleaved(select_once, snapshot_once);
    let select_rate = select.rate(events);
    let snap_rate = snap.rate(events);
    let (snap_lo, snap_hi) = snap.range(events);

    println!("mariadb connector, {ROWS} rows (5 columns), schemas.enable=false, embedded log");
    let (lo, hi) = binlog.range(events);
    println!("  mariadb-binlog (remote, DECODE-ROWS):  {binlog_rate:>10.0} events/s  (median of 3: {lo:.0}–{hi:.0})");
    println!(
        "  Weir streaming → embedded log:         {weir_rate:>10.0} events/s  ratio {:.2} (target ≥ 0.15)",
        weir_rate / binlog_rate
    );
    println!(
        "  Weir decode only (records dropped):    {decode_rate:>10.0} events/s  ratio {:.2}",
        decode_rate / binlog_rate
    );
    let (lo, hi) = select.range(events);
    println!("  mariadb --quick -e 'SELECT …':         {select_rate:>10.0} rows/s    (median of 3: {lo:.0}–{hi:.0})");
    println!(
        "  Weir snapshot → embedded log:          {snap_rate:>10.0} rows/s    ratio {:.2} (target ≥ 0.15; \
         median of 3: {snap_lo:.0}–{snap_hi:.0})",
        snap_rate / select_rate
    );
    println!("  worker peak RSS while streaming:       {rss:>10.1} MiB (target < 64 MB)");
}

//! `cargo bench -p weir --bench postgres`
//!
//! The PostgreSQL connector against the physical limits measured in the same
//! run on the same data (`value.converter.schemas.enable=false`, embedded log):
//! - streaming: events/s through Weir vs `pg_recvlogical` (pgoutput) reading
//!   the same WAL from its own slot to /dev/null;
//! - decode only: the same stream with records dropped after conversion
//!   (`weir.delivery.discard=true`), separating the connector from the log;
//! - snapshot: rows/s vs `COPY (SELECT …) TO STDOUT` to /dev/null, three runs
//!   of each taken in turn and their medians compared;
//! - each limit is the median of three runs (see support/limit.rs);
//! - the worker's peak RSS while streaming one connector.

#[path = "../tests/support/certs.rs"]
mod certs;
#[path = "support/limit.rs"]
mod limit;
#[path = "../tests/support/postgres.rs"]
mod postgres;
#[path = "support/snapshot.rs"]
mod snapshot;
#[path = "../tests/support/worker.rs"]
mod worker;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use limit::Limit;
use postgres::Postgres;
use serde_json::json;
use worker::Worker;

const ROWS: u64 = 1_000_000;

fn lsn(text: &str) -> u64 {
    let (hi, lo) = text.trim().split_once('/').expect("an LSN");
    (u64::from_str_radix(hi, 16).unwrap() << 32) | u64::from_str_radix(lo, 16).unwrap()
}

fn connector(pg: &Postgres, prefix: &str, slot: &str, mode: &str) -> serde_json::Value {
    json!({"connector.class": "PostgresConnector", "database.hostname": "127.0.0.1",
           "database.port": pg.port.to_string(), "database.user": "postgres", "database.dbname": "postgres",
           "topic.prefix": prefix, "slot.name": slot, "snapshot.mode": mode, "database.sslmode": "disable",
           "publication.name": "bench_pub", "publication.autocreate.mode": "disabled",
           "value.converter.schemas.enable": "false", "key.converter.schemas.enable": "false"})
}

fn main() {
    let pg = Postgres::start();
    pg.sql(
        "CREATE TABLE public.orders (id bigint PRIMARY KEY, customer text NOT NULL, amount numeric(10,2), \
         created timestamptz NOT NULL, shipped boolean); CREATE PUBLICATION bench_pub FOR TABLE public.orders",
    );
    let dir = tempfile::tempdir().expect("temp dir");
    // A first start compiles the embedded components into the cache; the
    // measured worker starts warm, as a worker does after its first run.
    let mut warm = Worker::start(&dir.path().join("w"), &[]);
    warm.terminate();

    // Slots at the same point: three for pg_recvlogical's runs, two for Weir.
    for slot in ["recv_slot_0", "recv_slot_1", "recv_slot_2", "weir_slot", "decode_slot"] {
        pg.sql(&format!("SELECT pg_create_logical_replication_slot('{slot}', 'pgoutput')"));
    }
    pg.sql(&format!(
        "DO $$ BEGIN FOR b IN 0..{} LOOP INSERT INTO public.orders SELECT g, 'customer ' || g, (g % 10000) / 100.0, \
         '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 second', g % 2 = 0 \
         FROM generate_series(b * 1000 + 1, b * 1000 + 1000) g; COMMIT; END LOOP; END $$",
        ROWS / 1000 - 1
    ));
    let end = lsn(&pg.sql("SELECT pg_current_wal_lsn()"));
    let last_xid: u64 =
        pg.sql(&format!("SELECT xmin::text FROM public.orders WHERE id = {ROWS}")).parse().expect("xid");

    // pg_recvlogical: the same WAL, decoded by the server, written nowhere.
    let mut slots = ["recv_slot_0", "recv_slot_1", "recv_slot_2"].into_iter();
    let recv = Limit::measure(|| {
        let slot = slots.next().expect("a slot per run");
        let t = Instant::now();
        let status = Command::new(pg.tool("pg_recvlogical"))
            .args(["-h", "127.0.0.1", "-p", &pg.port.to_string(), "-U", "postgres", "-d", "postgres"])
            .args(["--slot", slot, "--start", "-o", "proto_version=1", "-o", "publication_names=bench_pub"])
            .args(["--endpos", &format!("{:X}/{:X}", end >> 32, end & 0xFFFF_FFFF), "-f", "/dev/null", "--no-loop"])
            .stdout(Stdio::null())
            .status()
            .expect("pg_recvlogical");
        assert!(status.success(), "pg_recvlogical failed");
        t.elapsed()
    });
    let recv_rate = recv.rate(ROWS);

    // Weir streaming into the embedded log.
    let w = Worker::start(&dir.path().join("w"), &[]);
    let t = Instant::now();
    w.create("stream", connector(&pg, "bench", "weir_slot", "no_data"));
    w.wait_for("every event in the log", Duration::from_secs(600), |w| w.topic_len("bench.public.orders") >= ROWS);
    let weir = t.elapsed();
    let weir_rate = ROWS as f64 / weir.as_secs_f64();
    let rss = w.peak_rss_mib();
    drop(w);

    // Decode only: the same events converted and dropped.
    let w = Worker::start(&dir.path().join("d"), &[("weir.delivery.discard", "true")]);
    let t = Instant::now();
    w.create("decode", connector(&pg, "decode", "decode_slot", "no_data"));
    w.wait_for("every event decoded", Duration::from_secs(600), |w| {
        let (_, o) = w.get("/connectors/decode/offsets");
        let offset = &o["offsets"][0]["offset"];
        offset["txId"].as_u64() == Some(last_xid) && offset["tx_event"].as_u64() == Some(1000)
    });
    let decode = t.elapsed();
    let decode_rate = ROWS as f64 / decode.as_secs_f64();
    drop(w);

    // Snapshot vs COPY: three runs of each, taken in turn, medians compared.
    let copy_once = || {
        let t = Instant::now();
        let status = Command::new(pg.tool("psql"))
            .args(["-h", "127.0.0.1", "-p", &pg.port.to_string(), "-U", "postgres", "-d", "postgres", "-c"])
            .arg("COPY (SELECT * FROM public.orders) TO STDOUT")
            .stdout(Stdio::null())
            .status()
            .expect("psql");
        assert!(status.success());
        t.elapsed()
    };
    // From the connector's creation (a new slot and its exported snapshot)
    // to the last row in the log.
    let snapshot_once = |run: usize| {
        snapshot::timed(&dir.path().join(format!("snap{run}")), ROWS, |w| {
            let name = format!("snap{run}");
            w.create(&name, connector(&pg, &name, &format!("snap_slot_{run}"), "initial_only"));
            format!("{name}.public.orders")
        })
    };
    let (copy, snap) = Limit::interleaved(copy_once, snapshot_once);
    let copy_rate = copy.rate(ROWS);
    let snap_rate = snap.rate(ROWS);
    let (snap_lo, snap_hi) = snap.range(ROWS);

    println!("postgres connector, {ROWS} rows (5 columns), schemas.enable=false, embedded log");
    let (lo, hi) = recv.range(ROWS);
    println!("  pg_recvlogical (pgoutput → /dev/null): {recv_rate:>10.0} events/s  (median of 3: {lo:.0}–{hi:.0})");
    println!(
        "  Weir streaming → embedded log:         {weir_rate:>10.0} events/s  ratio {:.2} (target ≥ 0.70)",
        weir_rate / recv_rate
    );
    println!(
        "  Weir decode only (records dropped):    {decode_rate:>10.0} events/s  ratio {:.2}",
        decode_rate / recv_rate
    );
    let (lo, hi) = copy.range(ROWS);
    println!("  COPY (SELECT …) TO STDOUT:             {copy_rate:>10.0} rows/s    (median of 3: {lo:.0}–{hi:.0})");
    println!(
        "  Weir snapshot → embedded log:          {snap_rate:>10.0} rows/s    ratio {:.2} (target ≥ 0.25; \
         median of 3: {snap_lo:.0}–{snap_hi:.0})",
        snap_rate / copy_rate
    );
    println!("  worker peak RSS while streaming:       {rss:>10.1} MiB (target < 64 MB)");
}

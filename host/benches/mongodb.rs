//! `cargo bench -p weir --bench mongodb` (needs pymongo; `scripts/setup --tests`)
//!
//! The MongoDB connector streaming from the wire-protocol test server
//! (`tests/mongo-server`, in this process) into the embedded log, with
//! `schemas.enable=false`: events/s, the worker's CPU per event and its peak
//! RSS, against pymongo — a real driver — reading the same change stream
//! from the same position in the same run. The server is the stand-in, not
//! MongoDB, so the absolute rates say little about a real deployment; the
//! ratio and the CPU per event are what to watch.

#[path = "../tests/support/worker.rs"]
mod worker;

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::json;
use weir_mongo_server::bson::doc;
use weir_mongo_server::{MongoServer, ServerConfig, User};
use worker::Worker;

const EVENTS: u64 = 50_000;

fn python(script: &str, args: &[&str]) -> String {
    let out =
        Command::new("python3").arg("-c").arg(script).args(args).output().expect("python3 (apt-get install python3)");
    assert!(out.status.success(), "python failed (pip install pymongo): {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn main() {
    let server = MongoServer::start(
        ServerConfig::default().user(User::new("weir", "secret")).change_log_capacity(EVENTS as usize * 2),
    )
    .expect("test server");
    server.insert("shop", "orders", vec![doc! {"_id": -1_i64}]).expect("seed");
    let uri = server.uri_with_credentials("weir", "secret");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut warm = Worker::start(&dir.path().join("w"), &[]);
    warm.terminate();
    let w = Worker::start(&dir.path().join("w"), &[]);
    let pid = w.pid().expect("worker pid");
    w.create(
        "m",
        json!({"connector.class": "MongoDbConnector", "mongodb.connection.string": uri, "topic.prefix": "b",
               "snapshot.mode": "no_data", "value.converter.schemas.enable": "false",
               "key.converter.schemas.enable": "false"}),
    );
    w.wait_for("the task", Duration::from_secs(60), |w| w.task0("m").0 == "RUNNING");
    std::thread::sleep(Duration::from_secs(2));
    let (code, _) = w.put("/connectors/m/pause", None);
    assert_eq!(code, 202);
    w.wait_for("paused", Duration::from_secs(30), |w| w.task0("m").0 == "PAUSED");

    // pymongo's starting point: a change stream opened now.
    let token = python(
        "import sys, pymongo\nfrom bson import json_util\nc = pymongo.MongoClient(sys.argv[1])\n\
         with c.watch() as cs:\n    cs.try_next()\n    print(json_util.dumps(cs.resume_token))",
        &[&uri],
    );
    for batch in 0..EVENTS / 1000 {
        let docs = (0..1000)
            .map(|i| {
                let id = (batch * 1000 + i) as i64;
                doc! {"_id": id, "customer": format!("customer {id}"), "qty": id % 100, "price": id as f64 / 7.0,
                "tags": ["a", "b"], "address": {"city": "Lyon", "zip": "69001"}}
            })
            .collect();
        server.insert("shop", "orders", docs).expect("insert");
    }

    // pymongo reading the same events from before the inserts.
    let driver_secs: f64 = python(
        "import sys, time, pymongo\nfrom bson import json_util\nc = pymongo.MongoClient(sys.argv[1])\n\
         tok = json_util.loads(sys.argv[2]); n = int(sys.argv[3]); t = time.time()\n\
         with c.watch(resume_after=tok) as cs:\n    for _ in range(n):\n        next(cs)\nprint(time.time() - t)",
        &[&uri, &token, &EVENTS.to_string()],
    )
    .parse()
    .expect("seconds");
    let driver_rate = EVENTS as f64 / driver_secs;

    // Weir draining the same events into the embedded log.
    let cpu0 = worker::cpu_seconds(&pid.to_string());
    let t = Instant::now();
    let (code, _) = w.put("/connectors/m/resume", None);
    assert_eq!(code, 202);
    w.wait_for("every event in the log", Duration::from_secs(600), |w| w.topic_len("b.shop.orders") >= EVENTS);
    let weir_secs = t.elapsed().as_secs_f64();
    let cpu = worker::cpu_seconds(&pid.to_string()) - cpu0;
    let weir_rate = EVENTS as f64 / weir_secs;

    println!("mongodb connector, {EVENTS} inserts (6 fields, nested), schemas.enable=false, embedded log, test server");
    println!("  pymongo reading the change stream:  {driver_rate:>9.0} events/s");
    println!("  Weir streaming → embedded log:      {weir_rate:>9.0} events/s  ratio {:.2}", weir_rate / driver_rate);
    println!("  worker CPU per event:               {:>9.1} µs", cpu * 1e6 / EVENTS as f64);
    println!("  worker peak RSS:                    {:>9.1} MiB (target < 64 MB)", w.peak_rss_mib());
}

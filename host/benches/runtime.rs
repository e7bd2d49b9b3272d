//! `cargo bench -p weir --bench runtime`
//!
//! 1. Component start: first compile vs load from the compile cache vs
//!    instantiate (each `load` includes one instantiate + `describe`).
//! 2. Records across the boundary: the datagen task's `poll` (max.interval
//!    0) returning batches of small records, converted into the host's
//!    record model, against the same generator running natively (the limit).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use weir::record::OutputFormat;
use weir::runtime::{EMBEDDED, Grants, HostServices, Limits, Runtime};
// The datagen generator itself, compiled natively: the limit the wasm path is
// measured against.
#[allow(dead_code)]
#[path = "../../plugins/datagen/src/quickstart.rs"]
mod quickstart;
use quickstart::Quickstart;

fn cpu_time() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage fills the struct we own.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init()
    };
    let user = Duration::new(usage.ru_utime.tv_sec as u64, usage.ru_utime.tv_usec as u32 * 1000);
    let sys = Duration::new(usage.ru_stime.tv_sec as u64, usage.ru_stime.tv_usec as u32 * 1000);
    user + sys
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let (_, datagen) = EMBEDDED[0];
    let cache = tempfile::tempdir().expect("temp dir");
    let limits = Limits { memory_bytes: 256 << 20, cpu_per_call: Duration::from_secs(10) };

    // 1. Component start.
    let rt = Runtime::new(Some(cache.path().to_path_buf())).expect("engine");
    let t = Instant::now();
    rt.load("bench:datagen", datagen).expect("compile");
    let compile = t.elapsed();
    let rt = Runtime::new(Some(cache.path().to_path_buf())).expect("engine");
    let t = Instant::now();
    let plugin = rt.load("bench:datagen", datagen).expect("cached load");
    let cached = t.elapsed();
    assert_eq!(rt.stats.cache_hits.load(std::sync::atomic::Ordering::Relaxed), 1, "the second load must hit the cache");
    const N: u32 = 200;
    let t = Instant::now();
    for _ in 0..N {
        let instance = rt
            .instantiate(&plugin, Arc::new(Grants::default()), limits, HostServices::detached("bench"))
            .expect("instantiate");
        drop(instance);
    }
    let instantiate = t.elapsed() / N;
    println!("component start (datagen, {} KiB)", datagen.len() / 1024);
    println!("  first compile + describe   {:>9.2} ms", ms(compile));
    println!(
        "  cached load + describe     {:>9.2} ms   ({:.1}x faster than compiling)",
        ms(cached),
        ms(compile) / ms(cached)
    );
    println!("  instantiate                {:>9.3} ms   (target: < 5 ms)", ms(instantiate));

    // 2. Records across the boundary.
    let class = "io.confluent.kafka.connect.datagen.DatagenConnector";
    // The value written by JsonConverter (schemas.enable=false) in the
    // guest, as the delivery bench's connector has it, and typed.
    let json = OutputFormat {
        key: None,
        value: Some(weir_json::connect::JsonConverter { schemas_enable: false, numeric_decimals: false }),
    };
    let cases = [
        ("users", Quickstart::Users, OutputFormat::default()),
        ("orders", Quickstart::Orders, OutputFormat::default()),
        ("orders", Quickstart::Orders, json),
    ];
    for (quickstart, q, format) in cases {
        let mut instance = rt
            .instantiate(&plugin, Arc::new(Grants::default()), limits, HostServices::detached("bench"))
            .expect("instantiate");
        let config: BTreeMap<String, String> =
            [("kafka.topic", "bench"), ("quickstart", quickstart), ("max.interval", "0"), ("iterations", "-1")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let task = instance.open_task(class, 0, &config, format).expect("call").expect("open");
        let run_for = Duration::from_secs(3);
        let (cpu0, t) = (cpu_time(), Instant::now());
        let mut records = 0usize;
        while t.elapsed() < run_for {
            records += instance.poll(task, 500).expect("call").expect("poll").into_records().expect("records").len();
        }
        let (wall, cpu) = (t.elapsed(), cpu_time() - cpu0);
        let wasm_rate = records as f64 / wall.as_secs_f64();

        let t = Instant::now();
        let mut native = 0u64;
        let (topic, partition) = (Arc::from("bench"), Arc::from("{\"task.id\":0}"));
        while t.elapsed() < Duration::from_secs(1) {
            for _ in 0..1000 {
                let r = q.record(&topic, 0, native, &partition, format!("{{\"current.iteration\":{}}}", native + 1));
                std::hint::black_box(r);
                native += 1;
            }
        }
        let native_rate = native as f64 / t.elapsed().as_secs_f64();
        let encoding = if format.value.is_some() { "value as JSON" } else { "typed" };
        println!("records across the boundary (quickstart {quickstart}, {encoding}, batches of up to 1000)");
        println!(
            "  wasm poll -> host records  {:>12.0} records/s   ({:.2} us CPU per record)",
            wasm_rate,
            cpu.as_secs_f64() * 1e6 / records as f64
        );
        println!("  native generation (limit)  {:>12.0} records/s", native_rate);
        println!(
            "  ratio                      {:>12.2}   (target: >= 500k records/s on one core)",
            wasm_rate / native_rate
        );
    }
    println!("peak RSS {:.1} MiB", peak_rss_mib());
}

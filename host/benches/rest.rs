//! `cargo bench -p weir --bench rest` (needs `wrk`: `apt-get install wrk`)
//!
//! 1. Start-up: the `weir` binary restarted over a data directory holding 50
//!    connectors, timed to its first REST answer (connectors are restored
//!    before it serves) and to all 50 tasks RUNNING.
//! 2. `GET /connectors/{c}/status` under load from `wrk` (a separate
//!    process), against `GET /health` on the same server as the limit of
//!    the HTTP stack itself.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CONNECTORS: usize = 50;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

fn start(dir: &std::path::Path, port: u16) -> Child {
    let props = dir.join("worker.properties");
    std::fs::write(
        &props,
        format!("listeners=http://127.0.0.1:{port}\nweir.data.dir={}\n", dir.join("data").display()),
    )
    .expect("writing worker.properties");
    Command::new(env!("CARGO_BIN_EXE_weir"))
        .arg(&props)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting weir")
}

fn wait_answer(agent: &ureq::Agent, url: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while agent.get(url).call().is_err() {
        assert!(Instant::now() < deadline, "weir did not answer");
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn stop(mut child: Child) {
    // SAFETY: signalling our own child.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let _ = child.wait();
}

/// (requests/s, p99 latency in ms) from wrk's output.
fn wrk(url: &str) -> Option<(f64, f64)> {
    let out = Command::new("wrk").args(["-t1", "-c16", "-d8s", "--latency", url]).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let rps = text.lines().find_map(|l| l.strip_prefix("Requests/sec:")).and_then(|v| v.trim().parse().ok())?;
    let p99 = text.lines().find_map(|l| l.trim().strip_prefix("99%")).map(|v| v.trim().to_string())?;
    let ms = if let Some(us) = p99.strip_suffix("us") {
        us.parse::<f64>().ok()? / 1000.0
    } else if let Some(ms) = p99.strip_suffix("ms") {
        ms.parse::<f64>().ok()?
    } else {
        p99.strip_suffix('s')?.parse::<f64>().ok()? * 1000.0
    };
    Some((rps, ms))
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let agent = agent();
    let base = format!("http://127.0.0.1:{port}");

    let child = start(dir.path(), port);
    wait_answer(&agent, &format!("{base}/"));
    for i in 0..CONNECTORS {
        let body = format!(
            r#"{{"name":"c{i}","config":{{"connector.class":"DatagenConnector","kafka.topic":"t{i}","max.interval":"1000"}}}}"#
        );
        let resp = agent
            .post(&format!("{base}/connectors"))
            .header("Content-Type", "application/json")
            .send(body)
            .expect("create");
        assert_eq!(resp.status().as_u16(), 201);
    }
    stop(child);

    let t = Instant::now();
    let child = start(dir.path(), port);
    wait_answer(&agent, &format!("{base}/"));
    let first_answer = t.elapsed();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mut resp = agent.get(&format!("{base}/connectors?expand=status")).call().expect("list");
        let text = resp.body_mut().read_to_string().expect("body");
        if text.matches("\"RUNNING\"").count() >= 2 * CONNECTORS {
            break;
        }
        assert!(Instant::now() < deadline, "connectors did not all start");
        std::thread::sleep(Duration::from_millis(5));
    }
    let all_running = t.elapsed();
    println!("start-up with {CONNECTORS} connectors resumed");
    println!("  to the first REST answer   {:>8.1} ms   (target: < 1000 ms)", first_answer.as_secs_f64() * 1000.0);
    println!("  to all tasks RUNNING       {:>8.1} ms", all_running.as_secs_f64() * 1000.0);

    match (wrk(&format!("{base}/connectors/c7/status")), wrk(&format!("{base}/health"))) {
        (Some((status_rps, status_p99)), Some((health_rps, health_p99))) => {
            println!("GET /connectors/c7/status under wrk (1 thread, 16 connections, 8 s; 2 cores shared with wrk)");
            println!(
                "  status                     {status_rps:>10.0} req/s   p99 {status_p99:.2} ms   (target: >= 20000 req/s, p99 < 5 ms)"
            );
            println!("  /health (HTTP stack limit) {health_rps:>10.0} req/s   p99 {health_p99:.2} ms");
            println!("  ratio                      {:>10.2}", status_rps / health_rps);
        }
        _ => println!("wrk is not installed (apt-get install wrk): skipping the load test"),
    }
    stop(child);
}

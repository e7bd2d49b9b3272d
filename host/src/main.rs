//! `weir [worker.properties]`: runs the worker.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use weir::api::{self, AppState};
use weir::config::WorkerConfig;
use weir::runtime::Runtime;
use weir::store::{RedbStore, StateStore};
use weir::supervisor::Supervisor;
fn main() -> anyhow::Result<()> {
    weir::telemetry::init();

    let mut args = std::env::args().skip(1);
    let config = match args.next() {
        Some(arg) if arg == "--help" || arg == "-h" => {
            println!(
                "usage: weir [worker.properties]\n       weir topics list|tail ...\n\n\
                 With no file, serves on 127.0.0.1:8083 with state under ./weir-data."
            );
            return Ok(());
        }
        Some(arg) if arg == "topics" => {
            let rest: Vec<String> = args.collect();
            return weir::cli::topics(&rest).map_err(|e| anyhow::anyhow!("{e}"));
        }
        Some(path) => WorkerConfig::load(&PathBuf::from(&path)).with_context(|| format!("loading {path}"))?,
        None => WorkerConfig::default(),
    };
    for key in &config.ignored_keys {
        tracing::warn!(key, "worker config key is not used by weir; ignoring it");
    }
    match &config.bootstrap_servers {
        Some(servers) => tracing::info!(bootstrap.servers = %servers, "delivering to Kafka"),
        None => tracing::info!("no bootstrap.servers: delivering to the embedded log"),
    }

    std::fs::create_dir_all(&config.data_dir).with_context(|| format!("creating {}", config.data_dir.display()))?;
    if let Some(parent) = config.state_file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let store: Arc<dyn StateStore> = Arc::new(
        RedbStore::open_with_cache(&config.state_file, config.store_cache_bytes as usize)
            .with_context(|| format!("opening {}", config.state_file.display()))?,
    );
    let mut runtime =
        Runtime::new(Some(config.data_dir.join("compile-cache"))).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    runtime.load_all(&config.plugin_path);
    let runtime = Arc::new(runtime);

    let cluster_id = match &config.bootstrap_servers {
        None => store.cluster_id()?,
        Some(servers) => {
            let asked = weir::sink::admin_settings(&config.props)
                .map_err(weir::sink::SinkError::from)
                .and_then(|admin| weir::sink::cluster_id(&admin, Duration::from_secs(10)));
            match asked {
                Ok(id) => id,
                Err(e) => {
                    // Tasks wait for the cluster; the REST API should not.
                    tracing::warn!(bootstrap = %servers, error = %e, "cannot reach the Kafka cluster yet; reporting the local cluster id");
                    store.cluster_id()?
                }
            }
        }
    };
    spawn_retention(store.clone(), &config);
    let supervisor = Arc::new(Supervisor::new(runtime, store, config.clone()));
    supervisor.restore()?;

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
        tracing::info!(listen = %config.listen, data = %config.data_dir.display(), "weir is serving the Kafka Connect REST API");
        let app = api::router(AppState { supervisor: supervisor.clone(), cluster_id });
        axum::serve(listener, app).with_graceful_shutdown(shutdown_signal()).await.context("serving REST")
    })?;

    tracing::info!("stopping tasks");
    supervisor.shutdown(Duration::from_secs(10));
    tracing::info!("stopped cleanly");
    Ok(())
}

/// Trims the embedded log in the background, per `weir.log.retention.*`.
fn spawn_retention(store: Arc<dyn StateStore>, config: &WorkerConfig) {
    let (bytes, age) = (config.log_retention_bytes, config.log_retention_ms);
    let every = Duration::from_millis(config.log_retention_check_ms);
    let spawned = std::thread::Builder::new().name("weir-retention".into()).spawn(move || {
        loop {
            std::thread::sleep(every);
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
            match store.enforce_retention(bytes, age, now) {
                Ok(0) => {}
                Ok(n) => tracing::debug!(deleted = n, "embedded log retention"),
                Err(e) => tracing::warn!(error = %weir::runtime::DisplayChain(&e), "embedded log retention failed"),
            }
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cannot start the retention thread; the embedded log will not be trimmed");
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

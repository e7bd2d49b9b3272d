//! The Kafka Connect REST API.
//!
//! Paths, status codes and bodies follow Kafka Connect 3.9. Errors use its
//! body, `{"error_code": N, "message": "..."}`; where Kafka Connect answers
//! bad input with a 500 (malformed JSON, unknown fields, wrong types), Weir
//! answers 400 and names the problem.

mod connectors;
mod error;
mod json;
mod lifecycle;
mod log;
mod loggers;
mod plugins;
mod root;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post, put};

pub use self::error::ApiError;
use crate::supervisor::Supervisor;

/// Shared state of the handlers.
#[derive(Clone)]
pub struct AppState {
    /// The supervisor.
    pub supervisor: Arc<Supervisor>,
    /// Reported by `GET /`.
    pub cluster_id: String,
}

/// The REST API's router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(root::server_info))
        .route("/health", get(root::health))
        .route("/connectors", get(connectors::list_connectors).post(connectors::create_connector))
        .route("/connectors/{name}", get(connectors::read_connector).delete(connectors::delete_connector))
        .route(
            "/connectors/{name}/config",
            get(connectors::read_connector_config)
                .put(lifecycle::put_connector_config)
                .patch(lifecycle::patch_connector_config),
        )
        .route("/connectors/{name}/status", get(connectors::read_connector_status))
        .route("/connectors/{name}/restart", post(lifecycle::restart_connector))
        .route("/connectors/{name}/pause", put(lifecycle::pause_connector))
        .route("/connectors/{name}/resume", put(lifecycle::resume_connector))
        .route("/connectors/{name}/stop", put(lifecycle::stop_connector))
        .route("/connectors/{name}/tasks", get(lifecycle::list_tasks))
        .route("/connectors/{name}/tasks-config", get(lifecycle::read_tasks_config))
        .route("/connectors/{name}/tasks/{task}/status", get(lifecycle::read_task_status))
        .route("/connectors/{name}/tasks/{task}/restart", post(lifecycle::restart_task))
        .route("/connectors/{name}/topics", get(lifecycle::read_topics))
        .route("/connectors/{name}/topics/reset", put(lifecycle::reset_topics))
        .route(
            "/connectors/{name}/offsets",
            get(connectors::read_connector_offsets).patch(lifecycle::alter_offsets).delete(lifecycle::reset_offsets),
        )
        .route("/connector-plugins", get(plugins::list_connector_plugins))
        .route("/connector-plugins/{plugin}/config", get(plugins::read_plugin_config))
        .route("/connector-plugins/{plugin}/config/validate", put(plugins::validate_plugin_config))
        .route("/admin/loggers", get(loggers::list_loggers))
        .route("/admin/loggers/{name}", get(loggers::read_logger).put(loggers::set_logger))
        .route("/weir/topics", get(log::list_topics))
        .route("/weir/topics/{topic}/records", get(log::read_records))
        .layer(axum::extract::DefaultBodyLimit::max(json::MAX_BODY_BYTES))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .with_state(state)
}

/// Runs blocking supervisor work off the async runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::Internal(format!("worker thread failed: {e}")))?
}

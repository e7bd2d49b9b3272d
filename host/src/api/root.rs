//! `GET /` and `GET /health`.

use axum::Json;
use axum::extract::State;

use super::AppState;

/// The Kafka Connect version whose REST surface Weir serves.
pub const CONNECT_VERSION: &str = "3.9.0";

/// `GET /`: version, commit and cluster id.
pub async fn server_info(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "version": CONNECT_VERSION,
        "commit": commit_id(),
        "kafka_cluster_id": state.cluster_id,
    }))
}

/// A 16-hex-character id of this build, in the shape Kafka Connect reports.
fn commit_id() -> String {
    let version = concat!("weir-", env!("CARGO_PKG_VERSION"));
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in version.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// `GET /health`: the worker answers only once started.
pub async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "status": "healthy",
        "message": "Worker has completed startup and is ready to handle requests.",
    }))
}

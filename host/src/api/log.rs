//! The embedded log over HTTP (Weir's own paths, under `/weir`): what a
//! person or a test reads when no Kafka is configured.

use axum::Json;
use axum::extract::{Path, RawQuery, State};

use super::connectors::query_values;
use super::{ApiError, AppState, blocking};
use crate::store::StoreError;

fn store_err(e: StoreError) -> ApiError {
    tracing::error!(error = %crate::runtime::DisplayChain(&e), "reading the embedded log failed");
    ApiError::Internal("The worker's state store failed; see the worker log".into())
}

/// Bytes as a UTF-8 string when they are one, else `{"base64": ...}`.
fn bytes_json(bytes: Option<&[u8]>) -> serde_json::Value {
    match bytes {
        None => serde_json::Value::Null,
        Some(b) => match std::str::from_utf8(b) {
            Ok(s) => s.into(),
            Err(_) => serde_json::json!({ "base64": crate::convert::base64(b) }),
        },
    }
}

/// `GET /weir/topics`: each topic of the embedded log with its record count
/// and the offsets retention has left (`start_offset` .. `end_offset`).
pub async fn list_topics(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let store = state.supervisor.store().clone();
    blocking(move || {
        let mut out = serde_json::Map::new();
        for topic in store.log_topics().map_err(store_err)? {
            let (start, end) = store.log_bounds(&topic).map_err(store_err)?;
            out.insert(topic, serde_json::json!({ "records": end - start, "start_offset": start, "end_offset": end }));
        }
        Ok(Json(serde_json::Value::Object(out)))
    })
    .await
}

/// `GET /weir/topics/{topic}/records?offset=N&limit=M`: up to M records
/// (default 100, at most 10 000) from log offset N.
pub async fn read_records(
    State(state): State<AppState>,
    Path(topic): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    let number = |key: &str, default: u64| -> Result<u64, ApiError> {
        match query_values(query.as_deref(), key).and_then(|v| v.into_iter().next()) {
            None => Ok(default),
            Some(v) => {
                v.parse().map_err(|_| ApiError::BadRequest(format!("{key} must be a non-negative integer, not {v:?}")))
            }
        }
    };
    let from = number("offset", 0)?;
    let max = number("limit", 100)?.min(10_000) as usize;
    let store = state.supervisor.store().clone();
    blocking(move || {
        let records = store.log_read(&topic, from, max).map_err(store_err)?;
        let items: Vec<serde_json::Value> = records
            .into_iter()
            .map(|(position, r)| {
                serde_json::json!({
                    "offset": position,
                    "partition": r.partition,
                    "timestamp": r.timestamp,
                    "key": bytes_json(r.key.as_deref()),
                    "value": bytes_json(r.value.as_deref()),
                    "headers": r.headers.iter().map(|(k, v)| serde_json::json!({ "key": k, "value": bytes_json(v.as_deref()) })).collect::<Vec<_>>(),
                })
            })
            .collect();
        Ok(Json(serde_json::Value::Array(items)))
    })
    .await
}

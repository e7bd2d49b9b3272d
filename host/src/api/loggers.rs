//! `/admin/loggers`: the running worker's log levels.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::connectors::query_values;
use super::json::ApiJson;
use super::{ApiError, AppState};
use crate::telemetry::{self, LoggerLevel};

fn level_json(level: &LoggerLevel) -> serde_json::Value {
    serde_json::json!({ "level": level.level, "last_modified": level.last_modified })
}

/// `GET /admin/loggers`: loggers with an explicit level, sorted.
pub async fn list_loggers() -> Json<serde_json::Value> {
    let map = telemetry::list().into_iter().map(|(name, level)| (name, level_json(&level))).collect();
    Json(serde_json::Value::Object(map))
}

/// `GET /admin/loggers/{name}`: the logger's effective level.
pub async fn read_logger(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let runtime = state.supervisor.runtime().clone();
    let known = |logger: &str| {
        runtime.plugins().iter().flat_map(|p| p.connectors.iter()).any(|d| {
            d.class_name == logger || d.class_name.strip_prefix(logger).is_some_and(|rest| rest.starts_with('.'))
        })
    };
    telemetry::get(&name, known)
        .map(|l| Json(level_json(&l)))
        .ok_or_else(|| ApiError::NotFound(format!("Logger {name} not found.")))
}

/// Body of `PUT /admin/loggers/{name}`; other keys are ignored, as in Kafka Connect.
#[derive(serde::Deserialize)]
pub struct SetLevel {
    level: Option<String>,
}

/// `PUT /admin/loggers/{name}[?scope=worker|cluster]`.
pub async fn set_logger(
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    ApiJson(body): ApiJson<SetLevel>,
) -> Result<Response, ApiError> {
    let Some(level) = body.level else {
        return Err(ApiError::BadRequest("Desired 'level' parameter was not specified in request.".into()));
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
    let affected = telemetry::set(&name, &level, now).map_err(|e| ApiError::NotFound(e.to_string()))?;
    let cluster = query_values(query.as_deref(), "scope")
        .and_then(|v| v.into_iter().next())
        .is_some_and(|s| s.eq_ignore_ascii_case("cluster"));
    // One worker is the whole cluster: `cluster` applies here and answers 204.
    Ok(if cluster { StatusCode::NO_CONTENT.into_response() } else { Json(serde_json::json!(affected)).into_response() })
}

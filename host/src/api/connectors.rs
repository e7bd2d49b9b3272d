//! `/connectors` and `/connectors/{name}/...`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::json::{ApiJson, config_map};
use super::{ApiError, AppState, blocking};
use crate::store::TargetState;
use crate::supervisor::{ConnectorInfo, ConnectorStatus};
use crate::task::Status;

/// Body of `POST /connectors`. Unknown fields are refused with a 400.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateConnectorRequest {
    name: Option<String>,
    config: Option<serde_json::Value>,
    initial_state: Option<String>,
}

/// Values of a query parameter, repeated or not (`?expand=status&expand=info`).
pub fn query_values(query: Option<&str>, key: &str) -> Option<Vec<String>> {
    let query = query?;
    let mut found = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == key {
            found.get_or_insert_with(Vec::new).push(v.replace('+', " "));
        }
    }
    found
}

pub(super) fn info_json(info: &ConnectorInfo) -> serde_json::Value {
    serde_json::json!({
        "name": info.name,
        "config": info.config,
        "tasks": info.tasks.iter().map(|t| serde_json::json!({"connector": info.name, "task": t})).collect::<Vec<_>>(),
        "type": info.kind,
    })
}

pub(super) fn state_json(status: &Status, worker_id: &str, id: Option<u32>) -> serde_json::Value {
    let mut obj = serde_json::Map::new();
    if let Some(id) = id {
        obj.insert("id".into(), id.into());
    }
    obj.insert("state".into(), status.state.as_str().into());
    obj.insert("worker_id".into(), worker_id.into());
    if let Some(trace) = status.trace.as_ref().filter(|t| !t.is_empty()) {
        obj.insert("trace".into(), trace.clone().into());
    }
    serde_json::Value::Object(obj)
}

pub(super) fn status_json(status: &ConnectorStatus) -> serde_json::Value {
    let mut tasks = status.tasks.clone();
    tasks.sort_by_key(|(id, _)| *id);
    serde_json::json!({
        "name": status.name,
        "connector": state_json(&status.connector, &status.worker_id, None),
        "tasks": tasks.iter().map(|(id, s)| state_json(s, &status.worker_id, Some(*id))).collect::<Vec<_>>(),
        "type": status.kind,
    })
}

/// `GET /connectors[?expand=status&expand=info]`.
pub async fn list_connectors(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    let expand = query_values(query.as_deref(), "expand");
    let supervisor = state.supervisor.clone();
    blocking(move || {
        let names = supervisor.names();
        let Some(expand) = expand else {
            return Ok(Json(serde_json::json!(names)));
        };
        let mut out = serde_json::Map::new();
        for name in names {
            let mut item = serde_json::Map::new();
            if expand.iter().any(|e| e == "status") {
                match supervisor.status(&name) {
                    Ok(s) => {
                        item.insert("status".into(), status_json(&s));
                    }
                    // Deleted meanwhile: Kafka Connect drops it from the map.
                    Err(_) => continue,
                }
            }
            if expand.iter().any(|e| e == "info") {
                item.insert(
                    "info".into(),
                    supervisor.info(&name).map(|i| info_json(&i)).unwrap_or(serde_json::Value::Null),
                );
            }
            out.insert(name, serde_json::Value::Object(item));
        }
        Ok(Json(serde_json::Value::Object(out)))
    })
    .await
}

/// `POST /connectors`: 201 with the connector's info and a Location header.
pub async fn create_connector(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(req): ApiJson<CreateConnectorRequest>,
) -> Result<Response, ApiError> {
    let name = req.name.unwrap_or_default();
    let config = match req.config {
        Some(c) => config_map(c, "config")?,
        None => {
            return Err(ApiError::BadRequest(
                "Connector config is required: the request body needs a \"config\" object".into(),
            ));
        }
    };
    let initial = match req.initial_state.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("RUNNING") => TargetState::Running,
        Some("PAUSED") => TargetState::Paused,
        Some("STOPPED") => TargetState::Stopped,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "Invalid initial_state {other}: must be one of RUNNING, PAUSED, STOPPED"
            )));
        }
    };
    let supervisor = state.supervisor.clone();
    let info = blocking(move || Ok(supervisor.create(&name, config, initial)?)).await?;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let location = format!("http://{host}/connectors/{}", info.name);
    let mut response = (StatusCode::CREATED, Json(info_json(&info))).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// `GET /connectors/{name}`.
pub async fn read_connector(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let supervisor = state.supervisor.clone();
    blocking(move || Ok(Json(info_json(&supervisor.info(&name)?)))).await
}

/// `GET /connectors/{name}/config`: the config as submitted.
pub async fn read_connector_config(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let supervisor = state.supervisor.clone();
    blocking(move || Ok(Json(serde_json::json!(supervisor.info(&name)?.config)))).await
}

/// `DELETE /connectors/{name}`: 204.
pub async fn delete_connector(State(state): State<AppState>, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    let supervisor = state.supervisor.clone();
    blocking(move || {
        supervisor.delete(&name)?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

/// `GET /connectors/{name}/status`.
pub async fn read_connector_status(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let supervisor = state.supervisor.clone();
    blocking(move || {
        let status = supervisor
            .status(&name)
            .map_err(|_| ApiError::NotFound(format!("No status found for connector {name}")))?;
        Ok(Json(status_json(&status)))
    })
    .await
}

/// `GET /connectors/{name}/offsets`.
pub async fn read_connector_offsets(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let supervisor = state.supervisor.clone();
    blocking(move || {
        let offsets = supervisor.offsets(&name)?;
        let mut items = Vec::with_capacity(offsets.len());
        for o in offsets {
            let partition: serde_json::Value = serde_json::from_str(&o.partition)
                .map_err(|e| ApiError::Internal(format!("stored partition is not JSON: {e}")))?;
            let offset: serde_json::Value = serde_json::from_str(&o.offset)
                .map_err(|e| ApiError::Internal(format!("stored offset is not JSON: {e}")))?;
            items.push(serde_json::json!({ "partition": partition, "offset": offset }));
        }
        Ok(Json(serde_json::json!({ "offsets": items })))
    })
    .await
}

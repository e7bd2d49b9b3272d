//! Changing a connector: config updates, pause/resume/stop, restarts,
//! tasks, active topics and offsets.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::connectors::{info_json, query_values, state_json, status_json};
use super::json::{ApiJson, config_map};
use super::{ApiError, AppState, blocking};

/// A task id from the path; anything but a non-negative integer is a 404,
/// as Kafka Connect answers.
fn task_id(raw: &str) -> Result<u32, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound("HTTP 404 Not Found".into()))
}

/// `PUT /connectors/{name}/config`: 201 when it creates, 200 when it updates.
pub async fn put_connector_config(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Response, ApiError> {
    let config = config_map(body, "the connector config")?;
    let supervisor = state.supervisor.clone();
    let (created, info) = blocking(move || Ok(supervisor.put_config(&name, config)?)).await?;
    if !created {
        return Ok((StatusCode::OK, Json(info_json(&info))).into_response());
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    let mut response = (StatusCode::CREATED, Json(info_json(&info))).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("http://{host}/connectors/{}", info.name)) {
        response.headers_mut().insert(header::LOCATION, v);
    }
    Ok(response)
}

/// `PATCH /connectors/{name}/config`: merges; a null value removes a key.
pub async fn patch_connector_config(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let serde_json::Value::Object(map) = body else {
        return Err(ApiError::BadRequest("the config patch must be a JSON object".into()));
    };
    let mut patch = std::collections::BTreeMap::new();
    for (k, v) in map {
        let value = match v {
            serde_json::Value::Null => None,
            other => {
                let one = config_map(serde_json::json!({ k.clone(): other }), "the config patch")?;
                one.into_values().next()
            }
        };
        patch.insert(k, value);
    }
    let supervisor = state.supervisor.clone();
    blocking(move || Ok(Json(info_json(&supervisor.patch_config(&name, patch)?)))).await
}

fn flag(query: Option<&str>, key: &str) -> bool {
    query_values(query, key).and_then(|v| v.into_iter().next()).is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// `POST /connectors/{name}/restart[?includeTasks=&onlyFailed=]`: 204 for
/// the connector alone, 202 with the restart plan otherwise.
pub async fn restart_connector(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let include_tasks = flag(query.as_deref(), "includeTasks");
    let only_failed = flag(query.as_deref(), "onlyFailed");
    let supervisor = state.supervisor.clone();
    let plan = blocking(move || Ok(supervisor.restart(&name, include_tasks, only_failed)?)).await?;
    Ok(match plan {
        None => StatusCode::NO_CONTENT.into_response(),
        Some(status) => (StatusCode::ACCEPTED, Json(status_json(&status))).into_response(),
    })
}

/// `PUT /connectors/{name}/pause`: 202.
pub async fn pause_connector(State(state): State<AppState>, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    let supervisor = state.supervisor.clone();
    blocking(move || Ok(supervisor.pause(&name)?)).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `PUT /connectors/{name}/resume`: 202.
pub async fn resume_connector(State(state): State<AppState>, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    let supervisor = state.supervisor.clone();
    blocking(move || Ok(supervisor.resume(&name)?)).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `PUT /connectors/{name}/stop`: 204.
pub async fn stop_connector(State(state): State<AppState>, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    let supervisor = state.supervisor.clone();
    blocking(move || Ok(supervisor.stop(&name)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /connectors/{name}/tasks`.
pub async fn list_tasks(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let supervisor = state.supervisor.clone();
    blocking(move || {
        let tasks = supervisor.tasks(&name)?;
        Ok(Json(serde_json::Value::Array(
            tasks
                .into_iter()
                .map(|(id, config)| serde_json::json!({"id": {"connector": name, "task": id}, "config": config}))
                .collect(),
        )))
    })
    .await
}

/// `GET /connectors/{name}/tasks-config` (deprecated in Kafka Connect 3.7–3.9).
pub async fn read_tasks_config(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let supervisor = state.supervisor.clone();
    blocking(move || {
        let tasks = supervisor.tasks(&name)?;
        if tasks.is_empty() {
            return Err(ApiError::NotFound(format!("Connector {name} not found")));
        }
        let map = tasks.into_iter().map(|(id, config)| (format!("{name}-{id}"), serde_json::json!(config))).collect();
        Ok(Json(serde_json::Value::Object(map)))
    })
    .await
}

/// `GET /connectors/{name}/tasks/{task}/status`.
pub async fn read_task_status(
    State(state): State<AppState>,
    Path((name, task)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = task_id(&task)?;
    let supervisor = state.supervisor.clone();
    blocking(move || {
        let status = supervisor.task_status(&name, id)?;
        Ok(Json(state_json(&status, supervisor.worker_id(), Some(id))))
    })
    .await
}

/// `POST /connectors/{name}/tasks/{task}/restart`: 204.
pub async fn restart_task(
    State(state): State<AppState>,
    Path((name, task)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let id = task_id(&task)?;
    let supervisor = state.supervisor.clone();
    blocking(move || Ok(supervisor.restart_task(&name, id)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /connectors/{name}/topics`: no existence check, as in Kafka Connect.
pub async fn read_topics(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let supervisor = state.supervisor.clone();
    blocking(move || {
        let topics = supervisor.topics(&name)?;
        Ok(Json(serde_json::json!({ name: { "topics": topics } })))
    })
    .await
}

/// `PUT /connectors/{name}/topics/reset`: 202.
pub async fn reset_topics(State(state): State<AppState>, Path(name): Path<String>) -> Result<StatusCode, ApiError> {
    let supervisor = state.supervisor.clone();
    blocking(move || Ok(supervisor.reset_topics(&name)?)).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `PATCH /connectors/{name}/offsets`: only while STOPPED.
pub async fn alter_offsets(
    State(state): State<AppState>,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let none = || ApiError::BadRequest("Partitions / offsets need to be provided for an alter offsets request".into());
    let obj = body
        .as_object()
        .ok_or_else(|| ApiError::BadRequest("the body must be a JSON object with an \"offsets\" array".into()))?;
    if let Some(unknown) = obj.keys().find(|k| *k != "offsets") {
        return Err(ApiError::BadRequest(format!(
            "Unrecognized field \"{unknown}\": the body may only hold \"offsets\""
        )));
    }
    let items = match obj.get("offsets") {
        None | Some(serde_json::Value::Null) => return Err(none()),
        Some(serde_json::Value::Array(items)) if items.is_empty() => return Err(none()),
        Some(serde_json::Value::Array(items)) => items.clone(),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "\"offsets\" must be an array of {\"partition\": {...}, \"offset\": {...}}".into(),
            ));
        }
    };
    let mut entries = Vec::with_capacity(items.len());
    for item in items {
        let Some(item) = item.as_object() else {
            return Err(ApiError::BadRequest(
                "each entry of \"offsets\" must be an object with \"partition\" and \"offset\"".into(),
            ));
        };
        if let Some(unknown) = item.keys().find(|k| *k != "partition" && *k != "offset") {
            return Err(ApiError::BadRequest(format!("Unrecognized field \"{unknown}\" in an offsets entry")));
        }
        let partition = match item.get("partition") {
            Some(p @ serde_json::Value::Object(_)) => p.to_string(),
            _ => {
                return Err(ApiError::BadRequest(
                    "The partition for a source connector offset must be a JSON object".into(),
                ));
            }
        };
        let offset = match item.get("offset") {
            None | Some(serde_json::Value::Null) => None,
            Some(o @ serde_json::Value::Object(m)) => {
                if let Some((k, _)) = m.iter().find(|(_, v)| v.is_object() || v.is_array()) {
                    return Err(ApiError::BadRequest(format!(
                        "Offsets may only contain primitive types as values, but field {k} contains a structure"
                    )));
                }
                Some(o.to_string())
            }
            Some(_) => {
                return Err(ApiError::BadRequest(
                    "The offset for a source connector must be a JSON object or null".into(),
                ));
            }
        };
        entries.push((partition, offset));
    }
    let supervisor = state.supervisor.clone();
    blocking(move || Ok(supervisor.alter_offsets(&name, &entries)?)).await?;
    Ok(Json(
        serde_json::json!({"message": "The Connect framework-managed offsets for this connector have been altered successfully. However, if this connector manages offsets externally, they will need to be manually altered in the system that the connector uses."}),
    ))
}

/// `DELETE /connectors/{name}/offsets`: only while STOPPED; also clears the
/// connector's private plugin state.
pub async fn reset_offsets(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let supervisor = state.supervisor.clone();
    blocking(move || Ok(supervisor.reset_offsets(&name)?)).await?;
    Ok(Json(
        serde_json::json!({"message": "The Connect framework-managed offsets for this connector have been reset successfully. However, if this connector manages offsets externally, they will need to be manually reset in the system that the connector uses."}),
    ))
}

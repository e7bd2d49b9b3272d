//! `/connector-plugins`.

use axum::Json;
use axum::extract::{RawQuery, State};

use super::{ApiError, AppState};
use crate::plugin::ConnectorKind;

/// `GET /connector-plugins[?connectorsOnly=false]`: sinks, then sources,
/// each sorted by class name.
pub async fn list_connector_plugins(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    let _connectors_only = super::connectors::query_values(query.as_deref(), "connectorsOnly");
    let mut plugins: Vec<(u8, String, String, &'static str)> = state
        .supervisor
        .runtime()
        .plugins()
        .iter()
        .flat_map(|p| p.connectors.iter())
        .map(|d| {
            let order = match d.kind {
                ConnectorKind::Sink => 0,
                ConnectorKind::Source => 1,
            };
            (order, d.class_name.clone(), d.version.clone(), d.kind.as_str())
        })
        .collect();
    plugins.sort();
    plugins.dedup();
    let body = plugins
        .into_iter()
        .map(|(_, class, version, kind)| serde_json::json!({ "class": class, "type": kind, "version": version }))
        .collect();
    Ok(Json(serde_json::Value::Array(body)))
}

//! `/connector-plugins`.

use axum::Json;
use axum::extract::{Path, RawQuery, State};

use super::connectors::query_values;
use super::json::{ApiJson, config_map};
use super::{ApiError, AppState, blocking};
use crate::framework;
use crate::plugin::{ConfigKeyDef, ConfigType, ConnectorKind};

/// The converters Weir provides: (class, plugin types it is listed as).
const CONVERTERS: &[(&str, &[&str])] = &[
    ("org.apache.kafka.connect.converters.ByteArrayConverter", &["converter", "header_converter"]),
    ("org.apache.kafka.connect.json.JsonConverter", &["converter", "header_converter"]),
    ("org.apache.kafka.connect.storage.SimpleHeaderConverter", &["header_converter"]),
    ("org.apache.kafka.connect.storage.StringConverter", &["converter", "header_converter"]),
];

/// The version converters report: the Kafka Connect version served.
const CONVERTER_VERSION: &str = super::root::CONNECT_VERSION;

/// `GET /connector-plugins[?connectorsOnly=false]`: sinks, then sources,
/// each sorted by class name; then converters and header converters.
pub async fn list_connector_plugins(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<serde_json::Value>, ApiError> {
    let connectors_only = query_values(query.as_deref(), "connectorsOnly")
        .and_then(|v| v.into_iter().next())
        .is_none_or(|v| !v.eq_ignore_ascii_case("false"));
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
    if !connectors_only {
        for (class, types) in CONVERTERS {
            for ty in *types {
                let order = if *ty == "converter" { 4 } else { 5 };
                plugins.push((order, class.to_string(), CONVERTER_VERSION.to_string(), ty));
            }
        }
    }
    plugins.sort();
    plugins.dedup();
    let body = plugins
        .into_iter()
        .map(|(_, class, version, kind)| serde_json::json!({ "class": class, "type": kind, "version": version }))
        .collect();
    Ok(Json(serde_json::Value::Array(body)))
}

fn converter_keys(class: &str) -> Vec<ConfigKeyDef> {
    let key = |name: &str, ty: ConfigType, default: &str, doc: &str| ConfigKeyDef {
        name: name.into(),
        ty,
        default_value: Some(default.into()),
        importance: "LOW",
        documentation: doc.into(),
        group: None,
        order_in_group: -1,
        width: "NONE",
        display_name: name.into(),
        dependents: Vec::new(),
        recommended_values: Vec::new(),
    };
    match class.rsplit('.').next().unwrap_or(class) {
        "JsonConverter" => vec![
            key(
                "schemas.enable",
                ConfigType::Boolean,
                "true",
                "Include schemas within each of the serialized values and keys.",
            ),
            key(
                "decimal.format",
                ConfigType::String,
                "BASE64",
                "Controls which format this converter will serialize decimals in.",
            ),
        ],
        "StringConverter" => vec![key(
            "converter.encoding",
            ConfigType::String,
            "UTF-8",
            "The name of the Java character set to use for encoding strings as byte arrays.",
        )],
        _ => Vec::new(),
    }
}

/// `GET /connector-plugins/{p}/config`: the connector's own keys, then the
/// framework keys it does not redefine.
pub async fn read_plugin_config(
    State(state): State<AppState>,
    Path(plugin): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if let Some((class, _)) =
        CONVERTERS.iter().find(|(c, _)| *c == plugin || c.rsplit('.').next() == Some(plugin.as_str()))
    {
        return Ok(Json(serde_json::Value::Array(converter_keys(class).iter().map(framework::key_json).collect())));
    }
    let Some((_, descriptor)) = state.supervisor.runtime().resolve(&plugin) else {
        return Err(ApiError::NotFound(format!("Unknown plugin {plugin}.")));
    };
    let mut keys: Vec<serde_json::Value> = descriptor.config_keys.iter().map(framework::key_json).collect();
    for def in framework::definitions(descriptor.kind).iter().chain(framework::weir_definitions().iter()) {
        if !descriptor.config_keys.iter().any(|k| k.name == def.name) {
            keys.push(framework::key_json(def));
        }
    }
    Ok(Json(serde_json::Value::Array(keys)))
}

/// `PUT /connector-plugins/{p}/config/validate`: the full `ConfigInfos`.
pub async fn validate_plugin_config(
    State(state): State<AppState>,
    Path(plugin): Path<String>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let config = config_map(body, "the connector config")?;
    let supervisor = state.supervisor.clone();
    blocking(move || Ok(Json(framework::infos_json(&supervisor.validate_for_plugin(&plugin, &config)?)))).await
}

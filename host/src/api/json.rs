//! A JSON body extractor whose rejections are Kafka Connect error bodies:
//! 415 for a non-JSON content type, 400 naming what is wrong with the body.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use serde::de::DeserializeOwned;

use super::ApiError;

/// The largest request body accepted (connector configs are small).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A JSON request body.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(ct) = req.headers().get(CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("").split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            if ct != "application/json" && !ct.ends_with("+json") {
                return Err(ApiError::UnsupportedMediaType);
            }
        }
        // A declared length over the limit is refused before any of the body is read.
        let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
            return Err(ApiError::PayloadTooLarge(MAX_BODY_BYTES));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(MAX_BODY_BYTES)
            } else {
                ApiError::BadRequest(format!("Cannot read the request body: {e}"))
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::BadRequest("Request body is empty; a JSON object is required".into()));
        }
        serde_json::from_slice(&bytes)
            .map(ApiJson)
            .map_err(|e| ApiError::BadRequest(format!("Invalid JSON in request body: {e}")))
    }
}

/// A Kafka Connect config map: string values, with numbers and booleans
/// taken as their text (as Jackson coerces them) and anything else refused.
pub fn config_map(
    value: serde_json::Value,
    what: &str,
) -> Result<std::collections::BTreeMap<String, String>, ApiError> {
    let serde_json::Value::Object(map) = value else {
        return Err(ApiError::BadRequest(format!("{what} must be a JSON object of string values")));
    };
    map.into_iter()
        .map(|(k, v)| {
            let v = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Null => {
                    return Err(ApiError::BadRequest(format!(
                        "Invalid value null for configuration {k}: Null value can not be supplied as the configuration value."
                    )));
                }
                _ => return Err(ApiError::BadRequest(format!("{what} value for {k} must be a string, not an object or array"))),
            };
            Ok((k, v))
        })
        .collect()
}

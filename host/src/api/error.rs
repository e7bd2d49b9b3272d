//! One error type for every handler, rendered as Kafka Connect's error body.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::runtime::DisplayChain;
use crate::supervisor::SupervisorError;

/// An error answer.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 with a message naming the problem.
    #[error("{0}")]
    BadRequest(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 405.
    #[error("HTTP 405 Method Not Allowed")]
    MethodNotAllowed,
    /// 409.
    #[error("{0}")]
    Conflict(String),
    /// 413.
    #[error("Request body is too large: the limit is {0} bytes")]
    PayloadTooLarge(usize),
    /// 415.
    #[error("HTTP 415 Unsupported Media Type")]
    UnsupportedMediaType,
    /// 500; the details go to the log, not the body.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<SupervisorError> for ApiError {
    fn from(err: SupervisorError) -> Self {
        match err {
            SupervisorError::NotFound(_) => Self::NotFound(err.to_string()),
            SupervisorError::Missing(m) => Self::NotFound(m),
            SupervisorError::AlreadyExists(_) => Self::Conflict(err.to_string()),
            SupervisorError::BadRequest(m) => Self::BadRequest(m),
            SupervisorError::Store(e) => {
                tracing::error!(error = %DisplayChain(&e), "state store failure while serving a request");
                Self::Internal("The worker's state store failed; see the worker log".into())
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = serde_json::json!({ "error_code": status.as_u16(), "message": self.to_string() });
        (status, Json(body)).into_response()
    }
}

/// Unmatched paths.
pub async fn not_found() -> ApiError {
    ApiError::NotFound("HTTP 404 Not Found".into())
}

/// Matched paths with another method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

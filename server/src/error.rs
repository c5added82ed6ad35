//! JSON errors: every failure the API returns is `{"code": ..., "message": ...}` with a
//! fitting status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use doorstep_core::sync::protocol::ErrorBody;

use crate::storage::StoreError;

/// An error reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds for a `Retry-After` header (a throttled try).
    pub retry_after: Option<i64>,
}

impl ApiError {
    /// An error with a status, a stable code and a message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401 with a code saying why.
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// 429: too many wrong tries; `Retry-After` says when the next is heard.
    pub fn too_many_tries(wait: crate::throttle::Wait) -> Self {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_tries",
            format!(
                "too many wrong tries from here; try again in {} s",
                wait.seconds()
            ),
        );
        e.retry_after = Some(wait.seconds());
        e
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::CodeUnknown => ApiError::new(
                StatusCode::NOT_FOUND,
                "enrolment_code_unknown",
                e.to_string(),
            ),
            StoreError::CodeExpired => {
                ApiError::new(StatusCode::GONE, "enrolment_code_expired", e.to_string())
            }
            StoreError::CodeUsed => {
                ApiError::new(StatusCode::CONFLICT, "enrolment_code_used", e.to_string())
            }
            StoreError::UploadOffset { .. } => {
                ApiError::new(StatusCode::CONFLICT, "upload_offset", e.to_string())
            }
            StoreError::UploadLength { .. } => {
                ApiError::new(StatusCode::CONFLICT, "upload_length", e.to_string())
            }
            StoreError::CodeCancelled => {
                ApiError::new(StatusCode::GONE, "enrolment_code_cancelled", e.to_string())
            }
            StoreError::DeviceExists(_) => {
                ApiError::new(StatusCode::CONFLICT, "device_exists", e.to_string())
            }
            StoreError::DeviceRevoked(_) => {
                ApiError::new(StatusCode::FORBIDDEN, "device_revoked", e.to_string())
            }
            StoreError::Backend(m) => {
                // The cause is for the operator's log; the client learns only to retry.
                tracing::error!(error = %m, "storage failed");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage",
                    "the station's storage failed; try again later",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.retry_after;
        let mut resp = (
            self.status,
            Json(ErrorBody {
                code: self.code.to_string(),
                message: self.message,
            }),
        )
            .into_response();
        if let Some(s) = retry_after {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, s.max(1).into());
        }
        resp
    }
}

//! API errors: one table of stable codes and HTTP statuses, answered as
//! `{"error":{"code":"...","message":"..."}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// An error answered by the API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("sign in first: send `Authorization: Bearer TOKEN` or log in")]
    Unauthenticated,
    #[error("wrong user name or password")]
    BadLogin,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    BadQuery(String),
    #[error("{0}")]
    NotFound(String),
    #[error("the server is shutting down")]
    Unavailable,
    #[error("too many failed sign-ins: try again in {0} s")]
    TooManyLogins(u64),
    #[error("{0}")]
    TooLarge(String),
    /// The client did not send its body in time; the connection is closed.
    #[error("{0}")]
    SlowBody(String),
    /// Too much is in flight: retry after the seconds given.
    #[error("{0}")]
    Busy(String),
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// The stable code and status of each error.
    pub fn code(&self) -> (&'static str, StatusCode) {
        match self {
            ApiError::Unauthenticated => ("unauthenticated", StatusCode::UNAUTHORIZED),
            ApiError::BadLogin => ("bad_login", StatusCode::UNAUTHORIZED),
            ApiError::Forbidden(_) => ("forbidden", StatusCode::FORBIDDEN),
            ApiError::BadRequest(_) => ("bad_request", StatusCode::BAD_REQUEST),
            ApiError::BadQuery(_) => ("invalid_query", StatusCode::BAD_REQUEST),
            ApiError::NotFound(_) => ("not_found", StatusCode::NOT_FOUND),
            ApiError::Unavailable => ("unavailable", StatusCode::SERVICE_UNAVAILABLE),
            ApiError::TooManyLogins(_) => ("too_many_logins", StatusCode::TOO_MANY_REQUESTS),
            ApiError::TooLarge(_) => ("too_large", StatusCode::PAYLOAD_TOO_LARGE),
            ApiError::SlowBody(_) => ("slow_body", StatusCode::REQUEST_TIMEOUT),
            ApiError::Busy(_) => ("busy", StatusCode::SERVICE_UNAVAILABLE),
            ApiError::Internal(_) => ("internal", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (code, status) = self.code();
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "internal error");
        } else if status == StatusCode::BAD_REQUEST {
            tracing::warn!(code, error = %self, "request refused");
        }
        let mut res = (
            status,
            Json(json!({"error": {"code": code, "message": self.to_string()}})),
        )
            .into_response();
        let headers = res.headers_mut();
        match self {
            ApiError::TooManyLogins(secs) => {
                if let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string()) {
                    headers.insert(axum::http::header::RETRY_AFTER, v);
                }
            }
            ApiError::Busy(_) => {
                headers.insert(
                    axum::http::header::RETRY_AFTER,
                    axum::http::HeaderValue::from_static("1"),
                );
            }
            // What is left of the body may still be on its way: the connection cannot be
            // used for another request.
            ApiError::SlowBody(_) | ApiError::TooLarge(_) => {
                headers.insert(
                    axum::http::header::CONNECTION,
                    axum::http::HeaderValue::from_static("close"),
                );
            }
            _ => {}
        }
        res
    }
}

impl From<ccpulse_store::StoreError> for ApiError {
    fn from(e: ccpulse_store::StoreError) -> Self {
        match e {
            ccpulse_store::StoreError::Query(e) => ApiError::BadQuery(e.to_string()),
            ccpulse_store::StoreError::UnknownTenant(t) => {
                ApiError::NotFound(format!("unknown tenant `{t}`"))
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

//! Bearer-token authentication at the HTTP edge.
//!
//! No token: the request runs without a session, and any field that needs
//! one answers UNAUTHENTICATED. A bad token (or a revoked terminal's) is
//! refused with HTTP 401, and a rate-limited caller with 429, before
//! GraphQL runs.

use axum::Json;
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::door::{Caller, admit, bearer_token, identify};
use crate::error::AppError;

/// Identifies the caller of an HTTP request and admits `operations`
/// operations of theirs at the door ([`super::door`]). A request without a
/// token goes on without a session (its fields that need one answer
/// UNAUTHENTICATED) under its address's rate limit.
pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    extensions: &Extensions,
    operations: usize,
) -> Result<Caller, Response> {
    let (client, origin) = state.proxies.origin(headers, extensions);
    let token = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(bearer_token)
                .ok_or_else(|| unauthorized("Authorization must be 'Bearer <token>'"))?,
        ),
    };
    let caller = identify(state, token, client, origin)
        .await
        .map_err(|e| error_response(&e))?;
    admit(state, &caller, operations)
        .await
        .map_err(|e| error_response(&e))?;
    Ok(caller)
}

fn unauthorized(message: &str) -> Response {
    error_response(&AppError::Unauthenticated(message.to_owned()))
}

/// A GraphQL-shaped error body with the matching HTTP status, for errors
/// raised before GraphQL execution.
pub fn error_response(err: &AppError) -> Response {
    let status = match err {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::BadInput { .. } | AppError::Rejected { .. } => StatusCode::BAD_REQUEST,
        AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::Unavailable(_) | AppError::Overloaded { .. } => StatusCode::SERVICE_UNAVAILABLE,
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        // As Apollo's servers answer it: the client's link retries with
        // the document.
        AppError::PersistedQueryNotFound => StatusCode::OK,
        AppError::Conflict { .. } => StatusCode::CONFLICT,
        AppError::Internal(cause) => {
            tracing::error!(error = %crate::error::describe(cause.as_ref()), "internal error before execution");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    let mut extensions = json!({ "code": err.code() });
    let retry_after = err.retry_after_secs();
    if let Some(secs) = retry_after {
        extensions["retryAfter"] = json!(secs);
    }
    let body = json!({ "errors": [{ "message": err.to_string(), "extensions": extensions }] });
    let mut response = (status, Json(body)).into_response();
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
    }
    response
}

//! Bearer-token authentication at the HTTP edge.
//!
//! No token: the request runs without a session, and any field that needs
//! one answers UNAUTHENTICATED. A bad token (or a revoked terminal's) is
//! refused with HTTP 401 before GraphQL runs.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::{AuthError, Session};
use crate::error::AppError;
use crate::org::terminals;
use crate::startup::AppState;

pub async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Session>, Response> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized("Authorization must be 'Bearer <token>'"))?;
    session_from_token(state, token)
        .await
        .map(Some)
        .map_err(|e| error_response(&e))
}

/// Verifies a bearer token (and, for a device token, that its terminal is
/// still active) and gives its session.
pub async fn session_from_token(state: &AppState, token: &str) -> Result<Session, AppError> {
    let claims = state.keys.verify_cached(token).await.map_err(|e| match e {
        AuthError::Invalid(reason) => {
            tracing::info!(%reason, "token refused");
            AppError::Unauthenticated("invalid or expired token".into())
        }
        AuthError::Config(reason) => AppError::internal(reason),
    })?;
    let session = Session::from(claims);
    // Before anything that costs: a flood is refused for a map lookup.
    state.limits.admit(&session)?;
    if session.is_device() {
        terminals::authorize_device(&session, &state.db, &state.cache).await?;
    }
    Ok(session)
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
        AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        // As Apollo's servers answer it: the client's link retries with
        // the document.
        AppError::PersistedQueryNotFound => StatusCode::OK,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        AppError::Internal(cause) => {
            tracing::error!(error = %cause, "internal error before execution");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    let mut extensions = json!({ "code": err.code() });
    let retry_after = match err {
        AppError::RateLimited {
            retry_after_secs, ..
        } => Some(*retry_after_secs),
        _ => None,
    };
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

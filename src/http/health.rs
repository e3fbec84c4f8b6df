//! Liveness and readiness probes.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::AppState;

/// The process is up and serving.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready: the database answers and the replica is not draining. 503
/// otherwise, so a load balancer stops sending traffic. Redis is optional
/// (lookups fall back to the database, invalidations to short cache
/// lifetimes): without it the replica still serves, and the body reports
/// `"status": "degraded"` with `"redis": "unavailable"`. Taking every
/// replica out of rotation at once for a Redis blip would turn a slower
/// cache into an outage.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = match state.db.ping().await {
        Ok(()) => "ok".to_owned(),
        Err(e) => {
            tracing::warn!(error = %crate::error::describe(&e), "readiness: database ping failed");
            "unavailable".to_owned()
        }
    };
    let redis = match &state.redis {
        None => "disabled".to_owned(),
        Some(redis) => match redis.ping().await {
            Ok(()) => "ok".to_owned(),
            Err(e) => {
                tracing::warn!(error = %e, "readiness: redis ping failed");
                "unavailable".to_owned()
            }
        },
    };
    let draining = state.draining.load(Ordering::Relaxed);
    let ready = database == "ok" && !draining;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": match (ready, draining, redis.as_str()) {
            (true, _, "unavailable") => "degraded",
            (true, _, _) => "ok",
            (false, true, _) => "draining",
            (false, false, _) => "unavailable",
        },
        "database": database,
        "redis": redis,
    });
    (status, Json(body))
}

//! Liveness and readiness probes.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::startup::AppState;

/// The process is up and serving.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The database answers, and Redis when configured. 503 otherwise, and
/// while draining for shutdown, so a load balancer stops sending traffic.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let database = match state.db.ping().await {
        Ok(()) => "ok".to_owned(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness: database ping failed");
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
    let ready = database == "ok" && redis != "unavailable" && !draining;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if ready { "ok" } else if draining { "draining" } else { "unavailable" },
        "database": database,
        "redis": redis,
    });
    (status, Json(body))
}

//! `/metrics` on its own listener, and the middleware that times every API
//! request by route pattern (never by raw path, so labels stay bounded).

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

use super::AppState;
use crate::metrics::{Gauges, metrics};
use crate::sync::status::backlog;

/// The metrics listener's router: `GET /metrics` only.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(render))
        .with_state(state)
}

/// How long a scrape waits for the backlog count before leaving it out.
const BACKLOG_TIMEOUT: Duration = Duration::from_secs(2);

async fn render(State(state): State<AppState>) -> Response {
    let backlog = match tokio::time::timeout(BACKLOG_TIMEOUT, backlog(&state.db)).await {
        Ok(Ok(b)) => Some((b.held, b.awaiting_sale)),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "could not count the sync backlog for /metrics");
            None
        }
        Err(_) => {
            tracing::warn!("counting the sync backlog for /metrics timed out");
            None
        }
    };
    let (open, idle) = state.db.pool_stats();
    let text = metrics().render(Gauges {
        pool: (open, idle, state.config.db_pool_size()),
        backlog,
    });
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response()
}

/// Counts and times one request under its route pattern.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    metrics().http_request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

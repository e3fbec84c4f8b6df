//! The axum router: `/graphql`, GraphiQL at `/`, health probes, and the
//! layers every request passes through (request id, tracing, sensitive
//! header redaction, timeout, body limit, CORS).

pub mod admission;
mod auth;
pub mod door;
mod graphql;
mod health;
pub mod metrics;
pub mod origin;
mod playground;
mod reports;
mod state;
mod subscriptions;

pub use state::{AppParts, AppState};

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, Request, StatusCode, header};
use axum::routing::get;
use tower::ServiceBuilder;
use tower_http::LatencyUnit;
use tower_http::cors::CorsLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    let cors = (!config.cors_origins.is_empty()).then(|| {
        let origins: Vec<HeaderValue> = config
            .cors_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        CorsLayer::new()
            .allow_origin(origins)
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .max_age(Duration::from_secs(600))
    });
    let layers = ServiceBuilder::new()
        .layer(SetSensitiveRequestHeadersLayer::new([
            header::AUTHORIZATION,
            header::COOKIE,
        ]))
        // A client's request id only if it is safe to echo and store.
        .layer(axum::middleware::map_request(origin::sanitize_request_id))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .on_response(
                    DefaultOnResponse::new()
                        .level(Level::INFO)
                        .latency_unit(LatencyUnit::Millis),
                )
                .make_span_with(|request: &Request<_>| {
                    let request_id = request
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    let span = tracing::info_span!(
                        "request",
                        request_id = %request_id,
                        method = %request.method(),
                        path = %request.uri().path(),
                    );
                    #[cfg(feature = "otel")]
                    crate::telemetry::otel::continue_trace(&span, request.headers());
                    span
                }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(RequestBodyLimitLayer::new(config.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(config.request_timeout_secs),
        ))
        .option_layer(cors);

    Router::new()
        .route("/", get(playground::graphiql))
        .route("/graphiql/{name}", get(playground::asset))
        .route(
            "/graphql",
            get(graphql::execute)
                .post(graphql::execute)
                .route_layer(axum::middleware::from_fn(graphql::require_json)),
        )
        .route("/graphql/ws", get(subscriptions::subscriptions))
        .route("/reports/sales.csv", get(reports::sales_csv))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .with_state(state)
        .layer(axum::middleware::from_fn(metrics::track))
        .layer(layers)
}

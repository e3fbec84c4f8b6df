//! OTLP export, in builds with the `otel` feature
//! (`cargo test --features otel --test otel`): a request's spans reach a
//! collector, as a child of the caller's `traceparent`, with no token or
//! variable in them.
//!
//! A test binary of its own: it installs the process's global subscriber.

#![cfg(feature = "otel")]

use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use axum::routing::post;
use serde_json::json;

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use helpers::TestApp;

/// A collector that keeps every OTLP/HTTP trace export it receives.
async fn collector() -> (String, Arc<Mutex<Vec<Bytes>>>) {
    let received: Arc<Mutex<Vec<Bytes>>> = Arc::default();
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/v1/traces",
        post(move |body: Bytes| async move {
            sink.lock().unwrap().push(body);
            ([("content-type", "application/x-protobuf")], Bytes::new())
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), received)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

const CHILD: &str = "POS_OTEL_TEST_CHILD";

/// The collector runs here; the server runs in a child process of this
/// binary with the `OTEL_*` variables set, as an operator would set them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requests_spans_reach_the_collector_in_the_callers_trace() {
    if std::env::var_os(CHILD).is_some() {
        return serve_one_request().await;
    }
    let (endpoint, received) = collector().await;
    let child = tokio::task::spawn_blocking(move || {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "a_requests_spans_reach_the_collector_in_the_callers_trace",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)
            .env("OTEL_SERVICE_NAME", "pos-otel-test")
            .env("POS_LOG", "info,pos::graphql::spans=debug,sea_orm=trace")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    assert!(
        child.status.success(),
        "child failed: {stdout}{}",
        String::from_utf8_lossy(&child.stderr)
    );
    let token = stdout
        .lines()
        .find_map(|l| l.strip_prefix("TOKEN="))
        .expect("the child prints its token");

    let exports = received.lock().unwrap().clone();
    assert!(!exports.is_empty(), "nothing was exported");
    let all: Vec<u8> = exports.iter().flat_map(|b| b.iter().copied()).collect();
    // The request's span, a resolver's, and SeaORM's per-statement ones
    // (named after its functions, in its modules).
    for name in ["request", "graphql.field", "query_all", "sea_orm::database"] {
        assert!(
            contains(&all, name.as_bytes()),
            "no {name} span exported: {}",
            String::from_utf8_lossy(&all)
        );
    }
    assert!(contains(&all, b"pos-otel-test"), "service name missing");
    // The request's span continues the caller's trace.
    let id: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&TRACE_ID[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    assert!(
        contains(&all, &id),
        "the caller's trace id is not in the export"
    );
    // Nothing secret left the process.
    assert!(
        !contains(&all, token.as_bytes()),
        "the bearer token was exported"
    );
    assert!(
        !contains(&all, b"secret-search-term"),
        "a variable was exported"
    );
}

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// In the child: the server with OTLP export on, one traced request, and a
/// flush on shutdown.
async fn serve_one_request() {
    assert!(pos::telemetry::otlp_requested());
    let telemetry = pos::telemetry::init(pos::config::LogFormat::Text).expect("telemetry");
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    println!("TOKEN={owner}");
    let body = json!({
        "query": "query($s: String) { locations(search: $s) { edges { node { code } } } }",
        "variables": { "s": "secret-search-term" },
    });
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {owner}"))
        .header("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-01"))
        .body(Body::from(body.to_string()))
        .unwrap();
    let (status, answer) = app.send(request).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(answer["errors"].is_null(), "{answer}");
    telemetry.shutdown().await;
}

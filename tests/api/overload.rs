//! Admission control: with every write place taken, a mutation is refused
//! at once with 503 `UNAVAILABLE` and a jittered `Retry-After`, while
//! queries (which have places of their own) still run.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use pos::http::admission::Kind;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::helpers::{CREATE_LOCATION, TestApp, location_input};

async fn call(app: &TestApp, token: &str, body: Value) -> (StatusCode, Option<u64>, Value) {
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(body.to_string()))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let retry = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, retry, serde_json::from_slice(&bytes).unwrap())
}

#[tokio::test]
async fn a_full_replica_refuses_writes_at_once_and_still_serves_reads() {
    let app =
        TestApp::spawn_with(&["--max-inflight-writes", "1", "--admission-wait-ms", "1"]).await;
    let owner = app.owner(app.tenant("Acme").await);
    let create = |code: &str| json!({ "query": CREATE_LOCATION, "variables": { "input": location_input(code) } });

    let held = app.state.admission.enter(Kind::Write).await.unwrap();
    let (status, retry, body) = call(&app, &owner, create("AMS")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAVAILABLE");
    let retry = retry.expect("Retry-After");
    assert!((1..=3).contains(&retry), "{retry}");
    assert_eq!(body["errors"][0]["extensions"]["retryAfter"], retry);

    let (status, _, body) = call(&app, &owner, json!({ "query": "{ me { tenantId } }" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["data"]["me"]["tenantId"].is_string(), "{body}");

    drop(held);
    let (status, _, body) = call(&app, &owner, create("AMS")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["data"]["createLocation"]["id"].is_string(), "{body}");
    // Nothing was written by the refused attempt.
    let (_, _, body) = call(
        &app,
        &owner,
        json!({ "query": "{ locations { edges { node { code } } } }" }),
    )
    .await;
    assert_eq!(
        body["data"]["locations"]["edges"].as_array().unwrap().len(),
        1,
        "{body}"
    );
}

//! Rate limits at the HTTP edge: a terminal's and a tenant's token
//! buckets, refused with 429 `RATE_LIMITED` and a retry-after hint before
//! any resolver runs, and one caller's flood leaves the others alone.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::helpers::{TestApp, location_input};

const LOCATIONS: &str = "{ locations { edges { node { code } } } }";
const CREATE: &str =
    "mutation($input: CreateLocationInput!) { createLocation(input: $input) { id } }";

/// POST /graphql, with the status, `Retry-After` and body.
async fn call(
    app: &TestApp,
    token: &str,
    query: &str,
    variables: Value,
) -> (StatusCode, Option<String>, Value) {
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(
            json!({ "query": query, "variables": variables }).to_string(),
        ))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let retry = response
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        retry,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_terminal_then_its_tenant_run_out_and_others_do_not_notice() {
    let app = TestApp::spawn_with(&[
        "--rate-limit-tenant-rps",
        "0.01",
        "--rate-limit-tenant-burst",
        "8",
        "--rate-limit-terminal-rps",
        "0.01",
        "--rate-limit-terminal-burst",
        "3",
    ])
    .await;
    let tenant = app.tenant("Busy").await;
    let owner = app.owner(tenant);
    let other = app.owner(app.tenant("Quiet").await);
    // Three of the tenant's eight requests go on setting up a terminal.
    let location = app.create_location(&owner, "B1").await;
    let terminal = app.create_terminal(&owner, &location, "T1").await;
    let device = app.device_token(&owner, &terminal).await;

    // The terminal's burst of 3, then 429 with a hint.
    for _ in 0..3 {
        let (status, _, body) = call(&app, &device, "{ me { tenantId } }", json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, retry, body) = call(&app, &device, "{ me { tenantId } }", json!({})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    let hint = body["errors"][0]["extensions"]["retryAfter"]
        .as_u64()
        .expect("retryAfter");
    assert!(hint >= 1, "{body}");
    assert_eq!(
        retry,
        Some(hint.to_string()),
        "Retry-After matches the hint"
    );
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("terminal")
    );

    // The tenant had 8: 3 for setup, 3 for the terminal, so 2 for its
    // owner; the refused device request took none of them.
    for _ in 0..2 {
        let (status, _, body) = call(&app, &owner, LOCATIONS, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // A refused mutation never runs: no location is created.
    let (status, _, body) = call(
        &app,
        &owner,
        CREATE,
        json!({ "input": location_input("B2") }),
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("tenant")
    );
    assert!(body.get("data").is_none(), "{body}");

    // Another tenant is not slowed down, and B2 was never made.
    let (status, _, body) = call(&app, &other, LOCATIONS, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let conn = app.owner_connection().await;
    let made = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT COUNT(*) AS n FROM locations WHERE code = 'B2'",
        ))
        .await
        .unwrap()
        .and_then(|row| row.try_get::<i64>("", "n").ok());
    assert_eq!(made, Some(0));
}

//! The door over HTTP: client addresses believed only from trusted
//! proxies, safe request ids, anonymous callers limited per address and
//! unable to fill the persisted-query store, error bodies that do not grow
//! with the input, and rate-limited mutations counted, not audited.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use pos::graphql::persisted::sha256_hex;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::audit::peer;
use crate::helpers::{CREATE_LOCATION, TestApp, code, location_input};
use crate::persisted::persisted;

const AUDIT: &str =
    "{ auditLog(first: 50) { edges { node { operation outcome clientIp requestId } } } }";

/// POST /graphql from `from`, with extra headers; the status, the echoed
/// request id and the body.
async fn post_from(
    app: &TestApp,
    from: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Value,
) -> (StatusCode, Option<String>, Value) {
    let mut request = Request::post("/graphql")
        .extension(peer(from))
        .header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .router
        .clone()
        .oneshot(request.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let id = response
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, id, body)
}

async fn audit_entries(app: &TestApp, owner: &str) -> Vec<Value> {
    crate::audit::log(app, owner, json!(null)).await
}

fn create_location(code: &str) -> Value {
    json!({ "query": CREATE_LOCATION, "variables": { "input": location_input(code) } })
}

#[tokio::test]
async fn forwarding_headers_and_unsafe_request_ids_from_a_client_are_not_believed() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let junk_id = "not safe <script>";
    let (status, echoed, body) = post_from(
        &app,
        "192.0.2.50",
        Some(&owner),
        &[
            ("x-forwarded-for", "203.0.113.7"),
            ("forwarded", "for=198.51.100.9"),
            ("x-request-id", junk_id),
        ],
        create_location("AMS1"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let echoed = echoed.expect("a request id is always echoed");
    assert_ne!(echoed, junk_id);
    assert!(uuid::Uuid::parse_str(&echoed).is_ok(), "{echoed}");
    // A long one is replaced too; a safe one is kept.
    let long = "a".repeat(65);
    let (_, echoed_long, _) = post_from(
        &app,
        "192.0.2.50",
        Some(&owner),
        &[("x-request-id", &long)],
        create_location("AMS2"),
    )
    .await;
    assert_ne!(echoed_long.as_deref(), Some(long.as_str()));
    let (_, kept, _) = post_from(
        &app,
        "192.0.2.50",
        Some(&owner),
        &[("x-request-id", "req-42.a_b")],
        create_location("AMS3"),
    )
    .await;
    assert_eq!(kept.as_deref(), Some("req-42.a_b"));

    let entries = audit_entries(&app, &owner).await;
    assert_eq!(entries.len(), 3, "{entries:#?}");
    for entry in &entries {
        assert_eq!(entry["clientIp"], "192.0.2.50", "{entry}");
    }
    let ids: Vec<&str> = entries
        .iter()
        .map(|e| e["requestId"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&echoed.as_str()), "{ids:?}");
    assert!(ids.contains(&"req-42.a_b"), "{ids:?}");
    assert!(!ids.iter().any(|id| id.contains('<') || id.len() > 64));
}

#[tokio::test]
async fn a_trusted_proxy_names_the_client_and_junk_never_becomes_an_address() {
    let app = TestApp::spawn_with(&["--trusted-proxies", "10.0.0.0/8,fd00::/8"]).await;
    let owner = app.owner(app.tenant("Acme").await);
    let headers = [("x-forwarded-for", "6.6.6.6, 203.0.113.7, 10.9.9.9")];
    post_from(
        &app,
        "10.0.0.2",
        Some(&owner),
        &headers,
        create_location("A1"),
    )
    .await;
    let junk = [("x-forwarded-for", "not-an-ip <script>")];
    post_from(&app, "10.0.0.2", Some(&owner), &junk, create_location("A2")).await;
    let forwarded = [("forwarded", "for=\"[2001:db8::7]:4711\";proto=https")];
    post_from(
        &app,
        "fd00::1",
        Some(&owner),
        &forwarded,
        create_location("A3"),
    )
    .await;
    let mut ips: Vec<String> = audit_entries(&app, &owner)
        .await
        .iter()
        .map(|e| e["clientIp"].as_str().unwrap().to_owned())
        .collect();
    ips.sort();
    assert_eq!(ips, ["10.0.0.2", "2001:db8::7", "203.0.113.7"]);
}

#[tokio::test]
async fn anonymous_callers_are_limited_per_address() {
    let app = TestApp::spawn_with(&[
        "--rate-limit-anonymous-rps",
        "0.01",
        "--rate-limit-anonymous-burst",
        "2",
    ])
    .await;
    let query = json!({ "query": "{ __typename }" });
    for _ in 0..2 {
        let (status, _, body) = post_from(&app, "192.0.2.1", None, &[], query.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, _, body) = post_from(&app, "192.0.2.1", None, &[], query.clone()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(code(&body), "RATE_LIMITED");
    // Another address, and a caller with a token, are not held up.
    let (status, _, _) = post_from(&app, "192.0.2.2", None, &[], query.clone()).await;
    assert_eq!(status, StatusCode::OK);
    let owner = app.owner(app.tenant("Acme").await);
    let (status, _, _) = post_from(&app, "192.0.2.1", Some(&owner), &[], query).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn only_authenticated_callers_teach_persisted_queries_and_only_their_tenant() {
    let app = TestApp::spawn().await;
    let document = format!(
        "{{ __typename }} # {}",
        "pad ".repeat(1000) + &uuid::Uuid::new_v4().to_string()
    );
    let hash = sha256_hex(&document);
    // Anonymous: the document runs, but is not kept.
    let (_, _, body) = post_from(
        &app,
        "192.0.2.1",
        None,
        &[],
        persisted(&hash, Some(&document)),
    )
    .await;
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
    let (_, _, body) = post_from(&app, "192.0.2.1", None, &[], persisted(&hash, None)).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");

    // A session teaches it to its own tenant only.
    let acme = app.owner(app.tenant("Acme").await);
    let other = app.owner(app.tenant("Other").await);
    app.post(Some(&acme), persisted(&hash, Some(&document)))
        .await;
    let (_, body) = app.post(Some(&acme), persisted(&hash, None)).await;
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
    let (_, body) = app.post(Some(&other), persisted(&hash, None)).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
    let (_, _, body) = post_from(&app, "192.0.2.1", None, &[], persisted(&hash, None)).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
}

#[tokio::test]
async fn a_tenant_past_its_persisted_bytes_runs_documents_without_keeping_them() {
    let app = TestApp::spawn_with(&["--persisted-tenant-max-bytes", "3000"]).await;
    let owner = app.owner(app.tenant("Acme").await);
    let run = uuid::Uuid::new_v4();
    let documents: Vec<String> = (0..3)
        .map(|i| format!("{{ __typename }} # {run} {i} {}", "x".repeat(1200)))
        .collect();
    for document in &documents {
        let (_, body) = app
            .post(
                Some(&owner),
                persisted(&sha256_hex(document), Some(document)),
            )
            .await;
        assert_eq!(body["data"]["__typename"], "Query", "{body}");
    }
    let mut kept = 0;
    for document in &documents {
        let (_, body) = app
            .post(Some(&owner), persisted(&sha256_hex(document), None))
            .await;
        if body["data"]["__typename"] == "Query" {
            kept += 1;
        } else {
            assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
        }
    }
    assert_eq!(kept, 2, "3000 bytes hold two documents of about 1,250");
}

#[tokio::test]
async fn a_huge_syntax_error_gets_a_short_answer() {
    let app = TestApp::spawn().await;
    let document = format!("{{ me {{ subject }} {} !!! }}", "x".repeat(1_860_000));
    for token in [None, Some(app.owner(app.tenant("Acme").await))] {
        let (status, _, body) = post_from(
            &app,
            "192.0.2.1",
            token.as_deref(),
            &[],
            json!({ "query": document }),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let text = body.to_string();
        assert!(text.len() < 2_000, "{} bytes of error body", text.len());
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        let message = body["errors"][0]["message"].as_str().unwrap();
        assert!(
            message.starts_with("syntax error at line 1, column"),
            "{message}"
        );
    }
    // A validation error naming a huge field is clipped too.
    let owner = app.owner(app.tenant("Other").await);
    let (_, body) = app
        .post(
            Some(&owner),
            json!({ "query": format!("{{ {} }}", "y".repeat(100_000)) }),
        )
        .await;
    assert!(body.to_string().len() < 2_000, "{body}");
}

#[tokio::test]
async fn a_rate_limited_mutation_is_counted_in_metrics_not_audited() {
    let app = TestApp::spawn_with(&[
        "--rate-limit-tenant-rps",
        "0.01",
        "--rate-limit-tenant-burst",
        "3",
    ])
    .await;
    let owner = app.owner(app.tenant("Acme").await);
    let before = pos::metrics::metrics().render(Default::default());
    let (status, _, _) =
        post_from(&app, "192.0.2.1", Some(&owner), &[], create_location("A1")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, body) =
        post_from(&app, "192.0.2.1", Some(&owner), &[], create_location("A2")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) =
        post_from(&app, "192.0.2.1", Some(&owner), &[], create_location("A3")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _, body) =
        post_from(&app, "192.0.2.1", Some(&owner), &[], create_location("A4")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let after = pos::metrics::metrics().render(Default::default());
    assert!(
        refused(&after) > refused(&before),
        "pos_rate_limited_total{{scope=\"tenant\"}} rises"
    );
    // The three accepted mutations are audited; the refused one is not
    // (the log is read below HTTP: the tenant's bucket is empty).
    let session = pos::auth::Session::from(app.state.keys.verify(&owner).unwrap());
    let body = app.exec(&session, AUDIT, json!({})).await;
    let ops: Vec<&str> = body["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["node"]["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["OK", "OK", "OK"], "{body}");
}

fn refused(metrics: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with("pos_rate_limited_total{scope=\"tenant\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test]
async fn a_token_for_a_tenant_that_does_not_exist_is_refused_at_the_door() {
    let app = TestApp::spawn().await;
    let ghost = app.owner(uuid::Uuid::now_v7());
    let (status, _, body) =
        post_from(&app, "192.0.2.1", Some(&ghost), &[], create_location("A1")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(code(&body), "UNAUTHENTICATED");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("tenant does not exist"),
        "{body}"
    );
    // A tenant that exists is served.
    let tenant = app.tenant("Late").await;
    let owner = app.owner(tenant);
    let (status, _, body) =
        post_from(&app, "192.0.2.1", Some(&owner), &[], create_location("A1")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["data"]["createLocation"]["id"].is_string(), "{body}");
}

#[tokio::test]
async fn in_production_nothing_is_learned_and_only_registered_operations_run_by_hash() {
    let app = TestApp::spawn_with(&["--env", "production"]).await;
    let owner = app.owner(app.tenant("Acme").await);
    let document = format!("{{ __typename }} # {}", uuid::Uuid::new_v4());
    let hash = sha256_hex(&document);
    let (_, body) = app
        .post(Some(&owner), persisted(&hash, Some(&document)))
        .await;
    assert_eq!(body["data"]["__typename"], "Query", "{body}");
    let (_, body) = app.post(Some(&owner), persisted(&hash, None)).await;
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND", "{body}");
}

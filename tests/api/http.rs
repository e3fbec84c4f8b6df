//! The HTTP surface: playground, probes, limits and method rules.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, code};

#[tokio::test]
async fn the_playground_loads_without_a_token() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .send(Request::get("/").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    let html = body.as_str().unwrap_or_default();
    assert!(
        html.contains("graphiql") || html.contains("GraphiQL"),
        "{html}"
    );
    assert!(html.contains("/graphql"));
}

#[tokio::test]
async fn probes_report_health_and_readiness() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, body) = app
        .send(Request::get("/readyz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["database"], "ok");
    let expected_redis = if app.config.redis_url.is_some() {
        "ok"
    } else {
        "disabled"
    };
    assert_eq!(body["redis"], expected_redis);
}

#[tokio::test]
async fn an_unreachable_redis_degrades_readiness_but_keeps_the_replica_in_rotation() {
    // Nothing listens on port 1.
    let app = TestApp::spawn_with(&["--redis-url", "redis://127.0.0.1:1"]).await;
    let (status, body) = app
        .send(Request::get("/readyz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["redis"], "unavailable");
    assert_eq!(body["database"], "ok");
}

#[tokio::test]
async fn readiness_fails_while_draining_for_shutdown() {
    let app = TestApp::spawn().await;
    app.state
        .draining
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let (status, body) = app
        .send(Request::get("/readyz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "draining");
    let (status, _) = app
        .send(Request::get("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(status, StatusCode::OK, "still alive while draining");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let response = tower::ServiceExt::oneshot(
        app.router.clone(),
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await
    .unwrap();
    let id = response.headers().get("x-request-id").expect("request id");
    assert!(uuid::Uuid::parse_str(id.to_str().unwrap()).is_ok());
    // A client-supplied id is kept, so logs can be joined across services.
    let response = tower::ServiceExt::oneshot(
        app.router.clone(),
        Request::get("/healthz")
            .header("x-request-id", "abc-123")
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(response.headers()["x-request-id"], "abc-123");
}

#[tokio::test]
async fn queries_work_over_get_but_mutations_do_not() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let get = |query: &str| get_graphql(&owner, query);
    let (status, body) = app.send(get("{ me { subject } }")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["me"]["subject"], "user-1");
    let (status, body) = app
        .send(get(
            "mutation { revokeTerminal(id: \"00000000-0000-0000-0000-000000000000\") { id } }",
        ))
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    assert_eq!(code(&body), "BAD_USER_INPUT");
}

/// Parsed documents are kept by text: the second time a document comes, it
/// answers for its own variables, a GET still cannot mutate, and a syntax
/// error is still reported as one.
#[tokio::test]
async fn a_repeated_document_runs_with_its_own_variables() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let query = "query Place($id: ID!) { location(id: $id) { code } }";
    for code in ["NORTH", "SOUTH", "EAST"] {
        let id = app.create_location(&owner, code).await;
        let body = app.gql(&owner, query, json!({ "id": id })).await;
        assert_eq!(body["data"]["location"]["code"], code, "{body}");
    }
    let mutation =
        "mutation { revokeTerminal(id: \"00000000-0000-0000-0000-000000000000\") { id } }";
    let (status, body) = app.post(Some(&owner), json!({ "query": mutation })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = app.send(get_graphql(&owner, mutation)).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
    for _ in 0..2 {
        let (_, body) = app
            .post(Some(&owner), json!({ "query": "{ me { subject }" }))
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("expected"),
            "{body}"
        );
    }
}

/// `GET /graphql?query=…` with `token`.
fn get_graphql(token: &str, query: &str) -> Request<Body> {
    Request::get(format!("/graphql?query={}", urlencode(query)))
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn batches_are_capped() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let op = json!({ "query": "{ me { subject } }" });
    let (status, body) = app
        .post(Some(&owner), Value::Array(vec![op.clone(); 3]))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_array().map(Vec::len), Some(3), "{body}");
    let (status, body) = app.post(Some(&owner), Value::Array(vec![op; 11])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413() {
    let app = TestApp::spawn().await;
    let padding = "x".repeat(3 * 1024 * 1024);
    let (status, _) = app
        .post(
            None,
            json!({ "query": "{ me { subject } }", "variables": { "pad": padding } }),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn deep_and_wide_documents_are_refused_before_execution() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    // Location -> terminals -> Terminal -> location -> ... is a real cycle.
    let hop = "terminals { edges { node { location { ";
    let nest = |hops: usize| {
        format!(
            "{{ locations {{ edges {{ node {{ {}id{} }} }} }} }}",
            hop.repeat(hops),
            " } } } }".repeat(hops)
        )
    };
    let body = app.gql(&owner, &nest(4), json!({})).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deep"),
        "{body}"
    );
    assert!(body["data"].is_null());
    // Yet the introspection query of current GraphQL tools (nine levels of
    // `ofType`) is deep enough.
    let of_type = |n: usize| format!("{}name{}", "ofType { ".repeat(n), " }".repeat(n));
    let body = app
        .gql(
            &owner,
            &format!(
                "{{ __schema {{ types {{ fields {{ type {{ {} }} }} }} }} }}",
                of_type(9)
            ),
            json!({}),
        )
        .await;
    assert!(body["data"]["__schema"].is_object(), "{body}");
    // Depth 50 and beyond is cut off while parsing.
    let body = app.gql(&owner, &nest(13), json!({})).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("recursion depth"),
        "{body}"
    );
    assert!(body["data"].is_null());

    let aliases: String = (0..1000)
        .map(|i| format!("a{i}: locations {{ edges {{ node {{ id }} }} }} "))
        .collect();
    let body = app
        .gql(&owner, &format!("{{ {aliases} }}"), json!({}))
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("complex"),
        "{body}"
    );
    assert!(body["data"].is_null());

    let directives = "@include(if: true) ".repeat(10_000);
    let body = app
        .gql(
            &owner,
            &format!("{{ me {directives} {{ subject }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("directives"),
        "{body}"
    );
    assert!(body["data"].is_null());
}

#[tokio::test]
async fn malformed_requests_get_a_coded_error() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .send(
            Request::post("/graphql")
                .header("content-type", "application/json")
                .body(Body::from("{not json"))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&body), "BAD_USER_INPUT");
    let (status, body) = app.post(None, json!({ "query": "{ me { " })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn introspection_is_public_in_development_and_needs_a_token_in_production() {
    let query = json!({ "query": "{ __schema { queryType { name } } }" });
    let dev = TestApp::spawn().await;
    let (_, body) = dev.post(None, query.clone()).await;
    assert_eq!(
        body["data"]["__schema"]["queryType"]["name"], "Query",
        "{body}"
    );

    let prod = TestApp::spawn_with(&["--env", "production"]).await;
    let (_, body) = prod.post(None, query.clone()).await;
    assert!(
        body["data"].is_null() || body["data"]["__schema"].is_null(),
        "{body}"
    );
    let owner = prod.owner(prod.tenant("Acme").await);
    let body = prod
        .gql(&owner, query["query"].as_str().unwrap(), json!({}))
        .await;
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");

    let off = TestApp::spawn_with(&["--introspection", "off"]).await;
    let owner = off.owner(off.tenant("Acme").await);
    let body = off
        .gql(&owner, query["query"].as_str().unwrap(), json!({}))
        .await;
    assert!(
        body["data"].is_null() || body["data"]["__schema"].is_null(),
        "{body}"
    );
}

#[tokio::test]
async fn field_names_are_suggested_only_where_introspection_is_public() {
    let typo = json!({ "query": "{ locatoins { edges { cursor } } }" });
    let dev = TestApp::spawn().await;
    let (_, body) = dev.post(None, typo.clone()).await;
    assert!(body.to_string().contains("Did you mean"), "{body}");
    for extra in [
        &["--env", "production"][..],
        &["--introspection", "off"][..],
        &["--introspection", "authenticated"][..],
    ] {
        let app = TestApp::spawn_with(extra).await;
        let (_, body) = app.post(None, typo.clone()).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{extra:?}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains("locatoins"), "{extra:?}: {body}");
        assert!(!message.contains("Did you mean"), "{extra:?}: {body}");
        assert!(!message.contains("\"locations\""), "{extra:?}: {body}");
    }
}

#[tokio::test]
async fn the_server_answers_over_a_real_socket() {
    let helper = TestApp::spawn().await;
    let tenant = helper.tenant("Acme").await;
    let owner = helper.owner(tenant);
    let app = pos::startup::Application::build(helper.config.clone())
        .await
        .unwrap();
    let port = app.port();
    let server = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let body: Value = client
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .bearer_auth(&owner)
        .json(&json!({ "query": "{ me { tenantId } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["data"]["me"]["tenantId"], tenant.to_string());
    server.abort();
}

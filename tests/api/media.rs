//! GraphQL over HTTP media types: what a POST must declare, and the
//! response type and status the client's `Accept` chooses.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::helpers::{TestApp, code};

struct Answer {
    status: StatusCode,
    content_type: String,
    body: Value,
}

async fn post(
    app: &TestApp,
    content_type: Option<&str>,
    accept: Option<&str>,
    body: &str,
) -> Answer {
    let mut request = Request::post("/graphql");
    if let Some(t) = content_type {
        request = request.header(header::CONTENT_TYPE, t);
    }
    if let Some(a) = accept {
        request = request.header(header::ACCEPT, a);
    }
    let response = app
        .router
        .clone()
        .oneshot(request.body(Body::from(body.to_owned())).unwrap())
        .await
        .expect("response");
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        content_type,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

const TYPENAME: &str = r#"{"query":"{ __typename }"}"#;

#[tokio::test]
async fn a_post_that_is_not_json_gets_415_before_its_body_is_read() {
    let app = TestApp::spawn().await;
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let a = post(&app, content_type, None, TYPENAME).await;
        assert_eq!(
            a.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type:?}"
        );
        assert_eq!(code(&a.body), "BAD_USER_INPUT", "{content_type:?}");
    }
    let a = post(
        &app,
        Some("application/json; charset=utf-8"),
        None,
        TYPENAME,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.body, json!({ "data": { "__typename": "Query" } }));
}

#[tokio::test]
async fn the_response_type_follows_accept() {
    let app = TestApp::spawn().await;
    let json_type = "application/json; charset=utf-8";
    let graphql_type = "application/graphql-response+json; charset=utf-8";
    for (accept, expected) in [
        (None, json_type),
        (Some("*/*"), json_type),
        (Some("application/json"), json_type),
        (Some("application/graphql-response+json"), graphql_type),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            graphql_type,
        ),
        (
            Some("application/json, application/graphql-response+json"),
            json_type,
        ),
    ] {
        let a = post(&app, Some("application/json"), accept, TYPENAME).await;
        assert_eq!(a.status, StatusCode::OK, "{accept:?}");
        assert_eq!(a.content_type, expected, "{accept:?}");
    }
}

#[tokio::test]
async fn a_document_that_fails_before_execution_gets_400_without_data_in_the_graphql_type() {
    let app = TestApp::spawn().await;
    let graphql = Some("application/graphql-response+json");
    for query in ["{ __typename ", "{ noSuchField }"] {
        let body = json!({ "query": query }).to_string();
        let a = post(&app, Some("application/json"), graphql, &body).await;
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(a.body.get("data").is_none(), "{query}: {}", a.body);
        assert_eq!(code(&a.body), "BAD_USER_INPUT", "{query}");
        // Legacy clients (application/json) keep 200 and `data: null`.
        let a = post(
            &app,
            Some("application/json"),
            Some("application/json"),
            &body,
        )
        .await;
        assert_eq!(a.status, StatusCode::OK, "{query}");
        assert!(a.body["data"].is_null());
    }
    // An error during execution is still 200, with data.
    let a = post(
        &app,
        Some("application/json"),
        graphql,
        r#"{"query":"{ me { subject } }"}"#,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.body);
    assert_eq!(code(&a.body), "UNAUTHENTICATED");
    assert!(a.body.get("data").is_some());
}

/// The body as the client reads it, byte for byte.
async fn raw(app: &TestApp, token: &str, query: &str) -> String {
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::from(json!({ "query": query }).to_string()))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.expect("response");
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn keys_come_back_in_the_order_of_the_selection_set() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("Acme").await;
    let token = app.owner(tenant);
    let at = |body: &str, key: &str| {
        body.find(&format!("\"{key}\""))
            .unwrap_or_else(|| panic!("{key} missing: {body}"))
    };
    let body = raw(&app, &token, "{ me { tenantId roles } }").await;
    assert!(at(&body, "tenantId") < at(&body, "roles"), "{body}");
    let body = raw(&app, &token, "{ me { roles tenantId } }").await;
    assert!(at(&body, "roles") < at(&body, "tenantId"), "{body}");
    // Root fields and aliases too, including the error path's shape.
    let body = raw(&app, &token, "{ z: __typename a: me { subject } }").await;
    assert!(at(&body, "z") < at(&body, "a"), "{body}");
}

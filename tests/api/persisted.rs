//! Persisted queries: Apollo's automatic persisted queries for every
//! client (shared through Redis when configured), and registered-only
//! operations for device tokens.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use pos::graphql::persisted::sha256_hex;
use serde_json::{Value, json};

use crate::helpers::{TestApp, code};

const ME: &str = "query Me { me { tenantId terminalId } }";

pub fn persisted(hash: &str, query: Option<&str>) -> Value {
    let mut body =
        json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
    if let Some(query) = query {
        body["query"] = json!(query);
    }
    body
}

#[tokio::test]
async fn a_hash_is_learned_once_and_then_runs_alone() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    // A document of this run only: Redis keeps learned documents for a
    // while, and an earlier run's would be known already.
    let me = format!("{ME} # run {}", uuid::Uuid::new_v4());
    let me = me.as_str();
    let hash = sha256_hex(me);

    let (status, body) = app.post(Some(&owner), persisted(&hash, None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(code(&body), "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(body["errors"][0]["message"], "PersistedQueryNotFound");

    let (_, body) = app.post(Some(&owner), persisted(&hash, Some(me))).await;
    assert!(body["data"]["me"]["tenantId"].is_string(), "{body}");
    let (_, body) = app.post(Some(&owner), persisted(&hash, None)).await;
    assert!(body["data"]["me"]["tenantId"].is_string(), "{body}");
    // Upper-case hex names the same document.
    let (_, body) = app
        .post(Some(&owner), persisted(&hash.to_uppercase(), None))
        .await;
    assert!(body["data"]["me"]["tenantId"].is_string(), "{body}");

    // A second replica knows it through Redis, when there is one.
    if app.config.redis_url.is_some() {
        let replica = app.second_instance().await;
        let (_, body) = replica.post(Some(&owner), persisted(&hash, None)).await;
        assert!(body["data"]["me"]["tenantId"].is_string(), "{body}");
    }

    // Lies and nonsense are refused.
    let other = sha256_hex("{ me { subject } }");
    let (_, body) = app.post(Some(&owner), persisted(&other, Some(me))).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    for bad in [
        json!({ "version": 2, "sha256Hash": hash }),
        json!({ "sha256Hash": "xyz" }),
        json!("nope"),
    ] {
        let (status, body) = app
            .post(
                Some(&owner),
                json!({ "extensions": { "persistedQuery": bad } }),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    }
}

#[tokio::test]
async fn a_persisted_mutation_still_needs_post() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let mutation = "mutation { updateTenantSettings(input: { name: \"X\" }) { name } }";
    let hash = sha256_hex(mutation);
    let (_, body) = app
        .post(Some(&owner), persisted(&hash, Some(mutation)))
        .await;
    assert_eq!(body["data"]["updateTenantSettings"]["name"], "X", "{body}");
    let extensions = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } }).to_string();
    let uri = format!("/graphql?extensions={}", url_escape(&extensions));
    let request = Request::get(uri)
        .header("authorization", format!("Bearer {owner}"))
        .body(Body::empty())
        .unwrap();
    let (status, body) = app.send(request).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
}

fn url_escape(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn terminals_may_run_only_registered_operations() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("operations.json");
    std::fs::write(
        &manifest,
        json!({ "format": "apollo-persisted-query-manifest", "version": 1,
                "operations": [{ "id": sha256_hex(ME), "name": "Me", "type": "query", "body": ME }] })
        .to_string(),
    )
    .unwrap();
    let path = manifest.display().to_string();
    let app = TestApp::spawn_with(&[
        "--persisted-queries-file",
        &path,
        "--device-registered-only",
        "true",
    ])
    .await;
    let owner = app.owner(app.tenant("Acme").await);
    let location = app.create_location(&owner, "S1").await;
    let terminal = app.create_terminal(&owner, &location, "T1").await;
    let device = app.device_token(&owner, &terminal).await;

    // The registered operation, by hash alone or with its text.
    let (_, body) = app
        .post(Some(&device), persisted(&sha256_hex(ME), None))
        .await;
    assert_eq!(
        body["data"]["me"]["terminalId"],
        terminal.as_str(),
        "{body}"
    );
    let (_, body) = app
        .post(Some(&device), persisted(&sha256_hex(ME), Some(ME)))
        .await;
    assert_eq!(
        body["data"]["me"]["terminalId"],
        terminal.as_str(),
        "{body}"
    );

    // Anything else, even a hash it registers on the spot, is refused.
    let (status, body) = app.post(Some(&device), json!({ "query": ME })).await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "FORBIDDEN"),
        "{body}"
    );
    let own = "{ me { subject } }";
    let (status, body) = app
        .post(Some(&device), persisted(&sha256_hex(own), Some(own)))
        .await;
    assert_eq!(
        (status, code(&body)),
        (StatusCode::FORBIDDEN, "FORBIDDEN"),
        "{body}"
    );
    let (_, body) = app
        .post(
            Some(&device),
            persisted(&sha256_hex(ME), Some("{ me { subject } }")),
        )
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");

    // Over a WebSocket the connection's device session is held to the same
    // list: a document's text must be a registered one.
    let session = pos::auth::Session::from(app.state.keys.verify(&device).unwrap());
    let mut data = async_graphql::Data::default();
    pos::graphql::session_data(&mut data, &app.state.db, &session);
    let data = std::sync::Arc::new(data);
    let over_ws = |query: &'static str| {
        let schema = app.state.schema.clone();
        let data = data.clone();
        async move {
            let mut stream =
                schema.execute_stream_with_session_data(async_graphql::Request::new(query), data);
            serde_json::to_value(futures_util::StreamExt::next(&mut stream).await.unwrap()).unwrap()
        }
    };
    let refused = over_ws("subscription { catalogChanged { version } }").await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
    let allowed = over_ws(ME).await;
    assert_eq!(
        allowed["data"]["me"]["terminalId"],
        terminal.as_str(),
        "{allowed}"
    );

    // Staff are not restricted.
    let (_, body) = app
        .post(Some(&owner), json!({ "query": "{ me { subject } }" }))
        .await;
    assert_eq!(body["data"]["me"]["subject"], "user-1", "{body}");
}

#[tokio::test]
async fn a_manifest_entry_under_another_hash_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("operations.json");
    std::fs::write(
        &manifest,
        json!({ sha256_hex(ME): "{ me { subject } }" }).to_string(),
    )
    .unwrap();
    let url = format!("sqlite://{}/pos.db?mode=rwc", dir.path().display());
    let path = manifest.display().to_string();
    let config = pos::config::Config::from_env_and([
        "--database-url",
        &url,
        "--jwt-secret",
        crate::helpers::TEST_SECRET,
        "--persisted-queries-file",
        &path,
    ])
    .unwrap();
    let err = pos::startup::AppState::new(config)
        .await
        .err()
        .expect("refused");
    assert!(err.to_string().contains("not the SHA-256"), "{err}");
    // Registered-only without a manifest is refused too.
    let config = pos::config::Config::from_env_and([
        "--database-url",
        &url,
        "--jwt-secret",
        crate::helpers::TEST_SECRET,
        "--device-registered-only",
        "true",
    ])
    .unwrap();
    assert!(pos::startup::AppState::new(config).await.is_err());
}

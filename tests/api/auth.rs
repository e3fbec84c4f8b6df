//! Token verification: every bad token is refused with 401 and
//! UNAUTHENTICATED; roles are enforced with FORBIDDEN.

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use pos::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TEST_SECRET, TestApp, code, location_input};

const ME: &str = "{ me { tenantId subject roles } }";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims(tenant: Uuid) -> Value {
    json!({
        "iss": "pos", "aud": "pos-api", "sub": "mallory",
        "iat": now(), "exp": now() + 600, "tid": tenant, "roles": ["OWNER"],
    })
}

fn sign_hs(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

async fn assert_refused(app: &TestApp, token: &str) {
    let (status, body) = app.post(Some(token), json!({ "query": ME })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(code(&body), "UNAUTHENTICATED");
    assert!(body.get("data").is_none(), "nothing executed: {body}");
}

#[tokio::test]
async fn a_valid_token_identifies_the_caller() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("Acme").await;
    let body = app.gql(&app.owner(tenant), ME, json!({})).await;
    assert_eq!(body["data"]["me"]["tenantId"], tenant.to_string());
    assert_eq!(body["data"]["me"]["roles"], json!(["OWNER"]));
}

#[tokio::test]
async fn a_request_without_a_token_gets_unauthenticated() {
    let app = TestApp::spawn().await;
    let (status, body) = app.post(None, json!({ "query": ME })).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(code(&body), "UNAUTHENTICATED");
    assert_eq!(body["data"], Value::Null);
}

#[tokio::test]
async fn expired_wrong_audience_wrong_issuer_and_future_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("Acme").await;
    let mut cases = Vec::new();
    let mut expired = claims(tenant);
    expired["exp"] = json!(now() - 120); // beyond the 60 s leeway
    cases.push(expired);
    let mut audience = claims(tenant);
    audience["aud"] = json!("another-api");
    cases.push(audience);
    let mut no_audience = claims(tenant);
    no_audience.as_object_mut().unwrap().remove("aud");
    cases.push(no_audience);
    let mut issuer = claims(tenant);
    issuer["iss"] = json!("someone-else");
    cases.push(issuer);
    let mut not_yet = claims(tenant);
    not_yet["nbf"] = json!(now() + 600);
    cases.push(not_yet);
    let mut string_exp = claims(tenant);
    string_exp["exp"] = json!((now() + 600).to_string());
    cases.push(string_exp);
    let mut string_nbf = claims(tenant);
    string_nbf["nbf"] = json!(now().to_string());
    cases.push(string_nbf);
    let mut no_sub = claims(tenant);
    no_sub.as_object_mut().unwrap().remove("sub");
    cases.push(no_sub);
    for case in cases {
        assert_refused(&app, &sign_hs(&case, TEST_SECRET.as_bytes())).await;
    }
    // The control: the same claims, unmodified, are accepted.
    let (status, _) = app
        .post(
            Some(&sign_hs(&claims(tenant), TEST_SECRET.as_bytes())),
            json!({ "query": ME }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_token_accepted_before_is_refused_once_it_expires() {
    // Verified tokens are remembered; the expiry is still checked on reuse.
    let app = TestApp::spawn_with(&["--jwt-leeway-secs", "0"]).await;
    let tenant = app.tenant("Acme").await;
    let mut short = claims(tenant);
    short["exp"] = json!(now() + 2);
    let token = sign_hs(&short, TEST_SECRET.as_bytes());
    for _ in 0..2 {
        let (status, body) = app.post(Some(&token), json!({ "query": ME })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["data"]["me"]["tenantId"], tenant.to_string());
    }
    tokio::time::sleep(std::time::Duration::from_millis(3_100)).await;
    assert_refused(&app, &token).await;
    // A token that differs by one byte of its signature was never verified.
    let fresh = sign_hs(&claims(tenant), TEST_SECRET.as_bytes());
    let (status, _) = app.post(Some(&fresh), json!({ "query": ME })).await;
    assert_eq!(status, StatusCode::OK);
    let mut forged = fresh.clone().into_bytes();
    let at = forged.len() - 5;
    forged[at] = if forged[at] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    assert_refused(&app, &forged).await;
}

#[tokio::test]
async fn alg_none_and_a_wrong_key_are_refused() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("Acme").await;
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims(tenant).to_string());
    assert_refused(&app, &format!("{header}.{payload}.")).await;
    assert_refused(
        &app,
        &sign_hs(&claims(tenant), b"another-secret-of-thirty-two-bytes!!"),
    )
    .await;
    assert_refused(&app, "not-a-jwt").await;
    let (status, body) = app
        .send(
            axum::http::Request::post("/graphql")
                .header("content-type", "application/json")
                .header("authorization", "Basic dXNlcjpwYXNz")
                .body(axum::body::Body::from(json!({ "query": ME }).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn public_keys_are_chosen_by_kid_and_their_algorithm_is_fixed() {
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let jwks = format!("{fixtures}/jwks.json");
    let app = TestApp::spawn_with(&["--jwt-public-keys", &jwks]).await;
    let tenant = app.tenant("Acme").await;
    let rsa_private = std::fs::read(format!("{fixtures}/rsa-private.pem")).unwrap();
    let ed_private = std::fs::read(format!("{fixtures}/ed25519-private.pem")).unwrap();
    let rsa_public = std::fs::read(format!("{fixtures}/rsa-public.pem")).unwrap();

    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rsa-1".into());
    let rs = jsonwebtoken::encode(
        &header,
        &claims(tenant),
        &EncodingKey::from_rsa_pem(&rsa_private).unwrap(),
    )
    .unwrap();
    let (status, body) = app.post(Some(&rs), json!({ "query": ME })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["me"]["tenantId"], tenant.to_string());

    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("ed-1".into());
    let ed = jsonwebtoken::encode(
        &header,
        &claims(tenant),
        &EncodingKey::from_ed_pem(&ed_private).unwrap(),
    )
    .unwrap();
    let (status, _) = app.post(Some(&ed), json!({ "query": ME })).await;
    assert_eq!(status, StatusCode::OK);

    // The classic confusion attack: HS256 "signed" with the RSA public key.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa-1".into());
    let confused = jsonwebtoken::encode(
        &header,
        &claims(tenant),
        &EncodingKey::from_secret(&rsa_public),
    )
    .unwrap();
    assert_refused(&app, &confused).await;

    // A kid nobody configured.
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("rsa-unknown".into());
    let unknown = jsonwebtoken::encode(
        &header,
        &claims(tenant),
        &EncodingKey::from_rsa_pem(&rsa_private).unwrap(),
    )
    .unwrap();
    assert_refused(&app, &unknown).await;

    // The Ed25519 key presented under the RSA kid.
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("rsa-1".into());
    let swapped = jsonwebtoken::encode(
        &header,
        &claims(tenant),
        &EncodingKey::from_ed_pem(&ed_private).unwrap(),
    )
    .unwrap();
    assert_refused(&app, &swapped).await;
}

#[tokio::test]
async fn a_cashier_cannot_create_a_location() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("Acme").await;
    let cashier = app.token(tenant, &[Role::Cashier]);
    let body = app
        .gql(
            &cashier,
            crate::helpers::CREATE_LOCATION,
            json!({ "input": location_input("AMS1") }),
        )
        .await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    let listed = app
        .gql(
            &app.owner(tenant),
            "{ locations { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["data"]["locations"]["edges"],
        json!([]),
        "nothing was written"
    );
    // A cashier may still read.
    let read = app
        .gql(
            &cashier,
            "{ locations { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert!(read.get("errors").is_none(), "{read}");
}

#[tokio::test]
async fn a_device_token_works_until_its_terminal_is_revoked() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("Acme").await;
    let owner = app.owner(tenant);
    let location = app.create_location(&owner, "AMS1").await;
    let terminal = app.create_terminal(&owner, &location, "T01").await;
    let device = app.device_token(&owner, &terminal).await;

    let body = app
        .gql(&device, "{ me { terminalId locationId roles } }", json!({}))
        .await;
    assert_eq!(body["data"]["me"]["terminalId"], terminal);
    assert_eq!(body["data"]["me"]["locationId"], location);

    // Devices cannot do staff work.
    let staff_only = app
        .gql(
            &device,
            "{ locations { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&staff_only), "FORBIDDEN");
    let mutation = app
        .gql(
            &device,
            crate::helpers::CREATE_LOCATION,
            json!({ "input": location_input("X1") }),
        )
        .await;
    assert_eq!(code(&mutation), "FORBIDDEN");

    app.gql(
        &owner,
        "mutation($id: ID!) { revokeTerminal(id: $id) { status } }",
        json!({ "id": terminal }),
    )
    .await;
    assert_refused(&app, &device).await;
}

#[tokio::test]
async fn a_device_token_for_a_terminal_of_another_tenant_is_refused() {
    let app = TestApp::spawn().await;
    let a = app.tenant("A").await;
    let b = app.tenant("B").await;
    let owner_b = app.owner(b);
    let location = app.create_location(&owner_b, "B1").await;
    let terminal = app.create_terminal(&owner_b, &location, "T01").await;
    // A device token that claims B's terminal but tenant A.
    let forged = app
        .state
        .keys
        .sign(
            a,
            "terminal",
            vec![],
            Some((terminal.parse().unwrap(), location.parse().unwrap())),
            std::time::Duration::from_secs(60),
        )
        .unwrap()
        .0;
    assert_refused(&app, &forged).await;
}

#[test]
fn production_refuses_the_development_secret() {
    let config = pos::config::Config::from_env_and([
        "--env",
        "production",
        "--jwt-secret",
        pos::config::DEV_JWT_SECRET,
    ])
    .unwrap();
    assert!(pos::auth::Keys::from_config(&config).is_err());
    let unset = pos::config::Config::from_env_and(["--env", "production"]).unwrap();
    if unset.jwt_secret.is_none() && unset.jwt_public_keys.is_none() {
        assert!(pos::auth::Keys::from_config(&unset).is_err());
    }
    let short = pos::config::Config::from_env_and(["--jwt-secret", "short"]).unwrap();
    assert!(pos::auth::Keys::from_config(&short).is_err());
}

#[test]
fn the_leeway_cannot_exceed_sixty_seconds() {
    assert!(pos::config::Config::from_env_and(["--jwt-leeway-secs", "61"]).is_err());
}

#[tokio::test]
async fn the_token_command_mints_staff_and_device_tokens() {
    use pos::cli::TokenArgs;
    let app = TestApp::spawn().await;
    let tenant = app.tenant("Acme").await;
    let owner = app.owner(tenant);
    let location = app.create_location(&owner, "AMS1").await;
    let terminal = app.create_terminal(&owner, &location, "T01").await;
    let args = |terminal: Option<Uuid>, roles: Vec<Role>| TokenArgs {
        tenant,
        sub: "cli".into(),
        roles,
        terminal,
        ttl: std::time::Duration::from_secs(300),
    };

    let staff = pos::cli::mint_token(&app.config, args(None, vec![Role::Manager]))
        .await
        .unwrap();
    let body = app.gql(&staff, ME, json!({})).await;
    assert_eq!(body["data"]["me"]["roles"], json!(["MANAGER"]));

    let device = pos::cli::mint_token(&app.config, args(terminal.parse().ok(), vec![]))
        .await
        .unwrap();
    let body = app
        .gql(&device, "{ me { terminalId locationId } }", json!({}))
        .await;
    assert_eq!(body["data"]["me"]["terminalId"], terminal);
    assert_eq!(body["data"]["me"]["locationId"], location);

    assert!(
        pos::cli::mint_token(&app.config, args(None, vec![]))
            .await
            .is_err()
    );
    let unknown = pos::cli::mint_token(&app.config, args(Some(Uuid::now_v7()), vec![])).await;
    assert!(unknown.is_err());
    // A tenant that does not exist (another folder's database, a typo) gets
    // no token, staff or device.
    let stranger = TokenArgs {
        tenant: Uuid::now_v7(),
        ..args(None, vec![Role::Owner])
    };
    let err = pos::cli::mint_token(&app.config, stranger)
        .await
        .expect_err("no such tenant")
        .to_string();
    assert!(err.contains("no tenant"), "{err}");
}

#[tokio::test]
#[ignore = "needs Redis (POS_REDIS_URL): run with --ignored needs_redis"]
async fn needs_redis_a_revocation_reaches_every_replica() {
    let first = TestApp::spawn().await;
    assert!(
        first.config.redis_url.is_some(),
        "set POS_REDIS_URL: replicas share changes through Redis"
    );
    let second = first.second_instance().await;
    let owner = first.owner(first.tenant("Acme").await);
    let location = first.create_location(&owner, "AMS1").await;
    let terminal = first.create_terminal(&owner, &location, "T01").await;
    let device = first.device_token(&owner, &terminal).await;
    // Both replicas have checked (and cached) the terminal.
    for app in [&first, &second] {
        let (status, _) = app.post(Some(&device), json!({ "query": ME })).await;
        assert_eq!(status, StatusCode::OK);
    }
    first
        .gql(
            &owner,
            "mutation($id: ID!) { revokeTerminal(id: $id) { status } }",
            json!({ "id": terminal }),
        )
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let (status, _) = second.post(Some(&device), json!({ "query": ME })).await;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "revoked terminal still accepted after 1 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

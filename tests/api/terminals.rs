//! Terminals: registration, listing, revocation and device tokens.

use serde_json::json;

use crate::helpers::{CREATE_TERMINAL, TestApp, code};

#[tokio::test]
async fn a_terminal_is_registered_at_a_location_and_listed_there() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let ams = app.create_location(&owner, "AMS1").await;
    let rtm = app.create_location(&owner, "RTM1").await;
    let t1 = app.create_terminal(&owner, &ams, "T01").await;
    let t2 = app.create_terminal(&owner, &ams, "T02").await;
    let t3 = app.create_terminal(&owner, &rtm, "T01").await;

    let body = app
        .gql(
            &owner,
            "query($l: ID!) { location(id: $l) { terminals { edges { node { id code location { code } } } } } terminals { edges { node { id location { code } } } } }",
            json!({ "l": ams }),
        )
        .await;
    let at_ams: Vec<_> = body["data"]["location"]["terminals"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(at_ams, vec![t1.clone(), t2.clone()], "{body}");
    let all = body["data"]["terminals"]["edges"].as_array().unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[2]["node"]["id"], t3);
    assert_eq!(all[2]["node"]["location"]["code"], "RTM1");
}

#[tokio::test]
async fn terminal_codes_are_unique_per_location() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let ams = app.create_location(&owner, "AMS1").await;
    app.create_terminal(&owner, &ams, "T01").await;
    let again = app
        .gql(
            &owner,
            CREATE_TERMINAL,
            json!({ "input": { "locationId": ams, "code": "t01", "name": "Dup" } }),
        )
        .await;
    assert_eq!(code(&again), "CONFLICT", "{again}");
    let missing_location = app
        .gql(
            &owner,
            CREATE_TERMINAL,
            json!({ "input": { "locationId": uuid::Uuid::now_v7(), "code": "T09", "name": "X" } }),
        )
        .await;
    assert_eq!(code(&missing_location), "NOT_FOUND");
    let malformed = app
        .gql(
            &owner,
            CREATE_TERMINAL,
            json!({ "input": { "locationId": "nope", "code": "T09", "name": "X" } }),
        )
        .await;
    assert_eq!(code(&malformed), "BAD_USER_INPUT");
}

#[tokio::test]
async fn revoking_is_final_and_idempotent() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let ams = app.create_location(&owner, "AMS1").await;
    let terminal = app.create_terminal(&owner, &ams, "T01").await;
    let revoke = "mutation($id: ID!) { revokeTerminal(id: $id) { status revokedAt } }";
    let first = app.gql(&owner, revoke, json!({ "id": terminal })).await;
    assert_eq!(first["data"]["revokeTerminal"]["status"], "REVOKED");
    let second = app.gql(&owner, revoke, json!({ "id": terminal })).await;
    assert_eq!(
        first["data"], second["data"],
        "a second revoke changes nothing"
    );

    let token = app
        .gql(
            &owner,
            "mutation($id: ID!) { issueTerminalToken(terminalId: $id) { token } }",
            json!({ "id": terminal }),
        )
        .await;
    assert_eq!(code(&token), "CONFLICT");
    let revoked = app
        .gql(
            &owner,
            "{ terminals(status: REVOKED) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        revoked["data"]["terminals"]["edges"][0]["node"]["id"],
        terminal
    );
    let active = app
        .gql(
            &owner,
            "{ terminals(status: ACTIVE) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(active["data"]["terminals"]["edges"], json!([]));
}

#[tokio::test]
async fn device_token_lifetimes_are_bounded() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let ams = app.create_location(&owner, "AMS1").await;
    let terminal = app.create_terminal(&owner, &ams, "T01").await;
    let issue = "mutation($id: ID!, $ttl: Int) { issueTerminalToken(terminalId: $id, ttlSeconds: $ttl) { token expiresAt terminal { id } } }";
    for ttl in [0, -5, 400 * 86_400] {
        let body = app
            .gql(&owner, issue, json!({ "id": terminal, "ttl": ttl }))
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "ttl {ttl}: {body}");
    }
    let body = app
        .gql(&owner, issue, json!({ "id": terminal, "ttl": 3600 }))
        .await;
    let expires: chrono::DateTime<chrono::Utc> = body["data"]["issueTerminalToken"]["expiresAt"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let in_an_hour = chrono::Utc::now() + chrono::Duration::hours(1);
    assert!((expires - in_an_hour).num_seconds().abs() < 60, "{expires}");
    assert_eq!(
        body["data"]["issueTerminalToken"]["terminal"]["id"],
        terminal
    );
}

//! Isolation: tenant A can neither see nor touch tenant B's rows, and B's
//! ids answer exactly like ids that do not exist.

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{TestApp, code, location_input};

/// Replaces every occurrence of `id` in the response with a placeholder, so
/// answers for two different ids can be compared byte for byte.
fn redact(body: &Value, id: &str) -> String {
    body.to_string().replace(id, "<ID>")
}

#[tokio::test]
async fn another_tenants_ids_answer_exactly_like_ids_that_do_not_exist() {
    let app = TestApp::spawn().await;
    let a = app.tenant("A").await;
    let b = app.tenant("B").await;
    let (owner_a, owner_b) = (app.owner(a), app.owner(b));
    let b_location = app.create_location(&owner_b, "B1").await;
    let b_terminal = app.create_terminal(&owner_b, &b_location, "T01").await;
    let missing = Uuid::now_v7().to_string();

    let probes: &[(&str, Value)] = &[
        (
            "query($id: ID!) { location(id: $id) { id name } }",
            json!({}),
        ),
        (
            "query($id: ID!) { terminal(id: $id) { id name } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { updateLocation(id: $id, input: { name: \"Mine now\" }) { id name } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { updateTerminal(id: $id, input: { name: \"Mine now\" }) { id name } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { revokeTerminal(id: $id) { id status } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { issueTerminalToken(terminalId: $id) { token } }",
            json!({}),
        ),
        (
            "mutation($id: ID!) { createTerminal(input: { locationId: $id, code: \"X1\", name: \"X\" }) { id } }",
            json!({}),
        ),
        (
            "query($id: ID!) { terminals(locationId: $id) { edges { node { id } } } }",
            json!({}),
        ),
    ];
    for (query, _) in probes {
        for target in [&b_location, &b_terminal] {
            let theirs = app.gql(&owner_a, query, json!({ "id": target })).await;
            let nobodys = app.gql(&owner_a, query, json!({ "id": missing })).await;
            assert_eq!(
                redact(&theirs, target),
                redact(&nobodys, &missing),
                "{query} answered differently for another tenant's id"
            );
            assert!(
                !theirs.to_string().contains("B1"),
                "leaked B's data: {theirs}"
            );
        }
    }

    // Nothing of A's attempts reached B.
    let b_view = app
        .gql(
            &owner_b,
            "query($l: ID!, $t: ID!) { location(id: $l) { name } terminal(id: $t) { name status } terminals { edges { node { id } } } }",
            json!({ "l": b_location, "t": b_terminal }),
        )
        .await;
    assert_eq!(b_view["data"]["location"]["name"], "Shop B1");
    assert_eq!(b_view["data"]["terminal"]["name"], "Till T01");
    assert_eq!(b_view["data"]["terminal"]["status"], "ACTIVE");
    assert_eq!(
        b_view["data"]["terminals"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn lists_show_only_the_callers_tenant() {
    let app = TestApp::spawn().await;
    let a = app.tenant("A").await;
    let b = app.tenant("B").await;
    let (owner_a, owner_b) = (app.owner(a), app.owner(b));
    let a_location = app.create_location(&owner_a, "SAME").await;
    let b_location = app.create_location(&owner_b, "SAME").await;
    app.create_terminal(&owner_b, &b_location, "T01").await;

    let listed = app
        .gql(
            &owner_a,
            "{ locations { edges { node { id } } } terminals { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["data"]["locations"]["edges"],
        json!([{ "node": { "id": a_location } }])
    );
    assert_eq!(listed["data"]["terminals"]["edges"], json!([]));
    let searched = app
        .gql(
            &owner_a,
            "{ locations(search: \"same\") { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        searched["data"]["locations"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_tenant_id_header_or_input_field_has_no_effect() {
    let app = TestApp::spawn().await;
    let a = app.tenant("A").await;
    let b = app.tenant("B").await;
    let owner_a = app.owner(a);

    // A tenant header is ignored: the location lands in A.
    let body = json!({ "query": crate::helpers::CREATE_LOCATION, "variables": { "input": location_input("HDR") } });
    let (_, created) = app
        .send(
            Request::post("/graphql")
                .header("content-type", "application/json")
                .header("authorization", format!("Bearer {owner_a}"))
                .header("x-tenant-id", b.to_string())
                .header("tenant-id", b.to_string())
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await;
    assert!(
        created["data"]["createLocation"]["id"].is_string(),
        "{created}"
    );

    // An input field naming a tenant is refused outright, and writes nothing.
    let mut input = location_input("FLD");
    input["tenantId"] = json!(b);
    let refused = app
        .gql(
            &owner_a,
            crate::helpers::CREATE_LOCATION,
            json!({ "input": input }),
        )
        .await;
    assert_eq!(code(&refused), "BAD_USER_INPUT", "{refused}");
    // And an argument naming one is unknown to the schema.
    let arg = app
        .gql(
            &owner_a,
            "query($t: ID!) { locations(tenantId: $t) { edges { node { id } } } }",
            json!({ "t": b }),
        )
        .await;
    assert_eq!(code(&arg), "BAD_USER_INPUT", "{arg}");

    let a_list = app
        .gql(
            &owner_a,
            "{ locations { edges { node { code } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        a_list["data"]["locations"]["edges"],
        json!([{ "node": { "code": "HDR" } }])
    );
    let b_list = app
        .gql(
            &app.owner(b),
            "{ locations { edges { node { code } } } }",
            json!({}),
        )
        .await;
    assert_eq!(b_list["data"]["locations"]["edges"], json!([]));
}

#[tokio::test]
async fn below_http_the_schema_scopes_by_the_session_alone() {
    let app = TestApp::spawn().await;
    let a = app.tenant("A").await;
    let b = app.tenant("B").await;
    let location = app.create_location(&app.owner(b), "B1").await;
    let session = |tenant: Uuid| pos::auth::Session {
        tenant,
        subject: "tester".into(),
        roles: vec![pos::auth::Role::Owner],
        terminal: None,
        location: None,
    };
    let query =
        "query($id: ID!) { location(id: $id) { code } locations { edges { node { code } } } }";
    let as_a = app
        .exec(&session(a), query, json!({ "id": location }))
        .await;
    assert_eq!(
        as_a["data"],
        json!({ "location": null, "locations": { "edges": [] } })
    );
    let as_b = app
        .exec(&session(b), query, json!({ "id": location }))
        .await;
    assert_eq!(as_b["data"]["location"]["code"], "B1");
}

//! Locations: validation, uniqueness, updates and pagination.

use serde_json::json;

use crate::helpers::{CREATE_LOCATION, TestApp, code, location_input};

#[tokio::test]
async fn a_location_is_created_with_normalised_fields() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let mut input = location_input(" ams-1 ");
    input["currency"] = json!("eur");
    input["address"]["country"] = json!("nl");
    let body = app
        .gql(&owner, CREATE_LOCATION, json!({ "input": input }))
        .await;
    let created = &body["data"]["createLocation"];
    assert_eq!(created["code"], "AMS-1", "{body}");
    assert_eq!(created["currency"], "EUR");
    assert_eq!(created["address"]["country"], "NL");
    assert_eq!(created["timeZone"], "Europe/Amsterdam");
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_named_and_nothing_stored() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let cases = [
        ("timeZone", json!("Mars/Olympus_Mons")),
        ("currency", json!("XYZ")),
        ("code", json!("has space")),
        ("name", json!("   ")),
    ];
    for (field, value) in cases {
        let mut input = location_input("GOOD");
        input[field] = value;
        let body = app
            .gql(&owner, CREATE_LOCATION, json!({ "input": input }))
            .await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{field}: {body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    let mut input = location_input("GOOD");
    input["address"]["country"] = json!("Netherlands");
    let body = app
        .gql(&owner, CREATE_LOCATION, json!({ "input": input }))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["field"], "address.country");
    let listed = app
        .gql(&owner, "{ locations { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(listed["data"]["locations"]["edges"], json!([]));
}

#[tokio::test]
async fn location_codes_are_unique_within_a_tenant_only() {
    let app = TestApp::spawn().await;
    let a = app.owner(app.tenant("A").await);
    let b = app.owner(app.tenant("B").await);
    let first = app.create_location(&a, "AMS1").await;
    let again = app
        .gql(
            &a,
            CREATE_LOCATION,
            json!({ "input": location_input("ams1") }),
        )
        .await;
    assert_eq!(code(&again), "CONFLICT", "{again}");
    assert!(
        !again.to_string().contains("ux_locations"),
        "no constraint names leak: {again}"
    );
    app.create_location(&b, "AMS1").await;

    // Renaming another location onto a taken code conflicts too, and
    // changes nothing.
    let second = app.create_location(&a, "RTM1").await;
    let clash = app
        .gql(
            &a,
            "mutation($id: ID!) { updateLocation(id: $id, input: { code: \"AMS1\", name: \"Renamed\" }) { id } }",
            json!({ "id": second }),
        )
        .await;
    assert_eq!(code(&clash), "CONFLICT");
    let kept = app
        .gql(
            &a,
            "query($id: ID!) { location(id: $id) { code name } }",
            json!({ "id": second }),
        )
        .await;
    assert_eq!(
        kept["data"]["location"],
        json!({ "code": "RTM1", "name": "Shop RTM1" })
    );
    assert_ne!(first, second);
}

#[tokio::test]
async fn a_location_can_be_updated_but_not_its_currency() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let id = app.create_location(&owner, "AMS1").await;
    let body = app
        .gql(
            &owner,
            "mutation($id: ID!) { updateLocation(id: $id, input: { name: \"Amsterdam Zuid\", timeZone: \"Europe/Berlin\", address: { line1: \"2 Side St\", city: \"Berlin\", country: \"DE\" } }) { name timeZone currency address { line1 city country } updatedAt createdAt } }",
            json!({ "id": id }),
        )
        .await;
    let updated = &body["data"]["updateLocation"];
    assert_eq!(updated["name"], "Amsterdam Zuid", "{body}");
    assert_eq!(updated["timeZone"], "Europe/Berlin");
    assert_eq!(updated["address"]["city"], "Berlin");
    assert_eq!(updated["currency"], "EUR");
    let currency = app
        .gql(
            &owner,
            "mutation($id: ID!) { updateLocation(id: $id, input: { currency: \"USD\" }) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(code(&currency), "BAD_USER_INPUT");
}

#[tokio::test]
async fn locations_page_forward_with_cursors() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(app.create_location(&owner, &format!("L{i}")).await);
    }
    let query = "query($after: String) { locations(first: 2, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }";
    let mut seen = Vec::new();
    let mut after = serde_json::Value::Null;
    loop {
        let body = app.gql(&owner, query, json!({ "after": after })).await;
        let page = &body["data"]["locations"];
        for edge in page["edges"].as_array().unwrap() {
            seen.push(edge["node"]["id"].as_str().unwrap().to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(seen, ids, "every location once, in creation order");

    let too_many = app
        .gql(
            &owner,
            "{ locations(first: 101) { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&too_many), "BAD_USER_INPUT");
    let bad_cursor = app
        .gql(
            &owner,
            "{ locations(after: \"garbage\") { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&bad_cursor), "BAD_USER_INPUT");
}

#[tokio::test]
async fn search_matches_name_or_code_without_wildcards() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    app.create_location(&owner, "AMS1").await;
    app.create_location(&owner, "RTM1").await;
    let search = |term: &str| {
        let owner = owner.clone();
        let app = &app;
        let term = term.to_owned();
        async move {
            let body = app
                .gql(
                    &owner,
                    "query($s: String) { locations(search: $s) { edges { node { code } } } }",
                    json!({ "s": term }),
                )
                .await;
            body["data"]["locations"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["code"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search("shop ams").await, vec!["AMS1"]);
    assert_eq!(search("rtm").await, vec!["RTM1"]);
    assert_eq!(search("%").await, Vec::<String>::new());
    assert_eq!(search("_").await, Vec::<String>::new());
    assert_eq!(search("").await.len(), 2);
}

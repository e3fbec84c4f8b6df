//! Database failures reach the client as a bare `INTERNAL` error: no SQL,
//! no driver or type names, no stack trace.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, code, location_input};

/// Text that would give away the server's internals.
const TELLTALES: [&str; 14] = [
    "select ",
    "insert ",
    "update ",
    "relation",
    "no such table",
    "sqlx",
    "sea_orm",
    "seaorm",
    "dberr",
    "panicked",
    "backtrace",
    ".rs:",
    "postgres",
    "sqlite",
];

fn assert_bare_internal(body: &Value, what: &str) {
    assert_eq!(code(body), "INTERNAL", "{what}: {body}");
    let text = body.to_string().to_lowercase();
    for t in TELLTALES {
        assert!(!text.contains(t), "{what}: `{t}` in {body}");
    }
    for e in body["errors"].as_array().unwrap() {
        if e["extensions"]["code"] == "INTERNAL" {
            assert_eq!(e["message"], "internal error", "{what}: {body}");
        }
    }
}

#[tokio::test]
async fn a_failing_database_answers_internal_with_no_detail() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let location = app.create_location(&owner, "AMS1").await;
    // Break the table behind the server's back.
    let db = app.owner_connection().await;
    db.execute_unprepared("ALTER TABLE locations RENAME TO locations_gone")
        .await
        .expect("rename");
    let probes = [
        (
            "list",
            "{ locations(first: 5) { edges { node { id } } } }",
            json!({}),
        ),
        (
            "get",
            "query($id: ID!) { location(id: $id) { id } }",
            json!({ "id": location }),
        ),
        (
            "create",
            "mutation($input: CreateLocationInput!) { createLocation(input: $input) { id } }",
            json!({ "input": location_input("X1") }),
        ),
    ];
    for (what, query, vars) in probes {
        let body = app.gql(&owner, query, vars).await;
        assert_bare_internal(&body, what);
    }
    // And over HTTP, the status says it was the server.
    let (status, body) = app
        .post(
            Some(&owner),
            json!({ "query": "{ locations(first: 5) { edges { node { id } } } }" }),
        )
        .await;
    assert_eq!(status, axum::http::StatusCode::OK);
    assert_bare_internal(&body, "http");
}

/// SQLite: the write-ahead log is checkpointed and truncated, so a server
/// under steady load does not grow it without bound.
#[tokio::test]
async fn the_sqlite_wal_is_truncated_by_a_checkpoint() {
    let app = TestApp::spawn_sqlite().await;
    let crate::helpers::Backend::Sqlite(dir) = &app.backend else {
        panic!("spawn_sqlite runs on SQLite");
    };
    let owner = app.owner(app.tenant("Acme").await);
    for i in 0..20 {
        app.create_location(&owner, &format!("L{i:02}")).await;
    }
    let wal = dir.path().join("pos.db-wal");
    let size = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert!(size() > 0, "writes should have gone to the WAL");
    app.state.db.checkpoint_wal().await.expect("checkpoint");
    assert_eq!(size(), 0);
    // The data is all still there.
    let body = app
        .gql(
            &owner,
            "{ locations(first: 50) { edges { cursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["locations"]["edges"].as_array().unwrap().len(),
        20
    );
}

//! The audit log: every mutation and push, with who, what, when, the
//! outcome and the origin; for owners only; never a token.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use pos::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{CREATE_LOCATION, TestApp, code, location_input};
use crate::sync::{PUSH, event};

const LOG: &str = "query($f: AuditLogFilter) { auditLog(first: 100, filter: $f) { edges { node { \
    id at subject roles terminalId operation operationName resourceIds detail outcome clientIp userAgent requestId } } } }";

pub async fn log(app: &TestApp, owner: &str, filter: Value) -> Vec<Value> {
    let body = app.gql(owner, LOG, json!({ "f": filter })).await;
    body["data"]["auditLog"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

/// The socket peer a request arrives from.
pub fn peer(ip: &str) -> ConnectInfo<SocketAddr> {
    ConnectInfo(SocketAddr::new(ip.parse().unwrap(), 40_000))
}

#[tokio::test]
async fn mutations_and_pushes_are_recorded_with_who_what_when_outcome_and_origin() {
    let app = TestApp::spawn_with(&["--trusted-proxies", "10.0.0.0/8"]).await;
    let tenant = app.tenant("Acme").await;
    let owner = app.owner(tenant);

    // From behind a trusted proxy, with a client's name and request id.
    let request = Request::post("/graphql")
        .extension(peer("10.0.0.2"))
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {owner}"))
        .header("x-forwarded-for", "203.0.113.7, 10.0.0.1")
        .header("user-agent", "backoffice/2.1")
        .header("x-request-id", "req-42")
        .body(Body::from(
            json!({ "query": CREATE_LOCATION.replace("mutation(", "mutation NewShop("),
                    "variables": { "input": location_input("AMS1") } })
            .to_string(),
        ))
        .unwrap();
    let (_, created) = app.send(request).await;
    let location = created["data"]["createLocation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A cashier's refused attempt is recorded too.
    let cashier = app.token(tenant, &[Role::Cashier]);
    let refused = app
        .gql(
            &cashier,
            CREATE_LOCATION,
            json!({ "input": location_input("AMS2") }),
        )
        .await;
    assert_eq!(code(&refused), "FORBIDDEN");

    let terminal = app.create_terminal(&owner, &location, "T1").await;
    let device = app.device_token(&owner, &terminal).await;
    let events: Vec<Value> = (1..=2)
        .map(|seq| {
            event(&terminal, seq, "VOID", json!({ "voidId": Uuid::new_v4().to_string(), "saleId": Uuid::new_v4().to_string() }))
        })
        .collect();
    let pushed = app.gql(&device, PUSH, json!({ "events": events })).await;
    assert!(pushed["data"]["syncPush"].is_object(), "{pushed}");

    let entries = log(&app, &owner, json!(null)).await;
    let ops: Vec<&str> = entries
        .iter()
        .map(|e| e["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        ops,
        [
            "createLocation",
            "createLocation",
            "createTerminal",
            "issueTerminalToken",
            "syncPush"
        ],
        "{entries:#?}"
    );
    let first = &entries[0];
    assert_eq!(first["subject"], "user-1");
    assert_eq!(first["roles"], json!(["OWNER"]));
    assert_eq!(first["outcome"], "OK");
    assert_eq!(first["operationName"], "NewShop");
    assert_eq!(first["resourceIds"], json!([location]));
    assert_eq!(first["clientIp"], "203.0.113.7");
    assert_eq!(first["userAgent"], "backoffice/2.1");
    assert_eq!(first["requestId"], "req-42");
    assert!(first["at"].as_str().unwrap().starts_with("20"));

    assert_eq!(entries[1]["roles"], json!(["CASHIER"]));
    assert_eq!(entries[1]["outcome"], "FORBIDDEN");

    let push = &entries[4];
    assert_eq!(push["roles"], json!(["DEVICE"]));
    assert_eq!(push["terminalId"], terminal.as_str());
    assert_eq!(push["resourceIds"], json!([terminal]));
    // Voids of sales nobody made are rejected, and still consume their
    // sequences.
    assert_eq!(
        push["detail"], "2 events, sequences 1-2; rejected 2",
        "{push}"
    );

    // Filters.
    let refusals = log(&app, &owner, json!({ "outcome": "FORBIDDEN" })).await;
    assert_eq!(refusals.len(), 1);
    let pushes = log(
        &app,
        &owner,
        json!({ "operation": "syncPush", "terminalId": terminal }),
    )
    .await;
    assert_eq!(pushes.len(), 1);

    // Owners only.
    let manager = app.token(tenant, &[Role::Manager]);
    assert_eq!(code(&app.gql(&manager, LOG, json!({})).await), "FORBIDDEN");
    assert_eq!(code(&app.gql(&device, LOG, json!({})).await), "FORBIDDEN");

    // The minted device token is nowhere in the log.
    let conn = app.owner_connection().await;
    let rows = sea_orm::ConnectionTrait::query_all_raw(
        &conn,
        sea_orm::Statement::from_string(
            conn.get_database_backend(),
            "SELECT resource_ids, detail, subject, user_agent FROM audit_log",
        ),
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 5);
    let text: String = rows
        .iter()
        .map(|r| {
            ["resource_ids", "detail", "subject", "user_agent"]
                .iter()
                .map(|c| {
                    r.try_get::<Option<String>>("", c)
                        .unwrap()
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert!(!text.contains(&device), "a token in the audit log: {text}");
    assert!(!text.contains("eyJ"), "a JWT in the audit log: {text}");
}

/// Makes every insert into the audit log fail (`on`), or lifts that.
async fn break_audit_log(app: &TestApp, on: bool) {
    let conn = app.owner_connection().await;
    let sql: &[&str] = match (app.is_postgres(), on) {
        (true, true) => &[
            "CREATE FUNCTION audit_down() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'audit log down'; END $$",
            "CREATE TRIGGER audit_down BEFORE INSERT ON audit_log \
             FOR EACH ROW EXECUTE FUNCTION audit_down()",
        ],
        (true, false) => &["DROP TRIGGER audit_down ON audit_log"],
        (false, true) => &["CREATE TRIGGER audit_down BEFORE INSERT ON audit_log \
             BEGIN SELECT RAISE(ABORT, 'audit log down'); END"],
        (false, false) => &["DROP TRIGGER audit_down"],
    };
    for statement in sql {
        sea_orm::ConnectionTrait::execute_unprepared(&conn, statement)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_write_commits_with_its_audit_entry_or_not_at_all() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("Acme").await;
    let owner = app.owner(tenant);
    let locations = "{ locations { edges { node { code } } } }";

    break_audit_log(&app, true).await;
    let refused = app
        .gql(
            &owner,
            CREATE_LOCATION,
            json!({ "input": location_input("AMS") }),
        )
        .await;
    assert!(refused["errors"].is_array(), "{refused}");
    assert!(refused["data"]["createLocation"].is_null(), "{refused}");
    let listed = app.gql(&owner, locations, json!({})).await;
    assert_eq!(
        listed["data"]["locations"]["edges"],
        json!([]),
        "the write committed without its entry: {listed}"
    );

    break_audit_log(&app, false).await;
    let created = app
        .gql(
            &owner,
            CREATE_LOCATION,
            json!({ "input": location_input("AMS") }),
        )
        .await;
    let location = created["data"]["createLocation"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"))
        .to_owned();
    let entries = log(&app, &owner, json!(null)).await;
    let ops: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| {
            (
                e["operation"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    // The refused attempt's own entry could not be written either (the
    // log was down); the write that committed has exactly one.
    assert_eq!(ops, [("createLocation", "OK")], "{entries:#?}");
    assert_eq!(entries[0]["resourceIds"], json!([location]));
}

//! SALE stock movements are the sale lines themselves: listed with the
//! other movements, given back by a void, and carried over by the
//! migration that stopped copying them.

use migration::MigratorTrait;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::shop::Shop;
use crate::stock::{document, line, track};

const LEDGER: &str = "{ stockMovements(first: 100) { edges { node { id kind quantity lineNo sourceId at recordedAt location { code } variant { sku } } } } }";
const RECONCILE: &str = "mutation($d: NaiveDate!) { reconcileReports(from: $d, to: $d) { differences { table field stored expected } } }";

async fn ledger(shop: &Shop) -> Value {
    let body = shop.app.gql(&shop.owner, LEDGER, json!({})).await;
    assert!(body["data"]["stockMovements"].is_object(), "{body}");
    body["data"]["stockMovements"]["edges"].clone()
}

async fn scalar(conn: &DatabaseConnection, sql: &str) -> i64 {
    let row = conn
        .query_one_raw(Statement::from_string(conn.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("a row");
    row.try_get_by_index::<i64>(0).expect("a number")
}

/// Receives 10 sodas, sells 2 and 3 (two lines), then voids the first.
async fn trade(shop: &Shop) -> Uuid {
    track(shop, &shop.soda).await;
    let input = json!({ "locationId": shop.location, "lines": [line(shop, "10")] });
    document(shop, &shop.owner, "receiveStock", input).await;
    let first = Uuid::new_v4();
    for (id, quantities) in [(first, vec!["2"]), (Uuid::new_v4(), vec!["1", "2"])] {
        let lines: Vec<Value> = quantities
            .iter()
            .map(|q| json!({ "variantId": shop.soda, "quantity": q }))
            .collect();
        let sale = json!({ "saleId": id.to_string(), "lines": lines,
            "tenders": [{ "method": "CASH", "amount": "100000" }] });
        let body = shop.sell(&shop.device, sale).await;
        assert!(body["data"]["recordSale"].is_object(), "{body}");
    }
    let void = json!({ "voidId": Uuid::new_v4().to_string(), "saleId": first.to_string() });
    let body = shop.void(&shop.device, void).await;
    assert!(body["data"]["voidSale"].is_object(), "{body}");
    first
}

#[tokio::test]
async fn sales_are_movements_of_the_ledger_without_copies() {
    let shop = Shop::open().await;
    let voided = trade(&shop).await;
    let moves = ledger(&shop).await;
    let seen: Vec<(String, String, i64)> = moves
        .as_array()
        .unwrap_or_else(|| panic!("{moves}"))
        .iter()
        .map(|e| {
            let n = &e["node"];
            (
                n["kind"].as_str().unwrap_or_default().to_owned(),
                n["quantity"].as_str().unwrap_or_default().to_owned(),
                n["lineNo"].as_i64().unwrap_or_default(),
            )
        })
        .collect();
    let expected = [
        ("RECEIVE", "10", 1),
        ("SALE", "-2", 1),
        ("SALE", "-1", 1),
        ("SALE", "-2", 2),
        ("VOID", "2", 1),
    ]
    .map(|(k, q, l)| (k.to_owned(), q.to_owned(), l));
    assert_eq!(seen, expected, "in the order recorded: {moves}");
    assert_eq!(moves[1]["node"]["sourceId"], voided.to_string());
    assert_eq!(moves[1]["node"]["location"]["code"], "AMS1");
    // Filters and pages reach the sales too.
    let sales = shop
        .app
        .gql(
            &shop.owner,
            "query($s: ID!) { stockMovements(kind: SALE, sourceId: $s) { edges { node { quantity } } } }",
            json!({ "s": voided }),
        )
        .await;
    assert_eq!(
        sales["data"]["stockMovements"]["edges"],
        json!([{ "node": { "quantity": "-2" } }]),
        "{sales}"
    );
    let page = "query($after: String) { stockMovements(first: 2, after: $after) { edges { node { kind } } pageInfo { endCursor hasNextPage } } }";
    let mut kinds = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = shop
            .app
            .gql(&shop.owner, page, json!({ "after": after }))
            .await;
        let conn = &body["data"]["stockMovements"];
        for e in conn["edges"].as_array().unwrap_or_else(|| panic!("{body}")) {
            kinds.push(e["node"]["kind"].as_str().unwrap_or_default().to_owned());
        }
        if conn["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(kinds, ["RECEIVE", "SALE", "SALE", "SALE", "VOID"]);
    // Nothing of the sales is copied into the movements table.
    let conn = shop.app.owner_connection().await;
    let copies = scalar(
        &conn,
        "SELECT COUNT(*) FROM stock_movements WHERE kind = 'SALE'",
    )
    .await;
    assert_eq!(copies, 0);
}

/// The migration that made sale lines the SALE movements, undone and done
/// again: undone, the movements are rows again; done, they are the lines'
/// and the ledger reads exactly as before, with nothing for reconcile.
#[tokio::test]
async fn the_migration_moves_sale_movements_onto_their_lines_and_back() {
    let shop = Shop::open().await;
    trade(&shop).await;
    let before = ledger(&shop).await;
    let conn = shop.app.owner_connection().await;
    let all = migration::Migrator::migrations();
    let at = all
        .iter()
        .position(|m| m.name() == "m20261207_000020_sale_stock")
        .expect("the migration");
    let steps = (all.len() - at) as u32;
    migration::Migrator::down(&conn, Some(steps))
        .await
        .expect("down");
    let rows = scalar(
        &conn,
        "SELECT COUNT(*) FROM stock_movements WHERE kind = 'SALE'",
    )
    .await;
    assert_eq!(rows, 3, "undone: three SALE rows again");
    migration::Migrator::up(&conn, None).await.expect("up");
    let rows = scalar(
        &conn,
        "SELECT COUNT(*) FROM stock_movements WHERE kind = 'SALE'",
    )
    .await;
    assert_eq!(rows, 0);
    assert_eq!(ledger(&shop).await, before, "the same ledger, ids and all");
    let today = chrono::Utc::now().date_naive();
    let clean = shop
        .app
        .gql(&shop.owner, RECONCILE, json!({ "d": today }))
        .await;
    assert_eq!(
        clean["data"]["reconcileReports"]["differences"],
        json!([]),
        "{clean}"
    );
}

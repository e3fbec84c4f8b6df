//! Stock per variant and location: receipts with a moving-average cost,
//! sales, adjustments, counts, transfers in transit, thresholds and
//! negative levels, all from the ledger.

use pos::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::code;
use crate::shop::Shop;

const TRACK: &str = "mutation($id: ID!) { updateVariant(id: $id, input: { trackStock: true }) { variant { trackStock } userErrors { message } } }";
const MOVED: &str =
    "movements { kind quantity counted unitCost reason } userErrors { field message code }";
const LEVEL: &str = "onHand inTransit lowThreshold isLow averageCost value variant { sku }";

pub(crate) async fn track(shop: &Shop, variant: &str) {
    let body = shop
        .app
        .gql(&shop.owner, TRACK, json!({ "id": variant }))
        .await;
    assert_eq!(
        body["data"]["updateVariant"]["variant"]["trackStock"], true,
        "{body}"
    );
}

pub(crate) async fn document(shop: &Shop, token: &str, mutation: &str, input: Value) -> Value {
    let input_type = format!("{}{}Input", mutation[..1].to_uppercase(), &mutation[1..]);
    let query =
        format!("mutation($input: {input_type}!) {{ {mutation}(input: $input) {{ {MOVED} }} }}");
    let body = shop.app.gql(token, &query, json!({ "input": input })).await;
    assert!(body["data"][mutation].is_object(), "{body}");
    body["data"][mutation].clone()
}

async fn level(shop: &Shop, location: &str) -> Value {
    let query = format!(
        "query($l: ID!) {{ stockLevels(locationId: $l) {{ edges {{ node {{ {LEVEL} }} }} }} }}"
    );
    let body = shop
        .app
        .gql(&shop.owner, &query, json!({ "l": location }))
        .await;
    let edges = body["data"]["stockLevels"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(edges.len(), 1, "only the soda tracks stock: {body}");
    edges[0]["node"].clone()
}

pub(crate) fn line(shop: &Shop, quantity: &str) -> Value {
    json!({ "variantId": shop.soda, "quantity": quantity })
}

pub(crate) async fn sell(shop: &Shop, sodas: &str) {
    let sale = json!({
        "saleId": Uuid::new_v4().to_string(),
        "lines": [{ "variantId": shop.soda, "quantity": sodas }],
        "tenders": [{ "method": "CASH", "amount": "100000" }],
    });
    let body = shop.sell(&shop.device, sale).await;
    assert!(body["data"]["recordSale"].is_object(), "{body}");
}

#[tokio::test]
async fn receipts_sales_adjustments_and_counts_move_the_level() {
    let shop = Shop::open().await;
    track(&shop, &shop.soda).await;
    let at = |field: &str| json!({ "locationId": shop.location, "lines": [line(&shop, field)] });
    let fresh = level(&shop, &shop.location).await;
    assert_eq!(
        fresh["onHand"], "0",
        "a tracked variant starts at zero: {fresh}"
    );

    // 10 at 1.00, then 10 at 1.30: an average of 1.15, 20 worth 23.00.
    for cost in ["100", "130"] {
        let mut input = at("10");
        input["lines"][0]["unitCost"] = json!(cost);
        input["supplierReference"] = json!("DN-1");
        let done = document(&shop, &shop.owner, "receiveStock", input).await;
        assert_eq!(done["movements"][0]["kind"], "RECEIVE", "{done}");
    }
    let received = level(&shop, &shop.location).await;
    assert_eq!(received["onHand"], "20");
    assert_eq!(received["averageCost"], "115");
    assert_eq!(received["value"], "2300");

    sell(&shop, "2").await;
    assert_eq!(level(&shop, &shop.location).await["onHand"], "18");

    let mut damaged = at("-1");
    damaged["reason"] = json!("DAMAGE");
    let done = document(&shop, &shop.owner, "adjustStock", damaged).await;
    assert_eq!(done["movements"][0]["reason"], "DAMAGE");
    assert_eq!(level(&shop, &shop.location).await["onHand"], "17");

    // The count finds 15: a movement of -2, and the level is 15.
    let done = document(&shop, &shop.owner, "countStock", at("15")).await;
    assert_eq!(done["movements"][0]["quantity"], "-2", "{done}");
    assert_eq!(done["movements"][0]["counted"], "15");
    let counted = level(&shop, &shop.location).await;
    assert_eq!(counted["onHand"], "15");

    // The ledger sums to the level, in the order it was recorded.
    let ledger = shop
        .app
        .gql(
            &shop.owner,
            "query($v: ID!) { stockMovements(variantId: $v) { edges { node { kind quantity } } } }",
            json!({ "v": shop.soda }),
        )
        .await;
    let kinds: Vec<(String, String)> = ledger["data"]["stockMovements"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{ledger}"))
        .iter()
        .map(|e| {
            let n = &e["node"];
            (
                n["kind"].as_str().unwrap_or_default().to_owned(),
                n["quantity"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("RECEIVE", "10"),
        ("RECEIVE", "10"),
        ("SALE", "-2"),
        ("ADJUST", "-1"),
        ("COUNT", "-2"),
    ];
    assert_eq!(
        kinds,
        expected.map(|(k, q)| (k.to_owned(), q.to_owned())),
        "{ledger}"
    );
}

#[tokio::test]
async fn a_transfer_in_transit_is_on_neither_hand_and_is_received_once() {
    let shop = Shop::open().await;
    track(&shop, &shop.soda).await;
    let other = shop.app.create_location(&shop.owner, "UTR1").await;
    let receive = json!({ "locationId": shop.location, "lines": [line(&shop, "10")] });
    document(&shop, &shop.owner, "receiveStock", receive).await;

    let send = shop
        .app
        .gql(
            &shop.owner,
            "mutation($input: SendStockTransferInput!) { sendStockTransfer(input: $input) { transfer { id status } userErrors { field message } } }",
            json!({ "input": { "fromLocationId": shop.location, "toLocationId": other, "lines": [line(&shop, "4")] } }),
        )
        .await;
    let transfer = &send["data"]["sendStockTransfer"]["transfer"];
    assert_eq!(transfer["status"], "IN_TRANSIT", "{send}");
    let from = level(&shop, &shop.location).await;
    let to = level(&shop, &other).await;
    assert_eq!(
        (from["onHand"].clone(), from["inTransit"].clone()),
        (json!("6"), json!("0"))
    );
    assert_eq!(
        (to["onHand"].clone(), to["inTransit"].clone()),
        (json!("0"), json!("4"))
    );

    let receive = "mutation($id: ID!) { receiveStockTransfer(id: $id) { outcome transfer { status } userErrors { field message } } }";
    let id = json!({ "id": transfer["id"] });
    let first = shop.app.gql(&shop.owner, receive, id.clone()).await;
    assert_eq!(
        first["data"]["receiveStockTransfer"]["outcome"], "APPLIED",
        "{first}"
    );
    let again = shop.app.gql(&shop.owner, receive, id).await;
    assert_eq!(
        again["data"]["receiveStockTransfer"]["outcome"], "DUPLICATE",
        "{again}"
    );
    assert_eq!(
        again["data"]["receiveStockTransfer"]["transfer"]["status"],
        "RECEIVED"
    );
    let to = level(&shop, &other).await;
    assert_eq!(
        (to["onHand"].clone(), to["inTransit"].clone()),
        (json!("4"), json!("0"))
    );
    assert_eq!(level(&shop, &shop.location).await["onHand"], "6");
}

#[tokio::test]
async fn low_and_negative_levels_are_listed() {
    let shop = Shop::open().await;
    track(&shop, &shop.soda).await;
    let receive = json!({ "locationId": shop.location, "lines": [line(&shop, "10")] });
    document(&shop, &shop.owner, "receiveStock", receive).await;
    let threshold = shop
        .app
        .gql(
            &shop.owner,
            "mutation($l: ID!, $v: ID!) { setLowStockThreshold(locationId: $l, variantId: $v, threshold: \"12\") { stockLevel { isLow } userErrors { message } } }",
            json!({ "l": shop.location, "v": shop.soda }),
        )
        .await;
    assert_eq!(
        threshold["data"]["setLowStockThreshold"]["stockLevel"]["isLow"], true,
        "{threshold}"
    );
    let list = |field: &'static str| {
        let query = format!(
            "query($l: ID!) {{ {field}(locationId: $l) {{ edges {{ node {{ onHand }} }} }} }}"
        );
        let app = &shop.app;
        let owner = shop.owner.clone();
        let location = shop.location.clone();
        async move {
            let body = app.gql(&owner, &query, json!({ "l": location })).await;
            body["data"][field]["edges"].clone()
        }
    };
    assert_eq!(
        list("lowStock").await,
        json!([{ "node": { "onHand": "10" } }])
    );
    assert_eq!(list("negativeStock").await, json!([]));
    // A sale is never refused for stock: the level goes below zero.
    sell(&shop, "13").await;
    assert_eq!(
        list("negativeStock").await,
        json!([{ "node": { "onHand": "-3" } }])
    );

    // On the variant itself, through the loader.
    let on_variant = shop
        .app
        .gql(
            &shop.owner,
            "query($v: ID!, $l: ID!) { variant(id: $v) { stockLevel(locationId: $l) { onHand isLow } } }",
            json!({ "v": shop.soda, "l": shop.location }),
        )
        .await;
    assert_eq!(
        on_variant["data"]["variant"]["stockLevel"],
        json!({ "onHand": "-3", "isLow": true }),
        "{on_variant}"
    );
}

#[tokio::test]
async fn stock_documents_refuse_bad_lines_and_cashiers() {
    let shop = Shop::open().await;
    // The cheese does not track stock.
    let input = json!({ "locationId": shop.location, "lines": [{ "variantId": shop.cheese, "quantity": "1" }] });
    let done = document(&shop, &shop.owner, "receiveStock", input).await;
    let error = &done["userErrors"][0];
    assert_eq!(error["field"], json!(["lines", "0", "variantId"]), "{done}");
    assert_eq!(error["code"], "BAD_USER_INPUT");
    track(&shop, &shop.soda).await;
    for (quantity, why) in [
        ("0", "zero"),
        ("-1", "negative"),
        ("1.5", "a fraction of a piece"),
    ] {
        let input = json!({ "locationId": shop.location, "lines": [line(&shop, quantity)] });
        let done = document(&shop, &shop.owner, "receiveStock", input).await;
        assert_eq!(
            done["userErrors"][0]["field"],
            json!(["lines", "0", "quantity"]),
            "{why}: {done}"
        );
    }
    let unknown = json!({ "locationId": Uuid::now_v7().to_string(), "lines": [line(&shop, "1")] });
    let done = document(&shop, &shop.owner, "receiveStock", unknown).await;
    assert_eq!(done["userErrors"][0]["code"], "NOT_FOUND", "{done}");
    assert_eq!(done["userErrors"][0]["field"], json!(["locationId"]));
    let cashier = shop.app.token(shop.tenant, &[Role::Cashier]);
    let input = json!({ "locationId": shop.location, "lines": [line(&shop, "1")] });
    let query = format!(
        "mutation($input: ReceiveStockInput!) {{ receiveStock(input: $input) {{ {MOVED} }} }}"
    );
    let refused = shop
        .app
        .gql(&cashier, &query, json!({ "input": input }))
        .await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
    // Nothing was stored by any of them.
    assert_eq!(level(&shop, &shop.location).await["onHand"], "0");
}

#[tokio::test]
async fn refunds_restock_only_when_asked_and_voids_give_everything_back() {
    let shop = Shop::open().await;
    track(&shop, &shop.soda).await;
    let receive = json!({ "locationId": shop.location, "lines": [line(&shop, "10")] });
    document(&shop, &shop.owner, "receiveStock", receive).await;
    let sale_id = Uuid::new_v4().to_string();
    let sale = json!({
        "saleId": sale_id,
        "lines": [{ "variantId": shop.soda, "quantity": "3" }],
        "tenders": [{ "method": "CASH", "amount": "1000" }],
    });
    let sold = shop.sell(&shop.device, sale).await;
    assert!(sold["data"]["recordSale"].is_object(), "{sold}");
    assert_eq!(level(&shop, &shop.location).await["onHand"], "7");

    // One back on the shelf, one not (damaged).
    for restock in [json!(true), json!(null)] {
        let mut refund = json!({
            "refundId": Uuid::new_v4().to_string(),
            "saleId": sale_id,
            "lines": [{ "saleLineNo": 1, "quantity": "1", "restock": restock }],
            "tenders": [{ "method": "CASH", "amount": "1" }],
        });
        // The refund's share of the line's rounded tax: as the server says.
        let asked = shop.refund(&shop.device, refund.clone()).await;
        let message = asked["errors"][0]["message"].as_str().unwrap_or_default();
        let total = message
            .rsplit('(')
            .next()
            .unwrap_or_default()
            .trim_end_matches(')');
        refund["tenders"][0]["amount"] = json!(total);
        let body = shop.refund(&shop.device, refund).await;
        assert!(body["data"]["refundSale"].is_object(), "{asked} {body}");
    }
    assert_eq!(level(&shop, &shop.location).await["onHand"], "8");

    // A sale voided: everything it took comes back.
    let other_sale = Uuid::new_v4().to_string();
    let sale = json!({
        "saleId": other_sale,
        "lines": [{ "variantId": shop.soda, "quantity": "4" }],
        "tenders": [{ "method": "CASH", "amount": "2000" }],
    });
    shop.sell(&shop.device, sale).await;
    assert_eq!(level(&shop, &shop.location).await["onHand"], "4");
    let void = json!({ "voidId": Uuid::new_v4().to_string(), "saleId": other_sale });
    let body = shop.void(&shop.device, void).await;
    assert!(body["data"]["voidSale"].is_object(), "{body}");
    assert_eq!(level(&shop, &shop.location).await["onHand"], "8");
    let kinds = shop
        .app
        .gql(
            &shop.owner,
            "{ stockMovements(first: 100) { edges { node { kind quantity } } } }",
            json!({}),
        )
        .await;
    let kinds: Vec<String> = kinds["data"]["stockMovements"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{kinds}"))
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["node"]["kind"].as_str().unwrap_or("?"),
                e["node"]["quantity"].as_str().unwrap_or("?")
            )
        })
        .collect();
    assert_eq!(
        kinds,
        ["RECEIVE 10", "SALE -3", "REFUND 1", "SALE -4", "VOID 4"]
    );
}

fn stock_event(shop: &Shop, sequence: i64, kind: &str, field: &str, payload: Value) -> Value {
    json!({
        "terminalId": shop.terminal,
        "sequence": sequence,
        "type": kind,
        "payload": { field: payload },
        "createdAt": format!("2026-11-27T10:{sequence:02}:00Z"),
    })
}

#[tokio::test]
async fn terminals_receive_and_count_offline_with_the_streams_rules() {
    let shop = Shop::open().await;
    track(&shop, &shop.soda).await;
    let receipt = Uuid::new_v4().to_string();
    let receive = |id: &str, quantity: &str| json!({ "receiptId": id, "supplierReference": "DN-7", "lines": [{ "variantId": shop.soda, "quantity": quantity, "unitCost": "90" }] });
    let sale = json!({
        "saleId": Uuid::new_v4().to_string(),
        "lines": [{ "variantId": shop.soda, "quantity": "2" }],
        "tenders": [{ "method": "CASH", "amount": "1000" }],
    });
    let events = [
        stock_event(
            &shop,
            1,
            "STOCK_RECEIVE",
            "stockReceive",
            receive(&receipt, "12"),
        ),
        stock_event(&shop, 2, "SALE", "sale", sale),
        // Counted 9 where 10 were expected: -1.
        stock_event(
            &shop,
            3,
            "STOCK_COUNT",
            "stockCount",
            json!({ "countId": Uuid::new_v4().to_string(), "lines": [{ "variantId": shop.soda, "quantity": "9" }] }),
        ),
    ];
    // The count arrives first and waits; then all, twice.
    let held = crate::sync::push(&shop, &shop.device, vec![events[2].clone()]).await;
    assert_eq!(held["appliedThrough"], 0, "{held}");
    let all = crate::sync::push(&shop, &shop.device, events.to_vec()).await;
    assert_eq!(all["appliedThrough"], 3, "{all}");
    let again = crate::sync::push(&shop, &shop.device, events.to_vec()).await;
    let statuses: Vec<&str> = again["results"].as_array().map_or(Vec::new(), |r| {
        r.iter()
            .map(|x| x["status"].as_str().unwrap_or("?"))
            .collect()
    });
    assert_eq!(statuses, ["DUPLICATE", "DUPLICATE", "DUPLICATE"], "{again}");
    let at_shop = level(&shop, &shop.location).await;
    assert_eq!(
        (at_shop["onHand"].as_str(), at_shop["averageCost"].as_str()),
        (Some("9"), Some("90")),
        "{at_shop}"
    );

    // The receipt's id again with other content: refused, nothing moves.
    let reused = crate::sync::push(
        &shop,
        &shop.device,
        vec![stock_event(
            &shop,
            4,
            "STOCK_RECEIVE",
            "stockReceive",
            receive(&receipt, "50"),
        )],
    )
    .await;
    assert_eq!(reused["results"][0]["code"], "ID_REUSED", "{reused}");
    // A variant that does not track stock: refused with the line's path.
    let cheese = json!({ "receiptId": Uuid::new_v4().to_string(), "lines": [{ "variantId": shop.cheese, "quantity": "1" }] });
    let refused = crate::sync::push(
        &shop,
        &shop.device,
        vec![stock_event(
            &shop,
            5,
            "STOCK_RECEIVE",
            "stockReceive",
            cheese,
        )],
    )
    .await;
    assert_eq!(
        refused["results"][0]["code"], "INVALID_STOCK_LINE",
        "{refused}"
    );
    assert_eq!(level(&shop, &shop.location).await["onHand"], "9");
}

#[tokio::test]
async fn reports_value_the_stock_count_its_flow_and_reconcile_repairs_a_level() {
    let shop = Shop::open().await;
    track(&shop, &shop.soda).await;
    for (quantity, cost) in [("10", "100"), ("10", "130")] {
        let input = json!({ "locationId": shop.location, "lines": [{ "variantId": shop.soda, "quantity": quantity, "unitCost": cost }] });
        document(&shop, &shop.owner, "receiveStock", input).await;
    }
    sell(&shop, "3").await;
    let damaged =
        json!({ "locationId": shop.location, "reason": "DAMAGE", "lines": [line(&shop, "-1")] });
    document(&shop, &shop.owner, "adjustStock", damaged).await;

    let valuation = shop
        .app
        .gql(
            &shop.owner,
            "{ stockValuation { location { code } variants units value withoutCost } }",
            json!({}),
        )
        .await;
    // 16 at an average of 1.15.
    assert_eq!(
        valuation["data"]["stockValuation"],
        json!([{ "location": { "code": "AMS1" }, "variants": 1, "units": "16", "value": "1840", "withoutCost": 0 }]),
        "{valuation}"
    );
    let today = chrono::Utc::now().date_naive();
    let flow = shop
        .app
        .gql(
            &shop.owner,
            "query($from: NaiveDate!, $to: NaiveDate!) { stockFlow(from: $from, to: $to, period: MONTH) { received sold returned adjusted counted transferredIn transferredOut } }",
            json!({ "from": today - chrono::Duration::days(40), "to": today + chrono::Duration::days(1) }),
        )
        .await;
    assert_eq!(
        flow["data"]["stockFlow"],
        json!([{ "received": "20", "sold": "3", "returned": "0", "adjusted": "-1", "counted": "0", "transferredIn": "0", "transferredOut": "0" }]),
        "{flow}"
    );

    // A level changed behind the ledger's back: reconcile finds it and
    // sets it back to the sum of the movements.
    let conn = shop.app.owner_connection().await;
    use sea_orm::ConnectionTrait;
    conn.execute_unprepared("UPDATE stock_levels SET on_hand = 99000")
        .await
        .expect("tamper");
    let reconciled = shop
        .app
        .gql(
            &shop.owner,
            "mutation($from: NaiveDate!, $to: NaiveDate!) { reconcileReports(from: $from, to: $to) { differences { table field stored expected } } }",
            json!({ "from": today, "to": today }),
        )
        .await;
    assert_eq!(
        reconciled["data"]["reconcileReports"]["differences"],
        json!([{ "table": "stock_levels", "field": "on_hand", "stored": 99000, "expected": 16000 }]),
        "{reconciled}"
    );
    assert_eq!(level(&shop, &shop.location).await["onHand"], "16");
}

//! The ledger as a record: the receipt hash chain, Z-reports, printed
//! receipts, append-only storage and tenant isolation.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::code;
use crate::shop::{Shop, reason};

const VERIFY: &str =
    "query($id: ID!) { verifyReceiptChain(terminalId: $id) { ok checked brokenAt problem } }";
const Z: &str = "query($id: ID!, $date: NaiveDate!) { zReport(terminalId: $id, businessDate: $date) { salesCount salesTotal refundsCount refundsTotal voidsCount voidsTotal netTotal tenders { method amount } taxes { name percent amount } firstReceiptNumber lastReceiptNumber grandTotal } }";

/// A day of trade: three sales (one voided, one partly refunded) on
/// 27 November and one sale on the 28th.
pub async fn trade(shop: &Shop) -> Vec<Value> {
    let mut sales = Vec::new();
    for (i, at) in [
        "2026-11-27T09:00:00Z",
        "2026-11-27T10:00:00Z",
        "2026-11-27T11:00:00Z",
        "2026-11-28T09:00:00Z",
    ]
    .iter()
    .enumerate()
    {
        let mut input = shop.basket();
        if i == 1 {
            input["tenders"] = json!([
                { "method": "CARD", "amount": "1000", "cardBrand": "VISA", "cardLast4": "4242", "authReference": "A1B2" },
                { "method": "CASH", "amount": "500" },
            ]);
        }
        let body = shop.sell_at(&shop.device, input, at).await;
        sales.push(body["data"]["recordSale"].clone());
    }
    let void = shop
        .app
        .gql(
            &shop.device,
            crate::shop::VOID_SALE,
            json!({ "input": { "voidId": Uuid::new_v4().to_string(), "saleId": sales[0]["id"] }, "at": "2026-11-27T09:05:00Z" }),
        )
        .await;
    assert!(void["data"]["voidSale"].is_object(), "{void}");
    let refund = shop
        .app
        .gql(
            &shop.device,
            &crate::shop::refund_sale(),
            json!({ "input": {
                "refundId": Uuid::new_v4().to_string(),
                "saleId": sales[2]["id"],
                "lines": [{ "saleLineNo": 1, "quantity": "1" }],
                "tenders": [{ "method": "CASH", "amount": "302" }],
            }, "at": "2026-11-27T12:00:00Z" }),
        )
        .await;
    // One of two sodas: 6.05 / 2 = 3.025 -> 3.02 (half-even).
    assert_eq!(refund["data"]["refundSale"]["total"], "302", "{refund}");
    sales
}

#[tokio::test]
async fn the_z_report_is_derived_from_the_ledger() {
    let shop = Shop::open().await;
    trade(&shop).await;
    let day = shop
        .app
        .gql(
            &shop.owner,
            Z,
            json!({ "id": shop.terminal, "date": "2026-11-27" }),
        )
        .await;
    let z = &day["data"]["zReport"];
    // Each basket is 13.20; the first was voided, the third refunded 3.02.
    assert_eq!(z["salesCount"], 3, "{day}");
    assert_eq!(z["salesTotal"], "3960");
    assert_eq!(z["voidsCount"], 1);
    assert_eq!(z["voidsTotal"], "1320");
    assert_eq!(z["refundsCount"], 1);
    assert_eq!(z["refundsTotal"], "302");
    assert_eq!(z["netTotal"], "2338");
    // Cash: the voided sale's 13.20 is out again; 5.00 - 1.80 change on
    // the second; 13.20 on the third; 3.02 paid back. Card: 10.00.
    assert_eq!(
        z["tenders"],
        json!([{ "method": "CARD", "amount": "1000" }, { "method": "CASH", "amount": "1338" }])
    );
    // 2.29 per basket, twice, less the refund's 0.52 (1.05 / 2, half-even).
    assert_eq!(
        z["taxes"],
        json!([{ "name": "VAT", "percent": "21", "amount": "406" }])
    );
    assert_eq!(z["firstReceiptNumber"], "AMS1-T1-000001");
    assert_eq!(z["lastReceiptNumber"], "AMS1-T1-000006");
    assert_eq!(z["grandTotal"], "2338");
    let next = shop
        .app
        .gql(
            &shop.device,
            Z,
            json!({ "id": shop.terminal, "date": "2026-11-28" }),
        )
        .await;
    assert_eq!(next["data"]["zReport"]["netTotal"], "1320", "{next}");
    assert_eq!(next["data"]["zReport"]["grandTotal"], "3658");
    let (other, other_device) = shop.another_terminal("T2").await;
    let refused = shop
        .app
        .gql(
            &other_device,
            Z,
            json!({ "id": shop.terminal, "date": "2026-11-27" }),
        )
        .await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
    let empty = shop
        .app
        .gql(&shop.owner, Z, json!({ "id": other, "date": "2026-11-27" }))
        .await;
    assert_eq!(empty["data"]["zReport"]["salesCount"], 0, "{empty}");
}

#[tokio::test]
async fn the_receipt_chain_verifies_and_breaks_where_a_row_was_altered() {
    let shop = Shop::open().await;
    let sales = trade(&shop).await;
    let ok = shop
        .app
        .gql(&shop.owner, VERIFY, json!({ "id": shop.terminal }))
        .await;
    assert_eq!(
        ok["data"]["verifyReceiptChain"],
        json!({ "ok": true, "checked": 6, "brokenAt": null, "problem": null }),
        "{ok}"
    );
    // Behind the app's back: lower the third sale's total.
    let number = sales[2]["receiptNumber"].as_str().unwrap();
    let position: i64 = number[8..].parse().unwrap();
    let owner = shop.app.owner_connection().await;
    let changed = owner
        .execute_unprepared(&format!(
            "UPDATE sales SET total = total - 100 WHERE receipt_number = '{number}'"
        ))
        .await
        .expect("tamper");
    assert_eq!(changed.rows_affected(), 1);
    let broken = shop
        .app
        .gql(&shop.owner, VERIFY, json!({ "id": shop.terminal }))
        .await;
    let check = &broken["data"]["verifyReceiptChain"];
    assert_eq!(check["ok"], false, "{broken}");
    assert_eq!(check["brokenAt"], position);
    assert_eq!(check["checked"], position - 1);
    assert_eq!(check["problem"], "the record was altered");
    let cashier = shop.app.token(shop.tenant, &[pos::auth::Role::Cashier]);
    let refused = shop
        .app
        .gql(&cashier, VERIFY, json!({ "id": shop.terminal }))
        .await;
    assert_eq!(code(&refused), "FORBIDDEN");
}

#[tokio::test]
#[ignore = "needs PostgreSQL (POS_DATABASE_URL=postgres://…): run with --ignored needs_postgres"]
async fn needs_postgres_the_app_role_cannot_change_ledger_rows() {
    let shop = Shop::open().await;
    assert!(
        shop.app.is_postgres(),
        "set POS_DATABASE_URL to a PostgreSQL server"
    );
    shop.sell(&shop.device, shop.basket()).await;
    // The server's own connection: the app role, which has INSERT and
    // SELECT on ledger tables but neither UPDATE nor DELETE.
    let conn = shop.app.state.db.operator().raw_connection();
    for sql in [
        "UPDATE sales SET total = 0",
        "DELETE FROM sale_lines",
        "DELETE FROM receipts",
    ] {
        let err = conn.execute_unprepared(sql).await.expect_err(sql);
        assert!(
            err.to_string().contains("permission denied"),
            "{sql}: {err}"
        );
    }
}

fn redact(text: &str, shop: &Shop) -> String {
    text.replace(&shop.terminal, "[terminal]")
}

#[tokio::test]
async fn receipts_print_for_both_widths_and_as_html() {
    let shop = Shop::open().await;
    let sales = trade(&shop).await;
    let query = "query($sale: ID, $refund: ID, $format: ReceiptFormat!) { receipt(saleId: $sale, refundId: $refund, format: $format) { number contentType body } }";
    for (format, name) in [
        ("TEXT_42", "sale_42"),
        ("TEXT_48", "sale_48"),
        ("HTML", "sale_html"),
    ] {
        let body = shop
            .app
            .gql(
                &shop.owner,
                query,
                json!({ "sale": sales[1]["id"], "format": format }),
            )
            .await;
        let receipt = &body["data"]["receipt"];
        assert_eq!(receipt["number"], "AMS1-T1-000002", "{body}");
        insta::assert_snapshot!(name, redact(receipt["body"].as_str().unwrap(), &shop));
    }
    let refund_id = shop
        .app
        .gql(
            &shop.owner,
            "query($id: ID!) { sale(id: $id) { refunds { id } } }",
            json!({ "id": sales[2]["id"] }),
        )
        .await["data"]["sale"]["refunds"][0]["id"]
        .clone();
    let body = shop
        .app
        .gql(
            &shop.owner,
            query,
            json!({ "refund": refund_id, "format": "TEXT_42" }),
        )
        .await;
    insta::assert_snapshot!(
        "refund_42",
        redact(body["data"]["receipt"]["body"].as_str().unwrap(), &shop)
    );
    let voided = shop
        .app
        .gql(
            &shop.owner,
            query,
            json!({ "sale": sales[0]["id"], "format": "TEXT_42" }),
        )
        .await;
    assert!(
        voided["data"]["receipt"]["body"]
            .as_str()
            .unwrap()
            .contains("VOIDED"),
        "{voided}"
    );
    let both = shop
        .app
        .gql(
            &shop.owner,
            query,
            json!({ "sale": sales[0]["id"], "refund": refund_id, "format": "HTML" }),
        )
        .await;
    assert_eq!(code(&both), "BAD_USER_INPUT");
}

#[tokio::test]
async fn another_tenant_sees_none_of_it() {
    let shop = Shop::open().await;
    let sales = trade(&shop).await;
    let app = &shop.app;
    let other = app.tenant("Other").await;
    let owner_b = app.owner(other);
    let location_b = app.create_location(&owner_b, "BRU1").await;
    let terminal_b = app.create_terminal(&owner_b, &location_b, "T1").await;
    let device_b = app.device_token(&owner_b, &terminal_b).await;
    let id = &sales[1]["id"];
    let sale = app
        .gql(
            &owner_b,
            "query($id: ID!) { sale(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(sale["data"]["sale"], json!(null), "{sale}");
    let list = app
        .gql(&owner_b, "{ sales { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(list["data"]["sales"]["edges"], json!([]));
    let receipt = app
        .gql(
            &owner_b,
            "query($id: ID) { receipt(saleId: $id, format: HTML) { body } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(receipt["data"]["receipt"], json!(null), "{receipt}");
    let z = app
        .gql(
            &owner_b,
            Z,
            json!({ "id": shop.terminal, "date": "2026-11-27" }),
        )
        .await;
    assert_eq!(code(&z), "NOT_FOUND", "{z}");
    let chain = app
        .gql(&owner_b, VERIFY, json!({ "id": shop.terminal }))
        .await;
    assert_eq!(code(&chain), "NOT_FOUND", "{chain}");
    // Refunding or voiding A's sale from B's terminal: as if it did not
    // exist, and nothing is written to either tenant.
    let refund = app
        .gql(
            &device_b,
            &crate::shop::refund_sale(),
            json!({ "input": { "refundId": Uuid::new_v4().to_string(), "saleId": id,
                    "lines": [{ "saleLineNo": 1, "quantity": "1" }], "tenders": [{ "method": "CASH", "amount": "302" }] } }),
        )
        .await;
    assert_eq!(reason(&refund), "SALE_NOT_FOUND", "{refund}");
    let void = app
        .gql(
            &device_b,
            crate::shop::VOID_SALE,
            json!({ "input": { "voidId": Uuid::new_v4().to_string(), "saleId": id } }),
        )
        .await;
    assert_eq!(reason(&void), "SALE_NOT_FOUND", "{void}");
    let seen = app
        .gql(
            &shop.owner,
            "query($id: ID!) { sale(id: $id) { refunds { id } void { id } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        seen["data"]["sale"],
        json!({ "refunds": [], "void": null }),
        "{seen}"
    );
}

/// Free text a terminal sends is stored exactly as sent, whatever it holds
/// (quotes, backslashes, braces, commas, the word NULL, non-ASCII), on the
/// bulk insert path of a push; the receipt chain over it verifies, and the
/// same event again is a duplicate.
#[tokio::test]
async fn free_text_in_a_pushed_sale_is_stored_exactly() {
    let shop = Shop::open().await;
    let brand = "Visa \"Gold\" \\ {x}, (y)";
    let auth = "NULL";
    let sale_id = Uuid::new_v4().to_string();
    let event = crate::sync::event(
        &shop.terminal,
        1,
        "SALE",
        json!({
            "saleId": sale_id,
            "lines": [{ "variantId": shop.soda, "quantity": "2", "barcode": "a\"b\\c,{}" }],
            "tenders": [
                { "method": "CARD", "amount": "100", "cardBrand": brand, "cardLast4": "4242", "authReference": auth },
                { "method": "CASH", "amount": "10000" },
            ],
        }),
    );
    let pushed = crate::sync::push(&shop, &shop.device, vec![event.clone()]).await;
    assert_eq!(pushed["results"][0]["status"], "APPLIED", "{pushed}");
    let body = shop
        .app
        .gql(
            &shop.owner,
            "query($id: ID!) { sale(id: $id) { lines { name } tenders { method cardBrand cardLast4 authReference } } }",
            json!({ "id": sale_id }),
        )
        .await;
    let tenders = &body["data"]["sale"]["tenders"];
    assert_eq!(tenders[0]["cardBrand"], brand, "{body}");
    assert_eq!(tenders[0]["authReference"], auth);
    assert_eq!(tenders[0]["cardLast4"], "4242");
    assert_eq!(tenders[1]["cardBrand"], Value::Null, "a null stays null");
    let chain = shop
        .app
        .gql(&shop.owner, VERIFY, json!({ "id": shop.terminal }))
        .await;
    assert_eq!(chain["data"]["verifyReceiptChain"]["ok"], true, "{chain}");
    let again = crate::sync::push(&shop, &shop.device, vec![event]).await;
    assert_eq!(again["results"][0]["status"], "DUPLICATE", "{again}");
    assert_eq!(again["results"][0]["originalStatus"], "APPLIED");
}

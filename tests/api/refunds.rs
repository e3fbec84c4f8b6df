//! Refunds and voids: exact pro-rating, limits over all terminals (also
//! under concurrency), refunds without a receipt, and void rules.

use pos::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::code;
use crate::shop::{Shop, reason};

fn refund_of(sale: &Value, lines: Value, amount: &str) -> Value {
    json!({
        "refundId": Uuid::new_v4().to_string(),
        "saleId": sale["id"],
        "lines": lines,
        "tenders": [{ "method": "CASH", "amount": amount }],
    })
}

async fn sold(shop: &Shop) -> Value {
    let mut input = shop.basket();
    input["lines"][0]["quantity"] = json!("3");
    input["lines"][0]["discount"] = json!("10");
    let body = shop.sell(&shop.device, input).await;
    body["data"]["recordSale"].clone()
}

#[tokio::test]
async fn partial_refunds_are_pro_rated_and_add_up_to_the_line() {
    let shop = Shop::open().await;
    let sale = sold(&shop).await;
    // Line 1: 3 x 2.50 - 0.10 = 7.40 net, 21 % = 1.554 -> 1.55, gross 8.95.
    assert_eq!(sale["lines"][0]["gross"], "895", "{sale}");
    let one = shop
        .refund(
            &shop.device,
            refund_of(&sale, json!([{ "saleLineNo": 1, "quantity": "1" }]), "298"),
        )
        .await;
    let refund = &one["data"]["refundSale"];
    // 8.95 / 3 = 2.9833 -> 2.98; tax 1.55 / 3 = 0.5167 -> 0.52.
    assert_eq!(refund["total"], "298", "{one}");
    assert_eq!(refund["taxTotal"], "52");
    assert_eq!(refund["lines"][0]["discount"], "3");
    assert_eq!(refund["receiptNumber"], "AMS1-T1-000002");
    // Wrong tender total: refused.
    let wrong = shop
        .refund(
            &shop.device,
            refund_of(&sale, json!([{ "saleLineNo": 1, "quantity": "2" }]), "596"),
        )
        .await;
    assert_eq!(reason(&wrong), "REFUND_TENDERS_MISMATCH", "{wrong}");
    // The rest: 8.95 - 2.98 = 5.97, so both parts add up to the line.
    let rest = shop
        .refund(
            &shop.device,
            refund_of(&sale, json!([{ "saleLineNo": 1, "quantity": "2" }]), "597"),
        )
        .await;
    assert_eq!(rest["data"]["refundSale"]["total"], "597", "{rest}");
    assert_eq!(rest["data"]["refundSale"]["taxTotal"], "103");
    let over = shop
        .refund(
            &shop.device,
            refund_of(&sale, json!([{ "saleLineNo": 1, "quantity": "1" }]), "298"),
        )
        .await;
    assert_eq!(reason(&over), "OVER_REFUND", "{over}");
    assert_eq!(over["errors"][0]["extensions"]["field"], "lines.0.quantity");

    let query = "query($id: ID!) { sale(id: $id) { lines { refundedQuantity refundableQuantity } refunds { total } } }";
    let seen = shop
        .app
        .gql(&shop.owner, query, json!({ "id": sale["id"] }))
        .await;
    assert_eq!(
        seen["data"]["sale"]["lines"][0],
        json!({ "refundedQuantity": "3", "refundableQuantity": "0" })
    );
    assert_eq!(
        seen["data"]["sale"]["lines"][1]["refundableQuantity"],
        "0.455"
    );
    assert_eq!(
        seen["data"]["sale"]["refunds"],
        json!([{ "total": "298" }, { "total": "597" }])
    );
}

#[tokio::test]
async fn bad_refunds_get_clear_codes() {
    let shop = Shop::open().await;
    let sale = sold(&shop).await;
    let unknown = json!({ "id": Uuid::new_v4().to_string() });
    let cases = [
        (
            refund_of(&unknown, json!([{ "saleLineNo": 1, "quantity": "1" }]), "1"),
            "SALE_NOT_FOUND",
            "NOT_FOUND",
        ),
        (
            refund_of(&sale, json!([{ "saleLineNo": 9, "quantity": "1" }]), "1"),
            "UNKNOWN_SALE_LINE",
            "BAD_USER_INPUT",
        ),
        (
            refund_of(&sale, json!([{ "saleLineNo": 1, "quantity": "-1" }]), "1"),
            "INVALID_QUANTITY",
            "BAD_USER_INPUT",
        ),
        (
            refund_of(&sale, json!([{ "saleLineNo": 2, "quantity": "0.5" }]), "1"),
            "OVER_REFUND",
            "BAD_USER_INPUT",
        ),
    ];
    for (input, expected, class) in cases {
        let body = shop.refund(&shop.device, input).await;
        assert_eq!((reason(&body), code(&body)), (expected, class), "{body}");
    }
}

#[tokio::test]
async fn another_terminal_refunds_and_the_limit_holds_across_terminals() {
    let shop = Shop::open().await;
    let sale = sold(&shop).await;
    let (_, other) = shop.another_terminal("T2").await;
    let body = shop
        .refund(
            &other,
            refund_of(&sale, json!([{ "saleLineNo": 1, "quantity": "2" }]), "597"),
        )
        .await;
    assert_eq!(
        body["data"]["refundSale"]["receiptNumber"], "AMS1-T2-000001",
        "{body}"
    );
    let over = shop
        .refund(
            &shop.device,
            refund_of(&sale, json!([{ "saleLineNo": 1, "quantity": "2" }]), "597"),
        )
        .await;
    assert_eq!(reason(&over), "OVER_REFUND", "{over}");
}

#[tokio::test]
async fn concurrent_refunds_never_exceed_the_quantity_sold() {
    let shop = Shop::open().await;
    // 1.00 + 21 % is 1.21 a piece exactly, so every refund of one is 1.21.
    let gum = shop
        .app
        .variant(&shop.owner, "GUM", 100, &shop.tax, None)
        .await;
    let body = shop
        .sell(
            &shop.device,
            json!({
                "saleId": Uuid::new_v4().to_string(),
                "lines": [{ "variantId": gum, "quantity": "3" }],
                "tenders": [{ "method": "CASH", "amount": "363" }],
            }),
        )
        .await;
    let sale = body["data"]["recordSale"].clone();
    let (_, other) = shop.another_terminal("T2").await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let device = if i % 2 == 0 { shop.device.clone() } else { other.clone() };
            let input = refund_of(&sale, json!([{ "saleLineNo": 1, "quantity": "1" }]), "121");
            let app_router = shop.app.router.clone();
            tokio::spawn(async move {
                use tower::ServiceExt;
                let request = axum::http::Request::post("/graphql")
                    .header("content-type", "application/json")
                    .header("authorization", format!("Bearer {device}"))
                    .body(axum::body::Body::from(
                        json!({ "query": crate::shop::refund_sale(), "variables": { "input": input } }).to_string(),
                    ))
                    .unwrap();
                let response = app_router.oneshot(request).await.unwrap();
                let bytes = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
                serde_json::from_slice::<Value>(&bytes).unwrap()
            })
        })
        .collect();
    let mut applied = 0;
    for task in tasks {
        let body = task.await.unwrap();
        if body["data"]["refundSale"].is_object() {
            applied += 1;
        } else {
            assert_eq!(reason(&body), "OVER_REFUND", "{body}");
        }
    }
    assert_eq!(applied, 3);
    let query =
        "query($id: ID!) { sale(id: $id) { lines { refundedQuantity } refunds { total } } }";
    let seen = shop
        .app
        .gql(&shop.owner, query, json!({ "id": sale["id"] }))
        .await;
    assert_eq!(
        seen["data"]["sale"]["lines"][0]["refundedQuantity"], "3",
        "{seen}"
    );
    let total: i64 = seen["data"]["sale"]["refunds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["total"].as_str().unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(total, 363);
}

#[tokio::test]
async fn a_refund_without_a_receipt_needs_a_manager() {
    let shop = Shop::open().await;
    let input = || {
        json!({
            "refundId": Uuid::new_v4().to_string(),
            "lines": [{ "variantId": shop.soda, "unitPrice": "250", "quantity": "2" }],
            "tenders": [{ "method": "CASH", "amount": "605" }],
            "reason": "no receipt, damaged",
        })
    };
    let refused = shop.refund(&shop.device, input()).await;
    assert_eq!(
        (code(&refused), reason(&refused)),
        ("FORBIDDEN", "MANAGER_REQUIRED"),
        "{refused}"
    );
    let manager = shop.device_as(&[Role::Manager]);
    let body = shop.refund(&manager, input()).await;
    let refund = &body["data"]["refundSale"];
    assert_eq!(refund["withoutReceipt"], true, "{body}");
    assert_eq!(refund["saleId"], json!(null));
    assert_eq!(refund["total"], "605");
    assert_eq!(refund["reason"], "no receipt, damaged");
}

#[tokio::test]
async fn voids_cancel_once_and_follow_the_rules() {
    let shop = Shop::open().await;
    let sale = sold(&shop).await;
    let void_input = json!({ "voidId": Uuid::new_v4().to_string(), "saleId": sale["id"], "reason": "customer left" });
    let (_, other) = shop.another_terminal("T2").await;
    let elsewhere = shop.void(&other, void_input.clone()).await;
    assert_eq!(reason(&elsewhere), "VOID_OTHER_TERMINAL", "{elsewhere}");

    let first = shop.void(&shop.device, void_input.clone()).await;
    let void = first["data"]["voidSale"].clone();
    assert_eq!(void["total"], sale["total"], "{first}");
    assert_eq!(void["receiptNumber"], "AMS1-T1-000002");
    // The same void again, and another void of the same sale: both answer
    // with the first, and nothing new is numbered.
    let again = shop.void(&shop.device, void_input).await;
    assert_eq!(again["data"]["voidSale"], void, "{again}");
    let second = shop
        .void(
            &shop.device,
            json!({ "voidId": Uuid::new_v4().to_string(), "saleId": sale["id"] }),
        )
        .await;
    assert_eq!(second["data"]["voidSale"], void, "{second}");
    let refund = shop
        .refund(
            &shop.device,
            refund_of(&sale, json!([{ "saleLineNo": 1, "quantity": "1" }]), "298"),
        )
        .await;
    assert_eq!(
        (code(&refund), reason(&refund)),
        ("CONFLICT", "SALE_VOIDED"),
        "{refund}"
    );
    let next = shop.sell(&shop.device, shop.basket()).await;
    assert_eq!(
        next["data"]["recordSale"]["receiptNumber"],
        "AMS1-T1-000003"
    );
}

#[tokio::test]
async fn a_refunded_sale_cannot_be_voided_and_voids_keep_to_the_day() {
    let shop = Shop::open().await;
    let sale = sold(&shop).await;
    shop.refund(
        &shop.device,
        refund_of(&sale, json!([{ "saleLineNo": 1, "quantity": "1" }]), "298"),
    )
    .await;
    let body = shop
        .void(
            &shop.device,
            json!({ "voidId": Uuid::new_v4().to_string(), "saleId": sale["id"] }),
        )
        .await;
    assert_eq!(reason(&body), "SALE_HAS_REFUNDS", "{body}");

    let old = shop
        .sell_at(&shop.device, shop.basket(), "2026-01-05T12:00:00Z")
        .await;
    let late = shop
        .void(
            &shop.device,
            json!({ "voidId": Uuid::new_v4().to_string(), "saleId": old["data"]["recordSale"]["id"] }),
        )
        .await;
    assert_eq!(reason(&late), "VOID_AFTER_CLOSE", "{late}");
}

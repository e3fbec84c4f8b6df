//! `syncPush`: deduplication, conflicts, held events and gaps, rejections
//! that consume their sequence, cross-terminal refunds that never wait, and
//! isolation.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::code;
use crate::shop::Shop;

pub const PUSH: &str = "mutation($events: [SalesEventInput!]!) { syncPush(events: $events) { results { sequence status originalStatus code message recordId receiptNumber } appliedThrough missing { from to } } }";
const STATUS: &str = "query($id: ID!) { terminalSyncStatus(terminalId: $id) { appliedThrough heldCount missing { from to } awaitingSaleCount lastPushAt conflictCount rejectionCount } }";
const ISSUES: &str = "{ syncIssues { edges { node { kind terminalId sequence code message payload storedPayload recordId } } } }";

pub fn event(terminal: &str, sequence: i64, kind: &str, payload: Value) -> Value {
    let key = kind.to_lowercase();
    json!({
        "terminalId": terminal,
        "sequence": sequence,
        "type": kind,
        "payload": { key: payload },
        "createdAt": format!("2026-11-27T10:{:02}:00Z", sequence % 60),
    })
}

pub fn sale(shop: &Shop, id: &str, sodas: &str) -> Value {
    json!({
        "saleId": id,
        "lines": [{ "variantId": shop.soda, "quantity": sodas }],
        "tenders": [{ "method": "CASH", "amount": "10000" }],
    })
}

pub async fn push(shop: &Shop, device: &str, events: Vec<Value>) -> Value {
    let body = shop
        .app
        .gql(device, PUSH, json!({ "events": events }))
        .await;
    assert!(body["data"]["syncPush"].is_object(), "{body}");
    body["data"]["syncPush"].clone()
}

fn statuses(result: &Value) -> Vec<String> {
    result["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn events_apply_in_order_and_duplicates_answer_like_the_first_time() {
    let shop = Shop::open().await;
    let t = shop.terminal.clone();
    let events: Vec<Value> = (1..=3)
        .map(|i| event(&t, i, "SALE", sale(&shop, &Uuid::new_v4().to_string(), "1")))
        .collect();
    let first = push(&shop, &shop.device, events.clone()).await;
    assert_eq!(
        statuses(&first),
        ["APPLIED", "APPLIED", "APPLIED"],
        "{first}"
    );
    assert_eq!(first["appliedThrough"], 3);
    assert_eq!(first["results"][2]["receiptNumber"], "AMS1-T1-000003");
    let again = push(&shop, &shop.device, events).await;
    assert_eq!(statuses(&again), ["DUPLICATE", "DUPLICATE", "DUPLICATE"]);
    assert_eq!(again["results"][0]["originalStatus"], "APPLIED");
    assert_eq!(
        again["results"][0]["recordId"],
        first["results"][0]["recordId"]
    );
    let sales = shop
        .app
        .gql(
            &shop.owner,
            "{ sales { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(sales["data"]["sales"]["edges"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_reused_sequence_is_a_conflict_that_changes_nothing() {
    let shop = Shop::open().await;
    let t = shop.terminal.clone();
    let original = event(&t, 1, "SALE", sale(&shop, &Uuid::new_v4().to_string(), "1"));
    push(&shop, &shop.device, vec![original]).await;
    let other = event(&t, 1, "SALE", sale(&shop, &Uuid::new_v4().to_string(), "5"));
    let result = push(&shop, &shop.device, vec![other]).await;
    assert_eq!(statuses(&result), ["CONFLICT"], "{result}");
    assert_eq!(result["results"][0]["code"], "SEQUENCE_CONFLICT");
    let sales = shop
        .app
        .gql(
            &shop.owner,
            "{ sales { edges { node { total } } } }",
            json!({}),
        )
        .await;
    // One soda: 2.50 + 21 % (0.525, half-even 0.52).
    assert_eq!(
        sales["data"]["sales"]["edges"],
        json!([{ "node": { "total": "302" } }]),
        "{sales}"
    );
    let issues = shop.app.gql(&shop.owner, ISSUES, json!({})).await;
    let issue = &issues["data"]["syncIssues"]["edges"][0]["node"];
    assert_eq!(issue["kind"], "CONFLICT", "{issues}");
    assert!(
        issue["payload"]
            .as_str()
            .unwrap()
            .contains("\"quantity\":\"5\"")
    );
    assert!(
        issue["storedPayload"]
            .as_str()
            .unwrap()
            .contains("\"quantity\":\"1\"")
    );
}

#[tokio::test]
async fn out_of_order_events_are_held_until_the_gap_fills() {
    let shop = Shop::open().await;
    let t = shop.terminal.clone();
    let ev = |i| {
        event(
            &t,
            i,
            "SALE",
            sale(
                &shop,
                &format!("00000000-0000-4000-8000-00000000000{i}"),
                "1",
            ),
        )
    };
    let ahead = push(&shop, &shop.device, vec![ev(4), ev(3)]).await;
    assert_eq!(statuses(&ahead), ["QUEUED", "QUEUED"], "{ahead}");
    assert_eq!(ahead["appliedThrough"], 0);
    assert_eq!(ahead["missing"], json!([{ "from": 1, "to": 2 }]));
    let status = shop.app.gql(&shop.device, STATUS, json!({ "id": t })).await;
    assert_eq!(
        status["data"]["terminalSyncStatus"]["heldCount"], 2,
        "{status}"
    );
    let one = push(&shop, &shop.device, vec![ev(1)]).await;
    assert_eq!(
        (one["appliedThrough"].clone(), one["missing"].clone()),
        (json!(1), json!([{ "from": 2, "to": 2 }]))
    );
    // Filling the gap applies the held events in sequence order, now.
    let two = push(&shop, &shop.device, vec![ev(2)]).await;
    assert_eq!(statuses(&two), ["APPLIED"]);
    assert_eq!(two["appliedThrough"], 4, "{two}");
    assert_eq!(two["missing"], json!([]));
    let list = shop
        .app
        .gql(
            &shop.owner,
            "{ sales(first: 10) { edges { node { id receiptNumber } } } }",
            json!({}),
        )
        .await;
    let by_number: Vec<(String, String)> = list["data"]["sales"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["receiptNumber"].as_str().unwrap().to_owned(),
                e["node"]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut sorted = by_number.clone();
    sorted.sort();
    for (i, (number, id)) in sorted.iter().enumerate() {
        assert_eq!(number, &format!("AMS1-T1-00000{}", i + 1));
        assert!(
            id.ends_with(&format!("{}", i + 1)),
            "sale of sequence {} got {number}",
            i + 1
        );
    }
    let status = shop.app.gql(&shop.device, STATUS, json!({ "id": t })).await;
    let s = &status["data"]["terminalSyncStatus"];
    assert_eq!(
        (s["appliedThrough"].clone(), s["heldCount"].clone()),
        (json!(4), json!(0))
    );
    assert!(s["lastPushAt"].is_string());
}

#[tokio::test]
async fn invalid_events_are_rejected_but_consume_their_sequence() {
    let shop = Shop::open().await;
    let t = shop.terminal.clone();
    let sale_id = Uuid::new_v4().to_string();
    let events = vec![
        event(&t, 1, "SALE", sale(&shop, &sale_id, "1")),
        event(
            &t,
            2,
            "REFUND",
            json!({
                "refundId": Uuid::new_v4().to_string(), "saleId": sale_id,
                "lines": [{ "saleLineNo": 1, "quantity": "2" }], "tenders": [{ "method": "CASH", "amount": "606" }],
            }),
        ),
        event(
            &t,
            3,
            "VOID",
            json!({ "voidId": Uuid::new_v4().to_string(), "saleId": Uuid::new_v4().to_string() }),
        ),
        event(
            &t,
            4,
            "SALE",
            json!({
                "saleId": Uuid::new_v4().to_string(), "lines": [{ "variantId": shop.soda, "quantity": "1" }],
                "tenders": [{ "method": "CARD", "amount": "302", "authReference": "4111111111111111" }],
            }),
        ),
        event(&t, 5, "SALE", sale(&shop, &Uuid::new_v4().to_string(), "1")),
    ];
    let result = push(&shop, &shop.device, events).await;
    assert_eq!(
        statuses(&result),
        ["APPLIED", "REJECTED", "REJECTED", "REJECTED", "APPLIED"],
        "{result}"
    );
    let codes: Vec<&str> = result["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        codes,
        [
            "",
            "OVER_REFUND",
            "SALE_NOT_FOUND",
            "CARD_NUMBER_REFUSED",
            ""
        ]
    );
    assert_eq!(result["appliedThrough"], 5);
    assert_eq!(result["results"][4]["receiptNumber"], "AMS1-T1-000002");
    let issues = shop.app.gql(&shop.owner, ISSUES, json!({})).await;
    let edges = issues["data"]["syncIssues"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 3, "{issues}");
    // The card number is never stored, not even in a rejected payload.
    let text = issues.to_string();
    assert!(!text.contains("4111111111111111"), "{text}");
    assert!(text.contains("************1111"));
    let status = shop.app.gql(&shop.owner, STATUS, json!({ "id": t })).await;
    assert_eq!(
        status["data"]["terminalSyncStatus"]["rejectionCount"], 3,
        "{status}"
    );
}

#[tokio::test]
async fn a_refund_of_another_terminals_sale_never_waits_for_it() {
    let shop = Shop::open().await;
    let (t2, device2) = shop.another_terminal("T2").await;
    let sale_id = Uuid::new_v4().to_string();
    let refund = |id: &str, qty: &str, amount: &str| {
        json!({
            "refundId": id, "saleId": sale_id,
            "lines": [{ "saleLineNo": 1, "quantity": qty }], "tenders": [{ "method": "CASH", "amount": amount }],
        })
    };
    let refund_id = Uuid::new_v4().to_string();
    // T2 refunds one of T1's two sodas before T1 has pushed the sale, then
    // sells on; a second refund over-refunds.
    let early = push(
        &shop,
        &device2,
        vec![
            event(&t2, 1, "REFUND", refund(&refund_id, "1", "302")),
            event(
                &t2,
                2,
                "SALE",
                sale(&shop, &Uuid::new_v4().to_string(), "1"),
            ),
            event(
                &t2,
                3,
                "REFUND",
                refund(&Uuid::new_v4().to_string(), "2", "606"),
            ),
        ],
    )
    .await;
    assert_eq!(
        statuses(&early),
        ["APPLIED", "APPLIED", "APPLIED"],
        "{early}"
    );
    assert_eq!(early["results"][0]["code"], "AWAITING_SALE");
    assert_eq!(early["appliedThrough"], 3);
    assert_eq!(early["results"][1]["receiptNumber"], "AMS1-T2-000001");
    let status = shop.app.gql(&shop.owner, STATUS, json!({ "id": t2 })).await;
    assert_eq!(
        status["data"]["terminalSyncStatus"]["awaitingSaleCount"], 2,
        "{status}"
    );
    // The sale arrives: the first refund is linked and applied, the second
    // is found to over-refund and is rejected.
    push(
        &shop,
        &shop.device,
        vec![event(&shop.terminal, 1, "SALE", sale(&shop, &sale_id, "2"))],
    )
    .await;
    let seen = shop
        .app
        .gql(&shop.owner, "query($id: ID!) { sale(id: $id) { lines { refundableQuantity } refunds { id total receiptNumber } } }", json!({ "id": sale_id }))
        .await;
    assert_eq!(
        seen["data"]["sale"]["refunds"],
        json!([{ "id": refund_id, "total": "302", "receiptNumber": "AMS1-T2-000002" }]),
        "{seen}"
    );
    assert_eq!(seen["data"]["sale"]["lines"][0]["refundableQuantity"], "1");
    let status = shop.app.gql(&shop.owner, STATUS, json!({ "id": t2 })).await;
    let s = &status["data"]["terminalSyncStatus"];
    assert_eq!(
        (s["awaitingSaleCount"].clone(), s["rejectionCount"].clone()),
        (json!(0), json!(1)),
        "{status}"
    );
    let again = push(
        &shop,
        &device2,
        vec![event(&t2, 1, "REFUND", refund(&refund_id, "1", "302"))],
    )
    .await;
    assert_eq!(again["results"][0]["originalStatus"], "APPLIED", "{again}");
}

#[tokio::test]
async fn events_for_another_terminal_or_tenant_are_refused_and_write_nothing() {
    let shop = Shop::open().await;
    let (t2, _) = shop.another_terminal("T2").await;
    let other = shop.app.tenant("Other").await;
    let mut foreign = event(
        &t2,
        1,
        "SALE",
        sale(&shop, &Uuid::new_v4().to_string(), "1"),
    );
    foreign["tenantId"] = json!(other.to_string());
    let mut own = event(
        &shop.terminal,
        1,
        "SALE",
        sale(&shop, &Uuid::new_v4().to_string(), "1"),
    );
    own["tenantId"] = json!(other.to_string());
    let result = push(&shop, &shop.device, vec![foreign, own]).await;
    assert_eq!(statuses(&result), ["REJECTED", "APPLIED"], "{result}");
    assert_eq!(result["results"][0]["code"], "FORBIDDEN");
    let status = shop.app.gql(&shop.owner, STATUS, json!({ "id": t2 })).await;
    assert_eq!(status["data"]["terminalSyncStatus"]["appliedThrough"], 0);
    let owner_b = shop.app.owner(other);
    let b_sales = shop
        .app
        .gql(&owner_b, "{ sales { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(b_sales["data"]["sales"]["edges"], json!([]), "{b_sales}");
    // A type that does not match its payload is refused, unstored.
    let mismatched = json!({ "terminalId": shop.terminal, "sequence": 2, "type": "VOID",
        "payload": { "sale": sale(&shop, &Uuid::new_v4().to_string(), "1") }, "createdAt": "2026-11-27T10:00:00Z" });
    let result = push(&shop, &shop.device, vec![mismatched]).await;
    assert_eq!(result["results"][0]["code"], "TYPE_MISMATCH", "{result}");
    assert_eq!(result["appliedThrough"], 1);
}

#[tokio::test]
async fn pushes_are_for_device_tokens_and_bounded() {
    let shop = Shop::open().await;
    let body = shop
        .app
        .gql(&shop.owner, PUSH, json!({ "events": [] }))
        .await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    let many: Vec<Value> = (1..=501)
        .map(|i| event(&shop.terminal, i, "VOID", json!({ "voidId": Uuid::new_v4().to_string(), "saleId": Uuid::new_v4().to_string() })))
        .collect();
    let body = shop
        .app
        .gql(&shop.device, PUSH, json!({ "events": many }))
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    let cashier = shop.app.token(shop.tenant, &[pos::auth::Role::Cashier]);
    let issues = shop.app.gql(&cashier, ISSUES, json!({})).await;
    assert_eq!(code(&issues), "FORBIDDEN");
}

#[tokio::test]
async fn two_concurrent_pushes_of_the_same_events_apply_each_once() {
    let shop = Shop::open().await;
    for round in 0..100i64 {
        let events: Vec<Value> = (1..=3)
            .map(|i| {
                event(
                    &shop.terminal,
                    round * 3 + i,
                    "SALE",
                    sale(&shop, &Uuid::new_v4().to_string(), "1"),
                )
            })
            .collect();
        let send = |events: Vec<Value>| {
            let router = shop.app.router.clone();
            let device = shop.device.clone();
            tokio::spawn(async move {
                use tower::ServiceExt;
                let request = axum::http::Request::post("/graphql")
                    .header("content-type", "application/json")
                    .header("authorization", format!("Bearer {device}"))
                    .body(axum::body::Body::from(
                        json!({ "query": PUSH, "variables": { "events": events } }).to_string(),
                    ))
                    .unwrap();
                let response = router.oneshot(request).await.unwrap();
                let bytes = http_body_util::BodyExt::collect(response.into_body())
                    .await
                    .unwrap()
                    .to_bytes();
                serde_json::from_slice::<Value>(&bytes).unwrap()
            })
        };
        let (a, b) = (send(events.clone()), send(events));
        let (a, b) = (a.await.unwrap(), b.await.unwrap());
        for i in 0..3 {
            let pair = [
                a["data"]["syncPush"]["results"][i]["status"]
                    .as_str()
                    .unwrap_or("?"),
                b["data"]["syncPush"]["results"][i]["status"]
                    .as_str()
                    .unwrap_or("?"),
            ];
            assert!(
                pair == ["APPLIED", "DUPLICATE"] || pair == ["DUPLICATE", "APPLIED"],
                "round {round}: {a} {b}"
            );
        }
    }
    let status = shop
        .app
        .gql(&shop.owner, STATUS, json!({ "id": shop.terminal }))
        .await;
    assert_eq!(
        status["data"]["terminalSyncStatus"]["appliedThrough"], 300,
        "{status}"
    );
    let chain = shop
        .app
        .gql(
            &shop.owner,
            "query($id: ID!) { verifyReceiptChain(terminalId: $id) { ok checked } }",
            json!({ "id": shop.terminal }),
        )
        .await;
    assert_eq!(
        chain["data"]["verifyReceiptChain"],
        json!({ "ok": true, "checked": 300 })
    );
}

#[tokio::test]
async fn held_events_come_back_intact_and_a_held_card_number_is_still_refused() {
    let shop = Shop::open().await;
    let t = shop.terminal.clone();
    // An id whose digits, read across its hyphens, look like a card number:
    // only free-text fields are masked, never ids.
    let id = "aaaaaaaa-4111-1111-1111-1111aaaaaaaa";
    let pan_sale = json!({
        "saleId": Uuid::new_v4().to_string(), "lines": [{ "variantId": shop.soda, "quantity": "1" }],
        "tenders": [{ "method": "CASH", "amount": "302", "reference": "4111 1111 1111 1111" }],
    });
    let held = push(
        &shop,
        &shop.device,
        vec![
            event(&t, 2, "SALE", sale(&shop, id, "1")),
            event(&t, 3, "SALE", pan_sale),
        ],
    )
    .await;
    assert_eq!(statuses(&held), ["QUEUED", "QUEUED"], "{held}");
    let filled = push(
        &shop,
        &shop.device,
        vec![event(
            &t,
            1,
            "SALE",
            sale(&shop, &Uuid::new_v4().to_string(), "1"),
        )],
    )
    .await;
    assert_eq!(filled["appliedThrough"], 3, "{filled}");
    let seen = shop
        .app
        .gql(
            &shop.owner,
            "query($id: ID!) { sale(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(seen["data"]["sale"]["id"], id, "{seen}");
    let issues = shop.app.gql(&shop.owner, ISSUES, json!({})).await;
    let edges = issues["data"]["syncIssues"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), 1, "{issues}");
    assert_eq!(edges[0]["node"]["code"], "CARD_NUMBER_REFUSED");
    assert!(
        !issues.to_string().contains("4111 1111 1111 1111"),
        "{issues}"
    );
}

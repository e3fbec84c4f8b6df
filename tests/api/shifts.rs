//! Cash-drawer shifts synced from a terminal: the expected cash and the
//! over/short equal a hand computation, in yen (no minor units) and
//! Kuwaiti dinars (three), whatever order the events arrive in.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestApp;
use crate::sync::PUSH;

struct Till {
    app: TestApp,
    owner: String,
    terminal: String,
    device: String,
    item: String,
}

/// A tenant selling in `currency`, one item at `price` with `percent` tax.
async fn till(currency: &str, price: i64, percent: &str) -> Till {
    let app = TestApp::spawn().await;
    let tenant = app.tenant_in("Drawer", currency).await;
    let owner = app.owner(tenant);
    let tax = app.tax_group(&owner, "Tax", percent).await;
    let location = app.location_in(&owner, "LOC1", currency).await;
    let terminal = app.create_terminal(&owner, &location, "T1").await;
    let device = app.device_token(&owner, &terminal).await;
    let item = app.variant(&owner, "ITEM", price, &tax, None).await;
    Till {
        app,
        owner,
        terminal,
        device,
        item,
    }
}

/// One event of the till's stream; `field` is the payload's name.
fn event(t: &Till, sequence: i64, kind: &str, field: &str, payload: Value) -> Value {
    json!({
        "terminalId": t.terminal,
        "sequence": sequence,
        "type": kind,
        "payload": { field: payload },
        "createdAt": format!("2026-11-27T10:{sequence:02}:00Z"),
    })
}

fn sale(t: &Till, id: &str, quantity: &str, method: &str, paid: &str) -> Value {
    json!({
        "saleId": id,
        "lines": [{ "variantId": t.item, "quantity": quantity }],
        "tenders": [{ "method": method, "amount": paid }],
    })
}

fn cash(shift: &str, kind: &str, amount: &str, reason: &str) -> Value {
    json!({ "movementId": Uuid::new_v4().to_string(), "shiftId": shift, "kind": kind, "amount": amount, "reason": reason })
}

async fn push(t: &Till, events: &[Value]) -> Value {
    let body = t
        .app
        .gql(&t.device, PUSH, json!({ "events": events }))
        .await;
    assert!(body["data"]["syncPush"].is_object(), "{body}");
    body["data"]["syncPush"].clone()
}

const SHIFT: &str = "openingFloat cashSales cashRefunds cashVoids payIns payOuts drops expected counted overShort status movements { kind amount reason }";

async fn shifts(t: &Till) -> Vec<Value> {
    let query = format!("{{ shifts {{ edges {{ node {{ {SHIFT} }} }} }} }}");
    let body = t.app.gql(&t.owner, &query, json!({})).await;
    body["data"]["shifts"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[tokio::test]
async fn a_yen_shift_pushed_out_of_order_and_twice_matches_the_hand_count() {
    let t = till("JPY", 150, "10").await;
    let shift = Uuid::new_v4().to_string();
    let (cash_sale, card_sale, voided) = (
        Uuid::new_v4().to_string(),
        Uuid::new_v4().to_string(),
        Uuid::new_v4().to_string(),
    );
    let events = [
        event(
            &t,
            1,
            "SHIFT_OPEN",
            "shiftOpen",
            json!({ "shiftId": shift, "float": "10000" }),
        ),
        // 3 x 150 + 10 % = 495 in cash (1000 given, 505 change).
        event(
            &t,
            2,
            "SALE",
            "sale",
            sale(&t, &cash_sale, "3", "CASH", "1000"),
        ),
        // 2 x 150 + 10 % = 330 by card: no cash.
        event(
            &t,
            3,
            "SALE",
            "sale",
            sale(&t, &card_sale, "2", "CARD", "330"),
        ),
        // 165 in cash, then voided: 165 back out.
        event(&t, 4, "SALE", "sale", sale(&t, &voided, "1", "CASH", "165")),
        event(
            &t,
            5,
            "VOID",
            "void",
            json!({ "voidId": Uuid::new_v4().to_string(), "saleId": voided }),
        ),
        // One of the three cash items back: 165 out.
        event(
            &t,
            6,
            "REFUND",
            "refund",
            json!({
                "refundId": Uuid::new_v4().to_string(), "saleId": cash_sale,
                "lines": [{ "saleLineNo": 1, "quantity": "1" }],
                "tenders": [{ "method": "CASH", "amount": "165" }],
            }),
        ),
        event(
            &t,
            7,
            "CASH_MOVEMENT",
            "cashMovement",
            cash(&shift, "PAY_IN", "5000", "change from the safe"),
        ),
        event(
            &t,
            8,
            "CASH_MOVEMENT",
            "cashMovement",
            cash(&shift, "PAY_OUT", "1200", "window cleaner"),
        ),
        event(
            &t,
            9,
            "CASH_MOVEMENT",
            "cashMovement",
            cash(&shift, "DROP", "8000", "safe drop"),
        ),
        event(
            &t,
            10,
            "SHIFT_CLOSE",
            "shiftClose",
            json!({ "shiftId": shift, "counted": "6100" }),
        ),
    ];
    // The close and the movements first (held), then the rest, with
    // repeats.
    let late = push(
        &t,
        &[events[9].clone(), events[6].clone(), events[4].clone()],
    )
    .await;
    assert_eq!(late["appliedThrough"], 0, "{late}");
    let all = push(&t, &events).await;
    assert_eq!(all["appliedThrough"], 10, "{all}");
    push(&t, &events[5..]).await;

    // 10000 float + 660 cash sales − 165 refunded − 165 voided + 5000 in
    // − 1200 out − 8000 dropped = 6130 expected; 6100 counted: 30 short.
    let found = shifts(&t).await;
    assert_eq!(found.len(), 1);
    let s = &found[0];
    let figures: Vec<&str> = [
        "openingFloat",
        "cashSales",
        "cashRefunds",
        "cashVoids",
        "payIns",
        "payOuts",
        "drops",
        "expected",
        "counted",
        "overShort",
    ]
    .iter()
    .map(|k| s[*k].as_str().unwrap_or("null"))
    .collect();
    assert_eq!(
        figures,
        [
            "10000", "660", "165", "165", "5000", "1200", "8000", "6130", "6100", "-30"
        ],
        "{s}"
    );
    assert_eq!(s["status"], "CLOSED");
    assert_eq!(s["movements"].as_array().map(Vec::len), Some(3));

    // The Z-report carries the shift and the day's over/short.
    let z = t
        .app
        .gql(
            &t.owner,
            "query($t: ID!) { zReport(terminalId: $t, businessDate: \"2026-11-27\") { cashOverShort shifts { expected counted overShort } } }",
            json!({ "t": t.terminal }),
        )
        .await;
    assert_eq!(
        z["data"]["zReport"],
        json!({ "cashOverShort": "-30", "shifts": [{ "expected": "6130", "counted": "6100", "overShort": "-30" }] }),
        "{z}"
    );
    // Over/short per location and month.
    let report = t
        .app
        .gql(
            &t.owner,
            "{ cashOverShort(from: \"2026-11-01\", to: \"2026-11-30\", period: MONTH) { period currency shifts expected counted overShort shiftsOff } }",
            json!({}),
        )
        .await;
    assert_eq!(
        report["data"]["cashOverShort"],
        json!([{ "period": "2026-11-01", "currency": "JPY", "shifts": 1, "expected": "6130", "counted": "6100", "overShort": "-30", "shiftsOff": 1 }]),
        "{report}"
    );
}

#[tokio::test]
async fn a_dinar_shift_keeps_its_fils() {
    let t = till("KWD", 1250, "5").await;
    let shift = Uuid::new_v4().to_string();
    let events = [
        event(
            &t,
            1,
            "SHIFT_OPEN",
            "shiftOpen",
            json!({ "shiftId": shift, "float": "50000" }),
        ),
        // 3 x 1.250 + 5 % = 3.938; 2 x 1.250 + 5 % = 2.625.
        event(
            &t,
            2,
            "SALE",
            "sale",
            sale(&t, &Uuid::new_v4().to_string(), "3", "CASH", "10000"),
        ),
        event(
            &t,
            3,
            "SALE",
            "sale",
            sale(&t, &Uuid::new_v4().to_string(), "2", "CASH", "3000"),
        ),
        event(
            &t,
            4,
            "CASH_MOVEMENT",
            "cashMovement",
            cash(&shift, "PAY_OUT", "1500", "milk"),
        ),
        event(
            &t,
            5,
            "CASH_MOVEMENT",
            "cashMovement",
            cash(&shift, "DROP", "20000", "safe"),
        ),
        event(
            &t,
            6,
            "SHIFT_CLOSE",
            "shiftClose",
            json!({ "shiftId": shift, "counted": "35070" }),
        ),
    ];
    let pushed = push(&t, &events).await;
    assert_eq!(pushed["appliedThrough"], 6, "{pushed}");
    // 50.000 + 3.938 + 2.625 − 1.500 − 20.000 = 35.063; 35.070 counted.
    let s = &shifts(&t).await[0];
    assert_eq!(
        (
            s["cashSales"].as_str(),
            s["expected"].as_str(),
            s["overShort"].as_str()
        ),
        (Some("6563"), Some("35063"), Some("7")),
        "{s}"
    );
}

#[tokio::test]
async fn shift_events_out_of_turn_are_rejected_with_their_codes() {
    let t = till("EUR", 100, "0").await;
    let (first, second) = (Uuid::new_v4().to_string(), Uuid::new_v4().to_string());
    let events = [
        event(
            &t,
            1,
            "SHIFT_OPEN",
            "shiftOpen",
            json!({ "shiftId": first, "float": "0" }),
        ),
        event(
            &t,
            2,
            "SHIFT_OPEN",
            "shiftOpen",
            json!({ "shiftId": second, "float": "0" }),
        ),
        event(
            &t,
            3,
            "CASH_MOVEMENT",
            "cashMovement",
            cash(&second, "PAY_IN", "100", "float top-up"),
        ),
        event(
            &t,
            4,
            "CASH_MOVEMENT",
            "cashMovement",
            cash(&first, "PAY_IN", "0", "nothing"),
        ),
        event(
            &t,
            5,
            "SHIFT_CLOSE",
            "shiftClose",
            json!({ "shiftId": first, "counted": "0" }),
        ),
        event(
            &t,
            6,
            "SHIFT_CLOSE",
            "shiftClose",
            json!({ "shiftId": first, "counted": "5" }),
        ),
        event(
            &t,
            7,
            "STOCK_COUNT",
            "shiftOpen",
            json!({ "shiftId": second, "float": "0" }),
        ),
    ];
    let pushed = push(&t, &events).await;
    let codes: Vec<String> = pushed["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{pushed}"))
        .iter()
        .map(|r| {
            format!(
                "{} {}",
                r["status"].as_str().unwrap_or("?"),
                r["code"].as_str().unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            "APPLIED -",
            "REJECTED SHIFT_ALREADY_OPEN",
            "REJECTED SHIFT_NOT_OPEN",
            "REJECTED INVALID_AMOUNT",
            "APPLIED -",
            "REJECTED ID_REUSED",
            "REJECTED TYPE_MISMATCH",
        ],
        "{pushed}"
    );
}

//! `GET /reports/sales.csv` over HTTP, and reports of a tenant whose
//! locations use two currencies.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use pos::auth::Role;
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

use crate::helpers::{CREATE_LOCATION, location_input};
use crate::ledger::trade;
use crate::shop::Shop;

/// Status, headers and body text of a CSV request.
async fn csv(shop: &Shop, token: Option<&str>, query: &str) -> (StatusCode, String, String) {
    let mut request = Request::get(format!("/reports/sales.csv?{query}"));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = shop
        .app
        .router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .expect("response");
    let status = response.status();
    let headers = format!("{:?}", response.headers());
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

fn error_code(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    v["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
        .to_owned()
}

#[tokio::test]
async fn the_csv_holds_the_report_rows_with_names_and_decimal_amounts() {
    let shop = Shop::open().await;
    trade(&shop).await;
    let (status, headers, body) = csv(
        &shop,
        Some(&shop.owner),
        "from=2026-11-27&to=2026-11-28&groupBy=TERMINAL&groupBy=DAY",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(headers.contains("text/csv"), "{headers}");
    assert!(
        headers.contains("attachment; filename=\\\"sales-2026-11-27-2026-11-28.csv\\\""),
        "{headers}"
    );
    let lines: Vec<&str> = body.split_terminator("\r\n").collect();
    assert!(
        !body.replace("\r\n", "").contains('\n'),
        "CRLF only: {body:?}"
    );
    assert_eq!(
        lines[0],
        "terminal_id,terminal_code,terminal,day,gross_sales,discounts,net_sales,tax,total,refunds,\
         voids,void_count,transactions,refund_count,items_sold,items_refunded,average_basket,currency"
    );
    assert_eq!(lines.len(), 3, "{body}");
    // The 27th, as the Z-report and salesReport give it (23.38 net of a
    // 3.02 refund, one void of 13.20, tax 4.06), in major units.
    let day: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(day[0], shop.terminal);
    assert_eq!(&day[1..4], ["T1", "Till T1", "2026-11-27"]);
    assert_eq!(day[7], "4.06");
    assert_eq!(&day[8..14], ["23.38", "3.02", "13.20", "1", "2", "1"]);
    assert_eq!(day[17], "EUR");
    assert!(lines[2].contains(",2026-11-28,"), "{body}");

    // The same query as salesReport, top-N included.
    let (_, _, top) = csv(
        &shop,
        Some(&shop.owner),
        "from=2026-11-27&to=2026-11-28&groupBy=VARIANT&sortBy=NET_SALES&first=1",
    )
    .await;
    let top: Vec<&str> = top.split_terminator("\r\n").collect();
    assert_eq!(top.len(), 2, "{top:?}");
    assert!(top[0].starts_with("variant_id,sku,variant,gross_sales"));
    // Per payment method, only what payments can say.
    let (_, _, methods) = csv(
        &shop,
        Some(&shop.owner),
        "from=2026-11-27&to=2026-11-27&groupBy=PAYMENT_METHOD",
    )
    .await;
    assert_eq!(
        methods,
        "payment_method,total,refunds,voids,void_count,transactions,refund_count,average_basket,currency\r\n\
         CARD,10.00,0.00,0.00,0,1,0,10.00,EUR\r\n\
         CASH,13.38,3.02,13.20,1,2,1,8.20,EUR\r\n"
    );
}

#[tokio::test]
async fn tax_rates_export_with_their_name_and_percent() {
    let shop = Shop::open().await;
    trade(&shop).await;
    let (status, _, body) = csv(
        &shop,
        Some(&shop.owner),
        "from=2026-11-27&to=2026-11-27&groupBy=TAX_RATE",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let lines: Vec<&str> = body.split_terminator("\r\n").collect();
    assert_eq!(
        lines[0],
        "tax_rate_id,tax_rate,tax_rate_percent,net_sales,tax,total,refunds,voids,currency"
    );
    let row: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(
        &row[1..],
        [
            "VAT", "21", "19.32", "4.06", "23.38", "3.02", "13.20", "EUR"
        ]
    );
    assert_eq!(lines.len(), 2, "{body}");
}

#[tokio::test]
async fn names_are_quoted_and_defused_against_formulas() {
    let shop = Shop::open().await;
    trade(&shop).await;
    let renamed = shop
        .app
        .gql(
            &shop.owner,
            "mutation($id: ID!) { updateLocation(id: $id, input: { name: \"=HYPERLINK(\\\"http://x\\\", \\\"a,b\\\")\" }) { name } }",
            json!({ "id": shop.location }),
        )
        .await;
    assert!(renamed["errors"].is_null(), "{renamed}");
    let (status, _, body) = csv(
        &shop,
        Some(&shop.owner),
        "from=2026-11-27&to=2026-11-27&groupBy=LOCATION",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let row = body.split_terminator("\r\n").nth(1).unwrap();
    assert!(
        row.starts_with(&format!(
            "{},AMS1,\"'=HYPERLINK(\"\"http://x\"\", \"\"a,b\"\")\",",
            shop.location
        )),
        "{row}"
    );
}

#[tokio::test]
async fn bad_requests_get_a_status_and_a_code_before_any_row() {
    let shop = Shop::open().await;
    let q = "from=2026-11-27&to=2026-11-28&groupBy=DAY";
    let (status, headers, body) = csv(&shop, None, q).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    assert!(!headers.contains("text/csv"));
    let (status, _, body) = csv(&shop, Some("not-a-token"), q).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED")
    );
    let cashier = shop.app.token(shop.tenant, &[Role::Cashier]);
    let (status, _, body) = csv(&shop, Some(&cashier), q).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::FORBIDDEN, "FORBIDDEN")
    );
    let (status, _, body) = csv(&shop, Some(&shop.device), q).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    for bad in [
        "from=2026-11-28&to=2026-11-27&groupBy=DAY",
        "from=2026-11-27&groupBy=DAY",
        "from=27.11.2026&to=2026-11-28",
        "from=2025-01-01&to=2026-12-31&groupBy=HOUR",
        "from=2026-11-27&to=2026-11-28&groupBy=WEEKDAY",
        "from=2026-11-27&to=2026-11-28&tenantId=x",
        "from=2026-11-27&to=2026-11-28&first=0",
        "from=2026-11-27&to=2026-11-28&first=ten",
        "from=2026-11-27&to=2026-11-28&from=2026-11-01",
        "from=2026-11-27&to=2026-11-28&locations=nope",
        "from=2026-11-27&to=2026-11-28&groupBy=PAYMENT_METHOD,PRODUCT",
        "from=2026-11-27&to=2026-11-28&groupBy=PAYMENT_METHOD&sortBy=TAX",
    ] {
        let (status, _, body) = csv(&shop, Some(&shop.owner), bad).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
            "{bad}: {body}"
        );
    }
    let (status, _, body) = csv(
        &shop,
        Some(&shop.owner),
        &format!("{q}&locations={}", Uuid::new_v4()),
    )
    .await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::NOT_FOUND, "NOT_FOUND"),
        "{body}"
    );
}

#[tokio::test]
async fn another_tenant_exports_none_of_it() {
    let shop = Shop::open().await;
    trade(&shop).await;
    let other = shop.app.tenant("Other").await;
    let other_owner = shop.app.owner(other);
    let (status, _, body) = csv(
        &shop,
        Some(&other_owner),
        "from=2026-01-01&to=2026-12-31&groupBy=LOCATION,TERMINAL,DAY",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body.split_terminator("\r\n").count(), 1, "{body}");
    // A's ids in B's filter read as ids that do not exist.
    let (status, _, body) = csv(
        &shop,
        Some(&other_owner),
        &format!(
            "from=2026-01-01&to=2026-12-31&locations={}&terminals={}",
            shop.location, shop.terminal
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(!body.contains(&shop.location));
}

#[tokio::test]
async fn amounts_of_two_currencies_are_never_added_together() {
    let shop = Shop::open().await;
    trade(&shop).await;
    let mut input = location_input("NYC1");
    input["timeZone"] = json!("America/New_York");
    input["currency"] = json!("USD");
    let created = shop
        .app
        .gql(&shop.owner, CREATE_LOCATION, json!({ "input": input }))
        .await;
    let nyc = created["data"]["createLocation"]["id"].as_str().unwrap();
    let till = shop.app.create_terminal(&shop.owner, nyc, "NY1").await;
    let device = shop.app.device_token(&shop.owner, &till).await;
    let mut sale = json!({
        "saleId": Uuid::new_v4().to_string(),
        "lines": [{ "variantId": shop.soda, "quantity": "1", "unitPrice": "300" }],
        "tenders": [{ "method": "CASH", "amount": "1000" }],
    });
    let sold = shop
        .sell_at(&device, sale.take(), "2026-11-27T15:00:00Z")
        .await;
    assert!(sold["errors"].is_null(), "{sold}");

    let body = shop
        .app
        .gql(
            &shop.owner,
            "{ salesReport(from: \"2026-11-27\", to: \"2026-11-27\", groupBy: [DAY]) { rows { day currency figures { total } } totals { total } totalsByCurrency { currency figures { total transactions } } } }",
            json!({}),
        )
        .await;
    let r = &body["data"]["salesReport"];
    assert_eq!(
        r["rows"],
        json!([
            { "day": "2026-11-27", "currency": "EUR", "figures": { "total": "2338" } },
            { "day": "2026-11-27", "currency": "USD", "figures": { "total": "363" } },
        ]),
        "{body}"
    );
    assert_eq!(r["totals"], Value::Null);
    // Products over a whole month (the monthly rollup) stay apart too.
    let body = shop
        .app
        .gql(
            &shop.owner,
            "{ salesReport(from: \"2026-11-01\", to: \"2026-11-30\", groupBy: [PRODUCT], filter: { products: [] }) { rows { currency figures { total } } totals { total } } }",
            json!({}),
        )
        .await;
    let currencies: Vec<&str> = body["data"]["salesReport"]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|r| r["currency"].as_str().unwrap())
        .collect();
    assert!(
        currencies.contains(&"EUR") && currencies.contains(&"USD"),
        "{body}"
    );
    assert_eq!(body["data"]["salesReport"]["totals"], Value::Null, "{body}");
    assert_eq!(
        r["totalsByCurrency"],
        json!([
            { "currency": "EUR", "figures": { "total": "2338", "transactions": 2 } },
            { "currency": "USD", "figures": { "total": "363", "transactions": 1 } },
        ])
    );
    let (_, _, body) = csv(
        &shop,
        Some(&shop.owner),
        "from=2026-11-27&to=2026-11-27&groupBy=DAY",
    )
    .await;
    let lines: Vec<&str> = body.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 3, "{body}");
    assert!(
        lines[1].ends_with(",EUR") && lines[2].ends_with(",USD"),
        "{body}"
    );
    assert!(lines[2].contains(",3.63,"), "{body}");
}

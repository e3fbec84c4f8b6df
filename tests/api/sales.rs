//! Recording sales: server-side totals and tax, receipt numbers, tenders
//! and change, anomalies, bad input, currencies and business dates.

use pos::auth::Role;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::code;
use crate::shop::{Shop, reason, record_sale};

#[tokio::test]
async fn a_sale_is_totalled_by_the_server_and_numbered_per_terminal() {
    let shop = Shop::open().await;
    let body = shop.sell(&shop.device, shop.basket()).await;
    let sale = &body["data"]["recordSale"];
    assert_eq!(sale["receiptNumber"], "AMS1-T1-000001", "{body}");
    assert_eq!(sale["currency"], "EUR");
    // 2 x 2.50 = 5.00 + 21 % = 1.05; 0.455 kg x 12.99 = 5.91045 -> 5.91,
    // + 21 % = 1.2411 -> 1.24. Total 13.20; 20.00 cash gives 6.80 change.
    assert_eq!(sale["lines"][0]["gross"], "605");
    assert_eq!(sale["lines"][1]["quantity"], "0.455");
    assert_eq!(sale["lines"][1]["unit"], "KG");
    assert_eq!(sale["lines"][1]["net"], "591");
    assert_eq!(sale["lines"][1]["tax"], "124");
    assert_eq!(sale["netTotal"], "1091");
    assert_eq!(sale["taxTotal"], "229");
    assert_eq!(sale["total"], "1320");
    assert_eq!(sale["tendered"], "2000");
    assert_eq!(sale["change"], "680");
    assert_eq!(sale["tenders"][0]["change"], "680");
    assert_eq!(
        sale["taxes"],
        json!([{ "name": "VAT", "percent": "21", "amount": "229" }])
    );
    assert_eq!(sale["cashier"], format!("terminal:{}", shop.terminal));
    assert_eq!(sale["lines"][0]["name"], "Product SODA Variant SODA");

    let second = shop.sell(&shop.device, shop.basket()).await;
    assert_eq!(
        second["data"]["recordSale"]["receiptNumber"],
        "AMS1-T1-000002"
    );
    // Another terminal counts from 1 on its own.
    let (_, other) = shop.another_terminal("T2").await;
    let third = shop.sell(&other, shop.basket()).await;
    assert_eq!(
        third["data"]["recordSale"]["receiptNumber"],
        "AMS1-T2-000001"
    );
}

#[tokio::test]
async fn repeating_a_sale_returns_it_and_reusing_its_id_is_a_conflict() {
    let shop = Shop::open().await;
    let basket = shop.basket();
    let at = "2026-11-27T10:00:00Z";
    let first = shop.sell_at(&shop.device, basket.clone(), at).await;
    let again = shop.sell_at(&shop.device, basket.clone(), at).await;
    assert_eq!(
        first["data"]["recordSale"]["id"],
        again["data"]["recordSale"]["id"]
    );
    assert_eq!(
        again["data"]["recordSale"]["receiptNumber"],
        "AMS1-T1-000001"
    );
    let mut changed = basket;
    changed["lines"][0]["quantity"] = json!("3");
    let reused = shop.sell_at(&shop.device, changed, at).await;
    assert_eq!(code(&reused), "CONFLICT", "{reused}");
    assert_eq!(reason(&reused), "ID_REUSED");
    let next = shop.sell(&shop.device, shop.basket()).await;
    assert_eq!(
        next["data"]["recordSale"]["receiptNumber"],
        "AMS1-T1-000002"
    );
}

#[tokio::test]
async fn a_scanned_ean_that_passes_luhn_is_a_barcode_not_a_card_number() {
    let shop = Shop::open().await;
    // A valid EAN-13 whose digits also pass the Luhn check, as about one in
    // ten do; refusing it would refuse ordinary sales.
    let mut basket = shop.basket();
    basket["lines"][0]["barcode"] = json!("8710000000048");
    let body = shop.sell(&shop.device, basket).await;
    assert!(body["errors"].is_null(), "{body}");
    // A card number is no GTIN, and is still refused there.
    let mut basket = shop.basket();
    basket["lines"][0]["barcode"] = json!("4111111111111111");
    let body = shop.sell(&shop.device, basket).await;
    assert_eq!(reason(&body), "CARD_NUMBER_REFUSED", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["field"], "lines.0.barcode");
}

#[tokio::test]
async fn bad_sales_get_clear_codes_and_leave_nothing_behind() {
    let shop = Shop::open().await;
    let cases = [
        (
            json!({ "lines": [{ "variantId": shop.soda, "quantity": "-1" }] }),
            "INVALID_QUANTITY",
            "lines.0.quantity",
        ),
        (
            json!({ "lines": [{ "variantId": shop.soda, "quantity": "1.5" }] }),
            "INVALID_QUANTITY",
            "lines.0.quantity",
        ),
        (
            json!({ "lines": [{ "variantId": Uuid::new_v4().to_string(), "quantity": "1" }] }),
            "UNKNOWN_VARIANT",
            "lines.0.variantId",
        ),
        (json!({ "lines": [] }), "EMPTY_SALE", "lines"),
        (
            json!({ "tenders": [{ "method": "CASH", "amount": "100" }] }),
            "TENDERS_SHORT",
            "tenders",
        ),
        (
            json!({ "tenders": [{ "method": "CARD", "amount": "2000" }] }),
            "CHANGE_WITHOUT_CASH",
            "tenders",
        ),
        (
            json!({ "tenders": [{ "method": "CARD", "amount": "1320", "cardBrand": "VISA", "cardLast4": "1111", "authReference": "4111 1111 1111 1111" }] }),
            "CARD_NUMBER_REFUSED",
            "tenders.0.authReference",
        ),
        (
            json!({ "tenders": [{ "method": "CARD", "amount": "1320", "cardLast4": "41111111" }] }),
            "INVALID_TENDER",
            "tenders.0.cardLast4",
        ),
        (json!({ "saleId": "not-a-uuid" }), "INVALID_ID", "saleId"),
        (
            json!({ "lines": [{ "variantId": shop.soda, "quantity": "1", "discount": "999" }] }),
            "INVALID_AMOUNT",
            "lines.0.discount",
        ),
    ];
    for (patch, expected, field) in cases {
        let mut input = shop.basket();
        for (key, value) in patch.as_object().unwrap() {
            input[key] = value.clone();
        }
        let body = shop.sell(&shop.device, input).await;
        assert_eq!(reason(&body), expected, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
        assert!(body["data"].is_null() || body["data"]["recordSale"].is_null());
    }
    // Quantities that are not decimals fail at the schema.
    let body = shop
        .sell(&shop.device, json!({ "saleId": Uuid::new_v4().to_string(), "lines": [{ "variantId": shop.soda, "quantity": "1e3" }], "tenders": [] }))
        .await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    // Nothing was stored: the next good sale is number 1.
    let good = shop.sell(&shop.device, shop.basket()).await;
    assert_eq!(
        good["data"]["recordSale"]["receiptNumber"], "AMS1-T1-000001",
        "{good}"
    );
    let count = shop
        .app
        .gql(
            &shop.owner,
            "{ sales { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(count["data"]["sales"]["edges"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn only_a_terminal_records_sales() {
    let shop = Shop::open().await;
    let body = shop.sell(&shop.owner, shop.basket()).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
}

#[tokio::test]
async fn terminal_figures_that_differ_are_kept_as_anomalies_for_managers() {
    let shop = Shop::open().await;
    let mut input = shop.basket();
    input["terminalTotal"] = json!("1319");
    input["terminalTax"] = json!("229");
    input["lines"][0]["unitPrice"] = json!("240");
    input["tenders"] = json!([{ "method": "CASH", "amount": "5000" }]);
    let body = shop.sell(&shop.device, input).await;
    let sale = &body["data"]["recordSale"];
    // The charged price stands: 2 x 2.40 = 4.80 + 1.01 tax.
    assert_eq!(sale["lines"][0]["unitPrice"], "240", "{body}");
    assert_eq!(sale["lines"][0]["listPrice"], "250");
    assert_eq!(sale["lines"][0]["discount"], "20");
    assert_eq!(sale["terminalTotal"], "1319");
    let id = sale["id"].as_str().unwrap();
    let query =
        "query($id: ID!) { sale(id: $id) { total anomalies { kind lineNo expected reported } } }";
    let seen = shop.app.gql(&shop.owner, query, json!({ "id": id })).await;
    let total = seen["data"]["sale"]["total"].as_str().unwrap().to_owned();
    assert_eq!(
        seen["data"]["sale"]["anomalies"],
        json!([
            { "kind": "PRICE_MISMATCH", "lineNo": 1, "expected": "250", "reported": "240" },
            { "kind": "TOTAL_MISMATCH", "lineNo": null, "expected": total, "reported": "1319" },
            { "kind": "TAX_MISMATCH", "lineNo": null, "expected": "225", "reported": "229" },
        ]),
        "{seen}"
    );
    let cashier = shop.app.token(shop.tenant, &[Role::Cashier]);
    let hidden = shop.app.gql(&cashier, query, json!({ "id": id })).await;
    assert_eq!(code(&hidden), "FORBIDDEN", "{hidden}");
}

#[tokio::test]
async fn the_business_date_is_the_local_calendar_day() {
    let shop = Shop::open().await;
    // 23:30 UTC on 27 November is 00:30 on the 28th in Amsterdam.
    let body = shop
        .sell_at(&shop.device, shop.basket(), "2026-11-27T23:30:00Z")
        .await;
    assert_eq!(
        body["data"]["recordSale"]["businessDate"], "2026-11-28",
        "{body}"
    );
    let future = shop
        .sell_at(&shop.device, shop.basket(), "2099-01-01T00:00:00Z")
        .await;
    assert_eq!(reason(&future), "INVALID_TIMESTAMP", "{future}");
}

#[tokio::test]
async fn a_sale_is_taxed_with_the_rates_in_force_when_it_was_made() {
    let shop = Shop::open().await;
    let before = chrono::Utc::now() - chrono::Duration::minutes(5);
    let update = shop
        .app
        .gql(
            &shop.owner,
            "mutation($id: ID!, $input: UpdateTaxGroupInput!) { updateTaxGroup(id: $id, input: $input) { userErrors { message } } }",
            json!({ "id": shop.tax, "input": { "rates": [{ "name": "VAT", "percent": "9" }] } }),
        )
        .await;
    assert_eq!(
        update["data"]["updateTaxGroup"]["userErrors"],
        json!([]),
        "{update}"
    );
    let input = json!({
        "saleId": Uuid::new_v4().to_string(),
        "lines": [{ "variantId": shop.soda, "quantity": "4" }],
        "tenders": [{ "method": "CASH", "amount": "2000" }],
    });
    // Made before the change (pushed late): 21 % of 10.00.
    let old = shop
        .sell_at(&shop.device, input, &before.to_rfc3339())
        .await;
    assert_eq!(old["data"]["recordSale"]["taxTotal"], "210", "{old}");
    let mut input = shop.basket();
    input["lines"] = json!([{ "variantId": shop.soda, "quantity": "4" }]);
    let new = shop.sell(&shop.device, input).await;
    assert_eq!(new["data"]["recordSale"]["taxTotal"], "90", "{new}");
}

/// A tenant in `currency`, with a location and terminal there, selling one
/// item at `price` with `percent` tax (exclusive).
async fn sell_in(currency: &str, price: i64, percent: &str, quantity: &str) -> serde_json::Value {
    let shop = Shop::open().await;
    let app = &shop.app;
    let tenant = app.tenant_in("Other", currency).await;
    let owner = app.owner(tenant);
    let tax = app.tax_group(&owner, "Tax", percent).await;
    let location = app.location_in(&owner, "LOC1", currency).await;
    let terminal = app.create_terminal(&owner, &location, "T1").await;
    let device = app.device_token(&owner, &terminal).await;
    let variant = app.variant(&owner, "ITEM", price, &tax, None).await;
    app.gql(
        &device,
        &record_sale(),
        json!({ "input": {
            "saleId": Uuid::new_v4().to_string(),
            "lines": [{ "variantId": variant, "quantity": quantity }],
            "tenders": [{ "method": "CASH", "amount": "100000000" }],
        } }),
    )
    .await
}

#[tokio::test]
async fn yen_have_no_minor_units_and_dinars_have_three() {
    // 3 x 150 JPY = 450 + 10 % = 45.
    let yen = sell_in("JPY", 150, "10", "3").await;
    let sale = &yen["data"]["recordSale"];
    assert_eq!(
        (sale["currency"].as_str(), sale["total"].as_str()),
        (Some("JPY"), Some("495")),
        "{yen}"
    );
    // 3 x 1.250 KWD = 3.750 + 5 % = 0.1875 -> 0.188 (half-even).
    let dinar = sell_in("KWD", 1250, "5", "3").await;
    let sale = &dinar["data"]["recordSale"];
    assert_eq!(sale["currency"], "KWD", "{dinar}");
    assert_eq!(sale["taxTotal"], "188");
    assert_eq!(sale["total"], "3938");
}

#[tokio::test]
async fn sales_are_listed_newest_first_and_filtered() {
    let shop = Shop::open().await;
    let (t2, other) = shop.another_terminal("T2").await;
    let days = [
        "2026-11-25T10:00:00Z",
        "2026-11-26T10:00:00Z",
        "2026-11-27T10:00:00Z",
    ];
    for at in days {
        shop.sell_at(&shop.device, shop.basket(), at).await;
    }
    shop.sell_at(&other, shop.basket(), "2026-11-26T12:00:00Z")
        .await;
    let query = "query($first: Int, $after: String, $filter: SalesFilter) { sales(first: $first, after: $after, filter: $filter) { edges { cursor node { receiptNumber businessDate } } pageInfo { hasNextPage } } }";
    let list = |first: i64, after: Option<String>, filter: serde_json::Value| {
        let app = &shop.app;
        let owner = shop.owner.clone();
        async move {
            let body = app
                .gql(
                    &owner,
                    query,
                    json!({ "first": first, "after": after, "filter": filter }),
                )
                .await;
            body["data"]["sales"].clone()
        }
    };
    let numbers = |page: &serde_json::Value| -> Vec<String> {
        page["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["receiptNumber"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = list(2, None, json!({})).await;
    assert_eq!(numbers(&first), ["AMS1-T1-000003", "AMS1-T2-000001"]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let cursor = first["edges"][1]["cursor"].as_str().map(str::to_owned);
    let second = list(2, cursor, json!({})).await;
    assert_eq!(numbers(&second), ["AMS1-T1-000002", "AMS1-T1-000001"]);
    assert_eq!(second["pageInfo"]["hasNextPage"], false);

    let by_terminal = list(10, None, json!({ "terminalIds": [t2] })).await;
    assert_eq!(numbers(&by_terminal), ["AMS1-T2-000001"]);
    let by_dates = list(
        10,
        None,
        json!({ "fromDate": "2026-11-26", "toDate": "2026-11-26" }),
    )
    .await;
    assert_eq!(numbers(&by_dates), ["AMS1-T2-000001", "AMS1-T1-000002"]);
    let by_number = list(10, None, json!({ "receiptNumber": "ams1-t1-000001" })).await;
    assert_eq!(numbers(&by_number), ["AMS1-T1-000001"]);
    let by_location = list(
        10,
        None,
        json!({ "locationIds": [shop.location], "cashier": format!("terminal:{t2}") }),
    )
    .await;
    assert_eq!(numbers(&by_location), ["AMS1-T2-000001"]);
    let reversed = shop
        .app
        .gql(
            &shop.owner,
            query,
            json!({ "filter": { "fromDate": "2026-11-27", "toDate": "2026-11-01" } }),
        )
        .await;
    assert_eq!(code(&reversed), "BAD_USER_INPUT", "{reversed}");
    let garbage = shop
        .app
        .gql(&shop.owner, query, json!({ "after": "garbage" }))
        .await;
    assert_eq!(code(&garbage), "BAD_USER_INPUT", "{garbage}");
}

/// Money, tax and quantities are integers: no floating-point type may
/// appear in the code that computes them.
#[test]
fn no_floats_in_money_tax_or_sales_code() {
    let mut files = Vec::new();
    for dir in ["src/money", "src/sales", "src/catalog"] {
        let mut stack = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir)];
        while let Some(path) = stack.pop() {
            for entry in std::fs::read_dir(&path).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
    }
    assert!(files.len() > 20, "the scan found the sources");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for float in ["f32", "f64"] {
                let found = code.match_indices(float).any(|(at, _)| {
                    let before = code[..at].chars().next_back();
                    let after = code[at + 3..].chars().next();
                    !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
                        && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
                });
                assert!(!found, "{}:{}: {line}", file.display(), i + 1);
            }
        }
    }
}

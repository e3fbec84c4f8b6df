//! `productByBarcode`: pricing, tax, scale labels, who may ask, isolation
//! and cache invalidation.

use serde_json::json;

use crate::helpers::{TestApp, code};

#[tokio::test]
async fn a_scan_is_priced_and_taxed_at_the_location() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let tax = app.tax_group(&owner, "State", "9.75").await;
    let location = app.create_location(&owner, "AMS1").await;
    app.variant(&owner, "SODA", 600, &tax, Some(("UPC_A", "036000291452")))
        .await;
    let body = app.scan(&owner, "036000291452", Some(&location)).await;
    let found = &body["data"]["productByBarcode"];
    assert_eq!(found["variant"]["sku"], "SODA", "{body}");
    assert_eq!(found["unitPrice"]["amount"], "600");
    assert_eq!(found["listPrice"]["currency"], "EUR");
    // 600 at 9.75 % tax-exclusive, half-even: 58.5 -> 58.
    assert_eq!(found["tax"]["amount"], "58");
    assert_eq!(found["gross"]["amount"], "658");
    assert_eq!(
        found["taxes"],
        json!([{ "name": "State", "percent": "9.75", "amount": { "amount": "58" } }])
    );
    // The EAN-13 spelling of the same UPC-A finds it too.
    let ean = app.scan(&owner, "0036000291452", Some(&location)).await;
    assert_eq!(ean["data"]["productByBarcode"]["variant"]["sku"], "SODA");
    // Unknown codes are null, not errors.
    let unknown = app.scan(&owner, "4006381333931", Some(&location)).await;
    assert!(unknown["data"]["productByBarcode"].is_null(), "{unknown}");
    assert!(unknown.get("errors").is_none());
}

#[tokio::test]
async fn tax_inclusive_locations_split_the_shelf_price() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let tax = app.tax_group(&owner, "VAT", "21").await;
    let mut input = crate::helpers::location_input("AMS1");
    input["pricesIncludeTax"] = json!(true);
    let body = app
        .gql(
            &owner,
            crate::helpers::CREATE_LOCATION,
            json!({ "input": input }),
        )
        .await;
    let location = body["data"]["createLocation"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.variant(&owner, "WINE", 1000, &tax, Some(("INTERNAL", "W1")))
        .await;
    let found = app.scan(&owner, "W1", Some(&location)).await;
    let found = &found["data"]["productByBarcode"];
    // 1000 incl. 21 %: tax 173.55 -> 174, net 826.
    assert_eq!(
        (
            found["net"]["amount"].as_str(),
            found["tax"]["amount"].as_str()
        ),
        (Some("826"), Some("174"))
    );
    assert_eq!(found["gross"]["amount"], "1000");
}

#[tokio::test]
async fn location_prices_and_pricing_rules_change_the_price() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let tax = app.tax_group(&owner, "VAT", "0").await;
    let ams = app.create_location(&owner, "AMS1").await;
    let rtm = app.create_location(&owner, "RTM1").await;
    let variant = app
        .variant(&owner, "BREAD", 300, &tax, Some(("INTERNAL", "B1")))
        .await;
    let set = app
        .gql(
            &owner,
            "mutation($v: ID!, $l: ID!) { setLocationPrice(variantId: $v, locationId: $l, price: \"280\") { variant { locationPrices { price } } userErrors { message } } }",
            json!({ "v": variant, "l": rtm }),
        )
        .await;
    assert_eq!(
        set["data"]["setLocationPrice"]["variant"]["locationPrices"],
        json!([{ "price": "280" }]),
        "{set}"
    );
    let unit = |body: serde_json::Value| {
        body["data"]["productByBarcode"]["unitPrice"]["amount"]
            .as_str()
            .map(str::to_owned)
    };
    assert_eq!(
        unit(app.scan(&owner, "B1", Some(&ams)).await).as_deref(),
        Some("300")
    );
    assert_eq!(
        unit(app.scan(&owner, "B1", Some(&rtm)).await).as_deref(),
        Some("280")
    );

    let rule = app
        .gql(
            &owner,
            "mutation($v: ID!) { createPricingRule(input: { name: \"Bread week\", adjustment: PERCENT_OFF, value: \"10\", target: VARIANT, targetId: $v }) { pricingRule { id } userErrors { field message } } }",
            json!({ "v": variant }),
        )
        .await;
    let rule_id = rule["data"]["createPricingRule"]["pricingRule"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{rule}"))
        .to_owned();
    let body = app.scan(&owner, "B1", Some(&ams)).await;
    assert_eq!(unit(body.clone()).as_deref(), Some("270"));
    assert_eq!(
        body["data"]["productByBarcode"]["appliedRuleIds"],
        json!([rule_id])
    );
    assert_eq!(
        body["data"]["productByBarcode"]["listPrice"]["amount"],
        "300"
    );

    let bad = app
        .gql(&owner, "mutation { createPricingRule(input: { name: \"x\", adjustment: AMOUNT_OFF, value: \"-3\" }) { userErrors { field } } }", json!({}))
        .await;
    assert_eq!(
        bad["data"]["createPricingRule"]["userErrors"][0]["field"],
        json!(["value"])
    );
}

#[tokio::test]
async fn a_price_change_is_visible_on_the_next_lookup() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let tax = app.tax_group(&owner, "VAT", "0").await;
    let location = app.create_location(&owner, "AMS1").await;
    let variant = app
        .variant(&owner, "MILK", 99, &tax, Some(("INTERNAL", "M1")))
        .await;
    for _ in 0..3 {
        let body = app.scan(&owner, "M1", Some(&location)).await;
        assert_eq!(
            body["data"]["productByBarcode"]["unitPrice"]["amount"],
            "99"
        );
    }
    app.gql(
        &owner,
        "mutation($id: ID!) { updateVariant(id: $id, input: { basePrice: \"129\" }) { variant { basePrice } } }",
        json!({ "id": variant }),
    )
    .await;
    let body = app.scan(&owner, "M1", Some(&location)).await;
    assert_eq!(
        body["data"]["productByBarcode"]["unitPrice"]["amount"], "129",
        "{body}"
    );
}

#[tokio::test]
#[ignore = "needs Redis (POS_REDIS_URL): run with --ignored needs_redis"]
async fn needs_redis_two_servers_see_each_others_changes() {
    let first = TestApp::spawn().await;
    assert!(
        first.config.redis_url.is_some(),
        "set POS_REDIS_URL: replicas share changes through Redis"
    );
    let second = first.second_instance().await;
    let owner = first.owner(first.tenant("Acme").await);
    let tax = first.tax_group(&owner, "VAT", "0").await;
    let location = first.create_location(&owner, "AMS1").await;
    let variant = first
        .variant(&owner, "EGGS", 250, &tax, Some(("INTERNAL", "E1")))
        .await;
    // Warm both caches.
    for app in [&first, &second] {
        let body = app.scan(&owner, "E1", Some(&location)).await;
        assert_eq!(
            body["data"]["productByBarcode"]["unitPrice"]["amount"],
            "250"
        );
    }
    first
        .gql(&owner, "mutation($id: ID!) { updateVariant(id: $id, input: { basePrice: \"275\" }) { variant { id } } }", json!({ "id": variant }))
        .await;
    // The other server hears of it through Redis within a second.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let body = second.scan(&owner, "E1", Some(&location)).await;
        if body["data"]["productByBarcode"]["unitPrice"]["amount"] == "275" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "stale after 1 s: {body}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn scale_labels_price_by_embedded_weight() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let tax = app.tax_group(&owner, "VAT", "0").await;
    let location = app.create_location(&owner, "AMS1").await;
    let format = app
        .gql(&owner, "mutation { setScaleFormat(input: { prefix: \"21\", itemDigits: 5, embedded: WEIGHT }) { scaleFormats { prefix } userErrors { message } } }", json!({}))
        .await;
    assert_eq!(
        format["data"]["setScaleFormat"]["scaleFormats"],
        json!([{ "prefix": "21" }]),
        "{format}"
    );
    // Cheese at 12.90 per kg, item code 12345 under prefix 21.
    let cheese = app
        .gql(
            &owner,
            crate::helpers::CREATE_PRODUCT,
            json!({ "input": { "name": "Gouda", "variants": [{ "sku": "CHEESE", "name": "Gouda per kg", "basePrice": "1290",
                "taxGroupId": tax, "unit": "KG", "barcodes": [{ "kind": "INTERNAL", "code": "2112345" }] }] } }),
        )
        .await;
    assert_eq!(
        cheese["data"]["createProduct"]["userErrors"],
        json!([]),
        "{cheese}"
    );
    // A piece item under the same label layout cannot take a weight.
    app.variant(&owner, "PIECE", 100, &tax, Some(("INTERNAL", "2154321")))
        .await;
    let payload: Vec<u8> = "215432100500".bytes().map(|b| b - b'0').collect();
    let piece_label = format!(
        "215432100500{}",
        pos::catalog::barcode::check_digit(&payload)
    );
    assert_eq!(
        code(&app.scan(&owner, &piece_label, Some(&location)).await),
        "CONFLICT"
    );
    let payload: Vec<u8> = "211234501250".bytes().map(|b| b - b'0').collect();
    let label = format!(
        "211234501250{}",
        pos::catalog::barcode::check_digit(&payload)
    );
    let body = app.scan(&owner, &label, Some(&location)).await;
    let found = &body["data"]["productByBarcode"];
    assert_eq!(found["variant"]["sku"], "CHEESE", "{body}");
    assert_eq!(found["embeddedWeight"], "1.25");
    assert_eq!(found["quantity"], "1.25");
    // 12.90 x 1.250 kg = 16.125 -> 16.12 (half-even).
    assert_eq!(found["lineTotal"]["amount"], "1612");
}

#[tokio::test]
async fn price_labels_with_a_price_check_digit_are_verified() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let tax = app.tax_group(&owner, "VAT", "0").await;
    let location = app.create_location(&owner, "AMS1").await;
    let set = |item_digits: u8| {
        format!(
            "mutation {{ setScaleFormat(input: {{ prefix: \"22\", itemDigits: {item_digits}, hasValueCheck: true, embedded: PRICE }}) {{ scaleFormats {{ prefix }} userErrors {{ field message }} }} }}"
        )
    };
    // Six item digits leave three for the price, which has no check digit.
    let refused = app.gql(&owner, &set(6), json!({})).await;
    assert_eq!(
        refused["data"]["setScaleFormat"]["userErrors"][0]["field"],
        json!(["hasValueCheck"]),
        "{refused}"
    );
    let format = app.gql(&owner, &set(4), json!({})).await;
    assert_eq!(
        format["data"]["setScaleFormat"]["scaleFormats"],
        json!([{ "prefix": "22" }]),
        "{format}"
    );
    app.variant(&owner, "SALAD", 100, &tax, Some(("INTERNAL", "221234")))
        .await;
    let label = |inner: &str| {
        let body = format!("221234{inner}00399");
        let payload: Vec<u8> = body.bytes().map(|b| b - b'0').collect();
        format!("{body}{}", pos::catalog::barcode::check_digit(&payload))
    };
    // A misread as the first scan after a catalog write, when the location
    // is read with it, is refused too.
    let body = app.scan(&owner, &label("7"), Some(&location)).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    // 3.99 has price check digit 0 (GS1 7.9.3).
    let body = app.scan(&owner, &label("0"), Some(&location)).await;
    assert_eq!(
        body["data"]["productByBarcode"]["embeddedPrice"]["amount"], "399",
        "{body}"
    );
    // The same label with another check digit is a misread: refused with
    // the digit expected, never sold at 3.99.
    let body = app.scan(&owner, &label("7"), Some(&location)).await;
    assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expected 0"),
        "{body}"
    );
}

#[tokio::test]
async fn devices_price_at_their_own_location_and_staff_must_name_one() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let tax = app.tax_group(&owner, "VAT", "0").await;
    let ams = app.create_location(&owner, "AMS1").await;
    let rtm = app.create_location(&owner, "RTM1").await;
    let terminal = app.create_terminal(&owner, &ams, "T01").await;
    let device = app.device_token(&owner, &terminal).await;
    app.variant(&owner, "TEA", 450, &tax, Some(("INTERNAL", "T1")))
        .await;
    let body = app.scan(&device, "T1", None).await;
    assert_eq!(
        body["data"]["productByBarcode"]["unitPrice"]["amount"], "450",
        "{body}"
    );
    assert_eq!(
        code(&app.scan(&device, "T1", Some(&rtm)).await),
        "FORBIDDEN"
    );
    assert_eq!(code(&app.scan(&owner, "T1", None).await), "BAD_USER_INPUT");
    let missing = uuid::Uuid::now_v7().to_string();
    assert_eq!(
        code(&app.scan(&owner, "T1", Some(&missing)).await),
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn the_same_barcode_in_two_tenants_resolves_to_each_tenants_own_variant() {
    let app = TestApp::spawn().await;
    let a = app.owner(app.tenant("A").await);
    let b = app.owner(app.tenant("B").await);
    let (tax_a, tax_b) = (
        app.tax_group(&a, "VAT", "0").await,
        app.tax_group(&b, "VAT", "0").await,
    );
    let (loc_a, loc_b) = (
        app.create_location(&a, "A1").await,
        app.create_location(&b, "B1").await,
    );
    let va = app
        .variant(&a, "A-COLA", 100, &tax_a, Some(("EAN_13", "4006381333931")))
        .await;
    let vb = app
        .variant(&b, "B-COLA", 200, &tax_b, Some(("EAN_13", "4006381333931")))
        .await;
    let scan_a = app.scan(&a, "4006381333931", Some(&loc_a)).await;
    let scan_b = app.scan(&b, "4006381333931", Some(&loc_b)).await;
    assert_eq!(scan_a["data"]["productByBarcode"]["variant"]["id"], va);
    assert_eq!(scan_b["data"]["productByBarcode"]["variant"]["id"], vb);
    // A cannot price at B's location, nor read B's variant or find its SKU.
    assert_eq!(
        code(&app.scan(&a, "4006381333931", Some(&loc_b)).await),
        "NOT_FOUND"
    );
    let read = app
        .gql(
            &a,
            "query($id: ID!) { variant(id: $id) { sku } }",
            json!({ "id": vb }),
        )
        .await;
    assert!(read["data"]["variant"].is_null());
    let search = app
        .gql(
            &a,
            "{ variants(filter: { skuPrefix: \"B-\" }) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(search["data"]["variants"]["edges"], json!([]));
    assert!(!search.to_string().contains(&vb) && !read.to_string().contains("B-COLA"));
}

#[tokio::test]
async fn lookups_and_writes_carry_on_when_redis_is_unreachable() {
    // Nothing listens on port 1: every Redis call fails fast.
    let app = TestApp::spawn_with(&["--redis-url", "redis://127.0.0.1:1"]).await;
    let owner = app.owner(app.tenant("Acme").await);
    let tax = app.tax_group(&owner, "VAT", "0").await;
    let location = app.create_location(&owner, "AMS1").await;
    let variant = app
        .variant(&owner, "JAM", 300, &tax, Some(("INTERNAL", "J1")))
        .await;
    let body = app.scan(&owner, "J1", Some(&location)).await;
    assert_eq!(
        body["data"]["productByBarcode"]["unitPrice"]["amount"], "300",
        "{body}"
    );
    app.gql(&owner, "mutation($id: ID!) { updateVariant(id: $id, input: { basePrice: \"310\" }) { variant { id } } }", json!({ "id": variant }))
        .await;
    let body = app.scan(&owner, "J1", Some(&location)).await;
    assert_eq!(
        body["data"]["productByBarcode"]["unitPrice"]["amount"], "310",
        "{body}"
    );
}

#[tokio::test]
async fn the_rounding_policy_is_tenant_data() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("Acme").await;
    let owner = app.owner(tenant);
    let manager = app.token(tenant, &[pos::auth::Role::Manager]);
    let tax = app.tax_group(&owner, "State", "9.75").await;
    let location = app.create_location(&owner, "AMS1").await;
    app.variant(&owner, "SODA", 600, &tax, Some(("INTERNAL", "S1")))
        .await;
    let tax_of =
        |body: serde_json::Value| body["data"]["productByBarcode"]["tax"]["amount"].clone();
    assert_eq!(tax_of(app.scan(&owner, "S1", Some(&location)).await), "58");
    let settings = "mutation($m: RoundingMode) { updateTenantSettings(input: { roundingMode: $m }) { currency roundingMode roundingLevel } }";
    assert_eq!(
        code(&app.gql(&manager, settings, json!({ "m": "HALF_UP" })).await),
        "FORBIDDEN"
    );
    let body = app.gql(&owner, settings, json!({ "m": "HALF_UP" })).await;
    assert_eq!(
        body["data"]["updateTenantSettings"],
        json!({ "currency": "EUR", "roundingMode": "HALF_UP", "roundingLevel": "LINE" })
    );
    // 58.5 now rounds up, and the cached lookup knows it.
    assert_eq!(tax_of(app.scan(&owner, "S1", Some(&location)).await), "59");
}

#[tokio::test]
async fn lookups_carry_on_when_redis_accepts_but_never_answers() {
    // A "Redis" that accepts connections and never replies: every call must
    // time out and fall back to the database, with no error to the client.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let url = format!("redis://127.0.0.1:{port}");
    let app = TestApp::spawn_with(&["--redis-url", &url]).await;
    let owner = app.owner(app.tenant("Acme").await);
    let tax = app.tax_group(&owner, "VAT", "0").await;
    let location = app.create_location(&owner, "AMS1").await;
    let variant = app
        .variant(&owner, "OATS", 410, &tax, Some(("INTERNAL", "O1")))
        .await;
    let body = app.scan(&owner, "O1", Some(&location)).await;
    assert_eq!(
        body["data"]["productByBarcode"]["unitPrice"]["amount"], "410",
        "{body}"
    );
    app.gql(&owner, "mutation($id: ID!) { updateVariant(id: $id, input: { basePrice: \"420\" }) { variant { id } } }", json!({ "id": variant }))
        .await;
    let body = app.scan(&owner, "O1", Some(&location)).await;
    assert_eq!(
        body["data"]["productByBarcode"]["unitPrice"]["amount"], "420",
        "{body}"
    );
    silent.abort();
}

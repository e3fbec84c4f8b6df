//! `catalogChanges`: a terminal that pages the feed from nothing holds
//! exactly the current catalog, and later pages bring only what changed.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::helpers::code;
use crate::shop::Shop;

const CHANGES: &str = "query($since: String, $first: Int) { catalogChanges(since: $since, first: $first) { cursor hasMore version location { code } \
    changes { version entity id deleted variant { sku basePrice status } barcode { code } taxGroup { name rates { name percent } } pricingRule { name } locationPrice { price } product { name } } } }";

/// Pages the feed from `since` to the end, applying each change to `held`.
async fn pull(
    shop: &Shop,
    since: Option<String>,
    held: &mut BTreeMap<(String, String), Value>,
) -> (Option<String>, i64) {
    let mut cursor = since;
    loop {
        let body = shop
            .app
            .gql(
                &shop.device,
                CHANGES,
                json!({ "since": cursor, "first": 2 }),
            )
            .await;
        let page = &body["data"]["catalogChanges"];
        assert!(page.is_object(), "{body}");
        assert_eq!(page["location"]["code"], "AMS1");
        for change in page["changes"].as_array().unwrap() {
            let key = (
                change["entity"].as_str().unwrap().to_owned(),
                change["id"].as_str().unwrap().to_owned(),
            );
            if change["deleted"] == true {
                held.remove(&key);
            } else {
                held.insert(key, change.clone());
            }
        }
        cursor = page["cursor"].as_str().map(str::to_owned);
        if page["hasMore"] == false {
            return (cursor, page["version"].as_i64().unwrap());
        }
    }
}

fn skus(held: &BTreeMap<(String, String), Value>) -> Vec<(String, String)> {
    let mut skus: Vec<(String, String)> = held
        .iter()
        .filter(|((entity, _), _)| entity == "VARIANT")
        .map(|(_, c)| {
            (
                c["variant"]["sku"].as_str().unwrap().to_owned(),
                c["variant"]["basePrice"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    skus.sort();
    skus
}

#[tokio::test]
async fn a_terminal_that_pages_from_nothing_holds_the_current_catalog() {
    let shop = Shop::open().await;
    let app = &shop.app;
    let gum = app
        .variant(&shop.owner, "GUM", 100, &shop.tax, Some(("INTERNAL", "G1")))
        .await;
    // Change things after creating them: a price, an archive, a barcode
    // removed, a location price, and a rule for another location.
    let ok = |body: Value| {
        let payload = body["data"]
            .as_object()
            .and_then(|d| d.values().next().cloned())
            .unwrap_or_default();
        assert_eq!(payload["userErrors"], json!([]), "{body}");
    };
    ok(app.gql(&shop.owner, "mutation($id: ID!) { updateVariant(id: $id, input: { basePrice: \"120\" }) { userErrors { message } } }", json!({ "id": gum })).await);
    ok(app
        .gql(
            &shop.owner,
            "mutation($id: ID!) { archiveVariant(id: $id) { userErrors { message } } }",
            json!({ "id": shop.cheese }),
        )
        .await);
    ok(app
        .gql(
            &shop.owner,
            "mutation { removeBarcode(kind: INTERNAL, code: \"S1\") { userErrors { message } } }",
            json!({}),
        )
        .await);
    ok(app.gql(&shop.owner, "mutation($v: ID!, $l: ID!) { setLocationPrice(variantId: $v, locationId: $l, price: \"240\") { userErrors { message } } }", json!({ "v": shop.soda, "l": shop.location })).await);
    let elsewhere = app.create_location(&shop.owner, "BRU1").await;
    ok(app.gql(&shop.owner, "mutation($input: PricingRuleInput!) { createPricingRule(input: $input) { userErrors { message } } }",
        json!({ "input": { "name": "Brussels only", "adjustment": "PERCENT_OFF", "value": "10", "target": "ALL", "locationId": elsewhere } })).await);

    let mut held = BTreeMap::new();
    let (cursor, version) = pull(&shop, None, &mut held).await;
    assert_eq!(
        skus(&held),
        [
            ("GUM".to_owned(), "120".to_owned()),
            ("SODA".to_owned(), "250".to_owned())
        ],
        "{held:?}"
    );
    let barcodes: Vec<&str> = held
        .iter()
        .filter(|((e, _), _)| e == "BARCODE")
        .map(|(_, c)| c["barcode"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(barcodes, ["G1"]);
    let prices: Vec<&Value> = held
        .iter()
        .filter(|((e, _), _)| e == "LOCATION_PRICE")
        .map(|(_, c)| &c["locationPrice"]["price"])
        .collect();
    assert_eq!(prices, [&json!("240")]);
    assert!(
        held.keys().all(|(e, _)| e != "PRICING_RULE"),
        "a rule for another location is not held: {held:?}"
    );
    assert!(
        held.values()
            .any(|c| c["taxGroup"]["rates"] == json!([{ "name": "VAT", "percent": "21" }]))
    );

    // Nothing new: an empty page at the same version.
    let again = app
        .gql(&shop.device, CHANGES, json!({ "since": cursor }))
        .await;
    assert_eq!(
        again["data"]["catalogChanges"]["changes"],
        json!([]),
        "{again}"
    );
    assert_eq!(again["data"]["catalogChanges"]["version"], version);
    // A later change arrives alone.
    ok(app
        .gql(
            &shop.owner,
            "mutation($id: ID!) { archiveVariant(id: $id) { userErrors { message } } }",
            json!({ "id": gum }),
        )
        .await);
    let (_, later) = pull(&shop, cursor, &mut held).await;
    assert_eq!(later, version + 1);
    assert_eq!(skus(&held), [("SODA".to_owned(), "250".to_owned())]);

    let bad = app
        .gql(&shop.device, CHANGES, json!({ "since": "not-a-cursor" }))
        .await;
    assert_eq!(code(&bad), "BAD_USER_INPUT", "{bad}");
    let staff = app.gql(&shop.owner, CHANGES, json!({})).await;
    assert_eq!(
        code(&staff),
        "BAD_USER_INPUT",
        "staff name a location: {staff}"
    );
}

/// A fleet starting at once: every terminal of a location pulls the first
/// page together, and the database is read once; a catalog write makes
/// the next pull read it again, and every terminal sees the new version.
#[tokio::test]
async fn a_fleet_pulling_at_once_costs_one_read_per_page() {
    let shop = Shop::open().await;
    let mut devices = vec![shop.device.clone()];
    for i in 2..=20 {
        devices.push(shop.another_terminal(&format!("T{i}")).await.1);
    }
    let before = shop.app.state.pull_pages.loads();
    let pull_all = || {
        let calls = devices.iter().map(|device| {
            shop.app
                .gql(device, CHANGES, json!({ "since": null, "first": 50 }))
        });
        futures_util::future::join_all(calls)
    };
    let answers = pull_all().await;
    let first = &answers[0]["data"]["catalogChanges"];
    assert!(first["changes"].as_array().unwrap().len() > 2, "{first}");
    for answer in &answers {
        assert_eq!(&answer["data"]["catalogChanges"], first);
    }
    assert_eq!(shop.app.state.pull_pages.loads() - before, 1);

    shop.app.tax_group(&shop.owner, "Low", "9").await;
    let answers = pull_all().await;
    let version = first["version"].as_i64().unwrap();
    for answer in &answers {
        let page = &answer["data"]["catalogChanges"];
        assert_eq!(page["version"].as_i64().unwrap(), version + 1, "{page}");
    }
    assert_eq!(shop.app.state.pull_pages.loads() - before, 2);
}

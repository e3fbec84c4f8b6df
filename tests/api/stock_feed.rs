//! Stock where terminals read it: the level on a scan (cached, and
//! refreshed by every movement at the location), and the stock feed a
//! terminal pulls beside the catalog (`stockChanges`).

use serde_json::{Value, json};

use crate::helpers::{TestApp, code};
use crate::shop::Shop;
use crate::stock::{document, line, sell, track};

const SCAN_LEVEL: &str = "query($l: ID) { productByBarcode(barcode: \"S1\", locationId: $l) { variant { sku } stockLevel { onHand inTransit isLow } } }";

async fn scanned(app: &TestApp, token: &str, location: Option<&str>) -> Value {
    let body = app.gql(token, SCAN_LEVEL, json!({ "l": location })).await;
    assert_eq!(
        body["data"]["productByBarcode"]["variant"]["sku"], "SODA",
        "{body}"
    );
    body["data"]["productByBarcode"]["stockLevel"].clone()
}

async fn receive(shop: &Shop, location: &str, quantity: &str) {
    let input = json!({ "locationId": location, "lines": [line(shop, quantity)] });
    document(shop, &shop.owner, "receiveStock", input).await;
}

/// The soda's level at the shop, scanned by its terminal or by the owner.
async fn scan(shop: &Shop, staff: bool) -> Value {
    if staff {
        scanned(&shop.app, &shop.owner, Some(&shop.location)).await
    } else {
        scanned(&shop.app, &shop.device, None).await
    }
}

#[tokio::test]
async fn a_scan_shows_the_level_and_every_movement_refreshes_it() {
    let shop = Shop::open().await;
    assert_eq!(scan(&shop, false).await, Value::Null, "untracked: no level");
    track(&shop, &shop.soda).await;
    let fresh = scan(&shop, false).await;
    assert_eq!(fresh["onHand"], "0", "tracked, nothing moved yet: {fresh}");
    // Cached now; each movement below must show at once all the same.
    assert_eq!(scan(&shop, false).await["onHand"], "0");

    receive(&shop, &shop.location, "10").await;
    assert_eq!(scan(&shop, false).await["onHand"], "10", "a receipt");
    sell(&shop, "3").await;
    assert_eq!(scan(&shop, false).await["onHand"], "7", "a sale");
    assert_eq!(
        scan(&shop, true).await["onHand"],
        "7",
        "staff name the place"
    );

    // A movement elsewhere leaves this location's level as it was.
    let other = shop.app.create_location(&shop.owner, "UTR1").await;
    receive(&shop, &other, "5").await;
    assert_eq!(scan(&shop, false).await["onHand"], "7");
    let there = scanned(&shop.app, &shop.owner, Some(&other)).await;
    assert_eq!(there["onHand"], "5", "{there}");

    // A threshold is part of the level too.
    let body = shop
        .app
        .gql(
            &shop.owner,
            "mutation($l: ID!, $v: ID!) { setLowStockThreshold(locationId: $l, variantId: $v, threshold: \"8\") { stockLevel { isLow } userErrors { message } } }",
            json!({ "l": shop.location, "v": shop.soda }),
        )
        .await;
    assert_eq!(
        body["data"]["setLowStockThreshold"]["stockLevel"]["isLow"], true,
        "{body}"
    );
    assert_eq!(scan(&shop, false).await["isLow"], true);
}

#[tokio::test]
#[ignore = "needs Redis (POS_REDIS_URL): run with --ignored needs_redis"]
async fn needs_redis_a_sale_on_one_server_refreshes_the_level_on_another() {
    let shop = Shop::open().await;
    assert!(
        shop.app.config.redis_url.is_some(),
        "set POS_REDIS_URL: replicas share changes through Redis"
    );
    track(&shop, &shop.soda).await;
    receive(&shop, &shop.location, "10").await;
    let second = shop.app.second_instance().await;
    assert_eq!(scanned(&second, &shop.device, None).await["onHand"], "10");
    sell(&shop, "4").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let level = scanned(&second, &shop.device, None).await;
        if level["onHand"] == "6" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "stale after 1 s: {level}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

const CHANGES: &str = "query($since: String, $first: Int, $l: ID) { stockChanges(since: $since, first: $first, locationId: $l) { levels { onHand variant { sku } } cursor hasMore version location { code } } }";

async fn pull(app: &TestApp, token: &str, since: &Value, first: i64) -> Value {
    let body = app
        .gql(token, CHANGES, json!({ "since": since, "first": first }))
        .await;
    assert!(body["data"]["stockChanges"].is_object(), "{body}");
    body["data"]["stockChanges"].clone()
}

fn skus(page: &Value) -> Vec<(String, String)> {
    page["levels"]
        .as_array()
        .unwrap_or_else(|| panic!("{page}"))
        .iter()
        .map(|l| {
            (
                l["variant"]["sku"].as_str().unwrap_or_default().to_owned(),
                l["onHand"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_stock_feed_pages_levels_in_write_order_from_a_cursor() {
    let shop = Shop::open().await;
    let app = &shop.app;
    track(&shop, &shop.soda).await;
    let (tax, owner) = (&shop.tax, &shop.owner);
    let water = app.variant(owner, "WATER", 150, tax, None).await;
    track(&shop, &water).await;
    let empty = pull(app, &shop.device, &Value::Null, 10).await;
    assert_eq!(empty["levels"], json!([]), "{empty}");
    assert_eq!(empty["hasMore"], false);
    assert_eq!(empty["location"]["code"], "AMS1");

    receive(&shop, &shop.location, "10").await;
    let water_line = json!({ "variantId": water, "quantity": "4" });
    let input = json!({ "locationId": shop.location, "lines": [water_line] });
    document(&shop, owner, "receiveStock", input).await;
    // Another location's levels are not this terminal's.
    let other = app.create_location(owner, "UTR1").await;
    receive(&shop, &other, "99").await;

    let first = pull(app, &shop.device, &Value::Null, 1).await;
    assert_eq!(skus(&first), [("SODA".into(), "10".into())]);
    assert_eq!(first["hasMore"], true);
    let second = pull(app, &shop.device, &first["cursor"], 1).await;
    assert_eq!(skus(&second), [("WATER".into(), "4".into())]);
    let done = pull(app, &shop.device, &second["cursor"], 1).await;
    assert_eq!(skus(&done), Vec::<(String, String)>::new());
    assert_eq!(done["hasMore"], false);
    assert_eq!(done["cursor"], second["cursor"], "nothing new: same cursor");
    let version = done["version"].as_i64().unwrap_or_default();
    assert!(version >= 2, "{done}");

    // A sale writes the soda again: only it comes, at a later version.
    sell(&shop, "3").await;
    let next = pull(app, &shop.device, &done["cursor"], 10).await;
    assert_eq!(skus(&next), [("SODA".into(), "7".into())]);
    assert!(next["version"].as_i64().unwrap_or_default() > version);
    assert_eq!(next["hasMore"], false);
}

#[tokio::test]
async fn the_stock_feed_refuses_bad_cursors_sizes_and_other_locations() {
    let shop = Shop::open().await;
    let app = &shop.app;
    let other = app.create_location(&shop.owner, "UTR1").await;
    let cases = [
        (json!({ "since": "garbage!" }), "since"),
        (json!({ "first": 0 }), "first"),
        (json!({ "first": 501 }), "first"),
    ];
    for (variables, field) in cases {
        let body = app.gql(&shop.device, CHANGES, variables).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], field, "{body}");
    }
    // A terminal pulls its own location's stock only.
    let body = app.gql(&shop.device, CHANGES, json!({ "l": other })).await;
    assert_eq!(code(&body), "FORBIDDEN", "{body}");
    // Staff name the location; one of another tenant is not found.
    let stranger = app.owner(app.tenant("Other").await);
    let body = app.gql(&stranger, CHANGES, json!({ "l": other })).await;
    assert_eq!(code(&body), "NOT_FOUND", "{body}");
    let body = app.gql(&shop.owner, CHANGES, json!({ "l": other })).await;
    assert_eq!(body["data"]["stockChanges"]["location"]["code"], "UTR1");
}

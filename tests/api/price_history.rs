//! Prices as they were: a preview at a past instant, and a sale made
//! offline before a price change, use the prices in force then.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::shop::Shop;

const UPDATE_PRICE: &str = "mutation($id: ID!, $price: Amount!) { updateVariant(id: $id, input: { basePrice: $price }) { userErrors { field message } } }";
const LOCATION_PRICE: &str = "mutation($v: ID!, $l: ID!, $price: Amount) { setLocationPrice(variantId: $v, locationId: $l, price: $price) { userErrors { field message } } }";
const SCAN_AT: &str = "query($l: ID!, $at: DateTime) { productByBarcode(barcode: \"S1\", locationId: $l, at: $at) { listPrice { amount } unitPrice { amount } } }";

/// The soda's history: 2.50 from its creation, 3.00 from `base`, 2.80 at
/// the shop from `over`, and back to the base price from `removed`.
struct History {
    created: DateTime<Utc>,
    base: DateTime<Utc>,
    over: DateTime<Utc>,
    removed: DateTime<Utc>,
}

async fn write(shop: &Shop, query: &str, variables: Value, name: &str) -> DateTime<Utc> {
    let body = shop.app.gql(&shop.owner, query, variables).await;
    assert_eq!(body["data"][name]["userErrors"], json!([]), "{body}");
    // The change holds from an instant inside the request: any instant
    // taken after the answer is under it.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    Utc::now()
}

async fn change_prices(shop: &Shop) -> History {
    let created = Utc::now();
    let price = |p: &str| json!({ "id": shop.soda, "price": p });
    let base = write(shop, UPDATE_PRICE, price("300"), "updateVariant").await;
    let at_shop = |p: Value| json!({ "v": shop.soda, "l": shop.location, "price": p });
    let over = write(
        shop,
        LOCATION_PRICE,
        at_shop(json!("280")),
        "setLocationPrice",
    )
    .await;
    let removed = write(
        shop,
        LOCATION_PRICE,
        at_shop(Value::Null),
        "setLocationPrice",
    )
    .await;
    History {
        created,
        base,
        over,
        removed,
    }
}

#[tokio::test]
async fn a_preview_at_a_past_instant_uses_the_prices_of_that_instant() {
    let shop = Shop::open().await;
    let h = change_prices(&shop).await;
    let list_at = |at: Option<DateTime<Utc>>| {
        let variables = json!({ "l": shop.location, "at": at.map(|t| t.to_rfc3339()) });
        let app = &shop.app;
        let owner = &shop.owner;
        async move {
            let body = app.gql(owner, SCAN_AT, variables).await;
            let found = &body["data"]["productByBarcode"];
            assert!(found.is_object(), "{body}");
            found["listPrice"]["amount"].as_str().map(str::to_owned)
        }
    };
    let earlier = h.created - chrono::Duration::days(30);
    for (at, expected) in [
        (Some(earlier), "250"),
        (Some(h.created), "250"),
        (Some(h.base), "300"),
        (Some(h.over), "280"),
        (Some(h.removed), "300"),
        (None, "300"),
    ] {
        assert_eq!(list_at(at).await.as_deref(), Some(expected), "at {at:?}");
    }
}

#[tokio::test]
async fn a_sale_without_prices_is_priced_as_at_its_instant() {
    let shop = Shop::open().await;
    let h = change_prices(&shop).await;
    // One soda each, no unitPrice: the catalog prices it; 21 % VAT on top.
    for (at, list, total) in [
        (h.created, "250", "302"),
        (h.base, "300", "363"),
        (h.over, "280", "339"),
        (h.removed, "300", "363"),
    ] {
        let sale = json!({
            "saleId": Uuid::new_v4().to_string(),
            "lines": [{ "variantId": shop.soda, "quantity": "1" }],
            "tenders": [{ "method": "CASH", "amount": "1000" }],
        });
        let body = shop.sell_at(&shop.device, sale, &at.to_rfc3339()).await;
        let recorded = &body["data"]["recordSale"];
        assert_eq!(recorded["lines"][0]["listPrice"], list, "at {at}: {body}");
        assert_eq!(recorded["total"], total, "at {at}: {body}");
    }
}

//! Two tenants with a full data set each: catalog (tax group, attribute,
//! product, variant, barcode, pricing rule), a location with a terminal,
//! sales, a refund, a void, pushed sync events with a conflict, and the
//! report rollups all of that feeds. Tenant A probes; tenant B is the
//! target. B's names all start with `BRAVO`.

use std::collections::BTreeMap;

use pos::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::TestApp;
use crate::shop::{record_sale, refund_sale};
use crate::sync::{PUSH, event};

/// One tenant's values, by place kind (see `values::Place`).
pub struct Side {
    pub tenant: Uuid,
    pub owner: String,
    pub device: String,
    pub values: BTreeMap<&'static str, String>,
    /// Text of this tenant's that no other tenant's response may contain.
    pub markers: Vec<String>,
}

impl Side {
    pub fn value(&self, kind: &str) -> Option<&str> {
        self.values.get(kind).map(String::as_str)
    }
}

/// A value of `kind` that no tenant has, valid in form so that it passes
/// the same validation as a real one.
pub fn missing(kind: &str) -> String {
    let n = Uuid::new_v4().as_u128();
    match kind {
        // Not one a card-number check would take for a PAN.
        "Barcode" => (0..)
            .map(|i| ean13(&format!("{:012}", (n + i) % 1_000_000_000_000)))
            .find(|code| pos::sales::checks::mask_card_numbers(code) == *code)
            .unwrap_or_default(),
        "Sku" => format!("ZULU-{:08}", n % 100_000_000),
        "LocationCode" | "TerminalCode" | "AttributeCode" => format!("Z{:08}", n % 100_000_000),
        "ProductName" | "LocationName" | "TaxGroupName" => format!("Zulu {n:x}"),
        "Category" => format!("zulu-{:08}", n % 100_000_000),
        "ReceiptNumber" => format!("Z1-T1-{:06}", n % 1_000_000),
        _ => Uuid::now_v7().to_string(),
    }
}

/// `body` (12 digits) with its GTIN check digit.
pub fn ean13(body: &str) -> String {
    let payload: Vec<u8> = body.bytes().map(|b| b - b'0').collect();
    format!("{body}{}", pos::catalog::barcode::check_digit(&payload))
}

async fn ok(app: &TestApp, token: &str, query: &str, vars: Value, path: &[&str]) -> Value {
    let body = app.gql(token, query, vars).await;
    let mut at = &body["data"];
    for key in path {
        at = &at[*key];
    }
    assert!(!at.is_null(), "seeding failed at {path:?}: {body}");
    at.clone()
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

/// Seeds one tenant. `prefix` names everything; `price` (minor units,
/// 10 % tax on top) keeps the two tenants' figures apart.
pub async fn side(app: &TestApp, prefix: &str, price: i64, barcode: &str) -> Side {
    let tenant = app.tenant(&format!("{prefix} Retail")).await;
    let owner = app.owner(tenant);
    let tax = app.tax_group(&owner, &format!("{prefix} VAT"), "10").await;
    let location_code = format!("{prefix}1");
    let location = app.create_location(&owner, &location_code).await;
    let terminal_code = format!("{prefix}T1");
    let terminal = app.create_terminal(&owner, &location, &terminal_code).await;
    let device = app.device_token(&owner, &terminal).await;
    let attribute_code = format!("{prefix}ORIGIN");
    let attribute = ok(app, &owner,
        "mutation($c: String!) { createAttributeDefinition(input: { code: $c, name: $c, type: TEXT }) { attributeDefinition { id } } }",
        json!({ "c": attribute_code }), &["createAttributeDefinition", "attributeDefinition"]).await;
    let (sku, category) = (
        format!("{prefix}-SODA"),
        format!("{}-aisle", prefix.to_lowercase()),
    );
    let product_name = format!("{prefix} Secret Soda");
    let product = ok(app, &owner,
        "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id variants(first: 1) { edges { node { id } } } } } }",
        json!({ "input": {
            "name": product_name, "category": category,
            "attributes": [{ "code": attribute_code, "value": format!("{prefix} farm") }],
            "variants": [{ "sku": sku, "name": format!("{prefix} can"), "basePrice": price.to_string(), "trackStock": true,
                           "taxGroupId": tax, "barcodes": [{ "kind": "EAN_13", "code": barcode }] }],
        } }),
        &["createProduct", "product"]).await;
    let variant = product["variants"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no variant: {product}"))
        .to_owned();
    let rule = ok(app, &owner,
        "mutation($input: PricingRuleInput!) { createPricingRule(input: $input) { pricingRule { id } } }",
        json!({ "input": { "name": format!("{prefix} rule"), "adjustment": "PERCENT_OFF", "value": "5",
                           "target": "VARIANT", "targetId": variant, "minQuantity": "100000" } }),
        &["createPricingRule", "pricingRule"]).await;

    let gross = price + price / 10;
    let sell = |quantity: i64| {
        json!({ "input": {
            "saleId": Uuid::new_v4().to_string(),
            "lines": [{ "variantId": variant, "quantity": quantity.to_string() }],
            "tenders": [{ "method": "CASH", "amount": (gross * quantity).to_string() }],
        } })
    };
    let big = ok(app, &device, &record_sale(), sell(1000), &["recordSale"]).await;
    let voidable = ok(app, &device, &record_sale(), sell(1), &["recordSale"]).await;
    let refund = ok(
        app,
        &device,
        &refund_sale(),
        json!({ "input": {
            "refundId": Uuid::new_v4().to_string(), "saleId": id(&big),
            "lines": [{ "saleLineNo": 1, "quantity": "1" }],
            "tenders": [{ "method": "CASH", "amount": gross.to_string() }],
        } }),
        &["refundSale"],
    )
    .await;

    // A pushed sale, then a different sale under the same sequence: a
    // conflict for the manager's list.
    for _ in 0..2 {
        let input = sell(1)["input"].clone();
        let pushed = app
            .gql(
                &device,
                PUSH,
                json!({ "events": [event(&terminal, 1, "SALE", input)] }),
            )
            .await;
        assert!(pushed["data"]["syncPush"].is_object(), "{pushed}");
    }

    // Stock: goods in with a cost, and a transfer to a depot in transit.
    let depot = app.create_location(&owner, &format!("{prefix}2")).await;
    ok(app, &owner,
        "mutation($input: ReceiveStockInput!) { receiveStock(input: $input) { movements { id } } }",
        json!({ "input": { "locationId": location, "supplierReference": format!("{prefix} delivery"),
                           "lines": [{ "variantId": variant, "quantity": "5000", "unitCost": (price / 2).to_string() }] } }),
        &["receiveStock", "movements"]).await;
    let transfer = ok(app, &owner,
        "mutation($input: SendStockTransferInput!) { sendStockTransfer(input: $input) { transfer { id } } }",
        json!({ "input": { "fromLocationId": location, "toLocationId": depot, "reference": format!("{prefix} transfer"),
                           "lines": [{ "variantId": variant, "quantity": "7" }] } }),
        &["sendStockTransfer", "transfer"]).await;

    let mut values = BTreeMap::from([
        ("Tenant", tenant.to_string()),
        ("StockTransfer", id(&transfer)),
        ("Depot", depot),
        ("Location", location),
        ("Terminal", terminal),
        ("Product", id(&product)),
        ("Variant", variant),
        ("TaxGroup", tax),
        ("PricingRule", id(&rule)),
        ("AttributeDefinition", id(&attribute)),
        ("Sale", id(&big)),
        ("VoidableSale", id(&voidable)),
        ("Refund", id(&refund)),
        ("Barcode", barcode.to_owned()),
        ("Sku", sku),
        ("LocationCode", location_code.clone()),
        ("TerminalCode", terminal_code),
        ("ProductName", product_name),
        ("LocationName", format!("Shop {location_code}")),
        ("Category", category),
        ("AttributeCode", attribute_code),
        ("TaxGroupName", format!("{prefix} VAT")),
        (
            "ReceiptNumber",
            big["receiptNumber"].as_str().unwrap_or_default().to_owned(),
        ),
    ]);
    let mut markers: Vec<String> = values.values().cloned().collect();
    markers.extend([
        format!("{prefix} Retail"),
        format!("{prefix} can"),
        format!("{prefix} farm"),
        format!("{prefix} rule"),
        format!("{prefix} delivery"),
        format!("{prefix} transfer"),
        (gross * 1000).to_string(),
    ]);
    // Tenant B's void; tenant A keeps its sale for the probes to void.
    if prefix.starts_with('B') {
        let void = ok(
            app,
            &device,
            crate::shop::VOID_SALE,
            json!({ "input": {
                "voidId": Uuid::new_v4().to_string(), "saleId": values["VoidableSale"],
            } }),
            &["voidSale"],
        )
        .await;
        values.insert("Void", id(&void));
        markers.push(id(&void));
    }
    let today = super::values::today();
    ok(
        app,
        &owner,
        "mutation($d: NaiveDate!) { reconcileReports(from: $d, to: $d) { __typename } }",
        json!({ "d": today }),
        &["reconcileReports"],
    )
    .await;
    Side {
        tenant,
        owner,
        device,
        values,
        markers,
    }
}

/// Tenant A's callers: every role, and the terminal's device token.
pub fn callers(app: &TestApp, a: &Side) -> Vec<(&'static str, String)> {
    vec![
        ("OWNER", a.owner.clone()),
        ("MANAGER", app.token(a.tenant, &[Role::Manager])),
        ("CASHIER", app.token(a.tenant, &[Role::Cashier])),
        ("DEVICE", a.device.clone()),
    ]
}

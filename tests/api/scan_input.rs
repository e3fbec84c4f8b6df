//! `productByBarcode` at the edges: a misread is not an unknown item, and
//! the back office previews a price at another instant.

use chrono::{Duration, Utc};
use pos::auth::Role;
use serde_json::{Value, json};

use crate::helpers::{TestApp, code};

const AT: &str = "query($barcode: String!, $location: ID, $at: DateTime) { productByBarcode(barcode: $barcode, locationId: $location, at: $at) { variant { sku } unitPrice { amount } tax { amount } appliedRuleIds } }";

#[tokio::test]
async fn a_misread_is_bad_input_and_an_unknown_code_is_null() {
    let app = TestApp::spawn().await;
    let owner = app.owner(app.tenant("Acme").await);
    let tax = app.tax_group(&owner, "VAT", "0").await;
    let location = app.create_location(&owner, "AMS1").await;
    app.variant(&owner, "COLA", 199, &tax, Some(("EAN_13", "4006381333931")))
        .await;
    // An internal code that would be a GTIN with a wrong check digit is
    // still found: registered codes come first.
    app.variant(
        &owner,
        "HOUSE",
        99,
        &tax,
        Some(("INTERNAL", "5901234123458")),
    )
    .await;
    let found = app.scan(&owner, "4006381333931", Some(&location)).await;
    assert_eq!(found["data"]["productByBarcode"]["variant"]["sku"], "COLA");
    let house = app.scan(&owner, "5901234123458", Some(&location)).await;
    assert_eq!(house["data"]["productByBarcode"]["variant"]["sku"], "HOUSE");

    // One digit misread: the check digit tells.
    let misread = app.scan(&owner, "4006381333932", Some(&location)).await;
    assert_eq!(code(&misread), "BAD_USER_INPUT", "{misread}");
    let message = misread["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("check digit 2 is wrong: expected 1"),
        "{message}"
    );
    // Text no symbology encodes.
    for unreadable in ["héllo", "two words"] {
        let body = app.scan(&owner, unreadable, Some(&location)).await;
        assert_eq!(code(&body), "BAD_USER_INPUT", "{unreadable}: {body}");
    }
    // Well-formed but not registered: null, no error. Printable text may
    // be a CODE128 or INTERNAL code.
    for unknown in ["5901234123457", "96385074", "hello"] {
        let body = app.scan(&owner, unknown, Some(&location)).await;
        assert!(body.get("errors").is_none(), "{unknown}: {body}");
        assert!(body["data"]["productByBarcode"].is_null(), "{unknown}");
    }
}

async fn scan_at(app: &TestApp, token: &str, location: &str, at: Option<String>) -> Value {
    app.gql(
        token,
        AT,
        json!({ "barcode": "B1", "location": location, "at": at }),
    )
    .await
}

fn amounts(body: &Value) -> (String, String) {
    let found = &body["data"]["productByBarcode"];
    let text = |v: &Value| v.as_str().unwrap_or_else(|| panic!("{body}")).to_owned();
    (
        text(&found["unitPrice"]["amount"]),
        text(&found["tax"]["amount"]),
    )
}

#[tokio::test]
async fn a_manager_previews_the_price_at_another_instant() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("Acme").await;
    let owner = app.owner(tenant);
    let manager = app.token(tenant, &[Role::Manager]);
    let cashier = app.token(tenant, &[Role::Cashier]);
    let tax = app.tax_group(&owner, "VAT", "10").await;
    let location = app.create_location(&owner, "AMS1").await;
    let variant = app
        .variant(&owner, "BREAD", 300, &tax, Some(("INTERNAL", "B1")))
        .await;
    let before_change = Utc::now() - Duration::minutes(5);
    // The rate rises now; the old one stays in force for earlier instants.
    let update = app
        .gql(
            &owner,
            "mutation($id: ID!) { updateTaxGroup(id: $id, input: { rates: [{ name: \"VAT\", percent: \"20\" }] }) { userErrors { message } } }",
            json!({ "id": tax }),
        )
        .await;
    assert_eq!(update["data"]["updateTaxGroup"]["userErrors"], json!([]));
    // A promotion an hour from now, for an hour.
    let from = Utc::now() + Duration::hours(1);
    let rule = app
        .gql(
            &owner,
            "mutation($v: ID!, $from: DateTime, $until: DateTime) { createPricingRule(input: { name: \"Bread hour\", adjustment: PERCENT_OFF, value: \"10\", target: VARIANT, targetId: $v, validFrom: $from, validUntil: $until }) { pricingRule { id } userErrors { field message } } }",
            json!({ "v": variant, "from": from.to_rfc3339(), "until": (from + Duration::hours(1)).to_rfc3339() }),
        )
        .await;
    assert_eq!(
        rule["data"]["createPricingRule"]["userErrors"],
        json!([]),
        "{rule}"
    );

    let now = scan_at(&app, &manager, &location, None).await;
    assert_eq!(amounts(&now), ("300".into(), "60".into()), "{now}");
    let during = scan_at(
        &app,
        &manager,
        &location,
        Some((from + Duration::minutes(30)).to_rfc3339()),
    )
    .await;
    assert_eq!(amounts(&during), ("270".into(), "54".into()), "{during}");
    let earlier = scan_at(&app, &owner, &location, Some(before_change.to_rfc3339())).await;
    assert_eq!(amounts(&earlier), ("300".into(), "30".into()), "{earlier}");
    // The preview leaves the cached scan as it was.
    let again = scan_at(&app, &manager, &location, None).await;
    assert_eq!(amounts(&again), ("300".into(), "60".into()), "{again}");

    // Cashiers price now only.
    let refused = scan_at(&app, &cashier, &location, Some(Utc::now().to_rfc3339())).await;
    assert_eq!(code(&refused), "FORBIDDEN", "{refused}");
}

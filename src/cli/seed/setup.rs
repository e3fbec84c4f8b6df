//! The setup before the trade: tax groups, products and variants, then
//! locations and terminals, all made through GraphQL mutations.

use chrono_tz::Tz;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{BoxError, Rng, ZONES, gql, id_at};
use crate::auth::Session;
use crate::startup::AppState;

pub(super) struct Till {
    pub(super) session: Session,
    pub(super) zone: Tz,
}

/// Tax groups, products and variants; the variants' (id, price).
pub(super) async fn catalog(
    state: &AppState,
    owner: &Session,
    variants: usize,
    rng: &mut Rng,
) -> Result<Vec<(String, i64)>, BoxError> {
    let mut groups = Vec::new();
    for (name, percent) in [("Standard", "21"), ("Reduced", "9"), ("Zero", "0")] {
        let body = gql(
            state,
            owner,
            "mutation($input: CreateTaxGroupInput!) { createTaxGroup(input: $input) { taxGroup { id } } }",
            json!({ "input": { "name": name, "rates": [{ "name": name, "percent": percent }] } }),
        )
        .await?;
        groups.push(id_at(&body, &["createTaxGroup", "taxGroup", "id"])?);
    }
    let mut out = Vec::with_capacity(variants);
    let products = variants.div_ceil(4);
    for p in 0..products {
        let group = &groups[[0, 0, 1, 1, 2][p % 5]];
        let base = 50 + (rng.unit().powi(3) * 9_950.0) as i64;
        let drafts: Vec<Value> = (0..4)
            .filter(|v| p * 4 + v < variants)
            .map(|v| {
                json!({
                    "sku": format!("SKU-{p:05}-{v}"),
                    "name": format!("Size {}", ["S", "M", "L", "XL"][v]),
                    "basePrice": (base + base * v as i64 / 4).to_string(),
                    "taxGroupId": group,
                })
            })
            .collect();
        let category = ["grocery", "household", "drinks", "fresh"][p % 4];
        let body = gql(
            state,
            owner,
            "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { variants(first: 4) { edges { node { id basePrice } } } } userErrors { message } } }",
            json!({ "input": { "name": format!("Product {p:05}"), "category": category, "variants": drafts } }),
        )
        .await?;
        let made = &body["createProduct"]["product"]["variants"]["edges"];
        for v in made.as_array().ok_or("seed: product not created")? {
            let v = &v["node"];
            let price: i64 = v["basePrice"].as_str().unwrap_or("0").parse()?;
            out.push((id_at(v, &["id"])?, price));
        }
    }
    Ok(out)
}

pub(super) async fn shops(
    state: &AppState,
    owner: &Session,
    locations: usize,
    terminals: usize,
) -> Result<Vec<Till>, BoxError> {
    let mut tills = Vec::with_capacity(terminals);
    let mut location_ids = Vec::new();
    for l in 0..locations {
        let zone = ZONES[l % ZONES.len()];
        let body = gql(
            state,
            owner,
            "mutation($input: CreateLocationInput!) { createLocation(input: $input) { id } }",
            json!({ "input": {
                "code": format!("S{l:03}"), "name": format!("Store {l:03}"),
                "address": { "line1": format!("{} Main Street", l + 1), "city": zone.split('/').nth(1).unwrap_or("City"), "country": "NL" },
                "timeZone": zone, "currency": "EUR", "pricesIncludeTax": true,
            } }),
        )
        .await?;
        location_ids.push((id_at(&body, &["createLocation", "id"])?, zone));
    }
    for t in 0..terminals {
        let (location, zone) = &location_ids[t % location_ids.len()];
        let body = gql(
            state,
            owner,
            "mutation($input: CreateTerminalInput!) { createTerminal(input: $input) { id } }",
            json!({ "input": { "locationId": location, "code": format!("T{t:04}"), "name": format!("Till {t}") } }),
        )
        .await?;
        let id: Uuid = id_at(&body, &["createTerminal", "id"])?.parse()?;
        tills.push(Till {
            session: Session {
                tenant: owner.tenant,
                subject: format!("terminal:{id}"),
                roles: Vec::new(),
                terminal: Some(id),
                location: Some(location.parse()?),
            },
            zone: zone.parse().map_err(|_| "seed: bad zone")?,
        });
    }
    Ok(tills)
}

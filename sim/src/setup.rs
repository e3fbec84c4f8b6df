//! The simulated retailers: tenants (made by the operator's `pos tenant
//! create` and `pos token`, or given as owner tokens), then everything else
//! through the API as a back office would: tax groups, a catalog with
//! barcodes and weighed items, stores in several time zones, a location
//! price, terminals and their device tokens.

use std::path::Path;
use std::time::Duration;

use chrono_tz::Tz;
use serde_json::{Value, json};

use crate::client::{CallError, Client, text};
use crate::money::ean13;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

const ZONES: [&str; 4] = [
    "Europe/Amsterdam",
    "America/New_York",
    "Asia/Kathmandu",
    "Australia/Lord_Howe",
];
const PATIENCE: Duration = Duration::from_secs(30);

pub struct Tenant {
    pub index: usize,
    pub owner: String,
    pub shops: Vec<Shop>,
    /// An item no terminal sells, whose price the price watch changes.
    pub watch: Watched,
}

pub struct Watched {
    pub variant: String,
    pub barcode: String,
    pub price: i64,
}

pub struct Shop {
    pub id: String,
    pub zone: Tz,
    pub tills: Vec<TillSpec>,
}

pub struct TillSpec {
    pub id: String,
    pub token: String,
}

/// How big a retailer to make.
#[derive(Clone, Copy)]
pub struct Shape {
    pub locations: usize,
    pub terminals: usize,
    pub variants: usize,
}

/// Runs an operator command of the server binary and returns its output.
async fn operator(pos: &Path, args: &[&str]) -> Result<String, BoxError> {
    let out = tokio::process::Command::new(pos)
        .args(args)
        .output()
        .await?;
    if !out.status.success() {
        return Err(format!(
            "{} {}: {}",
            pos.display(),
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?.trim().to_owned())
}

/// A new tenant and an owner token for it, from the operator commands.
pub async fn new_tenant(pos: &Path, index: usize) -> Result<String, BoxError> {
    let name = format!("Simulated Retail {index}");
    let id = operator(pos, &["tenant", "create", &name, "--currency", "EUR"]).await?;
    operator(
        pos,
        &[
            "token",
            "--tenant",
            &id,
            "--sub",
            "sim:owner",
            "--role",
            "OWNER",
            "--ttl",
            "1d",
        ],
    )
    .await
}

async fn mutate(
    client: &Client,
    owner: &str,
    query: &str,
    variables: Value,
) -> Result<Value, BoxError> {
    let data = client
        .call_retrying(owner, query, variables, PATIENCE)
        .await?;
    // A payload's user errors are a refusal too.
    if let Some(errors) = data
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(|p| p["userErrors"].as_array())
        && !errors.is_empty()
    {
        return Err(Box::new(CallError::Refused(format!("{errors:?}"))));
    }
    Ok(data)
}

/// Makes one retailer's catalog, stores and terminals.
pub async fn retailer(
    client: &Client,
    index: usize,
    owner: String,
    shape: Shape,
) -> Result<Tenant, BoxError> {
    let mut groups = Vec::new();
    for (name, percent) in [("Standard", "21"), ("Reduced", "9")] {
        let data = mutate(
            client,
            &owner,
            "mutation($input: CreateTaxGroupInput!) { createTaxGroup(input: $input) { taxGroup { id } userErrors { message } } }",
            json!({ "input": { "name": name, "rates": [{ "name": name, "percent": percent }] } }),
        )
        .await?;
        groups.push(text(&data, &["createTaxGroup", "taxGroup", "id"])?);
    }
    let mut first_variant = None;
    for p in 0..shape.variants.div_ceil(2) {
        let weighed = p % 5 == 4;
        let base = 99 + (p as i64 * 7_919) % 4_900;
        let variants: Vec<Value> = (0..2)
            .filter(|v| p * 2 + v < shape.variants)
            .map(|v| {
                let mut draft = json!({
                    "sku": format!("SIM-{p:05}-{v}"),
                    "name": if weighed { ["Loose", "Organic"][v] } else { ["Regular", "Large"][v] },
                    "basePrice": (base + 50 * v as i64).to_string(),
                    "taxGroupId": groups[p % 2],
                    "unit": if weighed { "KG" } else { "EACH" },
                    // A third of the catalog keeps stock.
                    "trackStock": p % 3 == 0,
                });
                if !weighed {
                    let code = ean13(&format!("871{index:02}{p:05}{v:02}"));
                    draft["barcodes"] = json!([{ "kind": "EAN_13", "code": code }]);
                }
                draft
            })
            .collect();
        let data = mutate(
            client,
            &owner,
            "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { variants(first: 2) { nodes { id } } } userErrors { message } } }",
            json!({ "input": { "name": format!("Product {p:05}"), "category": "grocery", "variants": variants } }),
        )
        .await?;
        if first_variant.is_none() {
            first_variant = data["createProduct"]["product"]["variants"]["nodes"][0]["id"]
                .as_str()
                .map(str::to_owned);
        }
    }

    let barcode = ean13(&format!("872{index:02}0000000"));
    let data = mutate(
        client,
        &owner,
        "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { variants(first: 1) { nodes { id } } } userErrors { message } } }",
        json!({ "input": { "name": "Price watch", "variants": [{
            "sku": "WATCH-1", "name": "Watched", "basePrice": "1000", "taxGroupId": groups[0],
            "barcodes": [{ "kind": "EAN_13", "code": barcode }],
        }] } }),
    )
    .await?;
    let watch = Watched {
        variant: data["createProduct"]["product"]["variants"]["nodes"][0]["id"]
            .as_str()
            .ok_or("no watched variant made")?
            .to_owned(),
        barcode,
        price: 1_000,
    };

    let mut shops = Vec::new();
    for l in 0..shape.locations {
        let zone = ZONES[l % ZONES.len()];
        let data = mutate(
            client,
            &owner,
            "mutation($input: CreateLocationInput!) { createLocation(input: $input) { id } }",
            json!({ "input": {
                "code": format!("S{l:02}"), "name": format!("Store {l}"),
                "address": { "line1": format!("{} Market Street", l + 1), "city": "Springfield", "country": "NL" },
                "timeZone": zone, "currency": "EUR", "pricesIncludeTax": true,
            } }),
        )
        .await?;
        let location = text(&data, &["createLocation", "id"])?;
        if l == 0
            && let Some(variant) = &first_variant
        {
            // A store price the terminals must learn from the catalog pull.
            mutate(
                client,
                &owner,
                "mutation($v: ID!, $l: ID!) { setLocationPrice(variantId: $v, locationId: $l, price: \"77\") { userErrors { message } } }",
                json!({ "v": variant, "l": location }),
            )
            .await?;
        }
        let mut tills = Vec::new();
        for t in 0..shape.terminals {
            let data = mutate(
                client,
                &owner,
                "mutation($input: CreateTerminalInput!) { createTerminal(input: $input) { id } }",
                json!({ "input": { "locationId": location, "code": format!("T{t:02}"), "name": format!("Till {t}") } }),
            )
            .await?;
            let id = text(&data, &["createTerminal", "id"])?;
            let data = mutate(
                client,
                &owner,
                "mutation($id: ID!) { issueTerminalToken(terminalId: $id, ttlSeconds: 86400) { token } }",
                json!({ "id": id }),
            )
            .await?;
            let token = text(&data, &["issueTerminalToken", "token"])?;
            tills.push(TillSpec { id, token });
        }
        shops.push(Shop {
            id: location,
            zone: zone.parse().map_err(|_| format!("unknown zone {zone}"))?,
            tills,
        });
    }
    Ok(Tenant {
        index,
        owner,
        shops,
        watch,
    })
}

//! The price watch: while terminals trade, a back office changes the price
//! of one item on one server, and every server is asked for that item
//! until it answers the new price. The delay is how long a stale price was
//! served; more than a second is a failure (cache invalidation across
//! replicas, or its fallback while Redis is down, did not work).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::client::{Client, amount};
use crate::setup::Tenant;
use crate::stats::{Stats, add};

const UPDATE: &str = "mutation Reprice($id: ID!, $price: Amount!) { updateVariant(id: $id, input: { basePrice: $price }) { userErrors { message } } }";
const LOOKUP: &str = "query Watch($b: String!, $l: ID!) { productByBarcode(barcode: $b, locationId: $l) { unitPrice { amount } } }";
const LIMIT: Duration = Duration::from_secs(1);
const PATIENCE: Duration = Duration::from_secs(60);

/// What the watch changes and asks for.
pub struct Target {
    owner: String,
    variant: String,
    barcode: String,
    price: i64,
    location: String,
}

impl Target {
    pub fn of(tenant: &Tenant) -> Option<Self> {
        Some(Self {
            owner: tenant.owner.clone(),
            variant: tenant.watch.variant.clone(),
            barcode: tenant.watch.barcode.clone(),
            price: tenant.watch.price,
            location: tenant.shops.first()?.id.clone(),
        })
    }
}

/// Changes the watched price every `every` until `stop`.
pub async fn run(
    client: Client,
    target: Option<Target>,
    every: Duration,
    stop: Arc<AtomicBool>,
    stats: Arc<Stats>,
) {
    let Some(t) = target else { return };
    let mut price = t.price;
    let mut round = 0;
    while !stop.load(Ordering::Relaxed) {
        tokio::time::sleep(every).await;
        round += 1;
        price = 1_000 + (price - 999) % 500;
        let writer = client.only(round);
        let vars = json!({ "id": t.variant, "price": price.to_string() });
        if let Err(e) = writer.call_retrying(&t.owner, UPDATE, vars, PATIENCE).await {
            stats.problem(format!("price watch: the change was refused: {e}"));
            continue;
        }
        let changed = Instant::now();
        add(&stats.price_changes, 1);
        let mut readers = tokio::task::JoinSet::new();
        for server in 0..client.servers() {
            let (reader, owner, stats) = (client.only(server), t.owner.clone(), stats.clone());
            let vars = json!({ "b": t.barcode, "l": t.location });
            let writer = round % client.servers();
            readers.spawn(async move {
                let waited = until_served(&reader, &owner, vars, price, changed).await;
                stats
                    .max_staleness_us
                    .fetch_max(waited.as_micros() as u64, Ordering::Relaxed);
                if waited > LIMIT {
                    stats.problem(format!(
                        "price watch: server {server} served an old price {} ms after a change on server {writer}",
                        waited.as_millis()
                    ));
                }
            });
        }
        readers.join_all().await;
    }
}

/// How long after `changed` the server first answers `price`.
async fn until_served(
    reader: &Client,
    owner: &str,
    vars: serde_json::Value,
    price: i64,
    changed: Instant,
) -> Duration {
    loop {
        let seen = reader
            .call_retrying(owner, LOOKUP, vars.clone(), PATIENCE)
            .await
            .map(|d| amount(&d["productByBarcode"]["unitPrice"]["amount"]));
        let waited = changed.elapsed();
        if matches!(seen, Ok(p) if p == price) || waited > PATIENCE {
            return waited;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

//! The stock benchmark, two parts in one run:
//!
//! 1. **What stock costs a push.** Terminals push realistic sales; half
//!    the catalog tracks stock, half does not. A quarter of the terminals
//!    sell untracked variants, then a quarter tracked ones, then tracked,
//!    then untracked (ABBA, so drift over the run cancels). Events/s with
//!    tracked variants over events/s without is the cost ratio (target:
//!    at least 0.85).
//! 2. **`stockLevels` at a location with 10,000 tracked variants.** Pages
//!    of 100 over HTTP, one request at a time, p50 and p99; against
//!    `{ __typename }` over the same client and token in the same run
//!    (the GraphQL floor). Target: p99 at most 20 ms.
//!
//! `cargo bench --bench stock` (SQLite) or `BENCH_PG=1 cargo bench --bench
//! stock` (a fresh PostgreSQL database, used as `pos_app`, dropped
//! afterwards). Knobs: BENCH_TERMINALS (400), BENCH_BATCH (100 events per
//! push), BENCH_CLIENTS (16 pushes in flight), BENCH_VARIANTS (10,000),
//! BENCH_REQUESTS (1,000 stockLevels pages).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use entity::enums::{Status, Unit};
use entity::{product, stock_level, variant};
use pos::config::Config;
use pos::startup::Application;
use sea_orm::{ConnectionTrait, Database, Set};
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use uuid::Uuid;

#[path = "support/mod.rs"]
mod support;

use support::{env, percentile};

const SECRET: &str = "bench-secret-that-is-at-least-32-bytes-long";

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Bench {
    client: reqwest::Client,
    url: String,
    owner: String,
    tenant: Uuid,
    state: pos::startup::AppState,
    migrate_url: String,
}

impl Bench {
    async fn gql(&self, token: &str, query: &str, variables: Value) -> Value {
        let body: Value = self
            .client
            .post(&self.url)
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        assert!(body.get("errors").is_none(), "{body}");
        body
    }

    fn sign(&self, subject: &str, device: Option<(Uuid, Uuid)>) -> String {
        let roles = if device.is_some() {
            vec![]
        } else {
            vec![pos::auth::Role::Owner]
        };
        self.state
            .keys
            .sign(
                self.tenant,
                subject,
                roles,
                device,
                Duration::from_secs(3600),
            )
            .expect("sign")
            .0
    }
}

fn main() {
    support::block_on(run());
}

async fn run() {
    let postgres = std::env::var("BENCH_PG").is_ok();
    let dir = tempfile::tempdir().expect("tempdir");
    let name = format!("pos_bench_stock_{}", std::process::id());
    let (db_url, migrate_url, backend) = if postgres {
        let admin = Database::connect("postgres://postgres@127.0.0.1:5432/test")
            .await
            .expect("postgres");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create db");
        (
            format!("postgres://pos_app@127.0.0.1:5432/{name}"),
            format!("postgres://postgres@127.0.0.1:5432/{name}"),
            "PostgreSQL",
        )
    } else {
        let url = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
        (url.clone(), url, "SQLite")
    };
    let config = Config::from_env_and([
        "--database-url",
        &db_url,
        "--migrate-database-url",
        &migrate_url,
        "--listen",
        "127.0.0.1:0",
        "--jwt-secret",
        SECRET,
        "--rate-limit-tenant-rps",
        "0",
        "--rate-limit-terminal-rps",
        "0",
    ])
    .expect("config");
    let tenant = pos::cli::create_tenant(&config, "Bench", "EUR")
        .await
        .expect("tenant");
    let app = Application::build(config.clone()).await.expect("app");
    let state = app.state().clone();
    let url = format!("http://127.0.0.1:{}/graphql", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(32)
        .build()
        .expect("client");
    let mut bench = Bench {
        client,
        url,
        owner: String::new(),
        tenant,
        state,
        migrate_url: migrate_url.clone(),
    };
    bench.owner = bench.sign("bench", None);
    println!("stock benchmark on {backend}");
    pushes(&bench).await;
    levels(&bench).await;
    server.abort();
    if postgres {
        drop(bench);
        let admin = Database::connect("postgres://postgres@127.0.0.1:5432/test")
            .await
            .expect("postgres");
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .expect("drop the benchmark database");
    }
}

/// Part 1: pushes selling untracked against tracked variants, ABBA.
async fn pushes(b: &Bench) {
    let terminals = env("BENCH_TERMINALS", 400usize);
    let batch = env("BENCH_BATCH", 100usize);
    let clients = env("BENCH_CLIENTS", 16usize);
    let group = b.gql(&b.owner, "mutation { createTaxGroup(input: { name: \"VAT\", rates: [{ name: \"VAT\", percent: \"21\" }] }) { taxGroup { id } } }", json!({})).await;
    let group = group["data"]["createTaxGroup"]["taxGroup"]["id"]
        .as_str()
        .expect("group")
        .to_owned();
    // 0..50 untracked, 50..100 tracked.
    let mut variants = Vec::new();
    for i in 0..100 {
        let price = 100 + i * 37;
        let body = b.gql(&b.owner, "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { variants { edges { node { id } } } } } }",
            json!({ "input": { "name": format!("Item {i}"), "variants": [{ "sku": format!("SKU{i}"), "name": "std", "basePrice": price.to_string(), "taxGroupId": group, "trackStock": i >= 50 }] } })).await;
        let id = body["data"]["createProduct"]["product"]["variants"]["edges"][0]["node"]["id"]
            .as_str()
            .expect("variant")
            .to_owned();
        variants.push((id, price));
    }
    let mut devices = Vec::new();
    for l in 0..20 {
        let body = b.gql(&b.owner, "mutation($input: CreateLocationInput!) { createLocation(input: $input) { id } }",
            json!({ "input": { "code": format!("L{l}"), "name": format!("Shop {l}"), "address": { "line1": "1 Main St", "city": "Amsterdam", "country": "NL" }, "timeZone": "Europe/Amsterdam", "currency": "EUR" } })).await;
        let location = body["data"]["createLocation"]["id"]
            .as_str()
            .expect("location")
            .to_owned();
        for t in 0..terminals / 20 {
            let body = b.gql(&b.owner, "mutation($input: CreateTerminalInput!) { createTerminal(input: $input) { id } }",
                json!({ "input": { "locationId": location, "code": format!("T{t}"), "name": format!("Till {t}") } })).await;
            let terminal = body["data"]["createTerminal"]["id"]
                .as_str()
                .expect("terminal")
                .to_owned();
            let token = b.sign(
                &format!("terminal:{terminal}"),
                Some((terminal.parse().expect("id"), location.parse().expect("id"))),
            );
            devices.push((terminal, token));
        }
    }
    let quarter = devices.len() / 4;
    println!(
        "part 1: {} terminals in four phases (untracked, tracked, tracked, untracked) of {quarter} pushes of {batch} sales, {clients} in flight",
        quarter * 4
    );
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (mut plain, mut tracked) = ((0usize, Duration::ZERO), (0usize, Duration::ZERO));
    for (phase, offset) in [0usize, 50, 50, 0].into_iter().enumerate() {
        let group = &devices[phase * quarter..(phase + 1) * quarter];
        let (events, took) =
            phase_push(b, group, &variants, offset, batch, clients, &mut rng).await;
        println!(
            "  phase {} ({}): {:>7.0} events/s",
            phase + 1,
            if offset == 0 { "untracked" } else { "tracked" },
            events as f64 / took.as_secs_f64()
        );
        let sum = if offset == 0 {
            &mut plain
        } else {
            &mut tracked
        };
        sum.0 += events;
        sum.1 += took;
    }
    let eps = |(n, t): (usize, Duration)| n as f64 / t.as_secs_f64();
    println!(
        "syncPush untracked: {:>7.0} events/s\nsyncPush tracked:   {:>7.0} events/s\nratio tracked/untracked: {:.3} (target at least 0.85)",
        eps(plain),
        eps(tracked),
        eps(tracked) / eps(plain)
    );
}

/// One phase: each terminal of `group` pushes one batch of sales of the
/// variants `offset..offset + 50`.
async fn phase_push(
    b: &Bench,
    group: &[(String, String)],
    variants: &[(String, i64)],
    offset: usize,
    batch: usize,
    clients: usize,
    rng: &mut Rng,
) -> (usize, Duration) {
    let gate = Arc::new(Semaphore::new(clients));
    let mut tasks = Vec::new();
    let started = Instant::now();
    for (terminal, token) in group {
        let events: Vec<Value> = (0..batch)
            .map(|i| {
                let lines: Vec<Value> = (0..3 + rng.below(6))
                    .map(|_| {
                        let (v, p) = &variants[offset + rng.below(50) as usize];
                        json!({ "variantId": v, "quantity": (1 + rng.below(3)).to_string(), "unitPrice": p.to_string() })
                    })
                    .collect();
                json!({
                    "terminalId": terminal, "sequence": i + 1, "type": "SALE",
                    "createdAt": Utc::now().to_rfc3339(),
                    "payload": { "sale": { "saleId": Uuid::new_v4().to_string(), "lines": lines,
                        "tenders": [{ "method": "CASH", "amount": "10000000" }] } },
                })
            })
            .collect();
        let (client, url, token, gate) =
            (b.client.clone(), b.url.clone(), token.clone(), gate.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = gate.acquire().await.expect("gate");
            loop {
                let body: Value = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({ "query": "mutation($e: [SalesEventInput!]!) { syncPush(events: $e) { results { status } } }", "variables": { "e": events } }))
                    .send()
                    .await
                    .expect("push")
                    .json()
                    .await
                    .expect("json");
                if body["errors"][0]["extensions"]["code"] == "UNAVAILABLE" {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
                let applied = body["data"]["syncPush"]["results"]
                    .as_array()
                    .map_or(0, |r| r.iter().filter(|r| r["status"] == "APPLIED").count());
                assert_eq!(applied, events.len(), "{body}");
                break applied;
            }
        }));
    }
    let mut events = 0;
    for task in tasks {
        events += task.await.expect("task");
    }
    (events, started.elapsed())
}

/// Part 2: `stockLevels` pages at a location with many tracked variants.
async fn levels(b: &Bench) {
    let count = env("BENCH_VARIANTS", 10_000usize);
    let requests = env("BENCH_REQUESTS", 1_000usize);
    let body = b.gql(&b.owner, "mutation($input: CreateLocationInput!) { createLocation(input: $input) { id } }",
        json!({ "input": { "code": "BIG", "name": "Warehouse shop", "address": { "line1": "1 Main St", "city": "Amsterdam", "country": "NL" }, "timeZone": "Europe/Amsterdam", "currency": "EUR" } })).await;
    let location: Uuid = body["data"]["createLocation"]["id"]
        .as_str()
        .expect("location")
        .parse()
        .expect("id");
    let group = b.gql(&b.owner, "mutation { createTaxGroup(input: { name: \"Zero\", rates: [{ name: \"Zero\", percent: \"0\" }] }) { taxGroup { id } } }", json!({})).await;
    let group: Uuid = group["data"]["createTaxGroup"]["taxGroup"]["id"]
        .as_str()
        .expect("group")
        .parse()
        .expect("id");
    // Rows straight into the tables: 100 products of 100 variants, each
    // tracked, with a level at the location.
    let now = Utc::now();
    let tx = b
        .state
        .db
        .operator()
        .write_for_tenant(b.tenant)
        .await
        .expect("tx");
    let mut variants = Vec::new();
    let mut levels = Vec::new();
    for p in 0..count.div_ceil(100) {
        let product = Uuid::now_v7();
        tx.insert_many(vec![product::ActiveModel {
            id: Set(product),
            name: Set(format!("Stocked {p}")),
            description: Set(None),
            category: Set(None),
            status: Set(Status::Active),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }])
        .await
        .expect("product");
        for v in 0..100.min(count - p * 100) {
            let id = Uuid::now_v7();
            variants.push(variant::ActiveModel {
                id: Set(id),
                product_id: Set(product),
                sku: Set(format!("STK-{p:03}-{v:02}")),
                name: Set(format!("v{v}")),
                options: Set("[]".into()),
                base_price: Set(199),
                tax_group_id: Set(group),
                unit: Set(Unit::Each),
                status: Set(Status::Active),
                track_stock: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
            levels.push(stock_level::ActiveModel {
                location_id: Set(location),
                variant_id: Set(id),
                on_hand: Set(((p * 100 + v) % 50) as i64 * 1000),
                in_transit: Set(0),
                average_cost: Set(Some(120)),
                low_threshold: Set(Some(5_000)),
                updated_at: Set(now),
                ..Default::default()
            });
        }
    }
    for chunk in variants.chunks(50) {
        tx.insert_many(chunk.to_vec()).await.expect("variants");
    }
    for chunk in levels.chunks(50) {
        tx.insert_many(chunk.to_vec()).await.expect("levels");
    }
    tx.commit().await.expect("commit");
    if b.state.db.is_postgres() {
        // This machine's PostgreSQL runs without autovacuum: gather the
        // planner's statistics once, as autovacuum would after a load.
        let owner = Database::connect(&b.migrate_url).await.expect("owner");
        owner.execute_unprepared("ANALYZE").await.expect("analyze");
    }
    println!(
        "part 2: stockLevels at a location with {count} tracked variants, pages of 100, {requests} requests one at a time"
    );

    let query = "query($l: ID!, $after: String) { stockLevels(locationId: $l, first: 100, after: $after) { edges { node { onHand inTransit isLow value variant { sku } } } pageInfo { endCursor hasNextPage } } }";
    let mut after: Option<String> = None;
    let mut service = Vec::with_capacity(requests);
    let mut floor = Vec::with_capacity(requests);
    // Warm both paths first.
    for _ in 0..20 {
        b.gql(&b.owner, query, json!({ "l": location.to_string() }))
            .await;
        b.gql(&b.owner, "{ __typename }", json!({})).await;
    }
    for _ in 0..requests {
        let began = Instant::now();
        let body = b
            .gql(
                &b.owner,
                query,
                json!({ "l": location.to_string(), "after": after }),
            )
            .await;
        service.push(began.elapsed());
        let page = &body["data"]["stockLevels"];
        assert!(
            page["edges"].as_array().is_some_and(|e| !e.is_empty()),
            "{body}"
        );
        after = if page["pageInfo"]["hasNextPage"] == true {
            page["pageInfo"]["endCursor"].as_str().map(str::to_owned)
        } else {
            None
        };
        let began = Instant::now();
        b.gql(&b.owner, "{ __typename }", json!({})).await;
        floor.push(began.elapsed());
    }
    service.sort();
    floor.sort();
    let (p50, p99) = (percentile(&service, 0.5), percentile(&service, 0.99));
    let (f50, f99) = (percentile(&floor, 0.5), percentile(&floor, 0.99));
    println!(
        "stockLevels:  p50 {:>6.2} ms  p99 {:>6.2} ms (target p99 at most 20 ms)\n{{ __typename }}: p50 {:>6.2} ms  p99 {:>6.2} ms\nratio to the floor: p50 {:.1}x  p99 {:.1}x",
        ms(p50),
        ms(p99),
        ms(f50),
        ms(f99),
        ms(p50) / ms(f50),
        ms(p99) / ms(f99)
    );
}

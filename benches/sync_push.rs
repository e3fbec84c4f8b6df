//! The syncPush benchmark: realistic sales (3–8 lines, 1–2 tenders) from
//! many terminals, pushed over HTTP in batches, against the same rows
//! inserted with plain batched SQL (no GraphQL, no checks) in the same run.
//!
//! `cargo bench --bench sync_push` (SQLite). For PostgreSQL:
//! `BENCH_PG=1 cargo bench --bench sync_push` with the services .ci/run
//! uses. Knobs: BENCH_TERMINALS (1000), BENCH_BATCH (100),
//! BENCH_BATCHES (1 per terminal), BENCH_CLIENTS (16 concurrent pushes),
//! BENCH_PG_SSLMODE (unset: the driver's default, `prefer`, which uses TLS
//! when the server offers it; `disable` for a plain connection),
//! BENCH_SKIP (tables a push leaves unwritten, comma-separated, of sales,
//! lines, taxes, tenders, receipts, events and rollups: what each costs).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use entity::{sale, sale_line, tender};
use pos::config::Config;
use pos::sales::apply::{SKIP_WRITES, Skip};
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

async fn gql(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> Value {
    let body: Value = client
        .post(url)
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

/// One sale event, with the amounts a terminal would know.
struct Sale {
    id: Uuid,
    lines: Vec<(usize, i64)>,
    card: bool,
}

fn main() {
    support::block_on(run());
}

async fn run() {
    let terminals = env("BENCH_TERMINALS", 1000);
    let batch = env("BENCH_BATCH", 100);
    let batches = env("BENCH_BATCHES", 1);
    let clients = env("BENCH_CLIENTS", 16);
    let postgres = std::env::var("BENCH_PG").is_ok();
    let skipped = std::env::var("BENCH_SKIP").unwrap_or_default();
    let mut mask = 0;
    for name in skipped.split(',').filter(|n| !n.is_empty()) {
        let (_, table) = Skip::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .unwrap_or_else(|| panic!("BENCH_SKIP: no table {name}"));
        mask |= *table as u32;
    }
    SKIP_WRITES.store(mask, std::sync::atomic::Ordering::Relaxed);
    let dir = tempfile::tempdir().expect("temp dir");
    let name = format!("pos_bench_{}", Uuid::new_v4().simple());
    let (db_url, migrate_url, backend) = if postgres {
        let admin = Database::connect("postgres://postgres@127.0.0.1:5432/test")
            .await
            .expect("postgres");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create db");
        let sslmode = std::env::var("BENCH_PG_SSLMODE")
            .ok()
            .filter(|m| !m.is_empty())
            .map(|m| format!("?sslmode={m}"))
            .unwrap_or_default();
        (
            format!("postgres://pos_app@127.0.0.1:5432/{name}{sslmode}"),
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
        // Throughput, not admission: the limits are benchmarked alone.
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
        .pool_max_idle_per_host(clients)
        .build()
        .expect("client");
    let owner = state
        .keys
        .sign(
            tenant,
            "bench",
            vec![pos::auth::Role::Owner],
            None,
            Duration::from_secs(3600),
        )
        .expect("sign")
        .0;

    // A catalog of 50 variants, 20 locations, the terminals.
    let group = gql(&client, &url, &owner, "mutation { createTaxGroup(input: { name: \"VAT\", rates: [{ name: \"VAT\", percent: \"21\" }] }) { taxGroup { id } } }", json!({})).await;
    let group = group["data"]["createTaxGroup"]["taxGroup"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut variants = Vec::new();
    for i in 0..50 {
        let price = 100 + i * 37;
        let body = gql(&client, &url, &owner, "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { variants { edges { node { id } } } } } }",
            json!({ "input": { "name": format!("Item {i}"), "variants": [{ "sku": format!("SKU{i}"), "name": "std", "basePrice": price.to_string(), "taxGroupId": group }] } })).await;
        variants.push((
            body["data"]["createProduct"]["product"]["variants"]["edges"][0]["node"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
            price,
        ));
    }
    let mut devices = Vec::new();
    for l in 0..20 {
        let body = gql(&client, &url, &owner, "mutation($input: CreateLocationInput!) { createLocation(input: $input) { id } }",
            json!({ "input": { "code": format!("L{l}"), "name": format!("Shop {l}"), "address": { "line1": "1 Main St", "city": "Amsterdam", "country": "NL" }, "timeZone": "Europe/Amsterdam", "currency": "EUR" } })).await;
        let location = body["data"]["createLocation"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        for t in 0..terminals / 20 {
            let body = gql(&client, &url, &owner, "mutation($input: CreateTerminalInput!) { createTerminal(input: $input) { id } }",
                json!({ "input": { "locationId": location, "code": format!("T{t}"), "name": format!("Till {t}") } })).await;
            let terminal = body["data"]["createTerminal"]["id"]
                .as_str()
                .unwrap()
                .to_owned();
            let token = state
                .keys
                .sign(
                    tenant,
                    &format!("terminal:{terminal}"),
                    vec![],
                    Some((terminal.parse().unwrap(), location.parse().unwrap())),
                    Duration::from_secs(3600),
                )
                .expect("sign")
                .0;
            devices.push((terminal, token));
        }
    }
    let terminals = devices.len();

    // The same sales for both runs.
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let plan: Vec<Vec<Sale>> = (0..terminals)
        .map(|_| {
            (0..batch * batches)
                .map(|_| Sale {
                    id: Uuid::new_v4(),
                    lines: (0..3 + rng.below(6))
                        .map(|_| (rng.below(50) as usize, 1 + rng.below(3) as i64))
                        .collect(),
                    card: rng.below(2) == 0,
                })
                .collect()
        })
        .collect();
    let events = terminals * batch * batches;
    println!(
        "syncPush benchmark on {backend}: {terminals} terminals x {batches} batch(es) of {batch} sales = {events} events, {clients} concurrent clients"
    );
    if mask != 0 {
        println!("(not a valid ledger: pushes leave {skipped} unwritten)");
    }

    // syncPush over HTTP.
    let gate = Arc::new(Semaphore::new(clients));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for ((terminal, token), sales) in devices.iter().zip(&plan) {
        for (b, chunk) in sales.chunks(batch).enumerate() {
            let events: Vec<Value> = chunk
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let mut tenders = vec![json!({ "method": "CASH", "amount": "1000000" })];
                    if s.card {
                        tenders.insert(0, json!({ "method": "CARD", "amount": "100", "cardBrand": "VISA", "cardLast4": "4242", "authReference": "A1" }));
                    }
                    json!({
                        "terminalId": terminal,
                        "sequence": b * batch + i + 1,
                        "type": "SALE",
                        "createdAt": Utc::now().to_rfc3339(),
                        "payload": { "sale": {
                            "saleId": s.id.to_string(),
                            "lines": s.lines.iter().map(|(v, q)| json!({ "variantId": variants[*v].0, "quantity": q.to_string(), "unitPrice": variants[*v].1.to_string() })).collect::<Vec<_>>(),
                            "tenders": tenders,
                        } },
                    })
                })
                .collect();
            let (client, url, token, gate) =
                (client.clone(), url.clone(), token.clone(), gate.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = gate.acquire().await.expect("gate");
                let began = Instant::now();
                let mut retries = 0;
                // A terminal retries a busy server (UNAVAILABLE) after a pause.
                let body: Value = loop {
                    let body: Value = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({ "query": "mutation($e: [SalesEventInput!]!) { syncPush(events: $e) { appliedThrough results { status originalStatus } } }", "variables": { "e": events } }))
                        .send()
                        .await
                        .expect("push")
                        .json()
                        .await
                        .expect("json");
                    if body["errors"][0]["extensions"]["code"] == "UNAVAILABLE" {
                        retries += 1;
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                    break body;
                };
                // A retry after an answer lost on the way finds its events
                // applied: DUPLICATE of APPLIED counts as applied.
                let applied = body["data"]["syncPush"]["results"].as_array().map_or(0, |r| {
                    r.iter()
                        .filter(|r| r["status"] == "APPLIED" || r["originalStatus"] == "APPLIED")
                        .count()
                });
                assert!(applied > 0, "{body}");
                (began.elapsed(), applied, retries)
            }));
        }
    }
    let mut latencies = Vec::new();
    let mut applied = 0;
    let mut retries = 0;
    for task in tasks {
        let (latency, n, r) = task.await.expect("task");
        latencies.push(latency);
        applied += n;
        retries += r;
    }
    let push_time = started.elapsed();
    latencies.sort();
    assert_eq!(applied, events, "every event applied once");

    // Baseline: the same sale, line and tender rows, plain batched inserts.
    let db = state.db.clone();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for ((terminal, _), sales) in devices.iter().zip(&plan) {
        for (b, chunk) in sales.chunks(batch).enumerate() {
            let terminal: Uuid = terminal.parse().unwrap();
            let rows: Vec<(
                sale::ActiveModel,
                Vec<sale_line::ActiveModel>,
                Vec<tender::ActiveModel>,
            )> = chunk
                .iter()
                .enumerate()
                .map(|(i, s)| baseline_rows(s, terminal, -((b * batch + i + 1) as i64), &variants))
                .collect();
            let (db, gate) = (db.clone(), gate.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = gate.acquire().await.expect("gate");
                let began = Instant::now();
                // Like a push, wait out a busy pool instead of failing.
                let tx = loop {
                    match db.operator().write_for_tenant(tenant).await {
                        Ok(tx) => break tx,
                        Err(pos::error::AppError::Unavailable(_)) => {
                            tokio::time::sleep(Duration::from_millis(50)).await
                        }
                        Err(e) => panic!("tx: {e:?}"),
                    }
                };
                let mut heads = Vec::new();
                let mut lines = Vec::new();
                let mut tenders = Vec::new();
                for (h, l, t) in rows {
                    heads.push(h);
                    lines.extend(l);
                    tenders.extend(t);
                }
                tx.insert_many(heads).await.expect("sales");
                // SQLite binds at most 32766 parameters per statement.
                for chunk in lines.chunks(50) {
                    tx.insert_many(chunk.to_vec()).await.expect("lines");
                }
                tx.insert_many(tenders).await.expect("tenders");
                tx.commit().await.expect("commit");
                began.elapsed()
            }));
        }
    }
    let mut base_latencies = Vec::new();
    for task in tasks {
        base_latencies.push(task.await.expect("task"));
    }
    let base_time = started.elapsed();
    base_latencies.sort();

    let eps = events as f64 / push_time.as_secs_f64();
    let base_eps = events as f64 / base_time.as_secs_f64();
    println!(
        "syncPush:  {eps:>9.0} events/s  p50 {:>7.1} ms  p99 {:>7.1} ms per batch ({retries} busy answers retried)",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99))
    );
    println!(
        "plain SQL: {base_eps:>9.0} events/s  p50 {:>7.1} ms  p99 {:>7.1} ms per batch",
        ms(percentile(&base_latencies, 0.5)),
        ms(percentile(&base_latencies, 0.99))
    );
    println!(
        "ratio:     syncPush runs at {:.1}% of plain batched SQL",
        100.0 * eps / base_eps
    );
    server.abort();
    if postgres {
        drop(state);
        drop(db);
        let admin = Database::connect("postgres://postgres@127.0.0.1:5432/test")
            .await
            .expect("postgres");
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .expect("drop the benchmark database");
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn baseline_rows(
    s: &Sale,
    terminal: Uuid,
    position: i64,
    variants: &[(String, i64)],
) -> (
    sale::ActiveModel,
    Vec<sale_line::ActiveModel>,
    Vec<tender::ActiveModel>,
) {
    let id = Uuid::new_v4();
    let now = Utc::now();
    let lines: Vec<sale_line::ActiveModel> = s
        .lines
        .iter()
        .enumerate()
        .map(|(i, (v, q))| {
            let amount = variants[*v].1 * q;
            sale_line::ActiveModel {
                sale_id: Set(id),
                line_no: Set(i as i32 + 1),
                variant_id: Set(variants[*v].0.parse().unwrap()),
                product_id: Set(Uuid::nil()),
                tax_group_id: Set(Uuid::nil()),
                sku: Set(format!("SKU{v}")),
                name: Set("item".into()),
                barcode: Set(None),
                unit: Set("EACH".into()),
                quantity_milli: Set(q * 1000),
                list_price: Set(variants[*v].1),
                unit_price: Set(variants[*v].1),
                rule_ids: Set("[]".into()),
                list_amount: Set(amount),
                discount: Set(0),
                amount: Set(amount),
                net: Set(amount),
                tax: Set(0),
                gross: Set(amount),
                ..Default::default()
            }
        })
        .collect();
    let total: i64 = s.lines.iter().map(|(v, q)| variants[*v].1 * q).sum();
    let tenders = vec![tender::ActiveModel {
        record_id: Set(id),
        position: Set(0),
        method: Set("CASH".into()),
        amount: Set(total),
        change: Set(0),
        card_brand: Set(None),
        card_last4: Set(None),
        auth_reference: Set(None),
        reference: Set(None),
        ..Default::default()
    }];
    let head = sale::ActiveModel {
        id: Set(id),
        terminal_id: Set(terminal),
        location_id: Set(Uuid::nil()),
        cashier: Set("bench".into()),
        sequence: Set(0),
        // Apart from the pushed sales' positions (1, 2, …).
        position: Set(position),
        receipt_number: Set(String::new()),
        currency: Set("EUR".into()),
        created_at: Set(now),
        received_at: Set(now),
        business_date: Set(now.date_naive()),
        prices_include_tax: Set(false),
        rounding_mode: Set("HALF_EVEN".into()),
        rounding_level: Set("LINE".into()),
        list_total: Set(total),
        discount_total: Set(0),
        net_total: Set(total),
        tax_total: Set(0),
        total: Set(total),
        tendered: Set(total),
        change: Set(0),
        terminal_total: Set(None),
        terminal_tax: Set(None),
        ..Default::default()
    };
    (head, lines, tenders)
}

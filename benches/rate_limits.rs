//! The rate-limit benchmark: one tenant floods at 10× its limit while
//! another tenant scans barcodes at a steady pace; the quiet tenant's p99
//! latency is compared with its p99 in other phases of the same run.
//!
//! `cargo bench --bench rate_limits` (SQLite, in-process servers over
//! TCP). The noisy tenant pulls its catalog (`catalogChanges`, 100
//! variants a page: a few milliseconds of work each). Knobs: BENCH_LIMIT
//! (tenant limit, requests/s, 50), BENCH_QUIET_RPS (40), BENCH_SECS (per
//! phase, 5), BENCH_ROUNDS (4). Each round runs four phases on the same
//! database: the quiet tenant alone; with the noisy tenant at its limit;
//! with the noisy tenant at 10× its limit on a server that limits; the
//! same flood on a server without limits; and the noisy tenant at its
//! limit plus the flood's excess as requests refused at the cheapest point
//! (a malformed token), the cost of the traffic itself on this machine.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pos::auth::Role;
use pos::config::Config;
use pos::startup::{AppState, Application};
use serde_json::{Value, json};

#[path = "support/mod.rs"]
mod support;

use support::{env, percentile};

const SECRET: &str = "bench-secret-that-is-at-least-32-bytes-long";
const SCAN: &str = "query($b: String!, $l: ID) { productByBarcode(barcode: $b, locationId: $l) { unitPrice { amount } } }";

fn main() {
    support::block_on(run());
}

struct Caller {
    token: String,
    query: &'static str,
    vars: Value,
}

const PULL: &str = "query($l: ID) { catalogChanges(first: 100, locationId: $l) { changes { version variant { id sku name basePrice barcodes { code } } } } }";

async fn post(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    query: &str,
    vars: &Value,
) -> (u16, Value) {
    let response = client
        .post(url)
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": vars }))
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A tenant with `products` scannable products at one location, and its
/// owner scanning the first (or pulling the catalog, with `pull`).
async fn shop(
    client: &reqwest::Client,
    url: &str,
    (state, config): (&AppState, &Config),
    name: &str,
    products: usize,
    pull: bool,
) -> Caller {
    let tenant = pos::cli::create_tenant(config, name, "EUR")
        .await
        .expect("tenant");
    let token = state
        .keys
        .sign(
            tenant,
            "bench",
            vec![Role::Owner],
            None,
            Duration::from_secs(3600),
        )
        .expect("sign")
        .0;
    let ok = |body: Value| {
        assert!(body.get("errors").is_none(), "{body}");
        body
    };
    let (_, tax) = post(client, url, &token, "mutation { createTaxGroup(input: { name: \"VAT\", rates: [{ name: \"VAT\", percent: \"21\" }] }) { taxGroup { id } } }", &json!({})).await;
    let tax = ok(tax)["data"]["createTaxGroup"]["taxGroup"]["id"].clone();
    let (_, loc) = post(client, url, &token, "mutation($i: CreateLocationInput!) { createLocation(input: $i) { id } }",
        &json!({ "i": { "code": "S1", "name": "Shop", "address": { "line1": "1 Main St", "city": "Utrecht", "country": "NL" }, "timeZone": "Europe/Amsterdam", "currency": "EUR" } })).await;
    let location = ok(loc)["data"]["createLocation"]["id"].clone();
    for n in 0..products {
        let code = ean13(4_000_000_000 + n as u64);
        let (_, product) = post(client, url, &token, "mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id } } }",
            &json!({ "i": { "name": format!("Item {n}"), "variants": [{ "sku": format!("SKU{n}"), "name": "std", "basePrice": "250",
                     "taxGroupId": tax, "barcodes": [{ "kind": "EAN_13", "code": code }] }] } })).await;
        ok(product);
    }
    Caller {
        token,
        query: if pull { PULL } else { SCAN },
        vars: json!({ "b": ean13(4_000_000_000), "l": location }),
    }
}

/// A 13-digit EAN with its check digit.
fn ean13(body: u64) -> String {
    let digits = format!("{body:012}");
    let payload: Vec<u8> = digits.bytes().map(|b| b - b'0').collect();
    format!("{digits}{}", pos::catalog::barcode::check_digit(&payload))
}

/// Sends `rps` requests per second for `secs`, each on its own task, and
/// gives the latencies of those answered 200 and the count of 429s.
async fn pace(
    client: &reqwest::Client,
    url: &str,
    caller: &Caller,
    rps: u64,
    secs: u64,
    latencies: bool,
) -> (Vec<Duration>, u64) {
    let refused = Arc::new(AtomicU64::new(0));
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rps as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::new();
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        tick.tick().await;
        let query = caller.query;
        let (client, url, token, vars) = (
            client.clone(),
            url.to_owned(),
            caller.token.clone(),
            caller.vars.clone(),
        );
        let refused = refused.clone();
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let (status, body) = post(&client, &url, &token, query, &vars).await;
            match status {
                200 => {
                    assert!(body.get("errors").is_none(), "{body}");
                    Some(started.elapsed())
                }
                401 | 429 => {
                    refused.fetch_add(1, Ordering::Relaxed);
                    None
                }
                other => panic!("HTTP {other}: {body}"),
            }
        }));
    }
    let mut took = Vec::new();
    for task in tasks {
        if let Some(t) = task.await.expect("task") {
            took.push(t);
        }
    }
    if !latencies {
        took.clear();
    }
    (took, refused.load(Ordering::Relaxed))
}

async fn server(config: &Config) -> (AppState, String) {
    let app = Application::build(config.clone()).await.expect("app");
    let state = app.state().clone();
    let url = format!("http://127.0.0.1:{}/graphql", app.port());
    tokio::spawn(app.run_until_stopped());
    (state, url)
}

async fn run() {
    let limit = env("BENCH_LIMIT", 50);
    let quiet_rps = env("BENCH_QUIET_RPS", 40);
    let secs = env("BENCH_SECS", 5);
    let rounds = env("BENCH_ROUNDS", 4);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/bench.db?mode=rwc", dir.path().display());
    let flags = |tenant_rps: u64| {
        let (rps, burst) = (tenant_rps.to_string(), tenant_rps.to_string());
        Config::from_env_and([
            "--database-url",
            &url,
            "--migrate-database-url",
            &url,
            "--listen",
            "127.0.0.1:0",
            "--jwt-secret",
            SECRET,
            "--rate-limit-tenant-rps",
            &rps,
            "--rate-limit-tenant-burst",
            &burst,
        ])
        .expect("config")
    };
    let (limited_config, open_config) = (flags(limit), flags(0));
    let (limited_state, limited) = server(&limited_config).await;
    let (_, open) = server(&open_config).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .expect("client");
    let target = (&limited_state, &limited_config);
    // Seeded through the server without limits.
    let noisy = shop(&client, &open, target, "Noisy", 100, true).await;
    let quiet = shop(&client, &open, target, "Quiet", 1, false).await;
    // Warm both servers' caches and connections.
    for url in [&limited, &open] {
        pace(&client, url, &quiet, quiet_rps, 1, false).await;
        pace(&client, url, &noisy, limit, 1, false).await;
    }

    let flood = limit * 10;
    // The floor: as many extra requests as the flood's excess, refused at
    // the cheapest point there is (a malformed token, 401), beside the
    // noisy tenant at its limit. Client and server share the 2 cores, so
    // this is what any 450 requests a second cost here.
    let junk = Caller {
        token: "junk".into(),
        query: PULL,
        vars: noisy.vars.clone(),
    };
    let mut phases: [Vec<Duration>; 5] = Default::default();
    let (mut refused, mut sent) = (0, 0);
    for round in 1..=rounds {
        phases[0].extend(
            pace(&client, &limited, &quiet, quiet_rps, secs, true)
                .await
                .0,
        );
        for (phase, url, rate) in [
            (1, &limited, limit),
            (2, &limited, flood),
            (3, &open, flood),
        ] {
            let (quiet_run, noisy_run) = tokio::join!(
                pace(&client, url, &quiet, quiet_rps, secs, true),
                pace(&client, url, &noisy, rate, secs, false),
            );
            phases[phase].extend(quiet_run.0);
            if phase == 2 {
                refused += noisy_run.1;
                sent += rate * secs;
            }
        }
        let (quiet_run, _, _) = tokio::join!(
            pace(&client, &limited, &quiet, quiet_rps, secs, true),
            pace(&client, &limited, &noisy, limit, secs, false),
            pace(&client, &limited, &junk, flood - limit, secs, false),
        );
        phases[4].extend(quiet_run.0);
        eprintln!("round {round}/{rounds} done");
    }
    let [alone, at_limit, limited_flood, open_flood, floor] = phases;
    let report = |name: &str, mut v: Vec<Duration>, base: &[(&str, Duration)]| {
        v.sort();
        let p99 = percentile(&v, 0.99);
        let ratios: Vec<String> = base
            .iter()
            .map(|(what, b)| format!("{:.2}× {what}", p99.as_secs_f64() / b.as_secs_f64()))
            .collect();
        println!(
            "{name:<44} {:>5} requests  p50 {:>6.2} ms  p99 {:>6.2} ms  {}",
            v.len(),
            percentile(&v, 0.5).as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            ratios.join(", "),
        );
        p99
    };
    println!(
        "tenant limit {limit}/s; quiet tenant scanning at {quiet_rps}/s; noisy tenant pulling its catalog; {rounds} rounds of {secs} s per phase (SQLite)"
    );
    let alone = report("quiet tenant alone", alone, &[]);
    let at = report("noisy at its limit", at_limit, &[("alone", alone)]);
    let floor = report(
        "noisy at its limit + 401 junk at the excess rate",
        floor,
        &[("alone", alone), ("noisy at its limit", at)],
    );
    report(
        "noisy at 10× its limit, server limits",
        limited_flood,
        &[
            ("alone", alone),
            ("noisy at its limit", at),
            ("401 junk", floor),
        ],
    );
    report(
        "noisy at 10× its limit, no limits",
        open_flood,
        &[("alone", alone), ("noisy at its limit", at)],
    );
    println!(
        "flood: {sent} requests at 10× the limit, {refused} refused with 429 ({:.1}%)",
        refused as f64 * 100.0 / sent.max(1) as f64
    );
}

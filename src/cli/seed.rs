//! `pos seed`: a tenant with a year of realistic trade, for demos and the
//! report benchmark.
//!
//! Everything goes through the public API, in process: the catalog, the
//! locations and terminals through GraphQL mutations, and the sales,
//! refunds and voids through `syncPush`, in batches of 500, as terminals
//! send them. So the seeded ledger is exactly what terminals would have
//! produced: receipt chains, Z-reports and report rollups included, and
//! `reconcile` finds nothing to change.
//!
//! The shape: locations in four time zones with tax-inclusive prices,
//! terminals spread evenly, products with four variants each and a
//! long-tailed popularity, trade between 08:00 and 22:00 local time with
//! busier weekends, baskets of 2–12 lines, about 2 % of sales partly
//! refunded days later and 0.5 % voided a minute after.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use chrono::{Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};
use serde_json::{Value, json};
use uuid::Uuid;

mod setup;

use self::setup::{Till, catalog, shops};
use super::SeedArgs;
use crate::auth::{Role, Session};
use crate::config::Config;
use crate::startup::AppState;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

const ZONES: [&str; 4] = [
    "Europe/Amsterdam",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
];
const BATCH: usize = 500;

/// What a seed made, and how long it took.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub tenant: Uuid,
    pub sales: u64,
    pub lines: u64,
    pub refunds: u64,
    pub voids: u64,
    pub events: u64,
    /// Seconds spent pushing events (the catalog setup excluded).
    pub push_seconds: f64,
    pub total_seconds: f64,
}

/// A deterministic generator, so the same seed gives the same trade.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn uuid(&mut self) -> Uuid {
        Uuid::from_u64_pair(self.next(), self.next())
    }
}

/// Runs one operation as `session`. Like a terminal, it retries what the
/// server answers `UNAVAILABLE` (busy), after a pause; pushes are safe to
/// repeat, since events are deduplicated by sequence.
async fn gql(
    state: &AppState,
    session: &Session,
    query: &str,
    variables: Value,
) -> Result<Value, BoxError> {
    let mut pause = std::time::Duration::from_millis(50);
    for _ in 0..12 {
        let mut request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables.clone()));
        crate::graphql::prepare(&mut request, &state.db, Some(session));
        let response = state.schema.execute(request).await;
        let Some(e) = response.errors.first() else {
            return Ok(response.data.into_json()?);
        };
        let busy = e
            .extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .is_some_and(|c| *c == async_graphql::Value::from("UNAVAILABLE"));
        if !busy {
            return Err(format!("seed: {}", e.message).into());
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(std::time::Duration::from_secs(2));
    }
    Err("seed: the server stayed busy".into())
}

fn id_at(value: &Value, path: &[&str]) -> Result<String, BoxError> {
    let mut v = value;
    for p in path {
        v = &v[*p];
    }
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("seed: no {} in {value}", path.join(".")).into())
}

#[derive(Default)]
struct Counts {
    sales: AtomicU64,
    lines: AtomicU64,
    refunds: AtomicU64,
    voids: AtomicU64,
    events: AtomicU64,
}

/// A sale a later refund may return one unit of its first line.
struct Recent {
    sale: Uuid,
    unit_price: i64,
}

/// One terminal's year, pushed in order in batches.
///
/// Long on purpose: a benchmark's data generator. One terminal's day
/// loop, with its refunds, voids and closing, reads best in one piece,
/// and no server path runs it.
#[allow(clippy::too_many_arguments)]
async fn trade(
    state: &AppState,
    till: &Till,
    variants: &[(String, i64)],
    sales_per_day: f64,
    first_day: NaiveDate,
    days: u32,
    mut rng: Rng,
    counts: &Counts,
) -> Result<(), BoxError> {
    let terminal = till
        .session
        .terminal
        .ok_or("seed: no terminal")?
        .to_string();
    let mut events: Vec<Value> = Vec::with_capacity(BATCH);
    let mut sequence = 0i64;
    let mut recent: VecDeque<Recent> = VecDeque::new();
    let n = variants.len() as f64;
    for d in 0..days {
        let day = first_day + Duration::days(i64::from(d));
        let factor = match day.weekday() {
            Weekday::Sat => 1.4,
            Weekday::Sun => 0.7,
            Weekday::Fri => 1.2,
            _ => 1.0,
        };
        let count = (sales_per_day * factor * (0.8 + 0.4 * rng.unit())).round() as u64;
        let mut minutes: Vec<u32> = (0..count)
            .map(|_| {
                // Two peaks, around noon and 17:00, within 08:00–22:00.
                let peak = if rng.below(2) == 0 { 12.0 } else { 17.0 };
                let h =
                    (peak + (rng.unit() + rng.unit() + rng.unit() - 1.5) * 4.0).clamp(8.0, 21.98);
                (h * 60.0) as u32
            })
            .collect();
        minutes.sort_unstable();
        for m in minutes {
            let local = day
                .and_hms_opt(m / 60, m % 60, rng.below(60) as u32)
                .unwrap_or_default();
            let Some(at) = till.zone.from_local_datetime(&local).earliest() else {
                continue;
            };
            let at = at.with_timezone(&Utc);
            let lines = 2 + rng.below(11) as usize;
            let mut total = 0i64;
            let mut body = Vec::with_capacity(lines);
            let mut first_price = 0;
            for i in 0..lines {
                // Long-tailed popularity: a few variants sell most.
                let v = ((n.powf(rng.unit()) - 1.0) as usize).min(variants.len() - 1);
                let q = 1 + rng.below(3) as i64 * i64::from(rng.below(3) == 0);
                let (id, price) = &variants[v];
                if i == 0 {
                    first_price = *price;
                }
                total += price * q;
                body.push(json!({ "variantId": id, "quantity": q.to_string() }));
            }
            let tender = if rng.below(3) == 0 {
                json!({ "method": "CASH", "amount": (total.div_euclid(500) + 1) * 500 })
            } else {
                json!({ "method": "CARD", "amount": total, "cardBrand": "VISA", "cardLast4": "4242" })
            };
            let sale = rng.uuid();
            sequence += 1;
            events.push(event(
                &terminal,
                sequence,
                "SALE",
                at,
                json!({ "saleId": sale, "lines": body, "tenders": [tender] }),
            ));
            counts.sales.fetch_add(1, Ordering::Relaxed);
            counts.lines.fetch_add(lines as u64, Ordering::Relaxed);
            if rng.below(200) == 0 {
                sequence += 1;
                events.push(event(
                    &terminal,
                    sequence,
                    "VOID",
                    at + Duration::minutes(1),
                    json!({ "voidId": rng.uuid(), "saleId": sale }),
                ));
                counts.voids.fetch_add(1, Ordering::Relaxed);
            } else {
                recent.push_back(Recent {
                    sale,
                    unit_price: first_price,
                });
                if recent.len() > 300 {
                    recent.pop_front();
                }
            }
            if rng.below(50) == 0 && recent.len() > 100 {
                let r = recent
                    .remove(rng.below(100) as usize)
                    .ok_or("seed: recent")?;
                sequence += 1;
                events.push(event(
                    &terminal,
                    sequence,
                    "REFUND",
                    at + Duration::seconds(30),
                    json!({
                        "refundId": rng.uuid(), "saleId": r.sale, "reason": "customer return",
                        "lines": [{ "saleLineNo": 1, "quantity": "1" }],
                        "tenders": [{ "method": "CASH", "amount": r.unit_price }],
                    }),
                ));
                counts.refunds.fetch_add(1, Ordering::Relaxed);
            }
            // A sale brings at most three events (with its void and a refund).
            if events.len() + 3 > BATCH {
                push(state, till, std::mem::take(&mut events), counts).await?;
            }
        }
    }
    if !events.is_empty() {
        push(state, till, events, counts).await?;
    }
    Ok(())
}

fn event(
    terminal: &str,
    sequence: i64,
    kind: &str,
    at: chrono::DateTime<Utc>,
    payload: Value,
) -> Value {
    json!({
        "terminalId": terminal,
        "sequence": sequence,
        "type": kind,
        "payload": { kind.to_lowercase(): payload },
        "createdAt": at.to_rfc3339(),
    })
}

async fn push(
    state: &AppState,
    till: &Till,
    events: Vec<Value>,
    counts: &Counts,
) -> Result<(), BoxError> {
    let n = events.len() as u64;
    let body = gql(
        state,
        &till.session,
        "mutation($events: [SalesEventInput!]!) { syncPush(events: $events) { results { sequence status code message } } }",
        json!({ "events": events }),
    )
    .await?;
    for r in body["syncPush"]["results"]
        .as_array()
        .ok_or("seed: no push results")?
    {
        if r["status"] != "APPLIED" {
            return Err(format!("seed: event not applied: {r}").into());
        }
    }
    counts.events.fetch_add(n, Ordering::Relaxed);
    Ok(())
}

/// Seeds a new tenant as `args` describe.
pub async fn seed(config: &Config, args: &SeedArgs) -> Result<Seeded, BoxError> {
    let started = Instant::now();
    let tenant = super::create_tenant(config, &args.name, "EUR").await?;
    let state = Arc::new(AppState::new(config.clone()).await?);
    let owner = Session {
        tenant,
        subject: "cli:seed".into(),
        roles: vec![Role::Owner],
        terminal: None,
        location: None,
    };
    let mut rng = Rng(args.seed | 1);
    let variants = Arc::new(catalog(&state, &owner, args.variants, &mut rng).await?);
    let tills = shops(&state, &owner, args.locations, args.terminals).await?;
    let last = args
        .end
        .unwrap_or_else(|| Utc::now().date_naive() - Duration::days(1));
    let first = last - Duration::days(i64::from(args.days) - 1);
    // About 7 lines a sale, spread over terminals and days.
    let sales_per_day = args.lines as f64 / 7.0 / args.terminals as f64 / f64::from(args.days);

    let pushing = Instant::now();
    let counts = Arc::new(Counts::default());
    let queue = Arc::new(std::sync::Mutex::new(
        tills.into_iter().enumerate().collect::<Vec<_>>(),
    ));
    let mut workers = Vec::new();
    for _ in 0..args.workers.max(1) {
        let (state, variants, counts, queue) = (
            state.clone(),
            variants.clone(),
            counts.clone(),
            queue.clone(),
        );
        let base = args.seed;
        let days = args.days;
        workers.push(tokio::spawn(async move {
            loop {
                let next = queue.lock().map_err(|_| "seed: queue")?.pop();
                let Some((i, till)) = next else {
                    return Ok::<(), BoxError>(());
                };
                let rng = Rng((base ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1);
                trade(
                    &state,
                    &till,
                    &variants,
                    sales_per_day,
                    first,
                    days,
                    rng,
                    &counts,
                )
                .await?;
                tracing::info!(
                    terminal = i,
                    events = counts.events.load(Ordering::Relaxed),
                    "seed: terminal done"
                );
            }
        }));
    }
    for w in workers {
        w.await??;
    }
    let push_seconds = pushing.elapsed().as_secs_f64();
    Ok(Seeded {
        tenant,
        sales: counts.sales.load(Ordering::Relaxed),
        lines: counts.lines.load(Ordering::Relaxed),
        refunds: counts.refunds.load(Ordering::Relaxed),
        voids: counts.voids.load(Ordering::Relaxed),
        events: counts.events.load(Ordering::Relaxed),
        push_seconds,
        total_seconds: started.elapsed().as_secs_f64(),
    })
}

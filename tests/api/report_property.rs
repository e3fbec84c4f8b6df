//! Property: for random ledgers (sales, partial refunds from any terminal,
//! voids) at four locations in different time zones, around the year's
//! DST changes, every report cell equals the figure this test computes
//! itself from the ledger rows, with its own time-zone arithmetic.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{CREATE_LOCATION, TestApp, location_input};
use crate::sync::PUSH;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn uuid(&mut self) -> Uuid {
        Uuid::from_u64_pair(self.next(), self.next())
    }
}

const ZONES: [&str; 4] = [
    "America/New_York",
    "Europe/Berlin",
    // DST of 30 minutes.
    "Australia/Lord_Howe",
    // UTC+05:45, no DST.
    "Asia/Kathmandu",
];

/// The instants clocks changed in 2026 in those zones.
const CHANGES: [&str; 6] = [
    "2026-03-08T07:00:00Z",
    "2026-03-29T01:00:00Z",
    "2026-04-04T15:00:00Z",
    "2026-10-03T15:30:00Z",
    "2026-10-25T01:00:00Z",
    "2026-11-01T06:00:00Z",
];

struct Till {
    id: String,
    device: String,
    zone: Tz,
    events: Vec<Value>,
}

struct Sold {
    id: Uuid,
    till: usize,
    at: DateTime<Utc>,
    /// (variant, quantity) per line.
    lines: Vec<(usize, u32)>,
    refunded: Vec<u32>,
    voided: bool,
}

fn at_text(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn push_event(till: &mut Till, kind: &str, at: DateTime<Utc>, payload: Value) {
    let sequence = till.events.len() + 1;
    till.events.push(json!({
        "terminalId": till.id,
        "sequence": sequence,
        "type": kind,
        "payload": { kind.to_lowercase(): payload },
        "createdAt": at_text(at),
    }));
}

/// Random events in time order: sales of 1–3 lines; refunds of part of a
/// line, from any terminal; voids by the selling terminal on the sale's
/// local day.
fn plan(rng: &mut Rng, tills: &mut [Till], variants: &[(String, i64)]) {
    let mut instants: Vec<DateTime<Utc>> = (0..40)
        .map(|_| {
            let change: DateTime<Utc> = CHANGES[rng.below(CHANGES.len())].parse().unwrap();
            change + Duration::minutes(rng.below(4 * 24 * 60) as i64 - 2 * 24 * 60)
        })
        .collect();
    instants.sort();
    let mut sold: Vec<Sold> = Vec::new();
    for at in instants {
        let t = rng.below(tills.len());
        match rng.below(10) {
            0..=5 => {
                let lines: Vec<(usize, u32)> = (0..1 + rng.below(3))
                    .map(|_| (rng.below(variants.len()), 1 + rng.below(3) as u32))
                    .collect();
                let id = rng.uuid();
                // Card pays exactly; cash may give change.
                let total: i64 = lines
                    .iter()
                    .map(|(v, q)| variants[*v].1 * i64::from(*q))
                    .sum();
                let tender = if rng.below(2) == 0 {
                    json!({ "method": "CASH", "amount": "100000" })
                } else {
                    json!({ "method": "CARD", "amount": total.to_string() })
                };
                push_event(
                    &mut tills[t],
                    "SALE",
                    at,
                    json!({
                        "saleId": id.to_string(),
                        "lines": lines.iter().map(|(v, q)| json!({ "variantId": variants[*v].0, "quantity": q.to_string() })).collect::<Vec<_>>(),
                        "tenders": [tender],
                    }),
                );
                // Some sales are voided a minute later, on the same day.
                let zone = tills[t].zone;
                let later = at + Duration::minutes(1);
                let voided = rng.below(3) == 0
                    && later.with_timezone(&zone).date_naive()
                        == at.with_timezone(&zone).date_naive();
                if voided {
                    push_event(
                        &mut tills[t],
                        "VOID",
                        later,
                        json!({ "voidId": rng.uuid().to_string(), "saleId": id.to_string() }),
                    );
                }
                sold.push(Sold {
                    id,
                    till: t,
                    at,
                    refunded: vec![0; lines.len()],
                    lines,
                    voided,
                });
            }
            6..=8 => {
                let open: Vec<usize> = (0..sold.len())
                    .filter(|i| {
                        let s = &sold[*i];
                        !s.voided && s.lines.iter().zip(&s.refunded).any(|((_, q), r)| q > r)
                    })
                    .collect();
                if open.is_empty() {
                    continue;
                }
                let s = &mut sold[open[rng.below(open.len())]];
                let line = (0..s.lines.len())
                    .find(|i| s.lines[*i].1 > s.refunded[*i])
                    .unwrap();
                s.refunded[line] += 1;
                let unit_gross = variants[s.lines[line].0].1;
                push_event(
                    &mut tills[t],
                    "REFUND",
                    at,
                    json!({
                        "refundId": rng.uuid().to_string(), "saleId": s.id.to_string(),
                        "lines": [{ "saleLineNo": line + 1, "quantity": "1" }],
                        "tenders": [{ "method": "CASH", "amount": unit_gross.to_string() }],
                    }),
                );
            }
            _ => {
                let zone = tills[t].zone;
                let day = |at: DateTime<Utc>| at.with_timezone(&zone).date_naive();
                let own: Vec<usize> = (0..sold.len())
                    .filter(|i| {
                        let s = &sold[*i];
                        s.till == t
                            && !s.voided
                            && s.refunded.iter().all(|r| *r == 0)
                            && day(s.at) == day(at)
                    })
                    .collect();
                if own.is_empty() {
                    continue;
                }
                let s = &mut sold[own[rng.below(own.len())]];
                s.voided = true;
                push_event(
                    &mut tills[t],
                    "VOID",
                    at,
                    json!({ "voidId": rng.uuid().to_string(), "saleId": s.id.to_string() }),
                );
            }
        }
    }
}

/// A report cell's figures, as this test reckons them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Fig {
    gross: i64,
    discounts: i64,
    net: i64,
    tax: i64,
    total: i64,
    refunds: i64,
    voids: i64,
    void_count: i64,
    transactions: i64,
    refund_count: i64,
    items_milli: i64,
    refunded_milli: i64,
}

fn add(m: &mut Fig, f: &Fig) {
    m.gross += f.gross;
    m.discounts += f.discounts;
    m.net += f.net;
    m.tax += f.tax;
    m.total += f.total;
    m.refunds += f.refunds;
    m.voids += f.voids;
    m.void_count += f.void_count;
    m.transactions += f.transactions;
    m.refund_count += f.refund_count;
    m.items_milli += f.items_milli;
    m.refunded_milli += f.refunded_milli;
}

fn n(v: &Value) -> i64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an amount: {v}"))
}

fn milli(v: &Value) -> i64 {
    let s = v.as_str().unwrap_or_else(|| panic!("not a quantity: {v}"));
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    whole.parse::<i64>().unwrap() * 1000 + format!("{frac:0<3}")[..3].parse::<i64>().unwrap()
}

/// Every sale of the tenant, with lines, refunds and void.
async fn ledger(app: &TestApp, owner: &str) -> Vec<Value> {
    let mut sales = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let body = app
            .gql(
                owner,
                "query($after: String) { sales(first: 100, after: $after) { pageInfo { hasNextPage endCursor }
                   edges { node { id createdAt location { id } listTotal discountTotal netTotal taxTotal total
                     lines { variantId quantity listAmount discount net tax gross taxes { name percent amount } }
                     refunds { createdAt location { id } netTotal taxTotal total lines { variantId quantity net tax gross taxes { name percent amount } } }
                     void { id } } } } }",
                json!({ "after": after }),
            )
            .await;
        let page = &body["data"]["sales"];
        assert!(page.is_object(), "{body}");
        sales.extend(
            page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"].clone()),
        );
        if page["pageInfo"]["hasNextPage"] != true {
            return sales;
        }
        after = page["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

type Key = (String, NaiveDate, u32);
type ItemKey = (String, String, NaiveDate);

/// Cells by (location, local day, local hour), and by (variant,
/// location, local day).
fn expected(
    sales: &[Value],
    zones: &BTreeMap<String, Tz>,
) -> (BTreeMap<Key, Fig>, BTreeMap<ItemKey, Fig>) {
    let cell = |loc: &Value, at: &Value| -> Key {
        let loc = loc["id"].as_str().unwrap().to_owned();
        let at: DateTime<Utc> = at.as_str().unwrap().parse().unwrap();
        let local = at.with_timezone(&zones[&loc]);
        (loc, local.date_naive(), local.hour())
    };
    let mut cells: BTreeMap<Key, Fig> = BTreeMap::new();
    let mut items: BTreeMap<ItemKey, Fig> = BTreeMap::new();
    for s in sales {
        let key = cell(&s["location"], &s["createdAt"]);
        let f = cells.entry(key.clone()).or_default();
        let voided = s["void"].is_object();
        let lines = s["lines"].as_array().unwrap();
        if voided {
            f.voids += n(&s["total"]);
            f.void_count += 1;
        } else {
            f.gross += n(&s["listTotal"]);
            f.discounts += n(&s["discountTotal"]);
            f.net += n(&s["netTotal"]);
            f.tax += n(&s["taxTotal"]);
            f.total += n(&s["total"]);
            f.transactions += 1;
            f.items_milli += lines.iter().map(|l| milli(&l["quantity"])).sum::<i64>();
        }
        let mut counted = std::collections::HashSet::new();
        for l in lines {
            let i = items
                .entry((
                    l["variantId"].as_str().unwrap().to_owned(),
                    key.0.clone(),
                    key.1,
                ))
                .or_default();
            if voided {
                i.voids += n(&l["gross"]);
            } else {
                i.gross += n(&l["listAmount"]);
                i.discounts += n(&l["discount"]);
                i.net += n(&l["net"]);
                i.tax += n(&l["tax"]);
                i.total += n(&l["gross"]);
                i.items_milli += milli(&l["quantity"]);
                // A sale counts once per variant it holds.
                i.transactions += i64::from(counted.insert(l["variantId"].clone().to_string()));
            }
        }
        for r in s["refunds"].as_array().unwrap() {
            let key = cell(&r["location"], &r["createdAt"]);
            let f = cells.entry(key.clone()).or_default();
            f.net -= n(&r["netTotal"]);
            f.tax -= n(&r["taxTotal"]);
            f.total -= n(&r["total"]);
            f.refunds += n(&r["total"]);
            f.refund_count += 1;
            for l in r["lines"].as_array().unwrap() {
                f.refunded_milli += milli(&l["quantity"]);
                let i = items
                    .entry((
                        l["variantId"].as_str().unwrap().to_owned(),
                        key.0.clone(),
                        key.1,
                    ))
                    .or_default();
                i.net -= n(&l["net"]);
                i.tax -= n(&l["tax"]);
                i.total -= n(&l["gross"]);
                i.refunds += n(&l["gross"]);
                i.refunded_milli += milli(&l["quantity"]);
            }
        }
    }
    (cells, items)
}

/// Per tax rate (name and percent), location and local day: net taxed,
/// tax, total, refunds and voids.
type TaxKey = (String, String, String, NaiveDate);
type TaxFig = [i64; 5];

fn expected_taxes(sales: &[Value], zones: &BTreeMap<String, Tz>) -> BTreeMap<TaxKey, TaxFig> {
    let day = |loc: &Value, at: &Value| -> (String, NaiveDate) {
        let loc = loc["id"].as_str().unwrap().to_owned();
        let at: DateTime<Utc> = at.as_str().unwrap().parse().unwrap();
        let local = at.with_timezone(&zones[&loc]).date_naive();
        (loc, local)
    };
    let mut out: BTreeMap<TaxKey, TaxFig> = BTreeMap::new();
    let mut put = |(loc, d): &(String, NaiveDate), t: &Value, delta: TaxFig| {
        let key = (
            t["name"].as_str().unwrap().to_owned(),
            t["percent"].as_str().unwrap().to_owned(),
            loc.clone(),
            *d,
        );
        let cell = out.entry(key).or_default();
        for (c, d) in cell.iter_mut().zip(delta) {
            *c += d;
        }
    };
    for s in sales {
        let at = day(&s["location"], &s["createdAt"]);
        let voided = s["void"].is_object();
        for l in s["lines"].as_array().unwrap() {
            let net = n(&l["net"]);
            for t in l["taxes"].as_array().unwrap() {
                let tax = n(&t["amount"]);
                if voided {
                    put(&at, t, [0, 0, 0, 0, net + tax]);
                } else {
                    put(&at, t, [net, tax, net + tax, 0, 0]);
                }
            }
        }
        for r in s["refunds"].as_array().unwrap() {
            let at = day(&r["location"], &r["createdAt"]);
            for l in r["lines"].as_array().unwrap() {
                let net = n(&l["net"]);
                for t in l["taxes"].as_array().unwrap() {
                    let tax = n(&t["amount"]);
                    put(&at, t, [-net, -tax, -(net + tax), net + tax, 0]);
                }
            }
        }
    }
    out
}

/// What the report says, a figure it cannot give (null) read as 0.
fn reported(f: &Value) -> Fig {
    let count = |v: &Value| v.as_i64().unwrap_or(0);
    Fig {
        gross: n(&f["grossSales"]),
        discounts: n(&f["discounts"]),
        net: n(&f["netSales"]),
        tax: n(&f["tax"]),
        total: n(&f["total"]),
        refunds: n(&f["refunds"]),
        voids: n(&f["voids"]),
        void_count: count(&f["voidCount"]),
        transactions: count(&f["transactions"]),
        refund_count: count(&f["refundCount"]),
        items_milli: milli(&f["itemsSold"]),
        refunded_milli: milli(&f["itemsRefunded"]),
    }
}

/// A report's rows by location and the period in `period`.
fn by(report: &Value, period: &str) -> BTreeMap<(String, String), Fig> {
    let mut out = BTreeMap::new();
    for r in report["rows"].as_array().unwrap() {
        let key = (
            r["locationId"].as_str().unwrap().to_owned(),
            r[period].as_str().unwrap().to_owned(),
        );
        out.insert(key, reported(&r["figures"]));
    }
    out
}

const FIGURES: &str = "figures { grossSales discounts netSales tax total refunds voids voidCount transactions refundCount itemsSold itemsRefunded }";

async fn run(seed: u64) {
    let app = TestApp::spawn().await;
    let mut rng = Rng(seed | 1);
    let tenant = app.tenant("Zones").await;
    let owner = app.owner(tenant);
    // Whole-cent unit prices after tax, so a one-unit refund is exact.
    let vat = app.tax_group(&owner, "VAT", "21").await;
    let low = app.tax_group(&owner, "LOW", "9.75").await;
    // Two rates on one line (6.25 % + 2.25 % of 400: 25 + 9), so tax per
    // rate counts the line's net under both.
    let body = app
        .gql(
            &owner,
            "mutation($input: CreateTaxGroupInput!) { createTaxGroup(input: $input) { taxGroup { id } } }",
            json!({ "input": { "name": "CITY+STATE", "rates": [
                { "name": "STATE", "percent": "6.25" }, { "name": "CITY", "percent": "2.25" }] } }),
        )
        .await;
    let stacked = body["data"]["createTaxGroup"]["taxGroup"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let variants = vec![
        (app.variant(&owner, "GUM", 100, &vat, None).await, 121),
        (app.variant(&owner, "WINE", 2000, &low, None).await, 2195),
        (app.variant(&owner, "TEA", 400, &vat, None).await, 484),
        (app.variant(&owner, "SODA", 400, &stacked, None).await, 434),
    ];
    let mut zones = BTreeMap::new();
    let mut tills = Vec::new();
    for (i, zone) in ZONES.iter().enumerate() {
        let mut input = location_input(&format!("L{i}"));
        input["timeZone"] = json!(zone);
        let body = app
            .gql(&owner, CREATE_LOCATION, json!({ "input": input }))
            .await;
        let location = body["data"]["createLocation"]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let id = app
            .create_terminal(&owner, &location, &format!("T{i}"))
            .await;
        let device = app.device_token(&owner, &id).await;
        let zone: Tz = zone.parse().unwrap();
        zones.insert(location, zone);
        tills.push(Till {
            id,
            device,
            zone,
            events: Vec::new(),
        });
    }
    plan(&mut rng, &mut tills, &variants);
    for t in 0..tills.len() {
        let till = &tills[(t + seed as usize) % tills.len()];
        if till.events.is_empty() {
            continue;
        }
        let body = app
            .gql(&till.device, PUSH, json!({ "events": till.events }))
            .await;
        for r in body["data"]["syncPush"]["results"].as_array().unwrap() {
            assert_eq!(r["status"], "APPLIED", "seed {seed}: {r}");
        }
    }

    let sales = ledger(&app, &owner).await;
    let (cells, items) = expected(&sales, &zones);
    assert!(
        cells.values().any(|f| f.void_count > 0) && cells.values().any(|f| f.refund_count > 0),
        "seed {seed}: the ledger should hold voids and refunds"
    );
    let body = app
        .gql(
            &owner,
            &format!(
                "{{ hourly: salesReport(from: \"2026-01-01\", to: \"2026-12-31\", groupBy: [LOCATION, DAY, HOUR]) {{ rows {{ locationId day hour {FIGURES} }} totals {{ total }} }}
                   items: salesReport(from: \"2026-01-01\", to: \"2026-12-31\", groupBy: [VARIANT, LOCATION, DAY]) {{ rows {{ variant {{ id }} locationId day {FIGURES} }} }}
                   monthly: salesReport(from: \"2026-01-01\", to: \"2026-12-31\", groupBy: [LOCATION, MONTH]) {{ rows {{ locationId month {FIGURES} }} }}
                   yearItems: salesReport(from: \"2026-01-01\", to: \"2026-12-31\", groupBy: [VARIANT, LOCATION]) {{ rows {{ variant {{ id }} locationId {FIGURES} }} }}
                   allItems: salesReport(from: \"2026-01-01\", to: \"2026-12-31\", groupBy: [VARIANT]) {{ rows {{ variant {{ id }} {FIGURES} }} }}
                   products: salesReport(from: \"2026-01-01\", to: \"2026-12-31\", groupBy: [PRODUCT]) {{ rows {{ product {{ id }} {FIGURES} }} }}
                   productDays: salesReport(from: \"2026-01-01\", to: \"2026-12-31\", groupBy: [PRODUCT, DAY]) {{ rows {{ product {{ id }} {FIGURES} }} }}
                   daily: salesReport(from: \"2026-01-01\", to: \"2026-12-31\", groupBy: [LOCATION, DAY]) {{ rows {{ locationId day {FIGURES} }} }}
                   span: salesReport(from: \"2026-03-15\", to: \"2026-11-01\", groupBy: [LOCATION, MONTH]) {{ rows {{ locationId month {FIGURES} }} }}
                   taxes: salesReport(from: \"2026-01-01\", to: \"2026-12-31\", groupBy: [TAX_RATE, LOCATION, DAY]) {{ rows {{ taxRate {{ name percent }} locationId day figures {{ netSales tax total refunds voids }} }} totals {{ total tax }} }}
                   taxMonths: salesReport(from: \"2026-03-15\", to: \"2026-11-01\", groupBy: [TAX_RATE, LOCATION, MONTH]) {{ rows {{ taxRate {{ name percent }} locationId month figures {{ netSales tax total refunds voids }} }} }} }}"
            ),
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "seed {seed}: {body}");
    let data = &body["data"];

    let mut got: BTreeMap<Key, Fig> = BTreeMap::new();
    for r in data["hourly"]["rows"].as_array().unwrap() {
        let key = (
            r["locationId"].as_str().unwrap().to_owned(),
            r["day"].as_str().unwrap().parse().unwrap(),
            r["hour"].as_u64().unwrap() as u32,
        );
        got.insert(key, reported(&r["figures"]));
    }
    assert_eq!(
        got, cells,
        "seed {seed}: hourly cells differ from the ledger"
    );

    let mut got_items = BTreeMap::new();
    for r in data["items"]["rows"].as_array().unwrap() {
        let key = (
            r["variant"]["id"].as_str().unwrap().to_owned(),
            r["locationId"].as_str().unwrap().to_owned(),
            r["day"].as_str().unwrap().parse().unwrap(),
        );
        got_items.insert(key, reported(&r["figures"]));
    }
    assert_eq!(
        got_items, items,
        "seed {seed}: item cells differ from the ledger"
    );

    // Whole months of items (the monthly rollup) are sums of the same
    // local days.
    let mut year_items: BTreeMap<(String, String), Fig> = BTreeMap::new();
    for ((variant, loc, _), f) in &items {
        add(
            year_items
                .entry((variant.clone(), loc.clone()))
                .or_default(),
            f,
        );
    }
    let mut got_year = BTreeMap::new();
    for r in data["yearItems"]["rows"].as_array().unwrap() {
        let key = (
            r["variant"]["id"].as_str().unwrap().to_owned(),
            r["locationId"].as_str().unwrap().to_owned(),
        );
        got_year.insert(key, reported(&r["figures"]));
    }
    assert_eq!(got_year, year_items, "seed {seed}: monthly item cells");
    // And over all locations (the monthly rollup's all-location rows).
    let mut all_items: BTreeMap<String, Fig> = BTreeMap::new();
    for ((variant, _), f) in &year_items {
        add(all_items.entry(variant.clone()).or_default(), f);
    }
    let mut got_all = BTreeMap::new();
    for r in data["allItems"]["rows"].as_array().unwrap() {
        let key = r["variant"]["id"].as_str().unwrap().to_owned();
        got_all.insert(key, reported(&r["figures"]));
    }
    assert_eq!(got_all, all_items, "seed {seed}: all-location item cells");
    // Per product over all locations (the product months) are sums of the
    // same products' days.
    let mut product_days: BTreeMap<String, Fig> = BTreeMap::new();
    for r in data["productDays"]["rows"].as_array().unwrap() {
        let product = r["product"]["id"].as_str().unwrap().to_owned();
        add(
            product_days.entry(product).or_default(),
            &reported(&r["figures"]),
        );
    }
    let mut got_products = BTreeMap::new();
    for r in data["products"]["rows"].as_array().unwrap() {
        let key = r["product"]["id"].as_str().unwrap().to_owned();
        got_products.insert(key, reported(&r["figures"]));
    }
    assert!(!got_products.is_empty(), "seed {seed}");
    assert_eq!(got_products, product_days, "seed {seed}: product months");

    // Months are sums of the same local days.
    let mut months: BTreeMap<(String, String), Fig> = BTreeMap::new();
    for ((loc, day, _), f) in &cells {
        let m = months
            .entry((loc.clone(), day.format("%Y-%m-01").to_string()))
            .or_default();
        add(m, f);
    }
    assert_eq!(by(&data["monthly"], "month"), months, "seed {seed}");
    // Days (the daily rollup) are sums of the same hours.
    let mut days: BTreeMap<(String, String), Fig> = BTreeMap::new();
    for ((loc, day, _), f) in &cells {
        add(days.entry((loc.clone(), day.to_string())).or_default(), f);
    }
    assert_eq!(by(&data["daily"], "day"), days, "seed {seed}: daily cells");
    // A range with partial months at both ends: whole months from the
    // monthly rollup, the other days from the daily one.
    let (from, to) = ("2026-03-15".parse().unwrap(), "2026-11-01".parse().unwrap());
    let mut span: BTreeMap<(String, String), Fig> = BTreeMap::new();
    for ((loc, day, _), f) in cells
        .iter()
        .filter(|((_, d, _), _)| (from..=to).contains(d))
    {
        let m = span
            .entry((loc.clone(), day.format("%Y-%m-01").to_string()))
            .or_default();
        add(m, f);
    }
    assert_eq!(
        by(&data["span"], "month"),
        span,
        "seed {seed}: partial months"
    );
    let total: i64 = cells.values().map(|f| f.total).sum();
    assert_eq!(n(&data["hourly"]["totals"]["total"]), total, "seed {seed}");
    // Tax per rate, from the lines' taxes; the totals are the records'.
    let got_taxes = tax_rows(&data["taxes"], "day", |d| d.parse::<NaiveDate>().unwrap());
    let want_taxes = expected_taxes(&sales, &zones);
    assert!(
        want_taxes.keys().any(|k| k.0 == "CITY") && want_taxes.keys().any(|k| k.0 == "VAT"),
        "seed {seed}: the ledger should hold stacked and single rates"
    );
    assert_eq!(
        got_taxes, want_taxes,
        "seed {seed}: tax-rate cells differ from the ledger"
    );
    // Whole months of tax per rate (the monthly level) and the days around
    // them (the daily one) are sums of the same days.
    let mut want_months: BTreeMap<_, [i64; 5]> = BTreeMap::new();
    for ((name, percent, loc, day), f) in want_taxes
        .iter()
        .filter(|(k, _)| (from..=to).contains(&k.3))
    {
        let key = (
            name.clone(),
            percent.clone(),
            loc.clone(),
            day.format("%Y-%m-01").to_string(),
        );
        let sum = want_months.entry(key).or_default();
        for (a, b) in sum.iter_mut().zip(f) {
            *a += b;
        }
    }
    let got_months = tax_rows(&data["taxMonths"], "month", str::to_owned);
    assert_eq!(got_months, want_months, "seed {seed}: tax-rate months");
    assert_eq!(n(&data["taxes"]["totals"]["total"]), total, "seed {seed}");
    let tax: i64 = cells.values().map(|f| f.tax).sum();
    assert_eq!(n(&data["taxes"]["totals"]["tax"]), tax, "seed {seed}");
}

/// A tax-rate report's rows by (rate name, percent, location, period):
/// net, tax, total, refunds, voids.
fn tax_rows<P: Ord>(
    report: &Value,
    period: &str,
    parse: impl Fn(&str) -> P,
) -> BTreeMap<(String, String, String, P), [i64; 5]> {
    let mut out = BTreeMap::new();
    for r in report["rows"].as_array().unwrap() {
        let key = (
            r["taxRate"]["name"].as_str().unwrap().to_owned(),
            r["taxRate"]["percent"].as_str().unwrap().to_owned(),
            r["locationId"].as_str().unwrap().to_owned(),
            parse(r[period].as_str().unwrap()),
        );
        let f = &r["figures"];
        let fig = ["netSales", "tax", "total", "refunds", "voids"].map(|m| n(&f[m]));
        out.insert(key, fig);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn every_report_cell_equals_the_ledger_in_every_time_zone(seed in any::<u64>()) {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(run(seed));
    }
}

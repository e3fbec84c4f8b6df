//! The end of a run: the server's ledger, sync status, receipt chains,
//! Z-reports, sales report and rollups, read back through the API and
//! compared with what the terminals themselves recorded, to the minor unit.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::client::{CallError, Client, amount};
use crate::till::{Record, Till};

const PATIENCE: Duration = Duration::from_secs(60);

const SALES: &str = "query Sales($after: String) { sales(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { id terminalId total taxTotal businessDate anomalies { kind expected reported } void { id terminalId total businessDate } refunds { id terminalId saleId total taxTotal businessDate } } } }";
const STATUS: &str = "query Status($t: ID!) { terminalSyncStatus(terminalId: $t) { appliedThrough heldCount missing { from to } awaitingSaleCount conflictCount rejectionCount } verifyReceiptChain(terminalId: $t) { ok checked brokenAt problem } }";
const ZREPORT: &str = "query Z($t: ID!, $d: NaiveDate!) { zReport(terminalId: $t, businessDate: $d) { salesCount salesTotal refundsCount refundsTotal voidsCount voidsTotal netTotal tenders { method amount } } }";
const REPORT: &str = "query Report($from: NaiveDate!, $to: NaiveDate!) { salesReport(from: $from, to: $to, groupBy: [TERMINAL]) { truncated rows { terminalId figures { total refunds voids transactions refundCount voidCount } } } }";
const RECONCILE: &str = "mutation Reconcile($from: NaiveDate!, $to: NaiveDate!) { reconcileReports(from: $from, to: $to) { cells differences { table key field stored expected } } }";

/// What the check of one tenant found.
#[derive(Default)]
pub struct Verdict {
    /// Acknowledged events whose record the server does not have.
    pub lost: u64,
    /// Records the server has that no terminal sent, or has twice.
    pub extra: u64,
    /// Events never acknowledged, however long the terminal tried.
    pub unacknowledged: u64,
    pub sales: u64,
    pub refunds: u64,
    pub voids: u64,
    pub chains: u64,
    pub receipts_checked: u64,
    pub zreports: u64,
    pub report_rows: u64,
    pub reconcile_cells: u64,
    /// Stock levels and closed shifts compared with the tills' own.
    pub stock_levels: u64,
    pub shifts: u64,
    pub differences: Vec<String>,
}

/// One Z-report or report cell, as the terminals' logs add it up.
#[derive(Default, Debug, PartialEq, Eq)]
struct Day {
    sales: (i64, i64),
    refunds: (i64, i64),
    voids: (i64, i64),
    tenders: BTreeMap<String, i64>,
}

#[derive(Default, Debug, PartialEq, Eq)]
struct Figures {
    total: i64,
    refunds: i64,
    voids: i64,
    transactions: i64,
    refund_count: i64,
    void_count: i64,
}

struct Expected<'a> {
    sales: HashMap<&'a str, (&'a str, &'a Record)>,
    refunds: HashMap<&'a str, (&'a str, &'a Record)>,
    voids: HashMap<&'a str, (&'a str, &'a Record)>,
    days: BTreeMap<(&'a str, NaiveDate), Day>,
    figures: BTreeMap<&'a str, Figures>,
    acknowledged: HashSet<&'a str>,
}

fn expected(tills: &[Till]) -> Expected<'_> {
    let mut e = Expected {
        sales: HashMap::new(),
        refunds: HashMap::new(),
        voids: HashMap::new(),
        days: BTreeMap::new(),
        figures: BTreeMap::new(),
        acknowledged: HashSet::new(),
    };
    for till in tills {
        let t = till.id.as_str();
        e.figures.entry(t).or_default();
        for logged in &till.log {
            let acked = matches!(
                logged.ack.as_deref(),
                Some("APPLIED" | "QUEUED" | "DUPLICATE")
            );
            match &logged.record {
                r @ Record::Sale {
                    id,
                    date,
                    total,
                    tenders,
                    ..
                } => {
                    e.sales.insert(id, (t, r));
                    let day = e.days.entry((t, *date)).or_default();
                    day.sales.0 += 1;
                    day.sales.1 += total;
                    for (method, net) in tenders {
                        *day.tenders.entry((*method).to_owned()).or_default() += net;
                    }
                    let f = e.figures.entry(t).or_default();
                    f.total += total;
                    f.transactions += 1;
                    if acked {
                        e.acknowledged.insert(id);
                    }
                }
                r @ Record::Refund {
                    id, date, total, ..
                } => {
                    e.refunds.insert(id, (t, r));
                    let day = e.days.entry((t, *date)).or_default();
                    day.refunds.0 += 1;
                    day.refunds.1 += total;
                    *day.tenders.entry("CASH".into()).or_default() -= total;
                    let f = e.figures.entry(t).or_default();
                    f.total -= total;
                    f.refunds += total;
                    f.refund_count += 1;
                    if acked {
                        e.acknowledged.insert(id);
                    }
                }
                r @ Record::Void {
                    id,
                    sale,
                    date,
                    total,
                    tenders,
                } => {
                    e.voids.insert(sale, (t, r));
                    let day = e.days.entry((t, *date)).or_default();
                    day.voids.0 += 1;
                    day.voids.1 += total;
                    for (method, net) in tenders {
                        *day.tenders.entry((*method).to_owned()).or_default() -= net;
                    }
                    let f = e.figures.entry(t).or_default();
                    f.total -= total;
                    f.transactions -= 1;
                    f.voids += total;
                    f.void_count += 1;
                    if acked {
                        e.acknowledged.insert(id);
                    }
                }
                Record::Floor => {}
            }
        }
    }
    e
}

fn date(v: &Value) -> Option<NaiveDate> {
    v.as_str()?.parse().ok()
}

/// Checks one tenant's server state against its terminals' logs.
pub async fn tenant(client: &Client, owner: &str, tills: &[Till]) -> Result<Verdict, CallError> {
    let e = expected(tills);
    let mut v = Verdict {
        unacknowledged: tills
            .iter()
            .flat_map(|t| &t.log)
            .filter(|l| l.ack.is_none())
            .count() as u64,
        ..Verdict::default()
    };
    let mut seen: HashSet<String> = HashSet::new();
    ledger(client, owner, &e, &mut v, &mut seen).await?;
    for id in &e.acknowledged {
        if !seen.contains(*id) {
            v.lost += 1;
            v.differences
                .push(format!("acknowledged {id} is not in the ledger"));
        }
    }
    for till in tills {
        let data = client
            .call_retrying(owner, STATUS, json!({ "t": till.id }), PATIENCE)
            .await?;
        let s = &data["terminalSyncStatus"];
        let want = json!({ "appliedThrough": till.log.len(), "heldCount": 0, "missing": [],
                           "awaitingSaleCount": 0, "conflictCount": 0, "rejectionCount": 0 });
        if *s != want {
            v.differences.push(format!(
                "terminal {}: sync status {s}, expected {want}",
                till.id
            ));
        }
        let chain = &data["verifyReceiptChain"];
        v.chains += 1;
        v.receipts_checked += chain["checked"].as_u64().unwrap_or(0);
        if chain["ok"] != true {
            v.differences
                .push(format!("terminal {}: receipt chain {chain}", till.id));
        }
    }
    zreports(client, owner, &e, &mut v).await?;
    reports(client, owner, &e, &mut v).await?;
    crate::floor::stock(client, owner, tills, &mut v).await?;
    crate::floor::shifts(client, owner, tills, &mut v).await?;
    Ok(v)
}

/// Every sale of the tenant, with its void and refunds.
async fn ledger(
    client: &Client,
    owner: &str,
    e: &Expected<'_>,
    v: &mut Verdict,
    seen: &mut HashSet<String>,
) -> Result<(), CallError> {
    let mut after = Value::Null;
    loop {
        let data = client
            .call_retrying(owner, SALES, json!({ "after": after }), PATIENCE)
            .await?;
        let page = &data["sales"];
        for s in page["nodes"].as_array().into_iter().flatten() {
            let id = s["id"].as_str().unwrap_or_default().to_owned();
            v.sales += 1;
            if !seen.insert(id.clone()) {
                v.extra += 1;
                v.differences.push(format!("sale {id} listed twice"));
            }
            match e.sales.get(id.as_str()) {
                Some((
                    t,
                    Record::Sale {
                        date: d,
                        total,
                        tax,
                        ..
                    },
                )) => {
                    let got = (
                        s["terminalId"].as_str(),
                        amount(&s["total"]),
                        amount(&s["taxTotal"]),
                        date(&s["businessDate"]),
                    );
                    if got != (Some(*t), *total, *tax, Some(*d)) {
                        v.differences.push(format!(
                            "sale {id}: server {got:?}, terminal ({t}, {total}, {tax}, {d})"
                        ));
                    }
                }
                _ => {
                    v.extra += 1;
                    v.differences
                        .push(format!("sale {id}: no terminal sent it"));
                }
            }
            if s["anomalies"].as_array().is_some_and(|a| !a.is_empty()) {
                v.differences
                    .push(format!("sale {id}: anomalies {}", s["anomalies"]));
            }
            let void = &s["void"];
            match (e.voids.get(id.as_str()), void.is_null()) {
                (None, true) => {}
                (
                    Some((
                        t,
                        Record::Void {
                            id: vid,
                            date: d,
                            total,
                            ..
                        },
                    )),
                    false,
                ) => {
                    v.voids += 1;
                    seen.insert(vid.clone());
                    let got = (
                        void["id"].as_str(),
                        void["terminalId"].as_str(),
                        amount(&void["total"]),
                        date(&void["businessDate"]),
                    );
                    if got != (Some(vid.as_str()), Some(*t), *total, Some(*d)) {
                        v.differences.push(format!("void of {id}: server {got:?}"));
                    }
                }
                (want, _) => v.differences.push(format!(
                    "sale {id}: void {void}, terminal {:?}",
                    want.map(|w| w.1)
                )),
            }
            for r in s["refunds"].as_array().into_iter().flatten() {
                let rid = r["id"].as_str().unwrap_or_default().to_owned();
                v.refunds += 1;
                if !seen.insert(rid.clone()) {
                    v.extra += 1;
                }
                match e.refunds.get(rid.as_str()) {
                    Some((
                        t,
                        Record::Refund {
                            sale,
                            date: d,
                            total,
                            tax,
                            ..
                        },
                    )) => {
                        let got = (
                            r["terminalId"].as_str(),
                            r["saleId"].as_str(),
                            amount(&r["total"]),
                            amount(&r["taxTotal"]),
                            date(&r["businessDate"]),
                        );
                        if got != (Some(*t), Some(sale.as_str()), *total, *tax, Some(*d)) {
                            v.differences.push(format!("refund {rid}: server {got:?}, terminal ({t}, {sale}, {total}, {tax}, {d})"));
                        }
                    }
                    _ => {
                        v.extra += 1;
                        v.differences
                            .push(format!("refund {rid}: no terminal sent it"));
                    }
                }
            }
        }
        if page["pageInfo"]["hasNextPage"] != true {
            return Ok(());
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

async fn zreports(
    client: &Client,
    owner: &str,
    e: &Expected<'_>,
    v: &mut Verdict,
) -> Result<(), CallError> {
    for ((t, d), want) in &e.days {
        let data = client
            .call_retrying(owner, ZREPORT, json!({ "t": t, "d": d }), PATIENCE)
            .await?;
        let z = &data["zReport"];
        let n = |k: &str| z[k].as_i64().unwrap_or(-1);
        let got = Day {
            sales: (n("salesCount"), amount(&z["salesTotal"])),
            refunds: (n("refundsCount"), amount(&z["refundsTotal"])),
            voids: (n("voidsCount"), amount(&z["voidsTotal"])),
            tenders: z["tenders"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| {
                    (
                        t["method"].as_str().unwrap_or("").to_owned(),
                        amount(&t["amount"]),
                    )
                })
                .filter(|t| t.1 != 0)
                .collect(),
        };
        let mut want_tenders = want.tenders.clone();
        want_tenders.retain(|_, a| *a != 0);
        let net = want.sales.1 - want.refunds.1 - want.voids.1;
        v.zreports += 1;
        if got.sales != want.sales
            || got.refunds != want.refunds
            || got.voids != want.voids
            || got.tenders != want_tenders
            || amount(&z["netTotal"]) != net
        {
            v.differences.push(format!(
                "Z-report {t} {d}: server {z}, terminal {want:?} net {net}"
            ));
        }
    }
    Ok(())
}

async fn reports(
    client: &Client,
    owner: &str,
    e: &Expected<'_>,
    v: &mut Verdict,
) -> Result<(), CallError> {
    let (Some(from), Some(to)) = (
        e.days.keys().map(|k| k.1).min(),
        e.days.keys().map(|k| k.1).max(),
    ) else {
        return Ok(());
    };
    let range = json!({ "from": from, "to": to });
    let data = client
        .call_retrying(owner, REPORT, range.clone(), PATIENCE)
        .await?;
    let mut got: BTreeMap<String, Figures> = BTreeMap::new();
    for row in data["salesReport"]["rows"].as_array().into_iter().flatten() {
        let f = &row["figures"];
        let n = |k: &str| f[k].as_i64().unwrap_or(0);
        got.insert(
            row["terminalId"].as_str().unwrap_or_default().to_owned(),
            Figures {
                total: amount(&f["total"]),
                refunds: amount(&f["refunds"]),
                voids: amount(&f["voids"]),
                transactions: n("transactions"),
                refund_count: n("refundCount"),
                void_count: n("voidCount"),
            },
        );
    }
    v.report_rows = got.len() as u64;
    for (t, want) in &e.figures {
        let empty = Figures::default();
        let have = got.remove(*t);
        if have.as_ref().unwrap_or(&empty) != want {
            v.differences.push(format!(
                "report row {t}: server {have:?}, terminal {want:?}"
            ));
        }
    }
    for (t, f) in got {
        v.differences
            .push(format!("report row {t} from no terminal of the run: {f:?}"));
    }
    let data = client
        .call_retrying(owner, RECONCILE, range, PATIENCE)
        .await?;
    let r = &data["reconcileReports"];
    v.reconcile_cells = r["cells"].as_u64().unwrap_or(0);
    for d in r["differences"].as_array().into_iter().flatten() {
        v.differences.push(format!("reconcile: {d}"));
    }
    Ok(())
}

//! `reconcile`: rebuilds a tenant's rollups for a range of business dates
//! from the ledger, and lists every figure that differed. A correct system
//! finds none.
//!
//! It holds every terminal's ledger lock of the tenant while it works, so
//! no event is applied between reading the ledger and rewriting the cells.
//! The range is worked through a week at a time, so memory stays bounded.

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use entity::{
    location, refund, report_item, report_sale, report_tax, report_tender, sale, sale_void,
    terminal_ledger, variant,
};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::month_check::{check_days, check_month};
use super::rows::{ITEM_FIELDS, SALE_FIELDS, TAX_FIELDS, TENDER_FIELDS};
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::sales::records;
use crate::sales::rollup::months::{Months, month_end, month_start};
use crate::sales::rollup::{Cell, Rollups};
use crate::tenancy::{Db, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub table: &'static str,
    pub key: String,
    pub field: &'static str,
    pub stored: i64,
    pub expected: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The dates checked: the range asked for, rounded out to whole
    /// months (the monthly rollups' cells are checked whole).
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub cells: i64,
    pub differences: Vec<Difference>,
}

/// The longest range one call rebuilds.
const MAX_DAYS: i64 = 400;
const WINDOW_DAYS: i64 = 7;
const CHUNK: usize = 1_000;

pub async fn reconcile(
    session: &Session,
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Outcome> {
    if !session.is_manager() {
        return Err(AppError::Forbidden(
            "reconciling reports is for owners and managers".into(),
        ));
    }
    if from > to {
        return Err(AppError::bad_input(
            "to",
            format!("to ({to}) is before from ({from})"),
        ));
    }
    if (to - from).num_days() + 1 > MAX_DAYS {
        return Err(AppError::bad_input(
            "to",
            format!("one call reconciles at most {MAX_DAYS} days"),
        ));
    }
    let tx = db.write(session).await?;
    tx.select::<terminal_ledger::Entity>()
        .order_by_asc(terminal_ledger::Column::TerminalId)
        .lock_exclusive()
        .all(&tx)
        .await?;
    let zones = time_zones(&tx).await?;
    // Pending item deltas are folded first, so the item months hold every
    // figure when they are checked.
    super::compaction::compact(&tx, true).await?;
    let (from, to) = (month_start(from), month_end(to));
    let mut outcome = Outcome {
        from,
        to,
        ..Outcome::default()
    };
    let mut month = Months::default();
    let mut start = from;
    while start <= to {
        let end = (start + Duration::days(WINDOW_DAYS - 1))
            .min(month_end(start))
            .min(to);
        let expected = from_ledger(&tx, &zones, start, end).await?;
        let stored = stored(&tx, start, end).await?;
        let before = outcome.differences.len();
        compare(&stored, &expected, &mut outcome);
        if outcome.differences.len() > before {
            rewrite(&tx, &expected, start, end).await?;
        }
        check_days(&tx, (start, end), Months::days_of(&expected), &mut outcome).await?;
        month.merge(Months::of(&expected));
        if end == month_end(start) {
            check_month(
                &tx,
                month_start(start),
                std::mem::take(&mut month),
                &mut outcome,
            )
            .await?;
        }
        start = end + Duration::days(1);
    }
    ledgers_beside_sales(&tx, (from, to), &mut outcome).await?;
    tx.commit().await?;
    if !outcome.differences.is_empty() {
        tracing::warn!(
            tenant = %session.tenant,
            differences = outcome.differences.len(),
            "report rollups differed from the ledger and were rebuilt"
        );
    }
    Ok(outcome)
}

/// The stock levels against the stock ledger (all of them: a level has
/// no date), and the closed shifts of the range against the sales
/// ledger; each difference found is corrected.
async fn ledgers_beside_sales(
    tx: &TenantTx,
    (from, to): (NaiveDate, NaiveDate),
    outcome: &mut Outcome,
) -> Result<()> {
    for d in crate::stock::reports::check(tx).await? {
        outcome.differences.push(Difference {
            table: "stock_levels",
            key: format!("{}/{}", d.location, d.variant),
            field: d.field,
            stored: d.stored,
            expected: d.expected,
        });
    }
    for d in crate::cash::reports::check(tx, from, to).await? {
        outcome.differences.push(Difference {
            table: "shifts",
            key: d.shift.to_string(),
            field: d.field,
            stored: d.stored,
            expected: d.expected,
        });
    }
    Ok(())
}

async fn time_zones(tx: &TenantTx) -> Result<HashMap<Uuid, Tz>> {
    let mut zones = HashMap::new();
    for l in tx.select::<location::Entity>().all(tx).await? {
        let tz = crate::org::locations::stored_zone(&l.time_zone)?;
        zones.insert(l.id, tz);
    }
    Ok(zones)
}

fn cell(
    zones: &HashMap<Uuid, Tz>,
    location: Uuid,
    terminal: Uuid,
    date: NaiveDate,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<Cell> {
    let tz = zones
        .get(&location)
        .ok_or_else(|| AppError::internal("a ledger record's location is gone"))?;
    Ok(Cell::at(location, terminal, date, at, *tz))
}

/// What applying the ledger's records of these dates adds to the rollups.
pub async fn from_ledger(
    tx: &TenantTx,
    zones: &HashMap<Uuid, Tz>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Rollups> {
    let mut rollups = Rollups::default();
    let sale_ids: Vec<Uuid> = tx
        .select::<sale::Entity>()
        .select_only()
        .column(sale::Column::Id)
        .filter(sale::Column::BusinessDate.between(from, to))
        .into_tuple()
        .all(tx)
        .await?;
    for chunk in sale_ids.chunks(CHUNK) {
        let sales = records::sales(tx, chunk).await?;
        let voided: Vec<Uuid> = tx
            .select::<sale_void::Entity>()
            .select_only()
            .column(sale_void::Column::SaleId)
            .filter(sale_void::Column::SaleId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(tx)
            .await?;
        for r in sales.values() {
            let s = &r.sale;
            let at = cell(
                zones,
                s.location_id,
                s.terminal_id,
                s.business_date,
                s.created_at,
            )?;
            rollups.sale(at, s, &r.lines, &r.taxes, &r.tenders, false);
            if voided.contains(&s.id) {
                rollups.sale(at, s, &r.lines, &r.taxes, &r.tenders, true);
            }
        }
    }
    let refund_ids: Vec<Uuid> = tx
        .select::<refund::Entity>()
        .select_only()
        .column(refund::Column::Id)
        .filter(refund::Column::BusinessDate.between(from, to))
        .into_tuple()
        .all(tx)
        .await?;
    for chunk in refund_ids.chunks(CHUNK) {
        let refunds = records::refunds(tx, chunk).await?;
        let variants: Vec<Uuid> = refunds
            .values()
            .flat_map(|r| r.lines.iter().map(|l| l.variant_id))
            .collect();
        let product_of: HashMap<Uuid, Uuid> = tx
            .select::<variant::Entity>()
            .select_only()
            .column(variant::Column::Id)
            .column(variant::Column::ProductId)
            .filter(variant::Column::Id.is_in(variants))
            .into_tuple()
            .all(tx)
            .await?
            .into_iter()
            .collect();
        for r in refunds.values() {
            let f = &r.refund;
            let at = cell(
                zones,
                f.location_id,
                f.terminal_id,
                f.business_date,
                f.created_at,
            )?;
            rollups.refund(at, f, &r.lines, &r.taxes, &r.tenders, &product_of);
        }
    }
    Ok(rollups)
}

async fn stored(tx: &TenantTx, from: NaiveDate, to: NaiveDate) -> Result<Rollups> {
    let sales = tx
        .select::<report_sale::Entity>()
        .filter(report_sale::Column::BusinessDate.between(from, to))
        .all(tx)
        .await?;
    let items = tx
        .select::<report_item::Entity>()
        .filter(report_item::Column::BusinessDate.between(from, to))
        .all(tx)
        .await?;
    let tenders = tx
        .select::<report_tender::Entity>()
        .filter(report_tender::Column::BusinessDate.between(from, to))
        .all(tx)
        .await?;
    let taxes = tx
        .select::<report_tax::Entity>()
        .filter(report_tax::Column::BusinessDate.between(from, to))
        .all(tx)
        .await?;
    Ok(Rollups::from_rows(&sales, &items, &tenders, &taxes))
}

fn describe(c: &Cell) -> String {
    format!(
        "location={} terminal={} date={} hour={}",
        c.location, c.terminal, c.date, c.hour
    )
}

pub(super) fn diff_cells<const N: usize>(
    table: &'static str,
    fields: &[&'static str; N],
    key: String,
    stored: Option<&[i64; N]>,
    expected: Option<&[i64; N]>,
    outcome: &mut Outcome,
) {
    let zero = [0; N];
    let (s, e) = (stored.unwrap_or(&zero), expected.unwrap_or(&zero));
    for i in 0..N {
        if s[i] != e[i] {
            outcome.differences.push(Difference {
                table,
                key: key.clone(),
                field: fields[i],
                stored: s[i],
                expected: e[i],
            });
        }
    }
}

/// Compares one rollup's cells, key by key, in key order.
fn compare_cells<K: Ord, V, const N: usize>(
    table: &'static str,
    fields: &[&'static str; N],
    (stored, expected): (&BTreeMap<K, V>, &BTreeMap<K, V>),
    describe: impl Fn(&K) -> String,
    measures: impl Fn(&V) -> &[i64; N],
    outcome: &mut Outcome,
) {
    let mut keys: Vec<&K> = stored.keys().chain(expected.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        outcome.cells += 1;
        diff_cells(
            table,
            fields,
            describe(k),
            stored.get(k).map(&measures),
            expected.get(k).map(&measures),
            outcome,
        );
    }
}

fn compare(stored: &Rollups, expected: &Rollups, outcome: &mut Outcome) {
    compare_cells(
        "report_sales",
        &SALE_FIELDS,
        (&stored.sales, &expected.sales),
        describe,
        |m| m,
        outcome,
    );
    compare_cells(
        "report_items",
        &ITEM_FIELDS,
        (&stored.items, &expected.items),
        |k| format!("{} variant={} tax_group={}", describe(&k.0), k.1, k.2),
        |(_, m)| m,
        outcome,
    );
    compare_cells(
        "report_tenders",
        &TENDER_FIELDS,
        (&stored.tenders, &expected.tenders),
        |k| format!("{} method={}", describe(&k.0), k.1),
        |m| m,
        outcome,
    );
    compare_cells(
        "report_taxes",
        &TAX_FIELDS,
        (&stored.taxes, &expected.taxes),
        |k| format!("{} tax_rate={}", describe(&k.0), k.1),
        |(_, _, m)| m,
        outcome,
    );
}

async fn rewrite(tx: &TenantTx, expected: &Rollups, from: NaiveDate, to: NaiveDate) -> Result<()> {
    tx.delete_many::<report_sale::Entity>()
        .filter(report_sale::Column::BusinessDate.between(from, to))
        .exec(tx)
        .await?;
    tx.delete_many::<report_item::Entity>()
        .filter(report_item::Column::BusinessDate.between(from, to))
        .exec(tx)
        .await?;
    tx.delete_many::<report_tender::Entity>()
        .filter(report_tender::Column::BusinessDate.between(from, to))
        .exec(tx)
        .await?;
    tx.delete_many::<report_tax::Entity>()
        .filter(report_tax::Column::BusinessDate.between(from, to))
        .exec(tx)
        .await?;
    expected.write_fine(tx).await
}

//! The Z-report: a terminal's business day, derived from the ledger rows
//! each time it is asked for, so it always agrees with them.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use entity::{line_tax, receipt, refund, sale, sale_void, tender};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use uuid::Uuid;

use crate::auth::Session;
use crate::error::Result;
use crate::tenancy::{Db, Scoped, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZReport {
    pub terminal_id: Uuid,
    pub business_date: NaiveDate,
    pub sales_count: i64,
    pub sales_total: i64,
    pub refunds_count: i64,
    pub refunds_total: i64,
    pub voids_count: i64,
    pub voids_total: i64,
    /// Sales less refunds less voids.
    pub net_total: i64,
    /// Net money in per method: tenders less change, less refunds paid out
    /// and less the tenders of voided sales.
    pub tenders: Vec<(String, i64)>,
    /// Net tax per rate (name, parts per million).
    pub taxes: Vec<(String, i64, i64)>,
    pub first_receipt: Option<String>,
    pub last_receipt: Option<String>,
    /// Net total of every business day of the terminal up to and including
    /// this one. It never resets.
    pub grand_total: i64,
    /// The drawer's shifts opened that day, in order.
    pub shifts: Vec<entity::shift::Model>,
}

async fn sum_total<E: EntityTrait>(tx: &TenantTx, select: Scoped<Select<E>>) -> Result<i64> {
    // SUM over BIGINT is NUMERIC on PostgreSQL: cast it back.
    let sum: Option<i64> = select
        .select_only()
        .column_as(Expr::cust("CAST(COALESCE(SUM(total), 0) AS BIGINT)"), "sum")
        .into_tuple()
        .one(tx)
        .await?;
    Ok(sum.unwrap_or(0))
}

/// A terminal's records of one business day.
struct Day {
    sales: Vec<sale::Model>,
    refunds: Vec<refund::Model>,
    voids: Vec<sale_void::Model>,
}

/// Net money per tender method, and net tax per rate (name, ppm).
type Breakdown = (BTreeMap<String, i64>, BTreeMap<(String, i64), i64>);

/// The Z-report, in steps: the day's records, their money per method and
/// tax per rate, the day's receipt numbers, and the never-reset grand
/// total.
#[tracing::instrument(skip_all, fields(tenant = %session.tenant, terminal = %terminal_id))]
pub async fn z_report(
    session: &Session,
    db: &Db,
    terminal_id: Uuid,
    date: NaiveDate,
) -> Result<ZReport> {
    session.may_see_terminal(terminal_id, "a Z-report")?;
    let tx = db.read(session).await?;
    crate::org::terminals::require(&tx, terminal_id).await?;
    let day = day(&tx, terminal_id, date).await?;
    let (tenders, taxes) = breakdown(&tx, &day).await?;
    let first_receipt = receipt_at(&tx, terminal_id, date, true).await?;
    let last_receipt = receipt_at(&tx, terminal_id, date, false).await?;
    let grand_total = grand_total(&tx, terminal_id, date).await?;
    let shifts = crate::cash::shifts::of_terminal_on(&tx, terminal_id, date).await?;
    let sales_total: i64 = day.sales.iter().map(|s| s.total).sum();
    let refunds_total: i64 = day.refunds.iter().map(|r| r.total).sum();
    let voids_total: i64 = day.voids.iter().map(|v| v.total).sum();
    Ok(ZReport {
        terminal_id,
        business_date: date,
        sales_count: day.sales.len() as i64,
        sales_total,
        refunds_count: day.refunds.len() as i64,
        refunds_total,
        voids_count: day.voids.len() as i64,
        voids_total,
        net_total: sales_total - refunds_total - voids_total,
        tenders: tenders.into_iter().collect(),
        taxes: taxes
            .into_iter()
            .map(|((name, ppm), amount)| (name, ppm, amount))
            .collect(),
        first_receipt,
        last_receipt,
        grand_total,
        shifts,
    })
}

async fn day(tx: &TenantTx, terminal_id: Uuid, date: NaiveDate) -> Result<Day> {
    Ok(Day {
        sales: tx
            .select::<sale::Entity>()
            .filter(sale::Column::TerminalId.eq(terminal_id))
            .filter(sale::Column::BusinessDate.eq(date))
            .all(tx)
            .await?,
        refunds: tx
            .select::<refund::Entity>()
            .filter(refund::Column::TerminalId.eq(terminal_id))
            .filter(refund::Column::BusinessDate.eq(date))
            .all(tx)
            .await?,
        voids: tx
            .select::<sale_void::Entity>()
            .filter(sale_void::Column::TerminalId.eq(terminal_id))
            .filter(sale_void::Column::BusinessDate.eq(date))
            .all(tx)
            .await?,
    })
}

/// The day's tenders and taxes, each record counted +1 for a sale, -1 for
/// a refund and -1 more for a sale voided.
async fn breakdown(tx: &TenantTx, day: &Day) -> Result<Breakdown> {
    let mut sign: BTreeMap<Uuid, i64> = BTreeMap::new();
    sign.extend(day.sales.iter().map(|s| (s.id, 1)));
    sign.extend(day.refunds.iter().map(|r| (r.id, -1)));
    let voided: Vec<Uuid> = day.voids.iter().map(|v| v.sale_id).collect();
    let records: Vec<Uuid> = sign
        .keys()
        .chain(&voided)
        .copied()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let weight = |id: &Uuid| {
        sign.get(id).copied().unwrap_or(0) - voided.iter().filter(|v| *v == id).count() as i64
    };
    let mut tenders: BTreeMap<String, i64> = BTreeMap::new();
    let mut taxes: BTreeMap<(String, i64), i64> = BTreeMap::new();
    for chunk in records.chunks(1_000) {
        for t in tx
            .select::<tender::Entity>()
            .filter(tender::Column::RecordId.is_in(chunk.iter().copied()))
            .all(tx)
            .await?
        {
            *tenders.entry(t.method.clone()).or_default() +=
                weight(&t.record_id) * (t.amount - t.change);
        }
        for t in tx
            .select::<line_tax::Entity>()
            .filter(line_tax::Column::RecordId.is_in(chunk.iter().copied()))
            .all(tx)
            .await?
        {
            *taxes.entry((t.name.clone(), t.rate_ppm)).or_default() +=
                weight(&t.record_id) * t.amount;
        }
    }
    Ok((tenders, taxes))
}

/// The day's first (or last) receipt number.
async fn receipt_at(
    tx: &TenantTx,
    terminal_id: Uuid,
    date: NaiveDate,
    first: bool,
) -> Result<Option<String>> {
    let select = tx
        .select::<receipt::Entity>()
        .filter(receipt::Column::TerminalId.eq(terminal_id))
        .filter(receipt::Column::BusinessDate.eq(date));
    let select = if first {
        select.order_by_asc(receipt::Column::Position)
    } else {
        select.order_by_desc(receipt::Column::Position)
    };
    Ok(select.one(tx).await?.map(|r| r.number))
}

/// Net total of every business day of the terminal up to `date`.
async fn grand_total(tx: &TenantTx, terminal_id: Uuid, date: NaiveDate) -> Result<i64> {
    let sales = sum_total(
        tx,
        tx.select::<sale::Entity>()
            .filter(sale::Column::TerminalId.eq(terminal_id))
            .filter(sale::Column::BusinessDate.lte(date)),
    )
    .await?;
    let refunds = sum_total(
        tx,
        tx.select::<refund::Entity>()
            .filter(refund::Column::TerminalId.eq(terminal_id))
            .filter(refund::Column::BusinessDate.lte(date)),
    )
    .await?;
    let voids = sum_total(
        tx,
        tx.select::<sale_void::Entity>()
            .filter(sale_void::Column::TerminalId.eq(terminal_id))
            .filter(sale_void::Column::BusinessDate.lte(date)),
    )
    .await?;
    Ok(sales - refunds - voids)
}

//! Cash reports: over/short per location and period, from the closed
//! shifts; and `check`, which recomputes closed shifts' figures from the
//! ledger (called by `reconcile`).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use entity::shift;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use super::shifts::{CLOSED, totals};
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::tenancy::{Db, TenantTx};

/// The closed shifts of one location and period, together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OverShort {
    pub location: Uuid,
    pub currency: String,
    /// The period's first day.
    pub period: NaiveDate,
    pub shifts: i64,
    pub expected: i64,
    pub counted: i64,
    /// Counted less expected: positive over, negative short.
    pub over_short: i64,
    /// Shifts that were not exact.
    pub off: i64,
}

/// The longest range one call covers.
const MAX_DAYS: i64 = 400;

/// Closed shifts by the business date they opened on, `from` to `to`
/// inclusive, per location and day (or month).
pub async fn over_short(
    session: &Session,
    db: &Db,
    (from, to): (NaiveDate, NaiveDate),
    location: Option<Uuid>,
    monthly: bool,
) -> Result<Vec<OverShort>> {
    if from > to || (to - from).num_days() + 1 > MAX_DAYS {
        return Err(AppError::bad_input(
            "to",
            format!("to must be from `from` to {MAX_DAYS} days after it"),
        ));
    }
    let tx = db.read(session).await?;
    let mut select = tx
        .select::<shift::Entity>()
        .filter(shift::Column::Status.eq(CLOSED))
        .filter(shift::Column::BusinessDate.gte(from))
        .filter(shift::Column::BusinessDate.lte(to));
    if let Some(l) = location {
        select = select.filter(shift::Column::LocationId.eq(l));
    }
    let mut by: BTreeMap<(NaiveDate, Uuid), OverShort> = BTreeMap::new();
    for s in select.all(&tx).await? {
        let period = if monthly {
            s.business_date.with_day(1).unwrap_or(s.business_date)
        } else {
            s.business_date
        };
        let row = by
            .entry((period, s.location_id))
            .or_insert_with(|| OverShort {
                location: s.location_id,
                currency: s.currency.clone(),
                period,
                ..OverShort::default()
            });
        let diff = s.over_short.unwrap_or(0);
        row.shifts += 1;
        row.expected += s.expected.unwrap_or(0);
        row.counted += s.counted.unwrap_or(0);
        row.over_short += diff;
        row.off += i64::from(diff != 0);
    }
    Ok(by.into_values().collect())
}

/// A closed shift whose stored figure is not what its terminal's ledger
/// gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftDifference {
    pub shift: Uuid,
    pub field: &'static str,
    pub stored: i64,
    pub expected: i64,
}

/// Recomputes the closed shifts opened from `from` to `to` from the
/// ledger, inside `tx`, and corrects any stored figure that differs (the
/// counted amount is the terminal's and is never changed).
pub async fn check(tx: &TenantTx, from: NaiveDate, to: NaiveDate) -> Result<Vec<ShiftDifference>> {
    let closed = tx
        .select::<shift::Entity>()
        .filter(shift::Column::Status.eq(CLOSED))
        .filter(shift::Column::BusinessDate.gte(from))
        .filter(shift::Column::BusinessDate.lte(to))
        .all(tx)
        .await?;
    let mut out = Vec::new();
    for s in closed {
        out.extend(correct(tx, s).await?);
    }
    Ok(out)
}

/// A refund that waited for its sale was applied after its terminal's
/// shift closed: the closed shifts whose range holds its sequence are
/// worked out again (their cash refunds, expected and over/short).
pub async fn after_late_event(tx: &TenantTx, terminal: Uuid, sequence: i64) -> Result<()> {
    let closed = tx
        .select::<shift::Entity>()
        .filter(shift::Column::TerminalId.eq(terminal))
        .filter(shift::Column::Status.eq(CLOSED))
        .filter(shift::Column::OpenSequence.lt(sequence))
        .filter(shift::Column::CloseSequence.gt(sequence))
        .all(tx)
        .await?;
    for s in closed {
        correct(tx, s).await?;
    }
    Ok(())
}

/// Recomputes one closed shift's figures and corrects any that differs.
async fn correct(tx: &TenantTx, s: shift::Model) -> Result<Vec<ShiftDifference>> {
    let mut out = Vec::new();
    {
        let Some(close) = s.close_sequence else {
            return Ok(out);
        };
        let t = totals(tx, s.terminal_id, s.open_sequence, close).await?;
        let expected = t.expected(s.opening_float);
        let counted = s.counted.unwrap_or(0);
        let figures = [
            (
                "cash_sales",
                shift::Column::CashSales,
                s.cash_sales,
                t.cash_sales,
            ),
            (
                "cash_refunds",
                shift::Column::CashRefunds,
                s.cash_refunds,
                t.cash_refunds,
            ),
            (
                "cash_voids",
                shift::Column::CashVoids,
                s.cash_voids,
                t.cash_voids,
            ),
            ("pay_ins", shift::Column::PayIns, s.pay_ins, t.pay_ins),
            ("pay_outs", shift::Column::PayOuts, s.pay_outs, t.pay_outs),
            ("drops", shift::Column::Drops, s.drops, t.drops),
            ("expected", shift::Column::Expected, s.expected, expected),
            (
                "over_short",
                shift::Column::OverShort,
                s.over_short,
                counted - expected,
            ),
        ];
        for (field, column, stored, want) in figures {
            if stored == Some(want) {
                continue;
            }
            tx.update_many::<shift::Entity>()
                .col_expr(column, Expr::value(want))
                .filter(shift::Column::Id.eq(s.id))
                .exec(tx)
                .await?;
            out.push(ShiftDifference {
                shift: s.id,
                field,
                stored: stored.unwrap_or(0),
                expected: want,
            });
        }
    }
    Ok(out)
}

//! The one path into the ledger: applying a validated SALE, REFUND or VOID
//! event of a terminal whose ledger head is locked.
//!
//! Each apply function reads and checks everything first and writes only
//! once the event is known to be valid, so a rejection leaves nothing
//! behind in the transaction.

/// Unwraps a check, or returns its rejection as the apply's outcome.
macro_rules! check {
    ($e:expr) => {
        match $e {
            Ok(value) => value,
            Err(rejection) => return Ok(Err(rejection)),
        }
    };
}

mod floor;
mod memo;
mod refund;
mod refund_lines;
mod sale;
mod sale_lines;
mod void;

pub use memo::{Memo, Writes};
#[cfg(feature = "bench-switches")]
pub use memo::{SKIP_WRITES, Skip};
pub use sale::unit_of;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use entity::{ledger_anomaly, sale_state, sync_issue, tenant};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, IntoActiveModel, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use super::event::{Event, EventBody, EventType};
use super::ledger::Head;
use super::rejection::{Checked, Reason, Rejection};
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::money::RoundingMode;
use crate::money::tax::RoundingLevel;
use crate::money::tax::{PriceMode, TaxPolicy};
use crate::tenancy::TenantTx;

/// What applying an event produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub kind: EventType,
    /// The sale, refund or void.
    pub record_id: Uuid,
    /// Sales, refunds and voids have one; stock and cash events do not.
    pub receipt_number: Option<String>,
    /// False when the event repeated one already in the ledger (the same
    /// record id and content, or a second void of a voided sale): nothing
    /// new was written, and the answer is the first one's.
    pub new: bool,
}

/// Everything an apply needs besides the event.
pub struct Ctx<'a> {
    pub session: &'a Session,
    pub head: &'a mut Head,
    pub tenant: tenant::Model,
    pub now: DateTime<Utc>,
    /// Catalog reads and buffered rows of the unit of work; the caller
    /// flushes `memo.writes` before committing.
    pub memo: &'a mut Memo,
}

impl Ctx<'_> {
    fn time_zone(&self) -> Result<Tz> {
        crate::org::locations::stored_zone(&self.head.location.time_zone)
    }

    /// The report cell of an event of this terminal made at `at`.
    fn cell(&self, date: NaiveDate, at: DateTime<Utc>) -> Result<crate::sales::rollup::Cell> {
        Ok(crate::sales::rollup::Cell::at(
            self.head.location.id,
            self.head.terminal.id,
            date,
            at,
            self.time_zone()?,
        ))
    }

    /// The calendar date of `at` at the terminal's location.
    fn business_date(&self, at: DateTime<Utc>) -> Result<NaiveDate> {
        Ok(at.with_timezone(&self.time_zone()?).date_naive())
    }

    fn policy(&self) -> TaxPolicy {
        TaxPolicy {
            prices: if self.head.location.prices_include_tax {
                PriceMode::TaxInclusive
            } else {
                PriceMode::TaxExclusive
            },
            rounding: RoundingMode::from_stored(&self.tenant.rounding_mode),
            level: RoundingLevel::from_stored(&self.tenant.rounding_level),
        }
    }
}

/// A terminal clock more than a day ahead of the server's is wrong; the
/// business date and the taxes in force would be too.
const MAX_CLOCK_LEAD: chrono::Duration = chrono::Duration::hours(24);

/// Applies `event` to the ledger of the locked `ctx.head`.
pub async fn apply(tx: &TenantTx, ctx: &mut Ctx<'_>, event: &Event) -> Result<Checked<Applied>> {
    if event.created_at > ctx.now + MAX_CLOCK_LEAD {
        return Ok(Err(Rejection::at(
            Reason::InvalidTimestamp,
            "createdAt",
            "createdAt is more than a day ahead of the server's clock",
        )));
    }
    if !matches!(event.body, EventBody::Sale(_)) {
        // Refunds and voids read the ledger: let them see every sale so far.
        ctx.memo.writes.flush(tx).await?;
    }
    match &event.body {
        EventBody::Sale(p) => sale::apply(tx, ctx, event, p).await,
        EventBody::Refund(p) => refund::apply(tx, ctx, event, p).await,
        EventBody::Void(p) => void::apply(tx, ctx, event, p).await,
        EventBody::StockReceive(p) => floor::stock_receive(tx, ctx, event, p).await,
        EventBody::StockCount(p) => floor::stock_count(tx, ctx, event, p).await,
        EventBody::ShiftOpen(p) => floor::shift_open(tx, ctx, event, p).await,
        EventBody::CashMovement(p) => floor::cash_movement(tx, ctx, event, p).await,
        EventBody::ShiftClose(p) => floor::shift_close(tx, ctx, event, p).await,
    }
}

/// Locks a sale's state row, so refunds and voids of one sale, from any
/// terminal, run one at a time.
///
/// The row is made by the first refund or void of the sale, not with the
/// sale: most sales never get one, and a row per sale was one more row
/// and index entry on every sale pushed. No row reads as no refunds and
/// not voided. Two first refunds at once both insert; PostgreSQL makes the
/// second wait for the first's commit and then insert nothing, and both
/// then take the lock in turn.
async fn lock_sale_state(tx: &TenantTx, sale: Uuid) -> Result<sale_state::Model> {
    tx.insert_on_conflict(
        sale_state::ActiveModel {
            tenant_id: Set(tx.tenant()),
            sale_id: Set(sale),
            refund_count: Set(0),
            voided: Set(false),
        },
        OnConflict::columns([sale_state::Column::TenantId, sale_state::Column::SaleId])
            .do_nothing()
            .to_owned(),
    )
    .await?;
    tx.select::<sale_state::Entity>()
        .filter(sale_state::Column::SaleId.eq(sale))
        .lock_exclusive()
        .one(tx)
        .await?
        .ok_or_else(|| AppError::internal("sale without its state row"))
}

/// An anomaly to record with a record.
struct Anomaly {
    kind: &'static str,
    line_no: Option<i32>,
    expected: i64,
    reported: i64,
}

/// Keeps the anomalies of a record, and lists each among the sync issues
/// managers review.
fn record_anomalies(ctx: &mut Ctx<'_>, event: &Event, record: Uuid, anomalies: Vec<Anomaly>) {
    let mut issues = Vec::with_capacity(anomalies.len());
    let mut rows = Vec::with_capacity(anomalies.len());
    for a in anomalies {
        let line = a
            .line_no
            .map(|n| format!(" on line {n}"))
            .unwrap_or_default();
        issues.push(sync_issue::ActiveModel {
            id: Set(Uuid::now_v7()),
            kind: Set("ANOMALY".into()),
            terminal_id: Set(ctx.head.terminal.id),
            sequence: Set(Some(event.sequence)),
            code: Set(a.kind.into()),
            message: Set(format!(
                "the terminal reported {}{line}; the server computed {}",
                a.reported, a.expected
            )),
            record_id: Set(Some(record)),
            payload: Set(None),
            created_at: Set(ctx.now),
            ..Default::default()
        });
        rows.push(ledger_anomaly::ActiveModel {
            id: Set(Uuid::now_v7()),
            record_id: Set(record),
            terminal_id: Set(ctx.head.terminal.id),
            kind: Set(a.kind.to_owned()),
            line_no: Set(a.line_no),
            expected: Set(a.expected),
            reported: Set(a.reported),
            created_at: Set(ctx.now),
            ..Default::default()
        });
    }
    ctx.memo.writes.anomalies.extend(rows);
    ctx.memo.writes.issues.extend(issues);
}

/// A record id already in the ledger: the same event again is answered
/// with that record (nothing new written); different content reusing the
/// id is refused.
async fn repeat(
    tx: &TenantTx,
    kind: EventType,
    (record_id, receipt_number): (Uuid, Option<String>),
    event: &Event,
    field: &str,
) -> Result<Checked<Applied>> {
    if !same_event(tx, record_id, event).await? {
        return Ok(Err(id_reused(field)));
    }
    Ok(Ok(Applied {
        kind,
        record_id,
        receipt_number,
        new: false,
    }))
}

/// The id already used by another record with different content.
fn id_reused(field: &str) -> Rejection {
    Rejection::at(
        Reason::IdReused,
        field,
        format!("{field} is already used by a different record"),
    )
}

/// Whether the event that made `record` carried the same payload as
/// `event` (its clock aside: an online retry is stamped anew): then a
/// second arrival is the same record, not a new one.
async fn same_event(tx: &TenantTx, record: Uuid, event: &Event) -> Result<bool> {
    let stored: Vec<String> = tx
        .select::<entity::sync_event::Entity>()
        .select_only()
        .column(entity::sync_event::Column::Payload)
        .filter(entity::sync_event::Column::RecordId.eq(record))
        .into_tuple()
        .all(tx)
        .await?;
    let body = serde_json::to_value(&event.body).map_err(AppError::internal)?;
    Ok(stored.iter().any(|text| {
        serde_json::from_str::<serde_json::Value>(text).is_ok_and(|v| {
            v.get("payload") == body.get("payload") && v.get("type") == body.get("type")
        })
    }))
}

/// Models as active models with every column set, for inserting.
fn all_set<M, A>(rows: Vec<M>) -> Vec<A>
where
    M: IntoActiveModel<A>,
    A: ActiveModelTrait,
{
    rows.into_iter()
        .map(|m| m.into_active_model().reset_all())
        .collect()
}

/// A ledger line's tax rows, one per rate in force, with its amount.
pub(super) fn line_taxes<'a>(
    tenant: Uuid,
    record_id: Uuid,
    line_no: i32,
    rates: &'a [entity::tax_rate::Model],
    amounts: &'a [i64],
) -> impl Iterator<Item = entity::line_tax::Model> + 'a {
    rates
        .iter()
        .zip(amounts)
        .enumerate()
        .map(move |(position, (rate, amount))| entity::line_tax::Model {
            tenant_id: tenant,
            record_id,
            line_no,
            position: position as i32,
            tax_rate_id: rate.id,
            name: rate.name.clone(),
            rate_ppm: rate.rate_ppm,
            amount: *amount,
        })
}

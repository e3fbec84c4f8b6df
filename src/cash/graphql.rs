//! Shifts in GraphQL: the `shifts` query for managers, and the Shift type
//! the Z-report also shows.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{cash_movement, shift};

use super::reports;
use super::shifts::{self, ShiftFilter};
use crate::auth::Staff;
use crate::graphql::ContextExt;
use crate::graphql::pagination::Page;
use crate::graphql::scalars::{Amount, Period};
use crate::validate;

fn id(u: uuid::Uuid) -> ID {
    ID(u.to_string())
}

/// A pay-in, pay-out or drop.
#[derive(SimpleObject)]
pub struct CashMovement {
    id: ID,
    /// PAY_IN, PAY_OUT or DROP.
    kind: String,
    amount: Amount,
    reason: String,
    at: DateTime<Utc>,
}

impl From<cash_movement::Model> for CashMovement {
    fn from(m: cash_movement::Model) -> Self {
        Self {
            id: id(m.id),
            kind: m.kind,
            amount: Amount(m.amount),
            reason: m.reason,
            at: m.at,
        }
    }
}

/// A cash-drawer shift of one terminal. Amounts are minor units of
/// `currency`; the figures after the float are set when it closes.
pub struct Shift(pub shift::Model);

#[Object]
impl Shift {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn terminal_id(&self) -> ID {
        id(self.0.terminal_id)
    }
    async fn location_id(&self) -> ID {
        id(self.0.location_id)
    }
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// OPEN or CLOSED.
    async fn status(&self) -> &str {
        &self.0.status
    }
    async fn business_date(&self) -> NaiveDate {
        self.0.business_date
    }
    async fn opened_at(&self) -> DateTime<Utc> {
        self.0.opened_at
    }
    async fn opened_by(&self) -> &str {
        &self.0.opened_by
    }
    /// Counted into the drawer on opening.
    async fn opening_float(&self) -> Amount {
        Amount(self.0.opening_float)
    }
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
    async fn closed_by(&self) -> Option<&str> {
        self.0.closed_by.as_deref()
    }
    /// Cash tendered on the shift's sales, less change.
    async fn cash_sales(&self) -> Option<Amount> {
        self.0.cash_sales.map(Amount)
    }
    /// Cash given back on its refunds.
    async fn cash_refunds(&self) -> Option<Amount> {
        self.0.cash_refunds.map(Amount)
    }
    /// Cash given back on the sales its voids cancelled.
    async fn cash_voids(&self) -> Option<Amount> {
        self.0.cash_voids.map(Amount)
    }
    async fn pay_ins(&self) -> Option<Amount> {
        self.0.pay_ins.map(Amount)
    }
    async fn pay_outs(&self) -> Option<Amount> {
        self.0.pay_outs.map(Amount)
    }
    async fn drops(&self) -> Option<Amount> {
        self.0.drops.map(Amount)
    }
    /// Float + cash sales − cash refunds − cash voids + pay-ins − pay-outs
    /// − drops.
    async fn expected(&self) -> Option<Amount> {
        self.0.expected.map(Amount)
    }
    async fn counted(&self) -> Option<Amount> {
        self.0.counted.map(Amount)
    }
    /// Counted less expected: positive over, negative short.
    async fn over_short(&self) -> Option<Amount> {
        self.0.over_short.map(Amount)
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn movements(&self, ctx: &Context<'_>) -> Result<Vec<CashMovement>> {
        let tx = ctx.db()?.read(ctx.session()?).await?;
        let mut all = shifts::movements_of(&tx, &[self.0.id]).await?;
        Ok(all
            .remove(&self.0.id)
            .unwrap_or_default()
            .into_iter()
            .map(CashMovement::from)
            .collect())
    }
}

#[derive(Default)]
pub struct CashQuery;

#[Object]
impl CashQuery {
    /// Cash-drawer shifts, in the order they were opened.
    #[graphql(guard = "Staff::managers()")]
    #[allow(clippy::too_many_arguments)]
    async fn shifts(
        &self,
        ctx: &Context<'_>,
        terminal_id: Option<ID>,
        location_id: Option<ID>,
        #[graphql(desc = "Business dates from, inclusive.")] from: Option<NaiveDate>,
        #[graphql(desc = "Business dates until, exclusive.")] until: Option<NaiveDate>,
        #[graphql(default)] open_only: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, Shift>> {
        let page = Page::new(first, after.as_deref())?;
        let filter = ShiftFilter {
            terminal: terminal_id
                .as_ref()
                .map(|t| validate::id("terminalId", t))
                .transpose()?,
            location: location_id
                .as_ref()
                .map(|l| validate::id("locationId", l))
                .transpose()?,
            from,
            until,
            open_only,
        };
        let rows = shifts::list(
            ctx.session()?,
            ctx.db()?,
            &filter,
            page.after,
            page.first as u64 + 1,
        )
        .await?;
        Ok(page.connection(rows, |s| s.id, Shift))
    }

    /// Closed shifts' expected and counted cash and their over/short, per
    /// location and day or month (by the business date they opened on),
    /// from `from` to `to` inclusive; at most 400 days.
    #[graphql(guard = "Staff::managers()")]
    async fn cash_over_short(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
        #[graphql(default)] period: Period,
        location_id: Option<ID>,
    ) -> Result<Vec<CashOverShort>> {
        let location = location_id
            .as_ref()
            .map(|l| validate::id("locationId", l))
            .transpose()?;
        let monthly = period == Period::Month;
        Ok(
            reports::over_short(ctx.session()?, ctx.db()?, (from, to), location, monthly)
                .await?
                .into_iter()
                .map(|r| CashOverShort {
                    location_id: id(r.location),
                    currency: r.currency,
                    period: r.period,
                    shifts: r.shifts,
                    expected: Amount(r.expected),
                    counted: Amount(r.counted),
                    over_short: Amount(r.over_short),
                    shifts_off: r.off,
                })
                .collect(),
        )
    }
}

/// The closed shifts of one location and period, together.
#[derive(SimpleObject)]
pub struct CashOverShort {
    location_id: ID,
    currency: String,
    /// The period's first day.
    period: NaiveDate,
    shifts: i64,
    expected: Amount,
    counted: Amount,
    /// Counted less expected: positive over, negative short.
    over_short: Amount,
    /// Shifts that were not exact.
    shifts_off: i64,
}

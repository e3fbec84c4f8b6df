//! Stock queries, for staff.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};

use super::types::{StockFlow, StockMovement, StockMovementKind, StockTransfer, StockValuation};
use crate::auth::Staff;
use crate::catalog::graphql::stock::StockLevel;
use crate::graphql::ContextExt;
use crate::graphql::pagination::Page;
use crate::graphql::scalars::Period;
use crate::stock::levels::{self, LevelFilter, MovementFilter, Only};
use crate::stock::{reports, transfers};
use crate::validate;

fn optional_id(field: &str, id: Option<&ID>) -> crate::error::Result<Option<uuid::Uuid>> {
    id.map(|i| validate::id(field, i)).transpose()
}

async fn levels_page(
    ctx: &Context<'_>,
    location_id: &ID,
    filter: LevelFilter,
    first: Option<i32>,
    after: Option<String>,
) -> Result<Connection<String, StockLevel>> {
    let page = Page::new(first, after.as_deref())?;
    let location = validate::id("locationId", location_id)?;
    let rows = levels::list(
        ctx.session()?,
        ctx.db()?,
        location,
        &filter,
        page.after,
        page.first as u64 + 1,
    )
    .await?;
    Ok(page.connection(rows, |l| l.variant.id, StockLevel))
}

#[derive(Default)]
pub struct StockReadQuery;

#[Object]
impl StockReadQuery {
    /// Every variant that tracks stock, with its level at a location, in
    /// variant order.
    #[graphql(guard = "Staff::any()")]
    async fn stock_levels(
        &self,
        ctx: &Context<'_>,
        location_id: ID,
        #[graphql(desc = "The start of the SKU.")] sku: Option<String>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, StockLevel>> {
        let filter = LevelFilter {
            sku,
            only: Only::All,
        };
        levels_page(ctx, &location_id, filter, first, after).await
    }

    /// Levels at or below their low-stock threshold at a location.
    #[graphql(guard = "Staff::any()")]
    async fn low_stock(
        &self,
        ctx: &Context<'_>,
        location_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, StockLevel>> {
        let filter = LevelFilter {
            sku: None,
            only: Only::Low,
        };
        levels_page(ctx, &location_id, filter, first, after).await
    }

    /// Levels below zero at a location: more was sold than was known to
    /// be there (a sale is never refused for stock).
    #[graphql(guard = "Staff::any()")]
    async fn negative_stock(
        &self,
        ctx: &Context<'_>,
        location_id: ID,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, StockLevel>> {
        let filter = LevelFilter {
            sku: None,
            only: Only::Negative,
        };
        levels_page(ctx, &location_id, filter, first, after).await
    }

    /// The stock ledger, in the order it was recorded.
    #[graphql(guard = "Staff::any()")]
    #[allow(clippy::too_many_arguments)]
    async fn stock_movements(
        &self,
        ctx: &Context<'_>,
        location_id: Option<ID>,
        variant_id: Option<ID>,
        kind: Option<StockMovementKind>,
        #[graphql(desc = "Recorded at or after.")] from: Option<DateTime<Utc>>,
        #[graphql(desc = "Recorded before.")] until: Option<DateTime<Utc>>,
        #[graphql(desc = "Of one sale, refund, void, transfer or stock document.")]
        source_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, StockMovement>> {
        let page = Page::new(first, after.as_deref())?;
        let filter = MovementFilter {
            location: optional_id("locationId", location_id.as_ref())?,
            variant: optional_id("variantId", variant_id.as_ref())?,
            kind: kind.map(Into::into),
            from,
            until,
            source: optional_id("sourceId", source_id.as_ref())?,
        };
        let rows = levels::movements(
            ctx.session()?,
            ctx.db()?,
            &filter,
            page.after,
            page.first as u64 + 1,
        )
        .await?;
        Ok(page.connection(rows, |m| m.id, StockMovement))
    }

    /// A transfer by id; null if there is none in this tenant.
    #[graphql(guard = "Staff::any()")]
    async fn stock_transfer(&self, ctx: &Context<'_>, id: ID) -> Result<Option<StockTransfer>> {
        let id = validate::id("id", &id)?;
        Ok(transfers::get(ctx.session()?, ctx.db()?, id)
            .await?
            .map(StockTransfer))
    }

    /// Transfers from or to a location (or all), oldest first.
    #[graphql(guard = "Staff::any()")]
    async fn stock_transfers(
        &self,
        ctx: &Context<'_>,
        location_id: Option<ID>,
        #[graphql(default)] in_transit_only: bool,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, StockTransfer>> {
        let page = Page::new(first, after.as_deref())?;
        let location = optional_id("locationId", location_id.as_ref())?;
        let rows = transfers::list(
            ctx.session()?,
            ctx.db()?,
            location,
            in_transit_only,
            page.after,
            page.first as u64 + 1,
        )
        .await?;
        Ok(page.connection(rows, |t| t.transfer.id, StockTransfer))
    }

    /// What stock on hand is worth at its moving-average cost, per
    /// location (or one).
    #[graphql(guard = "Staff::managers()")]
    async fn stock_valuation(
        &self,
        ctx: &Context<'_>,
        location_id: Option<ID>,
    ) -> Result<Vec<StockValuation>> {
        let location = optional_id("locationId", location_id.as_ref())?;
        Ok(reports::valuation(ctx.session()?, ctx.db()?, location)
            .await?
            .into_iter()
            .map(StockValuation)
            .collect())
    }

    /// Units received, sold, returned, adjusted, counted and transferred,
    /// per location and day or month (by business date), from `from` to
    /// `to` inclusive; at most 400 days.
    #[graphql(guard = "Staff::managers()")]
    async fn stock_flow(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
        #[graphql(default)] period: Period,
        location_id: Option<ID>,
    ) -> Result<Vec<StockFlow>> {
        let location = optional_id("locationId", location_id.as_ref())?;
        let monthly = period == Period::Month;
        Ok(
            reports::flow(ctx.session()?, ctx.db()?, (from, to), location, monthly)
                .await?
                .into_iter()
                .map(StockFlow)
                .collect(),
        )
    }
}

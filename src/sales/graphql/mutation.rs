//! Online recording, for terminals that are connected: each mutation makes
//! the same event a terminal would push, and applies it on the one path.

use async_graphql::{Context, Object, Result};
use chrono::{DateTime, Utc};

use super::inputs::{RefundPayloadInput, SalePayloadInput, VoidPayloadInput};
use super::refund_types::{Refund, SaleVoid};
use super::types::Sale;
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::sales::event::EventBody;
use crate::sales::{ingest, queries};

#[derive(Default)]
pub struct SalesMutation;

fn gone() -> async_graphql::Error {
    AppError::internal("a record just applied cannot be read back").into()
}

#[Object]
impl SalesMutation {
    /// Records a sale made at this device token's terminal. `createdAt` is
    /// the terminal's clock (default: now). Repeating a recorded sale (same
    /// `saleId` and content) returns it unchanged.
    async fn record_sale(
        &self,
        ctx: &Context<'_>,
        input: SalePayloadInput,
        created_at: Option<DateTime<Utc>>,
    ) -> Result<Sale> {
        let (session, db) = (ctx.session()?, ctx.db()?);
        let applied =
            ingest::submit(session, db, EventBody::Sale(input.into()), created_at).await?;
        Ok(Sale(
            queries::sale(session, db, applied.record_id)
                .await?
                .ok_or_else(gone)?,
        ))
    }

    /// Refunds lines of a sale (from any terminal), or, for managers,
    /// items without a receipt.
    async fn refund_sale(
        &self,
        ctx: &Context<'_>,
        input: RefundPayloadInput,
        created_at: Option<DateTime<Utc>>,
    ) -> Result<Refund> {
        let (session, db) = (ctx.session()?, ctx.db()?);
        let applied =
            ingest::submit(session, db, EventBody::Refund(input.into()), created_at).await?;
        Ok(Refund(
            queries::refund(session, db, applied.record_id)
                .await?
                .ok_or_else(gone)?,
        ))
    }

    /// Voids a whole sale of this terminal, on its business day. A second
    /// void of the same sale returns the first.
    async fn void_sale(
        &self,
        ctx: &Context<'_>,
        input: VoidPayloadInput,
        created_at: Option<DateTime<Utc>>,
    ) -> Result<SaleVoid> {
        let (session, db) = (ctx.session()?, ctx.db()?);
        let applied =
            ingest::submit(session, db, EventBody::Void(input.into()), created_at).await?;
        let tx_void = queries::void_by_id(session, db, applied.record_id)
            .await?
            .ok_or_else(gone)?;
        Ok(SaleVoid(tx_void))
    }
}

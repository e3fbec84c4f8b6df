//! Stock mutations, for owners and managers. Input problems come back as
//! `userErrors`.

use async_graphql::{Context, ID, Object, Result, SimpleObject};

use super::inputs::{AdjustStockInput, CountStockInput, ReceiveStockInput, SendStockTransferInput};
use super::types::{StockMovement, StockOutcome, StockTransfer};
use crate::auth::Staff;
use crate::catalog::graphql::stock::StockLevel;
use crate::graphql::ContextExt;
use crate::graphql::payload::{UserError, split};
use crate::graphql::scalars::Decimal3;
use crate::payload;
use crate::stock::{documents, transfers};
use crate::validate;

payload!(StockMovementsPayload, movements, Vec<StockMovement>);
payload!(StockTransferPayload, transfer, StockTransfer);
payload!(StockLevelPayload, stock_level, StockLevel);

/// A transfer received, or received before (DUPLICATE: nothing changed).
#[derive(SimpleObject)]
pub struct ReceiveStockTransferPayload {
    transfer: Option<StockTransfer>,
    outcome: Option<StockOutcome>,
    user_errors: Vec<UserError>,
}

fn movements(
    result: crate::error::Result<Vec<entity::stock_movement::Model>>,
) -> Result<StockMovementsPayload> {
    StockMovementsPayload::from_result(
        result.map(|rows| rows.into_iter().map(StockMovement).collect()),
    )
}

#[derive(Default)]
pub struct StockMutation;

#[Object]
impl StockMutation {
    /// Goods in at a location, with their unit costs.
    #[graphql(guard = "Staff::managers()")]
    async fn receive_stock(
        &self,
        ctx: &Context<'_>,
        input: ReceiveStockInput,
    ) -> Result<StockMovementsPayload> {
        let result = match input.document() {
            Ok(doc) => documents::receive(ctx.session()?, ctx.db()?, doc).await,
            Err(e) => Err(e),
        };
        movements(result)
    }

    /// A correction with a reason: damage, theft, loss…
    #[graphql(guard = "Staff::managers()")]
    async fn adjust_stock(
        &self,
        ctx: &Context<'_>,
        input: AdjustStockInput,
    ) -> Result<StockMovementsPayload> {
        let result = match input.document() {
            Ok(doc) => documents::adjust(ctx.session()?, ctx.db()?, doc).await,
            Err(e) => Err(e),
        };
        movements(result)
    }

    /// A stock take: sets each level to what was counted, recording the
    /// difference.
    #[graphql(guard = "Staff::managers()")]
    async fn count_stock(
        &self,
        ctx: &Context<'_>,
        input: CountStockInput,
    ) -> Result<StockMovementsPayload> {
        let result = match input.document() {
            Ok(doc) => documents::count(ctx.session()?, ctx.db()?, doc).await,
            Err(e) => Err(e),
        };
        movements(result)
    }

    /// Sends goods to another location: off the sender's stock now, in
    /// transit until received.
    #[graphql(guard = "Staff::managers()")]
    async fn send_stock_transfer(
        &self,
        ctx: &Context<'_>,
        input: SendStockTransferInput,
    ) -> Result<StockTransferPayload> {
        let result = match input.document() {
            Ok(doc) => transfers::send(ctx.session()?, ctx.db()?, doc).await,
            Err(e) => Err(e),
        };
        StockTransferPayload::from_result(result.map(StockTransfer))
    }

    /// Receives a transfer in full at its destination. Receiving it again
    /// changes nothing and answers DUPLICATE.
    #[graphql(guard = "Staff::managers()")]
    async fn receive_stock_transfer(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<ReceiveStockTransferPayload> {
        let result = match validate::id("id", &id) {
            Ok(id) => transfers::receive(ctx.session()?, ctx.db()?, id).await,
            Err(e) => Err(e),
        };
        let (done, user_errors) = split(result.map_err(|e| e.at("id")))?;
        let (transfer, outcome) = done.map_or((None, None), |(t, o)| {
            (Some(StockTransfer(t)), Some(StockOutcome::from(o)))
        });
        Ok(ReceiveStockTransferPayload {
            transfer,
            outcome,
            user_errors,
        })
    }

    /// Sets the level at or below which a variant is low on stock at a
    /// location; null clears it.
    #[graphql(guard = "Staff::managers()")]
    async fn set_low_stock_threshold(
        &self,
        ctx: &Context<'_>,
        location_id: ID,
        variant_id: ID,
        threshold: Option<Decimal3>,
    ) -> Result<StockLevelPayload> {
        let (session, db) = (ctx.session()?, ctx.db()?);
        let result = async {
            let location = validate::id("locationId", &location_id)?;
            let variant = validate::id("variantId", &variant_id)?;
            documents::set_threshold(
                session,
                db,
                location,
                variant,
                threshold.map(|t| t.0.milli()),
            )
            .await?;
            let levels =
                crate::stock::levels::levels_of(session, db, &[(location, variant)]).await?;
            levels
                .into_values()
                .next()
                .map(StockLevel)
                .ok_or_else(|| crate::error::AppError::internal("stock level vanished"))
        }
        .await;
        StockLevelPayload::from_result(result)
    }
}

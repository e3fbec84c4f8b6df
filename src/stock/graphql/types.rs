//! Output types: a movement of the ledger and a transfer.

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::stock_movement;

use crate::catalog::graphql::loaders::VariantLoader;
use crate::catalog::graphql::types::Variant;
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::scalars::{Amount, Decimal3};
use crate::money::Quantity;
use crate::org::graphql::Location;
use crate::org::graphql::loaders::LocationLoader;
use crate::stock::ledger::Kind;
use crate::stock::reports;
use crate::stock::transfers::{self, Outcome, Transfer};

fn id(u: uuid::Uuid) -> ID {
    ID(u.to_string())
}

fn quantity(milli: i64) -> Decimal3 {
    Decimal3(Quantity::from_milli(milli))
}

async fn location(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Location> {
    ctx.loader::<LocationLoader>()?
        .load_one(id)
        .await?
        .map(Location)
        .ok_or_else(|| AppError::internal("stock record at a missing location").into())
}

async fn variant(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Variant> {
    ctx.loader::<VariantLoader>()?
        .load_one(id)
        .await?
        .map(Variant)
        .ok_or_else(|| AppError::internal("stock record of a missing variant").into())
}

/// What moved stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum StockMovementKind {
    /// Sold (minus).
    Sale,
    /// Refunded back to stock (plus).
    Refund,
    /// A voided sale's goods back (plus).
    Void,
    /// Goods in (plus).
    Receive,
    /// A correction with a reason.
    Adjust,
    /// Sent to another location (minus).
    TransferOut,
    /// Received from another location (plus).
    TransferIn,
    /// A stock take: the count less the level before it.
    Count,
}

impl From<StockMovementKind> for Kind {
    fn from(k: StockMovementKind) -> Self {
        match k {
            StockMovementKind::Sale => Kind::Sale,
            StockMovementKind::Refund => Kind::Refund,
            StockMovementKind::Void => Kind::Void,
            StockMovementKind::Receive => Kind::Receive,
            StockMovementKind::Adjust => Kind::Adjust,
            StockMovementKind::TransferOut => Kind::TransferOut,
            StockMovementKind::TransferIn => Kind::TransferIn,
            StockMovementKind::Count => Kind::Count,
        }
    }
}

impl From<Kind> for StockMovementKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Sale => StockMovementKind::Sale,
            Kind::Refund => StockMovementKind::Refund,
            Kind::Void => StockMovementKind::Void,
            Kind::Receive => StockMovementKind::Receive,
            Kind::Adjust => StockMovementKind::Adjust,
            Kind::TransferOut => StockMovementKind::TransferOut,
            Kind::TransferIn => StockMovementKind::TransferIn,
            Kind::Count => StockMovementKind::Count,
        }
    }
}

/// One movement of the stock ledger.
pub struct StockMovement(pub stock_movement::Model);

#[Object]
impl StockMovement {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn kind(&self) -> Result<StockMovementKind> {
        Kind::from_stored(&self.0.kind)
            .map(Into::into)
            .ok_or_else(|| AppError::internal("unknown stock movement kind").into())
    }
    async fn location(&self, ctx: &Context<'_>) -> Result<Location> {
        location(ctx, self.0.location_id).await
    }
    async fn variant(&self, ctx: &Context<'_>) -> Result<Variant> {
        variant(ctx, self.0.variant_id).await
    }
    /// Signed: what it added to the level.
    async fn quantity(&self) -> Decimal3 {
        quantity(self.0.quantity)
    }
    /// When it happened (a terminal's clock for a synced sale).
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
    /// The sale, refund, void, transfer or stock document it belongs to.
    async fn source_id(&self) -> ID {
        id(self.0.source_id)
    }
    async fn line_no(&self) -> i32 {
        self.0.line_no
    }
    /// ADJUST: why.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// RECEIVE: the cost per unit, in minor units.
    async fn unit_cost(&self) -> Option<Amount> {
        self.0.unit_cost.map(Amount)
    }
    async fn supplier_reference(&self) -> Option<&str> {
        self.0.supplier_reference.as_deref()
    }
    /// COUNT: the level counted.
    async fn counted(&self) -> Option<Decimal3> {
        self.0.counted.map(quantity)
    }
    async fn terminal_id(&self) -> Option<ID> {
        self.0.terminal_id.map(id)
    }
    async fn transfer_id(&self) -> Option<ID> {
        self.0.transfer_id.map(id)
    }
    /// The token subject that recorded it.
    async fn recorded_by(&self) -> Option<&str> {
        self.0.recorded_by.as_deref()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum StockTransferStatus {
    /// Sent, not yet received: on neither location's hand.
    InTransit,
    Received,
}

/// One variant of a transfer.
#[derive(SimpleObject)]
pub struct StockTransferLine {
    line_no: i32,
    variant_id: ID,
    quantity: Decimal3,
}

/// Goods sent from one location to another.
pub struct StockTransfer(pub Transfer);

#[Object]
impl StockTransfer {
    async fn id(&self) -> ID {
        id(self.0.transfer.id)
    }
    #[allow(clippy::wrong_self_convention)] // `fromLocation`, not a conversion
    async fn from_location(&self, ctx: &Context<'_>) -> Result<Location> {
        location(ctx, self.0.transfer.from_location_id).await
    }
    async fn to_location(&self, ctx: &Context<'_>) -> Result<Location> {
        location(ctx, self.0.transfer.to_location_id).await
    }
    async fn status(&self) -> StockTransferStatus {
        if self.0.transfer.status == transfers::RECEIVED {
            StockTransferStatus::Received
        } else {
            StockTransferStatus::InTransit
        }
    }
    async fn reference(&self) -> Option<&str> {
        self.0.transfer.reference.as_deref()
    }
    async fn lines(&self) -> Vec<StockTransferLine> {
        self.0
            .lines
            .iter()
            .map(|l| StockTransferLine {
                line_no: l.line_no,
                variant_id: id(l.variant_id),
                quantity: quantity(l.quantity),
            })
            .collect()
    }
    async fn sent_at(&self) -> DateTime<Utc> {
        self.0.transfer.sent_at
    }
    async fn sent_by(&self) -> &str {
        &self.0.transfer.sent_by
    }
    async fn received_at(&self) -> Option<DateTime<Utc>> {
        self.0.transfer.received_at
    }
    async fn received_by(&self) -> Option<&str> {
        self.0.transfer.received_by.as_deref()
    }
}

/// What a write did: the first time it applies; a repeat changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum StockOutcome {
    Applied,
    Duplicate,
}

impl From<Outcome> for StockOutcome {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Applied => StockOutcome::Applied,
            Outcome::Duplicate => StockOutcome::Duplicate,
        }
    }
}

/// Stock at cost at one location.
pub struct StockValuation(pub reports::Valuation);

#[Object]
impl StockValuation {
    async fn location(&self, ctx: &Context<'_>) -> Result<Location> {
        location(ctx, self.0.location).await
    }
    /// Variants with something on hand.
    async fn variants(&self) -> i64 {
        self.0.variants
    }
    /// Units on hand (levels below zero count as none).
    async fn units(&self) -> Decimal3 {
        quantity(self.0.units)
    }
    /// On hand at the moving-average cost, in minor units.
    async fn value(&self) -> Amount {
        Amount(self.0.value)
    }
    /// Variants on hand that have no cost yet (not in `value`).
    async fn without_cost(&self) -> i64 {
        self.0.without_cost
    }
}

/// Units moved at one location in one period.
pub struct StockFlow(pub reports::Flow);

#[Object]
impl StockFlow {
    async fn location(&self, ctx: &Context<'_>) -> Result<Location> {
        location(ctx, self.0.location).await
    }
    /// The period's first day.
    async fn period(&self) -> chrono::NaiveDate {
        self.0.period
    }
    async fn received(&self) -> Decimal3 {
        quantity(self.0.received)
    }
    async fn sold(&self) -> Decimal3 {
        quantity(self.0.sold)
    }
    /// Back on stock from refunds and voids.
    async fn returned(&self) -> Decimal3 {
        quantity(self.0.returned)
    }
    async fn adjusted(&self) -> Decimal3 {
        quantity(self.0.adjusted)
    }
    /// The counts' differences.
    async fn counted(&self) -> Decimal3 {
        quantity(self.0.counted)
    }
    async fn transferred_in(&self) -> Decimal3 {
        quantity(self.0.transferred_in)
    }
    async fn transferred_out(&self) -> Decimal3 {
        quantity(self.0.transferred_out)
    }
}

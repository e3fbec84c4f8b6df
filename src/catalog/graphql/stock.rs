//! A variant's stock at a location, as GraphQL shows it: on a Variant
//! (`stockLevel`, through [`StockLevelLoader`]) and in the stock lists.
//! It lives with the catalog's types, which the stock lists use, so that
//! the two GraphQL parts do not import each other.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::types::Variant;
use crate::auth::Session;
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::scalars::{Amount, Decimal3};
use crate::money::{Quantity, RoundingMode, div_round};
use crate::org::graphql::Location;
use crate::org::graphql::loaders::LocationLoader;
use crate::stock::levels::{self, Level};
use crate::tenancy::Db;

pub struct StockLevel(pub Level);

fn quantity(milli: i64) -> Decimal3 {
    Decimal3(Quantity::from_milli(milli))
}

#[Object]
impl StockLevel {
    async fn location(&self, ctx: &Context<'_>) -> Result<Location> {
        ctx.loader::<LocationLoader>()?
            .load_one(self.0.location)
            .await?
            .map(Location)
            .ok_or_else(|| AppError::internal("stock level at a missing location").into())
    }
    async fn variant(&self) -> Variant {
        Variant(self.0.variant.clone())
    }
    /// The sum of the stock ledger here; negative where more was sold
    /// than was known to be there.
    async fn on_hand(&self) -> Decimal3 {
        quantity(self.0.on_hand)
    }
    /// Sent here by transfers not yet received; not on hand.
    async fn in_transit(&self) -> Decimal3 {
        quantity(self.0.in_transit)
    }
    /// At or below this, the variant is low on stock here.
    async fn low_threshold(&self) -> Option<Decimal3> {
        self.0.low_threshold.map(quantity)
    }
    async fn is_low(&self) -> bool {
        self.0.is_low()
    }
    /// Moving average of the receipts' unit costs, in minor units.
    async fn average_cost(&self) -> Option<Amount> {
        self.0.average_cost.map(Amount)
    }
    /// What is on hand is worth at the average cost (nothing for a level
    /// at or below zero); null before any receipt with a cost.
    async fn value(&self) -> Option<Amount> {
        let cost = self.0.average_cost?;
        let on_hand = self.0.on_hand.max(0);
        Some(Amount(div_round(
            i128::from(on_hand) * i128::from(cost),
            1_000,
            RoundingMode::HalfEven,
        ) as i64))
    }
    /// When a movement last changed it; null if none has.
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        self.0.updated_at
    }
}

/// Levels by (location, variant), for the caller's tenant only.
pub struct StockLevelLoader {
    pub db: Db,
    pub session: Session,
}

impl crate::graphql::RequestLoader for StockLevelLoader {
    fn new(db: &Db, session: &Session) -> Self {
        Self {
            db: db.clone(),
            session: session.clone(),
        }
    }
}

impl Loader<(Uuid, Uuid)> for StockLevelLoader {
    type Value = Level;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[(Uuid, Uuid)],
    ) -> Result<HashMap<(Uuid, Uuid), Self::Value>, Self::Error> {
        Ok(levels::levels_of(&self.session, &self.db, keys).await?)
    }
}

/// `Variant.stockLevel`: null where the variant does not track stock.
pub async fn of_variant(
    ctx: &Context<'_>,
    variant: Uuid,
    location: &ID,
) -> Result<Option<StockLevel>> {
    let location = crate::validate::id("locationId", location)?;
    Ok(ctx
        .loader::<StockLevelLoader>()?
        .load_one((location, variant))
        .await?
        .map(StockLevel))
}

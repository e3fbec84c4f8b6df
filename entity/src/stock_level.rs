//! A variant's stock at one location: the sum of its ledger, kept in the
//! same transaction as each movement.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_levels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub location_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub variant_id: Uuid,
    /// Thousandths of the variant's unit; negative where more was sold
    /// than was known to be there.
    pub on_hand: i64,
    /// Sent here by transfers not yet received.
    pub in_transit: i64,
    /// Moving average, in minor units per unit; None before a receipt
    /// with a cost.
    pub average_cost: Option<i64>,
    /// At or below this, the variant is low on stock here.
    pub low_threshold: Option<i64>,
    pub updated_at: DateTimeUtc,
    /// The stock feed's version at this location when it was last
    /// written (`stock_feed`).
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

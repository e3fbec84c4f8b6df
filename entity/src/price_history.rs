//! One price a variant had from an instant on: its base price (location
//! `Uuid::nil()`) or its price at one location (`price` None where the
//! override was removed).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "price_history")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub variant_id: Uuid,
    /// `Uuid::nil()` for the base price.
    #[sea_orm(primary_key, auto_increment = false)]
    pub location_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub valid_from: DateTimeUtc,
    /// Minor units; None: no override from here on.
    pub price: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

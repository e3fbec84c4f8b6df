//! A retail organisation. Its id is the tenant every other row points to.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// ISO 4217: the currency of base prices.
    pub currency: String,
    /// `HALF_EVEN` or `HALF_UP`.
    pub rounding_mode: String,
    /// `LINE` or `ORDER`.
    pub rounding_level: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

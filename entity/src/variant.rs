//! The sellable unit of a product.

use sea_orm::entity::prelude::*;

use crate::enums::{Status, Unit};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "variants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub product_id: Uuid,
    /// Unique per tenant.
    pub sku: String,
    pub name: String,
    /// Option values such as size or colour, as a JSON array of
    /// `{"name": …, "value": …}`.
    pub options: String,
    /// In minor units of the tenant's currency, per unit (per kg for KG).
    pub base_price: i64,
    pub tax_group_id: Uuid,
    pub unit: Unit,
    pub status: Status,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

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
    /// Whether stock is kept for it (`stock_levels`); untracked variants
    /// make no stock movements.
    #[serde(default)]
    pub track_stock: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// Relations carry the tenant in both keys, so a join can never cross
/// tenants.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::product::Entity",
        from = "(Column::TenantId, Column::ProductId)",
        to = "(super::product::Column::TenantId, super::product::Column::Id)"
    )]
    Product,
    #[sea_orm(
        belongs_to = "super::tax_group::Entity",
        from = "(Column::TenantId, Column::TaxGroupId)",
        to = "(super::tax_group::Column::TenantId, super::tax_group::Column::Id)"
    )]
    TaxGroup,
}

impl Related<super::product::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Product.def()
    }
}

impl Related<super::tax_group::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::TaxGroup.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

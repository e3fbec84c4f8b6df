//! Rollup of sale and refund lines per location, terminal, local business
//! date, local hour, variant and tax group. Derived from the ledger in the
//! same transaction that applies each event; `reconcile` rebuilds it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub location_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub terminal_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub business_date: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub hour: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub variant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tax_group_id: Uuid,
    pub product_id: Uuid,
    pub list_amount: i64,
    pub discount: i64,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
    pub quantity_milli: i64,
    pub refund_net: i64,
    pub refund_tax: i64,
    pub refund_gross: i64,
    pub refunded_milli: i64,
    pub void_gross: i64,
    /// Sales whose first line of this variant is counted here.
    pub sales_variant: i64,
    /// Sales whose first line of this product is counted here.
    pub sales_product: i64,
    /// Sales whose first line in this tax group is counted here.
    pub sales_tax_group: i64,
    /// Sales whose first line of this product in this tax group is here.
    pub sales_product_tax_group: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

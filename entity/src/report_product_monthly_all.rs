//! `report_items` summed per local month and product over every location:
//! what tenant-wide reports by product alone over whole months read (a
//! quarter of the variant rows for four variants a product). Only
//! compaction writes it, from `report_items_pending`; reports add the
//! pending rows.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_products_monthly_all")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// The first day of the local month.
    #[sea_orm(primary_key, auto_increment = false)]
    pub business_date: Date,
    #[sea_orm(primary_key, auto_increment = false)]
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
    /// Summed over the product's variants: not a count of sales.
    pub sales_variant: i64,
    /// Sales whose first line of this product is counted here.
    pub sales_product: i64,
    /// Summed over the product's variants and tax groups: not counts of
    /// sales.
    pub sales_tax_group: i64,
    pub sales_product_tax_group: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! A refunded quantity of one sale line (or, without a receipt, of a
//! variant), with its amounts pro-rated exactly from the original line.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refund_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub refund_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub line_no: i32,
    /// The sale's line; `None` without a receipt.
    pub sale_id: Option<Uuid>,
    pub sale_line_no: Option<i32>,
    pub variant_id: Uuid,
    pub tax_group_id: Uuid,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub quantity_milli: i64,
    /// The price per unit: the sale line's, or the one given without a
    /// receipt.
    pub unit_price: i64,
    /// The part of the line's discounts refunded.
    pub discount: i64,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! A sale line, with a snapshot of the variant as it was sold.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sale_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub sale_id: Uuid,
    /// 1-based, in the order the terminal sent the lines.
    #[sea_orm(primary_key, auto_increment = false)]
    pub line_no: i32,
    pub variant_id: Uuid,
    pub product_id: Uuid,
    pub tax_group_id: Uuid,
    pub sku: String,
    pub name: String,
    pub barcode: Option<String>,
    /// `EACH`, `KG` or `LB`.
    pub unit: String,
    /// Thousandths of the unit.
    pub quantity_milli: i64,
    /// Before rules: the location price or the base price.
    pub list_price: i64,
    /// The price charged per unit.
    pub unit_price: i64,
    /// The pricing rules applied, as a JSON array of ids.
    pub rule_ids: String,
    pub list_amount: i64,
    /// Rule discount plus manual discount.
    pub discount: i64,
    /// After discounts, at shelf basis (gross if prices include tax).
    pub amount: i64,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
    /// Set when the line moved stock (its variant tracked stock when it
    /// was sold): the line is then its own SALE stock movement, and this
    /// is the movement's id, time-ordered like every movement's.
    pub stock_movement_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `report_sales` summed per location, terminal and business date: what
//! reports without HOUR read for the days outside whole months. Written
//! with the fine rows, under the terminal's ledger lock.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_sales_daily")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// The local business date.
    #[sea_orm(primary_key, auto_increment = false)]
    pub business_date: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub location_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub terminal_id: Uuid,
    /// Sales not voided.
    pub sales_count: i64,
    pub list_total: i64,
    pub discount_total: i64,
    pub net_total: i64,
    pub tax_total: i64,
    pub total: i64,
    /// Thousandths of a unit sold.
    pub quantity_milli: i64,
    pub refund_count: i64,
    pub refund_net: i64,
    pub refund_tax: i64,
    pub refund_total: i64,
    pub refunded_milli: i64,
    pub void_count: i64,
    pub void_total: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `report_tenders` summed per location, terminal, business date and method.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_tenders_daily")]
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
    #[sea_orm(primary_key, auto_increment = false)]
    pub method: String,
    /// Sales (not voided) paid at least partly with this method.
    pub sales_count: i64,
    /// Paid with this method, less change given.
    pub amount: i64,
    pub refund_count: i64,
    pub refund_amount: i64,
    pub void_count: i64,
    pub void_amount: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

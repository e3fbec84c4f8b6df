//! `report_taxes` summed per location, terminal, local month and tax rate:
//! what tax reports over whole months without HOUR, DAY or WEEK read.
//! Written with the fine rows, under the terminal's ledger lock.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_taxes_monthly")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// The first day of the local month.
    #[sea_orm(primary_key, auto_increment = false)]
    pub business_date: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub location_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub terminal_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub tax_rate_id: Uuid,
    /// The rate's name and size as the ledger first recorded them.
    pub name: String,
    pub rate_ppm: i64,
    /// Net (tax excluded) of the sale lines this rate taxed, voided sales
    /// left out.
    pub taxable: i64,
    pub tax: i64,
    pub refund_taxable: i64,
    pub refund_tax: i64,
    /// What voids took out of `taxable` and `tax`.
    pub void_taxable: i64,
    pub void_tax: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

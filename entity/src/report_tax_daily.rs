//! `report_taxes` summed per location, terminal, business date and tax
//! rate: what tax reports without HOUR read for the days outside whole
//! months. Written with the fine rows, under the terminal's ledger lock.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_taxes_daily")]
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

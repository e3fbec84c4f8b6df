//! Rollup of tax per tax rate, location, terminal, local business date and
//! local hour, with the taxable base it was charged on. A line with two
//! rates counts its net towards both. Derived from the ledger in the same
//! transaction that applies each event; `reconcile` rebuilds it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "report_taxes")]
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
    pub tax_rate_id: Uuid,
    /// The rate's name and size as the ledger recorded them.
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

//! A whole-sale void: its own ledger record that cancels the sale's effect.
//! At most one per sale (a unique key), so a second void cannot count twice.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sale_voids")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub sale_id: Uuid,
    pub terminal_id: Uuid,
    pub location_id: Uuid,
    pub cashier: String,
    pub sequence: i64,
    pub position: i64,
    pub receipt_number: String,
    pub created_at: DateTimeUtc,
    pub received_at: DateTimeUtc,
    pub business_date: Date,
    pub reason: Option<String>,
    /// The voided sale's total, for Z-reports.
    pub total: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

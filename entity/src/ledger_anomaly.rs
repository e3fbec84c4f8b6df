//! A difference between what a terminal reported and what the server
//! computed. Recorded for managers; it never blocks or drops the record.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ledger_anomalies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub record_id: Uuid,
    pub terminal_id: Uuid,
    /// `TOTAL_MISMATCH`, `TAX_MISMATCH` or `PRICE_MISMATCH`.
    pub kind: String,
    pub line_no: Option<i32>,
    /// The server's figure.
    pub expected: i64,
    /// The terminal's figure.
    pub reported: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

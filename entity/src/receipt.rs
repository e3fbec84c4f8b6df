//! One row per ledger record (sale, refund or void) of a terminal, in the
//! order they were appended: the receipt number and the hash chain.
//!
//! `hash = sha256(prev_hash ‖ canonical record)`, where the canonical
//! record is rebuilt from the sale, refund or void rows themselves, so
//! altering any of them breaks the chain at that position.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "receipts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub terminal_id: Uuid,
    /// 1, 2, 3 … without gaps.
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i64,
    /// `SALE`, `REFUND` or `VOID`.
    pub kind: String,
    pub record_id: Uuid,
    /// `LOCATIONCODE-TERMINALCODE-000123`; unique per tenant.
    pub number: String,
    pub business_date: Date,
    pub prev_hash: String,
    pub hash: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

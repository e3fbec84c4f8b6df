//! Per-sale state that refunds and voids take a row lock on, so two of them
//! for one sale (from any terminal or replica) are serialised by the
//! database. Derived from the ledger; the ledger rows stay append-only.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sale_states")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub sale_id: Uuid,
    pub refund_count: i32,
    pub voided: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

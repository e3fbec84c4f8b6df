//! Per-terminal ledger state: the receipt counter and the head of the hash
//! chain. Every append locks this row first, so receipt numbers have no
//! gaps and two writers for one terminal queue in the database, whatever
//! replica they run on.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "terminal_ledgers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub terminal_id: Uuid,
    /// The last receipt position used (0 before the first record).
    pub last_position: i64,
    /// The hash of the record at `last_position` (all zeros before it).
    pub last_hash: String,
    /// The highest event sequence up to which every event is settled.
    pub applied_through: i64,
    pub updated_at: DateTimeUtc,
    /// When the terminal last pushed events.
    pub last_push_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

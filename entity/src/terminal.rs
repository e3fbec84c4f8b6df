//! A POS device registered at one location.

use sea_orm::entity::prelude::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TerminalStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    /// Final: a revoked terminal's tokens stop working at once, and it
    /// cannot be reactivated (register a new terminal instead).
    #[sea_orm(string_value = "REVOKED")]
    Revoked,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "terminals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub location_id: Uuid,
    /// Unique per location; the second part of every receipt number.
    pub code: String,
    pub name: String,
    pub status: TerminalStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

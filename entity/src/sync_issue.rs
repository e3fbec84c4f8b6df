//! Something a manager should see about a terminal's stream: a conflicting
//! reuse of a sequence, a rejected event, or an anomaly in an applied one.
//! Append-only.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_issues")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// UUIDv7: in the order the issues arose.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `CONFLICT`, `REJECTION` or `ANOMALY`.
    pub kind: String,
    pub terminal_id: Uuid,
    pub sequence: Option<i64>,
    pub code: String,
    pub message: String,
    /// The sale, refund or void concerned, if any.
    pub record_id: Option<Uuid>,
    /// The payload involved: for a conflict the one refused (the stored
    /// event keeps the first), for a rejection the one rejected.
    pub payload: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! One audited action: a mutation or a sync push, who made it, on what,
//! from where, and how it ended. Append-only. Holds ids and codes only:
//! never a token, a secret, a payload or a card number.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// UUIDv7: in the order the actions finished.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: DateTimeUtc,
    /// The token's `sub`.
    pub subject: String,
    /// The token's roles, comma-separated; `DEVICE` for a device token.
    pub roles: String,
    pub terminal_id: Option<Uuid>,
    /// The mutation field, e.g. `createLocation` or `syncPush`.
    pub operation: String,
    /// The client's operation name, if it gave one.
    pub operation_name: Option<String>,
    /// The ids the action named or returned, as a JSON array of strings.
    pub resource_ids: String,
    /// A summary where ids alone say too little (a push's sequences).
    pub detail: Option<String>,
    /// `OK`, `USER_ERROR`, or the error code.
    pub outcome: String,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

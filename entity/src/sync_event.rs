//! Every event a terminal sent, by `(tenant, terminal, sequence)`. The
//! ledger is written only by applying these.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sync_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub terminal_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub sequence: i64,
    /// `SALE`, `REFUND` or `VOID`.
    pub kind: String,
    /// The canonical JSON of the typed payload (card numbers masked).
    pub payload: String,
    /// sha256 of the canonical event, to tell duplicates from conflicts.
    pub payload_hash: String,
    pub created_at: DateTimeUtc,
    pub received_at: DateTimeUtc,
    /// `APPLIED`, `QUEUED` (held behind a gap), `PENDING` (settled in the
    /// stream, waiting for another terminal's sale) or `REJECTED`.
    pub status: String,
    pub code: Option<String>,
    pub message: Option<String>,
    /// The sale, refund or void the event produced.
    pub record_id: Option<Uuid>,
    pub settled_at: Option<DateTimeUtc>,
    /// A refund recorded before its original sale (made on another
    /// terminal) has arrived: the sale it waits for. It is linked, checked
    /// and applied when that sale arrives; the terminal's stream goes on.
    pub awaits_sale: Option<Uuid>,
    /// The `sub` of the token that pushed it: the cashier of what it
    /// records, also when it is applied later.
    pub pushed_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! The Sync Service's GraphQL inputs and enums: the pushed event, with one
//! typed payload per type (a oneOf input), and the issue filter.

use async_graphql::{Enum, ID, InputObject, OneofObject};
use chrono::{DateTime, Utc};

use crate::sales::graphql::inputs::{
    CashMovementPayloadInput, EventType, RefundPayloadInput, SalePayloadInput,
    ShiftClosePayloadInput, ShiftOpenPayloadInput, StockCountPayloadInput,
    StockReceivePayloadInput, VoidPayloadInput,
};
use crate::sync::{input, status};

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(
    name = "SyncStatus",
    remote = "crate::sync::push::Status",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum Status {
    /// In the ledger (or, with code AWAITING_SALE, a refund recorded in the
    /// stream that is applied when its sale arrives from another terminal).
    Applied,
    /// Seen before with the same content; `originalStatus` is its outcome.
    Duplicate,
    /// Held behind a gap; applied automatically once the gap fills.
    Queued,
    /// The sequence was used before with different content. The stored
    /// event stands; this one is kept among the sync issues.
    Conflict,
    /// Not applicable to the ledger (see `code`). It consumed its sequence,
    /// unless its code is FORBIDDEN, INVALID_SEQUENCE or TYPE_MISMATCH.
    Rejected,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(
    remote = "crate::sync::status::SyncIssueKind",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum SyncIssueKind {
    Conflict,
    Rejection,
    Anomaly,
}

#[derive(Debug, Clone, Default, InputObject)]
pub struct SyncIssueFilter {
    pub terminal_ids: Option<Vec<ID>>,
    pub kinds: Option<Vec<SyncIssueKind>>,
}

impl From<SyncIssueFilter> for status::SyncIssueFilter {
    fn from(f: SyncIssueFilter) -> Self {
        Self {
            terminal_ids: f
                .terminal_ids
                .map(|ids| ids.into_iter().map(String::from).collect()),
            kinds: f
                .kinds
                .map(|kinds| kinds.into_iter().map(Into::into).collect()),
        }
    }
}

/// Exactly one payload, matching `type` (`sale` for SALE, `stockReceive`
/// for STOCK_RECEIVE…).
#[derive(Debug, Clone, OneofObject)]
#[graphql(name = "SalesEventPayloadInput")]
pub enum PayloadInput {
    Sale(SalePayloadInput),
    Refund(RefundPayloadInput),
    Void(VoidPayloadInput),
    StockReceive(StockReceivePayloadInput),
    StockCount(StockCountPayloadInput),
    ShiftOpen(ShiftOpenPayloadInput),
    CashMovement(CashMovementPayloadInput),
    ShiftClose(ShiftClosePayloadInput),
}

impl From<PayloadInput> for input::PayloadInput {
    fn from(p: PayloadInput) -> Self {
        match p {
            PayloadInput::Sale(p) => Self::Sale(p.into()),
            PayloadInput::Refund(p) => Self::Refund(p.into()),
            PayloadInput::Void(p) => Self::Void(p.into()),
            PayloadInput::StockReceive(p) => Self::StockReceive(p.into()),
            PayloadInput::StockCount(p) => Self::StockCount(p.into()),
            PayloadInput::ShiftOpen(p) => Self::ShiftOpen(p.into()),
            PayloadInput::CashMovement(p) => Self::CashMovement(p.into()),
            PayloadInput::ShiftClose(p) => Self::ShiftClose(p.into()),
        }
    }
}

#[derive(Debug, Clone, InputObject)]
pub struct SalesEventInput {
    /// Must be the device token's own terminal.
    pub terminal_id: ID,
    /// Accepted for compatibility and ignored: the tenant is the token's.
    pub tenant_id: Option<ID>,
    /// From 1, without gaps, per terminal.
    pub sequence: i64,
    #[graphql(name = "type")]
    pub kind: EventType,
    pub payload: PayloadInput,
    /// The terminal's clock when the event happened.
    pub created_at: DateTime<Utc>,
}

impl From<SalesEventInput> for input::SalesEventInput {
    fn from(e: SalesEventInput) -> Self {
        Self {
            terminal_id: e.terminal_id.0,
            tenant_id: e.tenant_id.map(String::from),
            sequence: e.sequence,
            kind: e.kind.into(),
            payload: e.payload.into(),
            created_at: e.created_at,
        }
    }
}

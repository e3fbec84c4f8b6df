//! What a push answers for each event: its status (and, for a repeat,
//! the first outcome), and the conflict a reused sequence records.

use chrono::Utc;
use entity::{sync_event, sync_issue};
use sea_orm::Set;
use uuid::Uuid;

use crate::error::Result;
use crate::sales::event::Event;
use crate::tenancy::TenantTx;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// What happened to one pushed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventResult {
    pub sequence: i64,
    pub status: Status,
    pub original_status: Option<Status>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub record_id: Option<Uuid>,
    pub receipt_number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushOutcome {
    /// One per pushed event, in the order pushed.
    pub results: Vec<EventResult>,
    /// Every event up to this sequence is settled.
    pub applied_through: i64,
    /// Sequence ranges (inclusive) the server is waiting for.
    pub missing: Vec<(i64, i64)>,
}

fn stored_status(text: &str) -> Status {
    match text {
        "QUEUED" => Status::Queued,
        "REJECTED" => Status::Rejected,
        _ => Status::Applied,
    }
}

pub(super) fn duplicate(row: &sync_event::Model) -> EventResult {
    EventResult {
        sequence: row.sequence,
        status: Status::Duplicate,
        original_status: Some(stored_status(&row.status)),
        code: row.code.clone(),
        message: row.message.clone(),
        record_id: row.record_id,
        receipt_number: None,
    }
}

pub(super) async fn conflict(
    tx: &TenantTx,
    event: &Event,
    now: chrono::DateTime<Utc>,
) -> Result<EventResult> {
    let message = "this sequence was used before with different content; the first stands";
    tx.insert(sync_issue::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set("CONFLICT".into()),
        terminal_id: Set(event.terminal),
        sequence: Set(Some(event.sequence)),
        code: Set("SEQUENCE_CONFLICT".into()),
        message: Set(message.into()),
        record_id: Set(None),
        payload: Set(Some(event.masked().canonical())),
        created_at: Set(now),
        ..Default::default()
    })
    .await?;
    Ok(EventResult {
        sequence: event.sequence,
        status: Status::Conflict,
        original_status: None,
        code: Some("SEQUENCE_CONFLICT".into()),
        message: Some(message.into()),
        record_id: None,
        receipt_number: None,
    })
}

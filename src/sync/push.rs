//! `syncPush`: a terminal's events, deduplicated by sequence, held behind
//! gaps, and applied in sequence order on the one apply path.
//!
//! A push runs in one transaction with the terminal's ledger head locked
//! (`FOR UPDATE` on PostgreSQL, the write lock on SQLite): two pushes for
//! one terminal, on any replicas, run one after the other, and the second
//! sees the first's events as duplicates. Statuses are returned only once
//! that transaction has committed.

use std::collections::{BTreeMap, HashMap};

use chrono::{SubsecRound, Utc};
use entity::{sync_event, sync_issue, tenant};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::input::{Malformed, SalesEventInput};
use super::pending;
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::sales::apply::{self, Ctx, Memo};
use crate::sales::event::{Event, EventBody, EventType, sha256_hex};
use crate::sales::ledger::{self, Head};
use crate::sales::rejection::Reason;
use crate::tenancy::TenantTx;

/// The most events one push may carry.
pub const MAX_BATCH: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
#[graphql(name = "SyncStatus", rename_items = "SCREAMING_SNAKE_CASE")]
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

/// How an event settled in the stream.
pub(super) enum Settled {
    Applied(apply::Applied),
    /// A refund waiting for another terminal's sale.
    Pending {
        refund: Uuid,
        sale: Uuid,
    },
    Rejected {
        code: String,
        message: String,
    },
}

pub(super) const AWAITING_SALE: &str = "AWAITING_SALE";

impl Settled {
    /// The sale this settled event added to the ledger, if it did.
    fn new_sale(&self) -> Option<Uuid> {
        match self {
            Self::Applied(a) if a.new && a.kind == EventType::Sale => Some(a.record_id),
            _ => None,
        }
    }

    fn status_text(&self) -> &'static str {
        match self {
            Self::Applied(_) => "APPLIED",
            Self::Pending { .. } => "PENDING",
            Self::Rejected { .. } => "REJECTED",
        }
    }

    fn result(&self, sequence: i64) -> EventResult {
        let mut r = EventResult {
            sequence,
            status: Status::Applied,
            original_status: None,
            code: None,
            message: None,
            record_id: None,
            receipt_number: None,
        };
        match self {
            Self::Applied(a) => {
                r.record_id = Some(a.record_id);
                r.receipt_number = Some(a.receipt_number.clone());
            }
            Self::Pending { refund, sale } => {
                r.code = Some(AWAITING_SALE.into());
                r.message = Some(format!(
                    "recorded; checked and applied when sale {sale} arrives"
                ));
                r.record_id = Some(*refund);
            }
            Self::Rejected { code, message } => {
                r.status = Status::Rejected;
                r.code = Some(code.clone());
                r.message = Some(message.clone());
            }
        }
        r
    }
}

/// Applies `event` and says how it settled; a rejection is kept as a sync
/// issue. Used for events as they arrive and for held ones.
pub(super) async fn settle(tx: &TenantTx, ctx: &mut Ctx<'_>, event: &Event) -> Result<Settled> {
    let rejection = match apply::apply(tx, ctx, event).await? {
        Ok(applied) => return Ok(Settled::Applied(applied)),
        Err(rejection) => rejection,
    };
    if rejection.reason == Reason::SaleNotFound
        && let EventBody::Refund(p) = &event.body
        && let (Some(sale), Ok(refund)) = (
            p.sale_id
                .as_ref()
                .and_then(|s| Uuid::parse_str(s.as_str()).ok()),
            Uuid::parse_str(p.refund_id.as_str()),
        )
    {
        // Another terminal's sale not here yet: never wait on it.
        return Ok(Settled::Pending { refund, sale });
    }
    reject(
        tx,
        event,
        rejection.reason,
        rejection.message,
        event.masked().canonical(),
        ctx.now,
    )
    .await
}

/// Settles a held event that carried a card number (stored masked) as
/// the rejection it would have been on arrival.
async fn refuse_card_number(
    tx: &TenantTx,
    event: &Event,
    now: chrono::DateTime<Utc>,
) -> Result<Settled> {
    let message = "a free-text field holds what looks like a full card number".to_owned();
    // Stored masked already: the payload is kept as it is.
    reject(
        tx,
        event,
        Reason::CardNumberRefused,
        message,
        event.canonical(),
        now,
    )
    .await
}

/// Settles an event as REJECTED and keeps it, with its payload, as a sync
/// issue for managers.
async fn reject(
    tx: &TenantTx,
    event: &Event,
    reason: Reason,
    message: String,
    payload: String,
    now: chrono::DateTime<Utc>,
) -> Result<Settled> {
    let code = reason.as_str().to_owned();
    tx.insert(sync_issue::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set("REJECTION".into()),
        terminal_id: Set(event.terminal),
        sequence: Set(Some(event.sequence)),
        code: Set(code.clone()),
        message: Set(message.clone()),
        record_id: Set(None),
        payload: Set(Some(payload)),
        created_at: Set(now),
        ..Default::default()
    })
    .await?;
    Ok(Settled::Rejected { code, message })
}

fn stored_status(text: &str) -> Status {
    match text {
        "QUEUED" => Status::Queued,
        "REJECTED" => Status::Rejected,
        _ => Status::Applied,
    }
}

fn duplicate(row: &sync_event::Model) -> EventResult {
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

async fn conflict(tx: &TenantTx, event: &Event, now: chrono::DateTime<Utc>) -> Result<EventResult> {
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

/// An event of this push not stored before: where it stands in the push,
/// and its canonical text and hash, computed once.
struct Arrived {
    index: usize,
    event: Event,
    canonical: String,
    hash: String,
}

impl Arrived {
    fn new(index: usize, event: Event) -> Self {
        let canonical = event.canonical();
        let hash = sha256_hex(canonical.as_bytes());
        Self {
            index,
            event,
            canonical,
            hash,
        }
    }
}

/// The stored row for an event, settled or held.
fn row(arrived: Arrived, pushed_by: &str, now: chrono::DateTime<Utc>) -> sync_event::ActiveModel {
    let Arrived {
        event,
        canonical,
        hash,
        ..
    } = arrived;
    // What is stored is masked; most events have nothing to mask, and then
    // it is the canonical text already made for the hash.
    let carries_card_number = event.carries_card_number();
    let payload = if carries_card_number {
        event.masked().canonical()
    } else {
        canonical
    };
    sync_event::ActiveModel {
        terminal_id: Set(event.terminal),
        sequence: Set(event.sequence),
        kind: Set(event.body.kind().as_str().into()),
        payload: Set(payload),
        // A held event is stored masked: remember it carried a card number,
        // so it is refused when its turn comes.
        code: Set(carries_card_number.then(|| Reason::CardNumberRefused.as_str().to_owned())),
        payload_hash: Set(hash),
        created_at: Set(event.created_at),
        received_at: Set(now),
        status: Set("QUEUED".into()),
        message: Set(None),
        record_id: Set(None),
        settled_at: Set(None),
        awaits_sale: Set(None),
        pushed_by: Set(Some(pushed_by.to_owned())),
        ..Default::default()
    }
}

pub(super) fn mark(
    model: &mut sync_event::ActiveModel,
    settled: &Settled,
    now: chrono::DateTime<Utc>,
) {
    model.status = Set(settled.status_text().into());
    model.settled_at = Set(Some(now));
    match settled {
        Settled::Applied(a) => {
            model.record_id = Set(Some(a.record_id));
            model.code = Set(None);
            model.message = Set(None);
            model.awaits_sale = Set(None);
        }
        Settled::Pending { refund, sale } => {
            model.record_id = Set(Some(*refund));
            model.code = Set(Some(AWAITING_SALE.into()));
            model.awaits_sale = Set(Some(*sale));
        }
        Settled::Rejected { code, message } => {
            model.code = Set(Some(code.clone()));
            model.message = Set(Some(message.chars().take(500).collect()));
            model.awaits_sale = Set(None);
        }
    }
}

/// Reads a stored event back.
pub(super) fn decode(row: &sync_event::Model) -> Result<Event> {
    #[derive(serde::Deserialize)]
    struct Stored {
        #[serde(flatten)]
        body: EventBody,
    }
    let stored: Stored = serde_json::from_str(&row.payload).map_err(AppError::internal)?;
    Ok(Event::new(
        row.terminal_id,
        row.sequence,
        row.created_at,
        stored.body,
    ))
}

/// The session an event is applied under: the one that pushed it.
pub(super) fn pusher(session: &Session, row_pushed_by: Option<&str>) -> Session {
    let mut s = session.clone();
    if let Some(sub) = row_pushed_by {
        s.subject = sub.to_owned();
    }
    s
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant, events = inputs.len()))]
pub async fn push(
    session: &Session,
    db: &crate::tenancy::Db,
    inputs: Vec<SalesEventInput>,
) -> Result<PushOutcome> {
    let terminal = session.terminal.ok_or_else(|| {
        AppError::Forbidden("events are pushed with a terminal's device token".into())
    })?;
    if inputs.len() > MAX_BATCH {
        return Err(AppError::bad_input(
            "events",
            format!("at most {MAX_BATCH} events per push"),
        ));
    }
    let sequences: Vec<i64> = inputs.iter().map(|i| i.sequence).collect();
    // Canonical text and hash of every event, before the terminal's
    // ledger (and on SQLite the database's write lock) is taken.
    let parsed: Vec<std::result::Result<Arrived, Malformed>> = inputs
        .into_iter()
        .enumerate()
        .map(|(i, input)| input.into_event(terminal).map(|e| Arrived::new(i, e)))
        .collect();
    let now = Utc::now().trunc_subsecs(6);
    let tx = db.write(session).await?;
    let mut head = ledger::lock(&tx, terminal)
        .await?
        .ok_or_else(|| AppError::Forbidden("this token's terminal does not exist".into()))?;
    let tenant = tx
        .select::<tenant::Entity>()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::internal("session tenant has no row"))?;

    let wanted: Vec<i64> = parsed
        .iter()
        .filter_map(|p| p.as_ref().ok().map(|a| a.event.sequence))
        .collect();
    let stored: HashMap<i64, sync_event::Model> = tx
        .select::<sync_event::Entity>()
        .filter(sync_event::Column::TerminalId.eq(terminal))
        .filter(sync_event::Column::Sequence.is_in(wanted))
        .all(&tx)
        .await?
        .into_iter()
        .map(|r| (r.sequence, r))
        .collect();
    let mut held: BTreeMap<i64, sync_event::Model> = tx
        .select::<sync_event::Entity>()
        .filter(sync_event::Column::TerminalId.eq(terminal))
        .filter(super::Waiting::Queued.filter())
        .order_by_asc(sync_event::Column::Sequence)
        .all(&tx)
        .await?
        .into_iter()
        .map(|r| (r.sequence, r))
        .collect();

    let mut results: Vec<Option<EventResult>> = vec![None; parsed.len()];
    let mut fresh: BTreeMap<i64, Arrived> = BTreeMap::new();
    // The same sequence twice in one push: answered like its first copy.
    let mut repeats: Vec<(usize, i64)> = Vec::new();
    for (i, item) in parsed.into_iter().enumerate() {
        let arrived = match item {
            Ok(arrived) => arrived,
            Err(m) => {
                results[i] = Some(EventResult {
                    sequence: sequences[i],
                    status: Status::Rejected,
                    original_status: None,
                    code: Some(m.code.into()),
                    message: Some(m.message),
                    record_id: None,
                    receipt_number: None,
                });
                continue;
            }
        };
        let (event, hash) = (&arrived.event, &arrived.hash);
        if let Some(row) = stored.get(&event.sequence) {
            results[i] = Some(if row.payload_hash == *hash {
                duplicate(row)
            } else {
                conflict(&tx, event, now).await?
            });
        } else if let Some(first) = fresh.get(&event.sequence) {
            if first.hash == *hash {
                repeats.push((i, event.sequence));
            } else {
                results[i] = Some(conflict(&tx, event, now).await?);
            }
        } else if event.sequence <= head.applied_through {
            return Err(AppError::internal(format!(
                "sequence {} is settled but has no stored event",
                event.sequence
            )));
        } else {
            fresh.insert(event.sequence, arrived);
        }
    }

    // Apply whatever is next in the stream, new or held, in order.
    let mut new_sales = Vec::new();
    let mut memo = Memo::default();
    let sales = fresh.values().filter_map(|a| match &a.event.body {
        EventBody::Sale(p) => Some(p),
        _ => None,
    });
    memo.read_ahead(&tx, sales, head.location.id).await?;
    let mut released = 0;
    loop {
        let next = head.applied_through + 1;
        if let Some(arrived) = fresh.remove(&next) {
            let event = &arrived.event;
            let settled =
                settle_one(&tx, session, &mut head, &tenant, &mut memo, event, now).await?;
            new_sales.extend(settled.new_sale());
            let i = arrived.index;
            let mut model = row(arrived, &session.subject, now);
            mark(&mut model, &settled, now);
            memo.writes.events.push(model);
            results[i] = Some(settled.result(next));
        } else if let Some(stored) = held.remove(&next) {
            released += 1;
            let event = decode(&stored)?;
            let as_pusher = pusher(session, stored.pushed_by.as_deref());
            let settled = if stored.code.as_deref() == Some(Reason::CardNumberRefused.as_str()) {
                refuse_card_number(&tx, &event, now).await?
            } else {
                settle_one(&tx, &as_pusher, &mut head, &tenant, &mut memo, &event, now).await?
            };
            new_sales.extend(settled.new_sale());
            let mut model: sync_event::ActiveModel = stored.into();
            mark(&mut model, &settled, now);
            tx.update(model).await?;
        } else {
            break;
        }
        head.applied_through = next;
    }
    let mut queued: Vec<sync_event::ActiveModel> = Vec::with_capacity(fresh.len());
    let mut waiting: Vec<i64> = held.keys().copied().collect();
    for (sequence, arrived) in fresh {
        let i = arrived.index;
        waiting.push(sequence);
        queued.push(row(arrived, &session.subject, now));
        results[i] = Some(EventResult {
            sequence: sequences[i],
            status: Status::Queued,
            original_status: None,
            code: Some("WAITING_FOR_GAP".into()),
            message: Some(format!(
                "held until sequence {} arrives",
                head.applied_through + 1
            )),
            record_id: None,
            receipt_number: None,
        });
    }
    memo.writes.events.extend(queued);
    memo.writes.flush(&tx).await?;
    for (i, sequence) in repeats {
        let first = results
            .iter()
            .flatten()
            .find(|r| r.sequence == sequence && r.status != Status::Duplicate)
            .cloned();
        results[i] = first.map(|f| EventResult {
            status: Status::Duplicate,
            original_status: Some(f.status),
            ..f
        });
    }
    let missing = gaps(head.applied_through, &waiting);
    head.save_push(&tx, now).await?;
    // The push's audit entry commits with it, counting its statuses.
    let labels: Vec<String> = results
        .iter()
        .flatten()
        .map(|r| format!("{:?}", r.status).to_ascii_lowercase())
        .collect();
    crate::tenancy::journal::note_counts(labels.iter().map(String::as_str));
    tx.commit().await?;
    let m = crate::metrics::metrics();
    for r in results.iter().flatten() {
        m.sync_event(&format!("{:?}", r.status));
    }
    m.sync_released(released);

    // The push is committed and its statuses stand. Releasing refunds that
    // waited for these sales is best effort here: if it fails (the pool is
    // busy, say), the refunding terminal's next push retries it.
    if let Err(e) = pending::release(session, db, terminal, &new_sales).await {
        e.log();
        tracing::warn!(error = %e, "releasing refunds awaiting these sales failed; retried later");
    }
    Ok(PushOutcome {
        results: results.into_iter().flatten().collect(),
        applied_through: head.applied_through,
        missing,
    })
}

async fn settle_one(
    tx: &TenantTx,
    session: &Session,
    head: &mut Head,
    tenant: &tenant::Model,
    memo: &mut Memo,
    event: &Event,
    now: chrono::DateTime<Utc>,
) -> Result<Settled> {
    let mut ctx = Ctx {
        session,
        head,
        tenant: tenant.clone(),
        now,
        memo,
    };
    settle(tx, &mut ctx, event).await
}

/// The ranges missing below the highest held sequence.
pub fn gaps(applied_through: i64, waiting: &[i64]) -> Vec<(i64, i64)> {
    let mut sorted = waiting.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut expected = applied_through + 1;
    let mut out = Vec::new();
    for seq in sorted {
        if seq > expected {
            out.push((expected, seq - 1));
        }
        expected = expected.max(seq + 1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::gaps;

    #[test]
    fn gaps_are_the_ranges_below_held_events() {
        assert_eq!(gaps(0, &[]), vec![]);
        assert_eq!(gaps(3, &[5, 6, 9]), vec![(4, 4), (7, 8)]);
        assert_eq!(gaps(0, &[3, 2]), vec![(1, 1)]);
    }
}

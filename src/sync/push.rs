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
use entity::{sync_event, tenant};
use sea_orm::{ColumnTrait, QueryFilter, Set};
use uuid::Uuid;

use super::input::{Malformed, SalesEventInput};
pub use super::outcome::{EventResult, PushOutcome, Status};
use super::outcome::{conflict, duplicate};
use super::pending;
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::sales::apply::Memo;
use crate::sales::event::{Event, sha256_hex};
use crate::sales::ledger;
use crate::sales::rejection::Reason;
use crate::tenancy::TenantTx;

mod stream;

use self::stream::Stream;

/// The most events one push may carry.
pub const MAX_BATCH: usize = 500;

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

/// One answer per pushed event, in the order pushed, filled in as the
/// push's steps settle them.
struct Answers {
    results: Vec<Option<EventResult>>,
    /// Pushed twice in this push (same content): answered like the first
    /// copy, once that is settled.
    repeats: Vec<(usize, i64)>,
}

impl Answers {
    /// Every answer, with repeats as duplicates of their first copy.
    fn finish(mut self) -> Vec<EventResult> {
        for (i, sequence) in std::mem::take(&mut self.repeats) {
            let first = self
                .results
                .iter()
                .flatten()
                .find(|r| r.sequence == sequence && r.status != Status::Duplicate)
                .cloned();
            self.results[i] = first.map(|f| EventResult {
                status: Status::Duplicate,
                original_status: Some(f.status),
                ..f
            });
        }
        self.results.into_iter().flatten().collect()
    }
}

/// An event that did not parse: its sequence and why.
type Parsed = std::result::Result<Arrived, (i64, Malformed)>;

#[tracing::instrument(skip_all, fields(tenant = %session.tenant, events = inputs.len()))]
pub async fn push(
    session: &Session,
    db: &crate::tenancy::Db,
    inputs: Vec<SalesEventInput>,
) -> Result<PushOutcome> {
    let (terminal, parsed) = check(session, inputs)?;
    let now = Utc::now().trunc_subsecs(6);
    let tx = db.write(session).await?;
    let head = ledger::lock(&tx, terminal)
        .await?
        .ok_or_else(|| AppError::Forbidden("this token's terminal does not exist".into()))?;
    let tenant = tx
        .select::<tenant::Entity>()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::internal("session tenant has no row"))?;
    let (mut answers, mut fresh) =
        classify(&tx, terminal, parsed, head.applied_through, now).await?;
    let mut stream = Stream {
        tx: &tx,
        session,
        head,
        tenant,
        memo: Memo::default(),
        now,
    };
    let mut held = stream.held(terminal).await?;
    let (new_sales, released) = stream
        .apply_in_order(&mut fresh, &mut held, &mut answers)
        .await?;
    let waiting = stream.hold(fresh, &held, &mut answers);
    stream.memo.writes.finish(&tx).await?;
    let head = stream.head;
    head.save_push(&tx, now).await?;
    let results = answers.finish();
    // The push's audit entry commits with it, counting its statuses.
    let labels: Vec<String> = results
        .iter()
        .map(|r| format!("{:?}", r.status).to_ascii_lowercase())
        .collect();
    crate::tenancy::journal::note_counts(labels.iter().map(String::as_str));
    tx.commit().await?;
    let m = crate::metrics::metrics();
    for r in &results {
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
        results,
        missing: gaps(head.applied_through, &waiting),
        applied_through: head.applied_through,
    })
}

/// Who may push and how much; then each event's canonical text and hash,
/// made before the terminal's ledger (and on SQLite the database's write
/// lock) is taken.
fn check(session: &Session, inputs: Vec<SalesEventInput>) -> Result<(Uuid, Vec<Parsed>)> {
    let terminal = session.terminal.ok_or_else(|| {
        AppError::Forbidden("events are pushed with a terminal's device token".into())
    })?;
    if inputs.len() > MAX_BATCH {
        return Err(AppError::bad_input(
            "events",
            format!("at most {MAX_BATCH} events per push"),
        ));
    }
    let parsed = inputs
        .into_iter()
        .enumerate()
        .map(|(i, input)| {
            let sequence = input.sequence;
            input
                .into_event(terminal)
                .map(|e| Arrived::new(i, e))
                .map_err(|m| (sequence, m))
        })
        .collect();
    Ok((terminal, parsed))
}

/// Sorts the pushed events: malformed ones are rejected, those stored
/// before are duplicates (same content) or conflicts (different content),
/// and the rest are new, by sequence.
async fn classify(
    tx: &TenantTx,
    terminal: Uuid,
    parsed: Vec<Parsed>,
    applied_through: i64,
    now: chrono::DateTime<Utc>,
) -> Result<(Answers, BTreeMap<i64, Arrived>)> {
    let wanted: Vec<i64> = parsed
        .iter()
        .filter_map(|p| p.as_ref().ok().map(|a| a.event.sequence))
        .collect();
    let stored: HashMap<i64, sync_event::Model> = tx
        .select::<sync_event::Entity>()
        .filter(sync_event::Column::TerminalId.eq(terminal))
        .filter(sync_event::Column::Sequence.is_in(wanted))
        .all(tx)
        .await?
        .into_iter()
        .map(|r| (r.sequence, r))
        .collect();
    let mut answers = Answers {
        results: vec![None; parsed.len()],
        repeats: Vec::new(),
    };
    let mut fresh: BTreeMap<i64, Arrived> = BTreeMap::new();
    for (i, item) in parsed.into_iter().enumerate() {
        let arrived = match item {
            Ok(arrived) => arrived,
            Err((sequence, m)) => {
                answers.results[i] = Some(EventResult {
                    sequence,
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
            answers.results[i] = Some(if row.payload_hash == *hash {
                duplicate(row)
            } else {
                conflict(tx, event, now).await?
            });
        } else if let Some(first) = fresh.get(&event.sequence) {
            if first.hash == *hash {
                answers.repeats.push((i, event.sequence));
            } else {
                answers.results[i] = Some(conflict(tx, event, now).await?);
            }
        } else if event.sequence <= applied_through {
            return Err(AppError::internal(format!(
                "sequence {} is settled but has no stored event",
                event.sequence
            )));
        } else {
            fresh.insert(event.sequence, arrived);
        }
    }
    Ok((answers, fresh))
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

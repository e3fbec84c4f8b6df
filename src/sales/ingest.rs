//! Online recording: a terminal that is connected (a mobile app registered
//! as a terminal, say) records a sale, refund or void with a mutation. The
//! mutation makes the same event a pushed one would be, with the next
//! sequence of the terminal, and applies it on the same path.

use chrono::{DateTime, SubsecRound, Utc};
use entity::{sync_event, tenant};
use sea_orm::{ColumnTrait, QueryFilter, QuerySelect, Set};

use super::apply::{self, Applied, Ctx};
use super::event::{Event, EventBody};
use super::ledger;
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::tenancy::{Db, TenantTx};

/// Applies `body` as the terminal's next event. A rejected event is
/// answered as an error and leaves nothing behind (the client is online
/// and can correct it); a repeat of a recorded one answers with the record.
#[tracing::instrument(skip_all, fields(tenant = %session.tenant, kind = body.kind().as_str()))]
pub async fn submit(
    session: &Session,
    db: &Db,
    body: EventBody,
    created_at: Option<DateTime<Utc>>,
) -> Result<Applied> {
    let terminal = session.terminal.ok_or_else(|| {
        AppError::Forbidden("sales are recorded with a terminal's device token".into())
    })?;
    let now = Utc::now().trunc_subsecs(6);
    let tx = db.write(session).await?;
    let mut head = ledger::lock(&tx, terminal)
        .await?
        .ok_or_else(|| AppError::Forbidden("this token's terminal does not exist".into()))?;
    let last = last_sequence(&tx, terminal).await?;
    if last != head.applied_through {
        return Err(AppError::conflict(format!(
            "this terminal has events held behind a gap (applied through {}, received up to {last}): push the missing ones first",
            head.applied_through
        )));
    }
    let sequence = last + 1;
    let event = Event::new(terminal, sequence, created_at.unwrap_or(now), body);
    let tenant = tx
        .select::<tenant::Entity>()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::internal("session tenant has no row"))?;
    let mut memo = apply::Memo::default();
    let mut ctx = Ctx {
        session,
        head: &mut head,
        tenant,
        now,
        memo: &mut memo,
    };
    let applied = apply::apply(&tx, &mut ctx, &event).await??;
    if !applied.new {
        return Ok(applied);
    }
    memo.writes.finish(&tx).await?;
    tx.insert(sync_event::ActiveModel {
        terminal_id: Set(terminal),
        sequence: Set(sequence),
        kind: Set(event.body.kind().as_str().into()),
        payload: Set(event.canonical()),
        payload_hash: Set(event.payload_hash()),
        created_at: Set(event.created_at),
        received_at: Set(now),
        status: Set("APPLIED".into()),
        code: Set(None),
        message: Set(None),
        record_id: Set(Some(applied.record_id)),
        settled_at: Set(Some(now)),
        awaits_sale: Set(None),
        pushed_by: Set(Some(session.subject.clone())),
        ..Default::default()
    })
    .await?;
    if head.applied_through + 1 == sequence {
        head.applied_through = sequence;
    }
    head.save(&tx, now).await?;
    tx.commit().await?;
    Ok(applied)
}

/// The highest sequence the terminal has used, 0 before its first event.
pub async fn last_sequence(tx: &TenantTx, terminal: uuid::Uuid) -> Result<i64> {
    let max: Option<Option<i64>> = tx
        .select::<sync_event::Entity>()
        .select_only()
        .column_as(sync_event::Column::Sequence.max(), "max")
        .filter(sync_event::Column::TerminalId.eq(terminal))
        .into_tuple()
        .one(tx)
        .await?;
    Ok(max.flatten().unwrap_or(0))
}

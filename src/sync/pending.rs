//! Refunds recorded before their original sale (made on another terminal)
//! arrived. The refunding terminal's stream never waits: its refund is
//! settled as PENDING, and applied, with all the refund checks, once the
//! sale is in the ledger.
//!
//! Release runs after the push that brought the sale commits, each
//! refund in its own transaction with its terminal's head locked. If the
//! server stops in between, the refunding terminal's next push releases
//! it: every push retries its terminal's pending refunds whose sale has
//! arrived.

use entity::{sale, sync_event, tenant};
use sea_orm::{ColumnTrait, Condition, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::settle::{Settled, decode, mark, pusher, settle};
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::sales::apply::Ctx;
use crate::sales::ledger;
use crate::tenancy::Db;

pub async fn release(session: &Session, db: &Db, terminal: Uuid, sales: &[Uuid]) -> Result<()> {
    let candidates: Vec<sync_event::Model> = {
        let tx = db.read(session).await?;
        let mut which = Condition::any().add(sync_event::Column::TerminalId.eq(terminal));
        if !sales.is_empty() {
            which = which.add(sync_event::Column::AwaitsSale.is_in(sales.iter().copied()));
        }
        let rows = tx
            .select::<sync_event::Entity>()
            .filter(super::Waiting::Pending.filter())
            .filter(which)
            .order_by_asc(sync_event::Column::TerminalId)
            .order_by_asc(sync_event::Column::Sequence)
            .all(&tx)
            .await?;
        let awaited: Vec<Uuid> = rows.iter().filter_map(|r| r.awaits_sale).collect();
        if awaited.is_empty() {
            return Ok(());
        }
        let arrived: Vec<Uuid> = tx
            .select::<sale::Entity>()
            .select_only()
            .column(sale::Column::Id)
            .filter(sale::Column::Id.is_in(awaited))
            .into_tuple()
            .all(&tx)
            .await?;
        rows.into_iter()
            .filter(|r| r.awaits_sale.is_some_and(|s| arrived.contains(&s)))
            .collect()
    };
    for row in candidates {
        apply_pending(session, db, row.terminal_id, row.sequence).await?;
    }
    Ok(())
}

async fn apply_pending(session: &Session, db: &Db, terminal: Uuid, sequence: i64) -> Result<()> {
    let tx = db.write(session).await?;
    let Some(mut head) = ledger::lock(&tx, terminal).await? else {
        return Ok(());
    };
    // Read again under the lock: another replica may have released it.
    let Some(row) = tx
        .select::<sync_event::Entity>()
        .filter(sync_event::Column::TerminalId.eq(terminal))
        .filter(sync_event::Column::Sequence.eq(sequence))
        .filter(super::Waiting::Pending.filter())
        .one(&tx)
        .await?
    else {
        return Ok(());
    };
    let tenant = tx
        .select::<tenant::Entity>()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::internal("session tenant has no row"))?;
    let event = decode(&row)?;
    let as_pusher = pusher(session, row.pushed_by.as_deref());
    let now = chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 6);
    let mut memo = crate::sales::apply::Memo::default();
    let mut ctx = Ctx {
        session: &as_pusher,
        head: &mut head,
        tenant,
        now,
        memo: &mut memo,
    };
    let settled = settle(&tx, &mut ctx, &event).await?;
    if matches!(settled, Settled::Pending { .. }) {
        return Ok(());
    }
    memo.writes.finish(&tx).await?;
    crate::cash::reports::after_late_event(&tx, terminal, sequence).await?;
    let mut model: sync_event::ActiveModel = row.into();
    mark(&mut model, &settled, now);
    tx.update(model).await?;
    head.save(&tx, now).await?;
    tx.commit().await?;
    Ok(())
}

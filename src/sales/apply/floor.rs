//! Applying the events a terminal records beside sales: STOCK_RECEIVE and
//! STOCK_COUNT at its location (`stock::documents`), and its drawer's
//! SHIFT_OPEN, CASH_MOVEMENT and SHIFT_CLOSE (`cash::shifts`). They take
//! no receipt number and are not in the fiscal chain; their dedupe and
//! order are the stream's, as for sales.

use entity::{shift, stock_movement};
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use super::{Applied, Ctx, id_reused, repeat};
use crate::cash::shifts::{self, CashMove, Refusal, Refused, Till, When};
use crate::error::{AppError, Result};
use crate::sales::checks;
use crate::sales::event::{
    CashMovementPayload, Event, EventType, ShiftClosePayload, ShiftOpenPayload, StockCountPayload,
    StockEventLineInput, StockReceivePayload,
};
use crate::sales::rejection::{Checked, Reason, Rejection};
use crate::stock::Detail;
use crate::stock::documents::{self, Line};
use crate::tenancy::TenantTx;

fn applied(kind: EventType, record_id: Uuid) -> Checked<Applied> {
    Ok(Applied {
        kind,
        record_id,
        receipt_number: None,
        new: true,
    })
}

/// A stock document's check failing is the event's rejection; anything
/// else is an error.
fn stock_rejection(err: AppError) -> Result<Rejection> {
    let field = err.field().map(str::to_owned);
    let message = err.to_string();
    let reason = match &err {
        AppError::NotFound { .. } if field.as_deref().is_some_and(|f| f.ends_with("variantId")) => {
            Reason::UnknownVariant
        }
        AppError::BadInput { .. } | AppError::NotFound { .. } => Reason::InvalidStockLine,
        _ => return Err(err),
    };
    Ok(match field {
        Some(f) => Rejection::at(reason, f, message),
        None => Rejection::new(reason, message),
    })
}

fn lines(input: &[StockEventLineInput]) -> Checked<Vec<Line>> {
    input
        .iter()
        .enumerate()
        .map(|(i, l)| {
            Ok(Line {
                variant: checks::id(&format!("lines.{i}.variantId"), l.variant_id.as_str())?,
                quantity: l.quantity.0.milli(),
                unit_cost: l.unit_cost.map(|c| c.0),
            })
        })
        .collect()
}

/// A stock document of this id already recorded: a repeat.
async fn stock_seen(tx: &TenantTx, id: Uuid) -> Result<bool> {
    Ok(tx
        .select::<stock_movement::Entity>()
        .filter(stock_movement::Column::SourceId.eq(id))
        .count(tx)
        .await?
        > 0)
}

fn terminal_detail(ctx: &Ctx<'_>) -> Detail {
    Detail {
        terminal: Some(ctx.head.terminal.id),
        recorded_by: Some(ctx.session.subject.clone()),
        ..Detail::default()
    }
}

pub(super) async fn stock_receive(
    tx: &TenantTx,
    ctx: &mut Ctx<'_>,
    event: &Event,
    p: &StockReceivePayload,
) -> Result<Checked<Applied>> {
    let id = check!(checks::id("receiptId", p.receipt_id.as_str()));
    if stock_seen(tx, id).await? {
        return repeat(tx, EventType::StockReceive, (id, None), event, "receiptId").await;
    }
    // The document reads levels: earlier events' movements count first.
    ctx.memo.writes.finish(tx).await?;
    let receipt = documents::Receipt {
        location: ctx.head.location.id,
        supplier_reference: p.supplier_reference.clone(),
        note: p.note.clone(),
        lines: check!(lines(&p.lines)),
    };
    match documents::receive_in(tx, terminal_detail(ctx), &receipt, id, event.created_at).await {
        Ok(mut movements) => movements.flush(tx).await?,
        Err(e) => return Ok(Err(stock_rejection(e)?)),
    }
    Ok(applied(EventType::StockReceive, id))
}

pub(super) async fn stock_count(
    tx: &TenantTx,
    ctx: &mut Ctx<'_>,
    event: &Event,
    p: &StockCountPayload,
) -> Result<Checked<Applied>> {
    let id = check!(checks::id("countId", p.count_id.as_str()));
    if stock_seen(tx, id).await? {
        return repeat(tx, EventType::StockCount, (id, None), event, "countId").await;
    }
    ctx.memo.writes.finish(tx).await?;
    let count = documents::Count {
        location: ctx.head.location.id,
        note: p.note.clone(),
        lines: check!(lines(&p.lines)),
    };
    match documents::count_in(tx, terminal_detail(ctx), &count, id, event.created_at).await {
        Ok(mut movements) => movements.flush(tx).await?,
        Err(e) => return Ok(Err(stock_rejection(e)?)),
    }
    Ok(applied(EventType::StockCount, id))
}

fn till(ctx: &Ctx<'_>) -> Till {
    Till {
        terminal: ctx.head.terminal.id,
        location: ctx.head.location.id,
        currency: ctx.head.location.currency.clone(),
        subject: ctx.session.subject.clone(),
    }
}

fn when(ctx: &Ctx<'_>, event: &Event) -> Result<When> {
    Ok(When {
        at: event.created_at,
        sequence: event.sequence,
        business_date: ctx.business_date(event.created_at)?,
    })
}

fn refused(r: Refusal) -> Rejection {
    let reason = match r.code {
        Refused::InvalidAmount => Reason::InvalidAmount,
        Refused::InvalidText => Reason::InvalidText,
        Refused::AlreadyOpen => Reason::ShiftAlreadyOpen,
        Refused::NotOpen => Reason::ShiftNotOpen,
    };
    Rejection::at(reason, r.field, r.message)
}

/// Whether this event repeats one already applied (a SHIFT_OPEN of a
/// shift that exists, a SHIFT_CLOSE of a closed one), or names another
/// terminal's shift.
fn repeats(
    ctx: &Ctx<'_>,
    kind: EventType,
    found: &Option<shift::Model>,
) -> std::result::Result<bool, Rejection> {
    match (kind, found) {
        (_, Some(s)) if s.terminal_id != ctx.head.terminal.id => Err(id_reused("shiftId")),
        (EventType::ShiftOpen, Some(_)) => Ok(true),
        (EventType::ShiftClose, Some(s)) => Ok(s.status == shifts::CLOSED),
        _ => Ok(false),
    }
}

pub(super) async fn shift_open(
    tx: &TenantTx,
    ctx: &mut Ctx<'_>,
    event: &Event,
    p: &ShiftOpenPayload,
) -> Result<Checked<Applied>> {
    let id = check!(checks::id("shiftId", p.shift_id.as_str()));
    if check!(repeats(
        ctx,
        EventType::ShiftOpen,
        &shifts::find(tx, id).await?
    )) {
        return repeat(tx, EventType::ShiftOpen, (id, None), event, "shiftId").await;
    }
    let done = shifts::open(tx, &till(ctx), when(ctx, event)?, id, p.float.0).await?;
    Ok(done
        .map(|s| applied(EventType::ShiftOpen, s.id))
        .unwrap_or_else(|r| Err(refused(r))))
}

pub(super) async fn cash_movement(
    tx: &TenantTx,
    ctx: &mut Ctx<'_>,
    event: &Event,
    p: &CashMovementPayload,
) -> Result<Checked<Applied>> {
    let id = check!(checks::id("movementId", p.movement_id.as_str()));
    let shift = check!(checks::id("shiftId", p.shift_id.as_str()));
    let seen = tx
        .select::<entity::cash_movement::Entity>()
        .filter(entity::cash_movement::Column::Id.eq(id))
        .count(tx)
        .await?;
    if seen > 0 {
        return repeat(tx, EventType::CashMovement, (id, None), event, "movementId").await;
    }
    let m = CashMove {
        id,
        shift,
        kind: p.kind.as_str(),
        amount: p.amount.0,
        reason: p.reason.clone(),
    };
    let done = shifts::move_cash(tx, &till(ctx), when(ctx, event)?, m).await?;
    Ok(done
        .map(|m| applied(EventType::CashMovement, m.id))
        .unwrap_or_else(|r| Err(refused(r))))
}

pub(super) async fn shift_close(
    tx: &TenantTx,
    ctx: &mut Ctx<'_>,
    event: &Event,
    p: &ShiftClosePayload,
) -> Result<Checked<Applied>> {
    let id = check!(checks::id("shiftId", p.shift_id.as_str()));
    if check!(repeats(
        ctx,
        EventType::ShiftClose,
        &shifts::find(tx, id).await?
    )) {
        return repeat(tx, EventType::ShiftClose, (id, None), event, "shiftId").await;
    }
    let done = shifts::close(
        tx,
        &till(ctx),
        when(ctx, event)?,
        id,
        p.counted.0,
        p.note.as_deref(),
    )
    .await?;
    Ok(done
        .map(|s| applied(EventType::ShiftClose, s.id))
        .unwrap_or_else(|r| Err(refused(r))))
}

//! Applying a VOID: a whole sale cancelled, as its own record, on the
//! terminal that made it and on the same business day (after the day is
//! closed, a refund is the way). A second void of the same sale answers
//! with the first.

use entity::{sale, sale_state, sale_void};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, QueryFilter};

use super::{Applied, Ctx, all_set, lock_sale_state, repeat};
use crate::error::{AppError, Result};
use crate::sales::chain::canonical_void;
use crate::sales::checks;
use crate::sales::event::{Event, EventType, VoidPayload};
use crate::sales::rejection::{Checked, Reason, Rejection};
use crate::stock::{Detail, Kind, Movement};
use crate::tenancy::TenantTx;

fn answer(v: sale_void::Model) -> Checked<Applied> {
    Ok(Applied {
        kind: EventType::Void,
        record_id: v.id,
        receipt_number: Some(v.receipt_number),
        new: false,
    })
}

/// Whether a sale may be voided now.
enum Voidable {
    /// Yes: the sale, and the business date the void falls on.
    Yes(sale::Model, chrono::NaiveDate),
    /// It was voided before: the first void answers.
    Already(sale_void::Model),
}

/// A VOID, in steps: check it, check the sale may be voided, build the
/// record, append it and take the sale back out of the reports. A void id
/// seen before is a repeat.
pub(super) async fn apply(
    tx: &TenantTx,
    ctx: &mut Ctx<'_>,
    event: &Event,
    p: &VoidPayload,
) -> Result<Checked<Applied>> {
    let void_id = check!(checks::id("voidId", p.void_id.as_str()));
    if let Some(existing) = tx
        .select::<sale_void::Entity>()
        .filter(sale_void::Column::Id.eq(void_id))
        .one(tx)
        .await?
    {
        let found = (existing.id, Some(existing.receipt_number));
        return repeat(tx, EventType::Void, found, event, "voidId").await;
    }
    let sale_id = check!(checks::id("saleId", p.sale_id.as_str()));
    let reason = check!(checks::text("reason", p.reason.as_deref(), 500));
    let (sale, business_date) = match check!(voidable(tx, ctx, event, sale_id).await?) {
        Voidable::Yes(sale, date) => (sale, date),
        Voidable::Already(first) => return Ok(answer(first)),
    };
    let slot = ctx.head.next_slot();
    let void = sale_void::Model {
        tenant_id: ctx.tenant.id,
        id: void_id,
        sale_id,
        terminal_id: ctx.head.terminal.id,
        location_id: ctx.head.location.id,
        cashier: ctx.session.subject.clone(),
        sequence: event.sequence,
        position: slot.position,
        receipt_number: slot.number.clone(),
        created_at: event.created_at,
        received_at: ctx.now,
        business_date,
        reason,
        total: sale.total,
    };
    append(tx, ctx, void, &sale).await?;
    Ok(Ok(Applied {
        kind: EventType::Void,
        record_id: void_id,
        receipt_number: Some(slot.number),
        new: true,
    }))
}

/// A sale is voided on the terminal that made it, on its business day,
/// before any refund; its state row is locked first.
async fn voidable(
    tx: &TenantTx,
    ctx: &Ctx<'_>,
    event: &Event,
    sale_id: uuid::Uuid,
) -> Result<Checked<Voidable>> {
    let Some(sale) = tx
        .select::<sale::Entity>()
        .filter(sale::Column::Id.eq(sale_id))
        .one(tx)
        .await?
    else {
        return Ok(Err(Rejection::at(
            Reason::SaleNotFound,
            "saleId",
            "no such sale",
        )));
    };
    if sale.terminal_id != ctx.head.terminal.id {
        return Ok(Err(Rejection::at(
            Reason::VoidOtherTerminal,
            "saleId",
            "a sale is voided on the terminal that made it; refund it instead",
        )));
    }
    let state = lock_sale_state(tx, sale_id).await?;
    if state.voided {
        let first = tx
            .select::<sale_void::Entity>()
            .filter(sale_void::Column::SaleId.eq(sale_id))
            .one(tx)
            .await?
            .ok_or_else(|| AppError::internal("voided sale without its void"))?;
        return Ok(Ok(Voidable::Already(first)));
    }
    if state.refund_count > 0 {
        return Ok(Err(Rejection::at(
            Reason::SaleHasRefunds,
            "saleId",
            "this sale has refunds and can no longer be voided",
        )));
    }
    let business_date = ctx.business_date(event.created_at)?;
    if business_date != sale.business_date {
        return Ok(Err(Rejection::at(
            Reason::VoidAfterClose,
            "saleId",
            "a sale can be voided only on its business day; refund it instead",
        )));
    }
    Ok(Ok(Voidable::Yes(sale, business_date)))
}

/// A VOID movement for each SALE movement of the voided sale: its goods
/// go back where they were taken from.
async fn give_back(tx: &TenantTx, ctx: &mut Ctx<'_>, void: &sale_void::Model) -> Result<()> {
    let taken = crate::stock::sold::of_sale(tx, void.sale_id).await?;
    for m in taken {
        ctx.memo.writes.stock.push(Movement {
            kind: Kind::Void,
            location: m.location_id,
            variant: m.variant_id,
            quantity: -m.quantity,
            at: void.created_at,
            business_date: void.business_date,
            source: void.id,
            line_no: m.line_no,
            detail: Detail {
                terminal: Some(void.terminal_id),
                ..Detail::default()
            },
        });
    }
    Ok(())
}

/// Chains the void into the terminal's ledger, takes the sale back out of
/// its report cell, writes the void and marks the sale voided.
async fn append(
    tx: &TenantTx,
    ctx: &mut Ctx<'_>,
    void: sale_void::Model,
    sale: &sale::Model,
) -> Result<()> {
    ctx.head.append(
        &mut ctx.memo.writes,
        EventType::Void,
        void.id,
        void.business_date,
        &canonical_void(&void),
    );
    let record = crate::sales::records::sale(tx, sale.id)
        .await?
        .ok_or_else(|| AppError::internal("voided sale vanished"))?;
    let tz = if sale.location_id == ctx.head.location.id {
        ctx.time_zone()?
    } else {
        crate::sales::rollup::time_zone_of(tx, sale.location_id).await?
    };
    let cell = crate::sales::rollup::Cell::at(
        sale.location_id,
        sale.terminal_id,
        sale.business_date,
        sale.created_at,
        tz,
    );
    ctx.memo.writes.rollups.sale(
        cell,
        &record.sale,
        &record.lines,
        &record.taxes,
        &record.tenders,
        true,
    );
    give_back(tx, ctx, &void).await?;
    tx.insert_many(all_set::<_, sale_void::ActiveModel>(vec![void]))
        .await?;
    tx.update_many::<sale_state::Entity>()
        .col_expr(sale_state::Column::Voided, Expr::value(true))
        .filter(sale_state::Column::SaleId.eq(sale.id))
        .exec(tx)
        .await?;
    Ok(())
}

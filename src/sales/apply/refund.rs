//! Applying a REFUND: by line and quantity against the original sale, with
//! amounts pro-rated exactly from the original line; or, for managers,
//! without a receipt. The sale's state row is locked first, so refunds from
//! several terminals can never together exceed what was sold.

use entity::{line_tax, refund, refund_line, sale_state, tender};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use super::refund_lines::{Built, against_sale, without_receipt};
use super::{Applied, Ctx, all_set, repeat};
use crate::error::Result;
use crate::sales::chain::canonical_refund;
use crate::sales::checks::{self, MAX_LINES};
use crate::sales::event::{Event, EventType, RefundPayload};
use crate::sales::ledger::Slot;
use crate::sales::records::RefundRecord;
use crate::sales::rejection::{Checked, Reason, Rejection};
use crate::stock::{Detail, Kind, Movement};
use crate::tenancy::TenantTx;

/// What a refund's shape check gives.
struct Shape {
    tenders: Vec<checks::CheckedTender>,
    reason: Option<String>,
    sale_id: Option<Uuid>,
}

/// A REFUND, in steps: check its shape, build its lines (against the sale,
/// or without a receipt), check the tenders pay it exactly, build the
/// record, append it. A refund id seen before is a repeat.
pub(super) async fn apply(
    tx: &TenantTx,
    ctx: &mut Ctx<'_>,
    event: &Event,
    p: &RefundPayload,
) -> Result<Checked<Applied>> {
    let refund_id = check!(checks::id("refundId", p.refund_id.as_str()));
    if let Some(existing) = tx
        .select::<refund::Entity>()
        .filter(refund::Column::Id.eq(refund_id))
        .one(tx)
        .await?
    {
        let found = (existing.id, Some(existing.receipt_number));
        return repeat(tx, EventType::Refund, found, event, "refundId").await;
    }
    let shape = check!(check(p));
    let built = match shape.sale_id {
        Some(sale_id) => check!(against_sale(tx, ctx, refund_id, sale_id, p).await?),
        None => check!(without_receipt(tx, ctx, refund_id, event, p).await?),
    };
    let total = check!(paid_exactly(&built, &shape.tenders));
    let slot = ctx.head.next_slot();
    let business_date = ctx.business_date(event.created_at)?;
    let sale_id = shape.sale_id;
    let record = record(
        ctx,
        event,
        refund_id,
        &slot,
        business_date,
        shape,
        built,
        total,
    );
    let refunded: Vec<(i32, Uuid, i64)> = record
        .lines
        .iter()
        .map(|l| (l.line_no, l.variant_id, l.quantity_milli))
        .collect();
    let restock: Vec<bool> = p.lines.iter().map(|l| l.restock == Some(true)).collect();
    append(tx, ctx, event, record, business_date).await?;
    restock_lines(ctx, event, (refund_id, business_date), &restock, &refunded);
    if let Some(sale_id) = sale_id {
        tx.update_many::<sale_state::Entity>()
            .col_expr(
                sale_state::Column::RefundCount,
                Expr::col(sale_state::Column::RefundCount).add(1),
            )
            .filter(sale_state::Column::SaleId.eq(sale_id))
            .exec(tx)
            .await?;
    }
    Ok(Ok(Applied {
        kind: EventType::Refund,
        record_id: refund_id,
        receipt_number: Some(slot.number),
        new: true,
    }))
}

/// A REFUND movement for each line the terminal put back on the shelf
/// (`restock`), of a variant that tracks stock, at the refunding
/// terminal's location. `refunded` is (line, variant, quantity) per line,
/// in the payload's order.
fn restock_lines(
    ctx: &mut Ctx<'_>,
    event: &Event,
    (refund_id, business_date): (Uuid, chrono::NaiveDate),
    restock: &[bool],
    refunded: &[(i32, Uuid, i64)],
) {
    for (&(line_no, variant, quantity), _) in refunded.iter().zip(restock).filter(|(_, r)| **r) {
        let tracked = ctx
            .memo
            .variant(&variant)
            .is_some_and(|(v, _)| v.track_stock);
        if !tracked {
            continue;
        }
        ctx.memo.writes.stock.push(Movement {
            kind: Kind::Refund,
            location: ctx.head.location.id,
            variant,
            quantity,
            at: event.created_at,
            business_date,
            source: refund_id,
            line_no,
            detail: Detail {
                terminal: Some(ctx.head.terminal.id),
                ..Detail::default()
            },
        });
    }
}

/// One to [`MAX_LINES`] lines, valid tenders, a reason of at most 500
/// characters, and the sale's id if one is named.
fn check(p: &RefundPayload) -> Checked<Shape> {
    if p.lines.is_empty() || p.lines.len() > MAX_LINES {
        return Err(Rejection::at(
            Reason::EmptySale,
            "lines",
            format!("a refund has 1 to {MAX_LINES} lines"),
        ));
    }
    Ok(Shape {
        tenders: checks::tenders(&p.tenders)?,
        reason: checks::text("reason", p.reason.as_deref(), 500)?,
        sale_id: p
            .sale_id
            .as_ref()
            .map(|id| checks::id("saleId", id.as_str()))
            .transpose()?,
    })
}

/// The refund's total, which the tenders must pay back exactly.
fn paid_exactly(built: &Built, tenders: &[checks::CheckedTender]) -> Checked<i64> {
    let total: i64 = built.lines.iter().map(|l| l.gross).sum();
    let tendered: i64 = tenders.iter().map(|t| t.amount).sum();
    if tendered != total {
        return Err(Rejection::at(
            Reason::RefundTendersMismatch,
            "tenders",
            format!("the tenders ({tendered}) must equal the refund's total ({total})"),
        ));
    }
    Ok(total)
}

/// The refund's rows: header, lines and taxes as built, and tenders.
#[allow(clippy::too_many_arguments)]
fn record(
    ctx: &Ctx<'_>,
    event: &Event,
    refund_id: Uuid,
    slot: &Slot,
    business_date: chrono::NaiveDate,
    shape: Shape,
    built: Built,
    total: i64,
) -> RefundRecord {
    let tenant = ctx.tenant.id;
    let sum = |f: fn(&refund_line::Model) -> i64| built.lines.iter().map(f).sum::<i64>();
    let header = refund::Model {
        tenant_id: tenant,
        id: refund_id,
        sale_id: shape.sale_id,
        terminal_id: ctx.head.terminal.id,
        location_id: ctx.head.location.id,
        cashier: ctx.session.subject.clone(),
        sequence: event.sequence,
        position: slot.position,
        receipt_number: slot.number.clone(),
        currency: ctx.head.location.currency.clone(),
        created_at: event.created_at,
        received_at: ctx.now,
        business_date,
        without_receipt: shape.sale_id.is_none(),
        reason: shape.reason,
        discount_total: sum(|l| l.discount),
        net_total: sum(|l| l.net),
        tax_total: sum(|l| l.tax),
        total,
    };
    let tender_rows = shape
        .tenders
        .into_iter()
        .enumerate()
        .map(|(i, t)| tender::Model {
            tenant_id: tenant,
            record_id: refund_id,
            position: i as i32,
            method: t.method.as_str().into(),
            amount: t.amount,
            change: 0,
            card_brand: t.card_brand,
            card_last4: t.card_last4,
            auth_reference: t.auth_reference,
            reference: t.reference,
        })
        .collect();
    RefundRecord {
        refund: header,
        lines: built.lines,
        taxes: built.taxes,
        tenders: tender_rows,
    }
}

/// Chains the record into the terminal's ledger, adds it to the report
/// rollups and writes its rows.
async fn append(
    tx: &TenantTx,
    ctx: &mut Ctx<'_>,
    event: &Event,
    record: RefundRecord,
    business_date: chrono::NaiveDate,
) -> Result<()> {
    let refund_id = record.refund.id;
    ctx.head.append(
        &mut ctx.memo.writes,
        EventType::Refund,
        refund_id,
        business_date,
        &canonical_refund(&record),
    );
    let variants: Vec<Uuid> = record.lines.iter().map(|l| l.variant_id).collect();
    let location = ctx.head.location.id;
    ctx.memo.load_variants(tx, &variants, location).await?;
    let product_of = variants
        .iter()
        .filter_map(|v| ctx.memo.variant(v).map(|(m, _)| (*v, m.product_id)))
        .collect();
    let cell = ctx.cell(business_date, event.created_at)?;
    ctx.memo.writes.rollups.refund(
        cell,
        &record.refund,
        &record.lines,
        &record.taxes,
        &record.tenders,
        &product_of,
    );
    tx.insert_many(all_set::<_, refund::ActiveModel>(vec![record.refund]))
        .await?;
    tx.insert_many(all_set::<_, refund_line::ActiveModel>(record.lines))
        .await?;
    tx.insert_many(all_set::<_, line_tax::ActiveModel>(record.taxes))
        .await?;
    tx.insert_many(all_set::<_, tender::ActiveModel>(record.tenders))
        .await?;
    Ok(())
}

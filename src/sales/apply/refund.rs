//! Applying a REFUND: by line and quantity against the original sale, with
//! amounts pro-rated exactly from the original line; or, for managers,
//! without a receipt. The sale's state row is locked first, so refunds from
//! several terminals can never together exceed what was sold.

use std::collections::HashMap;

use entity::{line_tax, product, refund, refund_line, sale, sale_state, tender, variant};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use super::sale::{display_name, unit_text};
use super::{Applied, Ctx, all_set, lock_sale_state, repeat};
use crate::auth::Role;
use crate::catalog::tax_groups;
use crate::error::Result;
use crate::money::{Quantity, Rate};
use crate::sales::chain::canonical_refund;
use crate::sales::checks::{self, MAX_LINES};
use crate::sales::compute::{self, PricedLine, Refundable, refund_portion};
use crate::sales::event::{Event, EventType, RefundPayload};
use crate::sales::records::{self, RefundRecord};
use crate::sales::rejection::{Checked, Reason, Rejection};
use crate::tenancy::TenantTx;

/// Refund lines and their taxes, built before anything is written.
struct Built {
    lines: Vec<refund_line::Model>,
    taxes: Vec<line_tax::Model>,
}

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
        let found = (existing.id, existing.receipt_number);
        return repeat(tx, EventType::Refund, found, event, "refundId").await;
    }
    if p.lines.is_empty() || p.lines.len() > MAX_LINES {
        return Ok(Err(Rejection::at(
            Reason::EmptySale,
            "lines",
            format!("a refund has 1 to {MAX_LINES} lines"),
        )));
    }
    let tenders = check!(checks::tenders(&p.tenders));
    let reason = check!(checks::text("reason", p.reason.as_deref(), 500));
    let sale_id = match &p.sale_id {
        Some(id) => Some(check!(checks::id("saleId", id.as_str()))),
        None => None,
    };
    let built = match sale_id {
        Some(sale_id) => check!(against_sale(tx, ctx, refund_id, sale_id, p).await?),
        None => check!(without_receipt(tx, ctx, refund_id, event, p).await?),
    };
    let total: i64 = built.lines.iter().map(|l| l.gross).sum();
    let tendered: i64 = tenders.iter().map(|t| t.amount).sum();
    if tendered != total {
        return Ok(Err(Rejection::at(
            Reason::RefundTendersMismatch,
            "tenders",
            format!("the tenders ({tendered}) must equal the refund's total ({total})"),
        )));
    }

    let slot = ctx.head.next_slot();
    let business_date = ctx.business_date(event.created_at)?;
    let tenant = ctx.tenant.id;
    let sum = |f: fn(&refund_line::Model) -> i64| built.lines.iter().map(f).sum::<i64>();
    let header = refund::Model {
        tenant_id: tenant,
        id: refund_id,
        sale_id,
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
        without_receipt: sale_id.is_none(),
        reason,
        discount_total: sum(|l| l.discount),
        net_total: sum(|l| l.net),
        tax_total: sum(|l| l.tax),
        total,
    };
    let tender_rows = tenders
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
    let record = RefundRecord {
        refund: header,
        lines: built.lines,
        taxes: built.taxes,
        tenders: tender_rows,
    };
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
        receipt_number: slot.number,
        new: true,
    }))
}

async fn against_sale(
    tx: &TenantTx,
    ctx: &Ctx<'_>,
    refund_id: Uuid,
    sale_id: Uuid,
    p: &RefundPayload,
) -> Result<Checked<Built>> {
    let found = tx
        .select::<sale::Entity>()
        .filter(sale::Column::Id.eq(sale_id))
        .one(tx)
        .await?;
    if found.is_none() {
        return Ok(Err(Rejection::at(
            Reason::SaleNotFound,
            "saleId",
            "no such sale",
        )));
    }
    // Taken before reading what was refunded: the lock orders concurrent
    // refunds of this sale.
    let state = lock_sale_state(tx, sale_id).await?;
    if state.voided {
        return Ok(Err(Rejection::at(
            Reason::SaleVoided,
            "saleId",
            "this sale was voided: there is nothing to refund",
        )));
    }
    let Some(original) = records::sale(tx, sale_id).await? else {
        return Ok(Err(Rejection::at(
            Reason::SaleNotFound,
            "saleId",
            "no such sale",
        )));
    };
    if original.sale.currency != ctx.head.location.currency {
        return Ok(Err(Rejection::at(
            Reason::CurrencyMismatch,
            "saleId",
            format!(
                "the sale was in {}; this terminal refunds in {}",
                original.sale.currency, ctx.head.location.currency
            ),
        )));
    }
    let mut refunded = crate::sales::queries::refunded_quantities(tx, sale_id).await?;
    let mut built = Built {
        lines: Vec::new(),
        taxes: Vec::new(),
    };
    for (i, input) in p.lines.iter().enumerate() {
        let field = |f: &str| format!("lines.{i}.{f}");
        let Some(line) = input
            .sale_line_no
            .and_then(|n| original.lines.iter().find(|l| l.line_no == n))
        else {
            return Ok(Err(Rejection::at(
                Reason::UnknownSaleLine,
                field("saleLineNo"),
                "saleLineNo must name a line of the sale",
            )));
        };
        let unit = super::sale::unit_of(&line.unit);
        let quantity = check!(checks::quantity(
            &field("quantity"),
            input.quantity.0,
            Some(unit)
        ));
        let before = refunded.get(&line.line_no).copied().unwrap_or(0);
        if before + quantity.milli() > line.quantity_milli {
            return Ok(Err(Rejection::at(
                Reason::OverRefund,
                field("quantity"),
                format!(
                    "only {} of line {} is left to refund",
                    Quantity::from_milli(line.quantity_milli - before),
                    line.line_no
                ),
            )));
        }
        refunded.insert(line.line_no, before + quantity.milli());
        let line_taxes: Vec<&line_tax::Model> = original
            .taxes
            .iter()
            .filter(|t| t.line_no == line.line_no)
            .collect();
        let portion = refund_portion(
            &Refundable {
                quantity_milli: line.quantity_milli,
                discount: line.discount,
                gross: line.gross,
                per_rate: line_taxes.iter().map(|t| t.amount).collect(),
            },
            before,
            quantity.milli(),
        );
        let line_no = i as i32 + 1;
        for (tax, amount) in line_taxes.iter().zip(&portion.per_rate) {
            built.taxes.push(line_tax::Model {
                record_id: refund_id,
                line_no,
                amount: *amount,
                ..(*tax).clone()
            });
        }
        built.lines.push(refund_line::Model {
            tenant_id: ctx.tenant.id,
            refund_id,
            line_no,
            sale_id: Some(sale_id),
            sale_line_no: Some(line.line_no),
            variant_id: line.variant_id,
            tax_group_id: line.tax_group_id,
            sku: line.sku.clone(),
            name: line.name.clone(),
            unit: line.unit.clone(),
            quantity_milli: quantity.milli(),
            unit_price: line.unit_price,
            discount: portion.discount,
            net: portion.net,
            tax: portion.tax,
            gross: portion.gross,
        });
    }
    Ok(Ok(built))
}

/// A refund without the original receipt: the manager names the variants
/// and the price refunded per unit; tax is worked out with the rates in
/// force at the refund.
async fn without_receipt(
    tx: &TenantTx,
    ctx: &Ctx<'_>,
    refund_id: Uuid,
    event: &Event,
    p: &RefundPayload,
) -> Result<Checked<Built>> {
    if !ctx.session.has_any_role(&[Role::Owner, Role::Manager]) {
        return Ok(Err(Rejection::at(
            Reason::ManagerRequired,
            "saleId",
            "a refund without the original receipt needs a manager",
        )));
    }
    let mut wanted = Vec::with_capacity(p.lines.len());
    for (i, input) in p.lines.iter().enumerate() {
        let field = |f: &str| format!("lines.{i}.{f}");
        let (Some(variant_id), Some(price)) = (&input.variant_id, input.unit_price) else {
            return Ok(Err(Rejection::at(
                Reason::UnknownVariant,
                field("variantId"),
                "without a receipt, each line needs variantId and unitPrice",
            )));
        };
        let id = check!(checks::id(&field("variantId"), variant_id.as_str()));
        let price = check!(checks::amount(&field("unitPrice"), price.0, false));
        wanted.push((id, price));
    }
    let found: HashMap<Uuid, (variant::Model, Option<product::Model>)> = tx
        .select::<variant::Entity>()
        .filter(variant::Column::Id.is_in(wanted.iter().map(|w| w.0)))
        .find_also_related(product::Entity)
        .all(tx)
        .await?
        .into_iter()
        .map(|(v, p)| (v.id, (v, p)))
        .collect();
    let groups: Vec<Uuid> = found.values().map(|(v, _)| v.tax_group_id).collect();
    let rates = tax_groups::rates_at(tx, &groups, event.created_at).await?;
    let mut lines = Vec::with_capacity(wanted.len());
    let mut priced = Vec::with_capacity(wanted.len());
    for (i, ((id, price), input)) in wanted.iter().zip(&p.lines).enumerate() {
        let field = |f: &str| format!("lines.{i}.{f}");
        let Some((variant, Some(product))) = found.get(id) else {
            return Ok(Err(Rejection::at(
                Reason::UnknownVariant,
                field("variantId"),
                "no such variant",
            )));
        };
        let quantity = check!(checks::quantity(
            &field("quantity"),
            input.quantity.0,
            Some(variant.unit)
        ));
        let line_rates = rates
            .get(&variant.tax_group_id)
            .cloned()
            .unwrap_or_default();
        priced.push(PricedLine {
            list_price: *price,
            unit_price: *price,
            quantity,
            manual_discount: 0,
            rates: line_rates
                .iter()
                .filter_map(|r| Rate::from_ppm(r.rate_ppm))
                .collect(),
        });
        lines.push((variant, product, quantity, line_rates, *price));
    }
    let totals = check!(compute::sale_totals(&priced, ctx.policy()));
    let mut built = Built {
        lines: Vec::new(),
        taxes: Vec::new(),
    };
    for (i, ((variant, product, quantity, line_rates, priced_price), t)) in
        lines.into_iter().zip(totals.lines).enumerate()
    {
        let line_no = i as i32 + 1;
        for (position, (rate, amount)) in line_rates.iter().zip(&t.per_rate).enumerate() {
            built.taxes.push(line_tax::Model {
                tenant_id: ctx.tenant.id,
                record_id: refund_id,
                line_no,
                position: position as i32,
                tax_rate_id: rate.id,
                name: rate.name.clone(),
                rate_ppm: rate.rate_ppm,
                amount: *amount,
            });
        }
        built.lines.push(refund_line::Model {
            tenant_id: ctx.tenant.id,
            refund_id,
            line_no,
            sale_id: None,
            sale_line_no: None,
            variant_id: variant.id,
            tax_group_id: variant.tax_group_id,
            sku: variant.sku.clone(),
            name: display_name(product, variant),
            unit: unit_text(variant.unit).into(),
            quantity_milli: quantity.milli(),
            unit_price: priced_price,
            discount: 0,
            net: t.net,
            tax: t.tax,
            gross: t.gross,
        });
    }
    Ok(Ok(built))
}

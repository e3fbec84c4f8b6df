//! A refund's lines and their taxes: pro-rated from the original sale's
//! lines, or, without a receipt, priced by the manager and taxed with the
//! rates in force at the refund.

use std::collections::HashMap;

use entity::{line_tax, product, refund_line, tax_rate, variant};
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use super::sale::{display_name, unit_text};
use super::{Ctx, lock_sale_state};
use crate::auth::Role;
use crate::catalog::tax_groups;
use crate::error::Result;
use crate::money::{Quantity, Rate};
use crate::sales::checks;
use crate::sales::compute::{self, PricedLine, Refundable, refund_portion};
use crate::sales::event::{Event, RefundLineInput, RefundPayload};
use crate::sales::records::{self, SaleRecord};
use crate::sales::rejection::{Checked, Reason, Rejection};
use crate::tenancy::TenantTx;

/// Refund lines and their taxes, built before anything is written.
pub(super) struct Built {
    pub lines: Vec<refund_line::Model>,
    pub taxes: Vec<line_tax::Model>,
}

/// Lines refunded against `sale_id`: each names a line of the sale and a
/// quantity no more than what is left of it.
pub(super) async fn against_sale(
    tx: &TenantTx,
    ctx: &Ctx<'_>,
    refund_id: Uuid,
    sale_id: Uuid,
    p: &RefundPayload,
) -> Result<Checked<Built>> {
    let original = check!(refundable(tx, ctx, sale_id).await?);
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
        let portion = Portion {
            refund_id,
            line_no: i as i32 + 1,
            before,
            quantity,
        };
        portion.of(ctx, &original, line, &mut built);
    }
    Ok(Ok(built))
}

/// The sale, if it can be refunded here: it exists, is not voided, and
/// was in this terminal's currency. Its state row is locked first, before
/// what was refunded is read: the lock orders concurrent refunds of it.
async fn refundable(tx: &TenantTx, ctx: &Ctx<'_>, sale_id: Uuid) -> Result<Checked<SaleRecord>> {
    let not_found = || Rejection::at(Reason::SaleNotFound, "saleId", "no such sale");
    let found = tx
        .select::<entity::sale::Entity>()
        .filter(entity::sale::Column::Id.eq(sale_id))
        .one(tx)
        .await?;
    if found.is_none() {
        return Ok(Err(not_found()));
    }
    let state = lock_sale_state(tx, sale_id).await?;
    if state.voided {
        return Ok(Err(Rejection::at(
            Reason::SaleVoided,
            "saleId",
            "this sale was voided: there is nothing to refund",
        )));
    }
    let Some(original) = records::sale(tx, sale_id).await? else {
        return Ok(Err(not_found()));
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
    Ok(Ok(original))
}

/// One refunded part of a sale line.
struct Portion {
    refund_id: Uuid,
    line_no: i32,
    /// Of the sale line, refunded before this refund (milli-units).
    before: i64,
    quantity: Quantity,
}

impl Portion {
    /// The refund line and its taxes, pro-rated exactly from `line`.
    fn of(
        &self,
        ctx: &Ctx<'_>,
        original: &SaleRecord,
        line: &entity::sale_line::Model,
        built: &mut Built,
    ) {
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
            self.before,
            self.quantity.milli(),
        );
        for (tax, amount) in line_taxes.iter().zip(&portion.per_rate) {
            built.taxes.push(line_tax::Model {
                record_id: self.refund_id,
                line_no: self.line_no,
                amount: *amount,
                ..(*tax).clone()
            });
        }
        built.lines.push(refund_line::Model {
            tenant_id: ctx.tenant.id,
            refund_id: self.refund_id,
            line_no: self.line_no,
            sale_id: Some(original.sale.id),
            sale_line_no: Some(line.line_no),
            variant_id: line.variant_id,
            tax_group_id: line.tax_group_id,
            sku: line.sku.clone(),
            name: line.name.clone(),
            unit: line.unit.clone(),
            quantity_milli: self.quantity.milli(),
            unit_price: line.unit_price,
            discount: portion.discount,
            net: portion.net,
            tax: portion.tax,
            gross: portion.gross,
        });
    }
}

/// A line refunded without a receipt, priced and ready for totals.
struct Unreceipted<'a> {
    variant: &'a variant::Model,
    product: &'a product::Model,
    quantity: Quantity,
    rates: Vec<tax_rate::Model>,
    price: i64,
}

/// A refund without the original receipt: the manager names the variants
/// and the price refunded per unit; tax is worked out with the rates in
/// force at the refund.
pub(super) async fn without_receipt(
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
    let wanted = check!(named(&p.lines));
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
        lines.push(Unreceipted {
            variant,
            product,
            quantity,
            rates: rates
                .get(&variant.tax_group_id)
                .cloned()
                .unwrap_or_default(),
            price: *price,
        });
    }
    Ok(priced_lines(ctx, refund_id, lines))
}

/// The variant and unit price of each line, which a refund without a
/// receipt must name.
fn named(lines: &[RefundLineInput]) -> Checked<Vec<(Uuid, i64)>> {
    lines
        .iter()
        .enumerate()
        .map(|(i, input)| {
            let field = |f: &str| format!("lines.{i}.{f}");
            let (Some(variant_id), Some(price)) = (&input.variant_id, input.unit_price) else {
                return Err(Rejection::at(
                    Reason::UnknownVariant,
                    field("variantId"),
                    "without a receipt, each line needs variantId and unitPrice",
                ));
            };
            let id = checks::id(&field("variantId"), variant_id.as_str())?;
            let price = checks::amount(&field("unitPrice"), price.0, false)?;
            Ok((id, price))
        })
        .collect()
}

/// Totals the lines under the tenant's policy and builds their rows.
fn priced_lines(ctx: &Ctx<'_>, refund_id: Uuid, lines: Vec<Unreceipted>) -> Checked<Built> {
    let priced: Vec<PricedLine> = lines
        .iter()
        .map(|l| PricedLine {
            list_price: l.price,
            unit_price: l.price,
            quantity: l.quantity,
            manual_discount: 0,
            rates: l
                .rates
                .iter()
                .filter_map(|r| Rate::from_ppm(r.rate_ppm))
                .collect(),
        })
        .collect();
    let totals = compute::sale_totals(&priced, ctx.policy())?;
    let mut built = Built {
        lines: Vec::new(),
        taxes: Vec::new(),
    };
    for (i, (line, t)) in lines.into_iter().zip(totals.lines).enumerate() {
        let line_no = i as i32 + 1;
        built.taxes.extend(super::line_taxes(
            ctx.tenant.id,
            refund_id,
            line_no,
            &line.rates,
            &t.per_rate,
        ));
        built.lines.push(refund_line::Model {
            tenant_id: ctx.tenant.id,
            refund_id,
            line_no,
            sale_id: None,
            sale_line_no: None,
            variant_id: line.variant.id,
            tax_group_id: line.variant.tax_group_id,
            sku: line.variant.sku.clone(),
            name: display_name(line.product, line.variant),
            unit: unit_text(line.variant.unit).into(),
            quantity_milli: line.quantity.milli(),
            unit_price: line.price,
            discount: 0,
            net: t.net,
            tax: t.tax,
            gross: t.gross,
        });
    }
    Ok(built)
}

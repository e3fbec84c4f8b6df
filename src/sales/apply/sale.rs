//! Applying a SALE: the server prices (where the terminal did not) and
//! totals every line with the catalog and tax rates in force when the sale
//! was made, settles the tenders, and appends the record.

use entity::{line_tax, tender};
use entity::{product, sale, sale_line, variant};
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use super::sale_lines::{Line, price_lines};
use super::{Anomaly, Applied, Ctx, all_set, record_anomalies, repeat};
use crate::error::Result;
use crate::money::RoundingMode;
use crate::money::tax::RoundingLevel;
use crate::sales::chain::canonical_sale;
use crate::sales::checks::{self, MAX_LINES};
use crate::sales::compute::{self, PricedLine};
use crate::sales::event::{Event, EventType, SalePayload};
use crate::sales::ledger::Slot;
use crate::sales::records::SaleRecord;
use crate::sales::rejection::{Checked, Reason, Rejection};
use crate::tenancy::TenantTx;

pub fn display_name(product: &product::Model, variant: &variant::Model) -> String {
    if variant.name.is_empty() || variant.name == product.name {
        product.name.clone()
    } else {
        format!("{} {}", product.name, variant.name)
    }
}

/// A checked and priced sale's figures, before its rows are built.
struct Figures {
    totals: compute::SaleTotals,
    settlement: compute::Settlement,
    terminal_total: Option<i64>,
    terminal_tax: Option<i64>,
}

/// A SALE, in four steps: check its shape, price its lines, build its
/// rows, append them to the terminal's ledger. A sale id seen before is a
/// repeat, answered from the ledger.
pub(super) async fn apply(
    tx: &TenantTx,
    ctx: &mut Ctx<'_>,
    event: &Event,
    p: &SalePayload,
) -> Result<Checked<Applied>> {
    let sale_id = check!(checks::id("saleId", p.sale_id.as_str()));
    if let Some(found) = stored(tx, ctx, sale_id).await? {
        return repeat(tx, EventType::Sale, found, event, "saleId").await;
    }
    let tenders = check!(check(p));
    let lines = check!(price_lines(tx, ctx, event, p).await?);
    let figures = check!(figures(ctx, p, &lines, &tenders));
    let anomalies = anomalies(p, &lines, &figures);
    let slot = ctx.head.next_slot();
    let business_date = ctx.business_date(event.created_at)?;
    let record = build(
        ctx,
        event,
        sale_id,
        &slot,
        business_date,
        &lines,
        tenders,
        figures,
    );
    append(ctx, event, record, business_date)?;
    stock_out(ctx, &lines);
    record_anomalies(ctx, event, sale_id, anomalies);
    Ok(Ok(Applied {
        kind: EventType::Sale,
        record_id: sale_id,
        receipt_number: Some(slot.number),
        new: true,
    }))
}

/// Takes each line of a variant that tracks stock off its level, in the
/// same transaction as the sale. The line itself is the SALE movement
/// (its `stock_movement_id`, set in [`line_rows`]; `stock::sold`). Stock
/// may go below zero: the sale happened (docs/architecture.md, "Stock").
fn stock_out(ctx: &mut Ctx<'_>, lines: &[Line]) {
    let location = ctx.head.location.id;
    for line in lines.iter().filter(|l| l.variant.track_stock) {
        ctx.memo.writes.stock.add_to_level(
            location,
            line.variant.id,
            -line.priced.quantity.milli(),
        );
    }
}

/// The sale already in the ledger under this id (its id and receipt
/// number), if there is one.
async fn stored(
    tx: &TenantTx,
    ctx: &mut Ctx<'_>,
    sale_id: Uuid,
) -> Result<Option<(Uuid, Option<String>)>> {
    if ctx.memo.writes.has_sale(sale_id) {
        // The same id earlier in this push: compare with it in the ledger.
        ctx.memo.writes.flush(tx).await?;
    }
    if ctx.memo.absent_sales.remove(&sale_id) {
        return Ok(None);
    }
    Ok(tx
        .select::<sale::Entity>()
        .filter(sale::Column::Id.eq(sale_id))
        .one(tx)
        .await?
        .map(|s| (s.id, Some(s.receipt_number))))
}

/// A sale's shape: one to [`MAX_LINES`] lines, and valid tenders.
fn check(p: &SalePayload) -> Checked<Vec<checks::CheckedTender>> {
    if p.lines.is_empty() {
        return Err(Rejection::at(
            Reason::EmptySale,
            "lines",
            "a sale has at least one line",
        ));
    }
    if p.lines.len() > MAX_LINES {
        return Err(Rejection::at(
            Reason::TooManyLines,
            "lines",
            format!("a sale has at most {MAX_LINES} lines"),
        ));
    }
    checks::tenders(&p.tenders)
}

/// Totals under the tenant's policy, the tenders settled against them, and
/// the totals the terminal reported (checked, for comparison).
fn figures(
    ctx: &Ctx<'_>,
    p: &SalePayload,
    lines: &[Line],
    tenders: &[checks::CheckedTender],
) -> Checked<Figures> {
    let priced: Vec<PricedLine> = lines.iter().map(|l| l.priced.clone()).collect();
    let totals = compute::sale_totals(&priced, ctx.policy())?;
    let methods: Vec<_> = tenders.iter().map(|t| (t.method, t.amount)).collect();
    let settlement = compute::settle(totals.total, &methods)?;
    let reported = |field: &str, value: Option<i64>| {
        value.map(|v| checks::amount(field, v, false)).transpose()
    };
    Ok(Figures {
        terminal_total: reported("terminalTotal", p.terminal_total.map(|t| t.0))?,
        terminal_tax: reported("terminalTax", p.terminal_tax.map(|t| t.0))?,
        totals,
        settlement,
    })
}

/// Where the terminal's figures differ from the server's: kept for
/// managers, never a reason to refuse the sale.
fn anomalies(p: &SalePayload, lines: &[Line], figures: &Figures) -> Vec<Anomaly> {
    let mut anomalies = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.priced.list_price != line.priced.unit_price && line.rules.is_empty() {
            // Charged at a price the catalog does not give (a manual price,
            // or a catalog the terminal had not synced).
            if let Some(given) = p.lines[i].unit_price {
                anomalies.push(Anomaly {
                    kind: "PRICE_MISMATCH",
                    line_no: Some(i as i32 + 1),
                    expected: line.priced.list_price,
                    reported: given.0,
                });
            }
        }
    }
    let totals = &figures.totals;
    if let Some(reported) = figures.terminal_total.filter(|t| *t != totals.total) {
        anomalies.push(Anomaly {
            kind: "TOTAL_MISMATCH",
            line_no: None,
            expected: totals.total,
            reported,
        });
    }
    if let Some(reported) = figures.terminal_tax.filter(|t| *t != totals.tax_total) {
        anomalies.push(Anomaly {
            kind: "TAX_MISMATCH",
            line_no: None,
            expected: totals.tax_total,
            reported,
        });
    }
    anomalies
}

/// The sale's rows: header, lines, their taxes per rate, and tenders.
#[allow(clippy::too_many_arguments)]
fn build(
    ctx: &Ctx<'_>,
    event: &Event,
    sale_id: Uuid,
    slot: &Slot,
    business_date: chrono::NaiveDate,
    lines: &[Line],
    tenders: Vec<checks::CheckedTender>,
    figures: Figures,
) -> SaleRecord {
    let Figures {
        totals,
        settlement,
        terminal_total,
        terminal_tax,
    } = figures;
    let tenant = ctx.tenant.id;
    let header = sale::Model {
        tenant_id: tenant,
        id: sale_id,
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
        prices_include_tax: ctx.head.location.prices_include_tax,
        rounding_mode: RoundingMode::from_stored(&ctx.tenant.rounding_mode)
            .stored()
            .into(),
        rounding_level: RoundingLevel::from_stored(&ctx.tenant.rounding_level)
            .stored()
            .into(),
        list_total: totals.list_total,
        discount_total: totals.discount_total,
        net_total: totals.net_total,
        tax_total: totals.tax_total,
        total: totals.total,
        tendered: settlement.tendered,
        change: settlement.change,
        terminal_total,
        terminal_tax,
    };
    let (line_rows, tax_rows) = line_rows(tenant, sale_id, lines, &totals);
    let tender_rows: Vec<tender::Model> = tenders
        .into_iter()
        .zip(settlement.change_per_tender)
        .enumerate()
        .map(|(i, (t, change))| tender::Model {
            tenant_id: tenant,
            record_id: sale_id,
            position: i as i32,
            method: t.method.as_str().into(),
            amount: t.amount,
            change,
            card_brand: t.card_brand,
            card_last4: t.card_last4,
            auth_reference: t.auth_reference,
            reference: t.reference,
        })
        .collect();
    SaleRecord {
        sale: header,
        lines: line_rows,
        taxes: tax_rows,
        tenders: tender_rows,
    }
}

/// The sale's line rows and their tax rows, one per rate.
fn line_rows(
    tenant: Uuid,
    sale_id: Uuid,
    lines: &[Line],
    totals: &compute::SaleTotals,
) -> (Vec<sale_line::Model>, Vec<line_tax::Model>) {
    let mut line_rows = Vec::with_capacity(lines.len());
    let mut tax_rows = Vec::new();
    for (i, (line, t)) in lines.iter().zip(&totals.lines).enumerate() {
        let line_no = i as i32 + 1;
        line_rows.push(sale_line::Model {
            tenant_id: tenant,
            sale_id,
            line_no,
            variant_id: line.variant.id,
            product_id: line.product.id,
            tax_group_id: line.variant.tax_group_id,
            sku: line.variant.sku.clone(),
            name: display_name(&line.product, &line.variant),
            barcode: line.barcode.clone(),
            unit: unit_text(line.variant.unit).into(),
            quantity_milli: line.priced.quantity.milli(),
            list_price: line.priced.list_price,
            unit_price: line.priced.unit_price,
            rule_ids: serde_json::to_string(&line.rules).unwrap_or_else(|_| "[]".into()),
            list_amount: t.list_amount,
            discount: t.discount,
            amount: t.amount,
            net: t.net,
            tax: t.tax,
            gross: t.gross,
            stock_movement_id: line.variant.track_stock.then(Uuid::now_v7),
        });
        tax_rows.extend(super::line_taxes(
            tenant,
            sale_id,
            line_no,
            &line.rates,
            &t.per_rate,
        ));
    }
    (line_rows, tax_rows)
}

/// Chains the record into the terminal's ledger, buffers its rows and adds
/// it to the report rollups.
fn append(
    ctx: &mut Ctx<'_>,
    event: &Event,
    record: SaleRecord,
    business_date: chrono::NaiveDate,
) -> Result<()> {
    let sale_id = record.sale.id;
    ctx.head.append(
        &mut ctx.memo.writes,
        EventType::Sale,
        sale_id,
        business_date,
        &canonical_sale(&record),
    );
    let cell = ctx.cell(business_date, event.created_at)?;
    let writes = &mut ctx.memo.writes;
    writes.rollups.sale(
        cell,
        &record.sale,
        &record.lines,
        &record.taxes,
        &record.tenders,
        false,
    );
    writes
        .sales
        .extend(all_set::<_, sale::ActiveModel>(vec![record.sale]));
    writes
        .lines
        .extend(all_set::<_, sale_line::ActiveModel>(record.lines));
    writes
        .taxes
        .extend(all_set::<_, line_tax::ActiveModel>(record.taxes));
    writes
        .tenders
        .extend(all_set::<_, tender::ActiveModel>(record.tenders));
    Ok(())
}

/// The stored unit of a ledger line; anything unknown reads as EACH.
pub fn unit_of(text: &str) -> entity::enums::Unit {
    match text {
        "KG" => entity::enums::Unit::Kg,
        "LB" => entity::enums::Unit::Lb,
        _ => entity::enums::Unit::Each,
    }
}

pub fn unit_text(unit: entity::enums::Unit) -> &'static str {
    match unit {
        entity::enums::Unit::Each => "EACH",
        entity::enums::Unit::Kg => "KG",
        entity::enums::Unit::Lb => "LB",
    }
}

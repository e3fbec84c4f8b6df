//! Applying a SALE: the server prices (where the terminal did not) and
//! totals every line with the catalog and tax rates in force when the sale
//! was made, settles the tenders, and appends the record.

use entity::{line_tax, tender};
use entity::{product, sale, sale_line, tax_rate, variant};
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use super::{Anomaly, Applied, Ctx, all_set, record_anomalies, repeat};
use crate::catalog::pricing::{self, Adjustment, PricedLocation, PricedVariant};
use crate::error::Result;
use crate::money::Rate;
use crate::money::RoundingMode;
use crate::money::tax::RoundingLevel;
use crate::sales::chain::canonical_sale;
use crate::sales::checks::{self, MAX_LINES};
use crate::sales::compute::{self, PricedLine};
use crate::sales::event::{Event, EventType, SalePayload};
use crate::sales::records::SaleRecord;
use crate::sales::rejection::{Checked, Reason, Rejection};
use crate::tenancy::TenantTx;

/// A line checked and priced, before totals.
struct Line {
    variant: variant::Model,
    product: product::Model,
    barcode: Option<String>,
    rates: Vec<tax_rate::Model>,
    priced: PricedLine,
    rules: Vec<Uuid>,
}

pub fn display_name(product: &product::Model, variant: &variant::Model) -> String {
    if variant.name.is_empty() || variant.name == product.name {
        product.name.clone()
    } else {
        format!("{} {}", product.name, variant.name)
    }
}

pub(super) async fn apply(
    tx: &TenantTx,
    ctx: &mut Ctx<'_>,
    event: &Event,
    p: &SalePayload,
) -> Result<Checked<Applied>> {
    let sale_id = check!(checks::id("saleId", p.sale_id.as_str()));
    if ctx.memo.writes.has_sale(sale_id) {
        // The same id earlier in this push: compare with it in the ledger.
        ctx.memo.writes.flush(tx).await?;
    }
    let known_new = ctx.memo.absent_sales.remove(&sale_id);
    let existing = if known_new {
        None
    } else {
        tx.select::<sale::Entity>()
            .filter(sale::Column::Id.eq(sale_id))
            .one(tx)
            .await?
    };
    if let Some(existing) = existing {
        let found = (existing.id, existing.receipt_number);
        return repeat(tx, EventType::Sale, found, event, "saleId").await;
    }
    if p.lines.is_empty() {
        return Ok(Err(Rejection::at(
            Reason::EmptySale,
            "lines",
            "a sale has at least one line",
        )));
    }
    if p.lines.len() > MAX_LINES {
        return Ok(Err(Rejection::at(
            Reason::TooManyLines,
            "lines",
            format!("a sale has at most {MAX_LINES} lines"),
        )));
    }
    let tenders = check!(checks::tenders(&p.tenders));
    let lines = check!(price_lines(tx, ctx, event, p).await?);
    let policy = ctx.policy();
    let priced: Vec<PricedLine> = lines.iter().map(|l| l.priced.clone()).collect();
    let totals = check!(compute::sale_totals(&priced, policy));
    let methods: Vec<_> = tenders.iter().map(|t| (t.method, t.amount)).collect();
    let settlement = check!(compute::settle(totals.total, &methods));
    let terminal_total = match p.terminal_total {
        Some(t) => Some(check!(checks::amount("terminalTotal", t.0, false))),
        None => None,
    };
    let terminal_tax = match p.terminal_tax {
        Some(t) => Some(check!(checks::amount("terminalTax", t.0, false))),
        None => None,
    };

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
    if let Some(reported) = terminal_total.filter(|t| *t != totals.total) {
        anomalies.push(Anomaly {
            kind: "TOTAL_MISMATCH",
            line_no: None,
            expected: totals.total,
            reported,
        });
    }
    if let Some(reported) = terminal_tax.filter(|t| *t != totals.tax_total) {
        anomalies.push(Anomaly {
            kind: "TAX_MISMATCH",
            line_no: None,
            expected: totals.tax_total,
            reported,
        });
    }

    let slot = ctx.head.next_slot();
    let business_date = ctx.business_date(event.created_at)?;
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
        });
        for (position, (rate, amount)) in line.rates.iter().zip(&t.per_rate).enumerate() {
            tax_rows.push(line_tax::Model {
                tenant_id: tenant,
                record_id: sale_id,
                line_no,
                position: position as i32,
                tax_rate_id: rate.id,
                name: rate.name.clone(),
                rate_ppm: rate.rate_ppm,
                amount: *amount,
            });
        }
    }
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
    let record = SaleRecord {
        sale: header,
        lines: line_rows,
        taxes: tax_rows,
        tenders: tender_rows,
    };
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
    record_anomalies(ctx, event, sale_id, anomalies);
    Ok(Ok(Applied {
        kind: EventType::Sale,
        record_id: sale_id,
        receipt_number: slot.number,
        new: true,
    }))
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

/// Checks every line and prices it: the terminal's price if it sent one,
/// else the catalog's at the sale's instant and location.
async fn price_lines(
    tx: &TenantTx,
    ctx: &mut Ctx<'_>,
    event: &Event,
    p: &SalePayload,
) -> Result<Checked<Vec<Line>>> {
    let mut ids = Vec::with_capacity(p.lines.len());
    for (i, line) in p.lines.iter().enumerate() {
        ids.push(check!(checks::id(
            &format!("lines.{i}.variantId"),
            line.variant_id.as_str()
        )));
    }
    let location = ctx.head.location.clone();
    ctx.memo.load_variants(tx, &ids, location.id).await?;
    // Rule amounts are in the tenant's currency: where prices are in
    // another, only percentages apply.
    let foreign = location.currency != ctx.tenant.currency;
    let rules: Vec<pricing::Rule> = ctx
        .memo
        .rules(tx)
        .await?
        .iter()
        .filter(|r| !foreign || matches!(r.adjustment, Adjustment::PercentOff(_)))
        .cloned()
        .collect();
    let place = PricedLocation {
        id: location.id,
        time_zone: ctx.time_zone()?,
        rounding: RoundingMode::from_stored(&ctx.tenant.rounding_mode),
    };
    let memo = &*ctx.memo;

    let mut out = Vec::with_capacity(p.lines.len());
    for (i, (input, id)) in p.lines.iter().zip(&ids).enumerate() {
        let field = |f: &str| format!("lines.{i}.{f}");
        let Some((variant, Some(product))) = memo.variant(id) else {
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
        let barcode = check!(checks::barcode(&field("barcode"), input.barcode.as_deref()));
        let manual_discount = match input.discount {
            Some(d) => check!(checks::amount(&field("discount"), d.0, false)),
            None => 0,
        };
        let given = match input.unit_price {
            Some(u) => Some(check!(checks::amount(&field("unitPrice"), u.0, false))),
            None => None,
        };
        let own_prices = memo.prices(id);
        // Archived variants still sell: an offline terminal may not have
        // heard yet, and the sale happened.
        let catalog = (!foreign || !own_prices.is_empty()).then(|| {
            pricing::price(
                &PricedVariant {
                    id: variant.id,
                    product: product.id,
                    category: product.category.as_deref(),
                    base_price: variant.base_price,
                    location_prices: own_prices,
                    rules: &rules,
                },
                &place,
                event.created_at,
                quantity,
            )
        });
        let (list_price, unit_price, applied) = match (given, catalog) {
            (Some(given), Some(c)) if given == c.unit_price => (c.list_price, given, c.rules),
            (Some(given), Some(c)) => (c.list_price, given, Vec::new()),
            (Some(given), None) => (given, given, Vec::new()),
            (None, Some(c)) => (c.list_price, c.unit_price, c.rules),
            (None, None) => {
                return Ok(Err(Rejection::at(
                    Reason::NoPrice,
                    field("unitPrice"),
                    format!(
                        "this variant has no price in {} at this location: send unitPrice",
                        location.currency
                    ),
                )));
            }
        };
        let line_rates = memo.rates_at(variant.tax_group_id, event.created_at);
        out.push(Line {
            priced: PricedLine {
                list_price,
                unit_price,
                quantity,
                manual_discount,
                rates: line_rates
                    .iter()
                    .filter_map(|r| Rate::from_ppm(r.rate_ppm))
                    .collect(),
            },
            rates: line_rates,
            variant: variant.clone(),
            product: product.clone(),
            barcode,
            rules: applied,
        });
    }
    Ok(Ok(out))
}

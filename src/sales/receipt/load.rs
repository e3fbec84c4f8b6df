//! Builds a [`ReceiptDoc`] from the ledger: the record, its tenant,
//! location and terminal.

use std::collections::BTreeMap;

use entity::{line_tax, location, sale_void, tenant, tender, terminal};
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use super::doc::{DocKind, DocLine, DocTax, DocTender, ReceiptDoc};
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::money::{Currency, Quantity, Rate};
use crate::sales::records;
use crate::tenancy::{Db, TenantTx};

struct Place {
    tenant: tenant::Model,
    location: location::Model,
    terminal: terminal::Model,
}

async fn place(tx: &TenantTx, location_id: Uuid, terminal_id: Uuid) -> Result<Place> {
    let missing = || AppError::internal("a ledger record's tenant, location or terminal is gone");
    Ok(Place {
        tenant: tx
            .select::<tenant::Entity>()
            .one(tx)
            .await?
            .ok_or_else(missing)?,
        location: tx
            .select::<location::Entity>()
            .filter(location::Column::Id.eq(location_id))
            .one(tx)
            .await?
            .ok_or_else(missing)?,
        terminal: tx
            .select::<terminal::Entity>()
            .filter(terminal::Column::Id.eq(terminal_id))
            .one(tx)
            .await?
            .ok_or_else(missing)?,
    })
}

/// Who served: the staff member's id, or, for a sale made under the
/// terminal's own device token, the terminal's name.
fn cashier(sub: &str, place: &Place) -> String {
    if sub == format!("terminal:{}", place.terminal.id) {
        place.terminal.name.clone()
    } else {
        sub.to_owned()
    }
}

fn address(l: &location::Model) -> Vec<String> {
    let mut lines = vec![l.address_line1.clone()];
    lines.extend(l.address_line2.clone());
    let city = [l.postal_code.as_deref(), Some(l.city.as_str())]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    lines.push(match &l.region {
        Some(region) => format!("{city}, {region}"),
        None => city,
    });
    lines
}

fn taxes(rows: &[line_tax::Model]) -> Vec<DocTax> {
    let mut by_rate: BTreeMap<(i64, String), i64> = BTreeMap::new();
    for t in rows {
        *by_rate.entry((t.rate_ppm, t.name.clone())).or_default() += t.amount;
    }
    by_rate
        .into_iter()
        .map(|((ppm, name), amount)| DocTax {
            name,
            percent: Rate::from_ppm(ppm).map_or_else(|| "?".into(), Rate::percent),
            amount,
        })
        .collect()
}

fn tenders(rows: &[tender::Model]) -> Vec<DocTender> {
    rows.iter()
        .map(|t| DocTender {
            method: t.method.clone(),
            amount: t.amount,
            card_brand: t.card_brand.clone(),
            card_last4: t.card_last4.clone(),
            auth_reference: t.auth_reference.clone(),
        })
        .collect()
}

fn currency(code: &str) -> Result<Currency> {
    Currency::from_code(code)
        .ok_or_else(|| AppError::internal(format!("stored currency {code} is unknown")))
}

fn local(at: chrono::DateTime<chrono::Utc>, zone: &str) -> chrono::NaiveDateTime {
    match zone.parse::<chrono_tz::Tz>() {
        Ok(tz) => at.with_timezone(&tz).naive_local(),
        Err(_) => at.naive_utc(),
    }
}

/// The receipt of a sale; `None` if there is no such sale.
pub async fn sale_receipt(session: &Session, db: &Db, id: Uuid) -> Result<Option<ReceiptDoc>> {
    let tx = db.read(session).await?;
    let Some(r) = records::sale(&tx, id).await? else {
        return Ok(None);
    };
    let place = place(&tx, r.sale.location_id, r.sale.terminal_id).await?;
    let voided = tx
        .select::<sale_void::Entity>()
        .filter(sale_void::Column::SaleId.eq(id))
        .one(&tx)
        .await?
        .is_some();
    let s = &r.sale;
    Ok(Some(ReceiptDoc {
        kind: DocKind::Sale,
        number: s.receipt_number.clone(),
        tenant_name: place.tenant.name.clone(),
        location_name: place.location.name.clone(),
        address: address(&place.location),
        local_time: local(s.created_at, &place.location.time_zone),
        time_zone: place.location.time_zone.clone(),
        terminal_code: place.terminal.code.clone(),
        cashier: cashier(&s.cashier, &place),
        currency: currency(&s.currency)?,
        prices_include_tax: s.prices_include_tax,
        lines: r
            .lines
            .iter()
            .map(|l| DocLine {
                name: l.name.clone(),
                sku: l.sku.clone(),
                unit: l.unit.clone(),
                quantity: Quantity::from_milli(l.quantity_milli),
                unit_price: l.list_price,
                amount: l.list_amount,
                discount: l.discount,
            })
            .collect(),
        subtotal: s.list_total,
        discount_total: s.discount_total,
        taxes: taxes(&r.taxes),
        tax_total: s.tax_total,
        total: s.total,
        tenders: tenders(&r.tenders),
        change: s.change,
        original_number: None,
        reason: None,
        voided,
    }))
}

/// The receipt of a refund; `None` if there is no such refund.
pub async fn refund_receipt(session: &Session, db: &Db, id: Uuid) -> Result<Option<ReceiptDoc>> {
    let tx = db.read(session).await?;
    let Some(r) = records::refund(&tx, id).await? else {
        return Ok(None);
    };
    let place = place(&tx, r.refund.location_id, r.refund.terminal_id).await?;
    let original_number = match r.refund.sale_id {
        Some(sale) => records::sale(&tx, sale)
            .await?
            .map(|s| s.sale.receipt_number),
        None => None,
    };
    let f = &r.refund;
    let inclusive = place.location.prices_include_tax;
    // Refund lines are already net of their share of discounts.
    let shelf = |l: &entity::refund_line::Model| if inclusive { l.gross } else { l.net };
    Ok(Some(ReceiptDoc {
        kind: DocKind::Refund,
        number: f.receipt_number.clone(),
        tenant_name: place.tenant.name.clone(),
        location_name: place.location.name.clone(),
        address: address(&place.location),
        local_time: local(f.created_at, &place.location.time_zone),
        time_zone: place.location.time_zone.clone(),
        terminal_code: place.terminal.code.clone(),
        cashier: cashier(&f.cashier, &place),
        currency: currency(&f.currency)?,
        prices_include_tax: inclusive,
        lines: r
            .lines
            .iter()
            .map(|l| DocLine {
                name: l.name.clone(),
                sku: l.sku.clone(),
                unit: l.unit.clone(),
                quantity: Quantity::from_milli(l.quantity_milli),
                unit_price: l.unit_price,
                amount: shelf(l),
                discount: 0,
            })
            .collect(),
        subtotal: r.lines.iter().map(shelf).sum(),
        discount_total: 0,
        taxes: taxes(&r.taxes),
        tax_total: f.tax_total,
        total: f.total,
        tenders: tenders(&r.tenders),
        change: 0,
        original_number: original_number.or_else(|| f.sale_id.map(|_| "(pending)".into())),
        reason: f.reason.clone(),
        voided: false,
    }))
}

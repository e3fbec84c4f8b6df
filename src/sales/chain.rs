//! The receipt hash chain. Each record's hash covers the previous hash and
//! the record's canonical form, rebuilt from its own rows; so changing,
//! adding or removing any ledger row behind the app's back shows as a break
//! at that position.

use entity::{receipt, sale_void, terminal_ledger};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};
use uuid::Uuid;

use super::event::sha256_hex;
use super::records::{self, RefundRecord, SaleRecord};
use crate::error::Result;
use crate::tenancy::TenantTx;

/// The hash before a terminal's first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn time(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

fn taxes_json(taxes: &[entity::line_tax::Model]) -> Value {
    taxes
        .iter()
        .map(|t| {
            json!([
                t.line_no,
                t.position,
                t.tax_rate_id,
                t.name,
                t.rate_ppm,
                t.amount
            ])
        })
        .collect()
}

fn tenders_json(tenders: &[entity::tender::Model]) -> Value {
    tenders
        .iter()
        .map(|t| {
            json!([
                t.position,
                t.method,
                t.amount,
                t.change,
                t.card_brand,
                t.card_last4,
                t.auth_reference,
                t.reference
            ])
        })
        .collect()
}

pub fn canonical_sale(r: &SaleRecord) -> String {
    let s = &r.sale;
    let lines: Value = r
        .lines
        .iter()
        .map(|l| {
            json!([
                l.line_no,
                l.variant_id,
                l.product_id,
                l.tax_group_id,
                l.sku,
                l.name,
                l.barcode,
                l.unit,
                l.quantity_milli,
                l.list_price,
                l.unit_price,
                l.rule_ids,
                l.list_amount,
                l.discount,
                l.amount,
                l.net,
                l.tax,
                l.gross
            ])
        })
        .collect();
    json!({
        "kind": "SALE",
        "id": s.id,
        "terminal": s.terminal_id,
        "location": s.location_id,
        "cashier": s.cashier,
        "sequence": s.sequence,
        "position": s.position,
        "number": s.receipt_number,
        "currency": s.currency,
        "createdAt": time(&s.created_at),
        "receivedAt": time(&s.received_at),
        "businessDate": s.business_date.to_string(),
        "pricesIncludeTax": s.prices_include_tax,
        "rounding": [s.rounding_mode, s.rounding_level],
        "totals": [s.list_total, s.discount_total, s.net_total, s.tax_total, s.total, s.tendered, s.change],
        "terminalTotals": [s.terminal_total, s.terminal_tax],
        "lines": lines,
        "taxes": taxes_json(&r.taxes),
        "tenders": tenders_json(&r.tenders),
    })
    .to_string()
}

pub fn canonical_refund(r: &RefundRecord) -> String {
    let f = &r.refund;
    let lines: Value = r
        .lines
        .iter()
        .map(|l| {
            json!([
                l.line_no,
                l.sale_id,
                l.sale_line_no,
                l.variant_id,
                l.tax_group_id,
                l.sku,
                l.name,
                l.unit,
                l.quantity_milli,
                l.unit_price,
                l.discount,
                l.net,
                l.tax,
                l.gross
            ])
        })
        .collect();
    json!({
        "kind": "REFUND",
        "id": f.id,
        "sale": f.sale_id,
        "terminal": f.terminal_id,
        "location": f.location_id,
        "cashier": f.cashier,
        "sequence": f.sequence,
        "position": f.position,
        "number": f.receipt_number,
        "currency": f.currency,
        "createdAt": time(&f.created_at),
        "receivedAt": time(&f.received_at),
        "businessDate": f.business_date.to_string(),
        "withoutReceipt": f.without_receipt,
        "reason": f.reason,
        "totals": [f.discount_total, f.net_total, f.tax_total, f.total],
        "lines": lines,
        "taxes": taxes_json(&r.taxes),
        "tenders": tenders_json(&r.tenders),
    })
    .to_string()
}

pub fn canonical_void(v: &sale_void::Model) -> String {
    json!({
        "kind": "VOID",
        "id": v.id,
        "sale": v.sale_id,
        "terminal": v.terminal_id,
        "location": v.location_id,
        "cashier": v.cashier,
        "sequence": v.sequence,
        "position": v.position,
        "number": v.receipt_number,
        "createdAt": time(&v.created_at),
        "receivedAt": time(&v.received_at),
        "businessDate": v.business_date.to_string(),
        "reason": v.reason,
        "total": v.total,
    })
    .to_string()
}

pub fn link(prev_hash: &str, canonical: &str) -> String {
    sha256_hex(format!("{prev_hash}\n{canonical}").as_bytes())
}

/// The result of checking a terminal's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainCheck {
    /// Records checked, in order.
    pub checked: i64,
    /// The first position that does not verify, and why.
    pub broken: Option<(i64, &'static str)>,
}

const PAGE: u64 = 500;

/// Walks a terminal's chain from the first record, recomputing every hash
/// from the ledger rows.
pub async fn verify(tx: &TenantTx, terminal: Uuid) -> Result<ChainCheck> {
    let mut prev = GENESIS.to_owned();
    let mut expected_position = 1;
    loop {
        let page = tx
            .select::<receipt::Entity>()
            .filter(receipt::Column::TerminalId.eq(terminal))
            .filter(receipt::Column::Position.gte(expected_position))
            .order_by_asc(receipt::Column::Position)
            .limit(PAGE)
            .all(tx.conn())
            .await?;
        let ids_of = |kind: &str| -> Vec<Uuid> {
            page.iter()
                .filter(|r| r.kind == kind)
                .map(|r| r.record_id)
                .collect()
        };
        let sales = records::sales(tx, &ids_of("SALE")).await?;
        let refunds = records::refunds(tx, &ids_of("REFUND")).await?;
        let voids = records::voids(tx, &ids_of("VOID")).await?;
        for row in &page {
            let broken = |why| {
                Ok(ChainCheck {
                    checked: expected_position - 1,
                    broken: Some((expected_position, why)),
                })
            };
            if row.position != expected_position {
                return broken("a position is missing");
            }
            if row.prev_hash != prev {
                return broken("the link to the previous record does not match");
            }
            let found = match row.kind.as_str() {
                "SALE" => sales
                    .get(&row.record_id)
                    .filter(|r| r.sale.position == row.position && r.sale.terminal_id == terminal)
                    .map(canonical_sale),
                "REFUND" => refunds
                    .get(&row.record_id)
                    .filter(|r| {
                        r.refund.position == row.position && r.refund.terminal_id == terminal
                    })
                    .map(canonical_refund),
                "VOID" => voids
                    .get(&row.record_id)
                    .filter(|v| v.position == row.position && v.terminal_id == terminal)
                    .map(canonical_void),
                _ => None,
            };
            let Some(canonical) = found else {
                return broken("the record is missing");
            };
            if link(&prev, &canonical) != row.hash {
                return broken("the record was altered");
            }
            prev = row.hash.clone();
            expected_position += 1;
        }
        if (page.len() as u64) < PAGE {
            break;
        }
    }
    // The head must point at the last record: removing records from the
    // end would otherwise go unnoticed.
    let head = tx
        .select::<terminal_ledger::Entity>()
        .filter(terminal_ledger::Column::TerminalId.eq(terminal))
        .one(tx.conn())
        .await?;
    let (last_position, last_hash) = head
        .map(|h| (h.last_position, h.last_hash))
        .unwrap_or((0, GENESIS.to_owned()));
    if last_position != expected_position - 1 || last_hash != prev {
        return Ok(ChainCheck {
            checked: expected_position - 1,
            broken: Some(if last_position > expected_position - 1 {
                (expected_position, "records are missing at the end")
            } else {
                (
                    last_position + 1,
                    "records were added past the chain's head",
                )
            }),
        });
    }
    Ok(ChainCheck {
        checked: expected_position - 1,
        broken: None,
    })
}

/// [`verify`] in its own read transaction; NOT_FOUND for a terminal that
/// is not the tenant's.
pub async fn verify_terminal(
    session: &crate::auth::Session,
    db: &crate::tenancy::Db,
    terminal: Uuid,
) -> Result<ChainCheck> {
    let tx = db.read(session).await?;
    crate::org::terminals::require(&tx, terminal).await?;
    verify(&tx, terminal).await
}

//! The receipt hash chain. Each record's hash covers the previous hash and
//! the record's canonical form, rebuilt from its own rows; so changing,
//! adding or removing any ledger row behind the app's back shows as a break
//! at that position.

use entity::{receipt, sale_void, terminal_ledger};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use serde::ser::SerializeTuple;
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

/// A record's taxes as canonical arrays.
fn taxes(taxes: &[entity::line_tax::Model]) -> Vec<impl Serialize + '_> {
    taxes
        .iter()
        .map(|t| {
            (
                t.line_no,
                t.position,
                t.tax_rate_id,
                &t.name,
                t.rate_ppm,
                t.amount,
            )
        })
        .collect()
}

/// A record's tenders as canonical arrays.
fn tenders(tenders: &[entity::tender::Model]) -> Vec<impl Serialize + '_> {
    tenders
        .iter()
        .map(|t| {
            (
                t.position,
                &t.method,
                t.amount,
                t.change,
                &t.card_brand,
                &t.card_last4,
                &t.auth_reference,
                &t.reference,
            )
        })
        .collect()
}

/// A sale line as its canonical array.
struct Line<'a>(&'a entity::sale_line::Model);

impl Serialize for Line<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let l = self.0;
        let mut t = s.serialize_tuple(18)?;
        t.serialize_element(&l.line_no)?;
        t.serialize_element(&l.variant_id)?;
        t.serialize_element(&l.product_id)?;
        t.serialize_element(&l.tax_group_id)?;
        t.serialize_element(&l.sku)?;
        t.serialize_element(&l.name)?;
        t.serialize_element(&l.barcode)?;
        t.serialize_element(&l.unit)?;
        t.serialize_element(&l.quantity_milli)?;
        t.serialize_element(&l.list_price)?;
        t.serialize_element(&l.unit_price)?;
        t.serialize_element(&l.rule_ids)?;
        t.serialize_element(&l.list_amount)?;
        t.serialize_element(&l.discount)?;
        t.serialize_element(&l.amount)?;
        t.serialize_element(&l.net)?;
        t.serialize_element(&l.tax)?;
        t.serialize_element(&l.gross)?;
        t.end()
    }
}

/// A sale's canonical object. Its keys are in byte order, the order the
/// text has had since the first receipt (a JSON object of sorted keys), so
/// every stored hash still verifies; serialising this directly skips the
/// JSON tree of each sale.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SaleForm<'a, T, N> {
    business_date: String,
    cashier: &'a str,
    created_at: String,
    currency: &'a str,
    id: Uuid,
    kind: &'static str,
    lines: Vec<Line<'a>>,
    location: Uuid,
    number: &'a str,
    position: i64,
    prices_include_tax: bool,
    received_at: String,
    rounding: (&'a str, &'a str),
    sequence: i64,
    taxes: Vec<T>,
    tenders: Vec<N>,
    terminal: Uuid,
    terminal_totals: (Option<i64>, Option<i64>),
    totals: [i64; 7],
}

pub fn canonical_sale(r: &SaleRecord) -> String {
    let s = &r.sale;
    let form = SaleForm {
        business_date: s.business_date.to_string(),
        cashier: &s.cashier,
        created_at: time(&s.created_at),
        currency: &s.currency,
        id: s.id,
        kind: "SALE",
        lines: r.lines.iter().map(Line).collect(),
        location: s.location_id,
        number: &s.receipt_number,
        position: s.position,
        prices_include_tax: s.prices_include_tax,
        received_at: time(&s.received_at),
        rounding: (&s.rounding_mode, &s.rounding_level),
        sequence: s.sequence,
        taxes: taxes(&r.taxes),
        tenders: tenders(&r.tenders),
        terminal: s.terminal_id,
        terminal_totals: (s.terminal_total, s.terminal_tax),
        totals: [
            s.list_total,
            s.discount_total,
            s.net_total,
            s.tax_total,
            s.total,
            s.tendered,
            s.change,
        ],
    };
    // Cannot fail: strings, numbers, booleans and arrays, no maps.
    serde_json::to_string(&form).unwrap_or_default()
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
        "taxes": taxes(&r.taxes),
        "tenders": tenders(&r.tenders),
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
///
/// Long on purpose: one paged walk that keeps the previous hash and
/// position across pages and record kinds; its steps share that state.
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
            .all(tx)
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
        .one(tx)
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

#[cfg(test)]
#[path = "chain_tests.rs"]
mod tests;

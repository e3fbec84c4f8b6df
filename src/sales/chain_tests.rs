//! The canonical text of a sale must never change: every stored hash was
//! made from it. `canonical_sale` is checked against the form it had
//! before it was serialised directly (a `serde_json` tree of sorted keys).

use entity::{line_tax, sale, sale_line, tender};
use proptest::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{SaleRecord, canonical_sale, time};

/// Long on purpose: an independent reference encoding, written out in
/// one piece so that it shares no code with what it checks.
fn reference(r: &SaleRecord) -> String {
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
    let taxes: Value = r
        .taxes
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
        .collect();
    let tenders: Value = r
        .tenders
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
        "taxes": taxes,
        "tenders": tenders,
    })
    .to_string()
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9 -]{0,12}",
        any::<String>(),
        Just("a \"quoted\" \\ back\n\t\u{1} é ✓ 😀".to_owned()),
    ]
}

/// Long on purpose: a generator of every field of a sale record, written
/// out so each field's range is visible in one place.
fn record() -> impl Strategy<Value = SaleRecord> {
    let line = (
        any::<i32>(),
        text(),
        text(),
        proptest::option::of(text()),
        any::<[i64; 9]>(),
    );
    let tax = (any::<i32>(), text(), any::<i64>(), any::<i64>());
    let tender = (
        text(),
        any::<(i64, i64)>(),
        proptest::collection::vec(proptest::option::of(text()), 4),
    );
    (
        (text(), text(), text(), text(), text()),
        (any::<i64>(), any::<i64>(), any::<bool>(), any::<[i64; 7]>()),
        (
            proptest::option::of(any::<i64>()),
            proptest::option::of(any::<i64>()),
        ),
        (0i64..4_000_000_000, 0u32..1_000_000_000),
        proptest::collection::vec(line, 0..6),
        proptest::collection::vec(tax, 0..6),
        proptest::collection::vec(tender, 0..3),
    )
        .prop_map(|(words, numbers, terminal, clock, lines, taxes, tenders)| {
            let (cashier, number, currency, mode, level) = words;
            let (sequence, position, inclusive, totals) = numbers;
            let at = chrono::DateTime::from_timestamp(clock.0, clock.1).unwrap_or_default();
            let id = Uuid::new_v4();
            SaleRecord {
                sale: sale::Model {
                    tenant_id: Uuid::new_v4(),
                    id,
                    terminal_id: Uuid::new_v4(),
                    location_id: Uuid::new_v4(),
                    cashier,
                    sequence,
                    position,
                    receipt_number: number,
                    currency,
                    created_at: at,
                    received_at: at + chrono::Duration::microseconds(1_234_567),
                    business_date: at.date_naive(),
                    prices_include_tax: inclusive,
                    rounding_mode: mode,
                    rounding_level: level,
                    list_total: totals[0],
                    discount_total: totals[1],
                    net_total: totals[2],
                    tax_total: totals[3],
                    total: totals[4],
                    tendered: totals[5],
                    change: totals[6],
                    terminal_total: terminal.0,
                    terminal_tax: terminal.1,
                },
                lines: lines
                    .into_iter()
                    .map(|(line_no, sku, name, barcode, n)| sale_line::Model {
                        tenant_id: Uuid::nil(),
                        sale_id: id,
                        line_no,
                        variant_id: Uuid::new_v4(),
                        product_id: Uuid::new_v4(),
                        tax_group_id: Uuid::new_v4(),
                        sku,
                        name,
                        barcode,
                        unit: "EACH".into(),
                        quantity_milli: n[0],
                        list_price: n[1],
                        unit_price: n[2],
                        rule_ids: "[\"r\"]".into(),
                        list_amount: n[3],
                        discount: n[4],
                        amount: n[5],
                        net: n[6],
                        tax: n[7],
                        gross: n[8],
                        stock_movement_id: None,
                    })
                    .collect(),
                taxes: taxes
                    .into_iter()
                    .enumerate()
                    .map(|(i, (line_no, name, rate_ppm, amount))| line_tax::Model {
                        tenant_id: Uuid::nil(),
                        record_id: id,
                        line_no,
                        position: i as i32,
                        tax_rate_id: Uuid::new_v4(),
                        name,
                        rate_ppm,
                        amount,
                    })
                    .collect(),
                tenders: tenders
                    .into_iter()
                    .enumerate()
                    .map(|(i, (method, (amount, change), mut card))| tender::Model {
                        tenant_id: Uuid::nil(),
                        record_id: id,
                        position: i as i32,
                        method,
                        amount,
                        change,
                        reference: card.pop().flatten(),
                        auth_reference: card.pop().flatten(),
                        card_last4: card.pop().flatten(),
                        card_brand: card.pop().flatten(),
                    })
                    .collect(),
            }
        })
}

proptest! {
    #[test]
    fn the_canonical_text_of_a_sale_is_what_it_always_was(r in record()) {
        prop_assert_eq!(canonical_sale(&r), reference(&r));
    }
}

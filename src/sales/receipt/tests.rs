use chrono::NaiveDate;

use super::*;
use crate::money::Currency;
use crate::sales::receipt::DocTax;

fn currency(code: &str) -> Currency {
    Currency::from_code(code).unwrap()
}

fn line(name: &str, unit: &str, quantity: &str, unit_price: i64, amount: i64) -> DocLine {
    DocLine {
        name: name.into(),
        sku: format!("SKU-{}", name.len()),
        unit: unit.into(),
        quantity: Quantity::parse(quantity).unwrap(),
        unit_price,
        amount,
        discount: 0,
    }
}

fn tax(name: &str, percent: &str, amount: i64) -> DocTax {
    DocTax {
        name: name.into(),
        percent: percent.into(),
        amount,
    }
}

fn tender(method: &str, amount: i64) -> DocTender {
    DocTender {
        method: method.into(),
        amount,
        card_brand: None,
        card_last4: None,
        auth_reference: None,
    }
}

/// Berlin bakery: VAT-inclusive prices, a weighed line, three bottles
/// with a discount, paid cash with change.
fn eur_sale() -> ReceiptDoc {
    let mut water = line("Sparkling water 0.75 l", "EACH", "3", 199, 597);
    water.discount = 50;
    ReceiptDoc {
        kind: DocKind::Sale,
        number: "BER1-T02-000123".into(),
        tenant_name: "Bäckerei Müller GmbH".into(),
        location_name: "Filiale Kreuzberg".into(),
        address: vec!["Oranienstraße 12".into(), "10999 Berlin".into()],
        local_time: NaiveDate::from_ymd_opt(2026, 11, 27)
            .unwrap()
            .and_hms_opt(14, 5, 33)
            .unwrap(),
        time_zone: "CET".into(),
        terminal_code: "T02".into(),
        cashier: "Ana".into(),
        currency: currency("EUR"),
        prices_include_tax: true,
        lines: vec![
            line("Cherries", "KG", "0.455", 1299, 591),
            water,
            line("Rye bread", "EACH", "1", 349, 349),
        ],
        subtotal: 1537,
        discount_total: 50,
        taxes: vec![tax("VAT", "19", 237)],
        tax_total: 237,
        total: 1487,
        tenders: vec![tender("CASH", 2000)],
        change: 513,
        original_number: None,
        reason: None,
        voided: false,
    }
}

/// New York deli: tax added on top at two rates, paid by card.
fn usd_card_sale() -> ReceiptDoc {
    ReceiptDoc {
        kind: DocKind::Sale,
        number: "NYC7-T01-004711".into(),
        tenant_name: "Corner Deli & Co".into(),
        location_name: "Midtown".into(),
        address: vec!["350 5th Ave".into(), "New York, NY 10118".into()],
        local_time: NaiveDate::from_ymd_opt(2026, 11, 27)
            .unwrap()
            .and_hms_opt(8, 41, 0)
            .unwrap(),
        time_zone: "EST".into(),
        terminal_code: "T01".into(),
        cashier: "Sam".into(),
        currency: currency("USD"),
        prices_include_tax: false,
        lines: vec![
            line("Bagel, everything", "EACH", "2", 275, 550),
            line("Coffee, large", "EACH", "1", 325, 325),
            line("Pastrami", "LB", "0.5", 2199, 1100),
        ],
        subtotal: 1975,
        discount_total: 0,
        taxes: vec![tax("State tax", "4", 79), tax("City tax", "4.875", 96)],
        tax_total: 175,
        total: 2150,
        tenders: vec![DocTender {
            card_brand: Some("VISA".into()),
            card_last4: Some("1234".into()),
            auth_reference: Some("123456".into()),
            ..tender("CARD", 2150)
        }],
        change: 0,
        original_number: None,
        reason: None,
        voided: false,
    }
}

fn eur_refund(original: Option<&str>) -> ReceiptDoc {
    ReceiptDoc {
        kind: DocKind::Refund,
        number: "BER1-T02-000130".into(),
        lines: vec![line("Rye bread", "EACH", "1", 349, 349)],
        subtotal: 349,
        discount_total: 0,
        taxes: vec![tax("VAT", "19", 56)],
        tax_total: 56,
        total: 349,
        tenders: vec![tender("CASH", 349)],
        change: 0,
        original_number: original.map(Into::into),
        reason: Some("Stale on purchase".into()),
        ..eur_sale()
    }
}

fn jpy_sale() -> ReceiptDoc {
    ReceiptDoc {
        number: "TKY3-T05-000042".into(),
        tenant_name: "Sakura Mart".into(),
        location_name: "Shibuya".into(),
        address: vec!["2-21-1 Shibuya".into(), "Tokyo 150-0002".into()],
        time_zone: "JST".into(),
        currency: currency("JPY"),
        prices_include_tax: true,
        lines: vec![
            line("Onigiri salmon", "EACH", "2", 180, 360),
            line("Green tea 500ml", "EACH", "1", 150, 150),
        ],
        subtotal: 510,
        discount_total: 0,
        taxes: vec![tax("Consumption tax", "8", 38)],
        tax_total: 38,
        total: 510,
        tenders: vec![tender("CASH", 1000)],
        change: 490,
        ..eur_sale()
    }
}

fn kwd_sale() -> ReceiptDoc {
    ReceiptDoc {
        number: "KWI1-T01-000009".into(),
        tenant_name: "Gulf Grocers".into(),
        location_name: "Salmiya".into(),
        address: vec!["Salem Al Mubarak St".into()],
        time_zone: "AST".into(),
        currency: currency("KWD"),
        prices_include_tax: true,
        lines: vec![
            line("Dates, Medjool", "KG", "1.25", 4_000, 5_000),
            line("Laban 1 l", "EACH", "1", 450, 450),
        ],
        subtotal: 5_450,
        discount_total: 0,
        taxes: vec![],
        tax_total: 0,
        total: 5_450,
        tenders: vec![tender("GIFT_CARD", 5_000), tender("VOUCHER", 450)],
        change: 0,
        ..eur_sale()
    }
}

fn voided_sale() -> ReceiptDoc {
    ReceiptDoc {
        voided: true,
        ..eur_sale()
    }
}

/// Long text everywhere and amounts near the top of i64.
fn oversized() -> Vec<ReceiptDoc> {
    let huge = i64::MAX / 2;
    let word = "Ü".repeat(200);
    let words = "Extra long artisanal sourdough ".repeat(7);
    let mut base = usd_card_sale();
    base.tenant_name = words.clone();
    base.location_name = word.clone();
    base.address = vec![words.clone(), word.clone()];
    base.cashier = word.clone();
    base.number = word.clone();
    base.time_zone = word.clone();
    base.lines = vec![
        DocLine {
            quantity: Quantity::from_milli(i64::MAX),
            discount: huge,
            ..line(&word, "KG", "1", huge, huge)
        },
        DocLine {
            quantity: Quantity::from_milli(i64::MIN),
            discount: i64::MIN,
            ..line(&words, "EACH", "1", i64::MIN, i64::MIN)
        },
    ];
    base.subtotal = huge;
    base.discount_total = i64::MIN;
    base.taxes = vec![tax(&words, &word, huge)];
    base.tax_total = huge;
    base.total = i64::MIN;
    base.change = huge;
    base.tenders = vec![
        DocTender {
            card_brand: Some(word.clone()),
            card_last4: Some(words.clone()),
            auth_reference: Some(word.clone()),
            ..tender("CARD", huge)
        },
        tender("OTHER", i64::MIN),
    ];
    let refund = ReceiptDoc {
        kind: DocKind::Refund,
        original_number: Some(word.clone()),
        reason: Some(format!("{words}\n\t{word}")),
        voided: true,
        ..base.clone()
    };
    let mut docs = vec![base, refund];
    for code in ["JPY", "KWD", "CLF"] {
        docs.extend(docs.clone().into_iter().map(|doc| ReceiptDoc {
            currency: currency(code),
            ..doc
        }));
    }
    docs
}

#[test]
fn a_euro_sale_at_42_columns() {
    insta::assert_snapshot!(text(&eur_sale(), Width::Cols42));
}

#[test]
fn a_euro_sale_at_48_columns() {
    insta::assert_snapshot!(text(&eur_sale(), Width::Cols48));
}

#[test]
fn a_euro_sale_as_html() {
    insta::assert_snapshot!(html(&eur_sale()));
}

#[test]
fn a_tax_exclusive_card_sale_with_two_rates() {
    insta::assert_snapshot!(text(&usd_card_sale(), Width::Cols42));
}

#[test]
fn a_refund_against_its_original_receipt() {
    insta::assert_snapshot!(text(&eur_refund(Some("BER1-T02-000123")), Width::Cols42));
}

#[test]
fn a_refund_without_a_receipt() {
    insta::assert_snapshot!(text(&eur_refund(None), Width::Cols42));
}

#[test]
fn a_yen_sale_has_no_decimals() {
    insta::assert_snapshot!(text(&jpy_sale(), Width::Cols48));
}

#[test]
fn a_dinar_sale_has_three_decimals() {
    insta::assert_snapshot!(text(&kwd_sale(), Width::Cols48));
}

#[test]
fn a_voided_sale_says_so() {
    insta::assert_snapshot!(text(&voided_sale(), Width::Cols42));
}

#[test]
fn no_line_is_wider_than_the_paper() {
    let mut docs = oversized();
    docs.extend([
        eur_sale(),
        usd_card_sale(),
        eur_refund(None),
        jpy_sale(),
        kwd_sale(),
        voided_sale(),
    ]);
    for doc in &docs {
        for width in [Width::Cols42, Width::Cols48] {
            let out = text(doc, width);
            assert!(out.ends_with('\n'));
            for printed in out.lines() {
                let chars = printed.chars().count();
                assert!(
                    chars <= width.columns(),
                    "{chars} chars at {width:?}: {printed:?}"
                );
                assert!(!printed.chars().any(char::is_control), "{printed:?}");
            }
        }
    }
}

#[test]
fn long_names_wrap_instead_of_being_cut() {
    let mut doc = eur_sale();
    doc.lines[2].name = "Organic stone-baked whole rye sourdough loaf with seeds".into();
    let out = text(&doc, Width::Cols42);
    let first = "Organic stone-baked whole rye";
    let pad = " ".repeat(42 - first.len() - "3.49".len());
    assert!(out.contains(&format!("{first}{pad}3.49\n")), "{out}");
    assert!(out.contains("\nsourdough loaf with seeds\n"));
}

#[test]
fn html_escapes_user_text() {
    let evil = r#"<script>alert("x")</script> & Co's"#;
    let mut doc = eur_sale();
    doc.tenant_name = evil.into();
    doc.lines[0].name = evil.into();
    doc.cashier = evil.into();
    doc.number = evil.into();
    let out = html(&doc);
    assert!(!out.contains("<script"));
    assert!(!out.contains(evil));
    assert!(out.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co&#39;s"));
    assert!(out.starts_with("<!doctype html>"));
    assert!(!out.contains("http"), "no external resources");
}

#[test]
fn wrapping_cuts_words_longer_than_a_line() {
    assert_eq!(wrap("abcdefgh ij", 3, 4), ["abc", "defg", "h ij"]);
    assert_eq!(wrap("", 3, 3), [""]);
    assert_eq!(wrap("a\nb", 10, 10), ["a b"]);
}

//! Shape checks on payloads, before anything is looked up: ids, quantities,
//! amounts, free text, and card numbers.

use entity::enums::Unit;
use uuid::Uuid;

use super::event::{TenderInput, TenderMethod};
use super::rejection::{Checked, Reason, Rejection};
use crate::money::Quantity;

/// The most lines a sale or refund may have.
pub const MAX_LINES: usize = 500;
/// The most tenders a sale or refund may have.
pub const MAX_TENDERS: usize = 20;
/// A thousand tonnes, or a million items: far above any real line.
const MAX_QUANTITY_MILLI: i64 = 1_000_000_000;
/// 10^15 minor units: past any real amount, far from overflow when summed.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

pub fn id(field: &str, value: &str) -> Checked<Uuid> {
    Uuid::parse_str(value.trim())
        .map_err(|_| Rejection::at(Reason::InvalidId, field, format!("{field} is not a UUID")))
}

/// A positive quantity; whole for items sold by the piece.
pub fn quantity(field: &str, q: Quantity, unit: Option<Unit>) -> Checked<Quantity> {
    if q.milli() <= 0 || q.milli() > MAX_QUANTITY_MILLI {
        return Err(Rejection::at(
            Reason::InvalidQuantity,
            field,
            format!("{field} must be positive and at most 1000000"),
        ));
    }
    if unit == Some(Unit::Each) && !q.is_whole() {
        return Err(Rejection::at(
            Reason::InvalidQuantity,
            field,
            format!("{field} must be whole: this item is sold by the piece"),
        ));
    }
    Ok(q)
}

/// An amount from 0 to [`MAX_AMOUNT`]; `positive` excludes 0.
pub fn amount(field: &str, value: i64, positive: bool) -> Checked<i64> {
    let low = i64::from(positive);
    if value < low || value > MAX_AMOUNT {
        return Err(Rejection::at(
            Reason::InvalidAmount,
            field,
            format!(
                "{field} must be {} minor units at most 10^15",
                if positive { "positive" } else { "zero or more" }
            ),
        ));
    }
    Ok(value)
}

/// Optional free text: trimmed, at most `max` characters, no control
/// characters, and never a card number.
pub fn text(field: &str, value: Option<&str>, max: usize) -> Checked<Option<String>> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(Rejection::at(
            Reason::InvalidText,
            field,
            format!("{field} must be at most {max} characters, without control characters"),
        ));
    }
    if contains_card_number(value) {
        return Err(card_refused(field));
    }
    Ok(Some(value.to_owned()))
}

/// The code scanned for a sale line. A valid GTIN (EAN-8, UPC-A, EAN-13,
/// GTIN-14) is a product code whatever Luhn says of it: about one EAN-13
/// in ten also passes the card-number check. Anything else is free text.
pub fn barcode(field: &str, value: Option<&str>) -> Checked<Option<String>> {
    match value.map(str::trim) {
        Some(code) if crate::catalog::barcode::is_gtin(code) => Ok(Some(code.to_owned())),
        _ => text(field, value, 64),
    }
}

fn card_refused(field: &str) -> Rejection {
    Rejection::at(
        Reason::CardNumberRefused,
        field,
        format!(
            "{field} holds what looks like a full card number: keep only the brand, \
             the last four digits and the authorisation reference"
        ),
    )
}

/// A tender as given, checked; its amount is positive.
pub struct CheckedTender {
    pub method: TenderMethod,
    pub amount: i64,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    pub auth_reference: Option<String>,
    pub reference: Option<String>,
}

pub fn tenders(tenders: &[TenderInput]) -> Checked<Vec<CheckedTender>> {
    if tenders.len() > MAX_TENDERS {
        return Err(Rejection::at(
            Reason::InvalidTender,
            "tenders",
            format!("at most {MAX_TENDERS} tenders"),
        ));
    }
    tenders
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let f = |name: &str| format!("tenders.{i}.{name}");
            let card_last4 = text(&f("cardLast4"), t.card_last4.as_deref(), 32)?;
            if card_last4
                .as_deref()
                .is_some_and(|d| d.len() != 4 || !d.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(Rejection::at(
                    Reason::InvalidTender,
                    f("cardLast4"),
                    "cardLast4 is exactly 4 digits",
                ));
            }
            let card_brand = text(&f("cardBrand"), t.card_brand.as_deref(), 32)?;
            let auth_reference = text(&f("authReference"), t.auth_reference.as_deref(), 64)?;
            if t.method != TenderMethod::Card
                && (card_brand.is_some() || card_last4.is_some() || auth_reference.is_some())
            {
                return Err(Rejection::at(
                    Reason::InvalidTender,
                    f("method"),
                    "card details belong on CARD tenders only",
                ));
            }
            Ok(CheckedTender {
                method: t.method,
                amount: amount(&f("amount"), t.amount.0, true)?,
                card_brand,
                card_last4,
                auth_reference,
                reference: text(&f("reference"), t.reference.as_deref(), 64)?,
            })
        })
        .collect()
}

/// The byte spans of the digit runs in `text` (spaces and hyphens between
/// digits allowed, as card numbers are printed) that look like a primary
/// account number: 13 to 19 digits passing the Luhn check.
fn card_number_spans(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut digits: Vec<u8> = Vec::new();
    let mut start = 0;
    for i in 0..=bytes.len() {
        let b = bytes.get(i).copied();
        match b {
            Some(d) if d.is_ascii_digit() => {
                if digits.is_empty() {
                    start = i;
                }
                digits.push(d - b'0');
            }
            // A separator inside a number: keep collecting.
            Some(b' ' | b'-')
                if !digits.is_empty() && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {}
            _ => {
                if luhn_window(&digits) {
                    spans.push((start, i));
                }
                digits.clear();
            }
        }
    }
    spans
}

/// True if `text` holds what looks like a full card number, which must
/// never be stored.
pub fn contains_card_number(text: &str) -> bool {
    !card_number_spans(text).is_empty()
}

/// `text` with the digits of every card number in it masked but the last
/// four: for storing what a terminal sent, even when it is refused.
pub fn mask_card_numbers(text: &str) -> String {
    let mut out = text.to_owned();
    for (start, end) in card_number_spans(text).into_iter().rev() {
        let span = &text[start..end];
        let total = span.bytes().filter(u8::is_ascii_digit).count();
        let mut seen = 0;
        let masked: String = span
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    seen += 1;
                    if seen <= total - 4 { '*' } else { c }
                } else {
                    c
                }
            })
            .collect();
        out.replace_range(start..end, &masked);
    }
    out
}

/// Whether a whole digit run is card-number shaped: 13 to 19 digits
/// passing Luhn. (Windows of longer runs would flag one in ten ordinary
/// long references.)
fn luhn_window(digits: &[u8]) -> bool {
    (13..=19).contains(&digits.len()) && luhn(digits)
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_numbers_are_found_in_any_printed_form() {
        assert!(contains_card_number("4111111111111111"));
        assert!(contains_card_number("4111 1111 1111 1111"));
        assert!(contains_card_number("ref 4111-1111-1111-1111 ok"));
        assert!(contains_card_number("5500005555555559"));
        assert!(contains_card_number("378282246310005")); // Amex, 15 digits
        assert!(contains_card_number("x4111111111111111x"));
        assert!(contains_card_number("4111111111111111 and 1234"));
    }

    #[test]
    fn card_numbers_are_masked_but_their_last_four_digits() {
        assert_eq!(
            mask_card_numbers(r#"{"ref":"4111 1111 1111 1111","n":1234}"#),
            r#"{"ref":"**** **** **** 1111","n":1234}"#
        );
        assert_eq!(mask_card_numbers("no numbers"), "no numbers");
    }

    #[test]
    fn a_scanned_gtin_is_not_a_card_number() {
        // An EAN-13 that also passes Luhn, as about one in ten do.
        assert!(contains_card_number("8710000000048"));
        assert_eq!(
            barcode("barcode", Some("8710000000048"))
                .ok()
                .flatten()
                .as_deref(),
            Some("8710000000048")
        );
        // A 16-digit card number is no GTIN, and is still refused.
        assert!(barcode("barcode", Some("4111111111111111")).is_err());
        // Nor is a 13-digit one whose GS1 check digit is wrong.
        assert!(barcode("barcode", Some("4222222222222")).is_err());
    }

    #[test]
    fn ordinary_references_pass() {
        assert!(!contains_card_number("1234"));
        assert!(!contains_card_number("AUTH-123456"));
        assert!(!contains_card_number("4111111111111112")); // fails Luhn
        assert!(!contains_card_number("123456789012")); // 12 digits
        assert!(!contains_card_number("4111 1111"));
        assert!(!contains_card_number(""));
    }

    #[test]
    fn tenders_refuse_a_pan_and_malformed_card_details() {
        let tender = |last4: &str, auth: &str| TenderInput {
            method: TenderMethod::Card,
            amount: crate::money::Amount(100),
            card_brand: Some("VISA".into()),
            card_last4: Some(last4.into()),
            auth_reference: Some(auth.into()),
            reference: None,
        };
        let reason = |t: TenderInput| tenders(&[t]).err().map(|r| r.reason);
        assert_eq!(reason(tender("1111", "A1B2C3")), None);
        assert_eq!(
            reason(tender("1111", "4111111111111111")),
            Some(Reason::CardNumberRefused)
        );
        assert_eq!(reason(tender("11a1", "A1")), Some(Reason::InvalidTender));
    }

    #[test]
    fn quantities_must_be_positive_and_whole_for_pieces() {
        let q = |s: &str| Quantity::parse(s).unwrap();
        assert!(quantity("q", q("2"), Some(Unit::Each)).is_ok());
        assert!(quantity("q", q("0.455"), Some(Unit::Kg)).is_ok());
        assert!(quantity("q", q("1.5"), Some(Unit::Each)).is_err());
        assert!(quantity("q", q("-1"), Some(Unit::Each)).is_err());
        assert!(quantity("q", q("0"), Some(Unit::Kg)).is_err());
    }
}

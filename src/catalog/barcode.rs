//! Barcode validation, normalisation and scan resolution.
//!
//! Every GTIN (EAN-13, EAN-8, UPC-A, UPC-E) is stored under its GTIN-14
//! form, so a UPC-A scan and its EAN-13 spelling (leading 0) find the same
//! row. CODE128 and INTERNAL codes share a separate `X:` namespace.

use serde::{Deserialize, Serialize};

use crate::money::Quantity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BarcodeKind {
    Ean13,
    Ean8,
    UpcA,
    UpcE,
    Code128,
    Internal,
}

impl BarcodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ean13 => "EAN_13",
            Self::Ean8 => "EAN_8",
            Self::UpcA => "UPC_A",
            Self::UpcE => "UPC_E",
            Self::Code128 => "CODE128",
            Self::Internal => "INTERNAL",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Ean13,
            Self::Ean8,
            Self::UpcA,
            Self::UpcE,
            Self::Code128,
            Self::Internal,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BarcodeError {
    #[error("a {kind} barcode has {expected} digits")]
    Length { kind: &'static str, expected: usize },
    #[error("a {0} barcode has digits only")]
    NotDigits(&'static str),
    #[error("check digit {found} is wrong: expected {expected}")]
    CheckDigit { expected: u8, found: u8 },
    #[error("a UPC-E barcode starts with number system 0 or 1")]
    UpcENumberSystem,
    #[error("a {0} code is 1 to 48 printable ASCII characters")]
    Text(&'static str),
    #[error("the scale label's price check digit {found} is wrong: expected {expected}")]
    ValueCheck { expected: u8, found: u8 },
    #[error("a barcode is digits, or 1 to 48 printable ASCII characters without spaces")]
    Unreadable,
}

/// A validated barcode: the code as printed and its lookup key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    pub kind: BarcodeKind,
    pub code: String,
    pub key: String,
}

/// The GS1 mod-10 check digit for `payload` (all digits but the check).
pub fn check_digit(payload: &[u8]) -> u8 {
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

fn digits(code: &str) -> Option<Vec<u8>> {
    code.bytes()
        .map(|b| b.is_ascii_digit().then(|| b - b'0'))
        .collect()
}

fn gtin_key(digits: &[u8]) -> String {
    let mut key = "0".repeat(14 - digits.len());
    key.extend(digits.iter().map(|d| char::from(b'0' + d)));
    key
}

fn checked(kind: &'static str, code: &str, len: usize) -> Result<Vec<u8>, BarcodeError> {
    let ds = digits(code).ok_or(BarcodeError::NotDigits(kind))?;
    if ds.len() != len {
        return Err(BarcodeError::Length {
            kind,
            expected: len,
        });
    }
    let (payload, check) = ds.split_at(len - 1);
    let expected = check_digit(payload);
    if check[0] != expected {
        return Err(BarcodeError::CheckDigit {
            expected,
            found: check[0],
        });
    }
    Ok(ds)
}

/// Expands a UPC-E code (8 digits: number system, 6 digits, check) to its
/// UPC-A digits, without checking the check digit.
fn expand_upc_e(ds: &[u8]) -> Option<Vec<u8>> {
    if ds.len() != 8 || ds[0] > 1 {
        return None;
    }
    let (ns, d, check) = (ds[0], &ds[1..7], ds[7]);
    let body: Vec<u8> = match d[5] {
        0..=2 => vec![d[0], d[1], d[5], 0, 0, 0, 0, d[2], d[3], d[4]],
        3 => vec![d[0], d[1], d[2], 0, 0, 0, 0, 0, d[3], d[4]],
        4 => vec![d[0], d[1], d[2], d[3], 0, 0, 0, 0, 0, d[4]],
        _ => vec![d[0], d[1], d[2], d[3], d[4], 0, 0, 0, 0, d[5]],
    };
    let mut upc_a = vec![ns];
    upc_a.extend(body);
    upc_a.push(check);
    Some(upc_a)
}

fn text_code(kind: BarcodeKind, code: &str) -> Result<Normalized, BarcodeError> {
    let ok = (1..=48).contains(&code.len()) && code.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if !ok {
        return Err(BarcodeError::Text(kind.as_str()));
    }
    Ok(Normalized {
        kind,
        code: code.to_owned(),
        key: format!("X:{code}"),
    })
}

/// Validates a barcode of a declared kind and gives its lookup key.
pub fn normalize(kind: BarcodeKind, code: &str) -> Result<Normalized, BarcodeError> {
    let code = code.trim();
    let gtin = |ds: Vec<u8>| Normalized {
        kind,
        code: code.to_owned(),
        key: gtin_key(&ds),
    };
    match kind {
        BarcodeKind::Ean13 => checked("EAN-13", code, 13).map(gtin),
        BarcodeKind::Ean8 => checked("EAN-8", code, 8).map(gtin),
        BarcodeKind::UpcA => checked("UPC-A", code, 12).map(gtin),
        BarcodeKind::UpcE => {
            let ds = digits(code).ok_or(BarcodeError::NotDigits("UPC-E"))?;
            if ds.len() != 8 {
                return Err(BarcodeError::Length {
                    kind: "UPC-E",
                    expected: 8,
                });
            }
            let upc_a = expand_upc_e(&ds).ok_or(BarcodeError::UpcENumberSystem)?;
            let expected = check_digit(&upc_a[..11]);
            if upc_a[11] != expected {
                return Err(BarcodeError::CheckDigit {
                    expected,
                    found: upc_a[11],
                });
            }
            Ok(gtin(upc_a))
        }
        BarcodeKind::Code128 | BarcodeKind::Internal => text_code(kind, code),
    }
}

/// Whether `code` is a GTIN with a valid check digit: EAN-8, UPC-A,
/// EAN-13 or GTIN-14.
pub fn is_gtin(code: &str) -> bool {
    digits(code).is_some_and(|ds| matches!(ds.len(), 8 | 12 | 13 | 14) && valid_check(&ds))
}

fn valid_check(ds: &[u8]) -> bool {
    !ds.is_empty() && check_digit(&ds[..ds.len() - 1]) == ds[ds.len() - 1]
}

/// The lookup keys a raw scan may match, most specific first. A scanner
/// sends digits without saying which symbology they came from, so an
/// 8-digit scan is tried as EAN-8 and as UPC-E.
pub fn scan_keys(scanned: &str) -> Vec<String> {
    let scanned = scanned.trim();
    let mut keys = Vec::new();
    if let Some(ds) = digits(scanned) {
        if matches!(ds.len(), 8 | 12 | 13 | 14) && valid_check(&ds) {
            keys.push(gtin_key(&ds));
        }
        if let Some(upc_a) = expand_upc_e(&ds).filter(|a| valid_check(a)) {
            keys.push(gtin_key(&upc_a));
        }
    }
    if !scanned.is_empty() {
        keys.push(format!("X:{scanned}"));
    }
    keys
}

/// Why a scan that matched nothing cannot be a printed code at all: a run
/// of digits of a GTIN's length (8, 12, 13 or 14) whose check digit is
/// wrong, which is what a misread looks like, or text no symbology
/// encodes. `None` for a well-formed code that is simply not registered
/// (any printable text may be a CODE128 or INTERNAL code).
pub fn misread(scanned: &str) -> Option<BarcodeError> {
    let scanned = scanned.trim();
    let Some(ds) = digits(scanned) else {
        return text_code(BarcodeKind::Code128, scanned)
            .err()
            .map(|_| BarcodeError::Unreadable);
    };
    let upc_e = || expand_upc_e(&ds).is_some_and(|a| valid_check(&a));
    if !matches!(ds.len(), 8 | 12 | 13 | 14) || valid_check(&ds) || upc_e() {
        return None;
    }
    let (payload, check) = ds.split_at(ds.len() - 1);
    Some(BarcodeError::CheckDigit {
        expected: check_digit(payload),
        found: check[0],
    })
}

/// What a scale label carries besides the item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EmbeddedKind {
    /// Weight in thousandths of the unit (grams for KG).
    Weight,
    /// Price in minor units.
    Price,
}

/// A tenant's layout for one GS1 restricted-circulation prefix (20-29):
/// `PP IIIII [c] VVVVV C` with `item_digits` of item code, an optional
/// price check digit, and the value filling the rest before the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleFormat {
    pub prefix: String,
    pub item_digits: usize,
    pub has_value_check: bool,
    pub kind: EmbeddedKind,
}

impl ScaleFormat {
    pub fn value_digits(&self) -> usize {
        13 - 2 - self.item_digits - 1 - usize::from(self.has_value_check)
    }
}

/// A decoded scale label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleRead {
    /// Lookup key of the item: the INTERNAL code prefix + item code.
    pub item_key: String,
    pub embedded: Embedded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Embedded {
    Weight(Quantity),
    Price(i64),
}

/// The GS1 price/weight check digit of a 4- or 5-digit value (GS1 General
/// Specifications, 7.9.3); `None` for other lengths, which have none.
///
/// Each digit is weighted by position with one of four tables: the units
/// digit of 2×d less its tens digit ("2-"), of 3×d ("3"), of 5×d plus its
/// tens digit ("5+"), or of 5×d less its tens digit ("5-"). Four digits
/// take 2-, 2-, 3, 5- and the check is the units digit of 3 × the sum.
/// Five digits take 5+, 2-, 5-, 5+, 2-, and the check is the digit whose
/// "5-" weight brings the sum to a multiple of 10.
pub fn price_check_digit(value: &[u8]) -> Option<u8> {
    const TWO_MINUS: [u8; 10] = [0, 2, 4, 6, 8, 9, 1, 3, 5, 7];
    const THREE: [u8; 10] = [0, 3, 6, 9, 2, 5, 8, 1, 4, 7];
    const FIVE_PLUS: [u8; 10] = [0, 5, 1, 6, 2, 7, 3, 8, 4, 9];
    const FIVE_MINUS: [u8; 10] = [0, 5, 9, 4, 8, 3, 7, 2, 6, 1];
    let weigh = |tables: &[&[u8; 10]]| -> u32 {
        value
            .iter()
            .zip(tables)
            .map(|(d, table)| u32::from(table[usize::from(*d % 10)]))
            .sum()
    };
    match value.len() {
        4 => Some((weigh(&[&TWO_MINUS, &TWO_MINUS, &THREE, &FIVE_MINUS]) * 3 % 10) as u8),
        5 => {
            let sum = weigh(&[&FIVE_PLUS, &TWO_MINUS, &FIVE_MINUS, &FIVE_PLUS, &TWO_MINUS]);
            let needed = ((10 - sum % 10) % 10) as u8;
            FIVE_MINUS
                .iter()
                .position(|w| *w == needed)
                .map(|d| d as u8)
        }
        _ => None,
    }
}

/// Decodes a scan as a scale label if it is a valid EAN-13 whose prefix the
/// tenant configured: `Ok(None)` when it is not one. The outer check digit
/// is verified, and so is the price check digit where the layout has one;
/// a wrong price check digit is an error (a misread label must not sell at
/// the wrong price).
pub fn read_scale_label(
    scanned: &str,
    formats: &[ScaleFormat],
) -> Result<Option<ScaleRead>, BarcodeError> {
    let scanned = scanned.trim();
    let Ok(ds) = checked("EAN-13", scanned, 13) else {
        return Ok(None);
    };
    let Some(format) = formats.iter().find(|f| scanned.starts_with(&f.prefix)) else {
        return Ok(None);
    };
    let item_end = 2 + format.item_digits;
    let value_start = item_end + usize::from(format.has_value_check);
    if value_start >= 12 {
        return Ok(None);
    }
    if format.has_value_check
        && let Some(expected) = price_check_digit(&ds[value_start..12])
        && ds[item_end] != expected
    {
        return Err(BarcodeError::ValueCheck {
            expected,
            found: ds[item_end],
        });
    }
    let value: i64 = ds[value_start..12]
        .iter()
        .fold(0, |acc, d| acc * 10 + i64::from(*d));
    let embedded = match format.kind {
        EmbeddedKind::Weight => Embedded::Weight(Quantity::from_milli(value)),
        EmbeddedKind::Price => Embedded::Price(value),
    };
    Ok(Some(ScaleRead {
        item_key: format!("X:{}", &scanned[..item_end]),
        embedded,
    }))
}

#[cfg(test)]
#[path = "tests/barcode.rs"]
mod tests;

//! Exact decimals as scaled integers: tax rates in parts per million and
//! quantities in thousandths. Parsed from and printed as decimal strings,
//! never through floats.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Parses an optionally signed decimal with at most `scale` fraction digits
/// into `value * 10^scale`. More fraction digits than `scale` is an error,
/// not a rounding.
fn parse_scaled(input: &str, scale: u32) -> Option<i64> {
    let input = input.trim();
    let (negative, digits) = match input.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, input.strip_prefix('+').unwrap_or(input)),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > scale as usize
        || (digits.contains('.') && fraction.is_empty())
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let padded = format!("{fraction:0<width$}", width = scale as usize);
    let fraction: i64 = if padded.is_empty() {
        0
    } else {
        padded.parse().ok()?
    };
    let value = whole
        .checked_mul(10_i64.pow(scale))?
        .checked_add(fraction)?;
    Some(if negative { -value } else { value })
}

/// Prints `value / 10^scale` with trailing zeros trimmed down to
/// `min_fraction` digits.
fn format_scaled(value: i64, scale: u32, min_fraction: usize) -> String {
    let factor = 10_i64.pow(scale);
    let sign = if value < 0 { "-" } else { "" };
    let magnitude = value.unsigned_abs();
    let whole = magnitude / factor as u64;
    let fraction = format!(
        "{:0width$}",
        magnitude % factor as u64,
        width = scale as usize
    );
    let trimmed = fraction.trim_end_matches('0');
    let shown = if trimmed.len() < min_fraction {
        &fraction[..min_fraction.min(fraction.len())]
    } else {
        trimmed
    };
    if shown.is_empty() {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{shown}")
    }
}

/// The canonical text of a decimal with at most `scale` fraction digits
/// (`"01.50"` is `"1.5"`), or `None` if it is not one.
pub fn canonical_decimal(input: &str, scale: u32) -> Option<String> {
    parse_scaled(input, scale).map(|v| format_scaled(v, scale, 0))
}

/// A tax rate in parts per million of the taxed amount: 9.75 % is 97 500.
/// Exact for rates with up to four decimal places of a percent
/// (8.8750 %), which covers every sales-tax jurisdiction we know of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Rate(i64);

impl Rate {
    pub const ONE: i64 = 1_000_000;

    /// From parts per million; `None` outside 0..=100 %.
    pub fn from_ppm(ppm: i64) -> Option<Self> {
        (0..=Self::ONE).contains(&ppm).then_some(Self(ppm))
    }

    /// From a percent written as a decimal string: `"9.75"`.
    pub fn from_percent(percent: &str) -> Option<Self> {
        parse_scaled(percent, 4).and_then(Self::from_ppm)
    }

    /// From basis points: 975 bp is 9.75 %.
    pub fn from_basis_points(bp: i64) -> Option<Self> {
        bp.checked_mul(100).and_then(Self::from_ppm)
    }

    pub fn ppm(self) -> i64 {
        self.0
    }

    /// The percent as an exact decimal string: `"9.75"`.
    pub fn percent(self) -> String {
        format_scaled(self.0, 4, 0)
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.percent())
    }
}

/// A quantity in thousandths of its unit: 1 item is 1 000, 1.250 kg is
/// 1 250. Weighed goods are exact to the gram (or thousandth of a pound).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Quantity(i64);

impl Quantity {
    pub const SCALE: u32 = 3;
    pub const ONE: Self = Self(1_000);

    pub fn from_milli(milli: i64) -> Self {
        Self(milli)
    }

    pub fn from_units(units: i64) -> Option<Self> {
        units.checked_mul(1_000).map(Self)
    }

    /// From a decimal string with at most three fraction digits: `"1.25"`.
    pub fn parse(input: &str) -> Option<Self> {
        parse_scaled(input, Self::SCALE).map(Self)
    }

    pub fn milli(self) -> i64 {
        self.0
    }

    pub fn is_whole(self) -> bool {
        self.0 % 1_000 == 0
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_scaled(self.0, Self::SCALE, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rates_parse_exactly() {
        assert_eq!(Rate::from_percent("9.75").unwrap().ppm(), 97_500);
        assert_eq!(Rate::from_percent("8.875").unwrap().ppm(), 88_750);
        assert_eq!(Rate::from_percent("0").unwrap().ppm(), 0);
        assert_eq!(Rate::from_percent("100").unwrap().ppm(), 1_000_000);
        assert_eq!(Rate::from_basis_points(1175).unwrap().ppm(), 117_500);
        assert!(Rate::from_percent("8.87501").is_none(), "too precise");
        assert!(Rate::from_percent("-1").is_none());
        assert!(Rate::from_percent("100.01").is_none());
        assert!(Rate::from_percent("9,75").is_none());
        assert!(Rate::from_percent("").is_none());
        assert!(Rate::from_percent("9.").is_none());
        assert_eq!(Rate::from_percent("11.75").unwrap().percent(), "11.75");
    }

    #[test]
    fn quantities_parse_exactly() {
        assert_eq!(Quantity::parse("1.25").unwrap().milli(), 1_250);
        assert_eq!(Quantity::parse(".5").unwrap().milli(), 500);
        assert_eq!(
            Quantity::parse("3").unwrap(),
            Quantity::from_units(3).unwrap()
        );
        assert_eq!(Quantity::parse("-2.5").unwrap().milli(), -2_500);
        assert!(Quantity::parse("0.0001").is_none());
        assert!(Quantity::parse("1e3").is_none());
        assert!(Quantity::parse("99999999999999999999").is_none());
        assert_eq!(Quantity::from_milli(1_250).to_string(), "1.25");
        assert_eq!(Quantity::from_milli(-500).to_string(), "-0.5");
        assert_eq!(Quantity::from_milli(2_000).to_string(), "2");
    }

    proptest! {
        #[test]
        fn quantities_round_trip_through_text(milli in -1_000_000_000_000i64..1_000_000_000_000) {
            let q = Quantity::from_milli(milli);
            prop_assert_eq!(Quantity::parse(&q.to_string()), Some(q));
        }

        #[test]
        fn rates_round_trip_through_text(ppm in 0i64..=1_000_000) {
            let rate = Rate::from_ppm(ppm).unwrap();
            prop_assert_eq!(Rate::from_percent(&rate.percent()), Some(rate));
        }
    }
}

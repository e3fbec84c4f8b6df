//! The terminal's own arithmetic, written from the API's documented rules
//! rather than shared with the server, so a mistake on either side shows
//! as a difference: line amount = price × quantity rounded half-even, less
//! the line's discount; tax on tax-inclusive prices, per line, half-even.

/// `n / d` rounded half to even; `d > 0`.
pub fn div_half_even(n: i128, d: i128) -> i128 {
    let q = n.div_euclid(d);
    let twice = 2 * n.rem_euclid(d);
    if twice > d || (twice == d && q.rem_euclid(2) == 1) {
        q + 1
    } else {
        q
    }
}

/// `price` per unit × `milli` thousandths of a unit, in minor units.
pub fn extend(price: i64, milli: i64) -> i64 {
    div_half_even(i128::from(price) * i128::from(milli), 1_000) as i64
}

/// The tax inside a tax-inclusive `amount` at `ppm` parts per million.
pub fn inclusive_tax(amount: i64, ppm: i64) -> i64 {
    div_half_even(
        i128::from(amount) * i128::from(ppm),
        1_000_000 + i128::from(ppm),
    ) as i64
}

/// A percent string (`"21"`, `"9.5"`) in parts per million.
pub fn percent_ppm(percent: &str) -> Option<i64> {
    let (whole, frac) = percent.split_once('.').unwrap_or((percent, ""));
    if frac.len() > 4 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<4}").parse().ok()?;
    Some(whole * 10_000 + frac)
}

/// Thousandths from a quantity as the API writes it (`"-2"`, `"0.735"`).
pub fn parse_milli(text: &str) -> Option<i64> {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if frac.len() > 3 {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<3}").parse().ok()?
    };
    let milli = whole * 1_000 + frac;
    Some(if negative { -milli } else { milli })
}

/// A quantity in thousandths, as the API writes it (`"2"`, `"0.735"`).
pub fn quantity(milli: i64) -> String {
    if milli % 1_000 == 0 {
        (milli / 1_000).to_string()
    } else {
        format!("{}.{:03}", milli / 1_000, milli % 1_000)
    }
}

/// An EAN-13 from its first 12 digits.
pub fn ean13(first12: &str) -> String {
    let sum: u32 = first12
        .bytes()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 1 } else { 3 })
        .sum();
    format!("{first12}{}", (10 - sum % 10) % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_even() {
        assert_eq!(div_half_even(5, 2), 2);
        assert_eq!(div_half_even(7, 2), 4);
        assert_eq!(div_half_even(11, 4), 3);
        assert_eq!(extend(999, 1_500), 1_498);
        assert_eq!(extend(1_000, 2_345), 2_345);
    }

    #[test]
    fn inclusive_tax_matches_hand_figures() {
        // 1210 at 21 %: 210 of it is tax.
        assert_eq!(inclusive_tax(1_210, 210_000), 210);
        // 109 at 9 %: 9.
        assert_eq!(inclusive_tax(109, 90_000), 9);
        assert_eq!(percent_ppm("21"), Some(210_000));
        assert_eq!(percent_ppm("9.5"), Some(95_000));
        assert_eq!(quantity(735), "0.735");
        assert_eq!(quantity(2_000), "2");
    }

    #[test]
    fn quantities_read_back() {
        for milli in [0, 1, 735, 1_000, 2_500, 123_456] {
            assert_eq!(parse_milli(&quantity(milli)), Some(milli));
        }
        assert_eq!(parse_milli("-1.5"), Some(-1_500));
        assert_eq!(parse_milli("-3"), Some(-3_000));
        assert_eq!(parse_milli("1.2345"), None);
    }

    #[test]
    fn ean13_check_digits() {
        assert_eq!(ean13("400638133393"), "4006381333931");
        assert_eq!(ean13("871000000001").len(), 13);
    }
}

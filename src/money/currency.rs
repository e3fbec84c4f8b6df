//! ISO 4217 currencies and their minor-unit exponents.

use std::fmt;

/// An active ISO 4217 currency (precious metals and testing codes, which
/// have no minor unit, are not accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: &'static str,
    exponent: u8,
}

impl Currency {
    /// Looks up an upper-case alphabetic code such as `EUR`.
    pub fn from_code(code: &str) -> Option<Self> {
        CURRENCIES
            .binary_search_by(|(c, _)| (*c).cmp(code))
            .ok()
            .map(|i| Self {
                code: CURRENCIES[i].0,
                exponent: CURRENCIES[i].1,
            })
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// Digits after the decimal point: JPY 0, EUR 2, KWD 3.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    /// Minor units as decimal text with exactly `exponent` fraction digits:
    /// EUR 1999 is `"19.99"`, JPY 1500 is `"1500"`, KWD 1250 is `"1.250"`.
    /// Works on the unsigned magnitude, so `i64::MIN` prints exactly.
    pub fn format(self, amount: i64) -> String {
        let sign = if amount < 0 { "-" } else { "" };
        let magnitude = amount.unsigned_abs();
        let digits = usize::from(self.exponent);
        if digits == 0 {
            return format!("{sign}{magnitude}");
        }
        let factor = 10_u64.pow(u32::from(self.exponent));
        let whole = magnitude / factor;
        let fraction = magnitude % factor;
        format!("{sign}{whole}.{fraction:0digits$}")
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code)
    }
}

/// Sorted by code, for binary search.
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("AFN", 2),
    ("ALL", 2),
    ("AMD", 2),
    ("ANG", 2),
    ("AOA", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("AWG", 2),
    ("AZN", 2),
    ("BAM", 2),
    ("BBD", 2),
    ("BDT", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BMD", 2),
    ("BND", 2),
    ("BOB", 2),
    ("BOV", 2),
    ("BRL", 2),
    ("BSD", 2),
    ("BTN", 2),
    ("BWP", 2),
    ("BYN", 2),
    ("BZD", 2),
    ("CAD", 2),
    ("CDF", 2),
    ("CHE", 2),
    ("CHF", 2),
    ("CHW", 2),
    ("CLF", 4),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("COU", 2),
    ("CRC", 2),
    ("CUP", 2),
    ("CVE", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("DOP", 2),
    ("DZD", 2),
    ("EGP", 2),
    ("ERN", 2),
    ("ETB", 2),
    ("EUR", 2),
    ("FJD", 2),
    ("FKP", 2),
    ("GBP", 2),
    ("GEL", 2),
    ("GHS", 2),
    ("GIP", 2),
    ("GMD", 2),
    ("GNF", 0),
    ("GTQ", 2),
    ("GYD", 2),
    ("HKD", 2),
    ("HNL", 2),
    ("HTG", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("IRR", 2),
    ("ISK", 0),
    ("JMD", 2),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KGS", 2),
    ("KHR", 2),
    ("KMF", 0),
    ("KPW", 2),
    ("KRW", 0),
    ("KWD", 3),
    ("KYD", 2),
    ("KZT", 2),
    ("LAK", 2),
    ("LBP", 2),
    ("LKR", 2),
    ("LRD", 2),
    ("LSL", 2),
    ("LYD", 3),
    ("MAD", 2),
    ("MDL", 2),
    ("MGA", 2),
    ("MKD", 2),
    ("MMK", 2),
    ("MNT", 2),
    ("MOP", 2),
    ("MRU", 2),
    ("MUR", 2),
    ("MVR", 2),
    ("MWK", 2),
    ("MXN", 2),
    ("MXV", 2),
    ("MYR", 2),
    ("MZN", 2),
    ("NAD", 2),
    ("NGN", 2),
    ("NIO", 2),
    ("NOK", 2),
    ("NPR", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PAB", 2),
    ("PEN", 2),
    ("PGK", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RUB", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SBD", 2),
    ("SCR", 2),
    ("SDG", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("SHP", 2),
    ("SLE", 2),
    ("SOS", 2),
    ("SRD", 2),
    ("SSP", 2),
    ("STN", 2),
    ("SVC", 2),
    ("SYP", 2),
    ("SZL", 2),
    ("THB", 2),
    ("TJS", 2),
    ("TMT", 2),
    ("TND", 3),
    ("TOP", 2),
    ("TRY", 2),
    ("TTD", 2),
    ("TWD", 2),
    ("TZS", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("USN", 2),
    ("UYI", 0),
    ("UYU", 2),
    ("UYW", 4),
    ("UZS", 2),
    ("VED", 2),
    ("VES", 2),
    ("VND", 0),
    ("VUV", 0),
    ("WST", 2),
    ("XAF", 0),
    ("XCD", 2),
    ("XCG", 2),
    ("XOF", 0),
    ("XPF", 0),
    ("YER", 2),
    ("ZAR", 2),
    ("ZMW", 2),
    ("ZWG", 2),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_unique() {
        assert!(CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn exponents_follow_iso_4217() {
        assert_eq!(Currency::from_code("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::from_code("EUR").unwrap().exponent(), 2);
        assert_eq!(Currency::from_code("KWD").unwrap().exponent(), 3);
        assert_eq!(Currency::from_code("CLF").unwrap().exponent(), 4);
    }

    #[test]
    fn unknown_and_lower_case_codes_are_refused() {
        assert!(Currency::from_code("eur").is_none());
        assert!(Currency::from_code("XAU").is_none());
        assert!(Currency::from_code("ABC").is_none());
        assert!(Currency::from_code("").is_none());
    }

    fn code(code: &str) -> Currency {
        Currency::from_code(code).unwrap()
    }

    #[test]
    fn amounts_format_with_exactly_the_currency_exponent() {
        assert_eq!(code("EUR").format(1999), "19.99");
        assert_eq!(code("EUR").format(0), "0.00");
        assert_eq!(code("EUR").format(5), "0.05");
        assert_eq!(code("EUR").format(100), "1.00");
        assert_eq!(code("JPY").format(1500), "1500");
        assert_eq!(code("JPY").format(0), "0");
        assert_eq!(code("KWD").format(1250), "1.250");
        assert_eq!(code("KWD").format(7), "0.007");
        assert_eq!(code("CLF").format(12_345), "1.2345");
    }

    #[test]
    fn negative_amounts_keep_their_sign_below_one_unit() {
        assert_eq!(code("EUR").format(-5), "-0.05");
        assert_eq!(code("EUR").format(-1999), "-19.99");
        assert_eq!(code("JPY").format(-1500), "-1500");
        assert_eq!(code("KWD").format(-1), "-0.001");
    }

    #[test]
    fn the_extremes_of_i64_format_exactly() {
        assert_eq!(code("EUR").format(i64::MAX), "92233720368547758.07");
        assert_eq!(code("EUR").format(i64::MIN), "-92233720368547758.08");
        assert_eq!(code("JPY").format(i64::MIN), "-9223372036854775808");
        assert_eq!(code("KWD").format(i64::MIN), "-9223372036854775.808");
    }
}

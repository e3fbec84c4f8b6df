//! Tax arithmetic, shared by catalog pricing and sales totals.
//!
//! A line's taxes are computed on the combined rate of its tax group and
//! then split across the group's rates in proportion (largest remainder),
//! so the per-rate figures on a receipt always add up to the tax total.

use serde::{Deserialize, Serialize};

use super::{Rate, RoundingMode, allocate, div_round};

/// Whether shelf prices include tax. Set per location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PriceMode {
    /// Prices are net; tax is added on top (typical in the US).
    TaxExclusive,
    /// Prices include tax (typical in the EU).
    TaxInclusive,
}

/// Where rounding happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoundingLevel {
    /// Each line's tax is rounded, and the order's tax is their sum.
    Line,
    /// Lines with the same rates are summed first and taxed once; that
    /// tax is then spread back over the lines.
    Order,
}

impl RoundingLevel {
    /// The level as the database stores it.
    pub fn stored(self) -> &'static str {
        match self {
            Self::Line => "LINE",
            Self::Order => "ORDER",
        }
    }

    /// A stored level; anything unknown reads as the default (line).
    pub fn from_stored(text: &str) -> Self {
        if text == "ORDER" {
            Self::Order
        } else {
            Self::Line
        }
    }
}

/// The rounding policy: data, not an accident of the code path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TaxPolicy {
    pub prices: PriceMode,
    pub rounding: RoundingMode,
    pub level: RoundingLevel,
}

/// An amount split into net, tax and gross, with the tax per rate in the
/// order the rates were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taxed {
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
    pub per_rate: Vec<i64>,
}

fn combined_ppm(rates: &[Rate]) -> i64 {
    rates.iter().map(|r| r.ppm()).sum()
}

/// Taxes one amount. With tax-exclusive prices `amount` is the net; with
/// tax-inclusive prices it is the gross.
pub fn tax_amount(amount: i64, rates: &[Rate], prices: PriceMode, mode: RoundingMode) -> Taxed {
    let combined = i128::from(combined_ppm(rates));
    let one = i128::from(Rate::ONE);
    let amount_wide = i128::from(amount);
    let tax = match prices {
        PriceMode::TaxExclusive => div_round(amount_wide * combined, one, mode),
        PriceMode::TaxInclusive => div_round(amount_wide * combined, one + combined, mode),
    } as i64;
    let weights: Vec<i128> = rates.iter().map(|r| i128::from(r.ppm())).collect();
    let per_rate = allocate(tax, &weights);
    let (net, gross) = match prices {
        PriceMode::TaxExclusive => (amount, amount + tax),
        PriceMode::TaxInclusive => (amount - tax, amount),
    };
    Taxed {
        net,
        tax,
        gross,
        per_rate,
    }
}

/// One order line for [`order_tax`]: its amount and its tax group's rates.
pub struct TaxLine<'a> {
    pub amount: i64,
    pub rates: &'a [Rate],
}

/// Taxes every line of an order under `policy`. The result has one
/// [`Taxed`] per line, in order; under [`RoundingLevel::Order`] the lines of
/// each rate set share one rounding.
pub fn order_tax(lines: &[TaxLine<'_>], policy: TaxPolicy) -> Vec<Taxed> {
    match policy.level {
        RoundingLevel::Line => lines
            .iter()
            .map(|l| tax_amount(l.amount, l.rates, policy.prices, policy.rounding))
            .collect(),
        RoundingLevel::Order => {
            let mut out: Vec<Option<Taxed>> = vec![None; lines.len()];
            let mut groups: Vec<(Vec<i64>, Vec<usize>)> = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                let key: Vec<i64> = line.rates.iter().map(|r| r.ppm()).collect();
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, members)) => members.push(i),
                    None => groups.push((key, vec![i])),
                }
            }
            for (_, members) in groups {
                let rates = lines[members[0]].rates;
                let positive = members.iter().all(|&i| lines[i].amount >= 0);
                let negative = members.iter().all(|&i| lines[i].amount <= 0);
                let sum = members
                    .iter()
                    .try_fold(0_i64, |acc, &i| acc.checked_add(lines[i].amount));
                // Lines of mixed signs (a sale line beside a return line)
                // cannot share one rounding fairly: round them each.
                let Some(sum) = sum.filter(|_| positive || negative) else {
                    for &i in &members {
                        out[i] = Some(tax_amount(
                            lines[i].amount,
                            rates,
                            policy.prices,
                            policy.rounding,
                        ));
                    }
                    continue;
                };
                let group = tax_amount(sum, rates, policy.prices, policy.rounding);
                let weights: Vec<i128> = members
                    .iter()
                    .map(|&i| i128::from(lines[i].amount).abs())
                    .collect();
                let line_taxes = allocate(group.tax, &weights);
                for (&i, tax) in members.iter().zip(line_taxes) {
                    let amount = lines[i].amount;
                    let per_rate = allocate(
                        tax,
                        &rates
                            .iter()
                            .map(|r| i128::from(r.ppm()))
                            .collect::<Vec<_>>(),
                    );
                    let (net, gross) = match policy.prices {
                        PriceMode::TaxExclusive => (amount, amount + tax),
                        PriceMode::TaxInclusive => (amount - tax, amount),
                    };
                    out[i] = Some(Taxed {
                        net,
                        tax,
                        gross,
                        per_rate,
                    });
                }
            }
            out.into_iter().flatten().collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RoundingMode::{HalfEven, HalfUp};
    use proptest::prelude::*;

    fn rate(percent: &str) -> Rate {
        Rate::from_percent(percent).unwrap()
    }

    #[test]
    fn golden_tax_exclusive_half_even() {
        let tax =
            |amount, r: &str| tax_amount(amount, &[rate(r)], PriceMode::TaxExclusive, HalfEven).tax;
        assert_eq!(tax(600, "9.75"), 58); // 58.5 -> 58
        assert_eq!(tax(600, "11.75"), 70); // 70.5 -> 70
        assert_eq!(tax(3020, "11.75"), 355); // 354.85 -> 355
    }

    #[test]
    fn golden_tax_exclusive_half_up() {
        let tax =
            |amount, r: &str| tax_amount(amount, &[rate(r)], PriceMode::TaxExclusive, HalfUp).tax;
        assert_eq!(tax(600, "9.75"), 59);
        assert_eq!(tax(600, "11.75"), 71);
        assert_eq!(tax(3020, "11.75"), 355);
    }

    #[test]
    fn golden_tax_inclusive() {
        let taxed = |amount, r: &[Rate], mode| tax_amount(amount, r, PriceMode::TaxInclusive, mode);
        // 1210 incl. 21 %: net 1000, tax 210 exactly.
        assert_eq!(
            taxed(1210, &[rate("21")], HalfEven),
            Taxed {
                net: 1000,
                tax: 210,
                gross: 1210,
                per_rate: vec![210]
            }
        );
        // 1000 incl. 21 %: tax 1000 * 21/121 = 173.55 -> 174, net 826.
        assert_eq!(taxed(1000, &[rate("21")], HalfEven).tax, 174);
        assert_eq!(taxed(1000, &[rate("21")], HalfEven).net, 826);
        // 15 incl. 20 %: tax 15/6 = 2.5 exactly: half-even 2, half-up 3.
        assert_eq!(taxed(15, &[rate("20")], HalfEven).tax, 2);
        assert_eq!(taxed(15, &[rate("20")], HalfUp).tax, 3);
        // 999 incl. 9 %: 999 * 9/109 = 82.486 -> 82, net 917.
        assert_eq!(taxed(999, &[rate("9")], HalfUp).net, 917);
    }

    #[test]
    fn several_rates_split_the_combined_tax() {
        // A 6 % state rate and a 15 % city rate on 1000 incl.: 174 in all,
        // split 49.7 : 124.3 -> 50 + 124.
        let t = tax_amount(
            1000,
            &[rate("6"), rate("15")],
            PriceMode::TaxInclusive,
            HalfEven,
        );
        assert_eq!((t.tax, t.per_rate.clone()), (174, vec![50, 124]));
        // 6.25 % + 2.5 % on 1999 excl.: 174.9125 -> 175, split 124.9 + 50.0.
        let t = tax_amount(
            1999,
            &[rate("6.25"), rate("2.5")],
            PriceMode::TaxExclusive,
            HalfEven,
        );
        assert_eq!((t.tax, t.per_rate, t.gross), (175, vec![125, 50], 2174));
    }

    #[test]
    fn order_level_rounding_rounds_once_per_rate_set() {
        let nine = [rate("9.75")];
        let lines = [
            TaxLine {
                amount: 600,
                rates: &nine,
            },
            TaxLine {
                amount: 600,
                rates: &nine,
            },
        ];
        let policy = |level| TaxPolicy {
            prices: PriceMode::TaxExclusive,
            rounding: HalfUp,
            level,
        };
        // Per line: 58.5 -> 59 twice = 118. Per order: 117 exactly.
        let per_line: i64 = order_tax(&lines, policy(RoundingLevel::Line))
            .iter()
            .map(|t| t.tax)
            .sum();
        let per_order: Vec<i64> = order_tax(&lines, policy(RoundingLevel::Order))
            .iter()
            .map(|t| t.tax)
            .collect();
        assert_eq!(per_line, 118);
        assert_eq!(per_order, vec![59, 58]);
    }

    #[test]
    fn lines_of_mixed_signs_are_rounded_each() {
        let ten = [rate("10")];
        let lines = [
            TaxLine {
                amount: 2000,
                rates: &ten,
            },
            TaxLine {
                amount: -1000,
                rates: &ten,
            },
        ];
        let policy = TaxPolicy {
            prices: PriceMode::TaxExclusive,
            rounding: HalfEven,
            level: RoundingLevel::Order,
        };
        let taxes: Vec<i64> = order_tax(&lines, policy).iter().map(|t| t.tax).collect();
        assert_eq!(taxes, vec![200, -100]);
    }

    fn rates_strategy() -> impl Strategy<Value = Vec<Rate>> {
        proptest::collection::vec(
            (0i64..=300_000).prop_map(|p| Rate::from_ppm(p).unwrap()),
            0..4,
        )
    }

    fn mode_strategy() -> impl Strategy<Value = RoundingMode> {
        prop_oneof![Just(HalfEven), Just(HalfUp)]
    }

    proptest! {
        #[test]
        fn tax_is_within_half_a_minor_unit_and_parts_add_up(
            amount in -10_000_000_000i64..10_000_000_000,
            rates in rates_strategy(),
            mode in mode_strategy(),
            inclusive in any::<bool>(),
        ) {
            let prices = if inclusive { PriceMode::TaxInclusive } else { PriceMode::TaxExclusive };
            let t = tax_amount(amount, &rates, prices, mode);
            let r = i128::from(combined_ppm(&rates));
            let (num, den) = if inclusive {
                (i128::from(amount) * r, 1_000_000 + r)
            } else {
                (i128::from(amount) * r, 1_000_000)
            };
            prop_assert!((2 * (i128::from(t.tax) * den - num)).abs() <= den);
            prop_assert_eq!(t.net + t.tax, t.gross);
            prop_assert_eq!(if inclusive { t.gross } else { t.net }, amount);
            prop_assert_eq!(t.per_rate.iter().sum::<i64>(), t.tax);
        }

        #[test]
        fn every_line_adds_up_at_either_rounding_level(
            amounts in proptest::collection::vec(0i64..1_000_000, 1..20),
            rates in rates_strategy(),
            mode in mode_strategy(),
            inclusive in any::<bool>(),
        ) {
            let prices = if inclusive { PriceMode::TaxInclusive } else { PriceMode::TaxExclusive };
            let lines: Vec<TaxLine> = amounts.iter().map(|&amount| TaxLine { amount, rates: &rates }).collect();
            let by_line = order_tax(&lines, TaxPolicy { prices, rounding: mode, level: RoundingLevel::Line });
            let by_order = order_tax(&lines, TaxPolicy { prices, rounding: mode, level: RoundingLevel::Order });
            prop_assert_eq!(by_order.len(), lines.len());
            for taxed in by_line.iter().chain(&by_order) {
                prop_assert_eq!(taxed.net + taxed.tax, taxed.gross);
                prop_assert_eq!(taxed.per_rate.iter().sum::<i64>(), taxed.tax);
            }
            // Order-level tax is the tax of the sum; line-level differs from
            // it by at most half a unit per line.
            let total: i64 = amounts.iter().sum();
            let once = tax_amount(total, &rates, prices, mode).tax;
            let order_total: i64 = by_order.iter().map(|t| t.tax).sum();
            let line_total: i64 = by_line.iter().map(|t| t.tax).sum();
            prop_assert_eq!(order_total, once);
            prop_assert!(2 * (line_total - once).abs() <= lines.len() as i64 + 1);
        }
    }
}

use proptest::prelude::*;

use super::*;
use crate::money::tax::{PriceMode, RoundingLevel};

fn policies() -> Vec<TaxPolicy> {
    let mut out = Vec::new();
    for prices in [PriceMode::TaxExclusive, PriceMode::TaxInclusive] {
        for rounding in [RoundingMode::HalfEven, RoundingMode::HalfUp] {
            for level in [RoundingLevel::Line, RoundingLevel::Order] {
                out.push(TaxPolicy {
                    prices,
                    rounding,
                    level,
                });
            }
        }
    }
    out
}

fn rate(percent: &str) -> Rate {
    Rate::from_percent(percent).unwrap()
}

#[test]
fn a_weighed_line_and_a_discounted_line_total_exactly() {
    let lines = [
        PricedLine {
            list_price: 1299,
            unit_price: 1299,
            quantity: Quantity::parse("0.455").unwrap(),
            manual_discount: 0,
            rates: vec![rate("7")],
        },
        PricedLine {
            list_price: 250,
            unit_price: 200,
            quantity: Quantity::parse("3").unwrap(),
            manual_discount: 50,
            rates: vec![rate("7")],
        },
    ];
    let policy = TaxPolicy {
        prices: PriceMode::TaxExclusive,
        rounding: RoundingMode::HalfEven,
        level: RoundingLevel::Line,
    };
    let totals = sale_totals(&lines, policy).unwrap();
    // 12.99 x 0.455 = 5.91045 -> 591; 7 % = 41.37 -> 41.
    assert_eq!(totals.lines[0].amount, 591);
    assert_eq!(totals.lines[0].tax, 41);
    // 3 x 2.50 = 750 listed; 3 x 2.00 - 0.50 = 550 charged; 200 off.
    assert_eq!(totals.lines[1].list_amount, 750);
    assert_eq!(totals.lines[1].amount, 550);
    assert_eq!(totals.lines[1].discount, 200);
    assert_eq!(totals.lines[1].tax, 38); // 38.5, half-even
    assert_eq!(totals.total, 591 + 41 + 550 + totals.lines[1].tax);
}

#[test]
fn a_discount_above_the_line_is_refused() {
    let line = PricedLine {
        list_price: 100,
        unit_price: 100,
        quantity: Quantity::ONE,
        manual_discount: 101,
        rates: vec![],
    };
    let err = sale_totals(&[line], policies()[0]).unwrap_err();
    assert_eq!(err.reason, Reason::InvalidAmount);
    assert_eq!(err.field.as_deref(), Some("lines.0.discount"));
}

#[test]
fn change_comes_from_cash_only() {
    use TenderMethod::{Card, Cash};
    let s = settle(1050, &[(Card, 1000), (Cash, 100)]).unwrap();
    assert_eq!((s.change, s.change_per_tender.clone()), (50, vec![0, 50]));
    assert_eq!(
        settle(1050, &[(Card, 1100)]).unwrap_err().reason,
        Reason::ChangeWithoutCash
    );
    assert_eq!(
        settle(1050, &[(Cash, 1000)]).unwrap_err().reason,
        Reason::TendersShort
    );
    assert_eq!(settle(0, &[]).unwrap().change, 0);
}

fn line_strategy() -> impl Strategy<Value = PricedLine> {
    (
        0i64..1_000_000,
        0i64..1_000_000,
        1i64..50_000,
        0i64..3,
        proptest::collection::vec(0i64..250_000, 0..3),
    )
        .prop_map(|(list, unit, q, discount_kind, rates)| {
            let quantity = Quantity::from_milli(q);
            let charged = unit * q / 1_000;
            PricedLine {
                list_price: list,
                unit_price: unit,
                quantity,
                manual_discount: match discount_kind {
                    0 => 0,
                    1 => charged / 10,
                    _ => charged / 3,
                },
                rates: rates.into_iter().filter_map(Rate::from_ppm).collect(),
            }
        })
}

proptest! {
    #[test]
    fn lines_sum_exactly_to_the_total_for_every_rounding_policy(
        lines in proptest::collection::vec(line_strategy(), 1..30),
    ) {
        for policy in policies() {
            let t = sale_totals(&lines, policy).unwrap();
            prop_assert_eq!(t.lines.len(), lines.len());
            prop_assert_eq!(t.lines.iter().map(|l| l.gross).sum::<i64>(), t.total);
            prop_assert_eq!(t.net_total + t.tax_total, t.total);
            prop_assert_eq!(t.list_total - t.discount_total, t.lines.iter().map(|l| l.amount).sum::<i64>());
            for l in &t.lines {
                prop_assert_eq!(l.net + l.tax, l.gross);
                prop_assert_eq!(l.per_rate.iter().sum::<i64>(), l.tax);
                prop_assert_eq!(l.list_amount - l.discount, l.amount);
                let shelf = if policy.prices == PriceMode::TaxInclusive { l.gross } else { l.net };
                prop_assert_eq!(shelf, l.amount);
            }
        }
    }

    #[test]
    fn tenders_cover_the_total_and_change_is_tenders_minus_total(
        total in 0i64..10_000_000,
        tenders in proptest::collection::vec((0usize..5, 1i64..5_000_000), 0..6),
    ) {
        let methods = [TenderMethod::Cash, TenderMethod::Card, TenderMethod::GiftCard, TenderMethod::Voucher, TenderMethod::Other];
        let tenders: Vec<(TenderMethod, i64)> = tenders.into_iter().map(|(m, a)| (methods[m], a)).collect();
        let tendered: i64 = tenders.iter().map(|t| t.1).sum();
        let cash: i64 = tenders.iter().filter(|t| t.0 == TenderMethod::Cash).map(|t| t.1).sum();
        match settle(total, &tenders) {
            Ok(s) => {
                prop_assert!(s.tendered >= total);
                prop_assert_eq!(s.change, s.tendered - total);
                prop_assert_eq!(s.change_per_tender.iter().sum::<i64>(), s.change);
                for (given, (method, amount)) in s.change_per_tender.iter().zip(&tenders) {
                    prop_assert!(*given <= *amount);
                    prop_assert!(*given == 0 || *method == TenderMethod::Cash);
                }
            }
            Err(r) if r.reason == Reason::TendersShort => prop_assert!(tendered < total),
            Err(r) => {
                prop_assert_eq!(r.reason, Reason::ChangeWithoutCash);
                prop_assert!(tendered - total > cash);
            }
        }
    }

    #[test]
    fn partial_refunds_add_up_to_the_line_exactly(
        quantity in 1i64..20_000,
        gross in 0i64..10_000_000,
        discount in -1_000i64..100_000,
        per_rate in proptest::collection::vec(0i64..1_000_000, 0..3),
        cuts in proptest::collection::vec(1i64..5_000, 0..8),
    ) {
        let line = Refundable { quantity_milli: quantity, discount, gross, per_rate: per_rate.clone() };
        // Refund the line in the given slices, then the rest.
        let mut done = 0;
        let mut parts = Vec::new();
        for cut in cuts {
            let q = cut.min(quantity - done);
            if q == 0 { break; }
            parts.push(refund_portion(&line, done, q));
            done += q;
        }
        if done < quantity {
            parts.push(refund_portion(&line, done, quantity - done));
        }
        prop_assert_eq!(parts.iter().map(|p| p.gross).sum::<i64>(), gross);
        prop_assert_eq!(parts.iter().map(|p| p.discount).sum::<i64>(), discount);
        for (i, t) in per_rate.iter().enumerate() {
            prop_assert_eq!(parts.iter().map(|p| p.per_rate[i]).sum::<i64>(), *t);
        }
        for p in &parts {
            prop_assert_eq!(p.net + p.tax, p.gross);
            prop_assert_eq!(p.per_rate.iter().sum::<i64>(), p.tax);
        }
    }
}

//! Division with an explicit rounding mode, and fair allocation.

use serde::{Deserialize, Serialize};

/// How a division that falls between two minor units is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RoundingMode {
    /// Halves go to the even neighbour ("banker's rounding"): 58.5 -> 58,
    /// 59.5 -> 60. Unbiased over many lines.
    HalfEven,
    /// Halves go away from zero: 58.5 -> 59, -58.5 -> -59.
    HalfUp,
}

impl RoundingMode {
    /// The mode as the database stores it.
    pub fn stored(self) -> &'static str {
        match self {
            Self::HalfEven => "HALF_EVEN",
            Self::HalfUp => "HALF_UP",
        }
    }

    /// A stored mode; anything unknown reads as the default (half even).
    pub fn from_stored(text: &str) -> Self {
        if text == "HALF_UP" {
            Self::HalfUp
        } else {
            Self::HalfEven
        }
    }
}

/// `num / den` rounded to the nearest integer by `mode`. `den` must be
/// positive; the sign of the result follows `num`.
pub fn div_round(num: i128, den: i128, mode: RoundingMode) -> i128 {
    assert!(den > 0, "div_round: denominator must be positive");
    let magnitude = num.unsigned_abs();
    let den_u = den as u128;
    let quotient = magnitude / den_u;
    let remainder = magnitude % den_u;
    let twice = remainder * 2;
    let round_up = match twice.cmp(&den_u) {
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal => match mode {
            RoundingMode::HalfUp => true,
            RoundingMode::HalfEven => quotient % 2 == 1,
        },
    };
    let rounded = (quotient + u128::from(round_up)) as i128;
    if num < 0 { -rounded } else { rounded }
}

/// Splits `total` across `weights` in proportion, so the parts sum to
/// `total` exactly (largest remainder; ties go to the earlier weight).
/// Weights must be non-negative; all-zero weights split evenly.
pub fn allocate(total: i64, weights: &[i128]) -> Vec<i64> {
    if weights.is_empty() {
        return Vec::new();
    }
    let weight_sum: i128 = weights.iter().sum();
    let (weights, weight_sum): (Vec<i128>, i128) = if weight_sum == 0 {
        (vec![1; weights.len()], weights.len() as i128)
    } else {
        (weights.to_vec(), weight_sum)
    };
    let sign: i128 = if total < 0 { -1 } else { 1 };
    let magnitude = i128::from(total).abs();
    let mut parts: Vec<i128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = magnitude * w;
        parts.push(exact / weight_sum);
        remainders.push((exact % weight_sum, i));
    }
    let mut left = magnitude - parts.iter().sum::<i128>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in remainders {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts.into_iter().map(|p| (p * sign) as i64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn halves_follow_the_mode() {
        use RoundingMode::*;
        assert_eq!(div_round(585, 10, HalfEven), 58);
        assert_eq!(div_round(595, 10, HalfEven), 60);
        assert_eq!(div_round(585, 10, HalfUp), 59);
        assert_eq!(div_round(-585, 10, HalfUp), -59);
        assert_eq!(div_round(-585, 10, HalfEven), -58);
        assert_eq!(div_round(584, 10, HalfUp), 58);
        assert_eq!(div_round(586, 10, HalfEven), 59);
    }

    #[test]
    fn allocation_is_proportional_and_exact() {
        assert_eq!(allocate(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(allocate(-100, &[1, 1, 1]), vec![-34, -33, -33]);
        assert_eq!(allocate(174, &[60_000, 150_000]), vec![50, 124]);
        assert_eq!(allocate(5, &[0, 0]), vec![3, 2]);
    }

    proptest! {
        #[test]
        fn rounding_is_within_half_a_unit(num in -1_000_000_000_000i128..1_000_000_000_000, den in 1i128..10_000_000) {
            for mode in [RoundingMode::HalfEven, RoundingMode::HalfUp] {
                let r = div_round(num, den, mode);
                // |r - num/den| <= 1/2  <=>  |2(r*den - num)| <= den
                prop_assert!((2 * (r * den - num)).abs() <= den);
            }
        }

        #[test]
        fn modes_differ_only_on_exact_halves(num in -1_000_000i128..1_000_000, den in 1i128..1000) {
            let even = div_round(num, den, RoundingMode::HalfEven);
            let up = div_round(num, den, RoundingMode::HalfUp);
            if even != up {
                prop_assert_eq!((2 * num).rem_euclid(2 * den), den);
            }
        }

        #[test]
        fn allocations_sum_to_the_total(total in -1_000_000_000i64..1_000_000_000, weights in proptest::collection::vec(0i128..1_000_000, 1..12)) {
            let parts = allocate(total, &weights);
            prop_assert_eq!(parts.iter().sum::<i64>(), total);
            let weight_sum: i128 = weights.iter().sum();
            if weight_sum > 0 {
                for (part, w) in parts.iter().zip(&weights) {
                    let exact = i128::from(total) * w;
                    // Each part is within one unit of its exact share.
                    prop_assert!((i128::from(*part) * weight_sum - exact).abs() < weight_sum);
                }
            }
        }
    }
}

//! The arithmetic of sales and refunds, pure: line amounts, discounts and
//! tax; tenders and change; refunds pro-rated from the original line.
//! Integers only (docs/architecture.md, "Exact money").

use super::checks::MAX_AMOUNT;
use super::event::TenderMethod;
use super::rejection::{Checked, Reason, Rejection};
use crate::money::tax::{TaxLine, TaxPolicy, order_tax};
use crate::money::{Quantity, Rate, RoundingMode, div_round};

/// A line ready to be totalled: its prices are known.
#[derive(Debug, Clone)]
pub struct PricedLine {
    pub list_price: i64,
    pub unit_price: i64,
    pub quantity: Quantity,
    pub manual_discount: i64,
    pub rates: Vec<Rate>,
}

/// A totalled line. `list_amount - discount = amount`; `net + tax = gross`;
/// `per_rate` sums to `tax`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineTotals {
    pub list_amount: i64,
    pub discount: i64,
    pub amount: i64,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
    pub per_rate: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleTotals {
    pub lines: Vec<LineTotals>,
    pub list_total: i64,
    pub discount_total: i64,
    pub net_total: i64,
    pub tax_total: i64,
    /// What the customer pays: the sum of the lines' gross.
    pub total: i64,
}

/// `price × quantity`, rounded, or a rejection past [`MAX_AMOUNT`].
fn extend(price: i64, quantity: Quantity, mode: RoundingMode, field: &str) -> Checked<i64> {
    let exact = div_round(
        i128::from(price) * i128::from(quantity.milli()),
        1_000,
        mode,
    );
    if exact.abs() > i128::from(MAX_AMOUNT) {
        return Err(Rejection::at(
            Reason::InvalidAmount,
            field,
            "the line amount is beyond 10^15 minor units",
        ));
    }
    Ok(exact as i64)
}

/// Totals a sale from its lines under the tax `policy`.
pub fn sale_totals(lines: &[PricedLine], policy: TaxPolicy) -> Checked<SaleTotals> {
    let mut amounts = Vec::with_capacity(lines.len());
    for (i, line) in lines.iter().enumerate() {
        let field = format!("lines.{i}.quantity");
        let list_amount = extend(line.list_price, line.quantity, policy.rounding, &field)?;
        let charged = extend(line.unit_price, line.quantity, policy.rounding, &field)?;
        if line.manual_discount > charged {
            return Err(Rejection::at(
                Reason::InvalidAmount,
                format!("lines.{i}.discount"),
                "a discount cannot exceed the line's amount",
            ));
        }
        amounts.push((list_amount, charged - line.manual_discount));
    }
    let tax_lines: Vec<TaxLine> = lines
        .iter()
        .zip(&amounts)
        .map(|(line, (_, amount))| TaxLine {
            amount: *amount,
            rates: &line.rates,
        })
        .collect();
    let taxed = order_tax(&tax_lines, policy);
    let lines: Vec<LineTotals> = amounts
        .iter()
        .zip(taxed)
        .map(|(&(list_amount, amount), t)| LineTotals {
            list_amount,
            discount: list_amount - amount,
            amount,
            net: t.net,
            tax: t.tax,
            gross: t.gross,
            per_rate: t.per_rate,
        })
        .collect();
    // Each line is below 10^15 minor units and there are at most 500, so
    // these sums stay far inside i64.
    let sum = |f: fn(&LineTotals) -> i64| lines.iter().map(f).sum::<i64>();
    Ok(SaleTotals {
        list_total: sum(|l| l.list_amount),
        discount_total: sum(|l| l.discount),
        net_total: sum(|l| l.net),
        tax_total: sum(|l| l.tax),
        total: sum(|l| l.gross),
        lines,
    })
}

/// How the tenders settle a total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub tendered: i64,
    /// `tendered - total`.
    pub change: i64,
    /// The change given from each tender: only cash gives change.
    pub change_per_tender: Vec<i64>,
}

/// Checks that `tenders` cover `total` and works out the change, which
/// only cash can give: card, gift-card, voucher and other tenders together
/// may not exceed the total.
pub fn settle(total: i64, tenders: &[(TenderMethod, i64)]) -> Checked<Settlement> {
    let tendered: i64 = tenders.iter().map(|t| t.1).sum();
    if tendered < total {
        return Err(Rejection::at(
            Reason::TendersShort,
            "tenders",
            format!("the tenders ({tendered}) do not cover the total ({total})"),
        ));
    }
    let change = tendered - total;
    let cash: i64 = tenders
        .iter()
        .filter(|t| t.0 == TenderMethod::Cash)
        .map(|t| t.1)
        .sum();
    if change > cash {
        return Err(Rejection::at(
            Reason::ChangeWithoutCash,
            "tenders",
            "non-cash tenders exceed the total: only cash gives change",
        ));
    }
    // Change comes from the last cash tenders first.
    let mut left = change;
    let mut change_per_tender = vec![0; tenders.len()];
    for (i, (method, amount)) in tenders.iter().enumerate().rev() {
        if *method == TenderMethod::Cash && left > 0 {
            let given = left.min(*amount);
            change_per_tender[i] = given;
            left -= given;
        }
    }
    Ok(Settlement {
        tendered,
        change,
        change_per_tender,
    })
}

/// What a sale line holds, for pro-rating refunds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refundable {
    pub quantity_milli: i64,
    pub discount: i64,
    pub gross: i64,
    pub per_rate: Vec<i64>,
}

/// A refunded part of a line. `net + tax = gross`; `per_rate` sums to
/// `tax`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundPortion {
    pub discount: i64,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
    pub per_rate: Vec<i64>,
}

/// The part of `line` refunded by `quantity_milli` after `before_milli`
/// were already refunded. Worked out as the difference of cumulative
/// shares, so however a line is refunded in parts, the parts add up to
/// the line exactly once all of it is refunded.
pub fn refund_portion(line: &Refundable, before_milli: i64, quantity_milli: i64) -> RefundPortion {
    let total = i128::from(line.quantity_milli.max(1));
    let after = before_milli + quantity_milli;
    let share = |amount: i64| {
        let cumulative = |q: i64| {
            div_round(
                i128::from(amount) * i128::from(q),
                total,
                RoundingMode::HalfEven,
            ) as i64
        };
        cumulative(after) - cumulative(before_milli)
    };
    let per_rate: Vec<i64> = line.per_rate.iter().map(|&t| share(t)).collect();
    let tax = per_rate.iter().sum();
    let gross = share(line.gross);
    RefundPortion {
        discount: share(line.discount),
        net: gross - tax,
        tax,
        gross,
        per_rate,
    }
}

#[cfg(test)]
#[path = "tests/compute.rs"]
mod tests;

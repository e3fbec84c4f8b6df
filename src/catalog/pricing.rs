//! The one pricing function: `price(variant, location, instant, quantity)`.
//!
//! # How rules combine
//! 1. The list price is the location's override for the variant if there is
//!    one, else the variant's base price.
//! 2. A rule is *applicable* when its target matches (every variant, a
//!    product, a variant or a category), its location matches (or it has
//!    none), `valid_from <= instant < valid_until`, the local weekday and
//!    time of day fall in its window (in the location's time zone, so a
//!    happy hour follows the wall clock through DST changes), and the
//!    quantity is at least its `min_quantity`.
//! 3. Applicable rules are taken in priority order (highest first; equal
//!    priorities by id, that is by creation). The first always applies.
//!    Each later one applies only if it and every rule applied so far are
//!    `stackable`; so a non-stackable rule is exclusive.
//! 4. Percent and amount reductions compound on the running price; a fixed
//!    price replaces it. The price never goes below zero. Percentages round
//!    with the tenant's rounding mode.

use chrono::{DateTime, Datelike, NaiveTime, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::{Quantity, Rate, RoundingMode, div_round};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Adjustment {
    PercentOff(Rate),
    AmountOff(i64),
    FixedPrice(i64),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    All,
    Product(Uuid),
    Variant(Uuid),
    Category(String),
}

/// A time-of-day window in local time; `from > until` wraps past midnight
/// (22:00-02:00), and then the weekday is the day the window opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeWindow {
    pub from: NaiveTime,
    pub until: NaiveTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub id: Uuid,
    pub priority: i32,
    pub stackable: bool,
    pub adjustment: Adjustment,
    pub target: Target,
    pub location: Option<Uuid>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    /// Bit 0 is Monday … bit 6 Sunday; 0 means every day.
    pub weekdays: u8,
    pub time: Option<TimeWindow>,
    pub min_quantity: Quantity,
}

/// What pricing needs to know about a variant.
#[derive(Debug, Clone, Copy)]
pub struct PricedVariant<'a> {
    pub id: Uuid,
    pub product: Uuid,
    pub category: Option<&'a str>,
    pub base_price: i64,
    /// Per-location overrides of the base price.
    pub location_prices: &'a [(Uuid, i64)],
    /// The tenant's active rules; non-matching ones are ignored.
    pub rules: &'a [Rule],
}

/// What pricing needs to know about a location.
#[derive(Debug, Clone, Copy)]
pub struct PricedLocation {
    pub id: Uuid,
    pub time_zone: Tz,
    pub rounding: RoundingMode,
}

/// The effective unit price and how it came about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Price {
    pub unit_price: i64,
    /// Before rules: the location override or the base price.
    pub list_price: i64,
    /// The rules applied, in the order applied.
    pub rules: Vec<Uuid>,
}

pub fn price(
    variant: &PricedVariant<'_>,
    location: &PricedLocation,
    instant: DateTime<Utc>,
    quantity: Quantity,
) -> Price {
    let list_price = variant
        .location_prices
        .iter()
        .find(|(loc, _)| *loc == location.id)
        .map_or(variant.base_price, |(_, p)| *p);
    let mut applicable: Vec<&Rule> = variant
        .rules
        .iter()
        .filter(|r| applies(r, variant, location, instant, quantity))
        .collect();
    applicable.sort_by(|a, b| b.priority.cmp(&a.priority).then(a.id.cmp(&b.id)));

    let mut running = list_price;
    let mut applied = Vec::new();
    let mut all_stackable = true;
    for rule in applicable {
        if !(applied.is_empty() || all_stackable && rule.stackable) {
            continue;
        }
        running = adjust(running, &rule.adjustment, location.rounding);
        all_stackable &= rule.stackable;
        applied.push(rule.id);
    }
    Price {
        unit_price: running,
        list_price,
        rules: applied,
    }
}

fn adjust(price: i64, adjustment: &Adjustment, rounding: RoundingMode) -> i64 {
    let adjusted = match adjustment {
        Adjustment::PercentOff(rate) => {
            let off = div_round(
                i128::from(price) * i128::from(rate.ppm()),
                i128::from(Rate::ONE),
                rounding,
            );
            price - off as i64
        }
        Adjustment::AmountOff(amount) => price.saturating_sub(*amount),
        Adjustment::FixedPrice(fixed) => *fixed,
    };
    adjusted.max(0)
}

fn applies(
    rule: &Rule,
    variant: &PricedVariant<'_>,
    location: &PricedLocation,
    instant: DateTime<Utc>,
    quantity: Quantity,
) -> bool {
    let target = match &rule.target {
        Target::All => true,
        Target::Product(id) => *id == variant.product,
        Target::Variant(id) => *id == variant.id,
        Target::Category(c) => variant.category == Some(c.as_str()),
    };
    target
        && rule.location.is_none_or(|l| l == location.id)
        && rule.valid_from.is_none_or(|from| instant >= from)
        && rule.valid_until.is_none_or(|until| instant < until)
        && quantity >= rule.min_quantity
        && in_local_window(rule, instant.with_timezone(&location.time_zone))
}

fn weekday_bit(day: chrono::Weekday) -> u8 {
    1 << day.num_days_from_monday()
}

fn in_local_window(rule: &Rule, local: DateTime<Tz>) -> bool {
    let day_ok = |day: chrono::Weekday| rule.weekdays == 0 || rule.weekdays & weekday_bit(day) != 0;
    let now = local.time().with_nanosecond(0).unwrap_or(local.time());
    match rule.time {
        None => day_ok(local.weekday()),
        Some(TimeWindow { from, until }) if from <= until => {
            from <= now && now < until && day_ok(local.weekday())
        }
        // Wraps midnight: before midnight it opened today, after it opened
        // yesterday.
        Some(TimeWindow { from, until }) => {
            if now >= from {
                day_ok(local.weekday())
            } else if now < until {
                day_ok(local.weekday().pred())
            } else {
                false
            }
        }
    }
}

#[cfg(test)]
#[path = "tests/pricing.rs"]
mod tests;

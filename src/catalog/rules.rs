//! Pricing rule records and their conversion to [`pricing::Rule`].

use chrono::{DateTime, NaiveTime, Utc};
use entity::enums::{AdjustmentKind, RuleTarget, Status};
use entity::{location, pricing_rule};
use sea_orm::{ColumnTrait, IntoActiveModel, QueryFilter, Set};
use uuid::Uuid;

use super::changes::{self, Change, Entity};
use super::pricing::{self, Adjustment, Target, TimeWindow};
use super::{products, variants};
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::money::Decimal3;
use crate::money::{Quantity, Rate};
use crate::tenancy::Page;
use crate::tenancy::{Db, TenantTx};
use crate::validate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

const WEEK: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

pub fn weekdays_of(bits: i16) -> Vec<Weekday> {
    WEEK.iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, d)| *d)
        .collect()
}

/// A pricing rule. See the pricing documentation for how rules combine:
/// highest `priority` first; a rule applies after others only if all are
/// `stackable`.
#[derive(Debug, Clone)]
pub struct PricingRuleInput {
    pub name: String,
    pub priority: i32,
    pub stackable: bool,
    pub adjustment: AdjustmentKind,
    /// PERCENT_OFF: a percent such as `"15"` or `"12.5"`. AMOUNT_OFF and
    /// FIXED_PRICE: minor units such as `"250"`.
    pub value: String,
    pub target: RuleTarget,
    /// The product or variant, for those targets.
    pub target_id: Option<String>,
    /// The category, for CATEGORY.
    pub target_category: Option<String>,
    /// Only at this location; every location when absent.
    pub location_id: Option<String>,
    pub valid_from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub valid_until: Option<DateTime<Utc>>,
    /// Local weekdays; every day when empty.
    pub weekdays: Vec<Weekday>,
    /// Local time of day `HH:MM`, with `timeUntil`; a window that ends
    /// before it starts wraps midnight.
    pub time_from: Option<String>,
    pub time_until: Option<String>,
    /// Applies from this quantity on (a quantity break).
    pub min_quantity: Option<Decimal3>,
}

fn time(field: &str, value: &str) -> Result<String> {
    NaiveTime::parse_from_str(value.trim(), "%H:%M")
        .map(|t| t.format("%H:%M").to_string())
        .map_err(|_| AppError::bad_input(field, format!("{field} is a time of day such as 17:30")))
}

/// Sets every field of `model` from `input`, checked: the adjustment, what
/// it targets, where, and when.
async fn fill(
    tx: &TenantTx,
    model: &mut pricing_rule::ActiveModel,
    input: &PricingRuleInput,
) -> Result<()> {
    model.name = Set(validate::text("name", &input.name, 200)?);
    model.priority = Set(input.priority);
    model.stackable = Set(input.stackable);
    let kind = input.adjustment;
    model.value = Set(value_of(kind, &input.value)?);
    model.adjustment = Set(kind);
    let target = input.target;
    let (target_id, category) = target_of(tx, target, input).await?;
    model.target = Set(target);
    model.target_id = Set(target_id);
    model.target_category = Set(category);
    model.location_id = Set(location_of(tx, input).await?);
    window(model, input)?;
    let min = input.min_quantity.map_or(0, |q| q.0.milli());
    if min < 0 {
        return Err(AppError::bad_input(
            "minQuantity",
            "minQuantity must not be negative",
        ));
    }
    model.min_quantity = Set(min);
    Ok(())
}

/// The adjustment's value: parts per million off, or minor units.
fn value_of(kind: AdjustmentKind, value: &str) -> Result<i64> {
    match kind {
        AdjustmentKind::PercentOff => Rate::from_percent(value).map(Rate::ppm).ok_or_else(|| {
            AppError::bad_input("value", "a percent from 0 to 100, such as 15 or 12.5")
        }),
        _ => value
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|v| (0..=variants::MAX_PRICE).contains(v))
            .ok_or_else(|| {
                AppError::bad_input("value", "a non-negative whole number of minor units")
            }),
    }
}

/// The product or variant a rule targets (which must exist), or its
/// category.
async fn target_of(
    tx: &TenantTx,
    target: RuleTarget,
    input: &PricingRuleInput,
) -> Result<(Option<Uuid>, Option<String>)> {
    let target_id = input
        .target_id
        .as_ref()
        .map(|id| validate::id("targetId", id))
        .transpose()?;
    match (target, target_id) {
        (RuleTarget::All, _) => Ok((None, None)),
        (RuleTarget::Category, _) => {
            let c = input.target_category.as_deref().unwrap_or_default();
            Ok((None, Some(validate::text("targetCategory", c, 100)?)))
        }
        (RuleTarget::Product, Some(id)) => {
            products::find(tx, id)
                .await?
                .ok_or_else(|| AppError::bad_input("targetId", "no such product"))?;
            Ok((Some(id), None))
        }
        (RuleTarget::Variant, Some(id)) => {
            variants::find(tx, id)
                .await?
                .ok_or_else(|| AppError::bad_input("targetId", "no such variant"))?;
            Ok((Some(id), None))
        }
        (_, None) => Err(AppError::bad_input(
            "targetId",
            "this target needs a targetId",
        )),
    }
}

/// The one location a rule is limited to, which must exist; `None` for
/// every location.
async fn location_of(tx: &TenantTx, input: &PricingRuleInput) -> Result<Option<Uuid>> {
    let Some(id) = input
        .location_id
        .as_ref()
        .map(|id| validate::id("locationId", id))
        .transpose()?
    else {
        return Ok(None);
    };
    let exists = tx
        .select::<location::Entity>()
        .filter(location::Column::Id.eq(id))
        .count(tx)
        .await?
        > 0;
    if !exists {
        return Err(AppError::bad_input("locationId", "no such location"));
    }
    Ok(Some(id))
}

/// When the rule applies: dates, weekdays and a time of day.
fn window(model: &mut pricing_rule::ActiveModel, input: &PricingRuleInput) -> Result<()> {
    if let (Some(from), Some(until)) = (input.valid_from, input.valid_until)
        && from >= until
    {
        return Err(AppError::bad_input(
            "validUntil",
            "validUntil must be after validFrom",
        ));
    }
    model.valid_from = Set(input.valid_from);
    model.valid_until = Set(input.valid_until);
    model.weekdays = Set(input.weekdays.iter().fold(0_i16, |bits, d| {
        bits | (1 << WEEK.iter().position(|w| w == d).unwrap_or(0))
    }));
    let (from, until) = match (&input.time_from, &input.time_until) {
        (Some(f), Some(u)) => (Some(time("timeFrom", f)?), Some(time("timeUntil", u)?)),
        (None, None) => (None, None),
        _ => {
            return Err(AppError::bad_input(
                "timeUntil",
                "give both timeFrom and timeUntil, or neither",
            ));
        }
    };
    if from.is_some() && from == until {
        return Err(AppError::bad_input(
            "timeUntil",
            "timeUntil must differ from timeFrom",
        ));
    }
    model.time_from = Set(from);
    model.time_until = Set(until);
    Ok(())
}

async fn find(tx: &TenantTx, id: Uuid) -> Result<Option<pricing_rule::Model>> {
    Ok(tx
        .select::<pricing_rule::Entity>()
        .filter(pricing_rule::Column::Id.eq(id))
        .one(tx)
        .await?)
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant))]
pub async fn create(
    session: &Session,
    db: &Db,
    input: PricingRuleInput,
) -> Result<pricing_rule::Model> {
    let tx = db.write(session).await?;
    let now = Utc::now();
    let mut model = pricing_rule::ActiveModel {
        id: Set(Uuid::now_v7()),
        status: Set(Status::Active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    fill(&tx, &mut model, &input).await?;
    let created = tx.insert(model).await?;
    changes::record(&tx, vec![Change::upsert(Entity::PricingRule, created.id)]).await?;
    tx.commit().await?;
    Ok(created)
}

/// Replaces every field of a rule.
#[tracing::instrument(skip_all, fields(tenant = %session.tenant, rule = %id))]
pub async fn update(
    session: &Session,
    db: &Db,
    id: Uuid,
    input: PricingRuleInput,
) -> Result<pricing_rule::Model> {
    let tx = db.write(session).await?;
    let existing = find(&tx, id).await?.ok_or_else(not_found)?;
    let mut model = existing.into_active_model();
    fill(&tx, &mut model, &input).await?;
    model.updated_at = Set(Utc::now());
    let updated = tx.update(model).await?;
    changes::record(&tx, vec![Change::upsert(Entity::PricingRule, id)]).await?;
    tx.commit().await?;
    Ok(updated)
}

pub async fn archive(session: &Session, db: &Db, id: Uuid) -> Result<pricing_rule::Model> {
    super::archive::archive::<pricing_rule::Entity>(session, db, id).await
}

pub async fn get(session: &Session, db: &Db, id: Uuid) -> Result<Option<pricing_rule::Model>> {
    let tx = db.read(session).await?;
    find(&tx, id).await
}

pub async fn list(session: &Session, db: &Db, page: &Page) -> Result<Vec<pricing_rule::Model>> {
    let tx = db.read(session).await?;
    Ok(page
        .apply(
            tx.select::<pricing_rule::Entity>(),
            pricing_rule::Column::Id,
        )
        .all(&tx)
        .await?)
}

/// The tenant's active rules, ready for [`pricing::price`].
pub async fn active(tx: &TenantTx) -> Result<Vec<pricing::Rule>> {
    let rows = tx
        .select::<pricing_rule::Entity>()
        .filter(pricing_rule::Column::Status.eq(Status::Active))
        .all(tx)
        .await?;
    Ok(rows.iter().filter_map(to_rule).collect())
}

/// Converts a stored rule; a row that no longer parses is skipped (and
/// logged) rather than mispricing.
pub fn to_rule(row: &pricing_rule::Model) -> Option<pricing::Rule> {
    let adjustment = match row.adjustment {
        AdjustmentKind::PercentOff => Adjustment::PercentOff(Rate::from_ppm(row.value)?),
        AdjustmentKind::AmountOff => Adjustment::AmountOff(row.value),
        AdjustmentKind::FixedPrice => Adjustment::FixedPrice(row.value),
    };
    let target = match row.target {
        RuleTarget::All => Target::All,
        RuleTarget::Product => Target::Product(row.target_id?),
        RuleTarget::Variant => Target::Variant(row.target_id?),
        RuleTarget::Category => Target::Category(row.target_category.clone()?),
    };
    let parse = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok())
    };
    let time = match (parse(&row.time_from), parse(&row.time_until)) {
        (Some(from), Some(until)) => Some(TimeWindow { from, until }),
        _ => None,
    };
    Some(pricing::Rule {
        id: row.id,
        priority: row.priority,
        stackable: row.stackable,
        adjustment,
        target,
        location: row.location_id,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        weekdays: (row.weekdays & 0x7f) as u8,
        time,
        min_quantity: Quantity::from_milli(row.min_quantity),
    })
}

pub fn not_found() -> AppError {
    AppError::not_found("pricing rule not found")
}

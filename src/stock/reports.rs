//! Stock reports, read from the ledger and the levels: what stock is
//! worth at cost per location, and what moved per location and period.
//! Nothing here is a rollup, so nothing can drift from the ledger;
//! `check` verifies the levels themselves (called by `reconcile`).

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use entity::{stock_level, stock_movement, stock_transfer, stock_transfer_line};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::ledger::Kind;
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::money::{RoundingMode, div_round};
use crate::tenancy::{Db, TenantTx};

/// Stock at cost at one location.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Valuation {
    pub location: Uuid,
    /// Levels with something on hand.
    pub variants: i64,
    /// Thousandths of units on hand (levels below zero count as none).
    pub units: i64,
    /// Each level's on hand × its moving-average cost, rounded half-even
    /// to the minor unit, summed; levels without a cost count as none.
    pub value: i64,
    /// Levels on hand that have no cost yet.
    pub without_cost: i64,
}

/// What one level is worth at its average cost.
pub fn value_of(on_hand: i64, average_cost: Option<i64>) -> Option<i64> {
    let cost = average_cost?;
    Some(div_round(
        i128::from(Ord::max(on_hand, 0)) * i128::from(cost),
        1_000,
        RoundingMode::HalfEven,
    ) as i64)
}

pub async fn valuation(
    session: &Session,
    db: &Db,
    location: Option<Uuid>,
) -> Result<Vec<Valuation>> {
    let tx = db.read(session).await?;
    let mut select = tx
        .select::<stock_level::Entity>()
        .select_only()
        .column(stock_level::Column::LocationId)
        .column(stock_level::Column::OnHand)
        .column(stock_level::Column::AverageCost)
        .filter(stock_level::Column::OnHand.gt(0));
    if let Some(l) = location {
        select = select.filter(stock_level::Column::LocationId.eq(l));
    }
    let rows: Vec<(Uuid, i64, Option<i64>)> = select.into_tuple().all(&tx).await?;
    let mut by: BTreeMap<Uuid, Valuation> = BTreeMap::new();
    for (loc, on_hand, cost) in rows {
        let v = by.entry(loc).or_insert_with(|| Valuation {
            location: loc,
            ..Valuation::default()
        });
        v.variants += 1;
        v.units += on_hand;
        match value_of(on_hand, cost) {
            Some(value) => v.value += value,
            None => v.without_cost += 1,
        }
    }
    Ok(by.into_values().collect())
}

/// Units moved at one location in one period, by what moved them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flow {
    pub location: Uuid,
    /// The period's first day.
    pub period: NaiveDate,
    pub received: i64,
    pub sold: i64,
    /// Back from refunds and voids.
    pub returned: i64,
    pub adjusted: i64,
    /// Counts' differences.
    pub counted: i64,
    pub transferred_in: i64,
    pub transferred_out: i64,
}

/// The longest range one call covers.
const MAX_DAYS: i64 = 400;

/// Units received, sold, returned, adjusted, counted and transferred per
/// location and day (or month), by business date, from `from` to `to`
/// inclusive. Quantities are thousandths of units.
pub async fn flow(
    session: &Session,
    db: &Db,
    (from, to): (NaiveDate, NaiveDate),
    location: Option<Uuid>,
    monthly: bool,
) -> Result<Vec<Flow>> {
    if from > to || (to - from).num_days() + 1 > MAX_DAYS {
        return Err(AppError::bad_input(
            "to",
            format!("to must be from `from` to {MAX_DAYS} days after it"),
        ));
    }
    use stock_movement::Column as C;
    let tx = db.read(session).await?;
    let mut select = tx
        .select::<stock_movement::Entity>()
        .select_only()
        .column(C::LocationId)
        .column(C::BusinessDate)
        .column(C::Kind)
        .column_as(Expr::col(C::Quantity).sum().cast_as("BIGINT"), "quantity")
        .filter(C::BusinessDate.gte(from))
        .filter(C::BusinessDate.lte(to))
        .group_by(C::LocationId)
        .group_by(C::BusinessDate)
        .group_by(C::Kind);
    if let Some(l) = location {
        select = select.filter(C::LocationId.eq(l));
    }
    let mut rows: Vec<(Uuid, NaiveDate, String, i64)> = select.into_tuple().all(&tx).await?;
    let sold = super::sold::per_day(&tx, (from, to), location).await?;
    rows.extend(
        sold.into_iter()
            .map(|(l, d, q)| (l, d, Kind::Sale.as_str().to_owned(), -q)),
    );
    let mut by: BTreeMap<(NaiveDate, Uuid), Flow> = BTreeMap::new();
    for (loc, date, kind, quantity) in rows {
        let period = if monthly {
            date.with_day(1).unwrap_or(date)
        } else {
            date
        };
        let f = by.entry((period, loc)).or_insert_with(|| Flow {
            location: loc,
            period,
            ..Flow::default()
        });
        match Kind::from_stored(&kind) {
            Some(Kind::Receive) => f.received += quantity,
            Some(Kind::Sale) => f.sold -= quantity,
            Some(Kind::Refund | Kind::Void) => f.returned += quantity,
            Some(Kind::Adjust) => f.adjusted += quantity,
            Some(Kind::Count) => f.counted += quantity,
            Some(Kind::TransferIn) => f.transferred_in += quantity,
            Some(Kind::TransferOut) => f.transferred_out -= quantity,
            None => return Err(AppError::internal("unknown stock movement kind")),
        }
    }
    Ok(by.into_values().collect())
}

/// The ledger's sum per (location, variant).
async fn ledger_sums(tx: &TenantTx) -> Result<HashMap<(Uuid, Uuid), i64>> {
    use stock_movement::Column as M;
    let sums: Vec<(Uuid, Uuid, i64)> = tx
        .select::<stock_movement::Entity>()
        .select_only()
        .column(M::LocationId)
        .column(M::VariantId)
        .column_as(Expr::col(M::Quantity).sum().cast_as("BIGINT"), "quantity")
        .group_by(M::LocationId)
        .group_by(M::VariantId)
        .into_tuple()
        .all(tx)
        .await?;
    let mut out: HashMap<(Uuid, Uuid), i64> =
        sums.into_iter().map(|(l, v, q)| ((l, v), q)).collect();
    for (key, q) in super::sold::per_level(tx).await? {
        *out.entry(key).or_default() += q;
    }
    Ok(out)
}

/// What transfers not yet received bring to each (location, variant).
async fn in_transit(tx: &TenantTx) -> Result<HashMap<(Uuid, Uuid), i64>> {
    let open: Vec<(Uuid, Uuid)> = tx
        .select::<stock_transfer::Entity>()
        .select_only()
        .column(stock_transfer::Column::Id)
        .column(stock_transfer::Column::ToLocationId)
        .filter(stock_transfer::Column::Status.eq(super::transfers::IN_TRANSIT))
        .into_tuple()
        .all(tx)
        .await?;
    let destination: HashMap<Uuid, Uuid> = open.into_iter().collect();
    let mut out: HashMap<(Uuid, Uuid), i64> = HashMap::new();
    for chunk in destination
        .keys()
        .copied()
        .collect::<Vec<_>>()
        .chunks(1_000)
    {
        let lines = tx
            .select::<stock_transfer_line::Entity>()
            .filter(stock_transfer_line::Column::TransferId.is_in(chunk.iter().copied()))
            .all(tx)
            .await?;
        for l in lines {
            *out.entry((destination[&l.transfer_id], l.variant_id))
                .or_default() += l.quantity;
        }
    }
    Ok(out)
}

/// A level that was not the sum of its ledger, and what it should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelDifference {
    pub location: Uuid,
    pub variant: Uuid,
    /// `on_hand` or `in_transit`.
    pub field: &'static str,
    pub stored: i64,
    pub expected: i64,
}

/// Checks every level against its ledger, inside `tx`, and sets any that
/// differs to what the ledger says: on hand is the sum of the level's
/// movements, in transit the sum of the transfers to it not yet received.
/// The levels are locked first (after their locations' feed counters, as
/// every writer of levels takes them), so no movement lands in between.
pub async fn check(tx: &TenantTx) -> Result<Vec<LevelDifference>> {
    let locations: Vec<Uuid> = tx
        .select::<stock_level::Entity>()
        .select_only()
        .column(stock_level::Column::LocationId)
        .distinct()
        .into_tuple()
        .all(tx)
        .await?;
    super::feed::claim(tx, &locations).await?;
    let levels = tx
        .select::<stock_level::Entity>()
        .lock_exclusive()
        .all(tx)
        .await?;
    let on_hand = ledger_sums(tx).await?;
    let in_transit = in_transit(tx).await?;
    let mut out = Vec::new();
    for level in levels {
        let key = (level.location_id, level.variant_id);
        for (field, stored, expected) in [
            (
                "on_hand",
                level.on_hand,
                on_hand.get(&key).copied().unwrap_or(0),
            ),
            (
                "in_transit",
                level.in_transit,
                in_transit.get(&key).copied().unwrap_or(0),
            ),
        ] {
            if stored == expected {
                continue;
            }
            let column = if field == "on_hand" {
                stock_level::Column::OnHand
            } else {
                stock_level::Column::InTransit
            };
            let version = super::feed::bump(tx, key.0).await?;
            tx.update_many::<stock_level::Entity>()
                .col_expr(column, Expr::value(expected))
                .col_expr(stock_level::Column::Version, Expr::value(version))
                .filter(stock_level::Column::LocationId.eq(key.0))
                .filter(stock_level::Column::VariantId.eq(key.1))
                .exec(tx)
                .await?;
            out.push(LevelDifference {
                location: key.0,
                variant: key.1,
                field,
                stored,
                expected,
            });
        }
    }
    Ok(out)
}

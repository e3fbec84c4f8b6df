//! Checking a stock document's lines before anything is written: the
//! location, distinct stock-tracked variants, quantities their units
//! allow, and unit costs.

use std::collections::HashMap;

use entity::enums::Unit;
use entity::{location, variant};
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use super::{Line, MAX_LINES};
use crate::error::{AppError, Result};
use crate::tenancy::TenantTx;

/// A quantity's bound, in thousandths: a million units.
const MAX_QUANTITY: i64 = 1_000_000_000;
/// A unit cost's bound, in minor units.
const MAX_COST: i64 = 1_000_000_000_000;

/// Checks the location, and that every line names a distinct variant of
/// the tenant that tracks stock, with a quantity its unit allows. `sign`
/// says which quantities are allowed: 1 positive, 0 zero or more, -1 any
/// but zero.
pub async fn check_lines(
    tx: &TenantTx,
    (location, location_field): (Uuid, &str),
    lines: &[Line],
    sign: i8,
) -> Result<HashMap<Uuid, variant::Model>> {
    let found = tx
        .select::<location::Entity>()
        .filter(location::Column::Id.eq(location))
        .count(tx)
        .await?;
    if found == 0 {
        return Err(crate::org::locations::not_found().at(location_field));
    }
    if lines.is_empty() || lines.len() > MAX_LINES {
        return Err(AppError::bad_input(
            "lines",
            format!("a stock document has 1 to {MAX_LINES} lines"),
        ));
    }
    let ids: Vec<Uuid> = lines.iter().map(|l| l.variant).collect();
    let variants: HashMap<Uuid, variant::Model> = tx
        .select::<variant::Entity>()
        .filter(variant::Column::Id.is_in(ids.iter().copied()))
        .all(tx)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let mut seen = std::collections::HashSet::new();
    for (i, line) in lines.iter().enumerate() {
        let at = |f: &str| format!("lines.{i}.{f}");
        let Some(v) = variants.get(&line.variant) else {
            return Err(AppError::not_found("no such variant").at(&at("variantId")));
        };
        if !v.track_stock {
            return Err(AppError::bad_input(
                &at("variantId"),
                format!("{} does not track stock: set trackStock first", v.sku),
            ));
        }
        if !seen.insert(line.variant) {
            return Err(AppError::bad_input(
                &at("variantId"),
                "each variant appears on one line of a document",
            ));
        }
        check_quantity(&at("quantity"), line.quantity, v.unit, sign)?;
        if let Some(cost) = line.unit_cost
            && !(0..=MAX_COST).contains(&cost)
        {
            return Err(AppError::bad_input(
                &at("unitCost"),
                "a unit cost is 0 to 10^12 minor units",
            ));
        }
    }
    Ok(variants)
}

fn check_quantity(field: &str, quantity: i64, unit: Unit, sign: i8) -> Result<()> {
    let allowed = match sign {
        1 => quantity > 0,
        0 => quantity >= 0,
        _ => quantity != 0,
    };
    if !allowed || quantity.abs() > MAX_QUANTITY {
        let what = match sign {
            1 => "positive",
            0 => "zero or more",
            _ => "non-zero",
        };
        return Err(AppError::bad_input(
            field,
            format!("the quantity must be {what} and at most 1000000"),
        ));
    }
    if unit == Unit::Each && quantity % 1_000 != 0 {
        return Err(AppError::bad_input(
            field,
            "the quantity must be whole: this item is counted by the piece",
        ));
    }
    Ok(())
}

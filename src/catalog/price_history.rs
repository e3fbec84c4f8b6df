//! Prices as they were. Every write of a base price or a location price
//! also appends it to `price_history` with the instant it came into force;
//! a sale or a preview at a past instant reads the prices of that instant
//! (docs/architecture.md, "Prices at an instant").
//!
//! Every price write also bumps the variant's `updated_at`, so an instant
//! at or after it needs no history: the current prices hold.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::price_history;
use sea_orm::ActiveValue::Set;
use sea_orm::ColumnTrait;
use sea_orm::QueryFilter;
use sea_orm::QueryOrder;
use sea_orm::sea_query::OnConflict;
use uuid::Uuid;

use crate::error::Result;
use crate::tenancy::TenantTx;

/// The location of a base price in the history.
pub const BASE: Uuid = Uuid::nil();

/// Records that from `at` on, `variant` costs `price` at `location`
/// ([`BASE`] for the base price; `None` where an override is removed).
pub async fn record(
    tx: &TenantTx,
    variant: Uuid,
    location: Uuid,
    price: Option<i64>,
    at: DateTime<Utc>,
) -> Result<()> {
    use price_history::Column as C;
    tx.insert_on_conflict(
        price_history::ActiveModel {
            variant_id: Set(variant),
            location_id: Set(location),
            valid_from: Set(at),
            price: Set(price),
            ..Default::default()
        },
        // Two writes in one microsecond: the later one holds.
        OnConflict::columns([C::TenantId, C::VariantId, C::LocationId, C::ValidFrom])
            .update_column(C::Price)
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// A variant's list prices at one location and instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricesAt {
    pub base: i64,
    /// The location's override then, if it had one.
    pub at_location: Option<i64>,
}

/// Each variant's history at `location` (its base prices and its
/// overrides there), oldest first; variants without one are left out.
pub async fn of(
    tx: &TenantTx,
    variants: &[Uuid],
    location: Uuid,
) -> Result<HashMap<Uuid, Vec<price_history::Model>>> {
    use price_history::Column as C;
    let rows = tx
        .select::<price_history::Entity>()
        .filter(C::VariantId.is_in(variants.iter().copied()))
        .filter(C::LocationId.is_in([BASE, location]))
        .order_by_asc(C::ValidFrom)
        .all(tx)
        .await?;
    let mut by_variant: HashMap<Uuid, Vec<price_history::Model>> = HashMap::new();
    for row in rows {
        by_variant.entry(row.variant_id).or_default().push(row);
    }
    Ok(by_variant)
}

/// One variant's history at one location (oldest first), folded to the
/// prices in force at `at`. An instant before its first price takes that
/// first base price: the variant was priced from its creation.
pub fn at(rows: &[price_history::Model], at: DateTime<Utc>) -> Option<PricesAt> {
    let (mut base, mut at_location) = (None, None);
    for row in rows {
        let in_force = row.valid_from <= at;
        match (row.location_id == BASE, row.price) {
            (true, Some(price)) if in_force || base.is_none() => base = Some(price),
            (false, price) if in_force => at_location = price,
            _ => {}
        }
    }
    base.map(|base| PricesAt { base, at_location })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn row(variant: u128, location: Uuid, day: u32, price: Option<i64>) -> price_history::Model {
        price_history::Model {
            tenant_id: Uuid::from_u128(1),
            variant_id: Uuid::from_u128(variant),
            location_id: location,
            valid_from: Utc.with_ymd_and_hms(2026, 3, day, 0, 0, 0).unwrap(),
            price,
        }
    }

    #[test]
    fn the_prices_in_force_at_an_instant() {
        let shop = Uuid::from_u128(9);
        let rows = [
            row(1, BASE, 1, Some(100)),
            row(1, shop, 5, Some(90)),
            row(1, BASE, 10, Some(120)),
            row(1, shop, 15, None),
            row(1, BASE, 20, Some(130)),
        ];
        let on = |day| at(&rows, Utc.with_ymd_and_hms(2026, 3, day, 12, 0, 0).unwrap());
        let expect = |base, at_location| Some(PricesAt { base, at_location });
        // Before the first price: the first base price.
        assert_eq!(
            at(&rows, Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap()),
            expect(100, None)
        );
        assert_eq!(on(3), expect(100, None));
        assert_eq!(on(7), expect(100, Some(90)));
        assert_eq!(on(12), expect(120, Some(90)));
        assert_eq!(on(17), expect(120, None));
        assert_eq!(on(25), expect(130, None));
        assert_eq!(
            at(&rows[1..2], Utc::now()),
            None,
            "no base price, no answer"
        );
    }

    #[test]
    fn a_change_holds_from_its_own_instant() {
        let rows = [row(1, BASE, 1, Some(100)), row(1, BASE, 10, Some(120))];
        let exactly = Utc.with_ymd_and_hms(2026, 3, 10, 0, 0, 0).unwrap();
        let base = |when| at(&rows, when).map(|p| p.base);
        assert_eq!(base(exactly), Some(120));
        assert_eq!(base(exactly - chrono::Duration::microseconds(1)), Some(100));
    }
}

//! `productByBarcode`: the hot path. A scan resolves to a snapshot of
//! everything that does not depend on time or place (cached, see
//! `cache::catalog`), which is then priced and taxed for this location, now.

use chrono::{DateTime, Utc};
use entity::enums::Unit;
use entity::{product, tax_group, tax_rate, variant};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::barcode::Embedded;
use super::pricing::{self, Price, PricedLocation, PricedVariant};
use crate::auth::Session;
use crate::cache::CatalogCache;
use crate::error::{AppError, Result};
use crate::money::tax::{PriceMode, Taxed, tax_amount};
use crate::money::{Quantity, Rate, RoundingMode, div_round};
use crate::tenancy::Db;

mod load;
mod postgres;

/// Everything about a scanned item that holds until the next catalog write.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanSnapshot {
    pub barcode: String,
    pub barcode_kind: String,
    pub variant: variant::Model,
    pub product: product::Model,
    pub tax_group: tax_group::Model,
    pub rates: Vec<tax_rate::Model>,
    pub location_prices: Vec<(Uuid, i64)>,
    /// Active rules that could price this variant.
    pub rules: Vec<pricing::Rule>,
    /// Weight or price read from a scale label.
    pub embedded: Option<Embedded>,
}

impl crate::cache::Cached for ScanSnapshot {
    const KIND: &'static str = "scan";
}

/// The tenant and location facts pricing needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlaceSnapshot {
    pub tenant_currency: String,
    pub rounding: RoundingMode,
    pub location_id: Uuid,
    pub time_zone: String,
    pub currency: String,
    pub prices_include_tax: bool,
}

impl crate::cache::Cached for PlaceSnapshot {
    const KIND: &'static str = "place";
}

/// A priced scan.
pub struct Lookup {
    pub snapshot: std::sync::Arc<ScanSnapshot>,
    /// Where it was priced.
    pub location: Uuid,
    pub currency: String,
    pub quantity: Quantity,
    pub price: Price,
    pub line_total: i64,
    pub tax: Taxed,
}

/// The location a lookup prices for: a device's own, or the one a staff
/// member names.
pub fn location_for(session: &Session, requested: Option<Uuid>) -> Result<Uuid> {
    match (session.location, requested) {
        (Some(own), Some(asked)) if own != asked => Err(AppError::Forbidden(
            "a device token prices at its own location only".into(),
        )),
        (Some(own), _) => Ok(own),
        (None, Some(asked)) => Ok(asked),
        (None, None) => Err(AppError::bad_input(
            "locationId",
            "locationId is required for staff tokens",
        )),
    }
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant))]
pub async fn by_barcode(
    session: &Session,
    db: &Db,
    cache: &CatalogCache,
    scanned: &str,
    location: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<Option<Lookup>> {
    let scanned = scanned.trim();
    if scanned.is_empty() || scanned.len() > 64 {
        return Err(AppError::bad_input(
            "barcode",
            "a barcode is 1 to 64 characters",
        ));
    }
    let location = location_for(session, location)?;
    // Each load reads the database (a transaction, or one call) after the
    // cache has read the generation, so what it stores is never older than
    // its key. A place that misses reads the scan too; the scan's load uses
    // that read if no catalog write came in between (same generation).
    let mut ahead = None;
    let read_ahead = &mut ahead;
    let place = cache
        .get::<PlaceSnapshot, _, _>(session, &location.to_string(), |seen| async move {
            let both = load::place_and_scan(db, session, location, scanned).await?;
            *read_ahead = both.scan.map(|scan| (seen, scan));
            Ok::<_, AppError>(both.place)
        })
        .await?
        .ok_or_else(crate::org::locations::not_found)?;
    let Some(snapshot) = cache
        .get::<ScanSnapshot, _, _>(session, scanned, |seen| async move {
            match ahead {
                Some((read_under, scan)) if read_under == seen => Ok(scan),
                _ => load::load_scan(db, session, scanned).await,
            }
        })
        .await?
    else {
        return match super::barcode::misread(scanned) {
            Some(why) => Err(AppError::bad_input(
                "barcode",
                format!("this scan cannot be a barcode: {why}"),
            )),
            None => Ok(None),
        };
    };
    let snapshot = as_of(db, session, snapshot, location, at).await?;
    price_scan(snapshot, &place, at).map(Some)
}

/// The snapshot holds its variant's current prices and its tax group's
/// current rates. An instant before either changed (a back-office
/// preview of the past) is priced with the prices and taxed with the
/// rates in force then, read for it; any later instant costs nothing.
async fn as_of(
    db: &Db,
    session: &Session,
    snapshot: std::sync::Arc<ScanSnapshot>,
    location: Uuid,
    at: DateTime<Utc>,
) -> Result<std::sync::Arc<ScanSnapshot>> {
    let current = |r: &tax_rate::Model| r.valid_from.is_none_or(|from| from <= at);
    let rates_hold = snapshot.rates.iter().all(current);
    let prices_hold = snapshot.variant.updated_at <= at;
    if rates_hold && prices_hold {
        return Ok(snapshot);
    }
    let tx = db.read(session).await?;
    let mut then = ScanSnapshot::clone(&snapshot);
    if !rates_hold {
        let group = snapshot.tax_group.id;
        let mut rates = crate::catalog::tax_groups::rates_at(&tx, &[group], at).await?;
        then.rates = rates.remove(&group).unwrap_or_default();
    }
    if !prices_hold {
        let variant = snapshot.variant.id;
        let history = super::price_history::of(&tx, &[variant], location).await?;
        if let Some(p) = history
            .get(&variant)
            .and_then(|rows| super::price_history::at(rows, at))
        {
            then.variant.base_price = p.base;
            then.location_prices = p
                .at_location
                .map(|price| (location, price))
                .into_iter()
                .collect();
        }
    }
    Ok(std::sync::Arc::new(then))
}

/// Prices and taxes a snapshot at a place and instant.
pub fn price_scan(
    snapshot: std::sync::Arc<ScanSnapshot>,
    place: &PlaceSnapshot,
    at: DateTime<Utc>,
) -> Result<Lookup> {
    let has_override = snapshot
        .location_prices
        .iter()
        .any(|(l, _)| *l == place.location_id);
    if place.currency != place.tenant_currency && !has_override {
        return Err(AppError::conflict(format!(
            "this variant has no price in {} at this location: set a location price",
            place.currency
        )));
    }
    let time_zone = crate::org::locations::stored_zone(&place.time_zone)?;
    let quantity = match (snapshot.embedded, snapshot.variant.unit) {
        (Some(Embedded::Weight(_)), Unit::Each) => {
            return Err(AppError::conflict(
                "this label carries a weight, but the item is sold by the piece",
            ));
        }
        (Some(Embedded::Weight(q)), _) => q,
        // Weighed items without a label: the price per kg or lb.
        _ => Quantity::ONE,
    };
    // Rule amounts are in the tenant's currency; they cannot apply where
    // prices are in another.
    let foreign = place.currency != place.tenant_currency;
    let rules: Vec<pricing::Rule> = snapshot
        .rules
        .iter()
        .filter(|r| !foreign || matches!(r.adjustment, pricing::Adjustment::PercentOff(_)))
        .cloned()
        .collect();
    let priced = PricedVariant {
        id: snapshot.variant.id,
        product: snapshot.product.id,
        category: snapshot.product.category.as_deref(),
        base_price: snapshot.variant.base_price,
        location_prices: &snapshot.location_prices,
        rules: &rules,
    };
    let located = PricedLocation {
        id: place.location_id,
        time_zone,
        rounding: place.rounding,
    };
    let price = pricing::price(&priced, &located, at, quantity);
    let line_total = match snapshot.embedded {
        Some(Embedded::Price(p)) => p,
        _ => div_round(
            i128::from(price.unit_price) * i128::from(quantity.milli()),
            1_000,
            place.rounding,
        ) as i64,
    };
    let rates: Vec<Rate> = snapshot
        .rates
        .iter()
        .filter_map(|r| Rate::from_ppm(r.rate_ppm))
        .collect();
    let mode = if place.prices_include_tax {
        PriceMode::TaxInclusive
    } else {
        PriceMode::TaxExclusive
    };
    let tax = tax_amount(line_total, &rates, mode, place.rounding);
    Ok(Lookup {
        location: place.location_id,
        currency: place.currency.clone(),
        snapshot,
        quantity,
        price,
        line_total,
        tax,
    })
}

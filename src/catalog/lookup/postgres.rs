//! A lookup's cache misses on PostgreSQL, one round trip each: the
//! functions `pos_scan` and `pos_place` (migration
//! `m20261128_000010_scan_lookup`) read what the statement-by-statement
//! path reads and return it as JSON; `pos_lookup` (migration
//! `m20261130_000015_lookup_call`) returns both from one call.

use entity::{barcode, pricing_rule, product, tax_group, tax_rate, variant};
use serde::Deserialize;
use uuid::Uuid;

use super::PlaceSnapshot;
use super::load::Found;
use crate::auth::Session;
use crate::catalog::rules;
use crate::error::{AppError, Result};
use crate::tenancy::{Db, ScopedCall};

#[derive(Deserialize)]
struct Scan {
    barcode: barcode::Model,
    variant: variant::Model,
    product: product::Model,
    tax_group: tax_group::Model,
    rates: Vec<tax_rate::Model>,
    location_prices: Vec<(Uuid, i64)>,
    rules: Vec<pricing_rule::Model>,
}

#[derive(Deserialize)]
struct Place {
    tenant_currency: String,
    rounding_mode: String,
    location_id: Uuid,
    time_zone: String,
    currency: String,
    prices_include_tax: bool,
}

impl From<Scan> for Found {
    fn from(scan: Scan) -> Self {
        Found {
            code: scan.barcode,
            variant: scan.variant,
            product: scan.product,
            tax_group: scan.tax_group,
            rates: scan.rates,
            location_prices: scan.location_prices,
            rules: scan.rules.iter().filter_map(rules::to_rule).collect(),
        }
    }
}

impl From<Place> for PlaceSnapshot {
    fn from(p: Place) -> Self {
        PlaceSnapshot {
            tenant_currency: p.tenant_currency,
            rounding: crate::money::RoundingMode::from_stored(&p.rounding_mode),
            location_id: p.location_id,
            time_zone: p.time_zone,
            currency: p.currency,
            prices_include_tax: p.prices_include_tax,
        }
    }
}

/// What the first of `keys` that exists resolves to.
pub(super) async fn scan(db: &Db, session: &Session, keys: &[String]) -> Result<Option<Found>> {
    if keys.is_empty() {
        return Ok(None);
    }
    let keys = serde_json::to_string(keys).map_err(AppError::internal)?;
    // SELECT pos_scan($1, $2) AS found
    let scan = ScopedCall::new("pos_scan", "found").arg(keys);
    let found = call::<Scan>(db, session, scan).await?;
    Ok(found.map(Found::from))
}

/// The pricing facts of `location`; `None` if it is not the tenant's.
pub(super) async fn place(
    db: &Db,
    session: &Session,
    location: Uuid,
) -> Result<Option<PlaceSnapshot>> {
    // SELECT pos_place($1, $2::uuid) AS found
    let place = ScopedCall::new("pos_place", "found").arg_as(location.to_string(), "uuid");
    let found = call::<Place>(db, session, place).await?;
    Ok(found.map(PlaceSnapshot::from))
}

#[derive(Deserialize)]
struct Both {
    place: Place,
    scan: Option<Scan>,
}

/// The pricing facts of `location` and what the first of `keys` that
/// exists resolves to, in one call; `None` if the location is not the
/// tenant's.
pub(super) async fn place_and_scan(
    db: &Db,
    session: &Session,
    location: Uuid,
    keys: &[String],
) -> Result<Option<(PlaceSnapshot, Option<Found>)>> {
    let keys = serde_json::to_string(keys).map_err(AppError::internal)?;
    // SELECT pos_lookup($1, $2::uuid, $3) AS found
    let lookup = ScopedCall::new("pos_lookup", "found")
        .arg_as(location.to_string(), "uuid")
        .arg(keys);
    let found = call::<Both>(db, session, lookup).await?;
    Ok(found.map(|b| (b.place.into(), b.scan.map(Found::from))))
}

/// Calls a tenant-scoping function (the session's tenant first, bound by
/// [`Db::call_scoped`], then the call's arguments) and parses the JSON it
/// returns (NULL: `None`).
async fn call<T: for<'de> Deserialize<'de>>(
    db: &Db,
    session: &Session,
    call: ScopedCall,
) -> Result<Option<T>> {
    let Some(row) = db.call_scoped(session, call).await? else {
        return Ok(None);
    };
    let Some(json) = row.try_get::<Option<String>>("", "found")? else {
        return Ok(None);
    };
    serde_json::from_str(&json)
        .map(Some)
        .map_err(|e| AppError::internal(format!("unreadable lookup row: {e}")))
}

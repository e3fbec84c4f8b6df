//! `productByBarcode`: the hot path. A scan resolves to a snapshot of
//! everything that does not depend on time or place (cached, see
//! `cache::catalog`), which is then priced and taxed for this location, now.

use chrono::{DateTime, Utc};
use entity::enums::{Status, Unit};
use entity::{barcode, location, location_price, product, tax_group, tax_rate, tenant, variant};
use sea_orm::{ColumnTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::barcode::{self as codes, Embedded};
use super::pricing::{self, Price, PricedLocation, PricedVariant, Target};
use super::{barcodes, rules, tax_groups};
use crate::auth::Session;
use crate::cache::CatalogCache;
use crate::error::{AppError, Result};
use crate::money::tax::{PriceMode, Taxed, tax_amount};
use crate::money::{Quantity, Rate, RoundingMode, div_round};
use crate::tenancy::{Db, TenantTx};

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

/// A priced scan.
pub struct Lookup {
    pub snapshot: std::sync::Arc<ScanSnapshot>,
    pub currency: String,
    pub quantity: Quantity,
    pub price: Price,
    pub line_total: i64,
    pub tax: Taxed,
}

/// What a code resolves to, before the status checks and the rule filter
/// of [`Found::into_snapshot`].
pub(crate) struct Found {
    pub code: barcode::Model,
    pub variant: variant::Model,
    pub product: product::Model,
    pub tax_group: tax_group::Model,
    pub rates: Vec<tax_rate::Model>,
    pub location_prices: Vec<(Uuid, i64)>,
    /// The tenant's active rules (any superset of those that apply).
    pub rules: Vec<pricing::Rule>,
}

impl Found {
    /// `None` if the variant or its product is archived.
    fn into_snapshot(self, embedded: Option<Embedded>) -> Option<ScanSnapshot> {
        let Self {
            code,
            variant,
            product,
            tax_group,
            rates,
            location_prices,
            rules,
        } = self;
        if variant.status != Status::Active || product.status != Status::Active {
            return None;
        }
        let rules = rules
            .into_iter()
            .filter(|r| match &r.target {
                Target::All => true,
                Target::Product(id) => *id == product.id,
                Target::Variant(id) => *id == variant.id,
                Target::Category(c) => product.category.as_deref() == Some(c.as_str()),
            })
            .collect();
        Some(ScanSnapshot {
            barcode: code.code,
            barcode_kind: code.kind,
            variant,
            product,
            tax_group,
            rates,
            location_prices,
            rules,
            embedded,
        })
    }
}

/// Loads the snapshot for a scan from the database; `None` if the code is
/// unknown or its variant or product is archived. On PostgreSQL the item
/// is read in one call ([`postgres::scan`]).
pub async fn load_scan(db: &Db, session: &Session, scanned: &str) -> Result<Option<ScanSnapshot>> {
    // Only a 13-digit code under a GS1 restricted prefix (2x) can be a
    // scale label; anything else skips the formats query.
    let maybe_label = scanned.len() == 13 && scanned.starts_with('2');
    let tx = if maybe_label || !db.is_postgres() {
        Some(db.read(session).await?)
    } else {
        None
    };
    let formats = match &tx {
        Some(tx) if maybe_label => barcodes::scale_formats(tx).await?,
        _ => Vec::new(),
    };
    let label = codes::read_scale_label(scanned, &formats)
        .map_err(|e| AppError::bad_input("barcode", e.to_string()))?;
    let key = match &label {
        Some(read) => read.item_key.trim_start_matches("X:"),
        None => scanned,
    };
    let found = match tx {
        Some(tx) if !db.is_postgres() => read_scan(&tx, key).await?,
        _ => postgres::scan(db, session.tenant, &codes::scan_keys(key)).await?,
    };
    Ok(found.and_then(|f| f.into_snapshot(label.map(|l| l.embedded))))
}

/// Reads what `key` resolves to, statement by statement.
async fn read_scan(tx: &TenantTx, key: &str) -> Result<Option<Found>> {
    let Some(code) = barcodes::resolve(tx, key).await? else {
        return Ok(None);
    };
    // Variant, product and tax group in one statement; the joins match on
    // the tenant too.
    let joined = tx
        .select::<variant::Entity>()
        .filter(variant::Column::Id.eq(code.variant_id))
        .find_also_related(product::Entity)
        .find_also_related(tax_group::Entity)
        .one(tx.conn())
        .await?;
    let Some((variant, Some(product), Some(tax_group))) = joined else {
        return Ok(None);
    };
    let rates = tax_groups::rates_of(tx, &[tax_group.id])
        .await?
        .remove(&tax_group.id)
        .unwrap_or_default();
    let location_prices = tx
        .select::<location_price::Entity>()
        .filter(location_price::Column::VariantId.eq(variant.id))
        .all(tx.conn())
        .await?
        .into_iter()
        .map(|p| (p.location_id, p.price))
        .collect();
    Ok(Some(Found {
        code,
        variant,
        product,
        tax_group,
        rates,
        location_prices,
        rules: rules::active(tx).await?,
    }))
}

/// Loads the pricing facts of a location; `None` if it is not the tenant's.
pub async fn load_place(
    db: &Db,
    session: &Session,
    location_id: Uuid,
) -> Result<Option<PlaceSnapshot>> {
    if db.is_postgres() {
        return postgres::place(db, session.tenant, location_id).await;
    }
    let tx = db.read(session).await?;
    let Some(loc) = tx
        .select::<location::Entity>()
        .filter(location::Column::Id.eq(location_id))
        .one(tx.conn())
        .await?
    else {
        return Ok(None);
    };
    let tenant = tx
        .select::<tenant::Entity>()
        .one(tx.conn())
        .await?
        .ok_or_else(|| AppError::internal("session tenant has no row"))?;
    Ok(Some(PlaceSnapshot {
        tenant_currency: tenant.currency,
        rounding: rounding_mode(&tenant.rounding_mode),
        location_id: loc.id,
        time_zone: loc.time_zone,
        currency: loc.currency,
        prices_include_tax: loc.prices_include_tax,
    }))
}

/// A tenant's stored rounding mode.
pub(crate) fn rounding_mode(stored: &str) -> RoundingMode {
    if stored == "HALF_UP" {
        RoundingMode::HalfUp
    } else {
        RoundingMode::HalfEven
    }
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
    // its key.
    let place = cache
        .place(session, location, || load_place(db, session, location))
        .await?
        .ok_or_else(crate::org::locations::not_found)?;
    let Some(snapshot) = cache
        .scan(session, scanned, || load_scan(db, session, scanned))
        .await?
    else {
        return Ok(None);
    };
    price_scan(snapshot, &place, at).map(Some)
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
        return Err(AppError::Conflict(format!(
            "this variant has no price in {} at this location: set a location price",
            place.currency
        )));
    }
    let time_zone = crate::org::locations::stored_zone(&place.time_zone)?;
    let quantity = match (snapshot.embedded, snapshot.variant.unit) {
        (Some(Embedded::Weight(_)), Unit::Each) => {
            return Err(AppError::Conflict(
                "this label carries a weight, but the item is sold by the piece".into(),
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
        currency: place.currency.clone(),
        snapshot,
        quantity,
        price,
        line_total,
        tax,
    })
}

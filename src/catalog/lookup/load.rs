//! Reading a lookup's snapshots from the database on a cache miss: one
//! read transaction on SQLite, one function call on PostgreSQL
//! ([`super::postgres`]). A lookup that misses both the place and the scan
//! (the first after a catalog write, or with the cache off) reads them
//! together ([`place_and_scan`]).

use entity::enums::Status;
use entity::{barcode, location, location_price, product, tax_group, tax_rate, tenant, variant};
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use super::super::barcode::{self as codes, Embedded};
use super::super::pricing::{self, Target};
use super::super::{barcodes, rules, tax_groups};
use super::{PlaceSnapshot, ScanSnapshot, postgres};
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::tenancy::{Db, TenantTx};

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
    pub(super) fn into_snapshot(self, embedded: Option<Embedded>) -> Option<ScanSnapshot> {
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

/// A location's pricing facts, and what a scan resolves to where the same
/// read could give it.
pub(super) struct Both {
    pub place: Option<PlaceSnapshot>,
    /// `None`: not read here (a possible scale label on PostgreSQL, or an
    /// error left for the scan's own load to report).
    pub scan: Option<Option<ScanSnapshot>>,
}

/// Only a 13-digit code under a GS1 restricted prefix (2x) can be a scale
/// label, whose reading needs the tenant's label formats.
fn may_be_label(scanned: &str) -> bool {
    scanned.len() == 13 && scanned.starts_with('2')
}

/// The place and the scan in one read: one call on PostgreSQL (unless the
/// code may be a scale label), one transaction on SQLite.
pub(super) async fn place_and_scan(
    db: &Db,
    session: &Session,
    location: Uuid,
    scanned: &str,
) -> Result<Both> {
    if db.is_postgres() {
        if may_be_label(scanned) {
            return Ok(Both {
                place: postgres::place(db, session, location).await?,
                scan: None,
            });
        }
        let keys = codes::scan_keys(scanned);
        let Some((place, found)) = postgres::place_and_scan(db, session, location, &keys).await?
        else {
            return Ok(Both {
                place: None,
                scan: None,
            });
        };
        return Ok(Both {
            place: Some(place),
            scan: Some(found.and_then(|f| f.into_snapshot(None))),
        });
    }
    let tx = db.read(session).await?;
    let place = read_place(&tx, location).await?;
    // A scan that fails here (a label with a bad value check) is read again
    // by its own load, which reports the error.
    let scan = match place {
        Some(_) => scan_in(db, session, &tx, scanned).await.ok(),
        None => None,
    };
    Ok(Both { place, scan })
}

/// Loads the snapshot for a scan from the database; `None` if the code is
/// unknown or its variant or product is archived. On PostgreSQL the item
/// is read in one call ([`postgres::scan`]).
pub(super) async fn load_scan(
    db: &Db,
    session: &Session,
    scanned: &str,
) -> Result<Option<ScanSnapshot>> {
    if db.is_postgres() && !may_be_label(scanned) {
        let found = postgres::scan(db, session, &codes::scan_keys(scanned)).await?;
        return Ok(found.and_then(|f| f.into_snapshot(None)));
    }
    let tx = db.read(session).await?;
    scan_in(db, session, &tx, scanned).await
}

/// Reads a scan in `tx`, scale labels included (on PostgreSQL only the
/// label formats come from `tx`).
async fn scan_in(
    db: &Db,
    session: &Session,
    tx: &TenantTx,
    scanned: &str,
) -> Result<Option<ScanSnapshot>> {
    let formats = if may_be_label(scanned) {
        barcodes::scale_formats(tx).await?
    } else {
        Vec::new()
    };
    let label = codes::read_scale_label(scanned, &formats)
        .map_err(|e| AppError::bad_input("barcode", e.to_string()))?;
    let key = match &label {
        Some(read) => read.item_key.trim_start_matches("X:"),
        None => scanned,
    };
    let found = if db.is_postgres() {
        postgres::scan(db, session, &codes::scan_keys(key)).await?
    } else {
        read_scan(tx, key).await?
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
        .one(tx)
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
        .all(tx)
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

/// Reads the pricing facts of a location in `tx`; `None` if it is not the
/// tenant's.
async fn read_place(tx: &TenantTx, location_id: Uuid) -> Result<Option<PlaceSnapshot>> {
    let Some(loc) = tx
        .select::<location::Entity>()
        .filter(location::Column::Id.eq(location_id))
        .one(tx)
        .await?
    else {
        return Ok(None);
    };
    let tenant = tx
        .select::<tenant::Entity>()
        .one(tx)
        .await?
        .ok_or_else(|| AppError::internal("session tenant has no row"))?;
    Ok(Some(PlaceSnapshot {
        tenant_currency: tenant.currency,
        rounding: crate::money::RoundingMode::from_stored(&tenant.rounding_mode),
        location_id: loc.id,
        time_zone: loc.time_zone,
        currency: loc.currency,
        prices_include_tax: loc.prices_include_tax,
    }))
}

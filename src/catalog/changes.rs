//! The catalog change feed. Every catalog write calls [`record`] in its own
//! transaction: the tenant's catalog version goes up by one, and each
//! changed entity is listed at that version (archives and deletes as
//! tombstones). Terminals pull the feed after the last version they saw.

use chrono::Utc;
use entity::{catalog_change, catalog_version};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{Iterable, Set};
use uuid::Uuid;

use crate::error::{AppError, Result};
use crate::tenancy::TenantTx;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    Product,
    Variant,
    Barcode,
    TaxGroup,
    PricingRule,
    AttributeDefinition,
    LocationPrice,
    ScaleFormat,
}

impl Entity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Product => "PRODUCT",
            Self::Variant => "VARIANT",
            Self::Barcode => "BARCODE",
            Self::TaxGroup => "TAX_GROUP",
            Self::PricingRule => "PRICING_RULE",
            Self::AttributeDefinition => "ATTRIBUTE_DEFINITION",
            Self::LocationPrice => "LOCATION_PRICE",
            Self::ScaleFormat => "SCALE_FORMAT",
        }
    }
}

/// One changed entity: its kind, its id (a composite id is joined with
/// `:`), and whether it is gone (a tombstone).
#[derive(Debug, Clone)]
pub struct Change {
    pub entity: Entity,
    pub id: String,
    pub deleted: bool,
}

impl Change {
    pub fn upsert(entity: Entity, id: impl ToString) -> Self {
        Self {
            entity,
            id: id.to_string(),
            deleted: false,
        }
    }

    pub fn tombstone(entity: Entity, id: impl ToString) -> Self {
        Self {
            entity,
            id: id.to_string(),
            deleted: true,
        }
    }
}

/// Bumps the tenant's catalog version and lists `changes` under it. The
/// upsert takes the version row's lock, so concurrent catalog writes of one
/// tenant get distinct, gap-free versions in commit order.
pub async fn record(tx: &TenantTx, changes: Vec<Change>) -> Result<i64> {
    tx.invalidate_caches_on_commit();
    let bump = Query::insert()
        .into_table(catalog_version::Entity)
        .columns(catalog_version::Column::iter())
        .values_panic([tx.tenant().into(), 1_i64.into()])
        .on_conflict(
            OnConflict::column(catalog_version::Column::TenantId)
                .value(
                    catalog_version::Column::Version,
                    Expr::col((catalog_version::Entity, catalog_version::Column::Version)).add(1),
                )
                .to_owned(),
        )
        .returning_col(catalog_version::Column::Version)
        .to_owned();
    let backend = tx.backend();
    let version: i64 = tx
        .query_one_raw(backend.build(&bump))
        .await?
        .ok_or_else(|| AppError::internal("catalog version upsert returned no row"))?
        .try_get("", "version")?;
    let now = Utc::now();
    // A second change of the same entity in one write keeps the last.
    let mut unique: Vec<Change> = Vec::with_capacity(changes.len());
    for change in changes {
        unique.retain(|c| !(c.entity == change.entity && c.id == change.id));
        unique.push(change);
    }
    let mut rows: Vec<catalog_change::ActiveModel> = Vec::with_capacity(unique.len());
    for change in unique {
        rows.push(catalog_change::ActiveModel {
            tenant_id: Set(tx.tenant()),
            version: Set(version),
            entity: Set(change.entity.as_str().to_owned()),
            entity_id: Set(change.id),
            deleted: Set(change.deleted),
            changed_at: Set(now),
        });
    }
    tx.insert_many(rows).await?;
    Ok(version)
}

/// The tenant's current catalog version (0 before the first write).
pub async fn current_version(tx: &TenantTx) -> Result<i64> {
    Ok(tx
        .select::<catalog_version::Entity>()
        .one(tx)
        .await?
        .map_or(0, |v| v.version))
}

/// Joins a composite id for the feed.
pub fn pair(a: Uuid, b: Uuid) -> String {
    format!("{a}:{b}")
}

//! Reading stock: levels per location (all tracked variants, the low and
//! the negative ones) and the movements behind them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{location, stock_level, stock_movement, variant};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::ledger::Kind;
use crate::auth::Session;
use crate::cache::{CatalogCache, LevelSnapshot as Snapshot};
use crate::error::Result;
use crate::tenancy::{Db, TenantTx};

/// A tracked variant's stock at one location; zero where nothing has
/// moved yet.
#[derive(Debug, Clone)]
pub struct Level {
    pub location: Uuid,
    pub variant: variant::Model,
    pub on_hand: i64,
    pub in_transit: i64,
    pub average_cost: Option<i64>,
    pub low_threshold: Option<i64>,
    pub updated_at: Option<DateTime<Utc>>,
}

impl Level {
    pub(super) fn of(
        location: Uuid,
        variant: variant::Model,
        row: Option<&stock_level::Model>,
    ) -> Self {
        Self {
            location,
            variant,
            on_hand: row.map_or(0, |r| r.on_hand),
            in_transit: row.map_or(0, |r| r.in_transit),
            average_cost: row.and_then(|r| r.average_cost),
            low_threshold: row.and_then(|r| r.low_threshold),
            updated_at: row.map(|r| r.updated_at),
        }
    }

    /// At or below its threshold.
    pub fn is_low(&self) -> bool {
        self.low_threshold.is_some_and(|t| self.on_hand <= t)
    }
}

/// Which levels to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Only {
    /// Every variant that tracks stock.
    #[default]
    All,
    /// At or below their low-stock threshold.
    Low,
    /// Below zero: more sold than was known to be there.
    Negative,
}

#[derive(Debug, Clone, Default)]
pub struct LevelFilter {
    /// The start of the SKU.
    pub sku: Option<String>,
    pub only: Only,
}

async fn require_location(tx: &TenantTx, id: Uuid) -> Result<()> {
    let found = tx
        .select::<location::Entity>()
        .filter(location::Column::Id.eq(id))
        .count(tx)
        .await?;
    if found == 0 {
        return Err(crate::org::locations::not_found().at("locationId"));
    }
    Ok(())
}

/// Levels at a location in variant order (by id), after the variant
/// `after`, at most `limit`.
pub async fn list(
    session: &Session,
    db: &Db,
    location: Uuid,
    filter: &LevelFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Level>> {
    let tx = db.read(session).await?;
    require_location(&tx, location).await?;
    let sku = match &filter.sku {
        Some(prefix) => Condition::all().add(variant::Column::Sku.starts_with(prefix.as_str())),
        None => Condition::all(),
    };
    if filter.only == Only::All {
        let mut select = tx
            .select::<variant::Entity>()
            .filter(variant::Column::TrackStock.eq(true));
        if let Some(after) = after {
            select = select.filter(variant::Column::Id.gt(after));
        }
        let variants = select
            .filter(sku.clone())
            .order_by_asc(variant::Column::Id)
            .limit(limit)
            .all(&tx)
            .await?;
        let ids: Vec<Uuid> = variants.iter().map(|v| v.id).collect();
        let rows = rows_at(&tx, location, &ids).await?;
        return Ok(variants
            .into_iter()
            .map(|v| {
                let row = rows.get(&v.id);
                Level::of(location, v, row)
            })
            .collect());
    }
    use stock_level::Column as C;
    let mut select = tx
        .select::<stock_level::Entity>()
        .filter(C::LocationId.eq(location));
    select = match filter.only {
        Only::Low => select.filter(
            Condition::all()
                .add(C::LowThreshold.is_not_null())
                .add(Expr::col(C::OnHand).lte(Expr::col(C::LowThreshold))),
        ),
        _ => select.filter(C::OnHand.lt(0)),
    };
    if let Some(after) = after {
        select = select.filter(C::VariantId.gt(after));
    }
    let rows = select
        .order_by_asc(C::VariantId)
        .limit(limit)
        .all(&tx)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.variant_id).collect();
    let variants: HashMap<Uuid, variant::Model> = tx
        .select::<variant::Entity>()
        .filter(variant::Column::Id.is_in(ids))
        .filter(variant::Column::TrackStock.eq(true))
        .filter(sku)
        .all(&tx)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    Ok(rows
        .iter()
        .filter_map(|r| {
            let v = variants.get(&r.variant_id)?.clone();
            Some(Level::of(location, v, Some(r)))
        })
        .collect())
}

async fn rows_at(
    tx: &TenantTx,
    location: Uuid,
    variants: &[Uuid],
) -> Result<HashMap<Uuid, stock_level::Model>> {
    Ok(tx
        .select::<stock_level::Entity>()
        .filter(stock_level::Column::LocationId.eq(location))
        .filter(stock_level::Column::VariantId.is_in(variants.iter().copied()))
        .all(tx)
        .await?
        .into_iter()
        .map(|r| (r.variant_id, r))
        .collect())
}

/// The levels of tracked variants at locations, by (location, variant),
/// for the dataloader; untracked or unknown variants are left out.
pub async fn levels_of(
    session: &Session,
    db: &Db,
    keys: &[(Uuid, Uuid)],
) -> Result<HashMap<(Uuid, Uuid), Level>> {
    let tx = db.read(session).await?;
    let variant_ids: Vec<Uuid> = keys.iter().map(|(_, v)| *v).collect();
    let variants: HashMap<Uuid, variant::Model> = tx
        .select::<variant::Entity>()
        .filter(variant::Column::Id.is_in(variant_ids.iter().copied()))
        .filter(variant::Column::TrackStock.eq(true))
        .all(&tx)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let locations: Vec<Uuid> = keys.iter().map(|(l, _)| *l).collect();
    let rows: HashMap<(Uuid, Uuid), stock_level::Model> = tx
        .select::<stock_level::Entity>()
        .filter(stock_level::Column::LocationId.is_in(locations))
        .filter(stock_level::Column::VariantId.is_in(variant_ids))
        .all(&tx)
        .await?
        .into_iter()
        .map(|r| ((r.location_id, r.variant_id), r))
        .collect();
    Ok(keys
        .iter()
        .filter_map(|key| {
            let v = variants.get(&key.1)?.clone();
            Some((*key, Level::of(key.0, v, rows.get(key))))
        })
        .collect())
}

/// A scanned variant's level at the scan's location, through the cache;
/// `None` where the variant does not track stock.
pub async fn scanned(
    session: &Session,
    db: &Db,
    cache: &CatalogCache,
    location: Uuid,
    variant: &variant::Model,
) -> Result<Option<Level>> {
    if !variant.track_stock {
        return Ok(None);
    }
    let id = variant.id;
    let cached = cache
        .stock_level(session, location, id, || async move {
            let tx = db.read(session).await?;
            let row = tx
                .select::<stock_level::Entity>()
                .filter(stock_level::Column::LocationId.eq(location))
                .filter(stock_level::Column::VariantId.eq(id))
                .one(&tx)
                .await?;
            Ok(row.map(|r| Snapshot {
                on_hand: r.on_hand,
                in_transit: r.in_transit,
                average_cost: r.average_cost,
                low_threshold: r.low_threshold,
                updated_at: r.updated_at,
            }))
        })
        .await?;
    let mut level = Level::of(location, variant.clone(), None);
    if let Some(s) = cached {
        level.on_hand = s.on_hand;
        level.in_transit = s.in_transit;
        level.average_cost = s.average_cost;
        level.low_threshold = s.low_threshold;
        level.updated_at = Some(s.updated_at);
    }
    Ok(Some(level))
}

#[derive(Debug, Clone, Default)]
pub struct MovementFilter {
    pub location: Option<Uuid>,
    pub variant: Option<Uuid>,
    pub kind: Option<Kind>,
    /// Recorded at or after.
    pub from: Option<DateTime<Utc>>,
    /// Recorded before.
    pub until: Option<DateTime<Utc>>,
    /// Of one document, sale, refund, void or transfer.
    pub source: Option<Uuid>,
}

/// Movements in the order they were recorded, after `after`.
pub async fn movements(
    session: &Session,
    db: &Db,
    filter: &MovementFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<stock_movement::Model>> {
    use stock_movement::Column as C;
    let tx = db.read(session).await?;
    let mut select = tx.select::<stock_movement::Entity>();
    if let Some(l) = filter.location {
        select = select.filter(C::LocationId.eq(l));
    }
    if let Some(v) = filter.variant {
        select = select.filter(C::VariantId.eq(v));
    }
    if let Some(k) = filter.kind {
        select = select.filter(C::Kind.eq(k.as_str()));
    }
    if let Some(from) = filter.from {
        select = select.filter(C::RecordedAt.gte(from));
    }
    if let Some(until) = filter.until {
        select = select.filter(C::RecordedAt.lt(until));
    }
    if let Some(source) = filter.source {
        select = select.filter(C::SourceId.eq(source));
    }
    if let Some(after) = after {
        select = select.filter(C::Id.gt(after));
    }
    let mut rows = match filter.kind {
        Some(Kind::Sale) => Vec::new(),
        _ => select.order_by_asc(C::Id).limit(limit).all(&tx).await?,
    };
    if filter.kind.is_none_or(|k| k == Kind::Sale) {
        // Sales are read from their lines: merge, in recorded order.
        rows.extend(super::sold::movements(&tx, filter, after, limit).await?);
        rows.sort_by_key(|m| m.id);
        rows.truncate(limit as usize);
    }
    Ok(rows)
}

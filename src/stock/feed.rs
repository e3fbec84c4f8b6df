//! The stock feed: the levels of one location in the order they were
//! written, for terminals that keep them offline (`stockChanges`).
//!
//! Every transaction that writes levels at a location first adds one to
//! the location's counter (`stock_feeds`) and stamps the levels it writes
//! with the result. The counter's row stays locked until the transaction
//! ends, so versions follow commit order: once a terminal has read every
//! level up to a version, none at or below it can appear later
//! (docs/architecture.md, "Stock").
//!
//! The counter is always taken before any level of its location, so the
//! lock adds no deadlock; a transaction that writes levels at two
//! locations takes both counters first, in location order ([`claim`]).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::{location, stock_feed, stock_level, variant};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, Condition, Iterable, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::levels::Level;
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::tenancy::{Db, TenantTx};

pub const DEFAULT_PAGE: usize = 100;
pub const MAX_PAGE: usize = 500;

/// Adds one to the location's counter, locking it until the transaction
/// ends, and returns the version the levels written now carry.
pub async fn bump(tx: &TenantTx, location: Uuid) -> Result<i64> {
    use stock_feed::Column as C;
    tx.stock_levels_changed_on_commit(location);
    let bump = Query::insert()
        .into_table(stock_feed::Entity)
        .columns(C::iter())
        .values_panic([tx.tenant().into(), location.into(), 1_i64.into()])
        .on_conflict(
            OnConflict::columns([C::TenantId, C::LocationId])
                .value(
                    C::Version,
                    Expr::col((stock_feed::Entity, C::Version)).add(1),
                )
                .to_owned(),
        )
        .returning_col(C::Version)
        .to_owned();
    Ok(tx
        .query_one_raw(tx.backend().build(&bump))
        .await?
        .ok_or_else(|| AppError::internal("stock feed upsert returned no row"))?
        .try_get("", "version")?)
}

/// Takes the counters of several locations, in location order: for a
/// transaction that writes levels at more than one.
pub async fn claim(tx: &TenantTx, locations: &[Uuid]) -> Result<()> {
    let mut sorted = locations.to_vec();
    sorted.sort();
    sorted.dedup();
    for location in sorted {
        bump(tx, location).await?;
    }
    Ok(())
}

/// The location's current version (0 before any level was written).
pub async fn current(tx: &TenantTx, location: Uuid) -> Result<i64> {
    Ok(tx
        .select::<stock_feed::Entity>()
        .filter(stock_feed::Column::LocationId.eq(location))
        .one(tx)
        .await?
        .map_or(0, |f| f.version))
}

/// A page of the feed.
pub struct Page {
    pub levels: Vec<Level>,
    pub cursor: Option<String>,
    pub has_more: bool,
    /// The version the terminal holds once it has applied this page (the
    /// location's current version when `has_more` is false).
    pub version: i64,
    pub location: location::Model,
}

type Position = (i64, Uuid);

fn encode((version, variant): &Position) -> String {
    URL_SAFE_NO_PAD.encode(format!("{version}\n{variant}"))
}

fn decode(cursor: &str) -> Result<Position> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|text| {
            let (version, variant) = text.split_once('\n')?;
            Some((version.parse().ok()?, variant.parse().ok()?))
        })
        .ok_or_else(|| AppError::bad_input("since", "since is not a cursor from stockChanges"))
}

/// The page size a client asked for, or the default.
fn page_size(first: Option<i32>) -> Result<usize> {
    crate::validate::page_size(first, DEFAULT_PAGE, MAX_PAGE)
}

/// The levels at `location` written after `since` (a cursor from an
/// earlier page; none for every level), oldest write first, each as it
/// is now. A level written again while a terminal pages moves to a later
/// page; applying pages in order leaves the terminal with every level as
/// it stands at the last page's version.
pub async fn changes(
    session: &Session,
    db: &Db,
    location: Uuid,
    since: Option<&str>,
    first: Option<i32>,
) -> Result<Page> {
    use stock_level::Column as C;
    let first = page_size(first)?;
    let after = since.map(decode).transpose()?;
    let tx = db.read(session).await?;
    let place = tx
        .select::<location::Entity>()
        .filter(location::Column::Id.eq(location))
        .one(&tx)
        .await?
        .ok_or_else(|| crate::org::locations::not_found().at("locationId"))?;
    let mut select = tx
        .select::<stock_level::Entity>()
        .filter(C::LocationId.eq(location));
    if let Some((version, variant)) = after {
        select = select.filter(
            Condition::any().add(C::Version.gt(version)).add(
                Condition::all()
                    .add(C::Version.eq(version))
                    .add(C::VariantId.gt(variant)),
            ),
        );
    }
    let mut rows = select
        .order_by_asc(C::Version)
        .order_by_asc(C::VariantId)
        .limit(first as u64 + 1)
        .all(&tx)
        .await?;
    let has_more = rows.len() > first;
    rows.truncate(first);
    let cursor = rows
        .last()
        .map(|r| encode(&(r.version, r.variant_id)))
        .or_else(|| since.map(str::to_owned));
    let version = match (has_more, rows.last()) {
        (true, Some(last)) => last.version,
        _ => Ord::max(current(&tx, location).await?, after.map_or(0, |a| a.0)),
    };
    let variants: std::collections::HashMap<Uuid, variant::Model> = tx
        .select::<variant::Entity>()
        .filter(variant::Column::Id.is_in(rows.iter().map(|r| r.variant_id)))
        .all(&tx)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let levels = rows
        .iter()
        .filter_map(|r| {
            Some(Level::of(
                location,
                variants.get(&r.variant_id)?.clone(),
                Some(r),
            ))
        })
        .collect();
    Ok(Page {
        levels,
        cursor,
        has_more,
        version,
        location: place,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_bad_input() {
        let position = (42, Uuid::now_v7());
        assert_eq!(decode(&encode(&position)).ok(), Some(position));
        for garbage in ["", "not base64!", &URL_SAFE_NO_PAD.encode("x\ny")] {
            let e = decode(garbage).expect_err("garbage is refused");
            assert_eq!(e.field(), Some("since"));
        }
    }
}

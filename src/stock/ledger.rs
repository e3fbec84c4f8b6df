//! The stock ledger: movements are appended, never changed, and each
//! level (`stock_levels`) is kept equal to the sum of its movements in the
//! same transaction. `reconcile` checks that it still is.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::{stock_level, stock_movement};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query, SimpleExpr};
use sea_orm::{ActiveValue::Set, ColumnTrait, IdenStatic, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::error::Result;
use crate::tenancy::{TenantTx, bulk};

/// What moved stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Sold (minus).
    Sale,
    /// Refunded back to stock (plus).
    Refund,
    /// A voided sale's goods back (plus).
    Void,
    /// Goods in (plus).
    Receive,
    /// A correction with a reason (either sign).
    Adjust,
    /// Sent to another location (minus).
    TransferOut,
    /// Received from another location (plus).
    TransferIn,
    /// A stock take: the difference between the count and the level.
    Count,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Sale,
        Kind::Refund,
        Kind::Void,
        Kind::Receive,
        Kind::Adjust,
        Kind::TransferOut,
        Kind::TransferIn,
        Kind::Count,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Sale => "SALE",
            Kind::Refund => "REFUND",
            Kind::Void => "VOID",
            Kind::Receive => "RECEIVE",
            Kind::Adjust => "ADJUST",
            Kind::TransferOut => "TRANSFER_OUT",
            Kind::TransferIn => "TRANSFER_IN",
            Kind::Count => "COUNT",
        }
    }

    pub fn from_stored(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// What a movement carries besides its quantity, by kind.
#[derive(Debug, Clone, Default)]
pub struct Detail {
    /// ADJUST: why.
    pub reason: Option<String>,
    pub note: Option<String>,
    /// RECEIVE: minor units per unit.
    pub unit_cost: Option<i64>,
    pub supplier_reference: Option<String>,
    /// COUNT: the level counted.
    pub counted: Option<i64>,
    pub terminal: Option<Uuid>,
    pub transfer: Option<Uuid>,
    pub recorded_by: Option<String>,
}

/// One movement to append.
#[derive(Debug, Clone)]
pub struct Movement {
    pub kind: Kind,
    pub location: Uuid,
    pub variant: Uuid,
    /// Signed thousandths of the variant's unit.
    pub quantity: i64,
    /// When it happened, and its date at the location.
    pub at: DateTime<Utc>,
    pub business_date: chrono::NaiveDate,
    /// The record or document it belongs to, and its line there: unique
    /// per kind, so a movement cannot be recorded twice.
    pub source: Uuid,
    pub line_no: i32,
    pub detail: Detail,
}

impl Movement {
    fn row(self, recorded_at: DateTime<Utc>) -> stock_movement::ActiveModel {
        let d = self.detail;
        stock_movement::ActiveModel {
            tenant_id: sea_orm::ActiveValue::NotSet,
            id: Set(Uuid::now_v7()),
            location_id: Set(self.location),
            variant_id: Set(self.variant),
            kind: Set(self.kind.as_str().to_owned()),
            quantity: Set(self.quantity),
            at: Set(self.at),
            business_date: Set(self.business_date),
            recorded_at: Set(recorded_at),
            source_id: Set(self.source),
            line_no: Set(self.line_no),
            reason: Set(d.reason),
            note: Set(d.note),
            unit_cost: Set(d.unit_cost),
            supplier_reference: Set(d.supplier_reference),
            counted: Set(d.counted),
            terminal_id: Set(d.terminal),
            transfer_id: Set(d.transfer),
            recorded_by: Set(d.recorded_by),
        }
    }
}

/// Movements waiting to be written with the records that caused them,
/// and what they add to each level.
#[derive(Default)]
pub struct Movements {
    rows: Vec<stock_movement::ActiveModel>,
    /// (location, variant) → quantity, in key order: levels are always
    /// updated in one order, so two writers cannot deadlock.
    deltas: BTreeMap<(Uuid, Uuid), i64>,
}

/// Rows per INSERT on SQLite (18 columns each, well under its limit of
/// bound values).
const ROWS_PER_STATEMENT: usize = 50;

impl Movements {
    pub fn push(&mut self, movement: Movement) {
        *self
            .deltas
            .entry((movement.location, movement.variant))
            .or_default() += movement.quantity;
        self.rows.push(movement.row(Utc::now()));
    }

    /// Adds to a level only: for a movement recorded elsewhere, as a sale
    /// line is (`stock::sold`).
    pub fn add_to_level(&mut self, location: Uuid, variant: Uuid, quantity: i64) {
        *self.deltas.entry((location, variant)).or_default() += quantity;
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.deltas.is_empty()
    }

    /// Appends the movements and adds them to their levels.
    pub async fn flush(&mut self, tx: &TenantTx) -> Result<()> {
        self.flush_rows(tx).await?;
        self.flush_levels(tx).await
    }

    /// Adds the movements written so far to their levels, in one
    /// statement in key order. A push does this once, at its end: levels
    /// are shared by the terminals of a location, and a push that took
    /// their row locks in two rounds could deadlock with another.
    pub async fn flush_levels(&mut self, tx: &TenantTx) -> Result<()> {
        add_all(tx, &std::mem::take(&mut self.deltas)).await
    }

    /// Appends the movements; their levels wait for [`Self::flush_levels`].
    pub async fn flush_rows(&mut self, tx: &TenantTx) -> Result<()> {
        let rows = std::mem::take(&mut self.rows);
        if tx.is_postgres() {
            tx.insert_many(rows).await?;
        } else {
            for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                tx.insert_many(chunk.to_vec()).await?;
            }
        }
        Ok(())
    }
}

/// Adds each (location, variant) delta to its level's quantity on hand,
/// making rows as needed: one statement of fixed shape on PostgreSQL
/// (`tenancy::bulk`), multi-row upserts on SQLite.
async fn add_all(tx: &TenantTx, deltas: &BTreeMap<(Uuid, Uuid), i64>) -> Result<()> {
    use stock_level::Column as C;
    if deltas.is_empty() {
        return Ok(());
    }
    // Keys are in location order: the counters are taken in that order,
    // before any level.
    let mut versions = BTreeMap::new();
    for (location, _) in deltas.keys() {
        if !versions.contains_key(location) {
            versions.insert(*location, super::feed::bump(tx, *location).await?);
        }
    }
    let (tenant, now) = (tx.tenant(), Utc::now());
    let rows: Vec<Vec<SimpleExpr>> = deltas
        .iter()
        .map(|((location, variant), delta)| {
            vec![
                tenant.into(),
                (*location).into(),
                (*variant).into(),
                (*delta).into(),
                0_i64.into(),
                now.into(),
                versions.get(location).copied().unwrap_or_default().into(),
            ]
        })
        .collect();
    let columns = [
        C::TenantId,
        C::LocationId,
        C::VariantId,
        C::OnHand,
        C::InTransit,
        C::UpdatedAt,
        C::Version,
    ];
    if tx.is_postgres() {
        let names: Vec<&str> = columns.iter().map(|c| c.as_str()).collect();
        let tail = " ON CONFLICT (tenant_id, location_id, variant_id) DO UPDATE SET \
            on_hand = stock_levels.on_hand + excluded.on_hand, \
            updated_at = excluded.updated_at, version = excluded.version";
        if let Some(statements) = bulk::rows_of("stock_levels", &names, &rows, tail) {
            for statement in statements {
                tx.execute_raw(statement).await?;
            }
            return Ok(());
        }
    }
    let excluded = |c: C| Expr::col((Alias::new("excluded"), c));
    for chunk in rows.chunks(500) {
        let mut insert = Query::insert();
        insert.into_table(stock_level::Entity).columns(columns);
        for row in chunk {
            insert.values_panic(row.iter().cloned());
        }
        insert.on_conflict(
            OnConflict::columns([C::TenantId, C::LocationId, C::VariantId])
                .value(
                    C::OnHand,
                    Expr::col((stock_level::Entity, C::OnHand)).add(excluded(C::OnHand)),
                )
                .value(C::UpdatedAt, excluded(C::UpdatedAt))
                .value(C::Version, excluded(C::Version))
                .to_owned(),
        );
        tx.execute_raw(tx.backend().build(&insert)).await?;
    }
    Ok(())
}

/// Adds to a level's quantities on hand and in transit, making its row if
/// there is none.
pub async fn add(
    tx: &TenantTx,
    location: Uuid,
    variant: Uuid,
    on_hand: i64,
    in_transit: i64,
) -> Result<()> {
    use stock_level::Column as C;
    let now = Utc::now();
    let version = super::feed::bump(tx, location).await?;
    tx.insert_on_conflict(
        stock_level::ActiveModel {
            location_id: Set(location),
            variant_id: Set(variant),
            on_hand: Set(on_hand),
            in_transit: Set(in_transit),
            average_cost: Set(None),
            low_threshold: Set(None),
            updated_at: Set(now),
            version: Set(version),
            ..Default::default()
        },
        OnConflict::columns([C::TenantId, C::LocationId, C::VariantId])
            .value(
                C::OnHand,
                Expr::col((stock_level::Entity, C::OnHand)).add(on_hand),
            )
            .value(
                C::InTransit,
                Expr::col((stock_level::Entity, C::InTransit)).add(in_transit),
            )
            .value(C::UpdatedAt, Expr::value(now))
            .value(C::Version, Expr::value(version))
            .to_owned(),
    )
    .await?;
    Ok(())
}

/// The calendar date of `at` at a location of the tenant.
pub async fn business_date(
    tx: &TenantTx,
    location: Uuid,
    at: DateTime<Utc>,
) -> Result<chrono::NaiveDate> {
    let found = tx
        .select::<entity::location::Entity>()
        .filter(entity::location::Column::Id.eq(location))
        .one(tx)
        .await?
        .ok_or_else(|| crate::org::locations::not_found().at("locationId"))?;
    let zone = crate::org::locations::stored_zone(&found.time_zone)?;
    Ok(at.with_timezone(&zone).date_naive())
}

/// A level, locked until the transaction ends (made at zero if missing),
/// for a change that depends on it: a count, a receipt's average cost,
/// a threshold. Its location's feed counter is taken first and the level
/// stamped with the new version, so whatever the caller writes to it is
/// in the feed.
pub async fn lock(tx: &TenantTx, location: Uuid, variant: Uuid) -> Result<stock_level::Model> {
    add(tx, location, variant, 0, 0).await?;
    tx.select::<stock_level::Entity>()
        .filter(stock_level::Column::LocationId.eq(location))
        .filter(stock_level::Column::VariantId.eq(variant))
        .lock_exclusive()
        .one(tx)
        .await?
        .ok_or_else(|| crate::error::AppError::internal("stock level vanished"))
}

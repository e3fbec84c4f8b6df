//! What one unit of work (a push, an online record) remembers across the
//! events it applies: the catalog it read, and the rows it will insert.
//!
//! Within one push the catalog is read once per variant, tax group and
//! rule set, not once per event; and the rows of consecutive sales are
//! inserted together, a few statements per push instead of several per
//! sale. Anything that reads the ledger (refunds, voids, a repeated sale
//! id) flushes the buffered rows first, so it sees every earlier event.

use std::collections::HashMap;

use entity::{
    ledger_anomaly, line_tax, product, receipt, sale, sale_line, sync_event, sync_issue, tax_rate,
    tender, variant,
};
use sea_orm::{ActiveModelBehavior, ActiveModelTrait, ColumnTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::catalog::pricing;
use crate::catalog::{price_history, rules, tax_groups};
use crate::error::Result;
use crate::sales::event::SalePayload;
use crate::tenancy::TenantTx;

#[derive(Default)]
pub struct Memo {
    rules: Option<Vec<pricing::Rule>>,
    variants: HashMap<Uuid, Option<(variant::Model, Option<product::Model>)>>,
    /// Location prices at the unit of work's location, by variant.
    prices: HashMap<Uuid, Vec<(Uuid, i64)>>,
    /// The price history at the unit of work's location of variants whose
    /// prices changed after a sale being applied (empty: none recorded).
    history: HashMap<Uuid, Vec<entity::price_history::Model>>,
    /// Every rate a tax group has had, by group.
    rates: HashMap<Uuid, Vec<tax_rate::Model>>,
    /// Sale ids known not to be in the ledger yet (checked for a whole
    /// push at once).
    pub absent_sales: std::collections::HashSet<Uuid>,
    pub writes: Writes,
}

impl Memo {
    /// Reads ahead for a push's new `sales`, before the first is applied:
    /// which sale ids are not in the ledger yet (one query), and the
    /// catalog they sell from at `location` (in chunks of 1,000 variants),
    /// rather than as each sale first names a variant.
    pub async fn read_ahead<'p>(
        &mut self,
        tx: &TenantTx,
        sales: impl Iterator<Item = &'p SalePayload>,
        location: Uuid,
    ) -> Result<()> {
        let mut ids = Vec::new();
        let mut variants = std::collections::BTreeSet::new();
        for sale in sales {
            ids.extend(Uuid::parse_str(sale.sale_id.as_str()).ok());
            variants.extend(
                sale.lines
                    .iter()
                    .filter_map(|l| Uuid::parse_str(l.variant_id.as_str()).ok()),
            );
        }
        self.check_new_sales(tx, &ids).await?;
        let variants: Vec<Uuid> = variants.into_iter().collect();
        for chunk in variants.chunks(1_000) {
            self.load_variants(tx, chunk, location).await?;
        }
        Ok(())
    }

    /// Checks in one query which of `ids` are not sales yet, so applying
    /// each need not ask again.
    async fn check_new_sales(&mut self, tx: &TenantTx, ids: &[Uuid]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let found: Vec<Uuid> = tx
            .select::<sale::Entity>()
            .select_only()
            .column(sale::Column::Id)
            .filter(sale::Column::Id.is_in(ids.iter().copied()))
            .into_tuple()
            .all(tx)
            .await?;
        self.absent_sales
            .extend(ids.iter().filter(|id| !found.contains(id)).copied());
        Ok(())
    }

    pub async fn rules(&mut self, tx: &TenantTx) -> Result<&[pricing::Rule]> {
        if self.rules.is_none() {
            self.rules = Some(rules::active(tx).await?);
        }
        Ok(self.rules.as_deref().unwrap_or_default())
    }

    /// Loads whatever of `ids` (variants, their products and, at
    /// `location`, their prices) is not known yet.
    pub async fn load_variants(
        &mut self,
        tx: &TenantTx,
        ids: &[Uuid],
        location: Uuid,
    ) -> Result<()> {
        let missing: Vec<Uuid> = ids
            .iter()
            .filter(|id| !self.variants.contains_key(id))
            .copied()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let found = tx
            .select::<variant::Entity>()
            .filter(variant::Column::Id.is_in(missing.iter().copied()))
            .find_also_related(product::Entity)
            .all(tx)
            .await?;
        for id in &missing {
            self.variants.insert(*id, None);
            self.prices.insert(*id, Vec::new());
        }
        for (v, p) in found {
            self.variants.insert(v.id, Some((v, p)));
        }
        for lp in tx
            .select::<entity::location_price::Entity>()
            .filter(entity::location_price::Column::VariantId.is_in(missing.iter().copied()))
            .filter(entity::location_price::Column::LocationId.eq(location))
            .all(tx)
            .await?
        {
            self.prices
                .entry(lp.variant_id)
                .or_default()
                .push((lp.location_id, lp.price));
        }
        let groups: Vec<Uuid> = self
            .variants
            .values()
            .flatten()
            .map(|(v, _)| v.tax_group_id)
            .filter(|g| !self.rates.contains_key(g))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if !groups.is_empty() {
            let mut all = tax_groups::all_rates_of(tx, &groups).await?;
            for g in groups {
                self.rates.insert(g, all.remove(&g).unwrap_or_default());
            }
        }
        Ok(())
    }

    pub fn variant(&self, id: &Uuid) -> Option<&(variant::Model, Option<product::Model>)> {
        self.variants.get(id).and_then(Option::as_ref)
    }

    /// Loads the price history of those of `ids` whose prices may have
    /// changed since `at` (their `updated_at` is later), unless known.
    pub async fn load_history(
        &mut self,
        tx: &TenantTx,
        ids: &[Uuid],
        location: Uuid,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let stale: Vec<Uuid> = ids
            .iter()
            .filter(|id| !self.history.contains_key(id))
            .filter(|id| self.variant(id).is_some_and(|(v, _)| v.updated_at > at))
            .copied()
            .collect();
        if stale.is_empty() {
            return Ok(());
        }
        let mut found = price_history::of(tx, &stale, location).await?;
        for id in stale {
            self.history
                .insert(id, found.remove(&id).unwrap_or_default());
        }
        Ok(())
    }

    /// The variant's base price and its override at the unit of work's
    /// location, as they were at `at` (see [`Self::load_history`]).
    pub fn prices_at(
        &self,
        variant: &variant::Model,
        at: chrono::DateTime<chrono::Utc>,
    ) -> (i64, Option<i64>) {
        let current = || {
            let over = self.prices.get(&variant.id).and_then(|p| p.first());
            (variant.base_price, over.map(|(_, price)| *price))
        };
        if variant.updated_at <= at {
            return current();
        }
        match self
            .history
            .get(&variant.id)
            .and_then(|rows| price_history::at(rows, at))
        {
            Some(then) => (then.base, then.at_location),
            None => current(),
        }
    }

    /// The group's rates in force at `at`, in position order.
    pub fn rates_at(&self, group: Uuid, at: chrono::DateTime<chrono::Utc>) -> Vec<tax_rate::Model> {
        self.rates
            .get(&group)
            .map(|rates| {
                rates
                    .iter()
                    .filter(|r| {
                        r.valid_from.is_none_or(|f| f <= at) && r.valid_until.is_none_or(|u| u > at)
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Tables whose buffered rows are dropped instead of written (a bit mask of
/// [`Skip`]). Only the push and report benchmarks set it, to measure what
/// each table's writes cost (the ledger or reports are then incomplete
/// until `reconcile` rebuilds them). Compiled only with the
/// `bench-switches` feature, which the benchmarks and tests enable: a
/// server binary has no way to skip a write.
#[cfg(feature = "bench-switches")]
#[doc(hidden)]
pub static SKIP_WRITES: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// The tables [`SKIP_WRITES`] can leave out.
#[cfg(feature = "bench-switches")]
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    Sales = 1,
    Lines = 2,
    Taxes = 4,
    Tenders = 8,
    Receipts = 16,
    Events = 32,
    Rollups = 64,
}

#[cfg(feature = "bench-switches")]
impl Skip {
    pub const ALL: [(&'static str, Skip); 7] = [
        ("sales", Skip::Sales),
        ("lines", Skip::Lines),
        ("taxes", Skip::Taxes),
        ("tenders", Skip::Tenders),
        ("receipts", Skip::Receipts),
        ("events", Skip::Events),
        ("rollups", Skip::Rollups),
    ];
}

/// Rows waiting to be inserted, table by table.
#[derive(Default)]
pub struct Writes {
    pub sales: Vec<sale::ActiveModel>,
    pub lines: Vec<sale_line::ActiveModel>,
    pub taxes: Vec<line_tax::ActiveModel>,
    pub tenders: Vec<tender::ActiveModel>,
    pub receipts: Vec<receipt::ActiveModel>,
    pub anomalies: Vec<ledger_anomaly::ActiveModel>,
    pub issues: Vec<sync_issue::ActiveModel>,
    pub events: Vec<sync_event::ActiveModel>,
    /// Report cells the applied events change, added on flush.
    pub rollups: crate::sales::rollup::Rollups,
    /// Stock movements of tracked variants refunded or voided, and what
    /// sales take off levels (a sale line is its own movement).
    pub stock: crate::stock::Movements,
}

/// Rows per multi-row INSERT on SQLite, whose statements bind one value
/// per cell (at most 32,766). PostgreSQL takes all the rows of a table in
/// one statement of fixed shape ([`crate::tenancy::bulk`]).
const ROWS_PER_STATEMENT: usize = 50;

/// Inserts `rows`: on SQLite in statements of at most
/// [`ROWS_PER_STATEMENT`] rows and 30,000 bound values; on PostgreSQL in
/// one statement.
async fn insert_all<A>(tx: &TenantTx, rows: &mut Vec<A>, columns: usize) -> Result<()>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send + Clone,
    A::Entity: entity::TenantOwned,
{
    let rows = std::mem::take(rows);
    if tx.is_postgres() {
        return Ok(tx.insert_many(rows).await?);
    }
    let per_statement = (30_000 / columns.max(1)).clamp(1, ROWS_PER_STATEMENT);
    for chunk in rows.chunks(per_statement) {
        tx.insert_many(chunk.to_vec()).await?;
    }
    Ok(())
}

impl Writes {
    pub fn is_empty(&self) -> bool {
        self.sales.is_empty()
            && self.receipts.is_empty()
            && self.events.is_empty()
            && self.issues.is_empty()
            && self.rollups.is_empty()
            && self.stock.is_empty()
    }

    /// Inserts everything buffered, parents before children.
    pub async fn flush(&mut self, tx: &TenantTx) -> Result<()> {
        #[cfg(feature = "bench-switches")]
        {
            let skip = SKIP_WRITES.load(std::sync::atomic::Ordering::Relaxed);
            if skip != 0 {
                self.skip(skip);
            }
        }
        insert_all(tx, &mut self.sales, 25).await?;
        insert_all(tx, &mut self.lines, 21).await?;
        insert_all(tx, &mut self.taxes, 8).await?;
        insert_all(tx, &mut self.tenders, 10).await?;
        insert_all(tx, &mut self.receipts, 9).await?;
        insert_all(tx, &mut self.anomalies, 9).await?;
        insert_all(tx, &mut self.issues, 10).await?;
        insert_all(tx, &mut self.events, 16).await?;
        self.stock.flush_rows(tx).await?;
        self.rollups.flush(tx).await
    }

    /// [`Self::flush`], and the stock levels: once, at the end of a unit
    /// of work (see `stock::Movements::flush_levels`).
    pub async fn finish(&mut self, tx: &TenantTx) -> Result<()> {
        self.flush(tx).await?;
        self.stock.flush_levels(tx).await
    }

    /// Drops the buffered rows of the tables in `mask` (see [`SKIP_WRITES`]).
    #[cfg(feature = "bench-switches")]
    fn skip(&mut self, mask: u32) {
        let on = |table: Skip| mask & table as u32 != 0;
        fn drop_if<T>(skip: bool, rows: &mut Vec<T>) {
            if skip {
                rows.clear();
            }
        }
        drop_if(on(Skip::Sales), &mut self.sales);
        drop_if(on(Skip::Lines), &mut self.lines);
        drop_if(on(Skip::Taxes), &mut self.taxes);
        drop_if(on(Skip::Tenders), &mut self.tenders);
        drop_if(on(Skip::Receipts), &mut self.receipts);
        drop_if(on(Skip::Events), &mut self.events);
        if on(Skip::Rollups) {
            self.rollups = Default::default();
        }
    }

    /// Whether a sale with this id is waiting to be inserted.
    pub fn has_sale(&self, id: Uuid) -> bool {
        self.sales
            .iter()
            .any(|s| matches!(&s.id, sea_orm::ActiveValue::Set(v) if *v == id))
    }
}

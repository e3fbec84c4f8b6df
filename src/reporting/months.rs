//! The daily and monthly rollups: what a unit of work's fine deltas add to
//! them, and the compaction of the pending item deltas.
//!
//! Sales and tenders per terminal and day or month are upserted with the
//! fine rows: only the terminal's own pushes write them. Item months are shared
//! by every terminal of a location (and the all-location rows by every
//! terminal of the tenant), so a push only appends its deltas to
//! `report_items_pending`; [`compact`] folds them into
//! `report_items_monthly` after it commits, in a transaction of its own
//! that no push waits on. Reports read the monthly rows plus the pending
//! ones, in one statement, so a delta counts exactly once either way.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use chrono::{Datelike, NaiveDate};
use entity::{
    report_item_pending, report_sale_daily, report_sale_monthly, report_tender_daily,
    report_tender_monthly,
};
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

use super::rollup::{ItemCell, Rollups, SaleCell, TenderCell, add, upsert};
use super::rows::ITEM_FIELDS;
use crate::error::Result;
use crate::tenancy::{Db, TenantTx};

/// The first day of `date`'s month.
pub fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

/// The last day of `date`'s month.
pub fn month_end(date: NaiveDate) -> NaiveDate {
    let (y, m) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(date)
}

/// Month cells: (month, location, terminal) for sales; the same and the
/// method for tenders; (month, location, variant, tax group) for items.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Months {
    pub sales: BTreeMap<(NaiveDate, Uuid, Uuid), SaleCell>,
    pub tenders: BTreeMap<(NaiveDate, Uuid, Uuid, String), TenderCell>,
    pub items: BTreeMap<(NaiveDate, Uuid, Uuid, Uuid), (Uuid, ItemCell)>,
}

impl Months {
    /// The fine cells summed per month.
    pub fn of(fine: &Rollups) -> Self {
        let mut me = Self::per(fine, month_start);
        for ((c, variant, group), (product, v)) in &fine.items {
            let k = (month_start(c.date), c.location, *variant, *group);
            add(&mut me.items.entry(k).or_insert((*product, [0; 15])).1, *v);
        }
        me
    }

    /// The fine sale and tender cells summed per business date (the same
    /// shape as months, with the day in place of the month; no items).
    pub fn days_of(fine: &Rollups) -> Self {
        Self::per(fine, |d| d)
    }

    fn per(fine: &Rollups, period: fn(NaiveDate) -> NaiveDate) -> Self {
        let mut me = Months::default();
        for (c, v) in &fine.sales {
            let k = (period(c.date), c.location, c.terminal);
            add(me.sales.entry(k).or_default(), *v);
        }
        for ((c, method), v) in &fine.tenders {
            let k = (period(c.date), c.location, c.terminal, method.clone());
            add(me.tenders.entry(k).or_default(), *v);
        }
        me
    }

    pub fn merge(&mut self, other: Months) {
        for (k, v) in other.sales {
            add(self.sales.entry(k).or_default(), v);
        }
        for (k, v) in other.tenders {
            add(self.tenders.entry(k).or_default(), v);
        }
        for (k, (p, v)) in other.items {
            add(&mut self.items.entry(k).or_insert((p, [0; 15])).1, v);
        }
    }

    /// The item months summed over every location (`report_items_monthly_all`),
    /// keyed with the nil location.
    pub fn all_locations(&self) -> BTreeMap<(NaiveDate, Uuid, Uuid, Uuid), (Uuid, ItemCell)> {
        let mut all = BTreeMap::new();
        for ((month, _, variant, group), (product, v)) in &self.items {
            let k = (*month, Uuid::nil(), *variant, *group);
            add(&mut all.entry(k).or_insert((*product, [0; 15])).1, *v);
        }
        all
    }

    /// Adds what a unit of work's fine deltas add to the days and months.
    pub async fn add_all(tx: &TenantTx, fine: &Rollups) -> Result<()> {
        let days = Months::days_of(fine);
        upsert::<report_sale_daily::Entity>(tx, days.sale_rows(tx.tenant())).await?;
        upsert::<report_tender_daily::Entity>(tx, days.tender_rows(tx.tenant())).await?;
        Months::of(fine).add_to(tx).await
    }

    /// Adds these deltas: sales and tender months in place, item months as
    /// pending rows (compacted once the transaction commits).
    async fn add_to(&self, tx: &TenantTx) -> Result<()> {
        upsert::<report_sale_monthly::Entity>(tx, self.sale_rows(tx.tenant())).await?;
        upsert::<report_tender_monthly::Entity>(tx, self.tender_rows(tx.tenant())).await?;
        if self.items.is_empty() {
            return Ok(());
        }
        let rows = item_rows(tx.tenant(), self.items.iter(), ItemTable::Pending);
        insert::<report_item_pending::Entity>(tx, rows).await?;
        tx.compact_rollups_on_commit();
        Ok(())
    }

    pub(super) fn sale_rows(&self, tenant: Uuid) -> Vec<Vec<SimpleExpr>> {
        self.sales
            .iter()
            .map(|((month, location, terminal), m)| {
                let mut row: Vec<SimpleExpr> = vec![
                    tenant.into(),
                    (*month).into(),
                    (*location).into(),
                    (*terminal).into(),
                ];
                row.extend(m.map(Into::into));
                row
            })
            .collect()
    }

    pub(super) fn tender_rows(&self, tenant: Uuid) -> Vec<Vec<SimpleExpr>> {
        self.tenders
            .iter()
            .map(|((month, location, terminal, method), m)| {
                let mut row: Vec<SimpleExpr> = vec![
                    tenant.into(),
                    (*month).into(),
                    (*location).into(),
                    (*terminal).into(),
                    method.clone().into(),
                ];
                row.extend(m.map(Into::into));
                row
            })
            .collect()
    }
}

/// Rows of `report_items_monthly`, or with `with_id` of
/// `report_items_pending`, in column order.
pub(super) fn item_rows<'a>(
    tenant: Uuid,
    items: impl Iterator<Item = (&'a (NaiveDate, Uuid, Uuid, Uuid), &'a (Uuid, ItemCell))>,
    target: ItemTable,
) -> Vec<Vec<SimpleExpr>> {
    items
        .map(|((month, location, variant, group), (product, m))| {
            let mut row: Vec<SimpleExpr> = vec![tenant.into()];
            if target == ItemTable::Pending {
                row.push(Uuid::now_v7().into());
            }
            row.push((*month).into());
            if target != ItemTable::AllLocations {
                row.push((*location).into());
            }
            row.extend([(*variant).into(), (*group).into(), (*product).into()]);
            row.extend(m.map(Into::into));
            row
        })
        .collect()
}

/// The item tables [`item_rows`] builds rows for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ItemTable {
    Pending,
    PerLocation,
    AllLocations,
}

/// Plain multi-row inserts of `rows`, in the entity's column order.
pub(super) async fn insert<E: sea_orm::EntityTrait>(
    tx: &TenantTx,
    rows: Vec<Vec<SimpleExpr>>,
) -> Result<()> {
    use sea_orm::Iterable;
    use sea_orm::sea_query::Query;
    let columns: Vec<E::Column> = E::Column::iter().collect();
    if tx.conn().get_database_backend() == sea_orm::DbBackend::Postgres {
        use sea_orm::IdenStatic;
        let names: Vec<&str> = columns.iter().map(|c| c.as_str()).collect();
        if let Some(json) = crate::tenancy::bulk::rows_of(&names, &rows) {
            let table = E::default().table_name();
            for statement in crate::tenancy::bulk::statements(table, &names, json, "") {
                tx.conn().execute_raw(statement).await?;
            }
            return Ok(());
        }
    }
    let per_statement = (20_000 / columns.len()).clamp(1, 500);
    for chunk in rows.chunks(per_statement) {
        let mut insert = Query::insert();
        insert
            .into_table(E::default())
            .columns(columns.iter().copied());
        for row in chunk {
            insert.values_panic(row.iter().cloned());
        }
        let backend = tx.conn().get_database_backend();
        tx.conn().execute_raw(backend.build(&insert)).await?;
    }
    Ok(())
}

/// At most this many pending rows are folded per statement, so one pass
/// stays well inside the statement timeout.
const BATCH: i64 = 20_000;

/// Folds the tenant's pending item deltas into `report_items_monthly`
/// (per location and all-location rows). Returns how many it folded. On
/// PostgreSQL the pending rows are deleted and added in one statement, so
/// a row committed meanwhile is either folded or left for the next pass,
/// never lost; a second compactor of the same tenant skips (advisory
/// lock) unless `wait`.
pub async fn compact(tx: &TenantTx, wait: bool) -> Result<u64> {
    let backend = tx.conn().get_database_backend();
    let pg = backend == DbBackend::Postgres;
    if pg {
        let key = format!("report_items_pending:{}", tx.tenant());
        // Both answer one boolean: true once the lock is held. (The waiting
        // form returns void, so it is selected from, not compared.)
        let sql = if wait {
            "SELECT true FROM pg_advisory_xact_lock(hashtextextended($1, 7))"
        } else {
            "SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7))"
        };
        let got = tx
            .conn()
            .query_one_raw(Statement::from_sql_and_values(backend, sql, [key.into()]))
            .await?
            .map(|r| r.try_get_by_index::<bool>(0))
            .transpose()?
            .unwrap_or(false);
        if !got {
            return Ok(0);
        }
    }
    let mut folded = 0;
    loop {
        let n = if pg {
            compact_pg(tx).await?
        } else {
            compact_sqlite(tx).await?
        };
        folded += n;
        if (n as i64) < BATCH {
            return Ok(folded);
        }
    }
}

fn measure_list() -> String {
    ITEM_FIELDS.join(", ")
}

fn sums() -> String {
    ITEM_FIELDS
        .iter()
        .map(|m| format!("SUM({m})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `ON CONFLICT … DO UPDATE` adding the measures, for `table` keyed by
/// `tenant_id, business_date`, `location` and variant and tax group.
fn on_conflict(table: &str, location: &str) -> String {
    let set = ITEM_FIELDS
        .iter()
        .map(|m| format!("{m} = {table}.{m} + excluded.{m}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "ON CONFLICT (tenant_id, business_date, {location}variant_id, tax_group_id) \
         DO UPDATE SET {set}"
    )
}

/// The two destinations of compaction: (table, its location key column
/// with a comma, or nothing).
const DESTINATIONS: [(&str, &str); 2] = [
    ("report_items_monthly", "location_id, "),
    ("report_items_monthly_all", ""),
];

/// `INSERT INTO table … SELECT … FROM source GROUP BY …` for one
/// destination, reading the pending rows `source` names.
fn fold(table: &str, location: &str, source: &str, product: &str) -> String {
    let (m, s) = (measure_list(), sums());
    format!(
        "INSERT INTO {table} \
           (tenant_id, business_date, {location}variant_id, tax_group_id, product_id, {m}) \
         SELECT tenant_id, business_date, {location}variant_id, tax_group_id, {product}, {s} \
         FROM {source} \
         GROUP BY tenant_id, business_date, {location}variant_id, tax_group_id \
         ORDER BY business_date, {location}variant_id, tax_group_id \
         {}",
        on_conflict(table, location)
    )
}

async fn compact_pg(tx: &TenantTx) -> Result<u64> {
    let product = "(array_agg(product_id))[1]";
    let folds: Vec<String> = DESTINATIONS
        .iter()
        .enumerate()
        .map(|(i, (table, location))| {
            format!(
                "f{i} AS ({} RETURNING 1)",
                fold(table, location, "moved", product)
            )
        })
        .collect();
    let sql = format!(
        "WITH moved AS (\
           DELETE FROM report_items_pending WHERE tenant_id = $1 AND id IN (\
             SELECT id FROM report_items_pending WHERE tenant_id = $1 LIMIT {BATCH}) \
           RETURNING *), {} \
         SELECT (SELECT COUNT(*) FROM moved), (SELECT COUNT(*) FROM f0), (SELECT COUNT(*) FROM f1)",
        folds.join(", ")
    );
    let moved = tx
        .conn()
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            [tx.tenant().into()],
        ))
        .await?
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0);
    Ok(moved as u64)
}

async fn compact_sqlite(tx: &TenantTx) -> Result<u64> {
    // A SQLite write transaction holds the only write lock, so the rows
    // read by the insert are exactly the rows the delete removes.
    let batch = format!(
        "SELECT id FROM report_items_pending WHERE tenant_id = ?1 ORDER BY id LIMIT {BATCH}"
    );
    let count = tx
        .conn()
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!("SELECT COUNT(*) FROM ({batch}) AS b"),
            [tx.tenant().into()],
        ))
        .await?
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0);
    if count == 0 {
        return Ok(0);
    }
    let source =
        format!("(SELECT * FROM report_items_pending WHERE id IN ({batch})) AS p WHERE true");
    for (table, location) in DESTINATIONS {
        tx.conn()
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                fold(table, location, &source, "MAX(product_id)"),
                [tx.tenant().into()],
            ))
            .await?;
    }
    tx.conn()
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            format!("DELETE FROM report_items_pending WHERE tenant_id = ?1 AND id IN ({batch})"),
            [tx.tenant().into()],
        ))
        .await?;
    Ok(count as u64)
}

/// Tenants with a compaction running in this process, and whether more
/// was committed since it started (then it goes round again).
fn running() -> &'static Mutex<HashMap<Uuid, bool>> {
    static RUNNING: OnceLock<Mutex<HashMap<Uuid, bool>>> = OnceLock::new();
    RUNNING.get_or_init(Default::default)
}

/// Compacts the tenant's pending deltas in the background, once per burst
/// of commits. Failures are logged: the pending rows stay, reports still
/// count them, and the next commit tries again.
pub fn schedule(db: Db, tenant: Uuid) {
    let Ok(handle) = tokio::runtime::Handle::try_current() else {
        return;
    };
    {
        let mut map = running().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(again) = map.get_mut(&tenant) {
            *again = true;
            return;
        }
        map.insert(tenant, false);
    }
    /// Clears the entry if the task ends early (cancelled with its
    /// runtime, or a panic), so the next commit starts a new one.
    struct Done(Option<Uuid>);
    impl Drop for Done {
        fn drop(&mut self) {
            if let Some(tenant) = self.0 {
                running()
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&tenant);
            }
        }
    }
    handle.spawn(async move {
        let mut done = Done(Some(tenant));
        loop {
            let result = async {
                let tx = db.write_for_tenant(tenant).await?;
                let n = compact(&tx, false).await?;
                tx.commit().await?;
                Ok::<u64, crate::error::AppError>(n)
            }
            .await;
            match result {
                Ok(n) => tracing::debug!(%tenant, folded = n, "report item deltas compacted"),
                Err(e) => {
                    tracing::warn!(%tenant, error = %e, "compacting report item deltas failed")
                }
            }
            let mut map = running().lock().unwrap_or_else(|e| e.into_inner());
            match map.get_mut(&tenant) {
                Some(again) if *again => *again = false,
                _ => {
                    map.remove(&tenant);
                    done.0 = None;
                    return;
                }
            }
        }
    });
}

//! Compaction of the pending item deltas: a push appends its item deltas
//! to `report_items_pending`, and after it commits [`schedule`] folds them
//! into `report_items_monthly`, `report_items_monthly_all` and
//! `report_products_monthly_all`, in a transaction of its own that no push
//! waits on.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use sea_orm::{DbBackend, Statement};
use uuid::Uuid;

use super::rows::ITEM_FIELDS;
use crate::error::Result;
use crate::tenancy::{Db, TenantTx};

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
    let backend = tx.backend();
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
/// `tenant_id, business_date` and `key`.
fn on_conflict(table: &str, key: &str) -> String {
    let set = ITEM_FIELDS
        .iter()
        .map(|m| format!("{m} = {table}.{m} + excluded.{m}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!("ON CONFLICT (tenant_id, business_date, {key}) DO UPDATE SET {set}")
}

/// The destinations of compaction: (table, its key after `tenant_id,
/// business_date`, and whether it carries the variant's product).
const DESTINATIONS: [(&str, &str, bool); 3] = [
    (
        "report_items_monthly",
        "location_id, variant_id, tax_group_id",
        true,
    ),
    ("report_items_monthly_all", "variant_id, tax_group_id", true),
    ("report_products_monthly_all", "product_id", false),
];

/// `INSERT INTO table … SELECT … FROM source GROUP BY …` for one
/// destination, reading the pending rows `source` names; `product` picks
/// a group's product where the destination carries it.
fn fold(table: &str, key: &str, carries_product: bool, source: &str, product: &str) -> String {
    let (m, s) = (measure_list(), sums());
    let (into, from) = if carries_product {
        (", product_id".to_owned(), format!(", {product}"))
    } else {
        (String::new(), String::new())
    };
    format!(
        "INSERT INTO {table} (tenant_id, business_date, {key}{into}, {m}) \
         SELECT tenant_id, business_date, {key}{from}, {s} \
         FROM {source} \
         GROUP BY tenant_id, business_date, {key} \
         ORDER BY business_date, {key} \
         {}",
        on_conflict(table, key)
    )
}

async fn compact_pg(tx: &TenantTx) -> Result<u64> {
    let product = "(array_agg(product_id))[1]";
    let folds: Vec<String> = DESTINATIONS
        .iter()
        .enumerate()
        .map(|(i, (table, key, carries))| {
            format!("f{i} AS ({})", fold(table, key, *carries, "moved", product))
        })
        .collect();
    // Data-modifying CTEs run to completion whether or not the outer
    // query reads them, so only the moved count is selected.
    let sql = format!(
        "WITH moved AS (\
           DELETE FROM report_items_pending WHERE tenant_id = $1 AND id IN (\
             SELECT id FROM report_items_pending WHERE tenant_id = $1 LIMIT {BATCH}) \
           RETURNING *), {} \
         SELECT COUNT(*) FROM moved",
        folds.join(", ")
    );
    let moved = tx
        .sql(sql)
        .one(tx)
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
        .sql(format!("SELECT COUNT(*) FROM ({batch}) AS b"))
        .one(tx)
        .await?
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0);
    if count == 0 {
        return Ok(0);
    }
    let source =
        format!("(SELECT * FROM report_items_pending WHERE id IN ({batch})) AS p WHERE true");
    for (table, key, carries) in DESTINATIONS {
        tx.sql(fold(table, key, carries, &source, "MAX(product_id)"))
            .exec(tx)
            .await?;
    }
    tx.sql(format!(
        "DELETE FROM report_items_pending WHERE tenant_id = ?1 AND id IN ({batch})"
    ))
    .exec(tx)
    .await?;
    Ok(count as u64)
}

/// Tenants with a compaction running in this process, and whether more
/// was committed since it started (then it goes round again).
fn running() -> &'static Mutex<HashMap<Uuid, bool>> {
    static RUNNING: OnceLock<Mutex<HashMap<Uuid, bool>>> = OnceLock::new();
    RUNNING.get_or_init(Default::default)
}

/// Schedules compaction after every commit that appended report deltas
/// (registered on the pool at start-up).
pub struct Compactor;

impl crate::tenancy::CommitHook for Compactor {
    fn rollups_appended(&self, db: &Db, tenant: Uuid) {
        schedule(db.clone(), tenant);
    }
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
                let tx = db.operator().write_for_tenant(tenant).await?;
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

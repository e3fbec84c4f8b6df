//! `reconcile` for the monthly rollups: a month's rows against the sum of
//! its fine cells rebuilt from the ledger, rewritten when they differ.

use std::collections::BTreeMap;
use std::fmt::Debug;

use chrono::NaiveDate;
use entity::{report_item_monthly, report_sale_monthly, report_tender_monthly};
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use super::months::{Months, insert, item_rows};
use super::reconcile::{Outcome, diff_cells};
use super::rollup::{ItemCell, upsert};
use super::rows::{ITEM_FIELDS, SALE_FIELDS, TENDER_FIELDS, item_cell, sale_cell, tender_cell};
use crate::error::Result;
use crate::tenancy::TenantTx;

type ItemMonths = BTreeMap<(NaiveDate, Uuid, Uuid, Uuid), (Uuid, ItemCell)>;

/// The stored rows of one month: per location, and all-location items.
async fn stored(tx: &TenantTx, month: NaiveDate) -> Result<(Months, ItemMonths)> {
    let mut me = Months::default();
    for r in tx
        .select::<report_sale_monthly::Entity>()
        .filter(report_sale_monthly::Column::BusinessDate.eq(month))
        .all(tx.conn())
        .await?
    {
        me.sales
            .insert((month, r.location_id, r.terminal_id), sale_cell!(r));
    }
    for r in tx
        .select::<report_tender_monthly::Entity>()
        .filter(report_tender_monthly::Column::BusinessDate.eq(month))
        .all(tx.conn())
        .await?
    {
        me.tenders.insert(
            (month, r.location_id, r.terminal_id, r.method.clone()),
            tender_cell!(r),
        );
    }
    let mut all = ItemMonths::new();
    for r in tx
        .select::<report_item_monthly::Entity>()
        .filter(report_item_monthly::Column::BusinessDate.eq(month))
        .all(tx.conn())
        .await?
    {
        let cell = item_cell!(r);
        let key = (month, r.location_id, r.variant_id, r.tax_group_id);
        if r.location_id.is_nil() {
            all.insert(key, cell);
        } else {
            me.items.insert(key, cell);
        }
    }
    Ok((me, all))
}

fn compare<K: Ord + Debug, const N: usize>(
    table: &'static str,
    fields: &[&'static str; N],
    stored: &BTreeMap<K, [i64; N]>,
    expected: &BTreeMap<K, [i64; N]>,
    outcome: &mut Outcome,
) {
    let mut keys: Vec<&K> = stored.keys().chain(expected.keys()).collect();
    keys.sort();
    keys.dedup();
    for k in keys {
        outcome.cells += 1;
        let zero = [0; N];
        let (s, e) = (stored.get(k), expected.get(k));
        if s.unwrap_or(&zero) != e.unwrap_or(&zero) {
            diff_cells(table, fields, format!("{k:?}"), s, e, outcome);
        }
    }
}

fn measures_only(items: &ItemMonths) -> BTreeMap<(NaiveDate, Uuid, Uuid, Uuid), ItemCell> {
    items.iter().map(|(k, (_, m))| (*k, *m)).collect()
}

/// Checks one month's rows against `expected` (the month's fine cells
/// rebuilt from the ledger, summed) and rewrites them if any differ.
pub(super) async fn check_month(
    tx: &TenantTx,
    month: NaiveDate,
    expected: Months,
    outcome: &mut Outcome,
) -> Result<()> {
    let (stored, stored_all) = stored(tx, month).await?;
    let expected_all = expected.all_locations();
    let before = outcome.differences.len();
    compare(
        "report_sales_monthly",
        &SALE_FIELDS,
        &stored.sales,
        &expected.sales,
        outcome,
    );
    compare(
        "report_tenders_monthly",
        &TENDER_FIELDS,
        &stored.tenders,
        &expected.tenders,
        outcome,
    );
    compare(
        "report_items_monthly",
        &ITEM_FIELDS,
        &measures_only(&stored.items),
        &measures_only(&expected.items),
        outcome,
    );
    compare(
        "report_items_monthly",
        &ITEM_FIELDS,
        &measures_only(&stored_all),
        &measures_only(&expected_all),
        outcome,
    );
    if outcome.differences.len() == before {
        return Ok(());
    }
    tx.delete_many::<report_sale_monthly::Entity>()
        .filter(report_sale_monthly::Column::BusinessDate.eq(month))
        .exec(tx.conn())
        .await?;
    tx.delete_many::<report_tender_monthly::Entity>()
        .filter(report_tender_monthly::Column::BusinessDate.eq(month))
        .exec(tx.conn())
        .await?;
    tx.delete_many::<report_item_monthly::Entity>()
        .filter(report_item_monthly::Column::BusinessDate.eq(month))
        .exec(tx.conn())
        .await?;
    upsert::<report_sale_monthly::Entity>(tx, expected.sale_rows(tx.tenant())).await?;
    upsert::<report_tender_monthly::Entity>(tx, expected.tender_rows(tx.tenant())).await?;
    let rows = item_rows(
        tx.tenant(),
        expected.items.iter().chain(&expected_all),
        false,
    );
    insert::<report_item_monthly::Entity>(tx, rows).await
}

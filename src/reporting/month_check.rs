//! `reconcile` for the daily and monthly rollups: their rows against the
//! sums of the fine cells rebuilt from the ledger, rewritten when they
//! differ.

use std::collections::BTreeMap;
use std::fmt::Debug;

use chrono::NaiveDate;
use entity::{
    report_item_monthly, report_item_monthly_all, report_product_monthly_all, report_sale_daily,
    report_sale_monthly, report_tax_daily, report_tax_monthly, report_tender_daily,
    report_tender_monthly,
};
use sea_orm::sea_query::SimpleExpr;
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use super::reconcile::{Outcome, diff_cells};
use super::rows::{
    ITEM_FIELDS, SALE_FIELDS, TAX_FIELDS, TENDER_FIELDS, item_cell, sale_cell, tax_cell,
    tender_cell,
};
use crate::error::Result;
use crate::sales::rollup::months::{ItemTable, Months, insert, item_rows};
use crate::sales::rollup::{ItemCell, upsert};
use crate::tenancy::TenantTx;

type ItemMonths = BTreeMap<(NaiveDate, Uuid, Uuid, Uuid), (Uuid, ItemCell)>;

/// Sale, tender and tax rows of `$sales`, `$tenders` and `$taxes` with
/// business dates in `[$from, $to]`, into a [`Months`].
macro_rules! load {
    ($tx:expr, $sales:ident, $tenders:ident, $taxes:ident, $from:expr, $to:expr) => {{
        let mut me = Months::default();
        for r in $tx
            .select::<$sales::Entity>()
            .filter($sales::Column::BusinessDate.between($from, $to))
            .all($tx)
            .await?
        {
            me.sales.insert(
                (r.business_date, r.location_id, r.terminal_id),
                sale_cell!(r),
            );
        }
        for r in $tx
            .select::<$tenders::Entity>()
            .filter($tenders::Column::BusinessDate.between($from, $to))
            .all($tx)
            .await?
        {
            me.tenders.insert(
                (
                    r.business_date,
                    r.location_id,
                    r.terminal_id,
                    r.method.clone(),
                ),
                tender_cell!(r),
            );
        }
        for r in $tx
            .select::<$taxes::Entity>()
            .filter($taxes::Column::BusinessDate.between($from, $to))
            .all($tx)
            .await?
        {
            let key = (r.business_date, r.location_id, r.terminal_id, r.tax_rate_id);
            me.taxes
                .insert(key, (r.name.clone(), r.rate_ppm, tax_cell!(r)));
        }
        me
    }};
}

/// All-location item months per product.
type ProductMonths = BTreeMap<(NaiveDate, Uuid), ItemCell>;

/// The stored rows of one month: per location, all-location items, and
/// all-location products.
async fn stored(tx: &TenantTx, month: NaiveDate) -> Result<(Months, ItemMonths, ProductMonths)> {
    let mut me = load!(
        tx,
        report_sale_monthly,
        report_tender_monthly,
        report_tax_monthly,
        month,
        month
    );
    for r in tx
        .select::<report_item_monthly::Entity>()
        .filter(report_item_monthly::Column::BusinessDate.eq(month))
        .all(tx)
        .await?
    {
        let key = (month, r.location_id, r.variant_id, r.tax_group_id);
        me.items.insert(key, item_cell!(r));
    }
    let mut all = ItemMonths::new();
    for r in tx
        .select::<report_item_monthly_all::Entity>()
        .filter(report_item_monthly_all::Column::BusinessDate.eq(month))
        .all(tx)
        .await?
    {
        let key = (month, Uuid::nil(), r.variant_id, r.tax_group_id);
        all.insert(key, item_cell!(r));
    }
    let mut products = ProductMonths::new();
    for r in tx
        .select::<report_product_monthly_all::Entity>()
        .filter(report_product_monthly_all::Column::BusinessDate.eq(month))
        .all(tx)
        .await?
    {
        // The same measures as an item row; the product is the key.
        products.insert((month, r.product_id), item_cell!(r).1);
    }
    Ok((me, all, products))
}

/// Checks the daily rows of `[from, to]` against `expected` (the days'
/// fine cells rebuilt from the ledger, summed per day) and rewrites them
/// if any differ.
pub(super) async fn check_days(
    tx: &TenantTx,
    (from, to): (NaiveDate, NaiveDate),
    expected: Months,
    outcome: &mut Outcome,
) -> Result<()> {
    let stored = load!(
        tx,
        report_sale_daily,
        report_tender_daily,
        report_tax_daily,
        from,
        to
    );
    let before = outcome.differences.len();
    compare_per_terminal(
        [
            "report_sales_daily",
            "report_tenders_daily",
            "report_taxes_daily",
        ],
        &stored,
        &expected,
        outcome,
    );
    if outcome.differences.len() == before {
        return Ok(());
    }
    tx.delete_many::<report_sale_daily::Entity>()
        .filter(report_sale_daily::Column::BusinessDate.between(from, to))
        .exec(tx)
        .await?;
    tx.delete_many::<report_tender_daily::Entity>()
        .filter(report_tender_daily::Column::BusinessDate.between(from, to))
        .exec(tx)
        .await?;
    tx.delete_many::<report_tax_daily::Entity>()
        .filter(report_tax_daily::Column::BusinessDate.between(from, to))
        .exec(tx)
        .await?;
    upsert::<report_sale_daily::Entity>(tx, expected.sale_rows(tx.tenant())).await?;
    upsert::<report_tender_daily::Entity>(tx, expected.tender_rows(tx.tenant())).await?;
    upsert::<report_tax_daily::Entity>(tx, expected.tax_rows(tx.tenant())).await
}

/// Compares the per-terminal levels: sales, tenders and taxes.
fn compare_per_terminal(
    tables: [&'static str; 3],
    stored: &Months,
    expected: &Months,
    outcome: &mut Outcome,
) {
    compare(
        tables[0],
        &SALE_FIELDS,
        &stored.sales,
        &expected.sales,
        outcome,
    );
    compare(
        tables[1],
        &TENDER_FIELDS,
        &stored.tenders,
        &expected.tenders,
        outcome,
    );
    let measures = |m: &Months| -> BTreeMap<(NaiveDate, Uuid, Uuid, Uuid), [i64; 6]> {
        m.taxes.iter().map(|(k, (_, _, v))| (*k, *v)).collect()
    };
    compare(
        tables[2],
        &TAX_FIELDS,
        &measures(stored),
        &measures(expected),
        outcome,
    );
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
///
/// Long on purpose: the four rollup tables of a month are compared and
/// rewritten under one lock, in the same order every time; the steps are
/// the tables, each a few lines, and share the month's transaction.
pub(super) async fn check_month(
    tx: &TenantTx,
    month: NaiveDate,
    expected: Months,
    outcome: &mut Outcome,
) -> Result<()> {
    let (stored, stored_all, stored_products) = stored(tx, month).await?;
    let expected_all = expected.all_locations();
    let expected_products = expected.all_products();
    let before = outcome.differences.len();
    compare_per_terminal(
        [
            "report_sales_monthly",
            "report_tenders_monthly",
            "report_taxes_monthly",
        ],
        &stored,
        &expected,
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
        "report_items_monthly_all",
        &ITEM_FIELDS,
        &measures_only(&stored_all),
        &measures_only(&expected_all),
        outcome,
    );
    compare(
        "report_products_monthly_all",
        &ITEM_FIELDS,
        &stored_products,
        &expected_products,
        outcome,
    );
    if outcome.differences.len() == before {
        return Ok(());
    }
    tx.delete_many::<report_sale_monthly::Entity>()
        .filter(report_sale_monthly::Column::BusinessDate.eq(month))
        .exec(tx)
        .await?;
    tx.delete_many::<report_tender_monthly::Entity>()
        .filter(report_tender_monthly::Column::BusinessDate.eq(month))
        .exec(tx)
        .await?;
    tx.delete_many::<report_tax_monthly::Entity>()
        .filter(report_tax_monthly::Column::BusinessDate.eq(month))
        .exec(tx)
        .await?;
    tx.delete_many::<report_item_monthly::Entity>()
        .filter(report_item_monthly::Column::BusinessDate.eq(month))
        .exec(tx)
        .await?;
    tx.delete_many::<report_item_monthly_all::Entity>()
        .filter(report_item_monthly_all::Column::BusinessDate.eq(month))
        .exec(tx)
        .await?;
    tx.delete_many::<report_product_monthly_all::Entity>()
        .filter(report_product_monthly_all::Column::BusinessDate.eq(month))
        .exec(tx)
        .await?;
    upsert::<report_sale_monthly::Entity>(tx, expected.sale_rows(tx.tenant())).await?;
    upsert::<report_tender_monthly::Entity>(tx, expected.tender_rows(tx.tenant())).await?;
    upsert::<report_tax_monthly::Entity>(tx, expected.tax_rows(tx.tenant())).await?;
    let rows = item_rows(tx.tenant(), expected.items.iter(), ItemTable::PerLocation);
    insert::<report_item_monthly::Entity>(tx, rows).await?;
    let rows = item_rows(tx.tenant(), expected_all.iter(), ItemTable::AllLocations);
    insert::<report_item_monthly_all::Entity>(tx, rows).await?;
    let rows = expected_products
        .iter()
        .map(|((month, product), m)| {
            let mut row: Vec<SimpleExpr> =
                vec![tx.tenant().into(), (*month).into(), (*product).into()];
            row.extend(m.map(Into::into));
            row
        })
        .collect();
    insert::<report_product_monthly_all::Entity>(tx, rows).await
}

//! The daily and monthly rollups: what a unit of work's fine deltas add to
//! them.
//!
//! Sales, tenders and taxes per terminal and day or month are upserted
//! with the fine rows: only the terminal's own pushes write them. Item
//! months are shared by every terminal of a location (and the all-location
//! rows by every terminal of the tenant), so a push only appends its
//! deltas to `report_items_pending`, and `compaction` folds them into
//! `report_items_monthly` after it commits, in a transaction of its own
//! that no push waits on. Reports read the monthly rows plus the pending
//! ones, in one statement, so a delta counts exactly once either way.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use entity::{
    report_item_pending, report_sale_daily, report_sale_monthly, report_tax_daily,
    report_tax_monthly, report_tender_daily, report_tender_monthly,
};
use sea_orm::sea_query::SimpleExpr;
use uuid::Uuid;

use super::{ItemCell, Rollups, SaleCell, TaxCell, TenderCell, add, upsert};
use crate::error::Result;
use crate::tenancy::TenantTx;

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

/// A tax month's (or day's) rate name and size, and its measures.
pub type TaxPeriod = (String, i64, TaxCell);

/// Month cells: (month, location, terminal) for sales; the same and the
/// method for tenders, or the tax rate for taxes; (month, location,
/// variant, tax group) for items.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Months {
    pub sales: BTreeMap<(NaiveDate, Uuid, Uuid), SaleCell>,
    pub tenders: BTreeMap<(NaiveDate, Uuid, Uuid, String), TenderCell>,
    pub taxes: BTreeMap<(NaiveDate, Uuid, Uuid, Uuid), TaxPeriod>,
    pub items: BTreeMap<(NaiveDate, Uuid, Uuid, Uuid), (Uuid, ItemCell)>,
}

fn add_tax(
    into: &mut BTreeMap<(NaiveDate, Uuid, Uuid, Uuid), TaxPeriod>,
    k: (NaiveDate, Uuid, Uuid, Uuid),
    v: &TaxPeriod,
) {
    // The first name and size seen for a rate stay, as in the stored rows.
    let entry = into.entry(k).or_insert_with(|| (v.0.clone(), v.1, [0; 6]));
    add(&mut entry.2, v.2);
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

    /// The fine sale, tender and tax cells summed per business date (the
    /// same shape as months, with the day in place of the month; no items).
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
        for ((c, rate), v) in &fine.taxes {
            add_tax(
                &mut me.taxes,
                (period(c.date), c.location, c.terminal, *rate),
                v,
            );
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
        for (k, v) in &other.taxes {
            add_tax(&mut self.taxes, *k, v);
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

    /// The item months summed per product over every location
    /// (`report_products_monthly_all`).
    pub fn all_products(&self) -> BTreeMap<(NaiveDate, Uuid), ItemCell> {
        let mut all = BTreeMap::new();
        for ((month, _, _, _), (product, v)) in &self.items {
            add(all.entry((*month, *product)).or_insert([0; 15]), *v);
        }
        all
    }

    /// Adds what a unit of work's fine deltas add to the days and months.
    pub async fn add_all(tx: &TenantTx, fine: &Rollups) -> Result<()> {
        let days = Months::days_of(fine);
        upsert::<report_sale_daily::Entity>(tx, days.sale_rows(tx.tenant())).await?;
        upsert::<report_tender_daily::Entity>(tx, days.tender_rows(tx.tenant())).await?;
        upsert::<report_tax_daily::Entity>(tx, days.tax_rows(tx.tenant())).await?;
        Months::of(fine).add_to(tx).await
    }

    /// Adds these deltas: sales, tender and tax months in place, item
    /// months as pending rows (compacted once the transaction commits).
    async fn add_to(&self, tx: &TenantTx) -> Result<()> {
        upsert::<report_sale_monthly::Entity>(tx, self.sale_rows(tx.tenant())).await?;
        upsert::<report_tender_monthly::Entity>(tx, self.tender_rows(tx.tenant())).await?;
        upsert::<report_tax_monthly::Entity>(tx, self.tax_rows(tx.tenant())).await?;
        if self.items.is_empty() {
            return Ok(());
        }
        let rows = item_rows(tx.tenant(), self.items.iter(), ItemTable::Pending);
        insert::<report_item_pending::Entity>(tx, rows).await?;
        tx.compact_rollups_on_commit();
        Ok(())
    }

    pub(crate) fn sale_rows(&self, tenant: Uuid) -> Vec<Vec<SimpleExpr>> {
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

    pub(crate) fn tender_rows(&self, tenant: Uuid) -> Vec<Vec<SimpleExpr>> {
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

    pub(crate) fn tax_rows(&self, tenant: Uuid) -> Vec<Vec<SimpleExpr>> {
        self.taxes
            .iter()
            .map(|((period, location, terminal, rate), (name, ppm, m))| {
                let mut row: Vec<SimpleExpr> = vec![
                    tenant.into(),
                    (*period).into(),
                    (*location).into(),
                    (*terminal).into(),
                    (*rate).into(),
                    name.clone().into(),
                    (*ppm).into(),
                ];
                row.extend(m.map(Into::into));
                row
            })
            .collect()
    }
}

/// Rows of `report_items_monthly`, or with `with_id` of
/// `report_items_pending`, in column order.
pub(crate) fn item_rows<'a>(
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
pub(crate) enum ItemTable {
    Pending,
    PerLocation,
    AllLocations,
}

/// Plain multi-row inserts of `rows`, in the entity's column order.
pub(crate) async fn insert<E: sea_orm::EntityTrait>(
    tx: &TenantTx,
    rows: Vec<Vec<SimpleExpr>>,
) -> Result<()> {
    use sea_orm::Iterable;
    use sea_orm::sea_query::Query;
    let columns: Vec<E::Column> = E::Column::iter().collect();
    if tx.is_postgres() {
        use sea_orm::IdenStatic;
        let names: Vec<&str> = columns.iter().map(|c| c.as_str()).collect();
        let table = E::default().table_name();
        if let Some(statements) = crate::tenancy::bulk::rows_of(table, &names, &rows, "") {
            for statement in statements {
                tx.execute_raw(statement).await?;
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
        let backend = tx.backend();
        tx.execute_raw(backend.build(&insert)).await?;
    }
    Ok(())
}

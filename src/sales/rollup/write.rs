//! Writing a unit of work's deltas: each cell's row upserted so that
//! measures add up, on Postgres as one multi-row statement.

use entity::{report_item, report_sale, report_tax, report_tender};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query, SimpleExpr};
use sea_orm::{EntityTrait, IdenStatic, Iterable, PrimaryKeyToColumn};

use super::{Cell, Rollups, months};
use crate::error::Result;
use crate::tenancy::{TenantTx, bulk};

impl Rollups {
    /// Adds every delta to its row, inserting rows that do not exist yet,
    /// and to the days' and months' rollups.
    pub async fn flush(&mut self, tx: &TenantTx) -> Result<()> {
        let me = std::mem::take(self);
        months::Months::add_all(tx, &me).await?;
        me.write_fine(tx).await
    }

    /// Adds every delta to its fine row only (`reconcile` rebuilds the
    /// months on their own).
    pub async fn write_fine(&self, tx: &TenantTx) -> Result<()> {
        let me = self;
        let tenant = tx.tenant();
        let head = |c: &Cell| -> Vec<SimpleExpr> {
            vec![
                tenant.into(),
                c.date.into(),
                c.hour.into(),
                c.location.into(),
                c.terminal.into(),
            ]
        };
        let sales: Vec<Vec<SimpleExpr>> = me
            .sales
            .iter()
            .map(|(c, m)| head(c).into_iter().chain(m.map(Into::into)).collect())
            .collect();
        upsert::<report_sale::Entity>(tx, sales).await?;
        let items: Vec<Vec<SimpleExpr>> = me
            .items
            .iter()
            .map(|((c, variant, group), (product, m))| {
                let mut row = head(c);
                row.extend([(*variant).into(), (*group).into(), (*product).into()]);
                row.extend(m.map(Into::into));
                row
            })
            .collect();
        upsert::<report_item::Entity>(tx, items).await?;
        let tenders: Vec<Vec<SimpleExpr>> = me
            .tenders
            .iter()
            .map(|((c, method), m)| {
                let mut row = head(c);
                row.push(method.clone().into());
                row.extend(m.map(Into::into));
                row
            })
            .collect();
        upsert::<report_tender::Entity>(tx, tenders).await?;
        let taxes: Vec<Vec<SimpleExpr>> = me
            .taxes
            .iter()
            .map(|((c, rate), (name, ppm, m))| {
                let mut row = head(c);
                row.extend([(*rate).into(), name.clone().into(), (*ppm).into()]);
                row.extend(m.map(Into::into));
                row
            })
            .collect();
        upsert::<report_tax::Entity>(tx, taxes).await
    }
}

/// The key as the migration lays it out, then the rest in entity order.
const KEY: [&str; 5] = [
    "tenant_id",
    "business_date",
    "hour",
    "location_id",
    "terminal_id",
];

/// Non-key columns that are not measures.
const ATTRIBUTES: [&str; 3] = ["product_id", "name", "rate_ppm"];

pub(crate) async fn upsert<E: EntityTrait>(
    tx: &TenantTx,
    rows: Vec<Vec<SimpleExpr>>,
) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let name = |c: &E::Column| IdenStatic::as_str(c).to_owned();
    let pk: Vec<String> = E::PrimaryKey::iter()
        .map(|k| name(&k.into_column()))
        .collect();
    let by_name = |n: &str| E::Column::iter().find(|c| name(c) == n);
    let key: Vec<E::Column> = KEY
        .iter()
        .map(|n| n.to_string())
        .chain(pk.iter().filter(|n| !KEY.contains(&n.as_str())).cloned())
        .filter_map(|n| by_name(&n))
        .collect();
    let rest: Vec<E::Column> = E::Column::iter()
        .filter(|c| !pk.contains(&name(c)))
        .collect();
    if tx.is_postgres() {
        let names: Vec<&str> = key.iter().chain(&rest).map(|c| c.as_str()).collect();
        let table = E::default().table_name();
        let keys: Vec<String> = key.iter().map(|c| format!("\"{}\"", c.as_str())).collect();
        let sets: Vec<String> = rest
            .iter()
            .map(|c| c.as_str())
            .filter(|n| !ATTRIBUTES.contains(n))
            .map(|n| format!("\"{n}\" = \"{table}\".\"{n}\" + excluded.\"{n}\""))
            .collect();
        let tail = format!(
            " ON CONFLICT ({}) DO UPDATE SET {}",
            keys.join(", "),
            sets.join(", ")
        );
        if let Some(statements) = bulk::rows_of(table, &names, &rows, &tail) {
            for statement in statements {
                tx.execute_raw(statement).await?;
            }
            return Ok(());
        }
    }
    let per_statement = (20_000 / (key.len() + rest.len())).clamp(1, 200);
    for chunk in rows.chunks(per_statement) {
        let mut insert = Query::insert();
        insert
            .into_table(E::default())
            .columns(key.iter().chain(&rest).copied());
        for row in chunk {
            insert.values_panic(row.iter().cloned());
        }
        let mut conflict = OnConflict::columns(key.iter().copied());
        // Attributes of the key (a variant's product, a rate's name and
        // size) are set by the first insert; measures add up.
        for m in rest
            .iter()
            .filter(|c| !ATTRIBUTES.contains(&name(c).as_str()))
        {
            conflict.value(
                *m,
                Expr::col((E::default(), *m)).add(Expr::col((Alias::new("excluded"), *m))),
            );
        }
        insert.on_conflict(conflict.to_owned());
        let backend = tx.backend();
        tx.execute_raw(backend.build(&insert)).await?;
    }
    Ok(())
}

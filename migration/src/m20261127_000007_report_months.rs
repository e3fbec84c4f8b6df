//! Daily and monthly report rollups, so reports over long ranges read a
//! few thousand rows instead of millions:
//!
//! - `report_sales_daily` and `report_tenders_daily` per location,
//!   terminal and business date, and `report_sales_monthly` and
//!   `report_tenders_monthly` per location, terminal and local month. Like
//!   the fine rollups they are written in the transaction that applies
//!   each event, under the terminal's ledger lock, so concurrent pushes
//!   never share a row.
//! - `report_items_monthly`, per location and local month, and
//!   `report_items_monthly_all`, summed over every location (tenant-wide
//!   product reports, a few thousand rows a month in a table of their own).
//!   Their rows are shared by every terminal of a location or a tenant, so
//!   pushes never write them: each push appends its deltas to
//!   `report_items_pending`, and a compaction folds those into both after
//!   the push commits. Reports read them together with the pending rows, so a figure is
//!   counted once, before or after compaction.
//!
//! In the monthly tables `business_date` holds the first day of the month. The migration fills
//! the monthly tables from the fine rows already stored. On PostgreSQL that
//! runs as the tables' owner with RLS not forced for the length of the
//! migration's transaction, so it sees every tenant's rows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::columns::{big, date, text, uuid};
use crate::m20261127_000006_reporting::{ITEM_MEASURES, SALE_MEASURES, TENDER_MEASURES, measures};
use crate::rls::{protect_tenant_table, set_forced};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn c(name: &'static str) -> Alias {
    Alias::new(name)
}

/// A daily or monthly rollup: its table, the fine table it sums, and its
/// columns. Later migrations add levels of other rollups the same way.
pub(crate) struct Level {
    pub name: &'static str,
    pub fine: &'static str,
    /// Key columns after `tenant_id, business_date`.
    pub key: &'static [&'static str],
    /// Other non-measure columns (carried, not summed).
    pub carried: &'static [&'static str],
    pub measures: &'static [&'static str],
    pub monthly: bool,
}

const SALES: Level = Level {
    name: "report_sales_monthly",
    fine: "report_sales",
    key: &["location_id", "terminal_id"],
    carried: &[],
    measures: &SALE_MEASURES,
    monthly: true,
};
const TENDERS: Level = Level {
    name: "report_tenders_monthly",
    fine: "report_tenders",
    key: &["location_id", "terminal_id", "method"],
    carried: &[],
    measures: &TENDER_MEASURES,
    monthly: true,
};
const ITEMS: Level = Level {
    name: "report_items_monthly",
    fine: "report_items",
    key: &["location_id", "variant_id", "tax_group_id"],
    carried: &["product_id"],
    measures: &ITEM_MEASURES,
    monthly: true,
};
const ITEMS_ALL: Level = Level {
    name: "report_items_monthly_all",
    key: &["variant_id", "tax_group_id"],
    ..ITEMS
};
const SALES_DAILY: Level = Level {
    name: "report_sales_daily",
    monthly: false,
    ..SALES
};
const TENDERS_DAILY: Level = Level {
    name: "report_tenders_daily",
    monthly: false,
    ..TENDERS
};
const PENDING: &str = "report_items_pending";
const LEVELS: [&Level; 6] = [
    &SALES_DAILY,
    &TENDERS_DAILY,
    &SALES,
    &TENDERS,
    &ITEMS,
    &ITEMS_ALL,
];
const TABLES: [&str; 7] = [
    SALES_DAILY.name,
    TENDERS_DAILY.name,
    SALES.name,
    TENDERS.name,
    ITEMS.name,
    ITEMS_ALL.name,
    PENDING,
];

fn column(name: &'static str) -> ColumnDef {
    match name {
        "method" => text(c(name), 16),
        "name" => text(c(name), 100),
        "rate_ppm" => big(c(name)),
        "business_date" => date(c(name)),
        _ => uuid(c(name)),
    }
}

/// A level's table, keyed by `tenant_id, business_date` and its key.
pub(crate) fn level_table(level: &Level) -> TableCreateStatement {
    let mut table = Table::create();
    table.table(c(level.name));
    let key: Vec<&str> = ["tenant_id", "business_date"]
        .iter()
        .chain(level.key)
        .copied()
        .collect();
    let mut cols: Vec<ColumnDef> = key.iter().chain(level.carried).map(|k| column(k)).collect();
    cols.extend(measures(level.measures));
    for mut col in cols {
        table.col(&mut col);
    }
    let mut pk = Index::create();
    for k in &key {
        pk.col(c(k));
    }
    table.primary_key(&mut pk).to_owned()
}

fn tables() -> Vec<TableCreateStatement> {
    let mut out: Vec<TableCreateStatement> = LEVELS.iter().map(|l| level_table(l)).collect();
    // The pending deltas: keyed by a v7 id, since rows of one cell repeat.
    let mut table = Table::create();
    table.table(c(PENDING));
    let mut cols: Vec<ColumnDef> = [
        "tenant_id",
        "id",
        "business_date",
        "location_id",
        "variant_id",
        "tax_group_id",
        "product_id",
    ]
    .iter()
    .map(|k| column(k))
    .collect();
    cols.extend(measures(&ITEM_MEASURES));
    for mut col in cols {
        table.col(&mut col);
    }
    let mut pk = Index::create();
    pk.col(c("tenant_id")).col(c("id"));
    out.push(table.primary_key(&mut pk).to_owned());
    out
}

fn period(level: &Level, backend: DbBackend) -> &'static str {
    match backend {
        _ if !level.monthly => "business_date",
        DbBackend::Postgres => "CAST(date_trunc('month', business_date) AS DATE)",
        _ => "date(business_date, 'start of month')",
    }
}

/// `INSERT INTO level SELECT … SUM(…) FROM fine GROUP BY …`.
fn backfill(level: &Level, backend: DbBackend) -> String {
    let columns = ["tenant_id", "business_date"]
        .iter()
        .chain(level.key)
        .chain(level.carried)
        .chain(level.measures)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let mut group = vec!["tenant_id".to_owned(), period(level, backend).to_owned()];
    group.extend(level.key.iter().map(|k| (*k).to_owned()));
    let mut select = group.clone();
    // A variant's product never changes; any row's will do.
    select.extend(level.carried.iter().map(|k| match backend {
        DbBackend::Postgres => format!("(array_agg({k}))[1]"),
        _ => format!("MAX({k})"),
    }));
    select.extend(level.measures.iter().map(|m| format!("SUM({m})")));
    format!(
        "INSERT INTO {} ({columns}) SELECT {} FROM {} GROUP BY {}",
        level.name,
        select.join(", "),
        level.fine,
        group.join(", ")
    )
}

/// Fills a new level from the fine rows already stored, every tenant's:
/// on PostgreSQL as the tables' owner with RLS not forced for the length
/// of the migration's transaction.
pub(crate) async fn fill(manager: &SchemaManager<'_>, level: &Level) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let tables = [level.fine, level.name];
    set_forced(manager, &tables, false).await?;
    manager
        .get_connection()
        .execute_unprepared(&backfill(level, backend))
        .await?;
    set_forced(manager, &tables, true).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("report_items_pending_month")
                    .table(c(PENDING))
                    .col(c("tenant_id"))
                    .col(c("business_date"))
                    .to_owned(),
            )
            .await?;
        for name in TABLES {
            protect_tenant_table(manager, name, "tenant_id", "SELECT, INSERT, UPDATE, DELETE")
                .await?;
        }
        for level in LEVELS {
            fill(manager, level).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for name in TABLES {
            manager
                .drop_table(Table::drop().table(c(name)).to_owned())
                .await?;
        }
        Ok(())
    }
}

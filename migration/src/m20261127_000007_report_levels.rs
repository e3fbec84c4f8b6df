//! Coarser report rollups, so reports over long ranges read few rows:
//! `report_sales_daily` and `report_tenders_daily` (per location and
//! business date, no terminal or hour) and `report_items_monthly` (per
//! location and local month, whose first day `business_date` holds; rows
//! with the nil location sum all locations, for tenant-wide product
//! reports).
//!
//! Each is the sum of its fine table's rows, kept in the same transaction
//! that writes them; `reconcile` checks one against the other. The
//! migration fills them from the fine rows already stored. On PostgreSQL
//! that runs as the tables' owner with RLS not forced for the length of
//! the migration's transaction, so it sees every tenant's rows; FORCE is
//! back before the transaction commits.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::columns::{date, text, uuid};
use crate::m20261127_000006_reporting::{ITEM_MEASURES, SALE_MEASURES, TENDER_MEASURES, measures};
use crate::rls::protect_tenant_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn c(name: &'static str) -> Alias {
    Alias::new(name)
}

struct Level {
    name: &'static str,
    fine: &'static str,
    /// Key columns after `tenant_id, business_date, location_id`.
    extra_key: &'static [&'static str],
    /// Other non-measure columns (carried, not summed).
    carried: &'static [&'static str],
    measures: &'static [&'static str],
    monthly: bool,
}

const LEVELS: [Level; 3] = [
    Level {
        name: "report_sales_daily",
        fine: "report_sales",
        extra_key: &[],
        carried: &[],
        measures: &SALE_MEASURES,
        monthly: false,
    },
    Level {
        name: "report_tenders_daily",
        fine: "report_tenders",
        extra_key: &["method"],
        carried: &[],
        measures: &TENDER_MEASURES,
        monthly: false,
    },
    Level {
        name: "report_items_monthly",
        fine: "report_items",
        extra_key: &["variant_id", "tax_group_id"],
        carried: &["product_id"],
        measures: &ITEM_MEASURES,
        monthly: true,
    },
];

fn create(level: &Level) -> TableCreateStatement {
    let mut table = Table::create();
    table.table(c(level.name));
    let mut cols = vec![
        uuid(c("tenant_id")),
        date(c("business_date")),
        uuid(c("location_id")),
    ];
    for k in level.extra_key.iter().chain(level.carried) {
        cols.push(if *k == "method" {
            text(c(k), 16)
        } else {
            uuid(c(k))
        });
    }
    cols.extend(measures(level.measures));
    for mut col in cols {
        table.col(&mut col);
    }
    let mut pk = Index::create();
    for k in ["tenant_id", "business_date", "location_id"]
        .iter()
        .chain(level.extra_key)
    {
        pk.col(c(k));
    }
    table.primary_key(&mut pk).to_owned()
}

/// `INSERT INTO level SELECT … SUM(…) FROM fine GROUP BY …`.
fn backfill(level: &Level, backend: DbBackend) -> String {
    let date = match (level.monthly, backend) {
        (false, _) => "business_date".to_owned(),
        (true, DbBackend::Postgres) => "CAST(date_trunc('month', business_date) AS DATE)".into(),
        (true, _) => "date(business_date, 'start of month')".into(),
    };
    let keys: Vec<&str> = level
        .extra_key
        .iter()
        .chain(level.carried)
        .copied()
        .collect();
    let columns = ["tenant_id", "business_date", "location_id"]
        .iter()
        .chain(&keys)
        .chain(level.measures)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let mut select = vec!["tenant_id".to_owned(), date.clone(), "location_id".into()];
    select.extend(keys.iter().map(|k| (*k).to_owned()));
    let group = select.join(", ");
    select.extend(level.measures.iter().map(|m| format!("SUM({m})")));
    format!(
        "INSERT INTO {} ({columns}) SELECT {} FROM {} GROUP BY {group}",
        level.name,
        select.join(", "),
        level.fine
    )
}

/// The all-location rows of a monthly level, from its per-location rows.
fn all_locations(level: &Level, backend: DbBackend) -> String {
    let nil = match backend {
        DbBackend::Postgres => "CAST('00000000-0000-0000-0000-000000000000' AS uuid)",
        _ => "zeroblob(16)",
    };
    let keys: Vec<&str> = level
        .extra_key
        .iter()
        .chain(level.carried)
        .copied()
        .collect();
    let columns = ["tenant_id", "business_date", "location_id"]
        .iter()
        .chain(&keys)
        .chain(level.measures)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let group = ["tenant_id", "business_date"]
        .iter()
        .chain(&keys)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let sums = level
        .measures
        .iter()
        .map(|m| format!("SUM({m})"))
        .collect::<Vec<_>>()
        .join(", ");
    let keys = keys.join(", ");
    format!(
        "INSERT INTO {name} ({columns}) SELECT tenant_id, business_date, {nil}, {keys}, {sums} \
         FROM {name} GROUP BY {group}",
        name = level.name
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let conn = manager.get_connection();
        for level in &LEVELS {
            manager.create_table(create(level)).await?;
            protect_tenant_table(
                manager,
                level.name,
                "tenant_id",
                "SELECT, INSERT, UPDATE, DELETE",
            )
            .await?;
            let pg = backend == DbBackend::Postgres;
            if pg {
                for t in [level.fine, level.name] {
                    conn.execute_unprepared(&format!(
                        "ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY"
                    ))
                    .await?;
                }
            }
            conn.execute_unprepared(&backfill(level, backend)).await?;
            if level.monthly {
                conn.execute_unprepared(&all_locations(level, backend))
                    .await?;
            }
            if pg {
                for t in [level.fine, level.name] {
                    conn.execute_unprepared(&format!("ALTER TABLE {t} FORCE ROW LEVEL SECURITY"))
                        .await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for level in &LEVELS {
            manager
                .drop_table(Table::drop().table(c(level.name)).to_owned())
                .await?;
        }
        Ok(())
    }
}

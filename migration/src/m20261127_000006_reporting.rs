//! Reporting rollups: whole records, lines and tenders per location,
//! terminal, local business date and local hour.
//!
//! They are derived data, changed in the transaction that applies each
//! ledger event and rebuilt by `reconcile`, so the app role may update and
//! delete them (never the ledger). Like the ledger's, their rows carry no
//! foreign keys (see `m20261127_000005_ledger_keys`): a cell is written
//! only under its terminal's ledger lock. Each table's key leads with
//! `tenant_id, business_date`, the range every report reads.

use sea_orm_migration::prelude::*;

use crate::columns::{big, date, int, text, uuid};
use crate::rls::protect_tenant_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

pub(crate) fn c(name: &'static str) -> Alias {
    Alias::new(name)
}

/// A derived table keyed by `tenant_id, business_date, hour, location_id,
/// terminal_id` and `extra_key`.
pub(crate) fn rollup(
    name: &'static str,
    extra_key: &[&'static str],
    cols: Vec<ColumnDef>,
) -> TableCreateStatement {
    let mut table = Table::create();
    table.table(c(name));
    let mut all = vec![
        uuid(c("tenant_id")),
        date(c("business_date")),
        int(c("hour")),
        uuid(c("location_id")),
        uuid(c("terminal_id")),
    ];
    all.extend(cols);
    for mut col in all {
        table.col(&mut col);
    }
    let mut pk = Index::create();
    for k in [
        "tenant_id",
        "business_date",
        "hour",
        "location_id",
        "terminal_id",
    ]
    .iter()
    .chain(extra_key)
    {
        pk.col(c(k));
    }
    table.primary_key(&mut pk).to_owned()
}

pub const SALE_MEASURES: [&str; 14] = [
    "sales_count",
    "list_total",
    "discount_total",
    "net_total",
    "tax_total",
    "total",
    "quantity_milli",
    "refund_count",
    "refund_net",
    "refund_tax",
    "refund_total",
    "refunded_milli",
    "void_count",
    "void_total",
];

pub const ITEM_MEASURES: [&str; 15] = [
    "list_amount",
    "discount",
    "net",
    "tax",
    "gross",
    "quantity_milli",
    "refund_net",
    "refund_tax",
    "refund_gross",
    "refunded_milli",
    "void_gross",
    "sales_variant",
    "sales_product",
    "sales_tax_group",
    "sales_product_tax_group",
];

pub const TENDER_MEASURES: [&str; 6] = [
    "sales_count",
    "amount",
    "refund_count",
    "refund_amount",
    "void_count",
    "void_amount",
];

pub(crate) fn measures(names: &[&'static str]) -> Vec<ColumnDef> {
    names.iter().map(|n| big(c(n))).collect()
}

fn tables() -> Vec<TableCreateStatement> {
    vec![
        rollup("report_sales", &[], measures(&SALE_MEASURES)),
        rollup("report_items", &["variant_id", "tax_group_id"], {
            let mut cols = vec![
                uuid(c("variant_id")),
                uuid(c("tax_group_id")),
                uuid(c("product_id")),
            ];
            cols.extend(measures(&ITEM_MEASURES));
            cols
        }),
        rollup("report_tenders", &["method"], {
            let mut cols = vec![text(c("method"), 16)];
            cols.extend(measures(&TENDER_MEASURES));
            cols
        }),
    ]
}

const TABLES: [&str; 3] = ["report_sales", "report_items", "report_tenders"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        for table in TABLES {
            protect_tenant_table(
                manager,
                table,
                "tenant_id",
                "SELECT, INSERT, UPDATE, DELETE",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES {
            manager
                .drop_table(Table::drop().table(c(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}

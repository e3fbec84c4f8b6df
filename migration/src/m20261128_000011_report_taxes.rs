//! The tax-rate grain of the rollups: tax and its taxable base per tax
//! rate, location, terminal, local business date and local hour.
//!
//! A line taxed by a state rate and a city rate counts its net towards
//! both, so these cells answer "how much tax did each rate collect, on what
//! base" and are kept apart from the line cells. Like every rollup they
//! are written in the transaction that applies each event and rebuilt by
//! `reconcile`. Ledgers that predate this table fill it with
//! `pos reconcile` (which reports the missing cells as differences, then
//! writes them).

use sea_orm_migration::prelude::*;

use crate::columns::{big, text, uuid};
use crate::m20261127_000006_reporting::{c, measures, rollup};
use crate::rls::protect_tenant_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

pub const TAX_MEASURES: [&str; 6] = [
    "taxable",
    "tax",
    "refund_taxable",
    "refund_tax",
    "void_taxable",
    "void_tax",
];

const TABLE: &str = "report_taxes";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut cols = vec![
            uuid(c("tax_rate_id")),
            text(c("name"), 100),
            big(c("rate_ppm")),
        ];
        cols.extend(measures(&TAX_MEASURES));
        manager
            .create_table(rollup(TABLE, &["tax_rate_id"], cols))
            .await?;
        protect_tenant_table(
            manager,
            TABLE,
            "tenant_id",
            "SELECT, INSERT, UPDATE, DELETE",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(c(TABLE)).to_owned())
            .await
    }
}

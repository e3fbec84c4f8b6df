//! Daily and monthly levels of the tax-rate rollup, like the sales and
//! tender ones: `report_taxes_daily` per location, terminal, business date
//! and tax rate, and `report_taxes_monthly` per location, terminal, local
//! month and tax rate. Written in the transaction that applies each event,
//! under the terminal's ledger lock, so a tax report over a month reads a
//! few hundred rows instead of every hour of every terminal.
//!
//! The migration fills both from the hourly rows already stored.

use sea_orm_migration::prelude::*;

use crate::m20261127_000007_report_months::{Level, fill, level_table};
use crate::m20261128_000011_report_taxes::TAX_MEASURES;
use crate::rls::protect_tenant_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

const DAILY: Level = Level {
    name: "report_taxes_daily",
    fine: "report_taxes",
    key: &["location_id", "terminal_id", "tax_rate_id"],
    carried: &["name", "rate_ppm"],
    measures: &TAX_MEASURES,
    monthly: false,
};
const MONTHLY: Level = Level {
    name: "report_taxes_monthly",
    monthly: true,
    ..DAILY
};

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for level in [&DAILY, &MONTHLY] {
            manager.create_table(level_table(level)).await?;
            protect_tenant_table(
                manager,
                level.name,
                "tenant_id",
                "SELECT, INSERT, UPDATE, DELETE",
            )
            .await?;
            fill(manager, level).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for level in [&MONTHLY, &DAILY] {
            manager
                .drop_table(Table::drop().table(Alias::new(level.name)).to_owned())
                .await?;
        }
        Ok(())
    }
}

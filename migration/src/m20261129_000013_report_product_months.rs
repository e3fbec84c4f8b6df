//! `report_products_monthly_all`: item months summed per product over every
//! location, for tenant-wide product reports (the best sellers of a month).
//! A month of a catalogue with four variants a product reads a quarter of
//! the rows `report_items_monthly_all` holds, and adds fewer of them up.
//!
//! Like the other item months its rows are shared by every terminal of the
//! tenant, so pushes never write them: compaction folds the pending item
//! deltas into it with the other two. The migration fills it from
//! `report_items_monthly_all`; deltas still pending are folded later, as
//! into the others.

use sea_orm_migration::prelude::*;

use crate::m20261127_000006_reporting::ITEM_MEASURES;
use crate::m20261127_000007_report_months::{Level, fill, level_table};
use crate::rls::protect_tenant_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

const PRODUCTS: Level = Level {
    name: "report_products_monthly_all",
    fine: "report_items_monthly_all",
    key: &["product_id"],
    carried: &[],
    measures: &ITEM_MEASURES,
    monthly: true,
};

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(level_table(&PRODUCTS)).await?;
        protect_tenant_table(
            manager,
            PRODUCTS.name,
            "tenant_id",
            "SELECT, INSERT, UPDATE, DELETE",
        )
        .await?;
        fill(manager, &PRODUCTS).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alias::new(PRODUCTS.name)).to_owned())
            .await
    }
}

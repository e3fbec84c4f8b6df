//! The stock feed terminals pull: every level carries the version of the
//! transaction that last wrote it, from a counter per location.
//!
//! - `stock_feeds` holds the counter of each location. A transaction that
//!   writes levels at a location first adds one to it, and keeps its row
//!   locked until it ends, so versions are given in commit order: a
//!   terminal that has read every level up to a version can never see
//!   one at or below it appear later.
//! - `stock_levels.version` is the version that last wrote the level;
//!   existing levels start at 0, which a pull from no cursor includes.

use sea_orm_migration::prelude::*;

use crate::columns::{big, index, tenant_table, uuid};
use crate::rls::protect_tenant_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn c(name: &'static str) -> Alias {
    Alias::new(name)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(tenant_table(
                "stock_feeds",
                &["location_id"],
                vec![uuid(c("location_id")), big(c("version"))],
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(c("stock_levels"))
                    .add_column(big(c("version")).default(0).to_owned())
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_stock_levels_version",
                c("stock_levels"),
                &["tenant_id", "location_id", "version"],
                false,
            ))
            .await?;
        protect_tenant_table(
            manager,
            "stock_feeds",
            "tenant_id",
            "SELECT, INSERT, UPDATE",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_stock_levels_version")
                    .table(c("stock_levels"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(c("stock_levels"))
                    .drop_column(c("version"))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(c("stock_feeds")).to_owned())
            .await
    }
}

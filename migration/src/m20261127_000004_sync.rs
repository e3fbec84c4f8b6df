//! Sync: the issues managers review (conflicts, rejections, anomalies),
//! refunds waiting for another terminal's sale, and each terminal's last
//! push.

use sea_orm_migration::prelude::*;

use crate::columns::{
    big_null, index, long_text_null, tenant_table, text, text_null, timestamp, timestamp_null,
    uuid, uuid_null,
};
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
                "sync_issues",
                &["id"],
                vec![
                    uuid(c("id")),
                    text(c("kind"), 16),
                    uuid(c("terminal_id")),
                    big_null(c("sequence")),
                    text(c("code"), 64),
                    text(c("message"), 500),
                    uuid_null(c("record_id")),
                    long_text_null(c("payload")),
                    timestamp(c("created_at")),
                ],
            ))
            .await?;
        for column in [uuid_null(c("awaits_sale")), text_null(c("pushed_by"), 200)] {
            manager
                .alter_table(
                    Table::alter()
                        .table(c("sync_events"))
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(c("terminal_ledgers"))
                    .add_column(timestamp_null(c("last_push_at")))
                    .to_owned(),
            )
            .await?;
        for index in [
            index(
                "ix_sync_issues_tenant_terminal",
                c("sync_issues"),
                &["tenant_id", "terminal_id"],
                false,
            ),
            index(
                "ix_sync_events_tenant_awaits",
                c("sync_events"),
                &["tenant_id", "awaits_sale"],
                false,
            ),
        ] {
            manager.create_index(index).await?;
        }
        protect_tenant_table(manager, "sync_issues", "tenant_id", "SELECT, INSERT").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_sync_events_tenant_awaits")
                    .table(c("sync_events"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(c("terminal_ledgers"))
                    .drop_column(c("last_push_at"))
                    .to_owned(),
            )
            .await?;
        for column in ["pushed_by", "awaits_sale"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(c("sync_events"))
                        .drop_column(c(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(c("sync_issues")).to_owned())
            .await
    }
}

//! The audit log: one row per mutation and per sync push, append-only.

use sea_orm_migration::prelude::*;

use crate::columns::{index, long_text, tenant_table, text, text_null, timestamp, uuid, uuid_null};
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
                "audit_log",
                &["id"],
                vec![
                    uuid(c("id")),
                    timestamp(c("at")),
                    text(c("subject"), 200),
                    text(c("roles"), 64),
                    uuid_null(c("terminal_id")),
                    text(c("operation"), 64),
                    text_null(c("operation_name"), 100),
                    long_text(c("resource_ids")),
                    text_null(c("detail"), 500),
                    text(c("outcome"), 32),
                    text_null(c("client_ip"), 64),
                    text_null(c("user_agent"), 200),
                    text_null(c("request_id"), 64),
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_audit_log_tenant_at",
                c("audit_log"),
                &["tenant_id", "at"],
                false,
            ))
            .await?;
        // Append-only for the app: no UPDATE, no DELETE.
        protect_tenant_table(manager, "audit_log", "tenant_id", "SELECT, INSERT").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(c("audit_log")).to_owned())
            .await
    }
}

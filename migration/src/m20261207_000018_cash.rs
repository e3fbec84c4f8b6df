//! Cash-drawer shifts: a terminal opens a shift with a counted float,
//! records pay-ins, pay-outs and drops, and closes it with a counted
//! amount; the server keeps what it expected and the over/short.

use sea_orm_migration::prelude::*;

use crate::columns::{big, big_null, date, index, tenant_table, text, text_null, timestamp, uuid};
use crate::rls::protect_tenant_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn c(name: &'static str) -> Alias {
    Alias::new(name)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Event kinds such as STOCK_RECEIVE and CASH_MOVEMENT are longer
        // than the 8 characters SALE, REFUND and VOID needed. (SQLite does
        // not enforce the length.) Left wide on the way down.
        if manager.get_database_backend() == sea_orm_migration::sea_orm::DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("ALTER TABLE sync_events ALTER COLUMN kind TYPE varchar(16)")
                .await?;
        }
        manager
            .create_table(tenant_table(
                "shifts",
                &["id"],
                vec![
                    uuid(c("id")),
                    uuid(c("terminal_id")),
                    uuid(c("location_id")),
                    text(c("currency"), 3),
                    text(c("status"), 16),
                    date(c("business_date")),
                    timestamp(c("opened_at")),
                    big(c("open_sequence")),
                    text(c("opened_by"), 200),
                    big(c("opening_float")),
                    ColumnDef::new(c("closed_at"))
                        .timestamp_with_time_zone()
                        .null()
                        .to_owned(),
                    big_null(c("close_sequence")),
                    text_null(c("closed_by"), 200),
                    big_null(c("cash_sales")),
                    big_null(c("cash_refunds")),
                    big_null(c("cash_voids")),
                    big_null(c("pay_ins")),
                    big_null(c("pay_outs")),
                    big_null(c("drops")),
                    big_null(c("expected")),
                    big_null(c("counted")),
                    big_null(c("over_short")),
                    text_null(c("note"), 200),
                ],
            ))
            .await?;
        manager
            .create_table(tenant_table(
                "cash_movements",
                &["id"],
                vec![
                    uuid(c("id")),
                    uuid(c("shift_id")),
                    uuid(c("terminal_id")),
                    text(c("kind"), 16),
                    big(c("amount")),
                    text(c("reason"), 200),
                    timestamp(c("at")),
                    big(c("sequence")),
                ],
            ))
            .await?;
        for (name, table, cols) in [
            (
                "ix_shifts_terminal",
                "shifts",
                &["tenant_id", "terminal_id", "status"][..],
            ),
            (
                "ix_shifts_location_date",
                "shifts",
                &["tenant_id", "location_id", "business_date"][..],
            ),
            (
                "ix_cash_movements_shift",
                "cash_movements",
                &["tenant_id", "shift_id"][..],
            ),
        ] {
            manager
                .create_index(index(name, c(table), cols, false))
                .await?;
        }
        protect_tenant_table(manager, "shifts", "tenant_id", "SELECT, INSERT, UPDATE").await?;
        protect_tenant_table(manager, "cash_movements", "tenant_id", "SELECT, INSERT").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["cash_movements", "shifts"] {
            manager
                .drop_table(Table::drop().table(c(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}

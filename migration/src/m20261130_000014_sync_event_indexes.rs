//! Two fewer index entries per pushed event.
//!
//! - `ix_sync_events_tenant_status` held every event under its status,
//!   almost all of them `APPLIED`, which no query looks for. The events a
//!   query does look up by status (`QUEUED` behind a gap, `PENDING` for
//!   another terminal's sale) are the ones the partial
//!   `ix_sync_events_backlog` holds, by terminal.
//! - `ix_sync_events_tenant_awaits` held every event, nearly all with no
//!   awaited sale. It now holds only the refunds waiting for one.
//!
//! The queries name those statuses as literals, so even a plan PostgreSQL
//! keeps for a connection can prove it may use the partial indexes.

use sea_orm_migration::prelude::*;

use crate::columns::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

const AWAITS: &str = "CREATE INDEX ix_sync_events_tenant_awaits \
                      ON sync_events (tenant_id, awaits_sale) \
                      WHERE awaits_sale IS NOT NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// One transaction on SQLite too. Without one, each statement takes
    /// whichever pooled connection is free, and in tests the new index's
    /// CREATE sometimes failed as if the DROP just made on another
    /// connection had not happened.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        for name in [
            "ix_sync_events_tenant_status",
            "ix_sync_events_tenant_awaits",
        ] {
            conn.execute_unprepared(&format!("DROP INDEX IF EXISTS {name}"))
                .await?;
        }
        conn.execute_unprepared(AWAITS).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS ix_sync_events_tenant_awaits")
            .await?;
        for (name, column) in [
            ("ix_sync_events_tenant_status", "status"),
            ("ix_sync_events_tenant_awaits", "awaits_sale"),
        ] {
            manager
                .create_index(index(
                    name,
                    Alias::new("sync_events"),
                    &["tenant_id", column],
                    false,
                ))
                .await?;
        }
        Ok(())
    }
}

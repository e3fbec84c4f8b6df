//! The held backlog, counted across tenants for `/metrics`.
//!
//! Events held behind a gap (`QUEUED`) and refunds waiting for another
//! terminal's sale (`PENDING`) are few; a partial index keeps counting them
//! cheap however long the event log grows.
//!
//! On PostgreSQL the app role cannot count across tenants: row-level
//! security shows it one tenant per transaction. `pos_sync_backlog()` is a
//! `SECURITY DEFINER` function owned by the migrating role that returns two
//! numbers and no rows. The rows it counts are visible to its owner through
//! a policy that applies only while the function runs (it turns
//! `app.sync_backlog` on, then off again), so even an owner connection sees
//! nothing new outside it, and the app role may execute it but read
//! nothing more.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::rls::APP_GROUP_ROLE;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Leads with the tenant, like every index; being partial, it holds only
/// the waiting events, so a count over all tenants reads only those.
const INDEX: &str = "CREATE INDEX ix_sync_events_backlog \
                     ON sync_events (tenant_id, terminal_id, status) \
                     WHERE status IN ('QUEUED', 'PENDING')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        conn.execute_unprepared(INDEX).await?;
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for sql in [
            "CREATE POLICY sync_backlog_count ON sync_events FOR SELECT TO CURRENT_USER \
             USING (status IN ('QUEUED', 'PENDING') \
                    AND current_setting('app.sync_backlog', true) = 'on')"
                .to_owned(),
            // `set_config`, not a `SET` clause: a role without superuser may
            // not attach a custom setting to a function.
            "CREATE FUNCTION pos_sync_backlog() RETURNS TABLE (status text, events bigint) \
             LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$ \
             BEGIN \
               PERFORM set_config('app.sync_backlog', 'on', true); \
               RETURN QUERY SELECT e.status::text, count(*) FROM sync_events e \
                 WHERE e.status IN ('QUEUED', 'PENDING') GROUP BY e.status; \
               PERFORM set_config('app.sync_backlog', '', true); \
             END $$"
                .to_owned(),
            "REVOKE ALL ON FUNCTION pos_sync_backlog() FROM PUBLIC".to_owned(),
            format!("GRANT EXECUTE ON FUNCTION pos_sync_backlog() TO {APP_GROUP_ROLE}"),
        ] {
            conn.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        if manager.get_database_backend() == DbBackend::Postgres {
            conn.execute_unprepared("DROP FUNCTION IF EXISTS pos_sync_backlog()")
                .await?;
            conn.execute_unprepared("DROP POLICY IF EXISTS sync_backlog_count ON sync_events")
                .await?;
        }
        conn.execute_unprepared("DROP INDEX IF EXISTS ix_sync_events_backlog")
            .await?;
        Ok(())
    }
}

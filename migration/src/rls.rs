//! PostgreSQL row-level security helpers shared by every migration that
//! creates a tenant table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// The role that receives the application's table privileges. Deployments
/// grant it to the login role the server connects as
/// (`GRANT pos_rw TO pos_app`); that login role must own nothing and must
/// not have `BYPASSRLS`.
pub const APP_GROUP_ROLE: &str = "pos_rw";

/// The session setting that carries the current tenant inside a transaction.
pub const TENANT_SETTING: &str = "app.tenant_id";

/// Lets only the app role call `function` (a signature, `name(types)`).
pub(crate) async fn grant_execute(
    conn: &SchemaManagerConnection<'_>,
    function: &str,
) -> Result<(), DbErr> {
    conn.execute_unprepared(&format!("REVOKE ALL ON FUNCTION {function} FROM PUBLIC"))
        .await?;
    conn.execute_unprepared(&format!(
        "GRANT EXECUTE ON FUNCTION {function} TO {APP_GROUP_ROLE}"
    ))
    .await?;
    Ok(())
}

/// Creates [`APP_GROUP_ROLE`] if it does not exist. Safe to run
/// concurrently, as parallel test databases do.
pub async fn ensure_app_role(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let sql = format!(
        "DO $$ BEGIN \
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_GROUP_ROLE}') THEN \
             CREATE ROLE {APP_GROUP_ROLE} NOLOGIN; \
           END IF; \
         EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; \
         END $$"
    );
    manager.get_connection().execute_unprepared(&sql).await?;
    Ok(())
}

/// Enables and forces RLS on `table`, installs the fail-closed tenant policy
/// on `column`, and grants the app role the given privileges (never
/// ownership). No-op on SQLite, where the tenant scope alone applies.
pub async fn protect_tenant_table(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    privileges: &str,
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let predicate =
        format!("{column} = NULLIF(current_setting('{TENANT_SETTING}', true), '')::uuid");
    let statements = [
        format!("ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"),
        format!("ALTER TABLE {table} FORCE ROW LEVEL SECURITY"),
        format!(
            "CREATE POLICY tenant_isolation ON {table} USING ({predicate}) WITH CHECK ({predicate})"
        ),
        format!("GRANT {privileges} ON {table} TO {APP_GROUP_ROLE}"),
    ];
    for sql in statements {
        manager.get_connection().execute_unprepared(&sql).await?;
    }
    Ok(())
}

/// Turns FORCE ROW LEVEL SECURITY off (`forced: false`) or back on for
/// `tables`, so that a migration can read or fill every tenant's rows as
/// the tables' owner within its transaction. No-op on SQLite.
pub(crate) async fn set_forced(
    manager: &SchemaManager<'_>,
    tables: &[&str],
    forced: bool,
) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let no = if forced { "" } else { "NO " };
    for t in tables {
        manager
            .get_connection()
            .execute_unprepared(&format!("ALTER TABLE {t} {no}FORCE ROW LEVEL SECURITY"))
            .await?;
    }
    Ok(())
}

//! Cheaper cache misses of `productByBarcode` on PostgreSQL.
//!
//! - A lookup that misses both its location and its barcode in the cache
//!   (the first after a catalog write, or any with the cache off) reads
//!   them in one call: `pos_lookup` returns what `pos_place` and
//!   `pos_scan` (migration `m20261128_000010_scan_lookup`) return, as one
//!   JSON object, in one statement and one implicit transaction instead of
//!   two.
//! - `pos_scan` finds the barcode with one primary-key lookup per key, in
//!   order, instead of `lookup_key = ANY (keys) ORDER BY
//!   array_position(…)`. The generic plan of that statement could not use
//!   the key (PostgreSQL does not know the array's length), so the plan
//!   cache planned it afresh on every call; planning was about a third of
//!   the function's time. Every statement in it is now a lookup by key,
//!   whose generic plan is the right one, and the function says so
//!   (`plan_cache_mode`), so no call plans again.
//!
//! Like them it is `SECURITY INVOKER` (it runs as the app role, under
//! row-level security) and is called as a statement on its own; the tenant
//! they set with `is_local` ends with the call.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::m20261128_000010_scan_lookup::{SCAN_RESULT, scan};
use crate::rls::grant_execute;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `pos_scan`, finding the barcode key by key, best reading first.
const SCAN_HEAD: &str = "CREATE OR REPLACE FUNCTION pos_scan(p_tenant uuid, p_keys text) \
    RETURNS text LANGUAGE plpgsql \
    SET search_path FROM CURRENT SET plan_cache_mode = force_generic_plan AS $$ \
    DECLARE \
      v_key text; \
      v_code barcodes; \
    BEGIN \
      PERFORM set_config('app.tenant_id', p_tenant::text, true); \
      FOR v_key IN SELECT json_array_elements_text(p_keys::json) LOOP \
        SELECT * INTO v_code FROM barcodes b \
          WHERE b.tenant_id = p_tenant AND b.lookup_key = v_key; \
        EXIT WHEN FOUND; \
      END LOOP; \
      IF v_code.lookup_key IS NULL THEN RETURN NULL; END IF; ";

/// NULL if the location is not the tenant's (the scan is then not read);
/// otherwise `{"place": …, "scan": …}`, `scan` null for an unknown code.
const LOOKUP: &str = "CREATE FUNCTION pos_lookup(p_tenant uuid, p_location uuid, p_keys text) \
    RETURNS text LANGUAGE plpgsql SET search_path FROM CURRENT AS $$ \
    DECLARE \
      v_place text := pos_place(p_tenant, p_location); \
    BEGIN \
      IF v_place IS NULL THEN RETURN NULL; END IF; \
      RETURN '{\"place\":' || v_place || ',\"scan\":' \
        || COALESCE(pos_scan(p_tenant, p_keys), 'null') || '}'; \
    END $$";

const FUNCTION: &str = "pos_lookup(uuid, uuid, text)";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let conn = manager.get_connection();
        // Replacing keeps the function's grants.
        conn.execute_unprepared(&format!("{SCAN_HEAD}{SCAN_RESULT}"))
            .await?;
        conn.execute_unprepared(LOOKUP).await?;
        grant_execute(conn, FUNCTION).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let conn = manager.get_connection();
        conn.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {FUNCTION}"))
            .await?;
        conn.execute_unprepared(&scan().replacen(
            "CREATE FUNCTION",
            "CREATE OR REPLACE FUNCTION",
            1,
        ))
        .await?;
        Ok(())
    }
}

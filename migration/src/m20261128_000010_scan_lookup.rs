//! A barcode lookup that misses the cache, in one round trip (PostgreSQL).
//!
//! Read the usual way, a cache miss costs twelve statements: `BEGIN`,
//! `set_config`, the barcode, the variant with its product and tax group,
//! the rates, the location prices, the rules and `ROLLBACK`, and the same
//! frame again for the location and the tenant. `pos_scan` and `pos_place`
//! do that work in one call each and return it as JSON.
//!
//! They are `SECURITY INVOKER`: they run as the app role, under row-level
//! security like any statement it sends. Each sets `app.tenant_id` with
//! `is_local`, and is called as a statement on its own (its own implicit
//! transaction), so the setting ends with the call; every query in them
//! also matches the tenant explicitly. The app role may set any tenant on
//! its connection anyway, so the functions grant it nothing new.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::rls::grant_execute;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// `p_keys` is a JSON array of lookup keys, best reading first; the first
/// key that exists wins. Returns NULL for an unknown code; otherwise the
/// barcode, variant, product and tax group rows (variant or product may
/// be missing if the rows are gone), the group's current rates in position
/// order, the variant's location prices as `[location, price]` pairs, and
/// the tenant's active rules that could apply to it.
const SCAN_HEAD: &str = "CREATE FUNCTION pos_scan(p_tenant uuid, p_keys text) RETURNS text \
    LANGUAGE plpgsql SET search_path FROM CURRENT AS $$ \
    DECLARE \
      v_keys text[] := ARRAY(SELECT json_array_elements_text(p_keys::json)); \
      v_code barcodes; \
    BEGIN \
      PERFORM set_config('app.tenant_id', p_tenant::text, true); \
      SELECT * INTO v_code FROM barcodes b \
        WHERE b.tenant_id = p_tenant AND b.lookup_key = ANY (v_keys) \
        ORDER BY array_position(v_keys, b.lookup_key) LIMIT 1; \
      IF NOT FOUND THEN RETURN NULL; END IF; ";

/// The end of `pos_scan`: what the barcode row in `v_code` resolves to.
pub(crate) const SCAN_RESULT: &str = "RETURN (SELECT json_build_object( \
          'barcode', row_to_json(v_code), \
          'variant', row_to_json(v), \
          'product', row_to_json(p), \
          'tax_group', row_to_json(g), \
          'rates', COALESCE((SELECT json_agg(r ORDER BY r.position) FROM tax_rates r \
              WHERE r.tenant_id = p_tenant AND r.tax_group_id = g.id \
                AND r.valid_until IS NULL), '[]'), \
          'location_prices', COALESCE((SELECT json_agg(json_build_array(lp.location_id, lp.price)) \
              FROM location_prices lp \
              WHERE lp.tenant_id = p_tenant AND lp.variant_id = v.id), '[]'), \
          'rules', COALESCE((SELECT json_agg(pr) FROM pricing_rules pr \
              WHERE pr.tenant_id = p_tenant AND pr.status = 'ACTIVE' \
                AND (pr.target = 'ALL' \
                  OR (pr.target = 'PRODUCT' AND pr.target_id = p.id) \
                  OR (pr.target = 'VARIANT' AND pr.target_id = v.id) \
                  OR (pr.target = 'CATEGORY' AND pr.target_category = p.category))), '[]') \
        )::text \
        FROM variants v \
        JOIN products p ON p.tenant_id = v.tenant_id AND p.id = v.product_id \
        JOIN tax_groups g ON g.tenant_id = v.tenant_id AND g.id = v.tax_group_id \
        WHERE v.tenant_id = p_tenant AND v.id = v_code.variant_id); \
    END $$";

/// `pos_scan` as this migration made it.
pub(crate) fn scan() -> String {
    format!("{SCAN_HEAD}{SCAN_RESULT}")
}

/// The pricing facts of a location and its tenant; NULL if the location
/// is not the tenant's.
const PLACE: &str = "CREATE FUNCTION pos_place(p_tenant uuid, p_location uuid) RETURNS text \
    LANGUAGE plpgsql SET search_path FROM CURRENT AS $$ \
    BEGIN \
      PERFORM set_config('app.tenant_id', p_tenant::text, true); \
      RETURN (SELECT json_build_object( \
          'tenant_currency', t.currency, 'rounding_mode', t.rounding_mode, \
          'location_id', l.id, 'time_zone', l.time_zone, 'currency', l.currency, \
          'prices_include_tax', l.prices_include_tax)::text \
        FROM locations l JOIN tenants t ON t.id = l.tenant_id \
        WHERE l.tenant_id = p_tenant AND l.id = p_location); \
    END $$";

const FUNCTIONS: [&str; 2] = ["pos_scan(uuid, text)", "pos_place(uuid, uuid)"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        let conn = manager.get_connection();
        conn.execute_unprepared(&scan()).await?;
        conn.execute_unprepared(PLACE).await?;
        for f in FUNCTIONS {
            grant_execute(conn, f).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for f in FUNCTIONS {
            manager
                .get_connection()
                .execute_unprepared(&format!("DROP FUNCTION IF EXISTS {f}"))
                .await?;
        }
        Ok(())
    }
}

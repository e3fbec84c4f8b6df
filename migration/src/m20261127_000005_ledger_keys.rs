//! Drops the foreign keys of the append-only ledger tables on PostgreSQL.
//!
//! Every foreign key check is a query PostgreSQL plans once per connection
//! and keeps. A connection that first checked while a table was nearly
//! empty, with no statistics yet, can keep a plan that probes another
//! index leading with `tenant_id` and filters the rest: one check then
//! reads every row of the tenant. In the push benchmark each line's check
//! against `sales` took 8–14 ms at 15,000 sales (14,873 rows read to find
//! one), and throughput fell as the ledger grew. The checks against
//! `tenants` also made every inserted row lock the tenant's one row.
//!
//! The ledger does not need them: its rows are written only by the one
//! apply path, parent and children in the same transaction, under the
//! terminal's ledger lock, and the app role may only INSERT into them. The
//! terminal's ledger head keeps its foreign key to `terminals`, so no
//! ledger row is written for a terminal that does not exist. SQLite checks
//! a foreign key through the parent's key directly, and cannot drop one;
//! there they stay.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, constraint, columns, parent, parent columns)
const KEYS: &[(&str, &str, &str, &str, &str)] = &[
    (
        "sync_events",
        "fk_sync_events_tenant",
        "tenant_id",
        "tenants",
        "id",
    ),
    (
        "sync_events",
        "fk_sync_events_terminal",
        "tenant_id, terminal_id",
        "terminals",
        "tenant_id, id",
    ),
    (
        "receipts",
        "fk_receipts_tenant",
        "tenant_id",
        "tenants",
        "id",
    ),
    (
        "receipts",
        "fk_receipts_terminal",
        "tenant_id, terminal_id",
        "terminals",
        "tenant_id, id",
    ),
    ("sales", "fk_sales_tenant", "tenant_id", "tenants", "id"),
    (
        "sales",
        "fk_sales_terminal",
        "tenant_id, terminal_id",
        "terminals",
        "tenant_id, id",
    ),
    (
        "sale_lines",
        "fk_sale_lines_tenant",
        "tenant_id",
        "tenants",
        "id",
    ),
    (
        "sale_lines",
        "fk_sale_lines_sale",
        "tenant_id, sale_id",
        "sales",
        "tenant_id, id",
    ),
    (
        "line_taxes",
        "fk_line_taxes_tenant",
        "tenant_id",
        "tenants",
        "id",
    ),
    ("tenders", "fk_tenders_tenant", "tenant_id", "tenants", "id"),
    ("refunds", "fk_refunds_tenant", "tenant_id", "tenants", "id"),
    (
        "refunds",
        "fk_refunds_terminal",
        "tenant_id, terminal_id",
        "terminals",
        "tenant_id, id",
    ),
    (
        "refund_lines",
        "fk_refund_lines_tenant",
        "tenant_id",
        "tenants",
        "id",
    ),
    (
        "refund_lines",
        "fk_refund_lines_refund",
        "tenant_id, refund_id",
        "refunds",
        "tenant_id, id",
    ),
    (
        "sale_voids",
        "fk_sale_voids_tenant",
        "tenant_id",
        "tenants",
        "id",
    ),
    (
        "sale_voids",
        "fk_sale_voids_terminal",
        "tenant_id, terminal_id",
        "terminals",
        "tenant_id, id",
    ),
    (
        "sale_voids",
        "fk_sale_voids_sale",
        "tenant_id, sale_id",
        "sales",
        "tenant_id, id",
    ),
    (
        "ledger_anomalies",
        "fk_ledger_anomalies_tenant",
        "tenant_id",
        "tenants",
        "id",
    ),
    (
        "sale_states",
        "fk_sale_states_tenant",
        "tenant_id",
        "tenants",
        "id",
    ),
    (
        "sale_states",
        "fk_sale_states_sale",
        "tenant_id, sale_id",
        "sales",
        "tenant_id, id",
    ),
    (
        "sync_issues",
        "fk_sync_issues_tenant",
        "tenant_id",
        "tenants",
        "id",
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let conn = manager.get_connection();
        for (table, name, ..) in KEYS {
            conn.execute_unprepared(&format!(
                "ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let conn = manager.get_connection();
        for (table, name, cols, parent, parent_cols) in KEYS {
            conn.execute_unprepared(&format!(
                "ALTER TABLE {table} ADD CONSTRAINT {name} FOREIGN KEY ({cols}) \
                 REFERENCES {parent} ({parent_cols}) ON DELETE RESTRICT"
            ))
            .await?;
        }
        Ok(())
    }
}

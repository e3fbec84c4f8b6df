//! Schema migrations, run at server start (`POS_MIGRATE_ON_START`) or with
//! `pos migrate up|down|status` in deploys.
//!
//! On PostgreSQL every tenant table gets row-level security, ENABLEd and
//! FORCEd, with a fail-closed policy: a connection that has not set
//! `app.tenant_id` in its transaction sees and writes nothing.

pub use sea_orm_migration::prelude::*;
pub use sea_orm_migration::{Migration, MigrationStatus};

mod columns;
mod m20261127_000001_tenancy;
mod m20261127_000002_catalog;
mod m20261127_000003_ledger;
mod m20261127_000004_sync;
mod m20261127_000005_ledger_keys;
mod m20261127_000006_reporting;
mod m20261127_000007_report_months;
mod m20261128_000008_audit;
mod m20261128_000009_sync_backlog;
mod m20261128_000010_scan_lookup;
mod m20261128_000011_report_taxes;
mod m20261129_000012_report_tax_levels;
mod m20261129_000013_report_product_months;
mod m20261130_000014_sync_event_indexes;
mod m20261130_000015_lookup_call;
mod m20261207_000016_price_history;
mod m20261207_000017_stock;
mod m20261207_000018_cash;
mod m20261207_000019_stock_feed;
mod m20261207_000020_sale_stock;
pub mod rls;

/// The report rollups' measure columns, in table order.
pub use m20261127_000006_reporting::{ITEM_MEASURES, SALE_MEASURES, TENDER_MEASURES};
pub use m20261128_000011_report_taxes::TAX_MEASURES;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_tenancy::Migration),
            Box::new(m20261127_000002_catalog::Migration),
            Box::new(m20261127_000003_ledger::Migration),
            Box::new(m20261127_000004_sync::Migration),
            Box::new(m20261127_000005_ledger_keys::Migration),
            Box::new(m20261127_000006_reporting::Migration),
            Box::new(m20261127_000007_report_months::Migration),
            Box::new(m20261128_000008_audit::Migration),
            Box::new(m20261128_000009_sync_backlog::Migration),
            Box::new(m20261128_000010_scan_lookup::Migration),
            Box::new(m20261128_000011_report_taxes::Migration),
            Box::new(m20261129_000012_report_tax_levels::Migration),
            Box::new(m20261129_000013_report_product_months::Migration),
            Box::new(m20261130_000014_sync_event_indexes::Migration),
            Box::new(m20261130_000015_lookup_call::Migration),
            Box::new(m20261207_000016_price_history::Migration),
            Box::new(m20261207_000017_stock::Migration),
            Box::new(m20261207_000018_cash::Migration),
            Box::new(m20261207_000019_stock_feed::Migration),
            Box::new(m20261207_000020_sale_stock::Migration),
        ]
    }
}

//! # The operator entry: the only way past the tenant scope.
//!
//! **Not for resolvers or services.** [`Db::operator`] hands out what
//! request handling must never have: the bare connection pool (no tenant,
//! and on SQLite no filter at all) and transactions for a tenant no session
//! carries. It exists for
//!
//! - operator commands: migrations (`src/cli.rs`, `src/startup.rs`) and
//!   creating a tenant from the command line (`src/cli.rs`);
//! - counts across all tenants for `/metrics` (`src/sync/status.rs`,
//!   which on PostgreSQL asks a function that returns counts only);
//! - background work of a tenant a request started, which names that
//!   tenant explicitly (`src/reporting/compaction.rs`).
//!
//! `tests/tenant_scope.rs` fails the build on any `.operator()` outside the
//! files it lists, each with its reason; adding one there is a security
//! decision, made in review.

use sea_orm::SqliteTransactionMode;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement};
use uuid::Uuid;

use super::{Db, TenantTx};
use crate::error::Result;

/// The operator's handle on the database. See the [module docs](self).
pub struct Operator<'a> {
    db: &'a Db,
}

impl Db {
    /// **The operator entry**: unscoped access, for operator commands,
    /// cross-tenant metrics and background jobs that name their tenant.
    /// Never from a resolver or service (see [`Operator`]).
    pub fn operator(&self) -> Operator<'_> {
        Operator { db: self }
    }
}

impl<'a> Operator<'a> {
    /// The bare pool, for migrations. It sees every tenant's rows on
    /// SQLite, and none on PostgreSQL as the app role (no `app.tenant_id`
    /// is set); the migration URL's role owns the tables.
    pub fn raw_connection(&self) -> &'a DatabaseConnection {
        &self.db.conn
    }

    /// A write transaction for a tenant id that no session carries: for
    /// creating a tenant from the CLI, and for background work of a tenant
    /// a request started (compacting its report deltas).
    pub async fn write_for_tenant(&self, tenant: Uuid) -> Result<TenantTx> {
        self.db
            .begin(tenant, SqliteTransactionMode::Immediate)
            .await
    }

    /// Runs a statement on the bare pool, outside any transaction: for
    /// counts across tenants (`/metrics`), which must return counts, never
    /// rows of a tenant.
    pub async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>> {
        self.db.guarded(self.db.conn.query_all_raw(stmt)).await
    }

    /// The database behind the pool.
    pub fn backend(&self) -> DbBackend {
        self.db.conn.get_database_backend()
    }
}

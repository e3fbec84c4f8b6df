//! The tenant scope: the one path to the data.
//!
//! Every unit of work opens a [`TenantTx`] for the session's tenant with
//! [`Db::read`] or [`Db::write`]. The transaction does not hand out its
//! connection; everything a service does goes through it:
//!
//! - **Reads** start at [`TenantTx::select`], which is already filtered by
//!   the tenant column and returns a [`Scoped`] query. SeaORM's builder
//!   traits work on it (`filter`, `order_by_asc`, `select_only`, `column`,
//!   `lock_exclusive`, …), as do `into_tuple`, `into_model`, `into_json`
//!   and `find_also_related`; it runs only with the transaction:
//!   `.all(&tx)`, `.one(&tx)`, `.count(&tx)`. `Entity::find()` still
//!   builds, but nothing outside this module can run it.
//! - **Bulk changes** start at [`TenantTx::update_many`] and
//!   [`TenantTx::delete_many`] (filtered the same way) and run with
//!   `.exec(&tx)`.
//! - **One row** changes with [`TenantTx::update`], which adds the tenant
//!   to the row's key and fails with `RecordNotUpdated` for a row of
//!   another tenant.
//! - **Inserts** ([`TenantTx::insert`], [`TenantTx::insert_many`],
//!   [`TenantTx::insert_on_conflict`]) stamp the tenant column with the
//!   session's tenant, whatever the caller put there.
//! - **Raw SQL** (the reports, their rollups and compaction, the catalog
//!   version) runs through [`TenantTx::query_all_raw`],
//!   [`TenantTx::query_one_raw`], [`TenantTx::execute_raw`] and
//!   [`TenantTx::stream_raw`], inside the scoped transaction. Such a
//!   statement is not filtered for its author: it must restrict every
//!   tenant table it touches to [`TenantTx::tenant`]. [`TenantTx::sql`]
//!   binds that tenant as `$1` itself ([`TenantSql`]), so a hand-written
//!   statement cannot bind another.
//! - The backend, where SQL differs, is [`TenantTx::backend`].
//!
//! Outside a transaction, [`Db::call_scoped`] runs a [`ScopedCall`]: a
//! PostgreSQL function (`pos_scan`, `pos_place`, `pos_lookup`) that takes
//! the tenant as its first argument and scopes itself to it; the argument
//! is bound from the session, never by the caller.
//!
//! The bare pool and transactions for a tenant no session carries are
//! behind one door, [`Db::operator`] ([`operator`]), for operator
//! commands, cross-tenant counts for `/metrics` and background jobs that
//! name their tenant. `tests/tenant_scope.rs` checks the sources: outside
//! this module, no bare connection, connection trait, `Entity::find()`
//! or similar, and no `.operator()` except in the files it allows.
//!
//! On PostgreSQL each transaction also sets `app.tenant_id`
//! (`set_config(…, true)`, so it ends with the transaction), and row-level
//! security enforces the same rule a second time in the database, raw SQL
//! included.

use std::sync::Arc;
use std::time::Duration;

use migration::rls::TENANT_SETTING;
use sea_orm::{
    ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend, QueryResult,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use uuid::Uuid;

use crate::auth::Session;
use crate::error::{AppError, Result};

mod breaker;
pub mod bulk;
pub mod journal;
pub mod operator;
pub mod page;
mod scoped;
mod sql;
mod tx;
mod wal;
pub use breaker::Breaker;
pub use operator::Operator;
pub use page::Page;
pub use scoped::{Rows, Scoped};
pub use sql::{ScopedCall, TenantSql};
pub use tx::TenantTx;

/// Told what a transaction changed once it commits. Hooks must not block;
/// anything slow runs detached, so it happens even if the request that
/// committed is cancelled. The layers above register theirs at start-up
/// ([`Db::with_hook`]), so this module names none of them.
pub trait CommitHook: Send + Sync {
    /// Cached data changed (the catalog, tenant settings, terminals), so
    /// caches on every replica can drop what they hold for the tenant.
    fn cached_data_changed(&self, _tenant: Uuid) {}

    /// Stock levels changed at these locations of the tenant.
    fn stock_levels_changed(&self, _tenant: Uuid, _locations: &[Uuid]) {}

    /// Report deltas were appended, to be folded into shared rows later.
    fn rollups_appended(&self, _db: &Db, _tenant: Uuid) {}
}

/// The database handle shared by the whole app.
#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    /// SQLite: the one connection every write transaction runs on (see
    /// [`Db::connect`]).
    writer: Option<DatabaseConnection>,
    /// Shared, so cloning a handle (several times a request) copies no
    /// list.
    hooks: Arc<[Arc<dyn CommitHook>]>,
    breaker: Option<Arc<Breaker>>,
    /// Test builds only: a table whose reads skip the tenant filter.
    #[cfg(feature = "planted-leak")]
    planted: Option<Arc<str>>,
}

/// Pool settings for [`Db::connect`].
#[derive(Clone, Debug)]
pub struct PoolOptions {
    pub max_connections: u32,
    pub statement_timeout: Duration,
}

/// Whether a SQLite URL names an in-memory database, which a second pool
/// would not share.
fn in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

impl Db {
    pub async fn connect(url: &str, pool: &PoolOptions) -> Result<Self, sea_orm::DbErr> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.max_connections(pool.max_connections)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(5))
            .connect_timeout(Duration::from_secs(5))
            .sqlx_logging(false);
        if url.starts_with("postgres") {
            // A connection back in the pool within the last second is
            // handed out without a ping: under load that ping was a round
            // trip per transaction. One idle longer (which the server, a
            // proxy or a restart may have dropped) is still pinged first.
            opts.statement_timeout(pool.statement_timeout)
                .set_application_name("pos")
                .test_before_acquire_if_idle_for(Duration::from_secs(1));
        } else {
            // An in-process connection cannot be dropped by a server: no
            // ping (a round trip to its worker thread) before each use.
            opts.test_before_acquire(false);
            // WAL lets readers run beside the single writer; the busy
            // timeout queues writers instead of failing them. Statement
            // journals stay in memory.
            opts.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                    .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .pragma("temp_store", "memory")
                    .pragma("wal_autocheckpoint", "10000")
            });
        }
        let writer = if url.starts_with("sqlite") && !in_memory(url) {
            Some(Self::sqlite_writer(opts.clone()).await?)
        } else {
            None
        };
        let conn = sea_orm::Database::connect(opts).await?;
        Ok(Self {
            conn,
            writer,
            hooks: Arc::new([]),
            breaker: None,
            #[cfg(feature = "planted-leak")]
            planted: None,
        })
    }

    /// SQLite runs one writer at a time whatever the pool. Writers that
    /// each took a pooled connection queued inside SQLite's busy handler,
    /// which sleeps and retries in steps of up to 100 ms, so whoever
    /// retried at the right moment went next. On one connection of their
    /// own they queue for it in arrival order instead (the push benchmark's
    /// p99 per batch fell by about 40 %, throughput unchanged), and its
    /// page cache is not dropped by another connection's commit.
    async fn sqlite_writer(mut opts: ConnectOptions) -> Result<DatabaseConnection, sea_orm::DbErr> {
        opts.max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10));
        sea_orm::Database::connect(opts).await
    }

    /// The same pool, with `hook` told of commits too.
    pub fn with_hook(mut self, hook: Arc<dyn CommitHook>) -> Self {
        self.hooks = self.hooks.iter().cloned().chain([hook]).collect();
        self
    }

    /// The same pool, refusing transactions at once while a probe finds the
    /// database unreachable (PostgreSQL; SQLite is in process).
    pub fn with_breaker(self, url: &str) -> Self {
        if self.conn.get_database_backend() != DbBackend::Postgres {
            return self;
        }
        Self {
            breaker: Some(Breaker::spawn(url)),
            ..self
        }
    }

    fn unreachable(&self) -> bool {
        self.breaker.as_ref().is_some_and(|b| b.is_open())
    }

    /// Plants a bug on purpose: reads of `table`, and updates of one of
    /// its rows ([`TenantTx::update`]), lose their tenant filter.
    /// Exists only in builds with the `planted-leak` feature, which the
    /// test suite turns on to prove its cross-tenant probes catch such a
    /// query; release builds do not have it.
    #[cfg(feature = "planted-leak")]
    pub fn with_planted_leak(self, table: Option<String>) -> Self {
        Self {
            planted: table.map(Into::into),
            ..self
        }
    }

    /// Connections the pool holds open, and how many of them are idle.
    pub fn pool_stats(&self) -> (u32, u32) {
        // The backend is checked first, so the pool getters cannot panic.
        match self.conn.get_database_backend() {
            DbBackend::Postgres => {
                let pool = self.conn.get_postgres_connection_pool();
                (pool.size(), pool.num_idle() as u32)
            }
            DbBackend::Sqlite => {
                let pool = self.conn.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle() as u32)
            }
            _ => (0, 0),
        }
    }

    /// Readiness probe.
    pub async fn ping(&self) -> Result<(), sea_orm::DbErr> {
        if self.unreachable() {
            return Err(sea_orm::DbErr::Custom("the database is unreachable".into()));
        }
        self.conn.ping().await
    }

    /// A read transaction scoped to the session's tenant.
    pub async fn read(&self, session: &Session) -> Result<TenantTx> {
        self.begin(session.tenant, SqliteTransactionMode::Deferred)
            .await
    }

    /// A write transaction scoped to the session's tenant. On SQLite it
    /// takes the write lock up front (`BEGIN IMMEDIATE`), so two writers
    /// queue on the busy timeout instead of deadlocking on lock upgrade.
    pub async fn write(&self, session: &Session) -> Result<TenantTx> {
        self.begin(session.tenant, SqliteTransactionMode::Immediate)
            .await
    }

    /// True when the database is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.conn.get_database_backend() == DbBackend::Postgres
    }

    /// Calls a PostgreSQL function that scopes itself to a tenant
    /// (`pos_scan`, `pos_place`, `pos_lookup`) on its own, outside any
    /// transaction, and returns its row: the `set_config(…, true)` inside
    /// it ends with the statement's implicit transaction. The tenant, its
    /// first argument, is the session's. Everything else goes through
    /// [`Db::read`] and [`Db::write`].
    pub async fn call_scoped(
        &self,
        session: &Session,
        call: ScopedCall,
    ) -> Result<Option<QueryResult>> {
        let stmt = call.statement(session.tenant)?;
        self.guarded(self.conn.query_one_raw(stmt)).await
    }

    /// Awaits `work` unless the database is known to be unreachable; a
    /// request waiting for a connection when the database goes away stops
    /// waiting as soon as the probe notices.
    async fn guarded<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, sea_orm::DbErr>>,
    ) -> Result<T> {
        let unavailable =
            || AppError::Unavailable("the database is unreachable; retry in a moment".into());
        if self.unreachable() {
            return Err(unavailable());
        }
        Ok(match &self.breaker {
            Some(breaker) => tokio::select! {
                done = work => done?,
                () = breaker.opened() => return Err(unavailable()),
            },
            None => work.await?,
        })
    }

    /// Opens a transaction for `tenant`. The opening (BEGIN, then the
    /// tenant setting) runs in a task of its own, so a caller dropped at
    /// any await (client gone, timeout, breaker) cannot leave a connection
    /// between BEGIN and its answer: the task finishes, and if nobody
    /// waits for its transaction any more, drops it there, which rolls it
    /// back before the connection returns to the pool.
    async fn begin(&self, tenant: Uuid, mode: SqliteTransactionMode) -> Result<TenantTx> {
        let db = self.clone();
        let opening = tokio::spawn(async move { db.open(tenant, mode).await });
        self.guarded(async move {
            opening
                .await
                .map_err(|e| sea_orm::DbErr::Custom(format!("opening a transaction: {e}")))?
        })
        .await
    }

    async fn open(
        &self,
        tenant: Uuid,
        mode: SqliteTransactionMode,
    ) -> Result<TenantTx, sea_orm::DbErr> {
        let conn = match (&self.writer, mode) {
            (Some(writer), SqliteTransactionMode::Immediate) => writer,
            _ => &self.conn,
        };
        let txn = conn
            .begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(mode),
                ..Default::default()
            })
            .await?;
        if txn.get_database_backend() == DbBackend::Postgres {
            // Writes plan every statement with its values and the table's
            // size now. A plan PostgreSQL keeps for the connection may have
            // been made while the ledger was nearly empty, without
            // statistics, and then probe an index that leads with
            // `tenant_id` only: looking up 100 sale ids read 45,000 rows
            // (350 ms) in the push benchmark, more as the ledger grew.
            let sql = match mode {
                SqliteTransactionMode::Immediate => {
                    "SELECT set_config($1, $2, true), \
                     set_config('plan_cache_mode', 'force_custom_plan', true)"
                }
                _ => "SELECT set_config($1, $2, true)",
            };
            txn.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                [TENANT_SETTING.into(), tenant.to_string().into()],
            ))
            .await?;
        }
        let writes = matches!(mode, SqliteTransactionMode::Immediate);
        Ok(TenantTx::new(txn, tenant, self.clone(), writes))
    }
}

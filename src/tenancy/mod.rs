//! The tenant scope: the one path to the data.
//!
//! Every unit of work opens a [`TenantTx`] for the session's tenant. Reads
//! built with [`TenantTx::select`] are filtered by the tenant column; writes
//! through [`TenantTx::insert`] are stamped with it. On PostgreSQL the
//! transaction also sets `app.tenant_id` (`set_config(…, true)`, so it ends
//! with the transaction), and row-level security enforces the same rule a
//! second time in the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use entity::TenantOwned;
use migration::rls::TENANT_SETTING;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectOptions, ConnectionTrait,
    DatabaseConnection, DatabaseTransaction, DbBackend, DeleteMany, EntityTrait, IntoActiveModel,
    QueryFilter, QueryResult, Select, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait, UpdateMany,
};
use uuid::Uuid;

use crate::auth::Session;
use crate::error::{AppError, Result};

mod breaker;
pub mod bulk;
pub use breaker::Breaker;

/// Told after a transaction that changed cached data (the catalog, tenant
/// settings, terminals) commits, so caches on every replica can drop what
/// they hold for the tenant.
pub trait CommitHook: Send + Sync {
    /// Must not block; anything slow runs detached, so it happens even if
    /// the request that committed is cancelled.
    fn cached_data_changed(&self, tenant: Uuid);
}

/// The database handle shared by the whole app.
#[derive(Clone)]
pub struct Db {
    conn: DatabaseConnection,
    /// SQLite: the one connection every write transaction runs on (see
    /// [`Db::connect`]).
    writer: Option<DatabaseConnection>,
    hook: Option<Arc<dyn CommitHook>>,
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
            hook: None,
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

    /// The same pool, with `hook` told of catalog commits.
    pub fn with_hook(self, hook: Arc<dyn CommitHook>) -> Self {
        Self {
            hook: Some(hook),
            ..self
        }
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

    /// Plants a bug on purpose: reads of `table` lose their tenant filter.
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

    /// On SQLite, checkpoints the write-ahead log and truncates it. The
    /// automatic checkpoint cannot reset the WAL while transactions keep
    /// overlapping, so under steady load it grows without bound (48 GB in
    /// one benchmark run); a TRUNCATE checkpoint waits (up to the busy
    /// timeout) for a moment without readers. No-op on PostgreSQL.
    pub async fn checkpoint_wal(&self) -> Result<(), sea_orm::DbErr> {
        if self.conn.get_database_backend() == DbBackend::Sqlite {
            self.conn
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await?;
        }
        Ok(())
    }

    /// Runs [`Db::checkpoint_wal`] every `every` for as long as the runtime
    /// lives, and a passive checkpoint every second in between (SQLite
    /// only). The passive one copies the log into the database beside the
    /// writer instead of inside its commit, where SQLite's automatic
    /// checkpoint runs (with the write lock held); that one stays as a
    /// bound, at 10,000 pages, for a log this task has not kept short.
    pub fn spawn_wal_checkpoints(&self, every: Duration) {
        if self.conn.get_database_backend() != DbBackend::Sqlite {
            return;
        }
        let db = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.tick().await;
            let mut truncated = tokio::time::Instant::now();
            loop {
                tick.tick().await;
                let result = if truncated.elapsed() >= every {
                    truncated = tokio::time::Instant::now();
                    db.checkpoint_wal().await
                } else {
                    db.conn
                        .execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)")
                        .await
                        .map(|_| ())
                };
                if let Err(e) = result {
                    tracing::warn!(error = %e, "WAL checkpoint failed; retried on the next tick");
                }
            }
        });
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

    /// The raw connection, for migrations, the tenant-free bootstrap
    /// commands and cross-tenant counts for `/metrics` only. Request
    /// handling goes through [`Db::read`] and [`Db::write`].
    pub fn raw(&self) -> &DatabaseConnection {
        &self.conn
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

    /// A write transaction for a tenant id that no session carries: for
    /// creating a tenant from the CLI, and for background work of a tenant
    /// a request started (compacting its report deltas).
    pub async fn write_for_tenant(&self, tenant: Uuid) -> Result<TenantTx> {
        self.begin(tenant, SqliteTransactionMode::Immediate).await
    }

    /// True when the database is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.conn.get_database_backend() == DbBackend::Postgres
    }

    /// Runs one statement on its own, outside any transaction, and returns
    /// its first row. Only for the PostgreSQL functions that scope
    /// themselves to a tenant (`pos_scan`, `pos_place`, `pos_lookup`): the
    /// `set_config(…, true)` inside them ends with the statement's implicit
    /// transaction. Everything else goes through [`Db::read`] and
    /// [`Db::write`].
    pub async fn call_scoped(&self, stmt: Statement) -> Result<Option<QueryResult>> {
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

    async fn begin(&self, tenant: Uuid, mode: SqliteTransactionMode) -> Result<TenantTx> {
        let conn = match (&self.writer, mode) {
            (Some(writer), SqliteTransactionMode::Immediate) => writer,
            _ => &self.conn,
        };
        let txn = self
            .guarded(conn.begin_with_options(TransactionOptions {
                sqlite_transaction_mode: Some(mode),
                ..Default::default()
            }))
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
        Ok(TenantTx {
            txn,
            tenant,
            db: self.clone(),
            cached_data_changed: AtomicBool::new(false),
            compact_rollups: AtomicBool::new(false),
        })
    }
}

/// A transaction bound to one tenant. Dropping it without
/// [`TenantTx::commit`] rolls back.
pub struct TenantTx {
    txn: DatabaseTransaction,
    tenant: Uuid,
    db: Db,
    cached_data_changed: AtomicBool,
    compact_rollups: AtomicBool,
}

impl TenantTx {
    pub fn tenant(&self) -> Uuid {
        self.tenant
    }

    /// The connection to run statements built by this scope on.
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    /// `SELECT … WHERE tenant = <session tenant>`: the start of every read.
    pub fn select<E: TenantOwned>(&self) -> Select<E> {
        #[cfg(feature = "planted-leak")]
        if self.db.planted.as_deref() == Some(sea_orm::EntityName::table_name(&E::default())) {
            return E::find();
        }
        E::find().filter(E::tenant_column().eq(self.tenant))
    }

    /// `DELETE … WHERE tenant = <session tenant>`: the start of every
    /// delete (only tables whose rows no history points at allow it).
    pub fn delete_many<E: TenantOwned>(&self) -> DeleteMany<E> {
        E::delete_many().filter(E::tenant_column().eq(self.tenant))
    }

    /// `UPDATE … WHERE tenant = <session tenant>`: the start of every bulk
    /// update.
    pub fn update_many<E: TenantOwned>(&self) -> UpdateMany<E> {
        E::update_many().filter(E::tenant_column().eq(self.tenant))
    }

    /// Inserts `model` with its tenant column set to the session's tenant,
    /// whatever the caller put there.
    pub async fn insert<A>(
        &self,
        mut model: A,
    ) -> Result<<A::Entity as EntityTrait>::Model, sea_orm::DbErr>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
        A::Entity: TenantOwned,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        model.set(
            <A::Entity as TenantOwned>::tenant_column(),
            self.tenant.into(),
        );
        model.insert(&self.txn).await
    }

    /// Inserts every model with its tenant column set to the session's
    /// tenant, in one statement (on PostgreSQL one of fixed shape, with the
    /// rows as one parameter: [`bulk`]). Nothing to insert is not an
    /// error.
    pub async fn insert_many<A>(&self, models: Vec<A>) -> Result<(), sea_orm::DbErr>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
        A::Entity: TenantOwned,
    {
        if models.is_empty() {
            return Ok(());
        }
        let stamped: Vec<A> = models
            .into_iter()
            .map(|mut model| {
                model.set(
                    <A::Entity as TenantOwned>::tenant_column(),
                    self.tenant.into(),
                );
                model
            })
            .collect();
        if self.txn.get_database_backend() == DbBackend::Postgres
            && let Some(statements) = bulk::models(&stamped)
        {
            for statement in statements {
                self.txn.execute_raw(statement).await?;
            }
            return Ok(());
        }
        <A::Entity as EntityTrait>::insert_many(stamped)
            .exec_without_returning(&self.txn)
            .await?;
        Ok(())
    }

    /// Marks this transaction as changing data the caches hold: once it
    /// commits, every replica's caches drop the tenant's entries.
    pub fn invalidate_caches_on_commit(&self) {
        self.cached_data_changed.store(true, Ordering::Relaxed);
    }

    /// Marks this transaction as appending report deltas that are folded
    /// into shared monthly rows after it commits
    /// ([`crate::reporting::months`]).
    pub fn compact_rollups_on_commit(&self) {
        self.compact_rollups.store(true, Ordering::Relaxed);
    }

    pub async fn commit(self) -> Result<(), sea_orm::DbErr> {
        self.txn.commit().await?;
        if self.cached_data_changed.load(Ordering::Relaxed)
            && let Some(hook) = &self.db.hook
        {
            hook.cached_data_changed(self.tenant);
        }
        if self.compact_rollups.load(Ordering::Relaxed) {
            crate::reporting::compaction::schedule(self.db.clone(), self.tenant);
        }
        Ok(())
    }
}

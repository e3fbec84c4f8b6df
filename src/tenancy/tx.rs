//! [`TenantTx`]: a transaction bound to one tenant, and everything
//! services may do in it.

use std::sync::atomic::{AtomicBool, Ordering};

use entity::TenantOwned;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue, ColumnTrait, ConnectionTrait,
    DatabaseTransaction, DbBackend, DbErr, EntityName, EntityTrait, ExecResult, IntoActiveModel,
    QueryFilter, QueryResult, Statement, StreamTrait, TransactionStream, Value,
};
use uuid::Uuid;

use super::Db;
use super::bulk;
use super::journal;
use super::scoped::Scoped;
use super::sql::TenantSql;

/// A transaction bound to one tenant. Dropping it without
/// [`TenantTx::commit`] rolls back.
///
/// It does not hand out its connection: reads and writes go through the
/// methods below, which filter by or stamp the tenant, and raw SQL through
/// the `*_raw` methods, whose statements must say the tenant themselves
/// (see the module docs of [`crate::tenancy`]).
pub struct TenantTx {
    txn: DatabaseTransaction,
    tenant: Uuid,
    db: Db,
    /// Opened with [`Db::write`]: its commit carries the running
    /// mutation's audit entry ([`super::journal`]).
    writes: bool,
    cached_data_changed: AtomicBool,
    compact_rollups: AtomicBool,
    /// Locations whose stock levels this transaction wrote.
    stock_locations: std::sync::Mutex<Vec<Uuid>>,
}

impl TenantTx {
    pub(super) fn new(txn: DatabaseTransaction, tenant: Uuid, db: Db, writes: bool) -> Self {
        Self {
            txn,
            tenant,
            db,
            writes,
            cached_data_changed: AtomicBool::new(false),
            compact_rollups: AtomicBool::new(false),
            stock_locations: std::sync::Mutex::default(),
        }
    }

    /// The bare transaction: for the tenancy module only.
    pub(super) fn txn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    pub fn tenant(&self) -> Uuid {
        self.tenant
    }

    /// The database this transaction runs on.
    pub fn backend(&self) -> DbBackend {
        ConnectionTrait::get_database_backend(&self.txn)
    }

    /// True when the database is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.backend() == DbBackend::Postgres
    }

    /// `SELECT … WHERE tenant = <session tenant>`: the start of every read.
    /// Run it with `.all(&tx)`, `.one(&tx)` or `.count(&tx)`.
    pub fn select<E: TenantOwned>(&self) -> Scoped<sea_orm::Select<E>> {
        if self.planted(E::default().table_name()) {
            return Scoped::new(E::find(), self.tenant);
        }
        Scoped::new(
            E::find().filter(E::tenant_column().eq(self.tenant)),
            self.tenant,
        )
    }

    /// `DELETE … WHERE tenant = <session tenant>`: the start of every
    /// delete (only tables whose rows no history points at allow it).
    pub fn delete_many<E: TenantOwned>(&self) -> Scoped<sea_orm::DeleteMany<E>> {
        Scoped::new(
            E::delete_many().filter(E::tenant_column().eq(self.tenant)),
            self.tenant,
        )
    }

    /// `UPDATE … WHERE tenant = <session tenant>`: the start of every bulk
    /// update.
    pub fn update_many<E: TenantOwned>(&self) -> Scoped<sea_orm::UpdateMany<E>> {
        Scoped::new(
            E::update_many().filter(E::tenant_column().eq(self.tenant)),
            self.tenant,
        )
    }

    /// Updates one row from `model` (its primary key picks the row; the
    /// columns it has `Set` change), only if the row is the session
    /// tenant's: the statement is filtered by the tenant column as well.
    /// A model naming another tenant, or a row that is not there, fails
    /// with [`DbErr::RecordNotUpdated`] and changes nothing.
    pub async fn update<A>(&self, model: A) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
        A::Entity: TenantOwned,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        let column = <A::Entity as TenantOwned>::tenant_column();
        let scoped = !self.planted(A::Entity::default().table_name());
        match model.get(column) {
            ActiveValue::Set(v) | ActiveValue::Unchanged(v)
                if scoped && v != Value::from(self.tenant) =>
            {
                return Err(DbErr::RecordNotUpdated);
            }
            _ => {}
        }
        let model = ActiveModelBehavior::before_save(model, &self.txn, false).await?;
        let mut update = <A::Entity as EntityTrait>::update(model).validate()?;
        if scoped {
            update = update.filter(column.eq(self.tenant));
        }
        let updated = update.exec(&self.txn).await?;
        A::after_save(updated, &self.txn, false).await
    }

    /// Test builds only: whether `table` is the one the `planted-leak`
    /// switch strips of its tenant filter (`Db::with_planted_leak`), in
    /// reads and in one-row updates, so the probe suite can show it
    /// catches both. Always false in other builds.
    fn planted(&self, _table: &str) -> bool {
        #[cfg(feature = "planted-leak")]
        if self.db.planted.as_deref() == Some(_table) {
            return true;
        }
        false
    }

    /// Inserts `model` with its tenant column set to the session's tenant,
    /// whatever the caller put there.
    pub async fn insert<A>(&self, model: A) -> Result<<A::Entity as EntityTrait>::Model, DbErr>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
        A::Entity: TenantOwned,
        <A::Entity as EntityTrait>::Model: IntoActiveModel<A>,
    {
        let model = self.stamp(model);
        journal::note_made(model.get_primary_key_value());
        model.insert(&self.txn).await
    }

    /// Inserts `model`, stamped with the session's tenant like
    /// [`TenantTx::insert`], with `on_conflict` deciding what a clash with
    /// an existing row does (`DO NOTHING`, say). Returns the rows
    /// inserted: 0 when the conflict clause skipped it.
    pub async fn insert_on_conflict<A>(
        &self,
        model: A,
        on_conflict: OnConflict,
    ) -> Result<u64, DbErr>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
        A::Entity: TenantOwned,
    {
        <A::Entity as EntityTrait>::insert(self.stamp(model))
            .on_conflict(on_conflict)
            .exec_without_returning(&self.txn)
            .await
    }

    /// Inserts every model with its tenant column set to the session's
    /// tenant, in one statement (on PostgreSQL one of fixed shape, with the
    /// rows as one parameter: [`bulk`]). Nothing to insert is not an
    /// error.
    pub async fn insert_many<A>(&self, models: Vec<A>) -> Result<(), DbErr>
    where
        A: ActiveModelTrait + ActiveModelBehavior + Send,
        A::Entity: TenantOwned,
    {
        if models.is_empty() {
            return Ok(());
        }
        let stamped: Vec<A> = models.into_iter().map(|m| self.stamp(m)).collect();
        for model in &stamped {
            journal::note_made(model.get_primary_key_value());
        }
        if self.is_postgres()
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

    fn stamp<A>(&self, mut model: A) -> A
    where
        A: ActiveModelTrait,
        A::Entity: TenantOwned,
    {
        model.set(
            <A::Entity as TenantOwned>::tenant_column(),
            self.tenant.into(),
        );
        model
    }

    /// A raw statement whose first parameter (`$1`, `?1` on SQLite) is this
    /// transaction's tenant, bound here rather than by the caller; more
    /// values follow with [`TenantSql::bind`].
    pub fn sql(&self, sql: impl Into<String>) -> TenantSql {
        TenantSql::new(self.backend(), sql.into(), self.tenant)
    }

    /// Runs a raw statement in this transaction and returns its rows.
    ///
    /// Raw SQL is not filtered for you: the statement must restrict itself
    /// to [`TenantTx::tenant`] (a `tenant_id = …` on every tenant table it
    /// reads or writes, or use [`TenantTx::sql`]). On PostgreSQL the
    /// transaction has `app.tenant_id` set, so row-level security still
    /// holds a statement that forgot to its own tenant; SQLite has no such
    /// second layer.
    pub async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    /// Runs a raw statement and returns its first row. Same rules as
    /// [`TenantTx::query_all_raw`].
    pub async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    /// Runs a raw statement that returns no rows. Same rules as
    /// [`TenantTx::query_all_raw`].
    pub async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    /// Runs a raw statement and streams its rows. Same rules as
    /// [`TenantTx::query_all_raw`].
    pub async fn stream_raw(&self, stmt: Statement) -> Result<TransactionStream<'_>, DbErr> {
        self.txn.stream_raw(stmt).await
    }

    /// Marks this transaction as changing data the caches hold: once it
    /// commits, every replica's caches drop the tenant's entries.
    pub fn invalidate_caches_on_commit(&self) {
        self.cached_data_changed.store(true, Ordering::Relaxed);
    }

    /// Marks this transaction as writing stock levels at `location`: once
    /// it commits, caches of those levels are dropped on every replica.
    pub fn stock_levels_changed_on_commit(&self, location: Uuid) {
        let mut locations = self
            .stock_locations
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if !locations.contains(&location) {
            locations.push(location);
        }
    }

    /// Marks this transaction as appending report deltas that are folded
    /// into shared monthly rows after it commits (the reporting service's
    /// compaction, registered as a [`super::CommitHook`]).
    pub fn compact_rollups_on_commit(&self) {
        self.compact_rollups.store(true, Ordering::Relaxed);
    }

    /// Commits, then tells the caches and schedules compaction. A write
    /// inside an audited mutation inserts the mutation's audit entry first
    /// ([`journal`]): if that fails, nothing commits. Once called, all of
    /// it runs to its end in a task of its own: a caller dropped mid-commit
    /// cannot leave the connection between COMMIT and its answer, nor a
    /// committed write whose caches were never told.
    pub async fn commit(self) -> Result<(), DbErr> {
        let carried = self
            .writes
            .then(|| journal::take_for_commit(self.tenant))
            .flatten();
        let entry = carried.as_ref().map(|(_, entry)| entry.clone());
        let done = tokio::spawn(self.finish(entry))
            .await
            .map_err(|e| DbErr::Custom(format!("committing: {e}")))
            .and_then(|r| r);
        if let Some((journal, entry)) = carried {
            journal.settle(entry, done.is_ok());
        }
        done
    }

    async fn finish(self, entry: Option<entity::audit_entry::ActiveModel>) -> Result<(), DbErr> {
        if let Some(entry) = entry {
            self.insert(entry).await?;
        }
        self.txn.commit().await?;
        let changed = self.cached_data_changed.load(Ordering::Relaxed);
        let appended = self.compact_rollups.load(Ordering::Relaxed);
        let stock = std::mem::take(
            &mut *self
                .stock_locations
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        for hook in self.db.hooks.iter() {
            if !stock.is_empty() {
                hook.stock_levels_changed(self.tenant, &stock);
            }
            if changed {
                hook.cached_data_changed(self.tenant);
            }
            if appended {
                hook.rollups_appended(&self.db, self.tenant);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "tx_tests.rs"]
mod tests;

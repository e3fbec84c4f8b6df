//! [`Scoped`]: a query that already carries the tenant filter, run only
//! through the [`TenantTx`] it belongs to.
//!
//! Only [`TenantTx::select`], [`TenantTx::update_many`] and
//! [`TenantTx::delete_many`] make one. Its builder methods are SeaORM's own
//! (`filter`, `order_by_asc`, `select_only`, `column`, `limit`,
//! `lock_exclusive`, … through [`QueryFilter`], [`QueryOrder`] and
//! [`QuerySelect`]), so a chain reads as it would on a bare `Select`; what
//! differs is the end: `.all(&tx)`, `.one(&tx)`, `.count(&tx)`,
//! `.exec(&tx)` take the [`TenantTx`], not a connection. A query built from
//! `Entity::find()` has no way to run, since nothing outside the tenancy
//! module holds a connection.

use sea_orm::sea_query::{SelectStatement, SimpleExpr};
use sea_orm::{
    DbErr, DeleteMany, DeleteResult, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Related, Select, SelectGetableTuple, SelectModel,
    SelectThree, SelectThreeModel, SelectTwo, SelectTwoModel, Selector, SelectorTrait,
    TopologyStar, TryGetableMany, UpdateMany, UpdateResult,
};
use uuid::Uuid;

use super::TenantTx;

/// A query filtered by one tenant, runnable only in that tenant's
/// [`TenantTx`]. See the [module docs](self).
#[must_use = "a query does nothing until it is run with the transaction"]
#[derive(Clone, Debug)]
pub struct Scoped<Q> {
    query: Q,
    /// The tenant whose filter the query carries: running it in another
    /// tenant's transaction is refused.
    tenant: Uuid,
}

impl<Q> Scoped<Q> {
    /// Wraps a query the caller has already filtered by `tenant`. Private
    /// to the tenancy module: only [`TenantTx`] makes these.
    pub(super) fn new(query: Q, tenant: Uuid) -> Self {
        Self { query, tenant }
    }

    fn map<R>(self, f: impl FnOnce(Q) -> R) -> Scoped<R> {
        Scoped {
            query: f(self.query),
            tenant: self.tenant,
        }
    }

    /// `tx`'s transaction, if `tx` is the tenant this query is filtered by.
    fn unpack(self, tx: &TenantTx) -> Result<(Q, &sea_orm::DatabaseTransaction), DbErr> {
        if tx.tenant() != self.tenant {
            return Err(DbErr::Custom(
                "a tenant-scoped query was run in another tenant's transaction".into(),
            ));
        }
        Ok((self.query, tx.txn()))
    }
}

impl<Q: QueryFilter> QueryFilter for Scoped<Q> {
    type QueryStatement = Q::QueryStatement;

    fn query(&mut self) -> &mut Self::QueryStatement {
        QueryFilter::query(&mut self.query)
    }
}

impl<Q: QueryOrder> QueryOrder for Scoped<Q> {
    type QueryStatement = Q::QueryStatement;

    fn query(&mut self) -> &mut SelectStatement {
        QueryOrder::query(&mut self.query)
    }
}

impl<Q: QuerySelect> QuerySelect for Scoped<Q> {
    type QueryStatement = Q::QueryStatement;

    fn query(&mut self) -> &mut SelectStatement {
        QuerySelect::query(&mut self.query)
    }
}

/// `into_query()` gives the statement, for use as a subquery of another
/// scoped query (`Column::Id.in_subquery(…)`): it keeps its tenant filter.
impl<Q: QueryTrait> QueryTrait for Scoped<Q> {
    type QueryStatement = Q::QueryStatement;

    fn query(&mut self) -> &mut Self::QueryStatement {
        QueryTrait::query(&mut self.query)
    }

    fn as_query(&self) -> &Self::QueryStatement {
        self.query.as_query()
    }

    fn into_query(self) -> Self::QueryStatement {
        self.query.into_query()
    }
}

/// A select that decodes its rows one way: implemented for SeaORM's
/// `Select`, `SelectTwo`, `SelectThree` and `Selector`, so one set of
/// `all`/`one`/`count` serves every [`Scoped`] read.
pub trait Rows: sealed::Sealed {
    type Decoder: SelectorTrait;

    #[doc(hidden)]
    fn into_selector(self) -> Selector<Self::Decoder>;
}

mod sealed {
    pub trait Sealed {}
}

impl<E: EntityTrait> sealed::Sealed for Select<E> {}
impl<E: EntityTrait> Rows for Select<E> {
    type Decoder = SelectModel<E::Model>;

    fn into_selector(self) -> Selector<Self::Decoder> {
        self.into_model()
    }
}

impl<E: EntityTrait, F: EntityTrait> sealed::Sealed for SelectTwo<E, F> {}
impl<E: EntityTrait, F: EntityTrait> Rows for SelectTwo<E, F> {
    type Decoder = SelectTwoModel<E::Model, F::Model>;

    fn into_selector(self) -> Selector<Self::Decoder> {
        self.into_model()
    }
}

impl<E: EntityTrait, F: EntityTrait, G: EntityTrait> sealed::Sealed
    for SelectThree<E, F, G, TopologyStar>
{
}
impl<E: EntityTrait, F: EntityTrait, G: EntityTrait> Rows for SelectThree<E, F, G, TopologyStar> {
    type Decoder = SelectThreeModel<E::Model, F::Model, G::Model>;

    fn into_selector(self) -> Selector<Self::Decoder> {
        self.into_model()
    }
}

impl<S: SelectorTrait> sealed::Sealed for Selector<S> {}
impl<S: SelectorTrait> Rows for Selector<S> {
    type Decoder = S;

    fn into_selector(self) -> Selector<S> {
        self
    }
}

type Row<Q> = <<Q as Rows>::Decoder as SelectorTrait>::Item;

impl<Q: Rows> Scoped<Q> {
    /// Every row, in the tenant's transaction `tx`.
    pub async fn all(self, tx: &TenantTx) -> Result<Vec<Row<Q>>, DbErr> {
        let (query, txn) = self.unpack(tx)?;
        query.into_selector().all(txn).await
    }

    /// The first row, if any.
    pub async fn one(self, tx: &TenantTx) -> Result<Option<Row<Q>>, DbErr> {
        let (query, txn) = self.unpack(tx)?;
        query.into_selector().one(txn).await
    }

    /// How many rows the query returns.
    pub async fn count(self, tx: &TenantTx) -> Result<u64, DbErr>
    where
        Q::Decoder: Send + Sync,
    {
        let (query, txn) = self.unpack(tx)?;
        query.into_selector().count(txn).await
    }
}

impl<E: EntityTrait> Scoped<Select<E>> {
    /// Rows as tuples of the selected columns ([`Select::into_tuple`]).
    pub fn into_tuple<T: TryGetableMany>(self) -> Scoped<Selector<SelectGetableTuple<T>>> {
        self.map(Select::into_tuple)
    }

    /// Rows as another model ([`Select::into_model`]).
    pub fn into_model<M: FromQueryResult>(self) -> Scoped<Selector<SelectModel<M>>> {
        self.map(Select::into_model)
    }

    /// Rows as JSON objects ([`Select::into_json`]).
    pub fn into_json(self) -> Scoped<Selector<SelectModel<serde_json::Value>>> {
        self.map(Select::into_json)
    }

    /// Left-joins a related entity ([`Select::find_also_related`]). Every
    /// relation carries the tenant in both keys, so the join stays inside
    /// the tenant.
    pub fn find_also_related<R>(self, r: R) -> Scoped<SelectTwo<E, R>>
    where
        R: EntityTrait,
        E: Related<R>,
    {
        self.map(|q| q.find_also_related(r))
    }
}

impl<E: EntityTrait, F: EntityTrait> Scoped<SelectTwo<E, F>> {
    /// Left-joins an entity related to the first one
    /// ([`SelectTwo::find_also_related`]).
    pub fn find_also_related<R>(self, r: R) -> Scoped<SelectThree<E, F, R, TopologyStar>>
    where
        R: EntityTrait,
        E: Related<R>,
    {
        self.map(|q| q.find_also_related(r))
    }
}

impl<E: EntityTrait> Scoped<UpdateMany<E>> {
    /// `SET col = expr` ([`UpdateMany::col_expr`]).
    pub fn col_expr<C>(self, col: C, expr: SimpleExpr) -> Self
    where
        C: sea_orm::sea_query::IntoIden,
    {
        self.map(|q| q.col_expr(col, expr))
    }

    /// Runs the update in the tenant's transaction `tx`.
    pub async fn exec(self, tx: &TenantTx) -> Result<UpdateResult, DbErr> {
        let (query, txn) = self.unpack(tx)?;
        query.exec(txn).await
    }
}

impl<E: EntityTrait> Scoped<DeleteMany<E>> {
    /// Runs the delete in the tenant's transaction `tx`.
    pub async fn exec(self, tx: &TenantTx) -> Result<DeleteResult, DbErr> {
        let (query, txn) = self.unpack(tx)?;
        query.exec(txn).await
    }
}

//! Schema assembly: per-module roots merged into one schema, with the
//! limits that reject hostile documents before any resolver runs.

mod codes;
mod context;
pub mod documents;
mod hooks;
mod operations;
pub mod pagination;
pub mod payload;
pub mod persisted;
pub mod scalars;
mod spans;

pub use context::{ContextExt, RequestLoader};

use std::sync::Arc;

use async_graphql::{MergedObject, MergedSubscription, Schema};

use crate::auth::{Keys, Session};
use crate::cache::CatalogCache;
use crate::catalog::graphql::{CatalogMutation, CatalogQuery};
use crate::config::Introspection;
use crate::org::graphql::{OrgMutation, OrgQuery};
use crate::sales::graphql::{SalesMutation, SalesQuery};
use crate::stock::graphql::{StockMutation, StockQuery};
use crate::sync::graphql::{SyncMutation, SyncQuery, SyncSubscription};
use crate::tenancy::Db;

#[derive(MergedObject, Default)]
pub struct Query(
    OrgQuery,
    CatalogQuery,
    SalesQuery,
    SyncQuery,
    crate::reporting::graphql::ReportingQuery,
    crate::audit::graphql::AuditQuery,
    StockQuery,
    crate::cash::graphql::CashQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    OrgMutation,
    CatalogMutation,
    SalesMutation,
    SyncMutation,
    crate::reporting::graphql::ReportingMutation,
    StockMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(SyncSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Limits on every document. Generous for real clients, far below what a
/// hostile document needs.
pub struct Limits {
    pub depth: usize,
    pub complexity: usize,
    pub directives: usize,
    pub recursive_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // Introspection by graphql-js 17 and graphql-core 3.3 nests
            // `ofType` nine levels deep: 14 in all.
            depth: 16,
            complexity: 2_000,
            directives: 50,
            recursive_depth: 32,
        }
    }
}

/// Builds the schema, with introspection and field suggestions as the
/// configuration allows. `db` and `keys` go in as schema data; the session and
/// the per-request loaders go into each request (see [`prepare`]).
pub fn build(
    db: Db,
    keys: Arc<Keys>,
    cache: CatalogCache,
    limits: &Limits,
    introspection: Introspection,
    persisted: persisted::PersistedQueries,
    pull_pages: crate::sync::pull_cache::PullPages,
) -> AppSchema {
    let mut builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .data(db)
    .data(cache)
    .data(keys)
    .data(pull_pages)
    .extension(hooks::RequestHooks::new(persisted));
    // An extension is a hop on every field of every request, even one
    // that does nothing: the resolver spans are added only when someone
    // listens (the log filter is read once, at startup).
    if tracing::enabled!(target: "pos::graphql::spans", tracing::Level::DEBUG) {
        builder = builder.extension(spans::ResolverSpans);
    }
    builder = builder
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity)
        .limit_directives(limits.directives)
        .limit_recursive_depth(limits.recursive_depth);
    if introspection == Introspection::Off {
        builder = builder.disable_introspection();
    }
    if introspection != Introspection::Public {
        // "Did you mean …?" would tell a caller without introspection the
        // names of the fields it cannot list.
        builder = builder.disable_suggestions();
    }
    builder.finish()
}

/// The SDL as checked in at `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .finish()
    .sdl()
}

/// Attaches the caller's session and this request's dataloaders. Loaders
/// are per request because they carry the tenant.
pub fn prepare(request: &mut async_graphql::Request, db: &Db, session: Option<&Session>) {
    if let Some(session) = session {
        session_data(&mut request.data, db, session);
    }
}

/// The per-session data of a request or a subscription connection: the
/// session and the dataloaders that carry its tenant.
pub fn session_data(data: &mut async_graphql::Data, db: &Db, session: &Session) {
    data.insert(context::Loaders::new(db.clone(), session.clone()));
    data.insert(session.clone());
}

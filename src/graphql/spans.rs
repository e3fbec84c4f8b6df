//! A tracing span per resolver: `graphql.field`, at DEBUG, for every field
//! that is not a scalar or an enum, with its path and types. The request's
//! span (from the HTTP layer, with the request id) is its parent, and the
//! trace-level spans SeaORM opens for each statement are its children:
//! `POS_LOG=info,pos::graphql::spans=debug,sea_orm=trace` shows where a
//! request's time goes. Registered only when that target is enabled at
//! startup (`graphql::build`): otherwise it would still be a hop on every
//! field of every request.
//!
//! No argument or variable is recorded: they may carry what must never
//! reach a log (SECURITY.md).

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};
use tracing::Instrument;

pub struct ResolverSpans;

impl ExtensionFactory for ResolverSpans {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ResolverSpans)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ResolverSpans {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if !tracing::enabled!(tracing::Level::DEBUG) || info.is_for_introspection {
            return next.run(ctx, info).await;
        }
        let leaf = ctx
            .schema_env
            .registry
            .types
            .get(
                info.return_type
                    .trim_matches(|c| matches!(c, '[' | ']' | '!')),
            )
            .is_some_and(|t| t.is_leaf());
        if leaf {
            return next.run(ctx, info).await;
        }
        let span = tracing::debug_span!(
            "graphql.field",
            path = %info.path_node,
            parent_type = info.parent_type,
            return_type = info.return_type,
        );
        next.run(ctx, info).instrument(span).await
    }
}

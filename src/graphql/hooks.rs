//! The schema's extension: what runs around every request, whatever
//! brought it (HTTP, WebSocket, a persisted query, the CLI's seed).
//!
//! - the device allow-list (`persisted::allowed`);
//! - per-operation metrics (`operations`);
//! - syntax errors as one line, and a code on every error (`codes`);
//! - the audit trail of root mutation fields (`audit::graphql::Trail`).
//!
//! One extension, not one per concern: async-graphql calls every
//! extension at every step of a request and for every field resolved,
//! each call an allocated future, even for an extension with nothing to do
//! there. Four extensions cost a cached `productByBarcode` several
//! microseconds (BENCHMARKS.md, "productByBarcode").

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest,
    NextRequest, NextResolve, ResolveInfo,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, Response, ServerResult, Value, Variables};

use super::persisted::{self, PersistedQueries};
use super::{codes, operations};
use crate::audit::graphql::Trail;
use crate::auth::Session;

/// Makes each request's [`Hooks`].
pub struct RequestHooks {
    persisted: Arc<PersistedQueries>,
}

impl RequestHooks {
    pub fn new(persisted: PersistedQueries) -> Self {
        Self {
            persisted: Arc::new(persisted),
        }
    }
}

impl ExtensionFactory for RequestHooks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Hooks {
            persisted: self.persisted.clone(),
            operation: Mutex::default(),
            trail: Trail::default(),
        })
    }
}

/// One request's hooks (extensions are made per request).
struct Hooks {
    persisted: Arc<PersistedQueries>,
    /// The name the operation's metrics are counted under.
    operation: Mutex<Option<String>>,
    trail: Trail,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Hooks {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let started = Instant::now();
        let response = next.run(ctx).await;
        let name = self
            .operation
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        operations::record(name.as_deref(), &response, started.elapsed());
        codes::finish(response)
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        *self
            .operation
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = operations::name_of(&request);
        persisted::allowed(&self.persisted, ctx.data_opt::<Session>(), &request)?;
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next
            .run(ctx, query, variables)
            .await
            .map_err(|error| codes::parse_error(query, error))?;
        self.trail.parsed(&document, variables);
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        self.trail.executing(operation_name);
        next.run(ctx, operation_name).await
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        self.trail.resolve(ctx, info, next).await
    }
}

//! Typed access to request data, for every resolver: a leaf of the API
//! layer (docs/architecture.md, "The layer rule"), beside `pagination`,
//! `payload` and `scalars`.

use std::sync::Arc;

use async_graphql::Context;
use async_graphql::dataloader::DataLoader;

use crate::auth::{Keys, Session};
use crate::cache::CatalogCache;
use crate::error::AppError;
use crate::tenancy::Db;

/// Typed access to request data without `unwrap`.
pub trait ContextExt {
    /// The verified session, or UNAUTHENTICATED.
    fn session(&self) -> Result<&Session, AppError>;
    fn db(&self) -> Result<&Db, AppError>;
    fn keys(&self) -> Result<&Arc<Keys>, AppError>;
    fn cache(&self) -> Result<&CatalogCache, AppError>;
    /// This request's dataloader of type `T` (the services' graphql parts
    /// define them; `session_data` attaches them).
    fn loader<T: Send + Sync + 'static>(&self) -> Result<&DataLoader<T>, AppError>;
}

impl ContextExt for Context<'_> {
    fn session(&self) -> Result<&Session, AppError> {
        self.data_opt::<Session>().ok_or_else(|| {
            AppError::Unauthenticated(
                "authentication required: send Authorization: Bearer <token>".into(),
            )
        })
    }

    fn db(&self) -> Result<&Db, AppError> {
        self.data_opt::<Db>()
            .ok_or_else(|| AppError::internal("database missing from schema data"))
    }

    fn keys(&self) -> Result<&Arc<Keys>, AppError> {
        self.data_opt::<Arc<Keys>>()
            .ok_or_else(|| AppError::internal("keys missing from schema data"))
    }

    fn cache(&self) -> Result<&CatalogCache, AppError> {
        self.data_opt::<CatalogCache>()
            .ok_or_else(|| AppError::internal("catalog cache missing from schema data"))
    }

    fn loader<T: Send + Sync + 'static>(&self) -> Result<&DataLoader<T>, AppError> {
        self.data_opt::<DataLoader<T>>().ok_or_else(|| {
            AppError::internal(format!(
                "{} missing from request data",
                std::any::type_name::<T>()
            ))
        })
    }
}

/// Role guards on resolvers: the session's roles, checked by
/// [`Staff::check_session`].
impl async_graphql::Guard for crate::auth::Staff {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        Ok(self.check_session(ctx.session()?)?)
    }
}

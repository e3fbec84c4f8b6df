//! Typed access to request data, for every resolver: a leaf of the API
//! layer (docs/architecture.md, "The layer rule"), beside `pagination`,
//! `payload` and `scalars`.

use std::any::{Any, TypeId};
use std::sync::{Arc, Mutex, PoisonError};

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
    fn loader<T: RequestLoader>(&self) -> Result<Arc<DataLoader<T>>, AppError>;
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

    fn loader<T: RequestLoader>(&self) -> Result<Arc<DataLoader<T>>, AppError> {
        self.data_opt::<Loaders>()
            .ok_or_else(|| AppError::internal("dataloaders missing from request data"))?
            .get::<T>()
    }
}

/// A dataloader that carries the caller's tenant, made per request (or
/// per WebSocket connection) from its session.
pub trait RequestLoader: Send + Sync + Sized + 'static {
    fn new(db: &Db, session: &Session) -> Self;
}

/// A request's dataloaders, each made the first time a resolver asks for
/// it. Most requests need none or one; making all of them up front, for
/// every request, cost more than a cached barcode lookup's own work
/// (BENCHMARKS.md, "productByBarcode").
pub struct Loaders {
    db: Db,
    session: Session,
    made: Mutex<Vec<(TypeId, Arc<dyn Any + Send + Sync>)>>,
}

impl Loaders {
    pub fn new(db: Db, session: Session) -> Self {
        Self {
            db,
            session,
            made: Mutex::default(),
        }
    }

    /// The loader of type `T`: the one made earlier in this request, or a
    /// new one.
    pub fn get<T: RequestLoader>(&self) -> Result<Arc<DataLoader<T>>, AppError> {
        let id = TypeId::of::<T>();
        let mut made = self.made.lock().unwrap_or_else(PoisonError::into_inner);
        let loader = match made.iter().find(|(made_id, _)| *made_id == id) {
            Some((_, loader)) => loader.clone(),
            None => {
                let loader: Arc<dyn Any + Send + Sync> = Arc::new(DataLoader::new(
                    T::new(&self.db, &self.session),
                    tokio::spawn,
                ));
                made.push((id, loader.clone()));
                loader
            }
        };
        loader
            .downcast::<DataLoader<T>>()
            .map_err(|_| AppError::internal("a dataloader kept under another type"))
    }
}

/// Role guards on resolvers: the session's roles, checked by
/// [`Staff::check_session`].
impl async_graphql::Guard for crate::auth::Staff {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        Ok(self.check_session(ctx.session()?)?)
    }
}

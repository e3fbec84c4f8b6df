//! What every handler can reach: the application's parts, assembled by
//! `startup` (`AppState::new`).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::admission::Admission;
use super::origin::TrustedProxies;
use crate::auth::{Keys, RateLimits};
use crate::cache::{CatalogCache, Redis};
use crate::config::Config;
use crate::graphql::AppSchema;
use crate::graphql::documents::Documents;
use crate::graphql::persisted::PersistedQueries;
use crate::sync::pull_cache::PullPages;
use crate::tenancy::Db;

/// What every handler can reach: one shared [`AppParts`]. Axum clones the
/// state for every extractor and middleware of every request, so a clone
/// is one reference count, not a copy of each part's handles.
#[derive(Clone)]
pub struct AppState(Arc<AppParts>);

impl AppState {
    pub fn from_parts(parts: AppParts) -> Self {
        Self(Arc::new(parts))
    }
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

/// The application's parts.
pub struct AppParts {
    pub config: Arc<Config>,
    pub db: Db,
    pub redis: Option<Redis>,
    pub cache: CatalogCache,
    pub keys: Arc<Keys>,
    pub schema: AppSchema,
    /// Set when shutdown starts; `/readyz` then answers 503.
    pub draining: Arc<AtomicBool>,
    pub limits: Arc<RateLimits>,
    pub persisted: PersistedQueries,
    /// Parsed documents by text, so a repeated document skips the parser.
    pub documents: Documents,
    /// Whose forwarding headers name the client address.
    pub proxies: TrustedProxies,
    /// Places for operations in flight.
    pub admission: Admission,
    /// Catalog pull pages shared by every terminal.
    pub pull_pages: PullPages,
}

//! Stock levels as `productByBarcode` shows them: cached per location and
//! variant under the location's own generation ([`Scope::Stock`]), which
//! every transaction that writes a level there replaces when it commits.
//! So a sale at one store retires that store's cached levels only, and
//! never the tenant's scans.

use std::future::Future;
use std::sync::Arc;

use uuid::Uuid;

use super::catalog::{CatalogCache, Scope};
use crate::auth::Session;
use crate::error::Result;

/// A level as cached: what `stock_levels` holds for one variant at one
/// location.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LevelSnapshot {
    pub on_hand: i64,
    pub in_transit: i64,
    pub average_cost: Option<i64>,
    pub low_threshold: Option<i64>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl CatalogCache {
    /// A variant's level at a location (`None`: nothing has moved it
    /// there), loading it with `load` on a miss.
    pub async fn stock_level<F, Fut>(
        &self,
        session: &Session,
        location: Uuid,
        variant: Uuid,
        load: F,
    ) -> Result<Option<Arc<LevelSnapshot>>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<LevelSnapshot>>>,
    {
        // The key names the tenant too: a location id is the scope, but
        // the tenant whose session read it is part of what was read.
        let id = format!("{}:{variant}", session.tenant);
        self.cached(
            &self.inner.levels,
            Scope::Stock(location),
            "level",
            &id,
            |_| load(),
        )
        .await
    }

    /// Retires the cached levels of these locations, here and on every
    /// replica.
    pub fn stock_levels_changed(&self, locations: &[Uuid]) {
        for location in locations {
            self.invalidate_scope(Scope::Stock(*location));
        }
    }
}

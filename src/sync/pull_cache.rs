//! The catalog pull every terminal makes when it starts, served from
//! memory. A page is one tenant's catalog changes at one cache generation,
//! for one location, cursor and size. Whichever terminal asks first reads
//! it from the database; every other terminal that asks for the same page
//! while it loads waits for that one read, and later ones get it from
//! memory. So a fleet of 10,000 terminals of 100 tenants starting at once
//! costs about one read per tenant and page on each replica, not one per
//! terminal.
//!
//! Pages are keyed by the tenant's cache generation (`cache::catalog`),
//! which every catalog write replaces on every replica when it commits: a
//! page is never older than the generation it is kept under. While a
//! replica cannot hear invalidations, pages are read from the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use moka::future::Cache;
use uuid::Uuid;

use super::pull::{self, Page};
use crate::auth::Session;
use crate::cache::CatalogCache;
use crate::catalog::lookup;
use crate::error::{AppError, Result};
use crate::tenancy::Db;

/// (tenant, generation, location, cursor, page size).
type Key = (Uuid, u64, Uuid, String, usize);

/// Changes kept over all pages, about 1 KiB each.
const CAPACITY_ITEMS: u64 = 200_000;

/// Pages of the catalog change feed, shared by every terminal of a
/// replica.
#[derive(Clone)]
pub struct PullPages {
    pages: Cache<Key, Arc<Page>>,
    /// Pages read from the database through this cache.
    loads: Arc<AtomicU64>,
}

impl Default for PullPages {
    fn default() -> Self {
        Self {
            pages: Cache::builder()
                .weigher(|_, page: &Arc<Page>| {
                    u32::try_from(page.items.len() + 1).unwrap_or(u32::MAX)
                })
                .max_capacity(CAPACITY_ITEMS)
                .time_to_idle(Duration::from_secs(600))
                .build(),
            loads: Arc::default(),
        }
    }
}

impl PullPages {
    /// How many pages were read from the database through this cache.
    pub fn loads(&self) -> u64 {
        self.loads.load(Ordering::Relaxed)
    }

    /// A page of `catalogChanges`, as [`pull::changes`] reads it.
    pub async fn changes(
        &self,
        session: &Session,
        db: &Db,
        cache: &CatalogCache,
        location: Option<Uuid>,
        since: Option<&str>,
        first: Option<i32>,
    ) -> Result<Arc<Page>> {
        let location = lookup::location_for(session, location)?;
        let size = pull::page_size(first)?;
        let Some(generation) = cache.trusted_generation(session.tenant).await else {
            return Ok(Arc::new(
                pull::changes(session, db, Some(location), since, first).await?,
            ));
        };
        let key = (
            session.tenant,
            generation,
            location,
            since.unwrap_or_default().to_owned(),
            size,
        );
        let metrics = crate::metrics::metrics();
        let mut loaded = false;
        let page = self
            .pages
            .try_get_with(key, async {
                loaded = true;
                self.loads.fetch_add(1, Ordering::Relaxed);
                pull::changes(session, db, Some(location), since, first)
                    .await
                    .map(Arc::new)
            })
            .await
            .map_err(|e| AppError::from_shared(&e))?;
        metrics.pull_page(if loaded { "database" } else { "memory" });
        Ok(page)
    }
}

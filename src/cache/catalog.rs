//! The product-lookup cache: an in-process L1 (moka) in front of Redis (L2,
//! when configured) in front of the database.
//!
//! # Invalidation
//! Each tenant has a cache *generation*, and every key carries the tenant
//! and its generation, so changing the generation retires every entry of
//! the tenant at once. A loader reads the generation before it reads the
//! database, so what it stores is never older than the key it stores under.
//!
//! Without Redis the generation is a local counter. With Redis it is a
//! random number at `pos:v1:{tenant}:gen` (random, so a Redis restart that
//! loses it can never bring an old number, and old entries, back). When a
//! write commits, its replica switches to a new random generation at once,
//! then sets it in Redis and publishes it in one atomic step; every
//! replica's subscriber adopts it (see `invalidation`).
//!
//! A replica that cannot hear invalidations (subscriber down, or no
//! heartbeat for 1.5 s) stops using Redis entries and treats its own as
//! fresh for one second only. Redis calls are bounded at 50 ms; after a
//! failure Redis is skipped for a second and lookups go to the database.
//!
//! Stock levels change with every sale, far more often than the catalog,
//! so they have generations of their own, one per location
//! ([`Scope::Stock`]), kept and published the same way; a sale retires
//! only its location's cached levels (`cache::stock`).

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use moka::future::Cache;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::Redis;
use super::invalidation;
pub(super) use super::scope::Scope;
use crate::auth::Session;
use crate::error::Result;

pub(super) const REDIS_CALL: Duration = Duration::from_millis(50);
/// How long an L1 entry counts as fresh while invalidations cannot be heard.
const BLIND_FRESHNESS: Duration = Duration::from_secs(1);

pub(super) struct Entry<T> {
    value: Option<Arc<T>>,
    stored: Instant,
}

impl<T> Clone for Entry<T> {
    fn clone(&self) -> Self {
        Self {
            value: self.value.clone(),
            stored: self.stored,
        }
    }
}

pub(super) type Key = (Scope, u64, String);

/// The generation a loader ran under (`None`: uncached, Redis unreachable).
/// A loader reads the database after its generation was read, so data one
/// loader read may be stored by another loader that saw the same
/// generation: it is no older than that loader's key. Generations are never
/// reused, so equal means no catalog write came in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen(Option<u64>);

/// Drops a scope's entries from one tier (all of them, if moka cannot
/// take the predicate).
pub(super) fn forget<T: Send + Sync + 'static>(tier: &Cache<Key, Entry<T>>, scope: Scope) {
    if tier
        .invalidate_entries_if(move |k, _| k.0 == scope)
        .is_err()
    {
        tier.invalidate_all();
    }
}

pub(super) fn l1<T: Send + Sync + 'static>(capacity: u64) -> Cache<Key, Entry<T>> {
    Cache::builder()
        .max_capacity(capacity)
        .time_to_live(Duration::from_secs(300))
        .support_invalidation_closures()
        .build()
}

/// A fresh generation number; random so that it is never reused.
pub(super) fn new_generation() -> u64 {
    Uuid::now_v7().as_u128() as u64
}

pub(super) struct Inner {
    /// The owners' cached types (`tiers`), made on first use.
    pub(super) tiers: super::tiers::Tiers,
    pub(super) capacity: u64,
    tenants: Cache<Key, Entry<()>>,
    pub(super) levels: Cache<Key, Entry<super::LevelSnapshot>>,
    pub(super) generations: RwLock<HashMap<Scope, u64>>,
    pub(super) redis: Option<Redis>,
    /// True while invalidations from other replicas can be heard (always,
    /// without Redis: there are no other replicas to hear).
    pub(super) listening: AtomicBool,
    /// Bumped whenever the subscriber (re)connects or goes deaf, so a
    /// generation read before that is not adopted after it.
    pub(super) epoch: AtomicU64,
    pub(super) redis_skip_until: Mutex<Option<Instant>>,
    /// Tenants whose cached data changed, here or (heard over Redis) on
    /// another replica: what `catalogChanged` subscriptions wait on.
    pub(super) changed: tokio::sync::broadcast::Sender<Uuid>,
}

/// Cheap to clone; one per process.
#[derive(Clone)]
pub struct CatalogCache {
    pub(super) inner: Arc<Inner>,
}

impl CatalogCache {
    /// Builds the cache and, with Redis, starts the invalidation subscriber
    /// and its heartbeat.
    pub fn new(redis: Option<Redis>, capacity: u64) -> Self {
        let cache = Self {
            inner: Arc::new(Inner {
                tiers: Default::default(),
                capacity,
                tenants: l1(capacity),
                levels: l1(capacity),
                generations: RwLock::default(),
                listening: AtomicBool::new(redis.is_none()),
                epoch: AtomicU64::new(0),
                redis,
                redis_skip_until: Mutex::default(),
                changed: tokio::sync::broadcast::channel(1024).0,
            }),
        };
        if cache.inner.redis.is_some() {
            invalidation::start(&cache);
        }
        cache
    }

    /// Tenants whose catalog (or other cached data) changed, on any
    /// replica, from now on.
    pub fn changes(&self) -> tokio::sync::broadcast::Receiver<Uuid> {
        self.inner.changed.subscribe()
    }

    /// That the session's tenant exists, checked with `load` on a miss.
    /// Only a tenant that exists is remembered: `load` refuses a missing
    /// one with an error, which is not cached, so a tenant created a moment
    /// later is seen at once.
    pub async fn tenant<F, Fut>(&self, session: &Session, load: F) -> Result<()>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<()>>,
    {
        self.cached(
            &self.inner.tenants,
            Scope::Tenant(session.tenant),
            "tenant",
            "",
            |_| async { load().await.map(Some) },
        )
        .await
        .map(|_| ())
    }

    pub(super) async fn cached<T, F, Fut>(
        &self,
        l1: &Cache<Key, Entry<T>>,
        scope: Scope,
        kind: &str,
        id: &str,
        load: F,
    ) -> Result<Option<Arc<T>>>
    where
        T: Serialize + DeserializeOwned + Send + Sync + 'static,
        F: FnOnce(Seen) -> Fut,
        Fut: Future<Output = Result<Option<T>>>,
    {
        let Some(generation) = self.generation(scope).await else {
            // Redis is configured but unreachable and this tenant's
            // generation is unknown: serve from the database, uncached.
            return Ok(load(Seen(None)).await?.map(Arc::new));
        };
        let listening = self.inner.listening.load(Ordering::Relaxed);
        let key = (scope, generation, format!("{kind}:{id}"));
        let m = crate::metrics::metrics();
        if let Some(entry) = l1.get(&key).await
            && (listening || entry.stored.elapsed() < BLIND_FRESHNESS)
        {
            m.l1_hits.inc();
            return Ok(entry.value);
        }
        m.l1_misses.inc();
        // Redis entries are only trusted while invalidations can be heard.
        let l2_key = listening.then(|| format!("{}:{}", scope.entry_prefix(generation), key.2));
        let from_redis = match &l2_key {
            Some(l2_key) => {
                let found = self.redis_get(l2_key).await;
                let counter = if found.is_some() {
                    &m.redis_hits
                } else {
                    &m.redis_misses
                };
                counter.inc();
                found
            }
            None => None,
        };
        if let Some(bytes) = from_redis
            && let Ok(value) = serde_json::from_slice::<Option<T>>(&bytes)
        {
            let value = value.map(Arc::new);
            l1.insert(
                key,
                Entry {
                    value: value.clone(),
                    stored: Instant::now(),
                },
            )
            .await;
            return Ok(value);
        }
        let value = load(Seen(Some(generation))).await?;
        if let Some(l2_key) = &l2_key
            && let Ok(bytes) = serde_json::to_vec(&value)
        {
            self.redis_set(l2_key, bytes).await;
        }
        let value = value.map(Arc::new);
        l1.insert(
            key,
            Entry {
                value: value.clone(),
                stored: Instant::now(),
            },
        )
        .await;
        Ok(value)
    }

    /// Retires every cached entry of `tenant`, here at once and on every
    /// replica through Redis. Called when a write that changes cached data
    /// commits; the Redis part runs detached, so a cancelled request cannot
    /// skip it.
    pub fn invalidate(&self, tenant: Uuid) {
        let _no_listeners = self.inner.changed.send(tenant);
        self.invalidate_scope(Scope::Tenant(tenant));
    }

    /// Retires every cached entry of the scope, here at once and on every
    /// replica through Redis.
    pub(super) fn invalidate_scope(&self, scope: Scope) {
        if self.inner.redis.is_none() {
            self.set_local(scope, None);
            return;
        }
        // The new generation applies here at once (so this replica reads
        // its own writes, bypassing Redis entries of the old generation),
        // and everywhere else once published.
        let generation = new_generation();
        self.set_local(scope, Some(generation));
        self.drop_local(scope);
        let cache = self.clone();
        tokio::spawn(
            async move { invalidation::publish_until_done(cache, scope, generation).await },
        );
    }

    /// Sets (or, with `None`, advances) the local generation of a scope.
    pub(super) fn set_local(&self, scope: Scope, to: Option<u64>) -> u64 {
        let mut generations = self
            .inner
            .generations
            .write()
            .unwrap_or_else(|e| e.into_inner());
        let entry = generations.entry(scope).or_insert(0);
        *entry = to.unwrap_or(*entry + 1);
        *entry
    }

    pub(super) fn drop_local(&self, scope: Scope) {
        let inner = &self.inner;
        match scope {
            Scope::Stock(_) => forget(&inner.levels, scope),
            Scope::Tenant(_) => {
                inner.tiers.forget(scope);
                forget(&inner.tenants, scope);
            }
        }
    }
}

impl crate::tenancy::CommitHook for CatalogCache {
    fn cached_data_changed(&self, tenant: Uuid) {
        self.invalidate(tenant);
    }

    fn stock_levels_changed(&self, _tenant: Uuid, locations: &[Uuid]) {
        CatalogCache::stock_levels_changed(self, locations);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(tenant: Uuid) -> Session {
        Session {
            tenant,
            subject: "test".into(),
            roles: Vec::new(),
            terminal: None,
            location: None,
        }
    }

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Place;
    impl super::super::Cached for Place {
        const KIND: &'static str = "place";
    }
    #[derive(serde::Serialize, serde::Deserialize)]
    struct Scan;
    impl super::super::Cached for Scan {
        const KIND: &'static str = "scan";
    }

    /// What `load` was handed, for a miss on a place then one on a scan.
    async fn seen_by_place_then_scan(
        cache: &CatalogCache,
        tenant: Uuid,
        write: bool,
    ) -> (Seen, Seen) {
        let session = session(tenant);
        let mut first = None;
        let place = cache
            .get::<Place, _, _>(&session, &Uuid::now_v7().to_string(), |seen| {
                first = Some(seen);
                async { Ok(None) }
            })
            .await;
        assert!(matches!(place, Ok(None)));
        if write {
            cache.invalidate(tenant);
        }
        let mut second = None;
        let scan = cache
            .get::<Scan, _, _>(&session, &Uuid::now_v7().to_string(), |seen| {
                second = Some(seen);
                async { Ok(None) }
            })
            .await;
        assert!(matches!(scan, Ok(None)));
        (first.expect("place missed"), second.expect("scan missed"))
    }

    #[tokio::test]
    async fn loaders_share_a_generation_until_a_write_commits() {
        let cache = CatalogCache::new(None, 100);
        let tenant = Uuid::now_v7();
        let (place, scan) = seen_by_place_then_scan(&cache, tenant, false).await;
        assert_eq!(
            place, scan,
            "no write: a read made for one may serve the other"
        );
        let (place, scan) = seen_by_place_then_scan(&cache, tenant, true).await;
        assert_ne!(
            place, scan,
            "a write in between must not let the older read through"
        );
        // Another tenant's write changes nothing here.
        let (place, _) = seen_by_place_then_scan(&cache, tenant, false).await;
        cache.invalidate(Uuid::now_v7());
        let (again, _) = seen_by_place_then_scan(&cache, tenant, false).await;
        assert_eq!(place, again);
    }
}

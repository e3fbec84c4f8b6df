//! The product-lookup cache: an in-process L1 (moka) in front of Redis (L2,
//! when configured) in front of the database.
//!
//! # Invalidation
//! Each tenant has a catalog *generation*. Every cache key carries the
//! tenant and its generation, so bumping the generation retires every entry
//! of that tenant at once, and a reader that loaded data before a write can
//! only store it under the old generation, where nobody looks.
//!
//! With Redis, the generation is `INCR pos:v1:{tenant}:gen`; the writer
//! publishes the new value on `pos:v1:catalog`, and every replica's
//! subscriber adopts it. While the subscriber is disconnected a replica
//! cannot hear of writes, so its L1 entries count as fresh for one second
//! only; after reconnecting it forgets the generations it knew and reads
//! them again. Redis calls are bounded at 50 ms; after a failure Redis is
//! skipped for a second, and lookups go to the database.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use moka::future::Cache;
use redis::AsyncCommands;
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::Redis;
use crate::auth::Session;
use crate::catalog::lookup::{PlaceSnapshot, ScanSnapshot};

/// What a device-token check needs to know about a terminal.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TerminalSnapshot {
    pub active: bool,
    pub location: Uuid,
}
use crate::error::Result;

const CHANNEL: &str = "pos:v1:catalog";
const REDIS_CALL: Duration = Duration::from_millis(50);
const REDIS_BACKOFF: Duration = Duration::from_secs(1);
/// How long an L1 entry counts as fresh while invalidations cannot be heard.
const BLIND_FRESHNESS: Duration = Duration::from_secs(1);
const L2_TTL_SECS: u64 = 600;

struct Entry<T> {
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

fn l1<T: Send + Sync + 'static>(capacity: u64) -> Cache<Key, Entry<T>> {
    Cache::builder()
        .max_capacity(capacity)
        .time_to_live(Duration::from_secs(300))
        .support_invalidation_closures()
        .build()
}

type Key = (Uuid, u64, String);

struct Inner {
    scans: Cache<Key, Entry<ScanSnapshot>>,
    places: Cache<Key, Entry<PlaceSnapshot>>,
    terminals: Cache<Key, Entry<TerminalSnapshot>>,
    generations: RwLock<HashMap<Uuid, u64>>,
    redis: Option<Redis>,
    /// True while invalidations from other replicas can be heard (always,
    /// without Redis: there are no other replicas to hear).
    listening: AtomicBool,
    redis_skip_until: Mutex<Option<Instant>>,
}

/// Cheap to clone; one per process.
#[derive(Clone)]
pub struct CatalogCache {
    inner: Arc<Inner>,
}

impl CatalogCache {
    /// Builds the cache and, with Redis, starts the invalidation subscriber.
    pub fn new(redis: Option<Redis>, capacity: u64) -> Self {
        let cache = Self {
            inner: Arc::new(Inner {
                scans: l1(capacity),
                places: l1(capacity),
                terminals: l1(capacity),
                generations: RwLock::default(),
                listening: AtomicBool::new(redis.is_none()),
                redis,
                redis_skip_until: Mutex::default(),
            }),
        };
        if cache.inner.redis.is_some() {
            tokio::spawn(subscribe(Arc::downgrade(&cache.inner)));
        }
        cache
    }

    /// The scan snapshot for a barcode, loading it with `load` on a miss.
    pub async fn scan<F, Fut>(
        &self,
        session: &Session,
        code: &str,
        load: F,
    ) -> Result<Option<Arc<ScanSnapshot>>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<ScanSnapshot>>>,
    {
        let inner = &self.inner;
        self.cached(&inner.scans, session.tenant, "scan", code, load)
            .await
    }

    /// The pricing facts of a location, loading them on a miss.
    pub async fn place<F, Fut>(
        &self,
        session: &Session,
        location: Uuid,
        load: F,
    ) -> Result<Option<Arc<PlaceSnapshot>>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<PlaceSnapshot>>>,
    {
        let inner = &self.inner;
        self.cached(
            &inner.places,
            session.tenant,
            "place",
            &location.to_string(),
            load,
        )
        .await
    }

    /// A terminal's status for device-token checks, loading it on a miss.
    /// A revocation invalidates it like a catalog write does.
    pub async fn terminal<F, Fut>(
        &self,
        session: &Session,
        terminal: Uuid,
        load: F,
    ) -> Result<Option<Arc<TerminalSnapshot>>>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<TerminalSnapshot>>>,
    {
        let inner = &self.inner;
        self.cached(
            &inner.terminals,
            session.tenant,
            "terminal",
            &terminal.to_string(),
            load,
        )
        .await
    }

    async fn cached<T, F, Fut>(
        &self,
        l1: &Cache<Key, Entry<T>>,
        tenant: Uuid,
        kind: &str,
        id: &str,
        load: F,
    ) -> Result<Option<Arc<T>>>
    where
        T: Serialize + DeserializeOwned + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Option<T>>>,
    {
        let Some(generation) = self.generation(tenant).await else {
            // Redis is configured but unreachable and this tenant's
            // generation is unknown: serve from the database, uncached.
            return Ok(load().await?.map(Arc::new));
        };
        let key = (tenant, generation, format!("{kind}:{id}"));
        if let Some(entry) = l1.get(&key).await {
            let fresh = self.inner.listening.load(Ordering::Relaxed)
                || entry.stored.elapsed() < BLIND_FRESHNESS;
            if fresh {
                return Ok(entry.value);
            }
        }
        let l2_key = format!("pos:v1:{tenant}:g{generation}:{}", key.2);
        if let Some(bytes) = self.redis_get(&l2_key).await
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
        let value = load().await?;
        if let Ok(bytes) = serde_json::to_vec(&value) {
            self.redis_set(&l2_key, bytes).await;
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

    /// Retires every cached entry of `tenant`, here and on every replica.
    /// Called after a catalog write commits.
    pub async fn invalidate(&self, tenant: Uuid) {
        if self.inner.redis.is_none() {
            self.bump_local(tenant, None);
            return;
        }
        let published = match self.redis_if_up() {
            Some(redis) => self.publish(&redis, tenant).await,
            None => Err("redis is backing off".to_owned()),
        };
        match published {
            Ok(generation) => {
                self.bump_local(tenant, Some(generation));
            }
            Err(e) => {
                // Generations stay Redis's own; drop this replica's entries
                // directly, and keep trying to tell the others.
                tracing::warn!(error = %e, "catalog invalidation via Redis failed; retrying");
                self.note_redis_failure();
                self.drop_local(tenant);
                tokio::spawn(retry_invalidation(self.clone(), tenant));
            }
        }
    }

    fn drop_local(&self, tenant: Uuid) {
        let scans = self
            .inner
            .scans
            .invalidate_entries_if(move |k, _| k.0 == tenant);
        let places = self
            .inner
            .places
            .invalidate_entries_if(move |k, _| k.0 == tenant);
        if scans.is_err() || places.is_err() {
            self.inner.scans.invalidate_all();
            self.inner.places.invalidate_all();
        }
    }

    async fn publish(&self, redis: &Redis, tenant: Uuid) -> std::result::Result<u64, String> {
        let work = async {
            let mut conn = redis.connection().await.map_err(|e| e.to_string())?;
            let generation: u64 = conn
                .incr(format!("pos:v1:{tenant}:gen"), 1)
                .await
                .map_err(|e| e.to_string())?;
            let _: i64 = conn
                .publish(CHANNEL, format!("{tenant}:{generation}"))
                .await
                .map_err(|e| e.to_string())?;
            Ok(generation)
        };
        tokio::time::timeout(REDIS_CALL * 4, work)
            .await
            .map_err(|_| "timed out".to_owned())?
    }

    fn bump_local(&self, tenant: Uuid, to: Option<u64>) -> u64 {
        let mut generations = self
            .inner
            .generations
            .write()
            .unwrap_or_else(|e| e.into_inner());
        let entry = generations.entry(tenant).or_insert(0);
        *entry = match to {
            Some(g) => (*entry).max(g),
            None => *entry + 1,
        };
        *entry
    }

    async fn generation(&self, tenant: Uuid) -> Option<u64> {
        if let Some(g) = self
            .inner
            .generations
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&tenant)
        {
            return Some(*g);
        }
        let from_redis = match self.redis_if_up() {
            Some(redis) => {
                let work = async {
                    let mut conn = redis.connection().await.ok()?;
                    conn.get::<_, Option<u64>>(format!("pos:v1:{tenant}:gen"))
                        .await
                        .ok()
                };
                match tokio::time::timeout(REDIS_CALL, work).await {
                    Ok(Some(g)) => Some(g.unwrap_or(0)),
                    _ => {
                        self.note_redis_failure();
                        None
                    }
                }
            }
            None => Some(0),
        };
        from_redis.map(|g| self.bump_local(tenant, Some(g)))
    }

    fn redis_if_up(&self) -> Option<Redis> {
        let redis = self.inner.redis.as_ref()?;
        let skip = self
            .inner
            .redis_skip_until
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match *skip {
            Some(until) if Instant::now() < until => None,
            _ => Some(redis.clone()),
        }
    }

    fn note_redis_failure(&self) {
        *self
            .inner
            .redis_skip_until
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + REDIS_BACKOFF);
    }

    async fn redis_get(&self, key: &str) -> Option<Vec<u8>> {
        let redis = self.redis_if_up()?;
        let work = async {
            let mut conn = redis.connection().await.ok()?;
            conn.get::<_, Option<Vec<u8>>>(key).await.ok()
        };
        match tokio::time::timeout(REDIS_CALL, work).await {
            Ok(Some(value)) => value,
            _ => {
                self.note_redis_failure();
                None
            }
        }
    }

    async fn redis_set(&self, key: &str, value: Vec<u8>) {
        let Some(redis) = self.redis_if_up() else {
            return;
        };
        let work = async {
            let mut conn = redis.connection().await.ok()?;
            conn.set_ex::<_, _, ()>(key, value, L2_TTL_SECS).await.ok()
        };
        if !matches!(tokio::time::timeout(REDIS_CALL, work).await, Ok(Some(()))) {
            self.note_redis_failure();
        }
    }
}

async fn retry_invalidation(cache: CatalogCache, tenant: Uuid) {
    for _ in 0..600 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let Some(redis) = cache.inner.redis.clone() else {
            return;
        };
        if let Ok(generation) = cache.publish(&redis, tenant).await {
            cache.bump_local(tenant, Some(generation));
            cache.drop_local(tenant);
            return;
        }
    }
    tracing::error!(%tenant, "gave up publishing a catalog invalidation after 5 minutes");
}

/// Follows invalidations published by other replicas until the cache is
/// dropped, reconnecting with backoff.
async fn subscribe(inner: std::sync::Weak<Inner>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let Some(redis) = strong.redis.clone() else {
            return;
        };
        drop(strong);
        let mut pubsub = redis.client().get_async_pubsub().await.ok();
        let subscribed = match pubsub.as_mut() {
            Some(p) => p.subscribe(CHANNEL).await.is_ok(),
            None => false,
        };
        if let Some(pubsub) = pubsub.filter(|_| subscribed) {
            backoff = Duration::from_millis(100);
            if let Some(strong) = inner.upgrade() {
                // Writes may have happened while deaf: relearn them.
                strong
                    .generations
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .clear();
                strong.listening.store(true, Ordering::Relaxed);
            }
            let mut messages = pubsub.into_on_message();
            while let Some(msg) = messages.next().await {
                let Some(strong) = inner.upgrade() else {
                    return;
                };
                let payload: String = msg.get_payload().unwrap_or_default();
                if let Some((tenant, generation)) = payload.split_once(':')
                    && let (Ok(tenant), Ok(generation)) =
                        (tenant.parse::<Uuid>(), generation.parse::<u64>())
                {
                    let mut generations = strong
                        .generations
                        .write()
                        .unwrap_or_else(|e| e.into_inner());
                    let entry = generations.entry(tenant).or_insert(0);
                    *entry = (*entry).max(generation);
                }
            }
        }
        if let Some(strong) = inner.upgrade() {
            strong.listening.store(false, Ordering::Relaxed);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

impl crate::tenancy::CommitHook for CatalogCache {
    fn cached_data_changed(&self, tenant: Uuid) -> futures_util::future::BoxFuture<'static, ()> {
        let cache = self.clone();
        Box::pin(async move { cache.invalidate(tenant).await })
    }
}

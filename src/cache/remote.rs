//! The Redis side of the cache: each scope's generation (a random number
//! kept at its key), and bounded gets and sets that skip Redis for a
//! second after a failure.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use uuid::Uuid;

use super::Redis;
use super::catalog::{CatalogCache, REDIS_CALL, new_generation};
use super::scope::Scope;

const REDIS_BACKOFF: Duration = Duration::from_secs(1);
const L2_TTL_SECS: u64 = 600;

impl CatalogCache {
    /// The tenant's current generation, when values cached under it can be
    /// trusted now: invalidations are heard (or there is no Redis, so no
    /// other replica to hear). `None` means read the database.
    pub async fn trusted_generation(&self, tenant: Uuid) -> Option<u64> {
        let generation = self.generation(Scope::Tenant(tenant)).await?;
        self.inner
            .listening
            .load(Ordering::Relaxed)
            .then_some(generation)
    }

    pub(super) async fn generation(&self, scope: Scope) -> Option<u64> {
        if let Some(g) = self
            .inner
            .generations
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&scope)
        {
            return Some(*g);
        }
        let Some(redis) = self.redis_if_up() else {
            return if self.inner.redis.is_none() {
                Some(self.set_local(scope, Some(0)))
            } else {
                None
            };
        };
        let epoch = self.inner.epoch.load(Ordering::SeqCst);
        let key = scope.generation_key();
        let work = async {
            let mut conn = redis.connection().await.ok()?;
            // A tenant with no generation yet (or one lost in a Redis
            // restart) gets a fresh random one.
            let (_, g): (bool, u64) = redis::pipe()
                .atomic()
                .set_nx(&key, new_generation())
                .get(&key)
                .query_async(&mut conn)
                .await
                .ok()?;
            Some(g)
        };
        match tokio::time::timeout(REDIS_CALL, work).await {
            Ok(Some(g)) => {
                let mut generations = self
                    .inner
                    .generations
                    .write()
                    .unwrap_or_else(|e| e.into_inner());
                // Adopt it only if no (re)subscription happened meanwhile.
                if self.inner.epoch.load(Ordering::SeqCst) == epoch {
                    generations.entry(scope).or_insert(g);
                }
                Some(g)
            }
            _ => {
                self.note_redis_failure();
                None
            }
        }
    }

    pub(super) fn redis_if_up(&self) -> Option<Redis> {
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

    pub(super) fn note_redis_failure(&self) {
        *self
            .inner
            .redis_skip_until
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now() + REDIS_BACKOFF);
    }

    pub(crate) async fn redis_get(&self, key: &str) -> Option<Vec<u8>> {
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

    pub(crate) async fn redis_set(&self, key: &str, value: Vec<u8>) {
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

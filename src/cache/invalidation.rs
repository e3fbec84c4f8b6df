//! Cross-replica invalidation over Redis: publishing new generations, and
//! the subscriber that adopts them, with a heartbeat so a silent, broken
//! subscription is noticed within 1.5 s.

use std::sync::Weak;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures_util::StreamExt;

use super::catalog::{CatalogCache, Inner, REDIS_CALL, Scope};

pub(super) const CHANNEL: &str = "pos:v1:catalog";
const HEARTBEAT: &str = "heartbeat";
const HEARTBEAT_EVERY: Duration = Duration::from_millis(500);
/// Silence on the channel for this long means the subscription is broken.
const DEAF_AFTER: Duration = Duration::from_millis(1500);

pub(super) fn start(cache: &CatalogCache) {
    tokio::spawn(subscribe(std::sync::Arc::downgrade(&cache.inner)));
    tokio::spawn(heartbeat(std::sync::Arc::downgrade(&cache.inner)));
}

/// Sets the scope's new generation and publishes it in one atomic step (so
/// the order of generations and of messages agree), retrying for five
/// minutes.
pub(super) async fn publish_until_done(cache: CatalogCache, scope: Scope, generation: u64) {
    for attempt in 0..600 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        let Some(redis) = cache.inner.redis.clone() else {
            return;
        };
        let work = async {
            let mut conn = redis.connection().await.ok()?;
            redis::pipe()
                .atomic()
                .set(scope.generation_key(), generation)
                .ignore()
                .publish(CHANNEL, scope.message(generation))
                .ignore()
                .query_async::<()>(&mut conn)
                .await
                .ok()
        };
        if let Ok(Some(())) = tokio::time::timeout(REDIS_CALL * 4, work).await {
            return;
        }
        if attempt == 0 {
            tracing::warn!(?scope, "publishing a cache invalidation failed; retrying");
        }
        cache.note_redis_failure();
    }
    tracing::error!(
        ?scope,
        "gave up publishing a cache invalidation after 5 minutes"
    );
}

/// Publishes a heartbeat every 500 ms, so every subscriber (this one too)
/// can tell a quiet channel from a broken one.
async fn heartbeat(inner: Weak<Inner>) {
    loop {
        tokio::time::sleep(HEARTBEAT_EVERY).await;
        let Some(redis) = inner.upgrade().and_then(|i| i.redis.clone()) else {
            return;
        };
        let work = async {
            let mut conn = redis.connection().await.ok()?;
            redis::cmd("PUBLISH")
                .arg(CHANNEL)
                .arg(HEARTBEAT)
                .query_async::<i64>(&mut conn)
                .await
                .ok()
        };
        let _ = tokio::time::timeout(REDIS_CALL * 4, work).await;
    }
}

fn go_deaf(inner: &Inner) {
    inner.listening.store(false, Ordering::SeqCst);
    inner.epoch.fetch_add(1, Ordering::SeqCst);
}

/// Follows published generations until the cache is dropped, reconnecting
/// with backoff.
async fn subscribe(inner: Weak<Inner>) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let Some(redis) = inner.upgrade().and_then(|i| i.redis.clone()) else {
            return;
        };
        let mut pubsub = redis.client().get_async_pubsub().await.ok();
        let subscribed = match pubsub.as_mut() {
            Some(p) => p.subscribe(CHANNEL).await.is_ok(),
            None => false,
        };
        if let Some(pubsub) = pubsub.filter(|_| subscribed) {
            backoff = Duration::from_millis(100);
            if let Some(strong) = inner.upgrade() {
                // Writes may have happened while deaf: forget what we knew,
                // and re-read generations from Redis.
                strong.epoch.fetch_add(1, Ordering::SeqCst);
                strong
                    .generations
                    .write()
                    .unwrap_or_else(|e| e.into_inner())
                    .clear();
                strong.listening.store(true, Ordering::SeqCst);
            }
            let mut messages = pubsub.into_on_message();
            loop {
                let next = tokio::time::timeout(DEAF_AFTER, messages.next()).await;
                let Some(strong) = inner.upgrade() else {
                    return;
                };
                let Ok(Some(msg)) = next else {
                    tracing::warn!("cache invalidation channel silent or closed; reconnecting");
                    break;
                };
                let payload: String = msg.get_payload().unwrap_or_default();
                if let Some((scope, generation)) = Scope::parse(&payload) {
                    strong
                        .generations
                        .write()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(scope, generation);
                    if let Scope::Tenant(tenant) = scope {
                        let _no_listeners = strong.changed.send(tenant);
                    }
                }
            }
        }
        if let Some(strong) = inner.upgrade() {
            go_deaf(&strong);
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

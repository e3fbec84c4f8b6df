//! The kinds of value the cache holds for the modules above it: each
//! owner names its type and a kind (`Cached`), and the cache keeps one
//! in-process tier per type, made on first use, under the same
//! generations, Redis tier and invalidation as every other entry. So the
//! cache knows nothing of what it holds (docs/architecture.md, "The layer
//! rule").

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock};

use moka::future::Cache;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::catalog::{CatalogCache, Entry, Key, Scope, Seen, forget, l1};
use crate::auth::Session;
use crate::error::Result;

/// A value kept per tenant: retired with the tenant's generation, so by
/// every catalog write (and every write that marks its transaction as
/// changing cached data).
pub trait Cached: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// Its name in keys: `scan`, `place`, `terminal`…
    const KIND: &'static str;
}

type Forget = Box<dyn Fn(Scope) + Send + Sync>;
/// A tier, type-erased (a `Cache<Key, Entry<T>>`), and its [`Forget`].
type Erased = (Box<dyn Any + Send + Sync>, Forget);

/// One in-process tier per cached type, with what forgets a scope in it.
#[derive(Default)]
pub(super) struct Tiers {
    by_type: RwLock<HashMap<TypeId, Erased>>,
}

impl Tiers {
    /// The tier of `T`, made on first use.
    fn of<T: Cached>(&self, capacity: u64) -> Cache<Key, Entry<T>> {
        let id = TypeId::of::<T>();
        let found = self
            .by_type
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .and_then(|(tier, _)| tier.downcast_ref::<Cache<Key, Entry<T>>>().cloned());
        if let Some(tier) = found {
            return tier;
        }
        let mut all = self.by_type.write().unwrap_or_else(|e| e.into_inner());
        let (tier, _) = all.entry(id).or_insert_with(|| {
            let tier: Cache<Key, Entry<T>> = l1(capacity);
            let handle = tier.clone();
            let forget: Forget = Box::new(move |scope| forget(&handle, scope));
            (Box::new(tier) as Box<dyn Any + Send + Sync>, forget)
        });
        // Stored under its own type id just above: the cast holds. Were it
        // ever not to, a tier of its own still serves correctly.
        tier.downcast_ref::<Cache<Key, Entry<T>>>()
            .cloned()
            .unwrap_or_else(|| l1(capacity))
    }

    /// Drops every entry of `scope` in every tier.
    pub(super) fn forget(&self, scope: Scope) {
        for (_, forget) in self
            .by_type
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
        {
            forget(scope);
        }
    }
}

impl CatalogCache {
    /// The session tenant's `T` under `id`, loading it with `load` on a
    /// miss (`None`, remembered too, when there is none).
    pub async fn get<T, F, Fut>(
        &self,
        session: &Session,
        id: &str,
        load: F,
    ) -> Result<Option<Arc<T>>>
    where
        T: Cached,
        F: FnOnce(Seen) -> Fut,
        Fut: Future<Output = Result<Option<T>>>,
    {
        let tier = self.inner.tiers.of::<T>(self.inner.capacity);
        self.cached(&tier, Scope::Tenant(session.tenant), T::KIND, id, load)
            .await
    }
}

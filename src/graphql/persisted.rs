//! Persisted queries.
//!
//! - **Automatic persisted queries** (Apollo's protocol, version 1) for
//!   every client. A request may carry `extensions.persistedQuery.
//!   sha256Hash` without a `query`. A known hash runs its document. An
//!   unknown one answers `PersistedQueryNotFound` (code
//!   `PERSISTED_QUERY_NOT_FOUND`), and the client sends the hash with the
//!   text once. Only a caller with a verified token teaches the server a
//!   document, and only for its own tenant: documents are kept per tenant,
//!   in process and, with Redis, for every replica. The store is bounded in
//!   bytes, per tenant (`POS_PERSISTED_TENANT_MAX_BYTES`) and in all
//!   (`POS_PERSISTED_MAX_BYTES`); past a tenant's bound, documents still
//!   run but are not kept. In production nothing is learned: only the
//!   registered operations can be run by hash.
//! - **Registered operations** from a manifest file
//!   (`POS_PERSISTED_QUERIES_FILE`). With `POS_DEVICE_REGISTERED_ONLY`,
//!   device tokens may run only these: a terminal that is stolen or
//!   tampered with cannot send documents of its own.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::{Request, ServerError, ServerResult};
use moka::future::Cache;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::Session;
use crate::cache::CatalogCache;
use crate::error::AppError;

/// How the store of learned documents is bounded.
#[derive(Clone, Copy, Debug)]
pub struct LearnedBounds {
    /// Whether documents are learned at all (not in production).
    pub learn: bool,
    /// Bytes of learned documents one replica keeps, over all tenants.
    pub total_bytes: u64,
    /// Bytes one tenant may have kept.
    pub tenant_bytes: u64,
}

/// The registered operations and the learned ones.
#[derive(Clone)]
pub struct PersistedQueries {
    registered: Arc<HashMap<String, Arc<str>>>,
    /// Learned documents by (tenant, hash), weighed in bytes.
    learned: Cache<(Uuid, String), Arc<str>>,
    /// Bytes each tenant has in `learned`.
    held: Arc<Mutex<HashMap<Uuid, u64>>>,
    bounds: LearnedBounds,
    shared: CatalogCache,
    devices_registered_only: bool,
}

/// The manifest: Apollo's format (`operations: [{ id, body, … }]`) or a
/// plain `{ "<sha256>": "<document>" }` map.
#[derive(Deserialize)]
#[serde(untagged)]
enum Manifest {
    Apollo { operations: Vec<ManifestOperation> },
    Map(HashMap<String, String>),
}

#[derive(Deserialize)]
struct ManifestOperation {
    body: String,
}

#[derive(Deserialize)]
struct PersistedQueryExtension {
    version: i64,
    #[serde(rename = "sha256Hash")]
    sha256_hash: String,
}

pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl PersistedQueries {
    /// Loads the manifest, if any. Every entry is keyed by the SHA-256 of
    /// its text; a map entry whose key is another hash is refused, so a
    /// manifest cannot smuggle a document under a registered name.
    pub fn new(
        manifest: Option<&Path>,
        devices_registered_only: bool,
        bounds: LearnedBounds,
        shared: CatalogCache,
    ) -> Result<Self, String> {
        let mut registered = HashMap::new();
        if let Some(path) = manifest {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("persisted queries file {}: {e}", path.display()))?;
            let bodies: Vec<(Option<String>, String)> = match serde_json::from_str(&text)
                .map_err(|e| format!("persisted queries file {}: {e}", path.display()))?
            {
                Manifest::Apollo { operations } => {
                    operations.into_iter().map(|o| (None, o.body)).collect()
                }
                Manifest::Map(map) => map.into_iter().map(|(k, v)| (Some(k), v)).collect(),
            };
            for (key, body) in bodies {
                let hash = sha256_hex(&body);
                if key.is_some_and(|k| k.to_ascii_lowercase() != hash) {
                    return Err(format!(
                        "persisted queries file {}: an entry's key is not the SHA-256 of its document",
                        path.display()
                    ));
                }
                async_graphql::parser::parse_query(&body)
                    .map_err(|e| format!("persisted queries file {}: {e}", path.display()))?;
                registered.insert(hash, Arc::from(body));
            }
        } else if devices_registered_only {
            return Err(
                "POS_DEVICE_REGISTERED_ONLY needs POS_PERSISTED_QUERIES_FILE, the operations terminals may run".into(),
            );
        }
        let held: Arc<Mutex<HashMap<Uuid, u64>>> = Arc::default();
        let released = held.clone();
        Ok(Self {
            registered: Arc::new(registered),
            learned: Cache::builder()
                .weigher(|_, text: &Arc<str>| u32::try_from(text.len()).unwrap_or(u32::MAX))
                .max_capacity(bounds.total_bytes)
                .time_to_idle(Duration::from_secs(24 * 3600))
                .eviction_listener(move |key: Arc<(Uuid, String)>, text: Arc<str>, _| {
                    let mut held = released.lock().unwrap_or_else(|e| e.into_inner());
                    if let Some(bytes) = held.get_mut(&key.0) {
                        *bytes = bytes.saturating_sub(text.len() as u64);
                        if *bytes == 0 {
                            held.remove(&key.0);
                        }
                    }
                })
                .build(),
            held,
            bounds,
            shared,
            devices_registered_only,
        })
    }

    /// How many operations the manifest registered.
    pub fn registered(&self) -> usize {
        self.registered.len()
    }

    /// Puts the document of a persisted query into `request`, learns a new
    /// one for `session`'s tenant, and enforces the allow-list for device
    /// tokens.
    pub async fn resolve(
        &self,
        request: &mut Request,
        session: Option<&Session>,
    ) -> Result<(), AppError> {
        let restricted = session.is_some_and(Session::is_device) && self.devices_registered_only;
        let Some(value) = request.extensions.remove("persistedQuery") else {
            if restricted {
                return Err(AppError::Forbidden(
                    "terminals may run only registered operations: send extensions.persistedQuery.sha256Hash".into(),
                ));
            }
            return Ok(());
        };
        let ext: PersistedQueryExtension = serde_json::to_value(&value)
            .ok()
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(|| bad("extensions.persistedQuery needs version and sha256Hash"))?;
        if ext.version != 1 {
            return Err(bad("only version 1 of persisted queries is supported"));
        }
        let hash = ext.sha256_hash.to_ascii_lowercase();
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("sha256Hash must be 64 hexadecimal digits"));
        }
        if restricted {
            let text = self.registered.get(&hash).ok_or_else(|| {
                AppError::Forbidden("this operation is not registered for terminals".into())
            })?;
            if !request.query.is_empty() && request.query != **text {
                return Err(bad("the query differs from the registered operation"));
            }
            request.query = text.to_string();
            return Ok(());
        }
        let tenant = session.map(|s| s.tenant);
        if request.query.is_empty() {
            request.query = self
                .find(tenant, &hash)
                .await
                .ok_or(AppError::PersistedQueryNotFound)?
                .to_string();
            return Ok(());
        }
        if sha256_hex(&request.query) != hash {
            return Err(bad("provided sha does not match query"));
        }
        // Anonymous callers run the document but never store it; only
        // documents that parse are worth keeping.
        if let Some(tenant) = tenant
            && self.bounds.learn
            && !self.registered.contains_key(&hash)
            && async_graphql::parser::parse_query(&request.query).is_ok()
        {
            let text: Arc<str> = Arc::from(request.query.as_str());
            if self.keep(tenant, &hash, text.clone()).await {
                self.shared
                    .redis_set(&redis_key(tenant, &hash), text.as_bytes().to_vec())
                    .await;
            }
        }
        Ok(())
    }

    /// Keeps a learned document unless its tenant is at its bound; true
    /// when it was kept.
    async fn keep(&self, tenant: Uuid, hash: &str, text: Arc<str>) -> bool {
        let key = (tenant, hash.to_owned());
        if self.learned.contains_key(&key) {
            return false;
        }
        {
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            let bytes = held.entry(tenant).or_default();
            if *bytes + text.len() as u64 > self.bounds.tenant_bytes {
                tracing::info!(%tenant, "persisted-query store full for this tenant; document not kept");
                return false;
            }
            *bytes += text.len() as u64;
        }
        self.learned.insert(key, text).await;
        true
    }

    async fn find(&self, tenant: Option<Uuid>, hash: &str) -> Option<Arc<str>> {
        if let Some(text) = self.registered.get(hash) {
            return Some(text.clone());
        }
        let tenant = tenant.filter(|_| self.bounds.learn)?;
        if let Some(text) = self.learned.get(&(tenant, hash.to_owned())).await {
            return Some(text);
        }
        let bytes = self.shared.redis_get(&redis_key(tenant, hash)).await?;
        let text: Arc<str> = Arc::from(String::from_utf8(bytes).ok()?);
        // Trust Redis only as far as the hash goes.
        if sha256_hex(&text) != hash {
            return None;
        }
        self.keep(tenant, hash, text.clone()).await;
        Some(text)
    }
}

/// The allow-list inside the schema, whatever brought the request: a
/// device may run only a registered document's text. Requests over HTTP
/// and WebSocket are checked by [`PersistedQueries::resolve`] at the door
/// already; this second check (run by the schema's extension,
/// `graphql::hooks`) holds for any other way into the schema.
pub(super) fn allowed(
    persisted: &PersistedQueries,
    session: Option<&Session>,
    request: &Request,
) -> ServerResult<()> {
    let device = session.is_some_and(Session::is_device);
    if device
        && persisted.devices_registered_only
        && !persisted
            .registered
            .contains_key(&sha256_hex(&request.query))
    {
        let mut error = ServerError::new("terminals may run only registered operations", None);
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", "FORBIDDEN");
        return Err(error);
    }
    Ok(())
}

fn redis_key(tenant: Uuid, hash: &str) -> String {
    format!("pos:apq:{tenant}:{hash}")
}

fn bad(message: &str) -> AppError {
    AppError::bad_input("extensions.persistedQuery", message)
}

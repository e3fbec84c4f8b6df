//! Cache plumbing. Redis is optional and never the truth
//! (docs/architecture.md, "Caches and their invalidation"): when it is
//! down, callers fall back to the database.
//!
//! The connection is a `ConnectionManager`, which multiplexes one
//! connection and reconnects by itself; it is made lazily, so the server
//! starts and serves while Redis is unreachable.

pub mod catalog;
mod invalidation;
mod remote;
mod scope;
mod stock;
mod tiers;

pub use catalog::CatalogCache;
pub use stock::LevelSnapshot;
pub use tiers::Cached;

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

/// Bound on any single Redis call, so an unhealthy Redis slows nothing
/// down for long.
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

#[derive(Clone)]
pub struct Redis {
    client: redis::Client,
    conn: std::sync::Arc<OnceCell<ConnectionManager>>,
}

impl Redis {
    /// Parses the URL; does not connect.
    pub fn new(url: &str) -> Result<Self, redis::RedisError> {
        Ok(Self {
            client: redis::Client::open(url)?,
            conn: Default::default(),
        })
    }

    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    /// The shared connection, connecting on first use.
    pub async fn connection(&self) -> Result<ConnectionManager, redis::RedisError> {
        let client = self.client.clone();
        self.conn
            .get_or_try_init(|| async move {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(REDIS_TIMEOUT))
                    .set_response_timeout(Some(REDIS_TIMEOUT))
                    .set_number_of_retries(2);
                ConnectionManager::new_with_config(client, config).await
            })
            .await
            .cloned()
    }

    /// Readiness probe: PING within the call bound.
    pub async fn ping(&self) -> Result<(), String> {
        let work = async {
            let mut conn = self.connection().await.map_err(|e| e.to_string())?;
            redis::cmd("PING")
                .query_async::<String>(&mut conn)
                .await
                .map_err(|e| e.to_string())
        };
        match tokio::time::timeout(REDIS_TIMEOUT * 3, work).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e),
            Err(_) => Err("timed out".into()),
        }
    }
}

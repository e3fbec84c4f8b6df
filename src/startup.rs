//! Builds the application: pools, keys, schema, router and listener.
//! Tests start the real app on port 0 through [`Application::build`].

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use migration::{Migrator, MigratorTrait};
use tokio::net::TcpListener;

use crate::auth::{Keys, Rate, RateLimits};
use crate::cache::{CatalogCache, Redis};
use crate::config::Config;
use crate::graphql::documents::Documents;
use crate::graphql::persisted::{LearnedBounds, PersistedQueries};
use crate::graphql::{self, Limits};
use crate::http::admission::Admission;
use crate::http::origin::TrustedProxies;
use crate::sync::pull_cache::PullPages;
use crate::tenancy::{Db, PoolOptions};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

use crate::http::AppParts;
pub use crate::http::AppState;

impl AppState {
    /// Long on purpose: the one place the application is assembled, each
    /// part built from the configuration in dependency order. It reads top
    /// to bottom; split, the order would be harder to see.
    pub async fn new(config: Config) -> Result<Self, BoxError> {
        let keys = Arc::new(Keys::from_config(&config)?);
        if keys.uses_dev_secret {
            tracing::warn!(
                secret = crate::config::DEV_JWT_SECRET,
                "using the development JWT secret; set POS_JWT_SECRET (refused with POS_ENV=production)"
            );
        }
        if config.migrate_on_start {
            migrate_up(&config).await?;
        }
        let redis = config.redis_url.as_deref().map(Redis::new).transpose()?;
        let cache = CatalogCache::new(redis.clone(), config.cache_capacity);
        let db = Db::connect(&config.database_url, &pool_options(&config))
            .await?
            .with_hook(Arc::new(cache.clone()))
            .with_hook(Arc::new(crate::reporting::compaction::Compactor))
            .with_breaker(&config.database_url);
        #[cfg(feature = "planted-leak")]
        let db = db.with_planted_leak(config.planted_unscoped_table.clone());
        db.spawn_wal_checkpoints(Duration::from_secs(30));
        let introspection = config.introspection();
        let persisted = PersistedQueries::new(
            config.persisted_queries_file.as_deref(),
            config.device_registered_only,
            LearnedBounds {
                learn: !config.is_production(),
                total_bytes: config.edge.persisted_max_bytes,
                tenant_bytes: config.edge.persisted_tenant_max_bytes,
            },
            cache.clone(),
        )?;
        let pull_pages = PullPages::default();
        let schema = graphql::build(
            db.clone(),
            keys.clone(),
            cache.clone(),
            &Limits::default(),
            introspection,
            persisted.clone(),
            pull_pages.clone(),
        );
        let limits = Arc::new(RateLimits::new(
            Rate {
                per_second: config.rate_limit_tenant_rps,
                burst: config.rate_limit_tenant_burst,
            },
            Rate {
                per_second: config.rate_limit_terminal_rps,
                burst: config.rate_limit_terminal_burst,
            },
            Rate {
                per_second: config.edge.rate_limit_anonymous_rps,
                burst: config.edge.rate_limit_anonymous_burst,
            },
        ));
        Ok(Self::from_parts(AppParts {
            persisted,
            documents: Documents::default(),
            proxies: TrustedProxies::new(config.edge.trusted_proxies.clone()),
            pull_pages,
            admission: Admission::new(
                config
                    .edge
                    .max_inflight_reads
                    .unwrap_or(config.db_pool_size() * 8),
                config
                    .edge
                    .max_inflight_writes
                    .unwrap_or(config.db_pool_size() * 2),
                config.edge.admission_queue,
                Duration::from_millis(config.edge.admission_wait_ms),
            ),
            config: Arc::new(config),
            db,
            redis,
            cache,
            keys,
            schema,
            draining: Arc::default(),
            limits,
        }))
    }
}

pub fn pool_options(config: &Config) -> PoolOptions {
    PoolOptions {
        max_connections: config.db_pool_size(),
        statement_timeout: Duration::from_millis(config.db_statement_timeout_ms),
    }
}

/// The migration connection's pool: no statement timeout, since a
/// migration may fill a new table from a large one (PostgreSQL reads 0 as
/// none).
pub fn migration_pool_options() -> PoolOptions {
    PoolOptions {
        max_connections: 2,
        statement_timeout: Duration::ZERO,
    }
}

/// Applies pending migrations with the migration URL (a table owner).
pub async fn migrate_up(config: &Config) -> Result<(), BoxError> {
    let owner = Db::connect(config.migrate_url(), &migration_pool_options()).await?;
    Migrator::up(owner.operator().raw_connection(), None).await?;
    owner.operator().raw_connection().clone().close().await?;
    Ok(())
}

pub struct Application {
    listener: TcpListener,
    /// `POS_METRICS_LISTEN`, bound at build so a taken port fails early.
    metrics: Option<TcpListener>,
    state: AppState,
}

impl Application {
    /// Connects, migrates (unless disabled) and binds `POS_LISTEN`; port 0
    /// picks a free port, which [`Application::port`] reports.
    pub async fn build(config: Config) -> Result<Self, BoxError> {
        let listen = config.listen;
        let metrics_listen = config.metrics_listen;
        let state = AppState::new(config).await?;
        let listener = TcpListener::bind(listen).await?;
        let metrics = match metrics_listen {
            Some(addr) => Some(TcpListener::bind(addr).await?),
            None => None,
        };
        Ok(Self {
            listener,
            metrics,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn router(&self) -> Router {
        crate::http::router(self.state.clone())
    }

    /// Serves until SIGTERM or ctrl-c, then drains in-flight requests for
    /// up to `POS_SHUTDOWN_GRACE_SECS`.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let router = self.router();
        let draining = self.state.draining.clone();
        let grace = Duration::from_secs(self.state.config.shutdown_grace_secs);
        let delay = Duration::from_secs(self.state.config.shutdown_delay_secs);
        let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
        tracing::info!(address = %self.listener.local_addr()?, "serving; GraphiQL at /");
        if let Some(listener) = self.metrics {
            tracing::info!(address = %listener.local_addr()?, "serving /metrics");
            let metrics = crate::http::metrics::router(self.state.clone());
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, metrics).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            });
        }
        // The peer's address goes to the audit log.
        let router = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let server = axum::serve(self.listener, router).with_graceful_shutdown(async move {
            let signal = shutdown_signal().await;
            draining.store(true, Ordering::Relaxed);
            if signal == Signal::Terminate && !delay.is_zero() {
                // Still serving, but not ready: the load balancer sees the
                // 503 and stops routing here before connections are refused.
                tracing::info!(
                    delay_secs = delay.as_secs(),
                    "SIGTERM: /readyz answers 503; serving on until the delay ends"
                );
                tokio::time::sleep(delay).await;
            }
            tracing::info!("shutdown requested; draining in-flight requests");
            let _ = stop_tx.send(true);
        });
        let deadline = async move {
            let _ = stop_rx.wait_for(|stopped| *stopped).await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = server => result,
            () = deadline => {
                tracing::warn!("drain timeout reached; exiting with requests in flight");
                Ok(())
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signal {
    Interrupt,
    Terminate,
}

async fn shutdown_signal() -> Signal {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => Signal::Interrupt,
        () = terminate => Signal::Terminate,
    }
}

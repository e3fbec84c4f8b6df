//! Fail fast while PostgreSQL is down.
//!
//! A pool asked for a connection while the database refuses them keeps
//! retrying until its acquire timeout (5 s), so every request would hang
//! that long before failing. Instead a probe connection pings the database
//! every half second; while the ping fails, transactions are refused at
//! once with `UNAVAILABLE`, which clients retry. The first ping that
//! succeeds closes the breaker again, and the pool replaces its dead
//! connections as they are next used (each is tested before it is handed
//! out).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sea_orm::ConnectOptions;

const HEALTHY_EVERY: Duration = Duration::from_millis(500);
const DOWN_EVERY: Duration = Duration::from_millis(200);
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Debug)]
pub struct Breaker {
    open: AtomicBool,
    /// Told when the breaker opens, for requests already waiting on the
    /// pool to stop waiting.
    opened: tokio::sync::watch::Sender<bool>,
}

impl Default for Breaker {
    fn default() -> Self {
        Self {
            open: AtomicBool::new(false),
            opened: tokio::sync::watch::Sender::new(false),
        }
    }
}

impl Breaker {
    /// True while the last probe failed.
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Relaxed)
    }

    /// Completes when the breaker is (or becomes) open.
    pub async fn opened(&self) {
        let mut rx = self.opened.subscribe();
        // The sender lives as long as `self`, so this cannot fail.
        let _ = rx.wait_for(|open| *open).await;
    }

    /// Starts probing `url` for as long as the runtime lives.
    pub fn spawn(url: &str) -> Arc<Self> {
        let breaker = Arc::new(Self::default());
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.max_connections(1)
            .min_connections(0)
            .acquire_timeout(PROBE_TIMEOUT)
            .connect_timeout(PROBE_TIMEOUT)
            .connect_lazy(true)
            .sqlx_logging(false)
            .set_application_name("pos-probe");
        let this = breaker.clone();
        tokio::spawn(async move {
            let probe = match sea_orm::Database::connect(opts).await {
                Ok(probe) => probe,
                Err(e) => {
                    tracing::error!(error = %e, "cannot set up the database probe; requests wait for the pool instead of failing fast");
                    return;
                }
            };
            loop {
                let up = matches!(
                    tokio::time::timeout(PROBE_TIMEOUT * 2, probe.ping()).await,
                    Ok(Ok(()))
                );
                let was_open = this.open.swap(!up, Ordering::Relaxed);
                this.opened.send_replace(!up);
                if was_open == up {
                    if up {
                        tracing::info!("the database answers again; serving");
                    } else {
                        tracing::warn!(
                            "the database is unreachable; refusing requests with UNAVAILABLE until it answers"
                        );
                    }
                }
                tokio::time::sleep(if up { HEALTHY_EVERY } else { DOWN_EVERY }).await;
            }
        });
        breaker
    }
}

//! Fail fast while PostgreSQL is down, and only then.
//!
//! A pool asked for a connection while the database refuses them keeps
//! retrying until its acquire timeout (5 s), so every request would hang
//! that long before failing. Instead a probe pings the database every half
//! second on a connection of its own; while the database is down,
//! transactions are refused at once with `UNAVAILABLE`, which clients
//! retry. The first ping that succeeds closes the breaker again, and the
//! pool replaces its dead connections as they are next used.
//!
//! Down means a connection error: refused, reset, closed, a TLS or
//! protocol failure, or a server shutting down. A database that is only
//! slow (a ping or a connect that times out, too many connections) is
//! overloaded, not down: the breaker stays closed, and admission control
//! at the door sheds the load instead. Each change is logged with its
//! reason.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use std::str::FromStr;

use sea_orm::sqlx::postgres::{PgConnectOptions, PgConnection};
use sea_orm::sqlx::{self, Connection};

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
        let options = match PgConnectOptions::from_str(url) {
            Ok(options) => options.application_name("pos-probe"),
            Err(e) => {
                tracing::error!(error = %e, "cannot set up the database probe; requests wait for the pool instead of failing fast");
                return breaker;
            }
        };
        let this = breaker.clone();
        tokio::spawn(async move {
            let mut probe: Option<PgConnection> = None;
            let mut was_slow = false;
            loop {
                let health = check(&options, &mut probe).await;
                let down = matches!(health, Health::Down(_));
                let was_open = this.open.swap(down, Ordering::Relaxed);
                this.opened.send_replace(down);
                // Logged on changes only.
                match (&health, was_open, was_slow) {
                    (Health::Down(reason), false, _) => tracing::warn!(
                        %reason,
                        "the database is unreachable (connection error); refusing requests with UNAVAILABLE until it answers"
                    ),
                    (Health::Up, true, _) => tracing::info!("the database answers again; serving"),
                    (Health::Slow(reason), _, false) => tracing::info!(
                        %reason,
                        "the database is slow to answer (overloaded, not down); the breaker stays closed"
                    ),
                    _ => {}
                }
                was_slow = matches!(health, Health::Slow(_));
                tokio::time::sleep(if down { DOWN_EVERY } else { HEALTHY_EVERY }).await;
            }
        });
        breaker
    }
}

/// What one probe found.
enum Health {
    Up,
    /// Answering, but not in time: overloaded.
    Slow(String),
    /// A connection error: the database is unreachable.
    Down(String),
}

/// Pings on the probe's connection, connecting first when it has none (or
/// lost it).
async fn check(options: &PgConnectOptions, probe: &mut Option<PgConnection>) -> Health {
    if let Some(conn) = probe.as_mut() {
        match tokio::time::timeout(PROBE_TIMEOUT * 2, conn.ping()).await {
            Ok(Ok(())) => return Health::Up,
            // A ping that does not come back in time on a live connection:
            // the server is busy. The connection is dropped (its answer
            // may still come) and the next probe connects afresh.
            Err(_) => {
                *probe = None;
                return Health::Slow("a ping took over 2 s".into());
            }
            Ok(Err(_)) => *probe = None,
        }
    }
    match tokio::time::timeout(PROBE_TIMEOUT * 2, PgConnection::connect_with(options)).await {
        Ok(Ok(mut conn)) => match tokio::time::timeout(PROBE_TIMEOUT * 2, conn.ping()).await {
            Ok(Ok(())) => {
                *probe = Some(conn);
                Health::Up
            }
            Ok(Err(e)) => classify(e),
            Err(_) => Health::Slow("a ping on a new connection took over 2 s".into()),
        },
        Ok(Err(e)) => classify(e),
        Err(_) => Health::Slow("connecting took over 2 s".into()),
    }
}

/// Whether a probe's error means the database is down or only busy.
fn classify(error: sqlx::Error) -> Health {
    match &error {
        sqlx::Error::PoolTimedOut => Health::Slow(error.to_string()),
        // 53300 too_many_connections, 53xxx insufficient resources: busy.
        sqlx::Error::Database(e) if e.code().is_some_and(|c| c.starts_with("53")) => {
            Health::Slow(error.to_string())
        }
        _ => Health::Down(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_errors_open_the_breaker_and_overload_does_not() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(matches!(
            classify(sqlx::Error::Io(refused)),
            Health::Down(_)
        ));
        assert!(matches!(classify(sqlx::Error::PoolClosed), Health::Down(_)));
        assert!(matches!(
            classify(sqlx::Error::PoolTimedOut),
            Health::Slow(_)
        ));
    }

    #[tokio::test]
    async fn a_refused_connection_is_down_not_slow() {
        let options = PgConnectOptions::from_str("postgres://pos@127.0.0.1:1/none").unwrap();
        let health = check(&options, &mut None).await;
        assert!(matches!(health, Health::Down(_)));
    }
}

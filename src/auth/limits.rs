//! Per-tenant, per-terminal and per-address rate limits: token buckets,
//! checked for every operation at the door (`http::door`), before any
//! GraphQL or database work. Requests without a token draw from their
//! client address's bucket.
//!
//! Each bucket holds up to `burst` requests and refills at `rate` per
//! second. A request that finds its bucket empty is refused with
//! `RATE_LIMITED` and the seconds until a request would pass. A device
//! token draws from its terminal's bucket and its tenant's; a staff token
//! from its tenant's. So one flooding terminal cannot exhaust its tenant,
//! and one flooding tenant cannot slow the others down: refusing costs a
//! token check and a map lookup.
//!
//! The buckets live in each replica's memory, so behind a load balancer a
//! tenant gets up to the limit on every replica; set the limits to the
//! total divided by the replica count. (A shared Redis bucket would make
//! them exact at the cost of a round trip on every request.)

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Session;
use crate::error::AppError;

/// Buckets are spread over shards so concurrent requests of different
/// tenants rarely wait on the same lock.
const SHARDS: usize = 16;

/// Past this many buckets in a shard, full ones (idle callers) are
/// dropped, every 256 new buckets; a full bucket is the same as no
/// bucket. Keys come from verified tokens, so only real tenants and
/// terminals make buckets.
const SHARD_CAPACITY: usize = 10_000;

/// A rate and a burst, from the configuration. A rate of 0 turns the
/// limit off.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

struct Limiter {
    rate: Rate,
    shards: Vec<Mutex<HashMap<u128, Bucket>>>,
}

impl Limiter {
    fn new(rate: Rate) -> Option<Self> {
        (rate.per_second > 0.0).then(|| Self {
            rate: Rate {
                per_second: rate.per_second,
                burst: rate.burst.max(1.0),
            },
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        })
    }

    /// Takes one request from `key`'s bucket, or says how long until one
    /// would be there.
    fn take(&self, key: u128, now: Instant) -> Result<(), Duration> {
        let Rate { per_second, burst } = self.rate;
        let shard = &self.shards[(key % SHARDS as u128) as usize];
        // A poisoned lock only means another request panicked mid-update
        // of plain numbers; the map is still usable.
        let mut buckets = shard.lock().unwrap_or_else(|e| e.into_inner());
        let len = buckets.len();
        if len >= SHARD_CAPACITY && len.is_multiple_of(256) && !buckets.contains_key(&key) {
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.at).as_secs_f64() * per_second < burst
            });
        }
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let refilled = now.duration_since(bucket.at).as_secs_f64() * per_second;
        bucket.tokens = (bucket.tokens + refilled).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_second))
        }
    }
}

/// The limits of one server.
pub struct RateLimits {
    tenant: Option<Limiter>,
    terminal: Option<Limiter>,
    anonymous: Option<Limiter>,
}

impl RateLimits {
    pub fn new(tenant: Rate, terminal: Rate, anonymous: Rate) -> Self {
        Self {
            tenant: Limiter::new(tenant),
            terminal: Limiter::new(terminal),
            anonymous: Limiter::new(anonymous),
        }
    }

    /// Admits one request without a token from `client` (requests whose
    /// address is unknown share one bucket), or refuses it with
    /// `RATE_LIMITED`.
    pub fn admit_anonymous(&self, client: Option<IpAddr>) -> Result<(), AppError> {
        let key = match client {
            Some(IpAddr::V4(v4)) => u128::from(v4.to_bits()),
            Some(IpAddr::V6(v6)) => v6.to_bits(),
            None => u128::MAX,
        };
        Self::check(&self.anonymous, key, "address", Instant::now())
    }

    fn check(
        limiter: &Option<Limiter>,
        key: u128,
        scope: &'static str,
        now: Instant,
    ) -> Result<(), AppError> {
        let Some(limiter) = limiter else {
            return Ok(());
        };
        limiter.take(key, now).map_err(|wait| {
            crate::metrics::metrics().rate_limited(scope);
            AppError::RateLimited {
                scope,
                retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
            }
        })
    }

    /// Admits one request of `session`, or refuses it with
    /// `RATE_LIMITED` and a retry-after hint in whole seconds.
    pub fn admit(&self, session: &Session) -> Result<(), AppError> {
        self.admit_at(session, Instant::now())
    }

    fn admit_at(&self, session: &Session, now: Instant) -> Result<(), AppError> {
        if let Some(terminal) = session.terminal {
            Self::check(&self.terminal, terminal.as_u128(), "terminal", now)?;
        }
        Self::check(&self.tenant, session.tenant.as_u128(), "tenant", now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn session(tenant: Uuid, terminal: Option<Uuid>) -> Session {
        Session {
            tenant,
            subject: "s".into(),
            roles: Vec::new(),
            terminal,
            location: None,
        }
    }

    fn rate(per_second: f64, burst: f64) -> Rate {
        Rate { per_second, burst }
    }

    #[test]
    fn a_bucket_allows_its_burst_then_refills_at_its_rate() {
        let limits = RateLimits::new(rate(2.0, 3.0), rate(0.0, 0.0), rate(0.0, 0.0));
        let (a, t0) = (session(Uuid::now_v7(), None), Instant::now());
        for _ in 0..3 {
            assert!(limits.admit_at(&a, t0).is_ok());
        }
        let refused = limits.admit_at(&a, t0).expect_err("over the burst");
        assert_eq!(refused.code(), "RATE_LIMITED");
        assert!(matches!(
            refused,
            AppError::RateLimited {
                scope: "tenant",
                retry_after_secs: 1
            }
        ));
        // Half a second at 2 per second is one more request, not two.
        let later = t0 + Duration::from_millis(500);
        assert!(limits.admit_at(&a, later).is_ok());
        assert!(limits.admit_at(&a, later).is_err());
    }

    #[test]
    fn one_callers_flood_leaves_the_others_alone() {
        let limits = RateLimits::new(rate(10.0, 10.0), rate(1.0, 2.0), rate(0.0, 0.0));
        let tenant = Uuid::now_v7();
        let (noisy, quiet) = (Uuid::now_v7(), Uuid::now_v7());
        let now = Instant::now();
        let noisy_terminal = session(tenant, Some(noisy));
        assert!(limits.admit_at(&noisy_terminal, now).is_ok());
        assert!(limits.admit_at(&noisy_terminal, now).is_ok());
        let refused = limits
            .admit_at(&noisy_terminal, now)
            .expect_err("terminal limit");
        assert!(matches!(
            refused,
            AppError::RateLimited {
                scope: "terminal",
                ..
            }
        ));
        // The same tenant's other terminal, and another tenant, still pass.
        assert!(limits.admit_at(&session(tenant, Some(quiet)), now).is_ok());
        assert!(limits.admit_at(&session(Uuid::now_v7(), None), now).is_ok());
    }

    #[test]
    fn anonymous_callers_are_limited_per_address() {
        let limits = RateLimits::new(rate(0.0, 0.0), rate(0.0, 0.0), rate(1.0, 2.0));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "2001:db8::1".parse().unwrap();
        assert!(limits.admit_anonymous(Some(a)).is_ok());
        assert!(limits.admit_anonymous(Some(a)).is_ok());
        let refused = limits.admit_anonymous(Some(a)).expect_err("over the burst");
        assert!(matches!(
            refused,
            AppError::RateLimited {
                scope: "address",
                ..
            }
        ));
        assert!(limits.admit_anonymous(Some(b)).is_ok());
        assert!(limits.admit_anonymous(None).is_ok());
    }

    #[test]
    fn a_zero_rate_turns_a_limit_off() {
        let limits = RateLimits::new(rate(0.0, 0.0), rate(0.0, 0.0), rate(0.0, 0.0));
        let a = session(Uuid::now_v7(), Some(Uuid::now_v7()));
        let now = Instant::now();
        assert!((0..10_000).all(|_| limits.admit_at(&a, now).is_ok()));
    }

    #[test]
    fn idle_buckets_are_dropped_when_a_shard_fills() {
        let limits = RateLimits::new(rate(1.0, 1.0), rate(0.0, 0.0), rate(0.0, 0.0));
        let Some(limiter) = &limits.tenant else {
            panic!("tenant limit on");
        };
        let held = || -> usize { limiter.shards.iter().map(|s| s.lock().unwrap().len()).sum() };
        let t0 = Instant::now();
        while held() < SHARD_CAPACITY * SHARDS {
            let _ = limits.admit_at(&session(Uuid::now_v7(), None), t0);
        }
        let before = held();
        // Five seconds on, every bucket is full again: the next sweep of a
        // shard drops all of its buckets.
        let later = t0 + Duration::from_secs(5);
        for _ in 0..SHARDS * 256 {
            let _ = limits.admit_at(&session(Uuid::now_v7(), None), later);
        }
        assert!(held() < before, "{} buckets held, {before} before", held());
    }
}

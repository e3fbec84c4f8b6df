//! Per-tenant, per-terminal and per-address rate limits, checked for
//! every operation at the door (`http::door`), before any GraphQL or
//! database work. Requests without a token draw from their client
//! address's allowance.
//!
//! Each limit is a keyed GCRA limiter (governor): up to `burst` requests
//! at once, then `rate` a second. A request over its limit is refused
//! with `RATE_LIMITED` and the seconds until a request would pass. A
//! device token draws from its terminal's allowance and its tenant's; a
//! staff token from its tenant's. So one flooding terminal cannot exhaust
//! its tenant, and one flooding tenant cannot slow the others down:
//! refusing costs a map lookup and a compare-and-swap.
//!
//! The state lives in each replica's memory, so behind a load balancer a
//! tenant gets up to the limit on every replica; set the limits to the
//! total divided by the replica count. (A shared Redis bucket would make
//! them exact at the cost of a round trip on every request.)

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::Session;
use crate::error::AppError;

/// Past this many keys in a limiter, the idle ones (whose allowance is
/// full again, the same as no state) are dropped, checked every
/// [`SWEEP_EVERY`] requests. Keys come from verified tokens, so only
/// real tenants and terminals make state; addresses are bounded the same
/// way.
const CAPACITY: usize = 100_000;
const SWEEP_EVERY: u64 = 4_096;

/// A rate and a burst, from the configuration. A rate of 0 turns the
/// limit off.
#[derive(Clone, Copy, Debug)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

type Keyed<C> =
    RateLimiter<u128, DefaultKeyedStateStore<u128>, C, NoOpMiddleware<<C as Clock>::Instant>>;

struct Limiter<C: Clock> {
    keyed: Keyed<C>,
    clock: C,
    checks: AtomicU64,
}

impl<C: Clock + Clone> Limiter<C> {
    fn new(rate: Rate, clock: &C) -> Option<Self> {
        if rate.per_second <= 0.0 || !rate.per_second.is_finite() {
            return None;
        }
        let period = Duration::from_secs_f64(1.0 / rate.per_second);
        let burst = NonZeroU32::new(rate.burst.max(1.0).round().min(f64::from(u32::MAX)) as u32)?;
        let quota = Quota::with_period(period)?.allow_burst(burst);
        Some(Self {
            keyed: RateLimiter::dashmap_with_clock(quota, clock.clone()),
            clock: clock.clone(),
            checks: AtomicU64::new(0),
        })
    }

    /// Takes one request from `key`'s allowance, or says how long until
    /// one would pass.
    fn take(&self, key: u128) -> Result<(), Duration> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1
            && self.keyed.len() > CAPACITY
        {
            self.keyed.retain_recent();
        }
        self.keyed
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// The limits of one server (on the real clock; tests pass a fake one).
pub struct RateLimits<C: Clock = DefaultClock> {
    tenant: Option<Limiter<C>>,
    terminal: Option<Limiter<C>>,
    anonymous: Option<Limiter<C>>,
}

impl RateLimits {
    pub fn new(tenant: Rate, terminal: Rate, anonymous: Rate) -> Self {
        Self::with_clock(tenant, terminal, anonymous, &DefaultClock::default())
    }
}

impl<C: Clock + Clone> RateLimits<C> {
    pub fn with_clock(tenant: Rate, terminal: Rate, anonymous: Rate, clock: &C) -> Self {
        Self {
            tenant: Limiter::new(tenant, clock),
            terminal: Limiter::new(terminal, clock),
            anonymous: Limiter::new(anonymous, clock),
        }
    }

    /// Admits one request without a token from `client` (requests whose
    /// address is unknown share one allowance), or refuses it with
    /// `RATE_LIMITED`.
    pub fn admit_anonymous(&self, client: Option<IpAddr>) -> Result<(), AppError> {
        let key = match client {
            Some(IpAddr::V4(v4)) => u128::from(v4.to_bits()),
            Some(IpAddr::V6(v6)) => v6.to_bits(),
            None => u128::MAX,
        };
        Self::check(&self.anonymous, key, "address")
    }

    fn check(limiter: &Option<Limiter<C>>, key: u128, scope: &'static str) -> Result<(), AppError> {
        let Some(limiter) = limiter else {
            return Ok(());
        };
        limiter.take(key).map_err(|wait| {
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
        if let Some(terminal) = session.terminal {
            Self::check(&self.terminal, terminal.as_u128(), "terminal")?;
        }
        Self::check(&self.tenant, session.tenant.as_u128(), "tenant")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
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

    fn limits(
        tenant: Rate,
        terminal: Rate,
        anonymous: Rate,
    ) -> (RateLimits<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (
            RateLimits::with_clock(tenant, terminal, anonymous, &clock),
            clock,
        )
    }

    #[test]
    fn a_limit_allows_its_burst_then_refills_at_its_rate() {
        let (limits, clock) = limits(rate(2.0, 3.0), rate(0.0, 0.0), rate(0.0, 0.0));
        let a = session(Uuid::now_v7(), None);
        for _ in 0..3 {
            assert!(limits.admit(&a).is_ok());
        }
        let refused = limits.admit(&a).expect_err("over the burst");
        assert_eq!(refused.code(), "RATE_LIMITED");
        assert!(matches!(
            refused,
            AppError::RateLimited {
                scope: "tenant",
                retry_after_secs: 1
            }
        ));
        // Half a second at 2 per second is one more request, not two.
        clock.advance(Duration::from_millis(500));
        assert!(limits.admit(&a).is_ok());
        assert!(limits.admit(&a).is_err());
    }

    #[test]
    fn a_slow_rate_says_how_long_to_wait() {
        // One request every 10 s: the second waits 10 s.
        let (limits, clock) = limits(rate(0.1, 1.0), rate(0.0, 0.0), rate(0.0, 0.0));
        let a = session(Uuid::now_v7(), None);
        assert!(limits.admit(&a).is_ok());
        let refused = limits.admit(&a).expect_err("one per 10 s");
        assert!(matches!(
            refused,
            AppError::RateLimited {
                retry_after_secs: 10,
                ..
            }
        ));
        clock.advance(Duration::from_secs(10));
        assert!(limits.admit(&a).is_ok());
    }

    #[test]
    fn one_callers_flood_leaves_the_others_alone() {
        let (limits, _clock) = limits(rate(10.0, 10.0), rate(1.0, 2.0), rate(0.0, 0.0));
        let tenant = Uuid::now_v7();
        let (noisy, quiet) = (Uuid::now_v7(), Uuid::now_v7());
        let noisy_terminal = session(tenant, Some(noisy));
        assert!(limits.admit(&noisy_terminal).is_ok());
        assert!(limits.admit(&noisy_terminal).is_ok());
        let refused = limits.admit(&noisy_terminal).expect_err("terminal limit");
        assert!(matches!(
            refused,
            AppError::RateLimited {
                scope: "terminal",
                ..
            }
        ));
        // The same tenant's other terminal, and another tenant, still pass.
        assert!(limits.admit(&session(tenant, Some(quiet))).is_ok());
        assert!(limits.admit(&session(Uuid::now_v7(), None)).is_ok());
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
        assert!((0..10_000).all(|_| limits.admit(&a).is_ok()));
    }

    #[test]
    fn idle_callers_are_dropped_past_the_capacity() {
        let (limits, clock) = limits(rate(1.0, 1.0), rate(0.0, 0.0), rate(0.0, 0.0));
        let Some(limiter) = &limits.tenant else {
            panic!("tenant limit on");
        };
        while limiter.keyed.len() <= CAPACITY {
            let _ = limits.admit(&session(Uuid::now_v7(), None));
        }
        let before = limiter.keyed.len();
        // Five seconds on, every allowance is full again: the next sweep
        // drops them all.
        clock.advance(Duration::from_secs(5));
        for _ in 0..SWEEP_EVERY {
            let _ = limits.admit(&session(Uuid::now_v7(), None));
        }
        let after = limiter.keyed.len();
        assert!(after < before, "{after} callers held, {before} before");
    }
}

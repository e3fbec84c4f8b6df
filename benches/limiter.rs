//! Rate-limit bookkeeping alone: the project's limits (`auth::limits`:
//! governor's keyed GCRA limiters behind the project's idle sweep, refusal
//! metric and retry-after answer) against bare governor limiters with the
//! same keys, quotas and answer, measured in the same run. The gap is
//! what the project's wrapper costs. (Before the project's limits were
//! built on governor, this compared its own sharded token buckets, and
//! governor measured 22–32 % faster: BENCHMARKS.md.)
//!
//! `cargo bench --profile release --bench limiter`. 10,000 terminals of
//! 1,000 tenants; each device request takes from its terminal's
//! allowance, then its tenant's. Scenarios: every request admitted
//! (quotas far above the load), every request refused (a flood against
//! spent allowances), and both threads admitting at once. Each figure is
//! the median of BENCH_ROUNDS (5) runs of BENCH_OPS (2,000,000) requests.
//! Knobs: BENCH_ROUNDS, BENCH_OPS.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Instant;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use pos::auth::{Rate, RateLimits, Session};
use pos::error::AppError;
use uuid::Uuid;

#[path = "support/mod.rs"]
mod support;

use support::env;

const TENANTS: usize = 1_000;
const TERMINALS_PER_TENANT: usize = 10;

/// The same two limits, through governor.
struct Governor {
    terminal: DefaultKeyedRateLimiter<u128>,
    tenant: DefaultKeyedRateLimiter<u128>,
    clock: DefaultClock,
}

impl Governor {
    fn new(rate: Rate) -> Self {
        let per_second = NonZeroU32::new(rate.per_second as u32).expect("a rate");
        let burst = NonZeroU32::new(rate.burst as u32).expect("a burst");
        let quota = Quota::per_second(per_second).allow_burst(burst);
        Self {
            terminal: governor::RateLimiter::keyed(quota),
            tenant: governor::RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        }
    }

    fn check(
        limiter: &DefaultKeyedRateLimiter<u128>,
        clock: &DefaultClock,
        key: u128,
        scope: &'static str,
    ) -> Result<(), AppError> {
        limiter.check_key(&key).map_err(|not_until| {
            pos::metrics::metrics().rate_limited(scope);
            AppError::RateLimited {
                scope,
                retry_after_secs: not_until
                    .wait_time_from(clock.now())
                    .as_secs_f64()
                    .ceil()
                    .max(1.0) as u64,
            }
        })
    }

    fn admit(&self, session: &Session) -> Result<(), AppError> {
        if let Some(terminal) = session.terminal {
            Self::check(&self.terminal, &self.clock, terminal.as_u128(), "terminal")?;
        }
        Self::check(
            &self.tenant,
            &self.clock,
            session.tenant.as_u128(),
            "tenant",
        )
    }
}

fn sessions() -> Vec<Session> {
    (0..TENANTS)
        .flat_map(|_| {
            let tenant = Uuid::now_v7();
            (0..TERMINALS_PER_TENANT).map(move |_| Session {
                tenant,
                subject: "bench".into(),
                roles: Vec::new(),
                terminal: Some(Uuid::now_v7()),
                location: Some(Uuid::nil()),
            })
        })
        .collect()
}

/// One way to admit a request.
type Admit = Arc<dyn Fn(&Session) -> Result<(), AppError> + Send + Sync>;

/// Nanoseconds per request: `threads` threads making `ops` requests in
/// all, round robin over `sessions`, each from its own offset.
fn time(ops: usize, threads: usize, sessions: &Arc<Vec<Session>>, admit: Admit) -> f64 {
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (sessions, admit) = (sessions.clone(), admit.clone());
            std::thread::spawn(move || {
                let mut admitted = 0_usize;
                for i in 0..ops / threads {
                    let s = &sessions[(i * 7 + t * 5_003) % sessions.len()];
                    admitted += usize::from(admit(s).is_ok());
                }
                admitted
            })
        })
        .collect();
    for h in handles {
        std::hint::black_box(h.join().expect("thread"));
    }
    start.elapsed().as_nanos() as f64 / ops as f64
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let rounds = env("BENCH_ROUNDS", 5);
    let ops = env("BENCH_OPS", 2_000_000);
    let sessions = Arc::new(sessions());
    let open = Rate {
        per_second: 1e9,
        burst: 1e9,
    };
    let tight = Rate {
        per_second: 1.0,
        burst: 1.0,
    };
    println!(
        "| scenario | auth::limits ns/request | governor ns/request | governor / auth::limits |"
    );
    println!("| --- | --- | --- | --- |");
    for (name, rate, threads) in [
        ("admitted, 1 thread", open, 1),
        ("admitted, 2 threads", open, 2),
        ("refused (flood), 1 thread", tight, 1),
        ("refused (flood), 2 threads", tight, 2),
    ] {
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            // Fresh limiters each round; a flood starts from spent buckets.
            let own = Arc::new(RateLimits::new(rate, rate, rate));
            let gov = Arc::new(Governor::new(rate));
            for s in sessions.iter() {
                let _ = own.admit(s);
                let _ = gov.admit(s);
            }
            let own_admit = {
                let own = own.clone();
                Arc::new(move |s: &Session| own.admit(s))
            };
            let gov_admit = {
                let gov = gov.clone();
                Arc::new(move |s: &Session| gov.admit(s))
            };
            ours.push(time(ops, threads, &sessions, own_admit));
            theirs.push(time(ops, threads, &sessions, gov_admit));
        }
        let (o, g) = (median(ours), median(theirs));
        println!("| {name} | {o:.0} | {g:.0} | {:.2} |", g / o);
    }
}

//! What the fleet did, counted as it happens.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct Stats {
    pub sales: AtomicU64,
    pub refunds: AtomicU64,
    pub cross_terminal_refunds: AtomicU64,
    pub voids: AtomicU64,
    pub stock_receipts: AtomicU64,
    pub stock_counts: AtomicU64,
    pub cash_movements: AtomicU64,
    pub pushes: AtomicU64,
    pub failed_pushes: AtomicU64,
    pub refused_pushes: AtomicU64,
    pub events_sent: AtomicU64,
    pub duplicate_answers: AtomicU64,
    pub conflicts: AtomicU64,
    pub rejected: AtomicU64,
    pub offline_spells: AtomicU64,
    pub lookups: AtomicU64,
    pub failed_lookups: AtomicU64,
    pub price_changes: AtomicU64,
    /// The longest a replica served an old price after a change, in µs.
    pub max_staleness_us: AtomicU64,
    /// Failed pushes by what came back: refused at the door (HTTP 503,
    /// admission control), rate limited (429), `UNAVAILABLE` from inside
    /// the operation (no database connection in time, a busy database),
    /// and no answer at all (timeouts, broken connections).
    pub http_503: AtomicU64,
    pub http_429: AtomicU64,
    pub unavailable: AtomicU64,
    pub no_answer: AtomicU64,
    /// Answered pushes: when they started, how long they took, and how
    /// many events their answer covered.
    latencies: Mutex<Vec<(Instant, Duration, usize)>>,
    /// How long the door took to refuse a push (HTTP 503).
    refusal_latencies: Mutex<Vec<Duration>>,
    lookup_latencies: Mutex<Vec<Duration>>,
    problems: Mutex<Vec<String>>,
}

pub fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

pub fn get(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

impl Stats {
    pub fn latency(&self, started: Instant, d: Duration, events: usize) {
        if let Ok(mut l) = self.latencies.lock() {
            l.push((started, d, events));
        }
    }

    /// Counts a failed push by what came back, `took` after it started.
    pub fn failure(&self, message: &str, took: Duration) {
        let counter = if message.contains("HTTP 503") {
            if let Ok(mut l) = self.refusal_latencies.lock() {
                l.push(took);
            }
            &self.http_503
        } else if message.contains("HTTP 429") || message.starts_with("RATE_LIMITED") {
            &self.http_429
        } else if message.starts_with("UNAVAILABLE") {
            &self.unavailable
        } else {
            &self.no_answer
        };
        add(counter, 1);
    }

    pub fn lookup_latency(&self, d: Duration) {
        if let Ok(mut l) = self.lookup_latencies.lock() {
            l.push(d);
        }
    }

    /// Something a correct server never does; kept for the summary.
    pub fn problem(&self, text: String) {
        if let Ok(mut p) = self.problems.lock() {
            if p.len() < 50 {
                eprintln!("sim: PROBLEM {text}");
            }
            p.push(text);
        }
    }

    pub fn problems(&self) -> Vec<String> {
        self.problems.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// Push latency percentiles in milliseconds: p50, p90, p99, max.
    pub fn percentiles(&self) -> [f64; 4] {
        self.phase_percentiles(|_| true)
    }

    /// The same for pushes started in a phase of the run.
    pub fn phase_percentiles(&self, within: impl Fn(Instant) -> bool) -> [f64; 4] {
        let chosen = self
            .latencies
            .lock()
            .map(|l| {
                l.iter()
                    .filter(|(at, _, _)| within(*at))
                    .map(|(_, d, _)| *d)
                    .collect()
            })
            .unwrap_or_default();
        percentiles(chosen)
    }

    /// Answered pushes started in a phase.
    pub fn phase_pushes(&self, within: impl Fn(Instant) -> bool) -> usize {
        self.latencies
            .lock()
            .map(|l| l.iter().filter(|(at, _, _)| within(*at)).count())
            .unwrap_or_default()
    }

    /// Answered pushes, and the events their answers covered, per second,
    /// of the pushes started from `from` for `secs` seconds.
    pub fn rates(&self, from: Instant, secs: f64) -> (f64, f64) {
        let until = from + Duration::from_secs_f64(secs);
        let (pushes, events) = self
            .latencies
            .lock()
            .map(|l| {
                l.iter()
                    .filter(|(at, _, _)| *at >= from && *at < until)
                    .fold((0, 0), |(p, e), (_, _, n)| (p + 1, e + n))
            })
            .unwrap_or_default();
        let secs = secs.max(1e-9);
        (pushes as f64 / secs, events as f64 / secs)
    }

    /// The same for the door's refusals (HTTP 503).
    pub fn refusal_percentiles(&self) -> [f64; 4] {
        percentiles(
            self.refusal_latencies
                .lock()
                .map(|l| l.clone())
                .unwrap_or_default(),
        )
    }

    /// The same for barcode lookups.
    pub fn lookup_percentiles(&self) -> [f64; 4] {
        percentiles(
            self.lookup_latencies
                .lock()
                .map(|l| l.clone())
                .unwrap_or_default(),
        )
    }
}

fn percentiles(mut l: Vec<Duration>) -> [f64; 4] {
    if l.is_empty() {
        return [0.0; 4];
    }
    l.sort_unstable();
    let at = |q: f64| {
        let i = ((l.len() as f64 * q).ceil() as usize).clamp(1, l.len()) - 1;
        l[i].as_secs_f64() * 1_000.0
    };
    [at(0.50), at(0.90), at(0.99), at(1.0)]
}

//! Prometheus metrics: counters and latency histograms kept in process and
//! rendered in the text exposition format at `/metrics`, served on their
//! own address (`POS_METRICS_LISTEN`), never on the API's.
//!
//! Label values are bounded: routes are the router's patterns, operation
//! names are cut to 64 characters of `[A-Za-z0-9_]` and only the first
//! [`MAX_OPERATIONS`] distinct names get their own series (later ones count
//! as `other`). No tenant id appears in any label.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use crate::sync::status::Backlog;

/// Latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Distinct GraphQL operation names with a series of their own.
pub const MAX_OPERATIONS: usize = 200;

type Labels = Vec<(&'static str, String)>;

#[derive(Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Families {
    counters: BTreeMap<(&'static str, Labels), u64>,
    histograms: BTreeMap<(&'static str, Labels), Histogram>,
    operations: HashSet<String>,
}

/// The process's metrics.
pub struct Metrics {
    families: Mutex<Families>,
    /// Catalog cache lookups: L1 hits and misses, Redis hits and misses.
    pub l1_hits: AtomicU64,
    pub l1_misses: AtomicU64,
    pub redis_hits: AtomicU64,
    pub redis_misses: AtomicU64,
}

/// The one registry of this process.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| Metrics {
        families: Mutex::default(),
        l1_hits: AtomicU64::new(0),
        l1_misses: AtomicU64::new(0),
        redis_hits: AtomicU64::new(0),
        redis_misses: AtomicU64::new(0),
    })
}

/// `name` cut to a bounded, label-safe form.
fn operation_label(name: Option<&str>) -> String {
    match name {
        None | Some("") => "anonymous".into(),
        Some(n) => n
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect(),
    }
}

impl Metrics {
    fn with<R>(&self, f: impl FnOnce(&mut Families) -> R) -> R {
        f(&mut self.families.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn count(&self, name: &'static str, labels: Labels) {
        self.with(|m| *m.counters.entry((name, labels)).or_default() += 1);
    }

    pub fn observe(&self, name: &'static str, labels: Labels, took: Duration) {
        let secs = took.as_secs_f64();
        self.with(|m| {
            let h = m.histograms.entry((name, labels)).or_default();
            for (i, le) in BUCKETS.iter().enumerate() {
                if secs <= *le {
                    h.buckets[i] += 1;
                }
            }
            h.count += 1;
            h.sum += secs;
        });
    }

    /// One HTTP request, by method, route pattern and status.
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let labels = vec![
            ("method", method.to_owned()),
            ("route", route.to_owned()),
            ("status", status.to_string()),
        ];
        self.count("pos_http_requests_total", labels);
        self.observe(
            "pos_http_request_duration_seconds",
            vec![("route", route.to_owned())],
            took,
        );
    }

    /// One GraphQL operation, by name, and whether it answered errors.
    pub fn graphql_operation(&self, name: Option<&str>, errors: bool, took: Duration) {
        let mut label = operation_label(name);
        self.with(|m| {
            if !m.operations.contains(&label) {
                if m.operations.len() < MAX_OPERATIONS {
                    m.operations.insert(label.clone());
                } else {
                    label = "other".into();
                }
            }
        });
        let outcome = if errors { "error" } else { "ok" };
        self.count(
            "pos_graphql_operations_total",
            vec![("operation", label.clone()), ("outcome", outcome.into())],
        );
        self.observe(
            "pos_graphql_operation_duration_seconds",
            vec![("operation", label)],
            took,
        );
    }

    /// One pushed event's status (APPLIED, DUPLICATE, QUEUED, CONFLICT,
    /// REJECTED), counted once its push committed.
    pub fn sync_event(&self, status: &str) {
        self.count(
            "pos_sync_events_total",
            vec![("status", status.to_ascii_lowercase())],
        );
    }

    /// Held events applied because the gap before them filled.
    pub fn sync_released(&self, n: u64) {
        if n > 0 {
            self.with(|m| {
                *m.counters
                    .entry(("pos_sync_held_released_total", Vec::new()))
                    .or_default() += n;
            });
        }
    }

    /// The exposition text; `pool` is (connections open, idle, maximum),
    /// `backlog` the events waiting across tenants (absent when the
    /// database could not be asked in time).
    pub fn render(&self, pool: (u32, u32, u32), backlog: Option<Backlog>) -> String {
        let mut out = String::new();
        let help = |out: &mut String, name: &str, kind: &str, text: &str| {
            let _ = writeln!(out, "# HELP {name} {text}\n# TYPE {name} {kind}");
        };
        self.with(|m| {
            let mut last = "";
            for ((name, labels), value) in &m.counters {
                if *name != last {
                    help(&mut out, name, "counter", describe(name));
                    last = name;
                }
                let _ = writeln!(out, "{name}{} {value}", render_labels(labels, None));
            }
            let mut last = "";
            for ((name, labels), h) in &m.histograms {
                if *name != last {
                    help(&mut out, name, "histogram", describe(name));
                    last = name;
                }
                for (i, le) in BUCKETS.iter().enumerate() {
                    let le = le.to_string();
                    let _ = writeln!(
                        out,
                        "{name}_bucket{} {}",
                        render_labels(labels, Some(&le)),
                        h.buckets[i]
                    );
                }
                let all = render_labels(labels, Some("+Inf"));
                let plain = render_labels(labels, None);
                let _ = writeln!(out, "{name}_bucket{all} {}", h.count);
                let _ = writeln!(out, "{name}_sum{plain} {}", h.sum);
                let _ = writeln!(out, "{name}_count{plain} {}", h.count);
            }
        });
        let cache = "pos_cache_lookups_total";
        help(&mut out, cache, "counter", describe(cache));
        for (layer, result, v) in [
            ("l1", "hit", &self.l1_hits),
            ("l1", "miss", &self.l1_misses),
            ("redis", "hit", &self.redis_hits),
            ("redis", "miss", &self.redis_misses),
        ] {
            let n = v.load(Ordering::Relaxed);
            let _ = writeln!(out, "{cache}{{layer=\"{layer}\",result=\"{result}\"}} {n}");
        }
        let (open, idle, max) = pool;
        let gauge = "pos_db_pool_connections";
        help(&mut out, gauge, "gauge", describe(gauge));
        let _ = writeln!(
            out,
            "{gauge}{{state=\"in_use\"}} {}",
            open.saturating_sub(idle)
        );
        let _ = writeln!(out, "{gauge}{{state=\"idle\"}} {idle}");
        let _ = writeln!(out, "{gauge}{{state=\"max\"}} {max}");
        if let Some(b) = backlog {
            let gauge = "pos_sync_backlog_events";
            help(&mut out, gauge, "gauge", describe(gauge));
            let _ = writeln!(out, "{gauge}{{state=\"held\"}} {}", b.held);
            let _ = writeln!(
                out,
                "{gauge}{{state=\"awaiting_sale\"}} {}",
                b.awaiting_sale
            );
        }
        out
    }
}

fn describe(name: &str) -> &'static str {
    match name {
        "pos_http_requests_total" => "HTTP requests by method, route and status.",
        "pos_http_request_duration_seconds" => "HTTP request latency by route.",
        "pos_graphql_operations_total" => "GraphQL operations by name and outcome.",
        "pos_graphql_operation_duration_seconds" => "GraphQL operation latency by name.",
        "pos_sync_events_total" => "Pushed events by status, counted after commit.",
        "pos_sync_held_released_total" => "Held events applied once the gap before them filled.",
        "pos_cache_lookups_total" => "Catalog cache lookups by layer and result.",
        "pos_rate_limited_total" => {
            "Requests refused by a rate limit, by scope (tenant or terminal)."
        }
        "pos_sync_backlog_events" => {
            "Events waiting, all tenants: held behind a gap, or refunds awaiting another terminal's sale."
        }
        "pos_db_pool_connections" => "Database pool connections in use, idle, and the maximum.",
        _ => "",
    }
}

fn render_labels(labels: &Labels, le: Option<&str>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\"")))
        .collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_bounded() {
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some("Get\"Things\n{}")), "GetThings");
        assert_eq!(operation_label(Some(&"x".repeat(500))).len(), 64);
        let m = Metrics {
            families: Mutex::default(),
            l1_hits: AtomicU64::new(0),
            l1_misses: AtomicU64::new(0),
            redis_hits: AtomicU64::new(0),
            redis_misses: AtomicU64::new(0),
        };
        for i in 0..(MAX_OPERATIONS + 50) {
            m.graphql_operation(Some(&format!("Op{i}")), false, Duration::from_millis(1));
        }
        let text = m.render((0, 0, 4), None);
        assert!(text.contains("operation=\"other\""));
        assert!(!text.contains(&format!("Op{}\"", MAX_OPERATIONS + 10)));
        let series = text
            .lines()
            .filter(|l| l.starts_with("pos_graphql_operations_total{"))
            .count();
        assert_eq!(series, MAX_OPERATIONS + 1);
    }

    #[test]
    fn histograms_are_cumulative() {
        let m = metrics();
        m.observe(
            "pos_test_seconds",
            vec![("k", "v".into())],
            Duration::from_millis(3),
        );
        let text = m.render(
            (2, 1, 4),
            Some(Backlog {
                held: 3,
                awaiting_sale: 1,
            }),
        );
        assert!(text.contains("pos_test_seconds_bucket{k=\"v\",le=\"0.0025\"} 0"));
        assert!(text.contains("pos_test_seconds_bucket{k=\"v\",le=\"0.005\"} 1"));
        assert!(text.contains("pos_test_seconds_bucket{k=\"v\",le=\"+Inf\"} 1"));
        assert!(text.contains("pos_db_pool_connections{state=\"in_use\"} 1"));
        assert!(text.contains("pos_sync_backlog_events{state=\"held\"} 3"));
        assert!(text.contains("pos_sync_backlog_events{state=\"awaiting_sale\"} 1"));
    }
}

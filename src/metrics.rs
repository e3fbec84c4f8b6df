//! Prometheus metrics, kept by the `prometheus-client` crate and rendered
//! in the text exposition format (0.0.4) at `/metrics`, served on their
//! own address (`POS_METRICS_LISTEN`), never on the API's.
//!
//! Counting takes no process-wide mutex: a counter is an atomic; a
//! labelled family, and the set of operation names, take a shared read
//! lock to find a series (a write lock only the first time a label set is
//! seen). The cache's counters are fixed series, held directly.
//!
//! Label values are bounded: routes are the router's patterns, operation
//! names are cut to 64 characters of `[A-Za-z0-9_]` and only the first
//! [`MAX_OPERATIONS`] distinct names get their own series (later ones count
//! as `other`). No tenant id appears in any label. Gauges that are read at
//! scrape time (the pool, the sync backlog) are passed to [`Metrics::render`]
//! as plain numbers.

use std::collections::HashSet;
use std::sync::{OnceLock, RwLock};
use std::time::Duration;

use prometheus_client::encoding::prometheus_text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Distinct GraphQL operation names with a series of their own.
pub const MAX_OPERATIONS: usize = 200;

type Labels<const N: usize> = [(&'static str, String); N];
type Counters<const N: usize> = Family<Labels<N>, Counter>;
type Histograms<const N: usize> = Family<Labels<N>, Histogram, fn() -> Histogram>;

fn latency() -> Histogram {
    Histogram::new(BUCKETS)
}

/// The gauges read when `/metrics` is scraped.
#[derive(Clone, Copy, Debug, Default)]
pub struct Gauges {
    /// Database pool connections open, idle, and the maximum.
    pub pool: (u32, u32, u32),
    /// Events waiting across tenants: held behind a gap, and refunds
    /// awaiting another terminal's sale; absent when the database could
    /// not be asked in time.
    pub backlog: Option<(u64, u64)>,
}

/// The process's metrics.
pub struct Metrics {
    registry: Registry,
    http_requests: Counters<3>,
    http_duration: Histograms<1>,
    operations: Counters<2>,
    operation_duration: Histograms<1>,
    sync_events: Counters<1>,
    held_released: Counter,
    rate_limited: Counters<1>,
    overload_refused: Counters<2>,
    pull_pages: Counters<1>,
    /// Operation names with a series of their own.
    named: RwLock<HashSet<String>>,
    /// Catalog cache lookups: L1 hits and misses, Redis hits and misses.
    pub l1_hits: Counter,
    pub l1_misses: Counter,
    pub redis_hits: Counter,
    pub redis_misses: Counter,
}

/// The one registry of this process.
pub fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(Metrics::new)
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
    /// Long on purpose: it registers every family with its help text, one
    /// after the other, in the order `/metrics` lists them: a list, with
    /// nothing to step through.
    fn new() -> Self {
        let mut registry = Registry::default();
        let http_requests = Counters::<3>::default();
        registry.register(
            "pos_http_requests",
            "HTTP requests by method, route and status",
            http_requests.clone(),
        );
        let http_duration = Histograms::<1>::new_with_constructor(latency as fn() -> Histogram);
        registry.register(
            "pos_http_request_duration_seconds",
            "HTTP request latency by route",
            http_duration.clone(),
        );
        let operations = Counters::<2>::default();
        registry.register(
            "pos_graphql_operations",
            "GraphQL operations by name and outcome",
            operations.clone(),
        );
        let operation_duration =
            Histograms::<1>::new_with_constructor(latency as fn() -> Histogram);
        registry.register(
            "pos_graphql_operation_duration_seconds",
            "GraphQL operation latency by name",
            operation_duration.clone(),
        );
        let sync_events = Counters::<1>::default();
        registry.register(
            "pos_sync_events",
            "Pushed events by status, counted after commit",
            sync_events.clone(),
        );
        let held_released = Counter::default();
        registry.register(
            "pos_sync_held_released",
            "Held events applied once the gap before them filled",
            held_released.clone(),
        );
        let rate_limited = Counters::<1>::default();
        registry.register(
            "pos_rate_limited",
            "Requests refused by a rate limit, by scope (tenant, terminal or address)",
            rate_limited.clone(),
        );
        let overload_refused = Counters::<2>::default();
        registry.register(
            "pos_overload_refused",
            "Operations refused by admission control, by kind and why (line_full or waited)",
            overload_refused.clone(),
        );
        let pull_pages = Counters::<1>::default();
        registry.register(
            "pos_pull_pages",
            "Catalog pull pages served, by source (memory or database)",
            pull_pages.clone(),
        );
        let cache = Family::<[(&'static str, &'static str); 2], Counter>::default();
        registry.register(
            "pos_cache_lookups",
            "Catalog cache lookups by layer and result",
            cache.clone(),
        );
        let series =
            |layer, result| cache.get_or_create_owned(&[("layer", layer), ("result", result)]);
        Self {
            l1_hits: series("l1", "hit"),
            l1_misses: series("l1", "miss"),
            redis_hits: series("redis", "hit"),
            redis_misses: series("redis", "miss"),
            registry,
            http_requests,
            http_duration,
            operations,
            operation_duration,
            sync_events,
            held_released,
            rate_limited,
            overload_refused,
            pull_pages,
            named: RwLock::default(),
        }
    }

    /// One HTTP request, by method, route pattern and status.
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.http_requests
            .get_or_create(&[
                ("method", method.to_owned()),
                ("route", route.to_owned()),
                ("status", status.to_string()),
            ])
            .inc();
        self.http_duration
            .get_or_create(&[("route", route.to_owned())])
            .observe(took.as_secs_f64());
    }

    /// `label` if it has, or may still get, a series of its own; else
    /// `other`.
    fn bounded(&self, label: String) -> String {
        if self
            .named
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&label)
        {
            return label;
        }
        let mut named = self.named.write().unwrap_or_else(|e| e.into_inner());
        if named.contains(&label) || named.len() < MAX_OPERATIONS {
            named.insert(label.clone());
            label
        } else {
            "other".into()
        }
    }

    /// One GraphQL operation, by name, and whether it answered errors.
    pub fn graphql_operation(&self, name: Option<&str>, errors: bool, took: Duration) {
        let label = self.bounded(operation_label(name));
        let outcome = if errors { "error" } else { "ok" };
        self.operations
            .get_or_create(&[("operation", label.clone()), ("outcome", outcome.into())])
            .inc();
        self.operation_duration
            .get_or_create(&[("operation", label)])
            .observe(took.as_secs_f64());
    }

    /// One pushed event's status (APPLIED, DUPLICATE, QUEUED, CONFLICT,
    /// REJECTED), counted once its push committed.
    pub fn sync_event(&self, status: &str) {
        self.sync_events
            .get_or_create(&[("status", status.to_ascii_lowercase())])
            .inc();
    }

    /// Held events applied because the gap before them filled.
    pub fn sync_released(&self, n: u64) {
        self.held_released.inc_by(n);
    }

    /// A request refused by the rate limit of `scope`.
    pub fn rate_limited(&self, scope: &str) {
        self.rate_limited
            .get_or_create(&[("scope", scope.to_owned())])
            .inc();
    }

    /// An operation of `kind` refused by admission control, and why.
    pub fn overload_refused(&self, kind: &str, why: &str) {
        self.overload_refused
            .get_or_create(&[("kind", kind.to_owned()), ("why", why.to_owned())])
            .inc();
    }

    /// A catalog pull page served from `source` (`memory` or `database`).
    pub fn pull_page(&self, source: &str) {
        self.pull_pages
            .get_or_create(&[("source", source.to_owned())])
            .inc();
    }

    /// The exposition text, with the scrape-time `gauges`.
    pub fn render(&self, gauges: Gauges) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        let _ = encode(&mut out, &gauge_registry(gauges));
        out
    }
}

/// A registry of this scrape's gauges.
fn gauge_registry(gauges: Gauges) -> Registry {
    let mut registry = Registry::default();
    let family = || Family::<[(&'static str, &'static str); 1], Gauge>::default();
    let set = |family: &Family<[(&'static str, &'static str); 1], Gauge>, state, value: u64| {
        family
            .get_or_create(&[("state", state)])
            .set(i64::try_from(value).unwrap_or(i64::MAX));
    };
    let (open, idle, max) = gauges.pool;
    let pool = family();
    set(&pool, "in_use", u64::from(open.saturating_sub(idle)));
    set(&pool, "idle", u64::from(idle));
    set(&pool, "max", u64::from(max));
    registry.register(
        "pos_db_pool_connections",
        "Database pool connections in use, idle, and the maximum",
        pool,
    );
    if let Some((held, awaiting_sale)) = gauges.backlog {
        let backlog = family();
        set(&backlog, "held", held);
        set(&backlog, "awaiting_sale", awaiting_sale);
        registry.register(
            "pos_sync_backlog_events",
            "Events waiting, all tenants: held behind a gap, or refunds awaiting another terminal's sale",
            backlog,
        );
    }
    registry
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_bounded() {
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some("Get\"Things\n{}")), "GetThings");
        assert_eq!(operation_label(Some(&"x".repeat(500))).len(), 64);
        let m = Metrics::new();
        for i in 0..(MAX_OPERATIONS + 50) {
            m.graphql_operation(Some(&format!("Op{i}")), false, Duration::from_millis(1));
        }
        let text = m.render(Gauges::default());
        assert!(text.contains("operation=\"other\""));
        assert!(!text.contains(&format!("Op{}\"", MAX_OPERATIONS + 10)));
        let series = text
            .lines()
            .filter(|l| l.starts_with("pos_graphql_operations_total{"))
            .count();
        assert_eq!(series, MAX_OPERATIONS + 1);
    }

    #[test]
    fn histograms_are_cumulative_and_gauges_rendered() {
        let m = Metrics::new();
        m.http_request("GET", "/healthz", 200, Duration::from_millis(3));
        let text = m.render(Gauges {
            pool: (2, 1, 4),
            backlog: Some((3, 1)),
        });
        let bucket = "pos_http_request_duration_seconds_bucket{route=\"/healthz\"";
        assert!(
            text.contains(&format!("{bucket},le=\"0.0025\"}} 0")),
            "{text}"
        );
        assert!(
            text.contains(&format!("{bucket},le=\"0.005\"}} 1")),
            "{text}"
        );
        assert!(
            text.contains(&format!("{bucket},le=\"+Inf\"}} 1")),
            "{text}"
        );
        assert!(text.contains("# TYPE pos_http_request_duration_seconds histogram"));
        assert!(text.contains(
            "pos_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"
        ));
        assert!(text.contains("pos_db_pool_connections{state=\"in_use\"} 1"));
        assert!(text.contains("pos_sync_backlog_events{state=\"held\"} 3"));
        assert!(text.contains("pos_sync_backlog_events{state=\"awaiting_sale\"} 1"));
        let without = m.render(Gauges::default());
        assert!(!without.contains("pos_sync_backlog_events"));
    }
}

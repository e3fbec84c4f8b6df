//! The report benchmark: the reports of the Reporting issue over a tenant
//! seeded with a year of trade (`pos seed`: 10 million sale lines, 20
//! locations, 200 terminals, 10,000 variants), p50 and p95 over repeated
//! runs, against the same figures computed with a plain `GROUP BY` over
//! the raw sale lines in the same run. It also reports the rollups' size
//! and what keeping them costs at ingestion (events/s with and without).
//!
//! `cargo bench --bench reports` (SQLite, in `target/bench-reports.sqlite`)
//! or `BENCH_PG=1 cargo bench --bench reports` (database
//! `pos_bench_reports` on the local PostgreSQL). The seeded tenant is kept
//! and reused by later runs; `BENCH_RESEED=1` seeds a new one. Knobs:
//! BENCH_LINES (10,000,000), BENCH_RUNS (50), BENCH_RAW_RUNS (5),
//! BENCH_INGEST_LINES (100,000 per ingestion tenant).

#[path = "support/mod.rs"]
mod support;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate};
use pos::auth::{Role, Session};
use pos::cli::SeedArgs;
use pos::config::Config;
use pos::reporting::report::{Dimension, Measure, Request, sales_report};
use pos::sales::apply::{SKIP_WRITES, Skip};
use pos::tenancy::Db;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use uuid::Uuid;

const NAME: &str = "Benchmark Retail";

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    let i = ((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1;
    samples[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Where the SQLite database and the seed notes live: the target
/// directory, created if missing (the binary may be run from anywhere).
fn target_dir() -> String {
    let dir = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into());
    std::fs::create_dir_all(&dir).expect("target dir");
    dir
}

fn main() {
    support::block_on(run());
}

struct Target {
    config: Config,
    /// A connection that sees every row (the migration role).
    owner: DatabaseConnection,
    backend: &'static str,
}

async fn target() -> Target {
    let postgres = std::env::var("BENCH_PG").is_ok();
    let (db_url, migrate_url, backend) = if postgres {
        let admin = Database::connect("postgres://postgres@127.0.0.1:5432/test")
            .await
            .expect("postgres");
        let exists = admin
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                "SELECT 1 FROM pg_database WHERE datname = 'pos_bench_reports'",
            ))
            .await
            .expect("pg_database");
        if exists.is_none() {
            admin
                .execute_unprepared("CREATE DATABASE pos_bench_reports")
                .await
                .expect("create db");
        }
        (
            "postgres://pos_app@127.0.0.1:5432/pos_bench_reports".to_owned(),
            "postgres://postgres@127.0.0.1:5432/pos_bench_reports".to_owned(),
            "PostgreSQL",
        )
    } else {
        let url = format!("sqlite://{}/bench-reports.sqlite?mode=rwc", target_dir());
        (url.clone(), url, "SQLite")
    };
    let config = Config::from_env_and([
        "--database-url",
        &db_url,
        "--migrate-database-url",
        &migrate_url,
        "--db-max-connections",
        "16",
    ])
    .expect("config");
    pos::startup::migrate_up(&config).await.expect("migrate");
    let owner = Database::connect(&migrate_url).await.expect("owner");
    Target {
        config,
        owner,
        backend,
    }
}

async fn one_i64(conn: &DatabaseConnection, sql: &str, values: Vec<sea_orm::Value>) -> i64 {
    let backend = conn.get_database_backend();
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .expect(sql)
        .expect("a row");
    row.try_get_by_index::<i64>(0)
        .or_else(|_| {
            row.try_get_by_index::<Option<i64>>(0)
                .map(Option::unwrap_or_default)
        })
        .expect("an integer")
}

fn sql(backend: DbBackend, pg: &str) -> String {
    if backend == DbBackend::Postgres {
        return pg.to_owned();
    }
    // $n placeholders become ?n; the rest is common SQL.
    let mut out = pg.replace('$', "?");
    out = out.replace(
        "to_char(s.business_date, 'YYYY-MM')",
        "strftime('%Y-%m', s.business_date)",
    );
    out
}

async fn seeded(t: &Target) -> (Uuid, String) {
    let backend = t.owner.get_database_backend();
    let found = t
        .owner
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql(
                backend,
                "SELECT t.id FROM tenants t WHERE t.name = $1 ORDER BY t.created_at DESC LIMIT 1",
            ),
            [NAME.into()],
        ))
        .await
        .expect("tenants");
    let seed_file = format!("{}/bench-reports-seed-{}.txt", target_dir(), t.backend);
    // The note is written when a seed completes: a tenant without one was
    // interrupted and is left alone (the newest tenant of the name wins).
    let note = std::fs::read_to_string(&seed_file).ok();
    if let (Some(row), Some(note)) = (found, note)
        && std::env::var("BENCH_RESEED").is_err()
    {
        let id: Uuid = row.try_get_by_index(0).expect("id");
        return (id, note);
    }
    let _ = std::fs::remove_file(&seed_file);
    println!(
        "seeding {} sale lines (pos seed)…",
        env("BENCH_LINES", 10_000_000)
    );
    let args = SeedArgs {
        name: NAME.into(),
        lines: env("BENCH_LINES", 10_000_000),
        locations: 20,
        terminals: 200,
        variants: 10_000,
        days: 365,
        end: NaiveDate::from_ymd_opt(2026, 11, 26),
        // SQLite has one writer: more pushes in flight only queue.
        workers: if t.backend == "SQLite" { 3 } else { 12 },
        seed: 1,
    };
    let s = pos::cli::seed::seed(&t.config, &args).await.expect("seed");
    let note = format!(
        "seeded {} sales, {} lines, {} refunds, {} voids ({} events) in {:.0} s: {:.0} events/s, {:.0} lines/s",
        s.sales,
        s.lines,
        s.refunds,
        s.voids,
        s.events,
        s.total_seconds,
        s.events as f64 / s.push_seconds,
        s.lines as f64 / s.push_seconds
    );
    if let Err(e) = std::fs::write(&seed_file, &note) {
        // Without the note the next run seeds again: say so now.
        eprintln!("could not write {seed_file} ({e}): the next run will seed again");
    }
    if backend == DbBackend::Postgres {
        // This machine's PostgreSQL runs with autovacuum off; analyse the
        // seeded tables once, as autovacuum would have.
        println!("VACUUM ANALYZE…");
        t.owner
            .execute_unprepared("VACUUM ANALYZE")
            .await
            .expect("vacuum");
    }
    (s.tenant, note)
}

/// One report shape: the rollup request and the raw `GROUP BY` that gives
/// the same grouping from the sale lines.
struct Case {
    name: &'static str,
    request: Request,
    raw: String,
    raw_values: Vec<sea_orm::Value>,
}

fn month_end(d: NaiveDate) -> NaiveDate {
    let next = if d.month() == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
    };
    next.expect("date") - chrono::Duration::days(1)
}

async fn cases(t: &Target, tenant: Uuid) -> Vec<Case> {
    let backend = t.owner.get_database_backend();
    let last = t
        .owner
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql(
                backend,
                "SELECT MAX(business_date), MIN(business_date) FROM sales WHERE tenant_id = $1",
            ),
            [tenant.into()],
        ))
        .await
        .expect("dates")
        .expect("row");
    let last: NaiveDate = last.try_get_by_index(0).expect("last date");
    let month_start = NaiveDate::from_ymd_opt(last.year(), last.month(), 1).expect("month")
        - chrono::Duration::days(1);
    let month_start =
        NaiveDate::from_ymd_opt(month_start.year(), month_start.month(), 1).expect("m");
    let month_end = month_end(month_start);
    let day = month_start + chrono::Duration::days(14);
    // The last twelve whole months (the last one may end after the data),
    // and the last 365 days, whose first and last months are partial.
    let year_to = pos::sales::rollup::months::month_end(last);
    let year_from = NaiveDate::from_ymd_opt(year_to.year() - 1, year_to.month(), 1).expect("month")
        + chrono::Duration::days(31);
    let year_from = NaiveDate::from_ymd_opt(year_from.year(), year_from.month(), 1).expect("m");
    let rolling_from = last - chrono::Duration::days(364);
    let location: Uuid = t
        .owner
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql(
                backend,
                "SELECT id FROM locations WHERE tenant_id = $1 ORDER BY code LIMIT 1",
            ),
            [tenant.into()],
        ))
        .await
        .expect("location")
        .expect("row")
        .try_get_by_index(0)
        .expect("id");
    let lines = "FROM sale_lines l JOIN sales s ON s.tenant_id = l.tenant_id AND s.id = l.sale_id \
                 WHERE s.tenant_id = $1 AND s.business_date BETWEEN $2 AND $3";
    let figures = "SUM(l.list_amount), SUM(l.discount), SUM(l.net), SUM(l.tax), SUM(l.gross), \
                   SUM(l.quantity_milli), COUNT(DISTINCT s.id)";
    let req = |from, to, group_by: Vec<Dimension>| Request {
        from: Some(from),
        to: Some(to),
        group_by,
        ..Request::default()
    };
    vec![
        Case {
            name: "one day, all locations",
            request: req(day, day, vec![Dimension::Location]),
            raw: sql(
                backend,
                &format!("SELECT s.location_id, {figures} {lines} GROUP BY s.location_id"),
            ),
            raw_values: vec![tenant.into(), day.into(), day.into()],
        },
        Case {
            name: "one location x one month, daily",
            request: Request {
                locations: vec![location],
                ..req(month_start, month_end, vec![Dimension::Day])
            },
            raw: sql(
                backend,
                &format!(
                    "SELECT s.business_date, {figures} {lines} AND s.location_id = $4 GROUP BY s.business_date"
                ),
            ),
            raw_values: vec![
                tenant.into(),
                month_start.into(),
                month_end.into(),
                location.into(),
            ],
        },
        Case {
            name: "a whole year, location x month",
            request: req(
                year_from,
                year_to,
                vec![Dimension::Location, Dimension::Month],
            ),
            raw: sql(
                backend,
                &format!(
                    "SELECT s.location_id, to_char(s.business_date, 'YYYY-MM'), {figures} {lines} \
                     GROUP BY s.location_id, to_char(s.business_date, 'YYYY-MM')"
                ),
            ),
            raw_values: vec![tenant.into(), year_from.into(), year_to.into()],
        },
        Case {
            name: "the last 365 days, location x month",
            request: req(
                rolling_from,
                last,
                vec![Dimension::Location, Dimension::Month],
            ),
            raw: sql(
                backend,
                &format!(
                    "SELECT s.location_id, to_char(s.business_date, 'YYYY-MM'), {figures} {lines} \
                     GROUP BY s.location_id, to_char(s.business_date, 'YYYY-MM')"
                ),
            ),
            raw_values: vec![tenant.into(), rolling_from.into(), last.into()],
        },
        Case {
            name: "top 20 products of a month",
            request: Request {
                sort: Some((Measure::NetSales, true)),
                first: Some(20),
                ..req(month_start, month_end, vec![Dimension::Product])
            },
            raw: sql(
                backend,
                &format!(
                    "SELECT l.product_id, {figures} {lines} GROUP BY l.product_id ORDER BY SUM(l.net) DESC LIMIT 20"
                ),
            ),
            raw_values: vec![tenant.into(), month_start.into(), month_end.into()],
        },
        Case {
            name: "tax per rate of a month, by location",
            request: req(
                month_start,
                month_end,
                vec![Dimension::TaxRate, Dimension::Location],
            ),
            raw: sql(
                backend,
                "SELECT t.tax_rate_id, s.location_id, SUM(t.amount) FROM line_taxes t \
                 JOIN sales s ON s.tenant_id = t.tenant_id AND s.id = t.record_id \
                 WHERE s.tenant_id = $1 AND s.business_date BETWEEN $2 AND $3 \
                 GROUP BY t.tax_rate_id, s.location_id",
            ),
            raw_values: vec![tenant.into(), month_start.into(), month_end.into()],
        },
    ]
}

async fn time_reports(db: &Db, session: &Session, t: &Target, cases: &[Case]) {
    let runs = env("BENCH_RUNS", 50);
    let raw_runs = env("BENCH_RAW_RUNS", 5);
    println!(
        "\n| report | rollups p50 | rollups p95 | raw GROUP BY p95 | ratio (p95) | rows |\n| --- | --- | --- | --- | --- | --- |"
    );
    let backend = t.owner.get_database_backend();
    for c in cases {
        for _ in 0..3 {
            sales_report(session, db, c.request.clone())
                .await
                .expect("report");
        }
        let mut samples = Vec::new();
        let mut rows = 0;
        for _ in 0..runs {
            let started = Instant::now();
            let r = sales_report(session, db, c.request.clone())
                .await
                .expect("report");
            samples.push(started.elapsed());
            rows = r.rows.len();
        }
        let p50 = percentile(&mut samples, 0.50);
        let p95 = percentile(&mut samples, 0.95);
        let mut raw = Vec::new();
        for _ in 0..raw_runs {
            let started = Instant::now();
            t.owner
                .query_all_raw(Statement::from_sql_and_values(
                    backend,
                    &c.raw,
                    c.raw_values.clone(),
                ))
                .await
                .expect("raw query");
            raw.push(started.elapsed());
        }
        let raw95 = percentile(&mut raw, 0.95);
        println!(
            "| {} | {:.2} ms | {:.2} ms | {:.0} ms | {:.0}x | {rows} |",
            c.name,
            ms(p50),
            ms(p95),
            ms(raw95),
            raw95.as_secs_f64() / p95.as_secs_f64()
        );
    }
}

async fn sizes(t: &Target, tenant: Uuid) {
    let backend = t.owner.get_database_backend();
    let lines = one_i64(
        &t.owner,
        &sql(
            backend,
            "SELECT COUNT(*) FROM sale_lines WHERE tenant_id = $1",
        ),
        vec![tenant.into()],
    )
    .await;
    println!("\n| table | rows | size |\n| --- | --- | --- |");
    for table in [
        "sale_lines",
        "report_sales",
        "report_items",
        "report_tenders",
        "report_taxes",
        "report_sales_daily",
        "report_tenders_daily",
        "report_taxes_daily",
        "report_sales_monthly",
        "report_tenders_monthly",
        "report_taxes_monthly",
        "report_items_monthly",
        "report_items_monthly_all",
        "report_products_monthly_all",
        "report_items_pending",
    ] {
        let rows = one_i64(
            &t.owner,
            &sql(
                backend,
                &format!("SELECT COUNT(*) FROM {table} WHERE tenant_id = $1"),
            ),
            vec![tenant.into()],
        )
        .await;
        let size = if backend == DbBackend::Postgres {
            let bytes = one_i64(
                &t.owner,
                &format!("SELECT pg_total_relation_size('{table}')"),
                vec![],
            )
            .await;
            format!("{:.0} MB", bytes as f64 / 1e6)
        } else {
            "-".to_owned()
        };
        println!("| {table} | {rows} | {size} |");
    }
    println!("({lines} sale lines in the tenant)");
}

/// Events/s of seeding a small tenant with the rollups kept, and without.
async fn ingestion(t: &Target) {
    let lines = env("BENCH_INGEST_LINES", 100_000);
    let mut results = Vec::new();
    for keep in [true, false, true, false] {
        let skip = if keep { 0 } else { Skip::Rollups as u32 };
        SKIP_WRITES.store(skip, Ordering::Relaxed);
        let args = SeedArgs {
            name: format!(
                "Ingestion {}",
                if keep {
                    "with rollups"
                } else {
                    "without rollups"
                }
            ),
            lines,
            locations: 4,
            terminals: 40,
            variants: 2_000,
            days: 30,
            end: NaiveDate::from_ymd_opt(2026, 11, 26),
            workers: 12,
            seed: 7,
        };
        let s = pos::cli::seed::seed(&t.config, &args).await.expect("seed");
        results.push((keep, s.events as f64 / s.push_seconds));
    }
    SKIP_WRITES.store(0, Ordering::Relaxed);
    let avg = |k: bool| {
        let v: Vec<f64> = results.iter().filter(|r| r.0 == k).map(|r| r.1).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    println!(
        "\ningestion ({lines} lines a run, two runs each): with rollups {:.0} events/s, without {:.0} events/s: the rollups cost {:.0}%",
        avg(true),
        avg(false),
        (1.0 - avg(true) / avg(false)) * 100.0
    );
}

async fn run() {
    let t = target().await;
    let (tenant, note) = seeded(&t).await;
    println!("{} benchmark tenant {tenant}: {note}", t.backend);
    let db = Db::connect(
        &t.config.database_url,
        &pos::startup::pool_options(&t.config),
    )
    .await
    .expect("db");
    let session = Session {
        tenant,
        subject: "bench".into(),
        roles: vec![Role::Owner],
        terminal: None,
        location: None,
    };
    let cases = cases(&t, tenant).await;
    time_reports(&db, &session, &t, &cases).await;
    sizes(&t, tenant).await;
    if std::env::var("BENCH_SKIP_INGEST").is_err() {
        ingestion(&t).await;
    }
}

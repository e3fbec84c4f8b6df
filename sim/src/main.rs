//! `pos-sim`: a fleet of simulated POS terminals, driving a running server
//! over HTTP as real terminals do, then checking that the server's ledger,
//! receipt chains, Z-reports and reports equal what the terminals sold.
//!
//! ```text
//! pos-sim --url http://127.0.0.1:8000 --pos-bin target/release/pos \
//!         --tenants 2 --locations 2 --terminals 3 --sales 100
//! ```
//!
//! Tenants are made with the server binary's operator commands (`pos tenant
//! create`, `pos token`), which need the server's database and signing key
//! in the environment; or pass `--owner-token` for existing tenants.
//! Exits 0 when nothing was lost, applied twice or left different; 1
//! otherwise.

mod client;
mod floor;
mod money;
mod setup;
mod stats;
mod till;
mod verify;
mod watch;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;

use crate::client::Client;
use crate::setup::{BoxError, Shape};
use crate::stats::{Stats, get};
use crate::till::{Plan, Till};

#[derive(Debug, Parser)]
#[command(
    name = "pos-sim",
    version,
    about = "Simulated POS terminals against a running server"
)]
struct Args {
    /// The server, or several replicas (comma-separated): every call goes
    /// to one of them at random.
    #[arg(
        long,
        env = "SIM_URL",
        value_delimiter = ',',
        default_value = "http://127.0.0.1:8000"
    )]
    url: Vec<String>,
    /// The server binary, for the operator commands that make tenants.
    #[arg(long, env = "SIM_POS_BIN")]
    pos_bin: Option<PathBuf>,
    /// Owner tokens of existing tenants to use instead of making new ones.
    #[arg(long = "owner-token", env = "SIM_OWNER_TOKENS", value_delimiter = ',')]
    owner_tokens: Vec<String>,
    #[arg(long, default_value_t = 2)]
    tenants: usize,
    /// Locations per tenant.
    #[arg(long, default_value_t = 2)]
    locations: usize,
    /// Terminals per location.
    #[arg(long, default_value_t = 2)]
    terminals: usize,
    /// Variants per tenant's catalog.
    #[arg(long, default_value_t = 40)]
    variants: usize,
    /// Sales per terminal.
    #[arg(long, default_value_t = 50)]
    sales: usize,
    /// Stop selling after this many seconds, even before `--sales`.
    #[arg(long)]
    duration_secs: Option<u64>,
    /// Mean pause between a terminal's sales, in milliseconds.
    #[arg(long, default_value_t = 50)]
    pace_ms: u64,
    /// Events per push, at most.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Chance per sale that the terminal goes offline for 0.2–2.2 s.
    #[arg(long, default_value_t = 0.02)]
    offline: f64,
    /// Chance per push of reordering, holding one back, duplicates, or
    /// sending the batch twice.
    #[arg(long, default_value_t = 0.3)]
    chaos: f64,
    /// How long terminals keep pushing what is unacknowledged after their
    /// last sale (the server may be down that long).
    #[arg(long, default_value_t = 300)]
    drain_secs: u64,
    /// Timeout of each HTTP call, in seconds.
    #[arg(long, default_value_t = 15)]
    timeout_secs: u64,
    /// Chance per sale that an online terminal looks a barcode up through
    /// the API first.
    #[arg(long, default_value_t = 0.2)]
    lookups: f64,
    /// Change the price of a watched item every this many milliseconds
    /// (on each server in turn) and measure how long every server serves
    /// the old one; 0 turns the watch off.
    #[arg(long, default_value_t = 0)]
    price_change_ms: u64,
    /// A start-up herd: every terminal starts at a random moment within
    /// this many seconds (pulling its catalog, then selling); the summary
    /// then gives push latencies for the first `--phase-secs` and after.
    #[arg(long)]
    herd_secs: Option<u64>,
    /// The first phase of the summary's latencies, in seconds.
    #[arg(long, default_value_t = 60)]
    phase_secs: u64,
    /// Fail the run if any call failed, even when a retry succeeded (for
    /// faults that clients must not notice, such as Redis going away).
    #[arg(long)]
    no_errors: bool,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    match run(args).await {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("pos-sim: {e}");
            std::process::exit(2);
        }
    }
}

async fn run(args: Args) -> Result<bool, BoxError> {
    let client = Client::new(args.url.clone(), Duration::from_secs(args.timeout_secs))?;
    let shape = Shape {
        locations: args.locations,
        terminals: args.terminals,
        variants: args.variants,
    };
    let started = Instant::now();
    let mut owners = args.owner_tokens.clone();
    if owners.is_empty() {
        let pos = args
            .pos_bin
            .as_ref()
            .ok_or("give --pos-bin to make tenants, or --owner-token")?;
        for i in 0..args.tenants {
            owners.push(setup::new_tenant(pos, i).await?);
        }
    }
    // Retailers are set up side by side, as their back offices would.
    let mut making = Vec::new();
    for (i, owner) in owners.into_iter().enumerate() {
        let client = client.clone();
        making.push(tokio::spawn(async move {
            setup::retailer(&client, i, owner, shape).await
        }));
    }
    let mut tenants = Vec::new();
    for m in making {
        tenants.push(m.await??);
    }
    println!(
        "sim: set up {} tenants, {} terminals in {:.1} s",
        tenants.len(),
        tenants
            .iter()
            .flat_map(|t| &t.shops)
            .map(|s| s.tills.len())
            .sum::<usize>(),
        started.elapsed().as_secs_f64()
    );

    let plan = Plan {
        sales: args.sales,
        pace: Duration::from_millis(args.pace_ms),
        batch: args.batch.clamp(1, 500),
        offline: args.offline,
        chaos: args.chaos,
        drain: Duration::from_secs(args.drain_secs),
        lookups: args.lookups,
        selling_for: args.duration_secs.map(Duration::from_secs),
        start_within: args.herd_secs.map(Duration::from_secs),
    };
    let stats = Arc::new(Stats::default());
    let mut handles = Vec::new();
    let mut seed = args.seed;
    for tenant in &tenants {
        for shop in &tenant.shops {
            let pool = Arc::new(Mutex::new(std::collections::VecDeque::new()));
            for spec in &shop.tills {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let till = Till::new(
                    spec.id.clone(),
                    spec.token.clone(),
                    shop.zone,
                    shop.id.clone(),
                    client.clone(),
                    pool.clone(),
                    stats.clone(),
                    plan.clone(),
                    seed,
                );
                handles.push((tenant.index, tokio::spawn(till.run())));
            }
        }
    }
    let stop_watch = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = (args.price_change_ms > 0).then(|| {
        let (client, stop, stats) = (client.clone(), stop_watch.clone(), stats.clone());
        let every = Duration::from_millis(args.price_change_ms);
        let target = watch::Target::of(&tenants[0]);
        tokio::spawn(watch::run(client, target, every, stop, stats))
    });
    println!("sim: selling");
    let selling = Instant::now();
    let progress = {
        let stats = stats.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                println!(
                    "sim: {:>5.0} s: {} sales, {} pushes ({} failed), {} events sent",
                    selling.elapsed().as_secs_f64(),
                    get(&stats.sales),
                    get(&stats.pushes),
                    get(&stats.failed_pushes),
                    get(&stats.events_sent),
                );
            }
        })
    };
    let mut by_tenant: Vec<Vec<Till>> = tenants.iter().map(|_| Vec::new()).collect();
    for (tenant, handle) in handles {
        by_tenant[tenant].push(handle.await??);
    }
    progress.abort();
    stop_watch.store(true, std::sync::atomic::Ordering::Relaxed);
    if let Some(w) = watcher {
        w.await?;
    }
    let selling_secs = selling.elapsed().as_secs_f64();

    let mut ok = true;
    let mut verdicts = Vec::new();
    for (tenant, tills) in tenants.iter().zip(&by_tenant) {
        verdicts.push(verify::tenant(&client, &tenant.owner, tills).await?);
    }
    let logs = || by_tenant.iter().flatten().flat_map(|t| &t.log);
    let events = logs().count();
    let first = |s: &str| logs().filter(|l| l.ack.as_deref() == Some(s)).count();
    let sum = |f: fn(&verify::Verdict) -> u64| verdicts.iter().map(f).sum::<u64>();
    let [p50, p90, p99, max] = stats.percentiles();
    println!(
        "sim: {} events made in {selling_secs:.1} s ({:.0}/s): {} sales, {} refunds ({} on another terminal), {} voids",
        events,
        events as f64 / selling_secs.max(1e-9),
        get(&stats.sales),
        get(&stats.refunds),
        get(&stats.cross_terminal_refunds),
        get(&stats.voids),
    );
    println!(
        "sim: {} pushes ({} failed and retried, {} refused), {} events sent, {} offline spells",
        get(&stats.pushes),
        get(&stats.failed_pushes),
        get(&stats.refused_pushes),
        get(&stats.events_sent),
        get(&stats.offline_spells),
    );
    println!(
        "sim: first answers: {} APPLIED, {} QUEUED, {} DUPLICATE (applied by a push whose answer was lost); {} duplicate answers in all; {} conflicts, {} rejected",
        first("APPLIED"),
        first("QUEUED"),
        first("DUPLICATE"),
        get(&stats.duplicate_answers),
        get(&stats.conflicts),
        get(&stats.rejected),
    );
    println!(
        "sim: push latency p50 {p50:.1} ms, p90 {p90:.1} ms, p99 {p99:.1} ms, max {max:.1} ms"
    );
    let boundary = selling + Duration::from_secs(args.phase_secs);
    for (name, first_phase) in [("first", true), ("after the first", false)] {
        let within = |at: Instant| (at < boundary) == first_phase;
        let [p50, p90, p99, max] = stats.phase_percentiles(within);
        println!(
            "sim: {name} {} s: {} pushes answered, p50 {p50:.1} ms, p90 {p90:.1} ms, p99 {p99:.1} ms, max {max:.1} ms",
            args.phase_secs,
            stats.phase_pushes(within),
        );
    }
    println!(
        "sim: failed pushes by answer: {} refused at the door (HTTP 503), {} rate limited (429), {} UNAVAILABLE inside (pool timeouts, busy database), {} with no answer",
        get(&stats.http_503),
        get(&stats.http_429),
        get(&stats.unavailable),
        get(&stats.no_answer),
    );
    let [r50, _, r99, rmax] = stats.refusal_percentiles();
    println!(
        "sim: refusals at the door (HTTP 503) took p50 {r50:.1} ms, p99 {r99:.1} ms, max {rmax:.1} ms"
    );
    if let Some(secs) = args.duration_secs {
        // Pushes started while terminals were selling, after the first
        // phase: the server's steady completion rate under this load.
        let steady = secs.saturating_sub(args.phase_secs) as f64;
        let (pushes, events) = stats.rates(boundary, steady);
        println!(
            "sim: steady (from {} s until selling stopped at {secs} s): {pushes:.1} pushes answered per second, covering {events:.1} events per second",
            args.phase_secs,
        );
    }
    let [l50, _, l99, lmax] = stats.lookup_percentiles();
    println!(
        "sim: {} barcode lookups ({} failed), p50 {l50:.1} ms, p99 {l99:.1} ms, max {lmax:.1} ms",
        get(&stats.lookups),
        get(&stats.failed_lookups),
    );
    if args.price_change_ms > 0 {
        println!(
            "sim: {} price changes; the longest any server served the old price: {:.0} ms",
            get(&stats.price_changes),
            get(&stats.max_staleness_us) as f64 / 1_000.0
        );
    }
    println!(
        "sim: {} stock receipts, {} stock counts and {} cash movements sent; {} stock levels and {} closed shifts checked against the tills",
        get(&stats.stock_receipts),
        get(&stats.stock_counts),
        get(&stats.cash_movements),
        sum(|v| v.stock_levels),
        sum(|v| v.shifts),
    );
    println!(
        "sim: server holds {} sales, {} refunds, {} voids; {} receipt chains verified ({} receipts), {} Z-reports, {} report rows, {} rollup cells reconciled",
        sum(|v| v.sales),
        sum(|v| v.refunds),
        sum(|v| v.voids),
        sum(|v| v.chains),
        sum(|v| v.receipts_checked),
        sum(|v| v.zreports),
        sum(|v| v.report_rows),
        sum(|v| v.reconcile_cells),
    );
    let (lost, extra, unacked) = (sum(|v| v.lost), sum(|v| v.extra), sum(|v| v.unacknowledged));
    println!("sim: lost {lost}, applied twice {extra}, unacknowledged {unacked}");
    let differences: Vec<&String> = verdicts.iter().flat_map(|v| &v.differences).collect();
    for d in differences.iter().take(20) {
        println!("sim: DIFFERENCE {d}");
    }
    let problems = stats.problems();
    let failed_calls = get(&stats.failed_pushes) + get(&stats.failed_lookups);
    if lost + extra + unacked > 0 || !differences.is_empty() || !problems.is_empty() {
        ok = false;
    }
    if args.no_errors && failed_calls > 0 {
        println!("sim: {failed_calls} calls failed, and --no-errors allows none");
        ok = false;
    }
    println!(
        "sim: {} ({} differences, {} protocol problems)",
        if ok { "OK" } else { "FAILED" },
        differences.len(),
        problems.len()
    );
    Ok(ok)
}

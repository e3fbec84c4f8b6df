//! Settings for the edge every operation passes: who is believed about a
//! client's address, how much anonymous callers may ask, and how much the
//! persisted-query store may hold.

use clap::Args;
use ipnet::IpNet;

#[derive(Debug, Clone, Args)]
pub struct Edge {
    /// Proxies (CIDRs, comma-separated) whose `Forwarded` and
    /// `X-Forwarded-For` headers are believed; empty (the default) means
    /// the socket peer is always the client address.
    #[arg(
        long,
        env = "POS_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_proxies: Vec<IpNet>,

    /// Requests per second each client address may make without a token,
    /// per replica; 0 turns the limit off.
    #[arg(
        long,
        env = "POS_RATE_LIMIT_ANONYMOUS_RPS",
        default_value_t = 5.0,
        global = true
    )]
    pub rate_limit_anonymous_rps: f64,

    /// Requests a client address may make at once without a token, above
    /// its rate.
    #[arg(
        long,
        env = "POS_RATE_LIMIT_ANONYMOUS_BURST",
        default_value_t = 20.0,
        global = true
    )]
    pub rate_limit_anonymous_burst: f64,

    /// Bytes of documents learned through automatic persisted queries that
    /// one replica keeps in memory, over all tenants.
    #[arg(long, env = "POS_PERSISTED_MAX_BYTES", default_value_t = 64 * 1024 * 1024, global = true)]
    pub persisted_max_bytes: u64,

    /// Bytes of learned documents one tenant may have kept, in memory and
    /// in Redis; past it, documents run but are not kept.
    #[arg(long, env = "POS_PERSISTED_TENANT_MAX_BYTES", default_value_t = 4 * 1024 * 1024, global = true)]
    pub persisted_tenant_max_bytes: u64,

    /// Mutations (pushes included) one replica runs at once; more wait in
    /// line up to `POS_ADMISSION_WAIT_MS`, then are refused with
    /// UNAVAILABLE and `Retry-After`. Default: twice the database pool's
    /// size.
    #[arg(long, env = "POS_MAX_INFLIGHT_WRITES", global = true)]
    pub max_inflight_writes: Option<u32>,

    /// Queries one replica runs at once, apart from mutations, so reads
    /// the cache serves never wait behind writes. Default: eight times the
    /// database pool's size.
    #[arg(long, env = "POS_MAX_INFLIGHT_READS", global = true)]
    pub max_inflight_reads: Option<u32>,

    /// Operations of each kind (queries, mutations) that may wait for a
    /// place; past it they are refused at once. Default: four times the
    /// kind's places.
    #[arg(long, env = "POS_ADMISSION_QUEUE", global = true)]
    pub admission_queue: Option<u32>,

    /// How long an operation may wait in line for a place before it is
    /// refused.
    #[arg(
        long,
        env = "POS_ADMISSION_WAIT_MS",
        default_value_t = 500,
        global = true
    )]
    pub admission_wait_ms: u64,
}

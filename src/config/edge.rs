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
}

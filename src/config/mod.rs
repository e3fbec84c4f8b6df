//! Typed configuration: every flag is also read from the environment
//! variable of the same name (docs/architecture.md, "Configuration").

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, ValueEnum};

mod edge;
pub use edge::Edge;

/// The development JWT secret. Printed at start so a developer can mint
/// tokens; refused when `POS_ENV=production`.
pub const DEV_JWT_SECRET: &str = "pos-development-secret-do-not-use-in-production";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Who may run introspection queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Introspection {
    /// Anyone, with or without a token (so GraphiQL can show the docs).
    Public,
    /// Only requests with a valid token.
    Authenticated,
    /// Nobody.
    Off,
}

#[derive(Debug, Clone, Args)]
pub struct Config {
    /// `development` or `production`; production refuses unsafe defaults.
    #[arg(
        long,
        env = "POS_ENV",
        value_enum,
        default_value = "development",
        global = true
    )]
    pub env: Environment,

    /// Test builds only (feature `planted-leak`): reads and one-row updates
    /// of this table skip the tenant filter, so the probe suite can prove
    /// it catches that.
    #[cfg(feature = "planted-leak")]
    #[arg(long, hide = true)]
    pub planted_unscoped_table: Option<String>,

    /// Database the server uses: a SQLite file or `postgres://…`.
    #[arg(
        long,
        env = "POS_DATABASE_URL",
        default_value = "sqlite://pos.db?mode=rwc",
        global = true
    )]
    pub database_url: String,

    /// Database URL for migrations (a table owner), when the server's own
    /// role must not own the tables.
    #[arg(long, env = "POS_MIGRATE_DATABASE_URL", global = true)]
    pub migrate_database_url: Option<String>,

    /// Run pending migrations when the server starts.
    #[arg(long, env = "POS_MIGRATE_ON_START", default_value_t = true, action = ArgAction::Set, global = true)]
    pub migrate_on_start: bool,

    /// Maximum database connections in the pool. Default: twice the CPU
    /// cores, at least 4 (more only adds contention: see BENCHMARKS.md).
    #[arg(long, env = "POS_DB_MAX_CONNECTIONS", global = true)]
    pub db_max_connections: Option<u32>,

    /// Statement timeout on PostgreSQL, in milliseconds.
    #[arg(
        long,
        env = "POS_DB_STATEMENT_TIMEOUT_MS",
        default_value_t = 5000,
        global = true
    )]
    pub db_statement_timeout_ms: u64,

    /// Entries in each in-process cache (scans, locations).
    #[arg(
        long,
        env = "POS_CACHE_CAPACITY",
        default_value_t = 100_000,
        global = true
    )]
    pub cache_capacity: u64,

    /// Redis for the shared cache; unset means an in-process cache only.
    #[arg(long, env = "POS_REDIS_URL", global = true)]
    pub redis_url: Option<String>,

    /// Address to listen on.
    #[arg(
        long,
        env = "POS_LISTEN",
        default_value = "127.0.0.1:8000",
        global = true
    )]
    pub listen: SocketAddr,

    /// Address for Prometheus `/metrics`, apart from the API; unset means
    /// no metrics endpoint.
    #[arg(long, env = "POS_METRICS_LISTEN", global = true)]
    pub metrics_listen: Option<SocketAddr>,

    /// HS256 secret for verifying (and minting) tokens.
    #[arg(long, env = "POS_JWT_SECRET", hide_env_values = true, global = true)]
    pub jwt_secret: Option<String>,

    /// Public keys by `kid` (RS256 or EdDSA): a JWKS document, inline JSON
    /// or a file path.
    #[arg(long, env = "POS_JWT_PUBLIC_KEYS", global = true)]
    pub jwt_public_keys: Option<String>,

    /// PEM private key used to mint device tokens when no HS256 secret is
    /// set; its public half must be in POS_JWT_PUBLIC_KEYS under
    /// POS_JWT_SIGNING_KID.
    #[arg(long, env = "POS_JWT_SIGNING_KEY", global = true)]
    pub jwt_signing_key: Option<PathBuf>,

    /// The `kid` of POS_JWT_SIGNING_KEY.
    #[arg(long, env = "POS_JWT_SIGNING_KID", global = true)]
    pub jwt_signing_kid: Option<String>,

    /// Required `iss` claim.
    #[arg(long, env = "POS_JWT_ISSUER", default_value = "pos", global = true)]
    pub jwt_issuer: String,

    /// Required `aud` claim.
    #[arg(
        long,
        env = "POS_JWT_AUDIENCE",
        default_value = "pos-api",
        global = true
    )]
    pub jwt_audience: String,

    /// Clock leeway for `exp` and `nbf`, in seconds (at most 60).
    #[arg(long, env = "POS_JWT_LEEWAY_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=60), global = true)]
    pub jwt_leeway_secs: u64,

    /// Who may introspect the schema: public, authenticated or off.
    /// Default: public in development, authenticated in production.
    #[arg(long, env = "POS_INTROSPECTION", value_enum, global = true)]
    pub introspection: Option<Introspection>,

    /// `text` or `json` logs.
    #[arg(
        long,
        env = "POS_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,

    /// Request timeout, in seconds.
    #[arg(
        long,
        env = "POS_REQUEST_TIMEOUT_SECS",
        default_value_t = 30,
        global = true
    )]
    pub request_timeout_secs: u64,

    /// Largest request body accepted, in bytes.
    #[arg(long, env = "POS_BODY_LIMIT_BYTES", default_value_t = 2 * 1024 * 1024, global = true)]
    pub body_limit_bytes: usize,

    /// Most operations in one batched request.
    #[arg(long, env = "POS_MAX_BATCH", default_value_t = 10, global = true)]
    pub max_batch: usize,

    /// Origins allowed by CORS (comma-separated); empty means no CORS.
    #[arg(long, env = "POS_CORS_ORIGINS", value_delimiter = ',', global = true)]
    pub cors_origins: Vec<String>,

    /// Registered operations (persisted queries): Apollo's manifest format
    /// or a `{ "<sha256>": "<document>" }` map.
    #[arg(long, env = "POS_PERSISTED_QUERIES_FILE", global = true)]
    pub persisted_queries_file: Option<PathBuf>,

    /// Device tokens may run only the registered operations.
    #[arg(long, env = "POS_DEVICE_REGISTERED_ONLY", default_value_t = false,
          action = ArgAction::Set, global = true)]
    pub device_registered_only: bool,

    /// Requests per second each tenant may make, per replica (token
    /// bucket); 0 turns the limit off.
    #[arg(
        long,
        env = "POS_RATE_LIMIT_TENANT_RPS",
        default_value_t = 500.0,
        global = true
    )]
    pub rate_limit_tenant_rps: f64,

    /// Requests a tenant may make at once, above its rate.
    #[arg(
        long,
        env = "POS_RATE_LIMIT_TENANT_BURST",
        default_value_t = 1000.0,
        global = true
    )]
    pub rate_limit_tenant_burst: f64,

    /// Requests per second each terminal (device token) may make, per
    /// replica; 0 turns the limit off.
    #[arg(
        long,
        env = "POS_RATE_LIMIT_TERMINAL_RPS",
        default_value_t = 20.0,
        global = true
    )]
    pub rate_limit_terminal_rps: f64,

    /// Requests a terminal may make at once, above its rate (a catalog
    /// pull after a night offline).
    #[arg(
        long,
        env = "POS_RATE_LIMIT_TERMINAL_BURST",
        default_value_t = 100.0,
        global = true
    )]
    pub rate_limit_terminal_burst: f64,

    /// Trusted proxies, anonymous limits and the persisted-query store.
    #[command(flatten)]
    pub edge: Edge,

    /// How long in-flight requests may take to finish after SIGTERM.
    #[arg(
        long,
        env = "POS_SHUTDOWN_GRACE_SECS",
        default_value_t = 20,
        global = true
    )]
    pub shutdown_grace_secs: u64,
    /// After SIGTERM, seconds to keep serving with `/readyz` at 503, so
    /// load balancers stop routing here before connections are refused.
    /// Ctrl-c skips it.
    #[arg(
        long,
        env = "POS_SHUTDOWN_DELAY_SECS",
        default_value_t = 2,
        global = true
    )]
    pub shutdown_delay_secs: u64,
}

impl Config {
    /// The configuration from flags and environment alone, as the server
    /// would see it with no subcommand.
    pub fn from_env_and<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        /// The flags alone, without a subcommand.
        #[derive(Parser)]
        struct Flags {
            #[command(flatten)]
            config: Config,
        }
        Flags::try_parse_from(std::iter::once("pos".into()).chain(args.into_iter().map(Into::into)))
            .map(|flags| flags.config)
    }

    pub fn is_production(&self) -> bool {
        self.env == Environment::Production
    }

    pub fn introspection(&self) -> Introspection {
        self.introspection.unwrap_or(if self.is_production() {
            Introspection::Authenticated
        } else {
            Introspection::Public
        })
    }

    /// The pool size: the configured one, or twice the CPU cores (at
    /// least 4).
    pub fn db_pool_size(&self) -> u32 {
        self.db_max_connections.unwrap_or_else(|| {
            let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
            (cores * 2).max(4)
        })
    }

    /// The URL migrations run with.
    pub fn migrate_url(&self) -> &str {
        self.migrate_database_url
            .as_deref()
            .unwrap_or(&self.database_url)
    }
}

/// Parses a duration as humantime does (`90s`, `15m`, `1h 30m`, `7d`,
/// `2w`), or a bare number of seconds.
pub fn parse_duration(input: &str) -> Result<std::time::Duration, String> {
    let input = input.trim();
    if !input.is_empty() && input.bytes().all(|b| b.is_ascii_digit()) {
        return input
            .parse()
            .map(std::time::Duration::from_secs)
            .map_err(|_| format!("'{input}' is too long"));
    }
    humantime::parse_duration(input)
        .map_err(|e| format!("'{input}' is not a duration such as 90s, 15m, 1h or 7d: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("90").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("15m").unwrap().as_secs(), 900);
        assert_eq!(parse_duration("1h").unwrap().as_secs(), 3600);
        assert_eq!(parse_duration("7d").unwrap().as_secs(), 604_800);
        assert_eq!(parse_duration("1h 30m").unwrap().as_secs(), 5400);
        assert_eq!(parse_duration("1w").unwrap().as_secs(), 604_800);
        assert!(parse_duration("").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }
}

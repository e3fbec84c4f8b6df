//! The `pos` command line: the subcommands and their arguments. Every
//! setting is a flag of [`Config`] as well as an environment variable.

use clap::{Args, Parser, Subcommand};

use crate::auth::Role;
use crate::config::Config;

#[derive(Debug, Parser)]
#[command(name = "pos", version, about = "Multi-tenant point-of-sale backend")]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply, roll back or list schema migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Print the GraphQL schema (SDL) to stdout.
    PrintSchema,
    /// Manage tenants.
    Tenant {
        #[command(subcommand)]
        action: TenantAction,
    },
    /// Mint a token with the configured signing key, for local use and tests.
    Token(TokenArgs),
    /// Exit 0 when the server on POS_LISTEN answers /healthz (for container
    /// health checks).
    Healthcheck,
    /// Create a tenant with a year of realistic trade (catalog, stores,
    /// terminals, and sales, refunds and voids pushed through syncPush),
    /// for demos and the report benchmark. Prints the tenant id.
    Seed(SeedArgs),
    /// Rebuild a tenant's report rollups for business dates FROM to TO
    /// (inclusive) from the ledger, and print every figure that differed.
    /// Exits 1 when any did.
    Reconcile {
        #[arg(long)]
        tenant: uuid::Uuid,
        #[arg(long)]
        from: chrono::NaiveDate,
        #[arg(long)]
        to: chrono::NaiveDate,
    },
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// The new tenant's name.
    #[arg(long, default_value = "Benchmark Retail")]
    pub name: String,
    /// Sale lines to make, about.
    #[arg(long, default_value_t = 10_000_000)]
    pub lines: u64,
    #[arg(long, default_value_t = 20)]
    pub locations: usize,
    /// Terminals in all, spread evenly over the locations.
    #[arg(long, default_value_t = 200)]
    pub terminals: usize,
    #[arg(long, default_value_t = 10_000)]
    pub variants: usize,
    /// Days of trade, ending on `end`.
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// The last day of trade (default: yesterday).
    #[arg(long)]
    pub end: Option<chrono::NaiveDate>,
    /// Terminals pushing at once.
    #[arg(long, default_value_t = 4)]
    pub workers: usize,
    /// The random seed: the same seed gives the same trade.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Clone, Subcommand)]
pub enum MigrateAction {
    /// Apply all pending migrations.
    Up,
    /// Roll back the last applied migration (or `--steps N`).
    Down {
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

#[derive(Debug, Clone, Subcommand)]
pub enum TenantAction {
    /// Create a tenant and print its id.
    Create {
        name: String,
        /// ISO 4217 currency of the tenant's base prices.
        #[arg(long, default_value = "USD")]
        currency: String,
    },
}

#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// Tenant id (the `tid` claim).
    #[arg(long)]
    pub tenant: uuid::Uuid,
    /// Subject: the user or service the token stands for.
    #[arg(long)]
    pub sub: String,
    /// Role; repeat for several.
    #[arg(long = "role", value_enum)]
    pub roles: Vec<Role>,
    /// Terminal id, for a device token (`trm` claim).
    #[arg(long)]
    pub terminal: Option<uuid::Uuid>,
    /// Lifetime, e.g. 90s, 15m, 1h, 7d.
    #[arg(long, default_value = "1h", value_parser = crate::config::parse_duration)]
    pub ttl: std::time::Duration,
}

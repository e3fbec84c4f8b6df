//! Multi-tenant, headless point-of-sale backend: one GraphQL schema over
//! the Product, Sales, Sync and Reporting services.

/// mimalloc rather than the system allocator: a push or a lookup makes many
/// short-lived allocations, and glibc's `malloc`/`free` were a fifth of a
/// push's profile (BENCHMARKS.md, "syncPush"). Declared here so the server,
/// the benchmarks and the tests all run on the same allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod audit;
pub mod auth;
pub mod cache;
pub mod cash;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod error;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod money;
pub mod org;
pub mod reporting;
pub mod sales;
pub mod startup;
pub mod stock;
pub mod sync;
pub mod telemetry;
pub mod tenancy;
pub mod validate;

//! Multi-tenant, headless point-of-sale backend: one GraphQL schema over
//! the Product, Sales, Sync and Reporting services.

pub mod audit;
pub mod auth;
pub mod cache;
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
pub mod seed;
pub mod startup;
pub mod sync;
pub mod telemetry;
pub mod tenancy;
pub mod validate;

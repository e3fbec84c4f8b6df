//! Integration tests: one binary, a fresh database per test.
//!
//! `cargo test` runs them on SQLite; with `POS_DATABASE_URL=postgres://…`
//! (the app role) and `POS_MIGRATE_DATABASE_URL` (a table owner) they run on
//! PostgreSQL, each test in a database of its own.

mod audit;
mod auth;
mod cancel;
mod catalog;
mod cli;
mod door;
mod helpers;
mod http;
mod internals;
mod ledger;
mod limits;
mod locations;
mod lookup;
mod media;
mod metrics;
mod overload;
mod persisted;
mod playground;
mod postgres;
mod price_history;
mod probe;
mod pull;
mod refunds;
mod report_csv;
mod report_property;
mod reports;
mod sales;
mod scan_input;
mod schema;
mod shifts;
mod shop;
mod sockets;
mod stock;
mod stock_feed;
mod stock_property;
mod stock_sales;
mod subscriptions;
mod sync;
mod sync_property;
mod tenancy;
mod terminals;

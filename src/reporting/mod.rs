//! Reporting Service: rollups kept in step with the ledger, the sales
//! report over them, its CSV export, and `reconcile`, which rebuilds the
//! rollups from the ledger and reports any difference.

pub mod compaction;
pub mod csv;
pub mod graphql;
mod month_check;
mod names;
mod parts;
mod plan;
pub mod reconcile;
pub mod report;
pub mod rows;
mod sql;

//! Sales Service: the ledger of sales, refunds and voids, written only by
//! applying terminal events; receipts, the receipt hash chain and Z-reports.

pub mod apply;
pub mod chain;
pub mod checks;
pub mod compute;
pub mod event;
pub mod graphql;
pub mod ingest;
pub mod ledger;
pub mod queries;
pub mod receipt;
pub mod records;
pub mod rejection;
pub mod rollup;
pub mod zreport;

//! Stock Service: what each location holds of every variant that tracks
//! stock, as an append-only ledger of movements (`ledger`), the levels it
//! sums to, and the back-office documents that move it: goods received,
//! adjustments, counts (`documents`) and transfers between locations
//! (`transfers`). Sales, refunds and voids add their movements in the
//! same transaction as their records (`sales::apply`).
//!
//! See docs/architecture.md, "Stock".

pub mod documents;
pub mod feed;
pub mod graphql;
pub mod ledger;
pub mod levels;
pub mod reports;
pub mod sold;
pub mod transfers;

pub use ledger::{Detail, Kind, Movement, Movements};

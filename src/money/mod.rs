//! Exact money: integer minor units with an ISO 4217 currency
//! (DESIGN.md, invariant 4).

mod currency;

pub use currency::Currency;

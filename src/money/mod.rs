//! Exact money: integer minor units with an ISO 4217 currency
//! (docs/architecture.md, "Exact money"). No floats anywhere: amounts are
//! `i64` minor units, rates are parts per million, quantities are
//! thousandths, and every division rounds with an explicit
//! [`RoundingMode`].
//!
//! The Product service prices with it and the Sales service totals with it,
//! so a price shown at the shelf and the receipt agree to the minor unit.

mod currency;
mod decimal;
mod exact;
mod rounding;
pub mod tax;

pub use currency::Currency;
pub use decimal::{Quantity, Rate, canonical_decimal};
pub use exact::{Amount, Decimal3};
pub use rounding::{RoundingMode, allocate, div_round};

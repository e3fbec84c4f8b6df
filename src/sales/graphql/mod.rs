//! The Sales Service's part of the schema.

mod floor_inputs;
pub mod inputs;
mod mutation;
mod query;
mod refund_types;
mod types;

pub use mutation::SalesMutation;
pub use query::SalesQuery;

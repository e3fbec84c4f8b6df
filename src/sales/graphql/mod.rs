//! The Sales Service's part of the schema.

mod mutation;
mod query;
mod types;

pub use mutation::SalesMutation;
pub use query::SalesQuery;

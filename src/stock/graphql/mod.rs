//! The stock's GraphQL surface: levels, movements and transfers to read
//! (staff), and the documents that move stock (owners and managers).

mod inputs;
mod mutation;
mod query;
mod types;

pub use mutation::StockMutation;
pub use query::StockQuery;

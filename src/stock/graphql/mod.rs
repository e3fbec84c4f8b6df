//! The stock's GraphQL surface: levels, movements and transfers to read
//! (staff), the stock feed terminals pull (`feed`), and the documents
//! that move stock (owners and managers).

mod feed;
mod inputs;
mod mutation;
mod query;
mod types;

pub use mutation::StockMutation;

#[derive(async_graphql::MergedObject, Default)]
pub struct StockQuery(query::StockReadQuery, feed::StockFeedQuery);

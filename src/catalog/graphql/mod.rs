//! The catalog's GraphQL surface.

mod inputs;
pub mod kinds;
pub mod loaders;
mod lookup;
mod mutation;
mod query;
pub mod stock;
pub mod types;

pub use mutation::CatalogMutation;
pub use query::CatalogQuery;

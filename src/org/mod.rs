//! The tenant's organisation: its locations and their terminals.

pub mod graphql;
mod loader;
pub mod locations;
pub mod tenant;
pub mod terminals;

pub use graphql::{Location, OrgMutation, OrgQuery};
pub use loader::{LocationLoader, TerminalLoader};

//! The tenant's organisation: its locations and their terminals.

pub mod graphql;
pub mod locations;
pub mod tenant;
pub mod terminals;

//! Product Service: catalog, attributes, barcodes, pricing rules and tax
//! groups, and the cached barcode lookup terminals scan against.

pub mod archive;
pub mod attributes;
pub mod barcode;
pub mod barcodes;
pub mod changes;
pub mod graphql;
pub mod lookup;
pub mod price_history;
pub mod pricing;
pub mod products;
pub mod rules;
pub mod tax_groups;
pub mod variants;

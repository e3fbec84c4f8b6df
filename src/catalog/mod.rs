//! Product Service: catalog, attributes, barcodes, pricing rules and tax
//! groups.

pub mod barcode;
pub mod pricing;

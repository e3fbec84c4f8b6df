//! Receipts: a [`ReceiptDoc`] built from the ledger, printed as text for
//! 42- and 48-column thermal printers or as HTML.

mod doc;
mod load;
pub mod render;

pub use doc::{DocKind, DocLine, DocTax, DocTender, ReceiptDoc};
pub use load::{refund_receipt, sale_receipt};

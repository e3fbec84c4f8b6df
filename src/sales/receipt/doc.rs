//! What a printed receipt shows, independent of its format. Built from the
//! ledger rows by `receipt::load`, rendered by `receipt::render`.

use chrono::NaiveDateTime;

use crate::money::{Currency, Quantity};

/// A sale or refund receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptDoc {
    pub kind: DocKind,
    /// `LOCATIONCODE-TERMINALCODE-000123`.
    pub number: String,
    pub tenant_name: String,
    pub location_name: String,
    /// Address lines, already joined per line (street, "postal city", …).
    pub address: Vec<String>,
    /// Local date and time at the location, and the zone's abbreviation.
    pub local_time: NaiveDateTime,
    pub time_zone: String,
    pub terminal_code: String,
    pub cashier: String,
    pub currency: Currency,
    pub prices_include_tax: bool,
    pub lines: Vec<DocLine>,
    /// Sum of the lines' amounts before discounts.
    pub subtotal: i64,
    pub discount_total: i64,
    pub taxes: Vec<DocTax>,
    pub tax_total: i64,
    /// What was paid (sale) or given back (refund), as a positive amount.
    pub total: i64,
    pub tenders: Vec<DocTender>,
    /// Change given (sales only; 0 on refunds).
    pub change: i64,
    /// On refunds: the original sale's receipt number, if any.
    pub original_number: Option<String>,
    /// On refunds: the reason given.
    pub reason: Option<String>,
    /// Set when the sale has since been voided.
    pub voided: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocKind {
    Sale,
    Refund,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocLine {
    pub name: String,
    pub sku: String,
    /// `EACH`, `KG` or `LB`.
    pub unit: String,
    pub quantity: Quantity,
    /// Per unit (per kg or lb for weighed items).
    pub unit_price: i64,
    /// Quantity × unit price, before discounts.
    pub amount: i64,
    /// Rule and manual discounts on this line (0 if none).
    pub discount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocTax {
    pub name: String,
    /// Exact percent text, such as `"8.875"`.
    pub percent: String,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocTender {
    /// `CASH`, `CARD`, `GIFT_CARD`, `VOUCHER` or `OTHER`.
    pub method: String,
    pub amount: i64,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    pub auth_reference: Option<String>,
}

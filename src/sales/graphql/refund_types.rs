//! GraphQL views of the records that take a sale back: refunds, their
//! lines, and whole-sale voids.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{refund_line, sale_void};

use super::types::{LineTax, Tender, id, line_taxes, location, tax_summary, unit};
use crate::catalog::graphql::kinds::SaleUnit;
use crate::graphql::scalars::{Amount, Decimal3};
use crate::money::Quantity;
use crate::org::graphql::Location;
use crate::sales::records::RefundRecord;

/// A refunded line.
pub struct RefundLine {
    line: refund_line::Model,
    taxes: Vec<LineTax>,
}

#[Object]
impl RefundLine {
    async fn line_no(&self) -> i32 {
        self.line.line_no
    }
    /// The original sale's line, when refunded against a receipt.
    async fn sale_line_no(&self) -> Option<i32> {
        self.line.sale_line_no
    }
    async fn variant_id(&self) -> ID {
        id(self.line.variant_id)
    }
    async fn sku(&self) -> &str {
        &self.line.sku
    }
    async fn name(&self) -> &str {
        &self.line.name
    }
    async fn unit(&self) -> SaleUnit {
        unit(&self.line.unit)
    }
    async fn quantity(&self) -> Decimal3 {
        Decimal3(Quantity::from_milli(self.line.quantity_milli))
    }
    async fn unit_price(&self) -> Amount {
        Amount(self.line.unit_price)
    }
    /// The refunded share of the line's discounts.
    async fn discount(&self) -> Amount {
        Amount(self.line.discount)
    }
    async fn net(&self) -> Amount {
        Amount(self.line.net)
    }
    async fn tax(&self) -> Amount {
        Amount(self.line.tax)
    }
    async fn gross(&self) -> Amount {
        Amount(self.line.gross)
    }
    async fn taxes(&self) -> &[LineTax] {
        &self.taxes
    }
}

/// A refund: its own ledger record.
pub struct Refund(pub RefundRecord);

#[Object]
impl Refund {
    async fn id(&self) -> ID {
        id(self.0.refund.id)
    }
    async fn receipt_number(&self) -> &str {
        &self.0.refund.receipt_number
    }
    /// The original sale; null for a refund without a receipt.
    async fn sale_id(&self) -> Option<ID> {
        self.0.refund.sale_id.map(id)
    }
    async fn without_receipt(&self) -> bool {
        self.0.refund.without_receipt
    }
    async fn terminal_id(&self) -> ID {
        id(self.0.refund.terminal_id)
    }
    async fn location(&self, ctx: &Context<'_>) -> Result<Location> {
        location(ctx, self.0.refund.location_id).await
    }
    async fn cashier(&self) -> &str {
        &self.0.refund.cashier
    }
    async fn reason(&self) -> Option<&str> {
        self.0.refund.reason.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.refund.created_at
    }
    async fn received_at(&self) -> DateTime<Utc> {
        self.0.refund.received_at
    }
    async fn business_date(&self) -> NaiveDate {
        self.0.refund.business_date
    }
    async fn currency(&self) -> &str {
        &self.0.refund.currency
    }
    async fn discount_total(&self) -> Amount {
        Amount(self.0.refund.discount_total)
    }
    async fn net_total(&self) -> Amount {
        Amount(self.0.refund.net_total)
    }
    async fn tax_total(&self) -> Amount {
        Amount(self.0.refund.tax_total)
    }
    /// Given back to the customer.
    async fn total(&self) -> Amount {
        Amount(self.0.refund.total)
    }
    async fn lines(&self) -> Vec<RefundLine> {
        self.0
            .lines
            .iter()
            .map(|l| RefundLine {
                taxes: line_taxes(&self.0.taxes, l.line_no),
                line: l.clone(),
            })
            .collect()
    }
    async fn taxes(&self) -> Vec<LineTax> {
        tax_summary(&self.0.taxes)
    }
    async fn tenders(&self) -> Vec<Tender> {
        self.0.tenders.iter().cloned().map(Tender).collect()
    }
}

/// A whole-sale void.
pub struct SaleVoid(pub sale_void::Model);

#[Object]
impl SaleVoid {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn sale_id(&self) -> ID {
        id(self.0.sale_id)
    }
    async fn receipt_number(&self) -> &str {
        &self.0.receipt_number
    }
    async fn terminal_id(&self) -> ID {
        id(self.0.terminal_id)
    }
    async fn cashier(&self) -> &str {
        &self.0.cashier
    }
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn business_date(&self) -> NaiveDate {
        self.0.business_date
    }
    /// The voided sale's total.
    async fn total(&self) -> Amount {
        Amount(self.0.total)
    }
}

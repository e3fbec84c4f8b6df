//! GraphQL views of ledger records. Storage rows stay private; these say
//! what clients see.

use std::collections::HashMap;

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use entity::{ledger_anomaly, line_tax, sale_line, tender};

use crate::auth::Staff;
use crate::catalog::graphql::kinds::SaleUnit;
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::scalars::{Amount, Decimal3};
use crate::money::{Quantity, Rate};
use crate::org::graphql::Location;
use crate::org::graphql::loaders::LocationLoader;
use crate::sales::queries;
use crate::sales::records::SaleRecord;

use super::refund_types::{Refund, SaleVoid};

pub(super) fn id(u: uuid::Uuid) -> ID {
    ID(u.to_string())
}

pub(super) async fn location(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Location> {
    ctx.loader::<LocationLoader>()?
        .load_one(id)
        .await?
        .map(Location)
        .ok_or_else(|| AppError::internal("a ledger record points at a missing location").into())
}

/// One rate's tax on a line, with the rate as it was in force.
#[derive(SimpleObject)]
pub struct LineTax {
    pub name: String,
    /// Exact percent, such as `"8.875"`.
    pub percent: String,
    pub amount: Amount,
}

pub(super) fn line_taxes(taxes: &[line_tax::Model], line_no: i32) -> Vec<LineTax> {
    taxes
        .iter()
        .filter(|t| t.line_no == line_no)
        .map(|t| LineTax {
            name: t.name.clone(),
            percent: Rate::from_ppm(t.rate_ppm).map_or_else(|| "?".into(), Rate::percent),
            amount: Amount(t.amount),
        })
        .collect()
}

/// Tax per rate over a whole record.
pub(super) fn tax_summary(taxes: &[line_tax::Model]) -> Vec<LineTax> {
    let mut by_rate: Vec<(String, i64, i64)> = Vec::new();
    for t in taxes {
        match by_rate
            .iter_mut()
            .find(|(n, p, _)| *n == t.name && *p == t.rate_ppm)
        {
            Some(entry) => entry.2 += t.amount,
            None => by_rate.push((t.name.clone(), t.rate_ppm, t.amount)),
        }
    }
    by_rate
        .into_iter()
        .map(|(name, ppm, amount)| LineTax {
            name,
            percent: Rate::from_ppm(ppm).map_or_else(|| "?".into(), Rate::percent),
            amount: Amount(amount),
        })
        .collect()
}

pub(super) fn unit(text: &str) -> SaleUnit {
    crate::sales::apply::unit_of(text).into()
}

/// A payment on a sale, or money given back on a refund.
pub struct Tender(pub tender::Model);

#[Object]
impl Tender {
    /// `CASH`, `CARD`, `GIFT_CARD`, `VOUCHER` or `OTHER`.
    async fn method(&self) -> &str {
        &self.0.method
    }
    async fn amount(&self) -> Amount {
        Amount(self.0.amount)
    }
    /// Change given from this tender.
    async fn change(&self) -> Amount {
        Amount(self.0.change)
    }
    async fn card_brand(&self) -> Option<&str> {
        self.0.card_brand.as_deref()
    }
    async fn card_last4(&self) -> Option<&str> {
        self.0.card_last4.as_deref()
    }
    async fn auth_reference(&self) -> Option<&str> {
        self.0.auth_reference.as_deref()
    }
    async fn reference(&self) -> Option<&str> {
        self.0.reference.as_deref()
    }
}

/// A sale line, with the variant as it was sold.
pub struct SaleLine {
    line: sale_line::Model,
    taxes: Vec<LineTax>,
    refunded_milli: i64,
}

#[Object]
impl SaleLine {
    async fn line_no(&self) -> i32 {
        self.line.line_no
    }
    async fn variant_id(&self) -> ID {
        id(self.line.variant_id)
    }
    async fn product_id(&self) -> ID {
        id(self.line.product_id)
    }
    async fn tax_group_id(&self) -> ID {
        id(self.line.tax_group_id)
    }
    async fn sku(&self) -> &str {
        &self.line.sku
    }
    async fn name(&self) -> &str {
        &self.line.name
    }
    async fn barcode(&self) -> Option<&str> {
        self.line.barcode.as_deref()
    }
    async fn unit(&self) -> SaleUnit {
        unit(&self.line.unit)
    }
    async fn quantity(&self) -> Decimal3 {
        Decimal3(Quantity::from_milli(self.line.quantity_milli))
    }
    /// Before rules: the location price or the base price.
    async fn list_price(&self) -> Amount {
        Amount(self.line.list_price)
    }
    /// The price charged per unit.
    async fn unit_price(&self) -> Amount {
        Amount(self.line.unit_price)
    }
    /// The pricing rules that gave the unit price.
    async fn pricing_rule_ids(&self) -> Vec<ID> {
        serde_json::from_str::<Vec<uuid::Uuid>>(&self.line.rule_ids)
            .unwrap_or_default()
            .into_iter()
            .map(id)
            .collect()
    }
    async fn list_amount(&self) -> Amount {
        Amount(self.line.list_amount)
    }
    /// Rule and manual discounts together.
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
    async fn refunded_quantity(&self) -> Decimal3 {
        Decimal3(Quantity::from_milli(self.refunded_milli))
    }
    /// What may still be refunded, over all refunds from any terminal.
    async fn refundable_quantity(&self) -> Decimal3 {
        Decimal3(Quantity::from_milli(
            (self.line.quantity_milli - self.refunded_milli).max(0),
        ))
    }
}

/// A difference between the terminal's figures and the server's.
pub struct Anomaly(pub ledger_anomaly::Model);

#[Object]
impl Anomaly {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    /// `TOTAL_MISMATCH`, `TAX_MISMATCH` or `PRICE_MISMATCH`.
    async fn kind(&self) -> &str {
        &self.0.kind
    }
    async fn line_no(&self) -> Option<i32> {
        self.0.line_no
    }
    /// The server's figure.
    async fn expected(&self) -> Amount {
        Amount(self.0.expected)
    }
    /// The terminal's figure.
    async fn reported(&self) -> Amount {
        Amount(self.0.reported)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A completed sale. Append-only: refunds and voids are their own records.
pub struct Sale(pub SaleRecord);

#[Object]
impl Sale {
    async fn id(&self) -> ID {
        id(self.0.sale.id)
    }
    async fn receipt_number(&self) -> &str {
        &self.0.sale.receipt_number
    }
    async fn terminal_id(&self) -> ID {
        id(self.0.sale.terminal_id)
    }
    async fn location(&self, ctx: &Context<'_>) -> Result<Location> {
        location(ctx, self.0.sale.location_id).await
    }
    /// The `sub` of the token that recorded the sale.
    async fn cashier(&self) -> &str {
        &self.0.sale.cashier
    }
    /// The event's sequence in the terminal's stream.
    async fn sequence(&self) -> i64 {
        self.0.sale.sequence
    }
    /// The terminal's clock.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.sale.created_at
    }
    async fn received_at(&self) -> DateTime<Utc> {
        self.0.sale.received_at
    }
    /// The calendar date at the location when the sale was made.
    async fn business_date(&self) -> NaiveDate {
        self.0.sale.business_date
    }
    async fn currency(&self) -> &str {
        &self.0.sale.currency
    }
    async fn prices_include_tax(&self) -> bool {
        self.0.sale.prices_include_tax
    }
    async fn list_total(&self) -> Amount {
        Amount(self.0.sale.list_total)
    }
    async fn discount_total(&self) -> Amount {
        Amount(self.0.sale.discount_total)
    }
    async fn net_total(&self) -> Amount {
        Amount(self.0.sale.net_total)
    }
    async fn tax_total(&self) -> Amount {
        Amount(self.0.sale.tax_total)
    }
    async fn total(&self) -> Amount {
        Amount(self.0.sale.total)
    }
    async fn tendered(&self) -> Amount {
        Amount(self.0.sale.tendered)
    }
    async fn change(&self) -> Amount {
        Amount(self.0.sale.change)
    }
    /// The terminal's own total, as it sent it.
    async fn terminal_total(&self) -> Option<Amount> {
        self.0.sale.terminal_total.map(Amount)
    }
    async fn terminal_tax(&self) -> Option<Amount> {
        self.0.sale.terminal_tax.map(Amount)
    }
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<SaleLine>> {
        let refunded: HashMap<i32, i64> =
            queries::refunded(ctx.session()?, ctx.db()?, self.0.sale.id).await?;
        Ok(self
            .0
            .lines
            .iter()
            .map(|l| SaleLine {
                taxes: line_taxes(&self.0.taxes, l.line_no),
                refunded_milli: refunded.get(&l.line_no).copied().unwrap_or(0),
                line: l.clone(),
            })
            .collect())
    }
    /// Tax per rate over the sale.
    async fn taxes(&self) -> Vec<LineTax> {
        tax_summary(&self.0.taxes)
    }
    async fn tenders(&self) -> Vec<Tender> {
        self.0.tenders.iter().cloned().map(Tender).collect()
    }
    /// Refunds of this sale from any terminal, oldest first.
    async fn refunds(&self, ctx: &Context<'_>) -> Result<Vec<Refund>> {
        Ok(
            queries::refunds_of(ctx.session()?, ctx.db()?, self.0.sale.id)
                .await?
                .into_iter()
                .map(Refund)
                .collect(),
        )
    }
    /// The void that cancelled this sale, if any.
    async fn void(&self, ctx: &Context<'_>) -> Result<Option<SaleVoid>> {
        Ok(queries::void_of(ctx.session()?, ctx.db()?, self.0.sale.id)
            .await?
            .map(SaleVoid))
    }
    /// Differences between the terminal's figures and the server's.
    #[graphql(guard = "Staff::managers()")]
    async fn anomalies(&self, ctx: &Context<'_>) -> Result<Vec<Anomaly>> {
        Ok(
            queries::anomalies_of(ctx.session()?, ctx.db()?, self.0.sale.id)
                .await?
                .into_iter()
                .map(Anomaly)
                .collect(),
        )
    }
}

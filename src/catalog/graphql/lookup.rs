//! The `productByBarcode` result.

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};

use super::kinds::BarcodeKind;
use super::stock::StockLevel;
use super::types::{Money, Product, TaxGroup, TaxRate, Variant};
use crate::catalog::barcode::{self as codes, Embedded};
use crate::catalog::lookup::Lookup;
use crate::graphql::ContextExt;
use crate::graphql::scalars::{Amount, Decimal3};
use crate::money::Rate;

/// A scanned item priced and taxed at one location, now.
pub struct BarcodeLookup {
    pub lookup: Lookup,
    pub at: DateTime<Utc>,
}

/// One rate's share of the tax.
pub struct TaxShare {
    rate: TaxRate,
    amount: Money,
}

#[Object]
impl TaxShare {
    async fn name(&self) -> &str {
        &self.rate.0.name
    }
    async fn percent(&self) -> String {
        Rate::from_ppm(self.rate.0.rate_ppm)
            .map(|r| r.percent())
            .unwrap_or_default()
    }
    async fn amount(&self) -> &Money {
        &self.amount
    }
}

impl BarcodeLookup {
    fn money(&self, amount: i64) -> Money {
        Money {
            amount: Amount(amount),
            currency: self.lookup.currency.clone(),
        }
    }
}

#[Object]
impl BarcodeLookup {
    /// The barcode as registered.
    async fn barcode(&self) -> &str {
        &self.lookup.snapshot.barcode
    }
    async fn barcode_kind(&self) -> Option<BarcodeKind> {
        codes::BarcodeKind::parse(&self.lookup.snapshot.barcode_kind).map(Into::into)
    }
    async fn variant(&self) -> Variant {
        Variant(self.lookup.snapshot.variant.clone())
    }
    async fn product(&self) -> Product {
        Product(self.lookup.snapshot.product.clone())
    }
    async fn tax_group(&self) -> TaxGroup {
        TaxGroup(self.lookup.snapshot.tax_group.clone())
    }
    /// The variant's stock at this location now (whatever `at` asks);
    /// null where it does not track stock. Cached with the scan: every
    /// stock movement at the location refreshes it.
    async fn stock_level(&self, ctx: &Context<'_>) -> Result<Option<StockLevel>> {
        let level = crate::stock::levels::scanned(
            ctx.session()?,
            ctx.db()?,
            ctx.cache()?,
            self.lookup.location,
            &self.lookup.snapshot.variant,
        )
        .await?;
        Ok(level.map(StockLevel))
    }
    /// 1 for items sold by the piece; the label's weight for weighed items.
    async fn quantity(&self) -> Decimal3 {
        Decimal3(self.lookup.quantity)
    }
    /// Before pricing rules: the location's price or the base price.
    async fn list_price(&self) -> Money {
        self.money(self.lookup.price.list_price)
    }
    /// After pricing rules, per unit.
    async fn unit_price(&self) -> Money {
        self.money(self.lookup.price.unit_price)
    }
    /// The pricing rules applied, in order.
    async fn applied_rule_ids(&self) -> Vec<ID> {
        self.lookup
            .price
            .rules
            .iter()
            .map(|r| ID(r.to_string()))
            .collect()
    }
    /// Unit price times quantity, or the price printed on a price label.
    async fn line_total(&self) -> Money {
        self.money(self.lookup.line_total)
    }
    async fn net(&self) -> Money {
        self.money(self.lookup.tax.net)
    }
    async fn tax(&self) -> Money {
        self.money(self.lookup.tax.tax)
    }
    async fn gross(&self) -> Money {
        self.money(self.lookup.tax.gross)
    }
    /// The tax split by rate; the amounts add up to `tax`.
    async fn taxes(&self) -> Vec<TaxShare> {
        self.lookup
            .snapshot
            .rates
            .iter()
            .zip(&self.lookup.tax.per_rate)
            .map(|(rate, amount)| TaxShare {
                rate: TaxRate(rate.clone()),
                amount: self.money(*amount),
            })
            .collect()
    }
    /// The weight on a scale label.
    async fn embedded_weight(&self) -> Option<Decimal3> {
        match self.lookup.snapshot.embedded {
            Some(Embedded::Weight(q)) => Some(Decimal3(q)),
            _ => None,
        }
    }
    /// The price on a price label.
    async fn embedded_price(&self) -> Option<Money> {
        match self.lookup.snapshot.embedded {
            Some(Embedded::Price(p)) => Some(self.money(p)),
            _ => None,
        }
    }
    /// The instant the price was computed for.
    async fn priced_at(&self) -> DateTime<Utc> {
        self.at
    }
}

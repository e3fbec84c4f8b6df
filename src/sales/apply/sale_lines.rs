//! A sale's lines, checked and priced: the terminal's price if it sent
//! one, else the catalog's at the sale's instant and location, with the
//! tax rates in force then.

use entity::{product, tax_rate, variant};
use uuid::Uuid;

use super::{Ctx, Memo};
use crate::catalog::pricing::{self, Adjustment, PricedLocation, PricedVariant};
use crate::error::Result;
use crate::money::{Rate, RoundingMode};
use crate::sales::checks;
use crate::sales::compute::PricedLine;
use crate::sales::event::{Event, SaleLineInput, SalePayload};
use crate::sales::rejection::{Checked, Reason, Rejection};
use crate::tenancy::TenantTx;

/// A line checked and priced, before totals.
pub(super) struct Line {
    pub variant: variant::Model,
    pub product: product::Model,
    pub barcode: Option<String>,
    pub rates: Vec<tax_rate::Model>,
    pub priced: PricedLine,
    pub rules: Vec<Uuid>,
}

/// What pricing every line of one sale shares.
struct Pricing<'a> {
    memo: &'a Memo,
    rules: Vec<pricing::Rule>,
    place: PricedLocation,
    /// Prices here are in another currency than the tenant's.
    foreign: bool,
    currency: &'a str,
    at: chrono::DateTime<chrono::Utc>,
}

/// Checks every line and prices it.
pub(super) async fn price_lines(
    tx: &TenantTx,
    ctx: &mut Ctx<'_>,
    event: &Event,
    p: &SalePayload,
) -> Result<Checked<Vec<Line>>> {
    let mut ids = Vec::with_capacity(p.lines.len());
    for (i, line) in p.lines.iter().enumerate() {
        ids.push(check!(checks::id(
            &format!("lines.{i}.variantId"),
            line.variant_id.as_str()
        )));
    }
    let location = ctx.head.location.clone();
    ctx.memo.load_variants(tx, &ids, location.id).await?;
    ctx.memo
        .load_history(tx, &ids, location.id, event.created_at)
        .await?;
    // Rule amounts are in the tenant's currency: where prices are in
    // another, only percentages apply.
    let foreign = location.currency != ctx.tenant.currency;
    let rules: Vec<pricing::Rule> = ctx
        .memo
        .rules(tx)
        .await?
        .iter()
        .filter(|r| !foreign || matches!(r.adjustment, Adjustment::PercentOff(_)))
        .cloned()
        .collect();
    let pricing = Pricing {
        place: PricedLocation {
            id: location.id,
            time_zone: ctx.time_zone()?,
            rounding: RoundingMode::from_stored(&ctx.tenant.rounding_mode),
        },
        memo: &*ctx.memo,
        rules,
        foreign,
        currency: &location.currency,
        at: event.created_at,
    };
    let lines = p
        .lines
        .iter()
        .zip(&ids)
        .enumerate()
        .map(|(i, (input, id))| pricing.line(i, input, id))
        .collect();
    Ok(lines)
}

impl Pricing<'_> {
    fn line(&self, i: usize, input: &SaleLineInput, id: &Uuid) -> Checked<Line> {
        let field = |f: &str| format!("lines.{i}.{f}");
        let Some((variant, Some(product))) = self.memo.variant(id) else {
            return Err(Rejection::at(
                Reason::UnknownVariant,
                field("variantId"),
                "no such variant",
            ));
        };
        let quantity = checks::quantity(&field("quantity"), input.quantity.0, Some(variant.unit))?;
        let barcode = checks::barcode(&field("barcode"), input.barcode.as_deref())?;
        let manual_discount = match input.discount {
            Some(d) => checks::amount(&field("discount"), d.0, false)?,
            None => 0,
        };
        let given = input
            .unit_price
            .map(|u| checks::amount(&field("unitPrice"), u.0, false))
            .transpose()?;
        // The prices in force at the sale's instant, which an offline
        // sale may precede by days.
        let (base_price, over) = self.memo.prices_at(variant, self.at);
        let own_prices = over.map(|p| [(self.place.id, p)]);
        let own_prices = own_prices.as_ref().map_or(&[][..], |p| &p[..]);
        // Archived variants still sell: an offline terminal may not have
        // heard yet, and the sale happened.
        let catalog = (!self.foreign || !own_prices.is_empty()).then(|| {
            pricing::price(
                &PricedVariant {
                    id: variant.id,
                    product: product.id,
                    category: product.category.as_deref(),
                    base_price,
                    location_prices: own_prices,
                    rules: &self.rules,
                },
                &self.place,
                self.at,
                quantity,
            )
        });
        let (list_price, unit_price, applied) = match (given, catalog) {
            (Some(given), Some(c)) if given == c.unit_price => (c.list_price, given, c.rules),
            (Some(given), Some(c)) => (c.list_price, given, Vec::new()),
            (Some(given), None) => (given, given, Vec::new()),
            (None, Some(c)) => (c.list_price, c.unit_price, c.rules),
            (None, None) => {
                return Err(Rejection::at(
                    Reason::NoPrice,
                    field("unitPrice"),
                    format!(
                        "this variant has no price in {} at this location: send unitPrice",
                        self.currency
                    ),
                ));
            }
        };
        let line_rates = self.memo.rates_at(variant.tax_group_id, self.at);
        Ok(Line {
            priced: PricedLine {
                list_price,
                unit_price,
                quantity,
                manual_discount,
                rates: line_rates
                    .iter()
                    .filter_map(|r| Rate::from_ppm(r.rate_ppm))
                    .collect(),
            },
            rates: line_rates,
            variant: variant.clone(),
            product: product.clone(),
            barcode,
            rules: applied,
        })
    }
}

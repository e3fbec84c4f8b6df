//! Reporting over GraphQL: thin resolvers over `report` and `reconcile`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::NaiveDate;

use super::reconcile;
use super::report::{self, Figures};
use crate::auth::Staff;
use crate::catalog::graphql::loaders::{ProductLoader, TaxGroupLoader, VariantLoader};
use crate::catalog::graphql::types::{Product, TaxGroup, Variant};
use crate::graphql::ContextExt;
use crate::graphql::scalars::{Amount, Decimal3};
use crate::money::{Quantity, RoundingMode, div_round};
use crate::org::graphql::loaders::{LocationLoader, TerminalLoader};
use crate::org::graphql::{Location, Terminal};
use crate::validate;

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::reporting::report::Dimension")]
pub enum Dimension {
    Location,
    Terminal,
    Day,
    /// ISO weeks, starting on Monday.
    Week,
    Month,
    /// The local hour of day, 0–23.
    Hour,
    Product,
    Variant,
    TaxGroup,
    PaymentMethod,
    /// Each tax rate (a state rate, a city rate): the tax it charged and
    /// the net it was charged on. A line taxed by two rates counts its net
    /// under both, so bases summed across stacked rates overstate sales;
    /// the report's totals therefore come from the whole records. Cannot
    /// be combined with PRODUCT, VARIANT, TAX_GROUP, PAYMENT_METHOD or a
    /// product filter.
    TaxRate,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::reporting::report::Measure")]
pub enum Measure {
    GrossSales,
    Discounts,
    NetSales,
    Tax,
    Total,
    Refunds,
    Voids,
    Transactions,
    ItemsSold,
}

#[derive(InputObject, Default)]
pub struct SalesReportFilter {
    pub locations: Option<Vec<ID>>,
    pub terminals: Option<Vec<ID>>,
    pub products: Option<Vec<ID>>,
}

#[derive(InputObject)]
pub struct ReportSort {
    pub by: Measure,
    #[graphql(default = true)]
    pub descending: bool,
}

/// The figures of a report row or of the whole report. Amounts are in the
/// currency's minor units; null where the grouping cannot say (line
/// figures per payment method; transaction counts across several
/// products, which one sale may share).
#[derive(SimpleObject)]
pub struct ReportFigures {
    /// At shelf prices, before discounts (tax included where a location's
    /// prices include it).
    pub gross_sales: Option<Amount>,
    pub discounts: Option<Amount>,
    /// After discounts and refunds, without tax.
    pub net_sales: Option<Amount>,
    /// Tax charged, less tax refunded.
    pub tax: Option<Amount>,
    /// What customers paid, less what was given back.
    pub total: Amount,
    /// Given back by refunds, tax included, on the refund's own day.
    pub refunds: Amount,
    /// The totals of voided sales, which count nowhere else.
    pub voids: Amount,
    pub void_count: Option<i64>,
    /// Sales (not voided); per product, sales that include it.
    pub transactions: Option<i64>,
    pub refund_count: Option<i64>,
    pub items_sold: Option<Decimal3>,
    pub items_refunded: Option<Decimal3>,
    /// Sales totals divided by `transactions`, rounded half-even.
    pub average_basket: Option<Amount>,
}

impl From<&Figures> for ReportFigures {
    fn from(f: &Figures) -> Self {
        let qty = |m: Option<i64>| m.map(|m| Decimal3(Quantity::from_milli(m)));
        Self {
            gross_sales: f.gross_sales.map(Amount),
            discounts: f.discounts.map(Amount),
            net_sales: f.net_sales.map(Amount),
            tax: f.tax.map(Amount),
            total: Amount(f.total),
            refunds: Amount(f.refunds),
            voids: Amount(f.voids),
            void_count: f.void_count,
            transactions: f.transactions,
            refund_count: f.refund_count,
            items_sold: qty(f.items_sold_milli),
            items_refunded: qty(f.items_refunded_milli),
            average_basket: f.transactions.filter(|n| *n > 0).map(|n| {
                Amount(div_round(f.basket_total.into(), n.into(), RoundingMode::HalfEven) as i64)
            }),
        }
    }
}

pub struct SalesReportRow(report::Row);

#[Object]
impl SalesReportRow {
    async fn location_id(&self) -> Option<ID> {
        self.0.location.map(|id| ID(id.to_string()))
    }
    async fn location(&self, ctx: &Context<'_>) -> Result<Option<Location>> {
        let Some(id) = self.0.location else {
            return Ok(None);
        };
        Ok(ctx
            .loader::<LocationLoader>()?
            .load_one(id)
            .await?
            .map(Location))
    }
    async fn terminal_id(&self) -> Option<ID> {
        self.0.terminal.map(|id| ID(id.to_string()))
    }
    async fn terminal(&self, ctx: &Context<'_>) -> Result<Option<Terminal>> {
        let Some(id) = self.0.terminal else {
            return Ok(None);
        };
        Ok(ctx
            .loader::<TerminalLoader>()?
            .load_one(id)
            .await?
            .map(Terminal))
    }
    /// The business day (DAY), in the location's time zone.
    async fn day(&self) -> Option<NaiveDate> {
        self.0.day
    }
    /// The Monday the ISO week starts on (WEEK).
    async fn week(&self) -> Option<NaiveDate> {
        self.0.week
    }
    /// The first day of the month (MONTH).
    async fn month(&self) -> Option<NaiveDate> {
        self.0.month
    }
    /// The local hour of day, 0–23 (HOUR).
    async fn hour(&self) -> Option<i32> {
        self.0.hour
    }
    async fn product(&self, ctx: &Context<'_>) -> Result<Option<Product>> {
        let Some(id) = self.0.product else {
            return Ok(None);
        };
        Ok(ctx
            .loader::<ProductLoader>()?
            .load_one(id)
            .await?
            .map(Product))
    }
    async fn variant(&self, ctx: &Context<'_>) -> Result<Option<Variant>> {
        let Some(id) = self.0.variant else {
            return Ok(None);
        };
        Ok(ctx
            .loader::<VariantLoader>()?
            .load_one(id)
            .await?
            .map(Variant))
    }
    async fn tax_group(&self, ctx: &Context<'_>) -> Result<Option<TaxGroup>> {
        let Some(id) = self.0.tax_group else {
            return Ok(None);
        };
        Ok(ctx
            .loader::<TaxGroupLoader>()?
            .load_one(id)
            .await?
            .map(TaxGroup))
    }
    async fn payment_method(&self) -> Option<&str> {
        self.0.payment_method.as_deref()
    }
    /// The tax rate (TAX_RATE), as the ledger recorded it when it was
    /// charged: a rate that changed since is another rate.
    async fn tax_rate(&self) -> Option<ReportTaxRate> {
        self.0
            .tax_rate
            .as_ref()
            .map(|(id, name, ppm)| ReportTaxRate {
                id: ID(id.to_string()),
                name: name.clone(),
                percent: report::percent_of(*ppm),
            })
    }
    /// The ISO 4217 currency of the row's amounts: its locations'.
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    async fn figures(&self) -> ReportFigures {
        (&self.0.figures).into()
    }
}

#[derive(SimpleObject)]
pub struct SalesReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rows: Vec<SalesReportRow>,
    /// More rows exist than `first` (or the cap of 10,000) allowed.
    pub truncated: bool,
    /// The whole report's figures; null when its locations use more than
    /// one currency (see `totalsByCurrency`).
    pub totals: Option<ReportFigures>,
    /// The whole report's figures per currency, one entry per currency
    /// its locations use.
    pub totals_by_currency: Vec<CurrencyFigures>,
}

/// A tax rate a report row is grouped by.
#[derive(SimpleObject)]
pub struct ReportTaxRate {
    pub id: ID,
    pub name: String,
    /// The rate as an exact decimal percent: `"9.75"`.
    pub percent: String,
}

#[derive(SimpleObject)]
pub struct CurrencyFigures {
    pub currency: String,
    pub figures: ReportFigures,
}

/// One figure that differed between the stored rollups and the ledger.
#[derive(SimpleObject)]
pub struct ReportDifference {
    pub table: String,
    pub key: String,
    pub field: String,
    pub stored: i64,
    pub expected: i64,
}

#[derive(SimpleObject)]
pub struct ReconcileResult {
    /// The dates checked: those asked for, rounded out to whole months.
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Rollup cells checked.
    pub cells: i64,
    /// Empty when the rollups equal the ledger.
    pub differences: Vec<ReportDifference>,
}

pub fn ids(field: &str, ids: Option<Vec<ID>>) -> Result<Vec<uuid::Uuid>, crate::error::AppError> {
    ids.unwrap_or_default()
        .iter()
        .map(|id| validate::id(field, id))
        .collect()
}

#[derive(Default)]
pub struct ReportingQuery;

#[Object]
impl ReportingQuery {
    /// Sales figures from `from` to `to` (business dates, inclusive),
    /// grouped by any combination of dimensions, for owners and managers.
    /// Each location's own business days and hours apply.
    #[graphql(guard = "Staff::managers()")]
    #[allow(clippy::too_many_arguments)]
    async fn sales_report(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
        group_by: Vec<Dimension>,
        filter: Option<SalesReportFilter>,
        sort: Option<ReportSort>,
        #[graphql(desc = "At most this many rows (top-N with `sort`); 1 to 10,000.")] first: Option<
            i32,
        >,
    ) -> Result<SalesReport> {
        let filter = filter.unwrap_or_default();
        let req = report::Request {
            from: Some(from),
            to: Some(to),
            group_by: group_by.into_iter().map(Into::into).collect(),
            locations: ids("filter.locations", filter.locations)?,
            terminals: ids("filter.terminals", filter.terminals)?,
            products: ids("filter.products", filter.products)?,
            sort: sort.map(|s| (s.by.into(), s.descending)),
            first: first.map(i64::from),
        };
        let r = report::sales_report(ctx.session()?, ctx.db()?, req).await?;
        Ok(SalesReport {
            from: r.from,
            to: r.to,
            totals: match r.totals.as_slice() {
                [(_, only)] => Some(only.into()),
                [] => Some((&Figures::default()).into()),
                _ => None,
            },
            totals_by_currency: r
                .totals
                .iter()
                .map(|(currency, f)| CurrencyFigures {
                    currency: currency.clone(),
                    figures: f.into(),
                })
                .collect(),
            rows: r.rows.into_iter().map(SalesReportRow).collect(),
            truncated: r.truncated,
        })
    }
}

#[derive(Default)]
pub struct ReportingMutation;

#[Object]
impl ReportingMutation {
    /// Rebuilds the report rollups of `from` to `to` (business dates,
    /// inclusive) from the ledger, and lists every figure that differed.
    /// A correct system finds none.
    #[graphql(guard = "Staff::managers()")]
    async fn reconcile_reports(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<ReconcileResult> {
        let r = reconcile::reconcile(ctx.session()?, ctx.db()?, from, to).await?;
        Ok(ReconcileResult {
            from: r.from,
            to: r.to,
            cells: r.cells,
            differences: r
                .differences
                .into_iter()
                .map(|d| ReportDifference {
                    table: d.table.into(),
                    key: d.key,
                    field: d.field.into(),
                    stored: d.stored,
                    expected: d.expected,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::resolver_utils::EnumType;

    use super::Measure;
    use crate::reporting::report;

    #[test]
    fn measures_name_themselves_as_the_api_does() {
        for item in Measure::items() {
            assert_eq!(report::Measure::from(item.value).api_name(), item.name);
        }
    }
}

//! `salesReport`: any combination of dimensions over the rollups, with
//! filters, sorting and top-N, in one aggregate query (plus one for the
//! totals).
//!
//! The source table follows from the request: tenders for PAYMENT_METHOD,
//! lines for PRODUCT, VARIANT, TAX_GROUP or a product filter, whole
//! records otherwise. Periods are each location's own business days, as
//! the rollups store them.

use chrono::NaiveDate;
use sea_orm::QueryResult;
use uuid::Uuid;

use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::tenancy::{Db, TenantTx};

use super::parts::Monthly;
use super::plan::Currencies;
pub use super::plan::Plan;
use super::sql::{Source, measures, sort_alias};

mod checks;

use self::checks::{check, check_filters};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

impl Measure {
    /// The name clients send and see (`NET_SALES`), for messages.
    pub fn api_name(self) -> &'static str {
        match self {
            Self::GrossSales => "GROSS_SALES",
            Self::Discounts => "DISCOUNTS",
            Self::NetSales => "NET_SALES",
            Self::Tax => "TAX",
            Self::Total => "TOTAL",
            Self::Refunds => "REFUNDS",
            Self::Voids => "VOIDS",
            Self::Transactions => "TRANSACTIONS",
            Self::ItemsSold => "ITEMS_SOLD",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub group_by: Vec<Dimension>,
    pub locations: Vec<Uuid>,
    pub terminals: Vec<Uuid>,
    pub products: Vec<Uuid>,
    pub sort: Option<(Measure, bool)>,
    pub first: Option<i64>,
}

/// The figures of one row. `None` where the source cannot say: line
/// figures for payment methods, transaction counts across several
/// products of one sale.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub gross_sales: Option<i64>,
    pub discounts: Option<i64>,
    pub net_sales: Option<i64>,
    pub tax: Option<i64>,
    pub total: i64,
    pub refunds: i64,
    pub voids: i64,
    pub void_count: Option<i64>,
    pub transactions: Option<i64>,
    pub refund_count: Option<i64>,
    pub items_sold_milli: Option<i64>,
    pub items_refunded_milli: Option<i64>,
    /// What the average basket divides by `transactions`.
    pub basket_total: i64,
}

impl Figures {
    /// Adds another group's figures (of the same report) to these.
    pub fn add(&mut self, o: &Figures) {
        let sum = |a: &mut Option<i64>, b: Option<i64>| {
            *a = match (*a, b) {
                (Some(x), Some(y)) => Some(x + y),
                (x, y) => x.or(y),
            }
        };
        sum(&mut self.gross_sales, o.gross_sales);
        sum(&mut self.discounts, o.discounts);
        sum(&mut self.net_sales, o.net_sales);
        sum(&mut self.tax, o.tax);
        self.total += o.total;
        self.refunds += o.refunds;
        self.voids += o.voids;
        sum(&mut self.void_count, o.void_count);
        sum(&mut self.transactions, o.transactions);
        sum(&mut self.refund_count, o.refund_count);
        sum(&mut self.items_sold_milli, o.items_sold_milli);
        sum(&mut self.items_refunded_milli, o.items_refunded_milli);
        self.basket_total += o.basket_total;
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    pub location: Option<Uuid>,
    pub terminal: Option<Uuid>,
    pub day: Option<NaiveDate>,
    pub week: Option<NaiveDate>,
    pub month: Option<NaiveDate>,
    pub hour: Option<i32>,
    pub product: Option<Uuid>,
    pub variant: Option<Uuid>,
    pub tax_group: Option<Uuid>,
    pub payment_method: Option<String>,
    /// The rate's id, name and parts per million, as the ledger recorded
    /// them.
    pub tax_rate: Option<(Uuid, String, i64)>,
    /// The currency of the row's amounts (a row never mixes two).
    pub currency: String,
    pub figures: Figures,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rows: Vec<Row>,
    /// More groups exist than `first` allowed.
    pub truncated: bool,
    /// The whole report's figures, one entry per currency (one, unless
    /// the tenant's locations use several).
    pub totals: Vec<(String, Figures)>,
}

/// A rate in parts per million as an exact decimal percent (`"9.75"`).
pub fn percent_of(ppm: i64) -> String {
    crate::money::Rate::from_ppm(ppm)
        .map(|r| r.percent())
        .unwrap_or_else(|| format!("{ppm} ppm"))
}

/// The most rows one report returns; `first` may ask for fewer.
pub const MAX_ROWS: i64 = 10_000;

pub(super) fn figures(row: &QueryResult, source: Source, req: &Request) -> Result<Figures> {
    let available: Vec<&str> = measures(source, req)
        .into_iter()
        .filter(|(_, sql)| sql.is_some())
        .map(|(a, _)| a)
        .collect();
    let get = |alias: &str| -> Result<Option<i64>> {
        if available.contains(&alias) {
            Ok(Some(row.try_get::<i64>("", alias)?))
        } else {
            Ok(None)
        }
    };
    Ok(Figures {
        gross_sales: get("gross_sales")?,
        discounts: get("discounts")?,
        net_sales: get("net_sales")?,
        tax: get("tax")?,
        total: get("total")?.unwrap_or(0),
        refunds: get("refunds")?.unwrap_or(0),
        voids: get("voids")?.unwrap_or(0),
        void_count: get("void_count")?,
        transactions: get("transactions")?,
        refund_count: get("refund_count")?,
        items_sold_milli: get("items_sold")?,
        items_refunded_milli: get("items_refunded")?,
        basket_total: get("basket")?.unwrap_or(0),
    })
}

pub(super) fn date_of(row: &QueryResult, alias: &str) -> Result<NaiveDate> {
    let text: String = row.try_get("", alias)?;
    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .map_err(|_| AppError::internal(format!("report period {text} does not parse")))
}

/// Checks a request for a manager and opens its read transaction: every
/// error a report can give comes from here, before any row is read.
/// `max_rows` bounds `first`.
pub async fn prepare(
    session: &Session,
    db: &Db,
    req: Request,
    max_rows: i64,
) -> Result<(TenantTx, Plan)> {
    if !session.is_manager() {
        return Err(AppError::Forbidden(
            "reports are for owners and managers".into(),
        ));
    }
    let (from, to, source) = check(&req, max_rows)?;
    if let Some((m, _)) = req.sort
        && measures(source, &req)
            .iter()
            .any(|(a, sql)| *a == sort_alias(m) && sql.is_none())
    {
        return Err(AppError::bad_input(
            "sort",
            format!("{} is not available for this grouping", m.api_name()),
        ));
    }
    let tx = db.read(session).await?;
    check_filters(&tx, &req).await?;
    let currencies = Currencies::load(&tx).await?;
    let mut dims: Vec<Dimension> = Vec::new();
    for d in &req.group_by {
        if !dims.contains(d) {
            dims.push(*d);
        }
    }
    let monthly = Monthly::for_request(&req, source, &dims, !currencies.several());
    let plan = Plan {
        from,
        to,
        req,
        source,
        dims,
        currencies,
        monthly,
    };
    Ok((tx, plan))
}

/// The sales report, for owners and managers.
#[tracing::instrument(skip_all, fields(tenant = %session.tenant))]
pub async fn sales_report(session: &Session, db: &Db, req: Request) -> Result<Report> {
    let limit = req.first.unwrap_or(MAX_ROWS);
    let (tx, plan) = prepare(session, db, req, MAX_ROWS).await?;
    let backend = tx.backend();
    let found = tx.query_all_raw(plan.rows(&tx, limit + 1)).await?;
    let truncated = found.len() as i64 > limit;
    let rows = found
        .iter()
        .take(limit as usize)
        .map(|r| plan.decode(r, backend))
        .collect::<Result<Vec<_>>>()?;
    let mut totals: Vec<(String, Figures)> = Vec::new();
    if truncated || rows.is_empty() || plan.source == Source::Taxes {
        let (stmt, source) = plan.totals(&tx);
        for r in tx.query_all_raw(stmt).await? {
            totals.push((plan.currency(&r)?, figures(&r, source, &plan.req)?));
        }
    } else {
        // Every measure is a sum, so with every group here the totals are
        // the rows' sums: no second pass over the rollup.
        for row in &rows {
            match totals.iter_mut().find(|(c, _)| *c == row.currency) {
                Some((_, t)) => t.add(&row.figures),
                None => totals.push((row.currency.clone(), row.figures.clone())),
            }
        }
    }
    Ok(Report {
        from: plan.from,
        to: plan.to,
        rows,
        truncated,
        totals,
    })
}

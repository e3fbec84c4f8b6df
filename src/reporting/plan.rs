//! A checked report request as SQL: the grouped rows (which `salesReport`
//! reads at once and the CSV export streams), the totals, and how to read
//! a row back. Rows and totals are kept apart by currency when the
//! tenant's locations use more than one.

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, SelectStatement};
use sea_orm::{DbBackend, QueryResult, QuerySelect, Statement};
use uuid::Uuid;

use super::parts::{Monthly, select};
use super::report::{Dimension, Request, Row, date_of, figures};
use super::sql::{Source, dimension, measures, sort_alias};
use crate::error::Result;
use crate::tenancy::TenantTx;

/// Which currency each location's figures are in. A report never adds
/// amounts of two currencies: when the tenant's locations use several,
/// rows and totals are kept apart by currency.
#[derive(Clone)]
pub(super) struct Currencies {
    /// The only currency, or `None` when there are several.
    only: Option<String>,
    by_currency: Vec<(String, Vec<Uuid>)>,
}

impl Currencies {
    pub(super) async fn load(tx: &TenantTx) -> Result<Self> {
        use entity::location;
        let mut by_currency: Vec<(String, Vec<Uuid>)> = Vec::new();
        for (id, currency) in tx
            .select::<location::Entity>()
            .select_only()
            .column(location::Column::Id)
            .column(location::Column::Currency)
            .into_tuple::<(Uuid, String)>()
            .all(tx)
            .await?
        {
            match by_currency.iter_mut().find(|(c, _)| *c == currency) {
                Some((_, ids)) => ids.push(id),
                None => by_currency.push((currency, vec![id])),
            }
        }
        let only = match by_currency.len() {
            0 => Some(crate::org::tenant::currency_of(tx).await?),
            1 => Some(by_currency[0].0.clone()),
            _ => None,
        };
        Ok(Self { only, by_currency })
    }

    /// Whether the tenant's locations use more than one currency.
    pub(super) fn several(&self) -> bool {
        self.only.is_none()
    }

    /// `CASE WHEN location_id IN (…) THEN 'EUR' … END`, when needed.
    fn expr(&self) -> Option<Expr> {
        if self.only.is_some() {
            return None;
        }
        let mut case = sea_orm::sea_query::CaseStatement::new();
        for (currency, ids) in &self.by_currency {
            case = case.case(
                Expr::col(Alias::new("location_id")).is_in(ids.iter().copied()),
                Expr::val(currency.clone()),
            );
        }
        Some(case.into())
    }
}

const CURRENCY: &str = "row_currency";
const RATE_NAME: &str = "d_tax_rate_name";
const RATE_PPM: &str = "d_tax_rate_ppm";

/// A checked request, with what it takes to build its statements and read
/// their rows.
pub struct Plan {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub(super) req: Request,
    pub(super) source: Source,
    pub(super) dims: Vec<Dimension>,
    pub(super) currencies: Currencies,
    pub(super) monthly: Monthly,
}

impl Plan {
    /// The grouping, in the order asked, without repeats.
    pub fn dimensions(&self) -> &[Dimension] {
        &self.dims
    }

    /// Measures this grouping can say (the others read as `None`).
    pub fn has(&self, alias: &str) -> bool {
        measures(self.source, &self.req)
            .iter()
            .any(|(a, sql)| *a == alias && sql.is_some())
    }

    fn currency_column(&self, q: &mut SelectStatement) {
        if let Some(expr) = self.currencies.expr() {
            q.expr_as(expr, Alias::new(CURRENCY));
            q.add_group_by([Expr::col(Alias::new(CURRENCY))]);
        }
    }

    /// The grouped rows, ordered, at most `limit` of them.
    pub fn rows(&self, tx: &TenantTx, limit: i64) -> Statement {
        let backend = tx.backend();
        let mut q = select(tx, self);
        self.currency_column(&mut q);
        for d in &self.dims {
            let (alias, sql) = dimension(*d, backend);
            q.expr_as(Expr::cust(sql), Alias::new(alias));
            q.add_group_by([Expr::cust(sql)]);
        }
        if self.dims.contains(&Dimension::TaxRate) {
            // One id is one rate, so these are its name and size.
            q.expr_as(Expr::cust("MAX(name)"), Alias::new(RATE_NAME));
            q.expr_as(Expr::cust("MAX(rate_ppm)"), Alias::new(RATE_PPM));
        }
        if self.currencies.only.is_none() {
            q.order_by(Alias::new(CURRENCY), Order::Asc);
        }
        if let Some((m, desc)) = self.req.sort {
            q.order_by(
                Alias::new(sort_alias(m)),
                if desc { Order::Desc } else { Order::Asc },
            );
        }
        for d in &self.dims {
            q.order_by(Alias::new(dimension(*d, backend).0), Order::Asc);
        }
        q.limit(limit as u64);
        backend.build(&q)
    }

    /// The totals, one row per currency, and the source whose measures
    /// they hold. Per tax rate they come from the whole records: a line's
    /// net counts under each rate that taxed it, so rates do not add up.
    pub(super) fn totals(&self, tx: &TenantTx) -> (Statement, Source) {
        if self.source == Source::Taxes {
            let records = Plan {
                from: self.from,
                to: self.to,
                req: self.req.clone(),
                source: Source::Sales,
                dims: Vec::new(),
                currencies: self.currencies.clone(),
                monthly: Monthly::for_request(
                    &self.req,
                    Source::Sales,
                    &[],
                    !self.currencies.several(),
                ),
            };
            return records.totals(tx);
        }
        let mut q = select(tx, self);
        self.currency_column(&mut q);
        (tx.backend().build(&q), self.source)
    }

    pub(super) fn currency(&self, r: &QueryResult) -> Result<String> {
        match &self.currencies.only {
            Some(c) => Ok(c.clone()),
            None => Ok(r.try_get("", CURRENCY)?),
        }
    }

    /// One row of [`Plan::rows`].
    pub fn decode(&self, r: &QueryResult, backend: DbBackend) -> Result<Row> {
        let mut row = Row {
            currency: self.currency(r)?,
            figures: figures(r, self.source, &self.req)?,
            ..Row::default()
        };
        for d in &self.dims {
            let alias = dimension(*d, backend).0;
            match d {
                Dimension::Location => row.location = Some(r.try_get("", alias)?),
                Dimension::Terminal => row.terminal = Some(r.try_get("", alias)?),
                Dimension::Day => row.day = Some(date_of(r, alias)?),
                Dimension::Week => row.week = Some(date_of(r, alias)?),
                Dimension::Month => row.month = Some(date_of(r, alias)?),
                Dimension::Hour => row.hour = Some(r.try_get("", alias)?),
                Dimension::Product => row.product = Some(r.try_get("", alias)?),
                Dimension::Variant => row.variant = Some(r.try_get("", alias)?),
                Dimension::TaxGroup => row.tax_group = Some(r.try_get("", alias)?),
                Dimension::PaymentMethod => row.payment_method = Some(r.try_get("", alias)?),
                Dimension::TaxRate => {
                    row.tax_rate = Some((
                        r.try_get("", alias)?,
                        r.try_get("", RATE_NAME)?,
                        r.try_get("", RATE_PPM)?,
                    ))
                }
            }
        }
        Ok(row)
    }
}

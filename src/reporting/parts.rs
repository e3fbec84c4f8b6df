//! Which rollup rows a report reads: the monthly rollups for the whole
//! months inside its range, when the grouping allows, and for the other
//! days the daily rollups (sales, tenders and taxes without HOUR) or the
//! hourly ones.
//!
//! A year's report then reads a few thousand monthly rows instead of
//! millions of hourly ones. Months are the locations' local months, as
//! business dates are. Item months are shared rows kept by compaction, so
//! they are read together with the deltas not yet compacted.

use chrono::{Datelike, Duration, NaiveDate};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, UnionType};

use super::plan::Plan;
use super::report::{Dimension, Request};
use super::rows::{ITEM_FIELDS, SALE_FIELDS, TAX_FIELDS, TENDER_FIELDS};
use super::sql::{Source, measures};
use crate::sales::rollup::months::{month_end, month_start};
use crate::tenancy::TenantTx;

/// How a report may use the monthly rollups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Monthly {
    /// Hours, days or weeks, or items per terminal: fine rows only.
    No,
    /// Months per location (and terminal, for sales, tenders and taxes).
    PerLocation,
    /// Item months summed over every location (one currency, no location
    /// grouping or filter): per product when the grouping has no variant
    /// or tax group, else per variant and tax group.
    AllLocations,
}

impl Monthly {
    pub fn for_request(
        req: &Request,
        source: Source,
        dims: &[Dimension],
        one_currency: bool,
    ) -> Self {
        let has = |d| dims.contains(&d);
        if has(Dimension::Hour) || has(Dimension::Day) || has(Dimension::Week) {
            return Monthly::No;
        }
        if source != Source::Items {
            return Monthly::PerLocation;
        }
        if has(Dimension::Terminal) || !req.terminals.is_empty() {
            return Monthly::No;
        }
        if !has(Dimension::Location) && req.locations.is_empty() && one_currency {
            Monthly::AllLocations
        } else {
            Monthly::PerLocation
        }
    }
}

/// The whole months inside `[from, to]`, as the first days of the first
/// and last of them.
pub fn whole_months(from: NaiveDate, to: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let first = if from.day() == 1 {
        from
    } else {
        month_end(from) + Duration::days(1)
    };
    let last_end = if to == month_end(to) {
        to
    } else {
        month_start(to) - Duration::days(1)
    };
    (first <= last_end).then(|| (first, month_start(last_end)))
}

struct Part {
    table: &'static str,
    from: NaiveDate,
    to: NaiveDate,
}

/// The daily table of a source, where it has one.
fn daily(source: Source) -> Option<&'static str> {
    match source {
        Source::Sales => Some("report_sales_daily"),
        Source::Tenders => Some("report_tenders_daily"),
        Source::Taxes => Some("report_taxes_daily"),
        Source::Items => None,
    }
}

fn parts(plan: &Plan) -> Vec<Part> {
    let (source, from, to) = (plan.source, plan.from, plan.to);
    // Days outside whole months: per day unless the hour is asked for.
    let days = daily(source)
        .filter(|_| !plan.dims.contains(&Dimension::Hour))
        .unwrap_or(source.table());
    let span = |table, from, to| Part { table, from, to };
    let Some((first, last)) = whole_months(from, to).filter(|_| plan.monthly != Monthly::No) else {
        return vec![span(days, from, to)];
    };
    let mut out = Vec::new();
    if from < first {
        out.push(span(days, from, first - Duration::days(1)));
    }
    match source {
        Source::Sales => out.push(span("report_sales_monthly", first, last)),
        Source::Tenders => out.push(span("report_tenders_monthly", first, last)),
        Source::Items => {
            let per_variant =
                plan.dims.contains(&Dimension::Variant) || plan.dims.contains(&Dimension::TaxGroup);
            let table = match plan.monthly {
                Monthly::AllLocations if per_variant => "report_items_monthly_all",
                // By product (or by month) alone: a quarter of the rows.
                Monthly::AllLocations => "report_products_monthly_all",
                _ => "report_items_monthly",
            };
            out.push(span(table, first, last));
            out.push(span("report_items_pending", first, last));
        }
        Source::Taxes => out.push(span("report_taxes_monthly", first, last)),
    }
    let last_end = month_end(last);
    if last_end < to {
        out.push(span(days, last_end + Duration::days(1), to));
    }
    out
}

/// The columns the outer query reads from the parts.
fn columns(plan: &Plan) -> Vec<&'static str> {
    let mut cols: Vec<&'static str> = Vec::new();
    let mut need = |c: &'static str| {
        if !cols.contains(&c) {
            cols.push(c);
        }
    };
    if plan.currencies.several() {
        need("location_id");
    }
    for d in &plan.dims {
        need(match d {
            Dimension::Location => "location_id",
            Dimension::Terminal => "terminal_id",
            Dimension::Hour => "hour",
            Dimension::Day | Dimension::Week | Dimension::Month => "business_date",
            Dimension::Product => "product_id",
            Dimension::Variant => "variant_id",
            Dimension::TaxGroup => "tax_group_id",
            Dimension::PaymentMethod => "method",
            Dimension::TaxRate => "tax_rate_id",
        });
        if *d == Dimension::TaxRate {
            need("name");
            need("rate_ppm");
        }
    }
    let fields: &[&'static str] = match plan.source {
        Source::Sales => &SALE_FIELDS,
        Source::Items => &ITEM_FIELDS,
        Source::Tenders => &TENDER_FIELDS,
        Source::Taxes => &TAX_FIELDS,
    };
    for f in fields {
        need(f);
    }
    cols
}

fn filter(q: &mut SelectStatement, tx: &TenantTx, req: &Request, part: &Part) {
    let col = |c: &str| Expr::col(Alias::new(c));
    q.and_where(col("tenant_id").eq(tx.tenant()))
        .and_where(col("business_date").gte(part.from))
        .and_where(col("business_date").lte(part.to));
    if !req.locations.is_empty() {
        q.and_where(col("location_id").is_in(req.locations.iter().copied()));
    }
    if !req.terminals.is_empty() {
        q.and_where(col("terminal_id").is_in(req.terminals.iter().copied()));
    }
    if !req.products.is_empty() {
        q.and_where(col("product_id").is_in(req.products.iter().copied()));
    }
}

/// The report query's FROM and WHERE, and its measures, before grouping.
pub(super) fn select(tx: &TenantTx, plan: &Plan) -> SelectStatement {
    let parts = parts(plan);
    let mut q = Query::select();
    if let [part] = parts.as_slice() {
        q.from(Alias::new(part.table));
        filter(&mut q, tx, &plan.req, part);
    } else {
        let cols = columns(plan);
        let mut union: Option<SelectStatement> = None;
        for part in &parts {
            let mut p = Query::select();
            p.from(Alias::new(part.table));
            for c in &cols {
                p.column(Alias::new(*c));
            }
            filter(&mut p, tx, &plan.req, part);
            match union.as_mut() {
                Some(u) => {
                    u.union(UnionType::All, p);
                }
                None => union = Some(p),
            }
        }
        if let Some(u) = union {
            q.from_subquery(u, Alias::new("r"));
        }
    }
    for (alias, sql) in measures(plan.source, &plan.req) {
        if let Some(sql) = sql {
            q.expr_as(Expr::cust(sql), Alias::new(alias));
        }
    }
    q
}

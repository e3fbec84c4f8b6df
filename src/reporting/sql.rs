//! The SQL of `salesReport`: which rollup answers a request, each
//! measure's aggregate there, and each dimension's expression per backend.

use sea_orm::DbBackend;

use super::report::{Dimension, Measure, Request};

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Sales,
    Items,
    Tenders,
    Taxes,
}

impl Source {
    pub fn table(self) -> &'static str {
        match self {
            Source::Sales => "report_sales",
            Source::Items => "report_items",
            Source::Tenders => "report_tenders",
            Source::Taxes => "report_taxes",
        }
    }
}

pub const ITEM_DIMENSIONS: [Dimension; 3] =
    [Dimension::Product, Dimension::Variant, Dimension::TaxGroup];

fn sum(col: &str) -> String {
    format!("CAST(COALESCE(SUM({col}), 0) AS BIGINT)")
}

fn diff(a: &str, b: &str) -> String {
    format!("CAST(COALESCE(SUM({a}), 0) - COALESCE(SUM({b}), 0) AS BIGINT)")
}

/// Measure aliases and their SQL for a source; `None` is not available.
///
/// Long on purpose: a table, one entry per measure and source, read
/// side by side with the report columns (docs/architecture.md).
/// Splitting it would scatter one table over several functions.
pub fn measures(source: Source, req: &Request) -> Vec<(&'static str, Option<String>)> {
    let has = |d| req.group_by.contains(&d);
    match source {
        Source::Sales => vec![
            ("gross_sales", Some(sum("list_total"))),
            ("discounts", Some(sum("discount_total"))),
            ("net_sales", Some(diff("net_total", "refund_net"))),
            ("tax", Some(diff("tax_total", "refund_tax"))),
            ("total", Some(diff("total", "refund_total"))),
            ("refunds", Some(sum("refund_total"))),
            ("voids", Some(sum("void_total"))),
            ("void_count", Some(sum("void_count"))),
            ("transactions", Some(sum("sales_count"))),
            ("refund_count", Some(sum("refund_count"))),
            ("items_sold", Some(sum("quantity_milli"))),
            ("items_refunded", Some(sum("refunded_milli"))),
            ("basket", Some(sum("total"))),
        ],
        Source::Items => {
            // A sale counts once per group: the rollup marks the line
            // that first carries each variant, product, tax group and
            // product in a tax group.
            let counter = if has(Dimension::Variant) {
                Some("sales_variant")
            } else if has(Dimension::Product) && has(Dimension::TaxGroup) {
                Some("sales_product_tax_group")
            } else if has(Dimension::Product) || req.products.len() == 1 {
                if has(Dimension::TaxGroup) {
                    None
                } else {
                    Some("sales_product")
                }
            } else if has(Dimension::TaxGroup) && req.products.is_empty() {
                Some("sales_tax_group")
            } else {
                None
            };
            vec![
                ("gross_sales", Some(sum("list_amount"))),
                ("discounts", Some(sum("discount"))),
                ("net_sales", Some(diff("net", "refund_net"))),
                ("tax", Some(diff("tax", "refund_tax"))),
                ("total", Some(diff("gross", "refund_gross"))),
                ("refunds", Some(sum("refund_gross"))),
                ("voids", Some(sum("void_gross"))),
                ("void_count", None),
                ("transactions", counter.map(sum)),
                ("refund_count", None),
                ("items_sold", Some(sum("quantity_milli"))),
                ("items_refunded", Some(sum("refunded_milli"))),
                ("basket", Some(sum("gross"))),
            ]
        }
        Source::Tenders => vec![
            ("gross_sales", None),
            ("discounts", None),
            ("net_sales", None),
            ("tax", None),
            ("total", Some(diff("amount", "refund_amount"))),
            ("refunds", Some(sum("refund_amount"))),
            ("voids", Some(sum("void_amount"))),
            ("void_count", Some(sum("void_count"))),
            ("transactions", Some(sum("sales_count"))),
            ("refund_count", Some(sum("refund_count"))),
            ("items_sold", None),
            ("items_refunded", None),
            ("basket", Some(sum("amount"))),
        ],
        // Per rate: the net it taxed and the tax; totals add the two.
        Source::Taxes => vec![
            ("gross_sales", None),
            ("discounts", None),
            ("net_sales", Some(diff("taxable", "refund_taxable"))),
            ("tax", Some(diff("tax", "refund_tax"))),
            (
                "total",
                Some(diff("taxable + tax", "refund_taxable + refund_tax")),
            ),
            ("refunds", Some(sum("refund_taxable + refund_tax"))),
            ("voids", Some(sum("void_taxable + void_tax"))),
            ("void_count", None),
            ("transactions", None),
            ("refund_count", None),
            ("items_sold", None),
            ("items_refunded", None),
            ("basket", None),
        ],
    }
}

pub fn sort_alias(m: Measure) -> &'static str {
    match m {
        Measure::GrossSales => "gross_sales",
        Measure::Discounts => "discounts",
        Measure::NetSales => "net_sales",
        Measure::Tax => "tax",
        Measure::Total => "total",
        Measure::Refunds => "refunds",
        Measure::Voids => "voids",
        Measure::Transactions => "transactions",
        Measure::ItemsSold => "items_sold",
    }
}

/// The dimension's alias and SQL expression on this backend.
pub fn dimension(d: Dimension, backend: DbBackend) -> (&'static str, &'static str) {
    let pg = backend == DbBackend::Postgres;
    match d {
        Dimension::Location => ("d_location", "location_id"),
        Dimension::Terminal => ("d_terminal", "terminal_id"),
        Dimension::Hour => ("d_hour", "hour"),
        Dimension::Product => ("d_product", "product_id"),
        Dimension::Variant => ("d_variant", "variant_id"),
        Dimension::TaxGroup => ("d_tax_group", "tax_group_id"),
        Dimension::PaymentMethod => ("d_method", "method"),
        Dimension::TaxRate => ("d_tax_rate", "tax_rate_id"),
        Dimension::Day if pg => ("d_day", "to_char(business_date, 'YYYY-MM-DD')"),
        Dimension::Day => ("d_day", "business_date"),
        Dimension::Week if pg => (
            "d_week",
            "to_char(business_date - (EXTRACT(ISODOW FROM business_date)::int - 1), 'YYYY-MM-DD')",
        ),
        Dimension::Week => (
            "d_week",
            "date(business_date, '-' || ((CAST(strftime('%w', business_date) AS INTEGER) + 6) % 7) || ' days')",
        ),
        Dimension::Month if pg => ("d_month", "to_char(business_date, 'YYYY-MM-01')"),
        Dimension::Month => ("d_month", "strftime('%Y-%m-01', business_date)"),
    }
}

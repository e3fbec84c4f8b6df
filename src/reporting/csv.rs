//! The CSV export of a sales report (`GET /reports/sales.csv`).
//!
//! RFC 4180: comma-separated, CRLF line ends, a field quoted when it holds
//! a comma, a quote, CR or LF, and quotes inside doubled. Names (which a
//! user typed) that a spreadsheet would run as a formula, starting with
//! `=`, `+`, `-`, `@`, tab or CR, are prefixed with `'`.
//!
//! Rows stream from the database as they come, a chunk at a time, with
//! the names they refer to read in one query per kind and chunk, each once
//! per export. Amounts are decimal text in major units of the row's
//! `currency`.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::names::Names;
use super::report::{self, Dimension, Figures, Plan, Request, Row};
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::money::{Currency, Quantity, RoundingMode, div_round};
use crate::tenancy::{Db, TenantTx};

/// The most rows one export holds; `first` may ask for fewer.
pub const MAX_ROWS: i64 = 1_000_000;
/// Rows per chunk sent (and per batch of name lookups).
const CHUNK_ROWS: usize = 500;
/// A client that takes no chunk for this long loses the export, so a
/// stalled download cannot hold a database connection.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// A user-typed name, defused against formula injection.
pub fn text(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// CSV records, written by the `csv` crate: fields quoted where RFC 4180
/// needs it, CRLF line ends.
struct Records(csv::Writer<Vec<u8>>);

impl Records {
    fn with_capacity(bytes: usize) -> Self {
        Self(
            csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(Vec::with_capacity(bytes)),
        )
    }

    fn push(&mut self, fields: impl IntoIterator<Item = String>) -> Result<()> {
        self.0
            .write_record(fields)
            .map_err(|e| AppError::internal(format!("writing a CSV record: {e}")))
    }

    fn into_text(self) -> Result<String> {
        let bytes = self
            .0
            .into_inner()
            .map_err(|e| AppError::internal(format!("finishing CSV records: {e}")))?;
        String::from_utf8(bytes).map_err(|e| AppError::internal(format!("CSV text: {e}")))
    }
}

/// Measure columns, in order, with how each prints.
#[derive(Clone, Copy)]
enum Kind {
    Money,
    Count,
    Quantity,
}

const MEASURES: [(&str, &str, Kind); 13] = [
    ("gross_sales", "gross_sales", Kind::Money),
    ("discounts", "discounts", Kind::Money),
    ("net_sales", "net_sales", Kind::Money),
    ("tax", "tax", Kind::Money),
    ("total", "total", Kind::Money),
    ("refunds", "refunds", Kind::Money),
    ("voids", "voids", Kind::Money),
    ("void_count", "void_count", Kind::Count),
    ("transactions", "transactions", Kind::Count),
    ("refund_count", "refund_count", Kind::Count),
    ("items_sold", "items_sold", Kind::Quantity),
    ("items_refunded", "items_refunded", Kind::Quantity),
    ("average_basket", "transactions", Kind::Money),
];

fn measure(f: &Figures, column: &str) -> Option<i64> {
    match column {
        "gross_sales" => f.gross_sales,
        "discounts" => f.discounts,
        "net_sales" => f.net_sales,
        "tax" => f.tax,
        "total" => Some(f.total),
        "refunds" => Some(f.refunds),
        "voids" => Some(f.voids),
        "void_count" => f.void_count,
        "transactions" => f.transactions,
        "refund_count" => f.refund_count,
        "items_sold" => f.items_sold_milli,
        "items_refunded" => f.items_refunded_milli,
        "average_basket" => f
            .transactions
            .filter(|n| *n > 0)
            .map(|n| div_round(f.basket_total.into(), n.into(), RoundingMode::HalfEven) as i64),
        _ => None,
    }
}

/// The header names of a dimension's columns.
fn dimension_columns(d: Dimension) -> &'static [&'static str] {
    match d {
        Dimension::Location => &["location_id", "location_code", "location"],
        Dimension::Terminal => &["terminal_id", "terminal_code", "terminal"],
        Dimension::Day => &["day"],
        Dimension::Week => &["week"],
        Dimension::Month => &["month"],
        Dimension::Hour => &["hour"],
        Dimension::Product => &["product_id", "product"],
        Dimension::Variant => &["variant_id", "sku", "variant"],
        Dimension::TaxGroup => &["tax_group_id", "tax_group"],
        Dimension::PaymentMethod => &["payment_method"],
        Dimension::TaxRate => &["tax_rate_id", "tax_rate", "tax_rate_percent"],
    }
}

fn or_blank<K: Eq + Hash, V>(
    map: &HashMap<K, V>,
    key: Option<K>,
    f: impl Fn(&V) -> String,
) -> String {
    key.and_then(|k| map.get(&k)).map(f).unwrap_or_default()
}

impl Names {
    /// The chunk's rows as CSV records.
    async fn write(&mut self, plan: &Plan, rows: &[Row], out: &mut Records) -> Result<()> {
        self.learn(rows).await?;
        let locations = &self.locations.rows;
        let terminals = &self.terminals.rows;
        let products = &self.products.rows;
        let variants = &self.variants.rows;
        let tax_groups = &self.tax_groups.rows;
        let id = |id: Option<Uuid>| id.map(|i| i.to_string()).unwrap_or_default();
        let name = text;
        for row in rows {
            let mut fields: Vec<String> = Vec::new();
            for d in plan.dimensions() {
                match d {
                    Dimension::Location => fields.extend([
                        id(row.location),
                        or_blank(locations, row.location, |l| name(&l.code)),
                        or_blank(locations, row.location, |l| name(&l.name)),
                    ]),
                    Dimension::Terminal => fields.extend([
                        id(row.terminal),
                        or_blank(terminals, row.terminal, |t| name(&t.code)),
                        or_blank(terminals, row.terminal, |t| name(&t.name)),
                    ]),
                    Dimension::Day => {
                        fields.push(row.day.map(|d| d.to_string()).unwrap_or_default())
                    }
                    Dimension::Week => {
                        fields.push(row.week.map(|d| d.to_string()).unwrap_or_default())
                    }
                    Dimension::Month => {
                        fields.push(row.month.map(|d| d.to_string()).unwrap_or_default())
                    }
                    Dimension::Hour => {
                        fields.push(row.hour.map(|h| h.to_string()).unwrap_or_default())
                    }
                    Dimension::Product => fields.extend([
                        id(row.product),
                        or_blank(products, row.product, |p| name(&p.name)),
                    ]),
                    Dimension::Variant => fields.extend([
                        id(row.variant),
                        or_blank(variants, row.variant, |v| name(&v.sku)),
                        or_blank(variants, row.variant, |v| name(&v.name)),
                    ]),
                    Dimension::TaxGroup => fields.extend([
                        id(row.tax_group),
                        or_blank(tax_groups, row.tax_group, |t| name(&t.name)),
                    ]),
                    Dimension::PaymentMethod => {
                        fields.push(name(row.payment_method.as_deref().unwrap_or_default()))
                    }
                    Dimension::TaxRate => match &row.tax_rate {
                        Some((rate, rate_name, ppm)) => fields.extend([
                            rate.to_string(),
                            name(rate_name),
                            super::report::percent_of(*ppm),
                        ]),
                        None => fields.extend([String::new(), String::new(), String::new()]),
                    },
                }
            }
            let currency = Currency::from_code(&row.currency).ok_or_else(|| {
                AppError::internal(format!("unknown stored currency {}", row.currency))
            })?;
            for (column, needs, kind) in MEASURES {
                if !plan.has(needs) {
                    continue;
                }
                fields.push(match (measure(&row.figures, column), kind) {
                    (None, _) => String::new(),
                    (Some(v), Kind::Money) => currency.format(v),
                    (Some(v), Kind::Count) => v.to_string(),
                    (Some(v), Kind::Quantity) => Quantity::from_milli(v).to_string(),
                });
            }
            fields.push(row.currency.clone());
            out.push(fields)?;
        }
        Ok(())
    }
}

fn header(plan: &Plan) -> Result<String> {
    let mut out = Records::with_capacity(1024);
    let names = plan
        .dimensions()
        .iter()
        .flat_map(|d| dimension_columns(*d).iter().copied())
        .chain(
            MEASURES
                .iter()
                .filter(|(_, needs, _)| plan.has(needs))
                .map(|(column, _, _)| *column),
        )
        .chain(["currency"])
        .map(str::to_owned);
    out.push(names)?;
    out.into_text()
}

/// One chunk of the body, or the error that ends it.
pub type Chunk = std::result::Result<String, std::io::Error>;

/// Checks the request and starts the export. Every error a bad request
/// can give is returned here, before the first byte; a failure after that
/// ends the body early (the client sees a broken download, never a short
/// file that looks whole).
#[tracing::instrument(skip_all, fields(tenant = %session.tenant))]
pub async fn export(
    session: &Session,
    db: &Db,
    req: Request,
) -> Result<impl Stream<Item = Chunk> + Send + 'static> {
    let (limit, cap) = match req.first {
        Some(first) => (first, false),
        None => (MAX_ROWS + 1, true),
    };
    let (tx, plan) = report::prepare(session, db, req, MAX_ROWS).await?;
    let mut names = Names::new(session, db);
    let (sender, receiver) = mpsc::channel::<Chunk>(2);
    tokio::spawn(async move {
        if let Err(e) = run(&tx, &plan, &mut names, limit, cap, &sender).await {
            match e {
                Stop::Gone => tracing::info!("report export stopped: the client left"),
                Stop::Failed(e) => {
                    tracing::error!(error = %e, "report export failed");
                    let _ = sender
                        .send(Err(std::io::Error::other("report export failed")))
                        .await;
                }
            }
        }
    });
    Ok(futures_util::stream::unfold(receiver, |mut r| async move {
        r.recv().await.map(|chunk| (chunk, r))
    }))
}

enum Stop {
    Gone,
    Failed(AppError),
}

impl<E: Into<AppError>> From<E> for Stop {
    fn from(e: E) -> Self {
        Stop::Failed(e.into())
    }
}

async fn send(sender: &mpsc::Sender<Chunk>, chunk: String) -> std::result::Result<(), Stop> {
    match tokio::time::timeout(SEND_TIMEOUT, sender.send(Ok(chunk))).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) | Err(_) => Err(Stop::Gone),
    }
}

async fn run(
    tx: &TenantTx,
    plan: &Plan,
    names: &mut Names,
    limit: i64,
    cap: bool,
    sender: &mpsc::Sender<Chunk>,
) -> std::result::Result<(), Stop> {
    let backend = tx.backend();
    send(sender, header(plan)?).await?;
    let mut stream = tx.stream_raw(plan.rows(tx, limit)).await?;
    let mut pending: Vec<Row> = Vec::with_capacity(CHUNK_ROWS);
    let mut count: i64 = 0;
    loop {
        let next = stream.next().await;
        let done = next.is_none();
        if let Some(row) = next {
            count += 1;
            if cap && count > MAX_ROWS {
                return Err(Stop::Failed(AppError::bad_input(
                    "first",
                    format!("the export has more than {MAX_ROWS} rows: narrow it"),
                )));
            }
            pending.push(plan.decode(&row?, backend)?);
        }
        if pending.len() == CHUNK_ROWS || (done && !pending.is_empty()) {
            let mut out = Records::with_capacity(pending.len() * 160);
            names.write(plan, &pending, &mut out).await?;
            pending.clear();
            send(sender, out.into_text()?).await?;
        }
        if done {
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(value: &str) -> String {
        let mut out = Records::with_capacity(64);
        out.push([text(value), "x".to_owned()]).unwrap();
        let line = out.into_text().unwrap();
        line.strip_suffix(",x\r\n").unwrap().to_owned()
    }

    #[test]
    fn fields_are_quoted_as_rfc_4180_says() {
        assert_eq!(one("plain"), "plain");
        assert_eq!(one("a,b"), "\"a,b\"");
        assert_eq!(one("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(one("two\nlines"), "\"two\nlines\"");
        assert_eq!(one("cr\rhere"), "\"cr\rhere\"");
        assert_eq!(one(""), "");
    }

    #[test]
    fn text_a_spreadsheet_would_run_is_defused() {
        assert_eq!(one("=1+2"), "'=1+2");
        assert_eq!(one("+31 20"), "'+31 20");
        assert_eq!(one("-5"), "'-5");
        assert_eq!(one("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(one("\tx"), "'\tx");
        assert_eq!(one("=A1,B1"), "\"'=A1,B1\"");
        assert_eq!(one("a=b"), "a=b");
    }

    #[test]
    fn records_end_in_crlf() {
        let mut out = Records::with_capacity(64);
        out.push(["a".to_owned(), String::new(), "c".to_owned()])
            .unwrap();
        assert_eq!(out.into_text().unwrap(), "a,,c\r\n");
    }
}

//! Receipt rendering: a [`ReceiptDoc`] as plain text for 42- and 48-column
//! thermal printers, or as a self-contained HTML page.
//!
//! Both formats are drawn from one list of [`Row`]s, so a printed receipt
//! and an emailed one cannot disagree about what was sold or paid.

use std::fmt::Write as _;

use super::doc::{DocKind, DocLine, DocTender, ReceiptDoc};
use crate::money::Quantity;

mod layout;

use self::layout::{center, escape, label_and_amount, wrap};

/// Paper width of a thermal printer, in characters per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Width {
    /// 80 mm paper with the common 42-column font.
    Cols42,
    /// 80 mm paper with the condensed 48-column font.
    Cols48,
}

impl Width {
    pub fn columns(self) -> usize {
        match self {
            Self::Cols42 => 42,
            Self::Cols48 => 48,
        }
    }
}

/// The receipt as plain text: every line at most `width` characters
/// (counted in chars, not bytes) and ending with `\n`. Long names wrap
/// rather than run off the paper.
pub fn text(doc: &ReceiptDoc, width: Width) -> String {
    let columns = width.columns();
    let mut out = String::new();
    for row in rows(doc) {
        for line in row.text_lines(columns) {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

/// The receipt as a small HTML document: inline style, no scripts, no
/// external resources, every piece of tenant or cashier text escaped.
pub fn html(doc: &ReceiptDoc) -> String {
    let mut body = String::new();
    for row in rows(doc) {
        row.push_html(&mut body);
    }
    format!(
        "<!doctype html>\n\
         <html lang=\"en\">\n\
         <head>\n\
         <meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Receipt {number}</title>\n\
         <style>\n{STYLE}</style>\n\
         </head>\n\
         <body>\n\
         <main class=\"receipt\">\n\
         {body}\
         </main>\n\
         </body>\n\
         </html>\n",
        number = escape(&doc.number),
    )
}

const STYLE: &str = "\
body { margin: 0; padding: 1rem; background: #f4f4f4; }
.receipt { max-width: 24rem; margin: 0 auto; padding: 1rem; background: #fff; color: #000; font: 14px/1.4 ui-monospace, Menlo, Consolas, monospace; }
.receipt h1 { margin: 0; font-size: 1.2em; text-align: center; }
.receipt p { margin: 0; overflow-wrap: anywhere; }
.receipt .center { text-align: center; }
.receipt .banner { margin: 0.4em 0; text-align: center; font-weight: bold; font-size: 1.1em; }
.receipt .row { display: flex; justify-content: space-between; gap: 1em; }
.receipt .row span:first-child { overflow-wrap: anywhere; }
.receipt .amount { white-space: nowrap; text-align: right; font-variant-numeric: tabular-nums; }
.receipt .detail { padding-left: 2ch; }
.receipt .strong { font-weight: bold; }
.receipt hr { border: 0; border-top: 1px dashed #000; margin: 0.4em 0; }
";

/// One logical line of the receipt, before it is laid out for a format.
#[derive(Debug)]
enum Row {
    /// The tenant name, centered.
    Title(String),
    /// Location, address and footer lines, centered.
    Centered(String),
    /// `REFUND`, `*** VOIDED ***`: centered and bold where possible.
    Banner(String),
    /// Left-aligned text such as `Cashier: Ana`.
    Plain(String),
    /// A label on the left and an amount on the right.
    Pair {
        label: String,
        amount: String,
        strong: bool,
    },
    /// An indented note under a line or tender: `0.455 kg x 12.99`.
    Detail(String),
    /// An indented label with an amount on the right: a line discount.
    DetailPair {
        label: String,
        amount: String,
    },
    Rule,
}

/// Indent of detail rows in text output.
const INDENT: &str = "  ";

impl Row {
    fn pair(label: impl Into<String>, amount: String) -> Self {
        Self::Pair {
            label: label.into(),
            amount,
            strong: false,
        }
    }

    fn text_lines(&self, width: usize) -> Vec<String> {
        match self {
            Self::Title(text) | Self::Centered(text) | Self::Banner(text) => {
                wrap(text, width, width)
                    .into_iter()
                    .map(|line| center(&line, width))
                    .collect()
            }
            Self::Plain(text) => wrap(text, width, width),
            Self::Pair { label, amount, .. } => label_and_amount("", label, amount, width),
            Self::Detail(text) => {
                let inner = width.saturating_sub(INDENT.len()).max(1);
                wrap(text, inner, inner)
                    .into_iter()
                    .map(|line| format!("{INDENT}{line}"))
                    .collect()
            }
            Self::DetailPair { label, amount } => label_and_amount(INDENT, label, amount, width),
            Self::Rule => vec!["-".repeat(width)],
        }
    }

    fn push_html(&self, out: &mut String) {
        // Writing to a String cannot fail.
        let _ = match self {
            Self::Title(text) => writeln!(out, "<h1>{}</h1>", escape(text)),
            Self::Centered(text) => writeln!(out, "<p class=\"center\">{}</p>", escape(text)),
            Self::Banner(text) => writeln!(out, "<p class=\"banner\">{}</p>", escape(text)),
            Self::Plain(text) => writeln!(out, "<p>{}</p>", escape(text)),
            Self::Pair {
                label,
                amount,
                strong,
            } => writeln!(
                out,
                "<div class=\"row{}\"><span>{}</span><span class=\"amount\">{}</span></div>",
                if *strong { " strong" } else { "" },
                escape(label),
                escape(amount),
            ),
            Self::Detail(text) => writeln!(out, "<p class=\"detail\">{}</p>", escape(text)),
            Self::DetailPair { label, amount } => writeln!(
                out,
                "<div class=\"row detail\"><span>{}</span><span class=\"amount\">{}</span></div>",
                escape(label),
                escape(amount),
            ),
            Self::Rule => writeln!(out, "<hr>"),
        };
    }
}

/// Everything the receipt shows, top to bottom.
fn rows(doc: &ReceiptDoc) -> Vec<Row> {
    let money = |amount: i64| doc.currency.format(amount);
    let mut rows = Vec::new();

    rows.push(Row::Title(doc.tenant_name.clone()));
    rows.push(Row::Centered(doc.location_name.clone()));
    rows.extend(doc.address.iter().cloned().map(Row::Centered));
    if doc.voided {
        rows.push(Row::Banner("*** VOIDED ***".into()));
    }
    if doc.kind == DocKind::Refund {
        rows.push(Row::Banner("REFUND".into()));
    }
    rows.push(Row::Plain(format!(
        "{} {}",
        doc.local_time.format("%Y-%m-%d %H:%M"),
        doc.time_zone
    )));
    rows.push(Row::Plain(format!("Terminal: {}", doc.terminal_code)));
    rows.push(Row::Plain(format!("Cashier: {}", doc.cashier)));
    rows.push(Row::Plain(format!("Receipt: {}", doc.number)));
    if doc.kind == DocKind::Refund {
        rows.push(Row::Plain(match &doc.original_number {
            Some(number) => format!("Original receipt: {number}"),
            None => "No receipt".into(),
        }));
        if let Some(reason) = &doc.reason {
            rows.push(Row::Plain(format!("Reason: {reason}")));
        }
    }

    rows.push(Row::Rule);
    for line in &doc.lines {
        push_line(&mut rows, doc, line);
    }

    rows.push(Row::Rule);
    rows.push(Row::pair("Subtotal", money(doc.subtotal)));
    if doc.discount_total != 0 {
        rows.push(Row::pair("Discounts", negated(money(doc.discount_total))));
    }
    let included = if doc.prices_include_tax { "incl. " } else { "" };
    for tax in &doc.taxes {
        rows.push(Row::pair(
            format!("{included}{} {}%", tax.name, tax.percent),
            money(tax.amount),
        ));
    }
    rows.push(Row::pair("Tax total", money(doc.tax_total)));
    rows.push(Row::Pair {
        label: match doc.kind {
            DocKind::Sale => "TOTAL",
            DocKind::Refund => "REFUND TOTAL",
        }
        .into(),
        amount: format!("{} {}", doc.currency.code(), money(doc.total)),
        strong: true,
    });

    rows.push(Row::Rule);
    for tender in &doc.tenders {
        push_tender(&mut rows, doc, tender);
    }
    if doc.kind == DocKind::Sale && doc.change > 0 {
        rows.push(Row::pair("Change", money(doc.change)));
    }

    rows.push(Row::Rule);
    if doc.voided {
        rows.push(Row::Banner("*** VOIDED ***".into()));
    }
    rows.push(Row::Centered(doc.number.clone()));
    rows
}

fn push_line(rows: &mut Vec<Row>, doc: &ReceiptDoc, line: &DocLine) {
    rows.push(Row::pair(
        line.name.clone(),
        doc.currency.format(line.amount),
    ));
    let unit = match line.unit.as_str() {
        "KG" => Some("kg"),
        "LB" => Some("lb"),
        _ => None,
    };
    let price = doc.currency.format(line.unit_price);
    match unit {
        Some(unit) => rows.push(Row::Detail(format!("{} {unit} x {price}", line.quantity))),
        None if line.quantity != Quantity::ONE => {
            rows.push(Row::Detail(format!("{} x {price}", line.quantity)));
        }
        None => {}
    }
    if line.discount != 0 {
        rows.push(Row::DetailPair {
            label: "Discount".into(),
            amount: negated(doc.currency.format(line.discount)),
        });
    }
}

fn push_tender(rows: &mut Vec<Row>, doc: &ReceiptDoc, tender: &DocTender) {
    let label = match tender.method.as_str() {
        "CASH" => "Cash".to_owned(),
        "CARD" => {
            let mut label = "Card".to_owned();
            if let Some(brand) = &tender.card_brand {
                label.push(' ');
                label.push_str(brand);
            }
            if let Some(last4) = &tender.card_last4 {
                label.push_str(" ****");
                label.push_str(last4);
            }
            label
        }
        "GIFT_CARD" => "Gift card".to_owned(),
        "VOUCHER" => "Voucher".to_owned(),
        _ => "Other".to_owned(),
    };
    rows.push(Row::pair(label, doc.currency.format(tender.amount)));
    if let Some(auth) = &tender.auth_reference {
        rows.push(Row::Detail(format!("Auth {auth}")));
    }
}

/// Flips the sign of formatted money text. Done on the text rather than the
/// integer so that `i64::MIN` cannot overflow.
fn negated(amount: String) -> String {
    match amount.strip_prefix('-') {
        Some(positive) => positive.to_owned(),
        None => format!("-{amount}"),
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

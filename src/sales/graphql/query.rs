//! Sales queries: thin resolvers over `sales::queries`, receipts, the
//! Z-report and the chain verifier.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::NaiveDate;

use super::inputs::SalesFilter;
use super::refund_types::Refund;
use super::types::{LineTax, Sale};
use crate::auth::Staff;
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::scalars::Amount;
use crate::money::Rate;
use crate::sales::receipt::{self, render};
use crate::sales::{chain, queries, zreport};
use crate::validate;

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ReceiptFormat {
    /// Plain text for 80 mm printers with the 42-column font.
    #[graphql(name = "TEXT_42")]
    Text42,
    /// Plain text for the condensed 48-column font.
    #[graphql(name = "TEXT_48")]
    Text48,
    /// A self-contained HTML page, for e-mail or the screen.
    Html,
}

#[derive(SimpleObject)]
pub struct Receipt {
    pub number: String,
    pub format: ReceiptFormat,
    /// `text/plain; charset=utf-8` or `text/html; charset=utf-8`.
    pub content_type: String,
    pub body: String,
}

#[derive(SimpleObject)]
pub struct TenderTotal {
    pub method: String,
    pub amount: Amount,
}

/// A terminal's business day, derived from the ledger.
#[derive(SimpleObject)]
pub struct ZReport {
    pub terminal_id: ID,
    pub business_date: NaiveDate,
    pub sales_count: i64,
    pub sales_total: Amount,
    pub refunds_count: i64,
    pub refunds_total: Amount,
    pub voids_count: i64,
    pub voids_total: Amount,
    /// Sales less refunds less voids.
    pub net_total: Amount,
    /// Net money in per tender method.
    pub tenders: Vec<TenderTotal>,
    /// Net tax per rate.
    pub taxes: Vec<LineTax>,
    pub first_receipt_number: Option<String>,
    pub last_receipt_number: Option<String>,
    /// Net total of the terminal over every day up to this one; never
    /// resets.
    pub grand_total: Amount,
    /// The drawer's shifts opened that day: float, cash expected against
    /// counted, and the over/short of each.
    pub shifts: Vec<crate::cash::graphql::Shift>,
    /// Over/short of the day's closed shifts together; null if none
    /// closed.
    pub cash_over_short: Option<Amount>,
}

#[derive(SimpleObject)]
pub struct ChainVerification {
    /// True when every record's hash matches its rows and its link.
    pub ok: bool,
    /// Records verified before the first break (all of them if `ok`).
    pub checked: i64,
    /// The first position that does not verify.
    pub broken_at: Option<i64>,
    pub problem: Option<String>,
}

#[derive(Default)]
pub struct SalesQuery;

#[Object]
impl SalesQuery {
    /// A sale of the caller's tenant; null if there is none with this id.
    async fn sale(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Sale>> {
        let id = validate::id("id", &id)?;
        Ok(queries::sale(ctx.session()?, ctx.db()?, id)
            .await?
            .map(Sale))
    }

    /// Sales, newest first (by the terminal's clock).
    async fn sales(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<SalesFilter>,
    ) -> Result<Connection<String, Sale>> {
        let page = queries::SalesPage::new(first, after.as_deref())?;
        let mut rows = queries::sales(
            ctx.session()?,
            ctx.db()?,
            &filter.map(Into::into).unwrap_or_default(),
            &page,
        )
        .await?;
        let has_next = rows.len() > page.first;
        rows.truncate(page.first);
        let mut connection = Connection::new(page.after.is_some(), has_next);
        connection.edges = rows
            .into_iter()
            .map(|r| Edge::new(queries::SalesPage::cursor(&r.sale), Sale(r)))
            .collect();
        Ok(connection)
    }

    async fn refund(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Refund>> {
        let id = validate::id("id", &id)?;
        Ok(queries::refund(ctx.session()?, ctx.db()?, id)
            .await?
            .map(Refund))
    }

    /// The printable receipt of a sale (`saleId`) or a refund (`refundId`).
    async fn receipt(
        &self,
        ctx: &Context<'_>,
        sale_id: Option<ID>,
        refund_id: Option<ID>,
        format: ReceiptFormat,
    ) -> Result<Option<Receipt>> {
        let (session, db) = (ctx.session()?, ctx.db()?);
        let doc = match (sale_id, refund_id) {
            (Some(id), None) => {
                receipt::sale_receipt(session, db, validate::id("saleId", &id)?).await?
            }
            (None, Some(id)) => {
                receipt::refund_receipt(session, db, validate::id("refundId", &id)?).await?
            }
            _ => {
                return Err(AppError::bad_input(
                    "saleId",
                    "give exactly one of saleId or refundId",
                )
                .into());
            }
        };
        Ok(doc.map(|doc| {
            let (content_type, body) = match format {
                ReceiptFormat::Text42 => ("text/plain", render::text(&doc, render::Width::Cols42)),
                ReceiptFormat::Text48 => ("text/plain", render::text(&doc, render::Width::Cols48)),
                ReceiptFormat::Html => ("text/html", render::html(&doc)),
            };
            Receipt {
                number: doc.number.clone(),
                format,
                content_type: format!("{content_type}; charset=utf-8"),
                body,
            }
        }))
    }

    /// A terminal's Z-report for one business day: for managers, or the
    /// terminal's own device token.
    async fn z_report(
        &self,
        ctx: &Context<'_>,
        terminal_id: ID,
        business_date: NaiveDate,
    ) -> Result<ZReport> {
        let terminal = validate::id("terminalId", &terminal_id)?;
        let z = zreport::z_report(ctx.session()?, ctx.db()?, terminal, business_date).await?;
        Ok(ZReport {
            terminal_id: ID(z.terminal_id.to_string()),
            business_date: z.business_date,
            sales_count: z.sales_count,
            sales_total: Amount(z.sales_total),
            refunds_count: z.refunds_count,
            refunds_total: Amount(z.refunds_total),
            voids_count: z.voids_count,
            voids_total: Amount(z.voids_total),
            net_total: Amount(z.net_total),
            tenders: z
                .tenders
                .into_iter()
                .map(|(method, amount)| TenderTotal {
                    method,
                    amount: Amount(amount),
                })
                .collect(),
            taxes: z
                .taxes
                .into_iter()
                .map(|(name, ppm, amount)| LineTax {
                    name,
                    percent: Rate::from_ppm(ppm).map_or_else(|| "?".into(), Rate::percent),
                    amount: Amount(amount),
                })
                .collect(),
            first_receipt_number: z.first_receipt,
            last_receipt_number: z.last_receipt,
            grand_total: Amount(z.grand_total),
            cash_over_short: z
                .shifts
                .iter()
                .filter_map(|s| s.over_short)
                .reduce(|a, b| a + b)
                .map(Amount),
            shifts: z
                .shifts
                .into_iter()
                .map(crate::cash::graphql::Shift)
                .collect(),
        })
    }

    /// Recomputes a terminal's receipt hash chain from the ledger rows.
    #[graphql(guard = "Staff::managers()")]
    async fn verify_receipt_chain(
        &self,
        ctx: &Context<'_>,
        terminal_id: ID,
    ) -> Result<ChainVerification> {
        let terminal = validate::id("terminalId", &terminal_id)?;
        let check = chain::verify_terminal(ctx.session()?, ctx.db()?, terminal).await?;
        Ok(ChainVerification {
            ok: check.broken.is_none(),
            checked: check.checked,
            broken_at: check.broken.map(|b| b.0),
            problem: check.broken.map(|b| b.1.to_owned()),
        })
    }
}

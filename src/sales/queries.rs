//! Reading the ledger: sales with their refunds, voids and anomalies.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{ledger_anomaly, refund, refund_line, sale, sale_void};
use sea_orm::{ColumnTrait, Condition, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::records::{self, RefundRecord, SaleRecord};
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::tenancy::Page;
use crate::tenancy::{Db, TenantTx};

/// Filters for the `sales` connection; all given ones must match.
#[derive(Debug, Clone, Default)]
pub struct SalesFilter {
    pub location_ids: Option<Vec<String>>,
    pub terminal_ids: Option<Vec<String>>,
    /// Business dates, inclusive.
    pub from_date: Option<NaiveDate>,
    pub to_date: Option<NaiveDate>,
    pub receipt_number: Option<String>,
    /// The cashier's `sub`.
    pub cashier: Option<String>,
}

fn ids(field: &str, ids: &Option<Vec<String>>) -> Result<Option<Vec<Uuid>>> {
    ids.as_ref()
        .map(|list| {
            if list.len() > 100 {
                return Err(AppError::bad_input(field, format!("at most 100 {field}")));
            }
            list.iter()
                .map(|id| crate::validate::id(field, id))
                .collect()
        })
        .transpose()
}

pub async fn sale(session: &Session, db: &Db, id: Uuid) -> Result<Option<SaleRecord>> {
    let tx = db.read(session).await?;
    records::sale(&tx, id).await
}

pub async fn refund(session: &Session, db: &Db, id: Uuid) -> Result<Option<RefundRecord>> {
    let tx = db.read(session).await?;
    records::refund(&tx, id).await
}

/// A page of the `sales` connection: newest first, by the terminal's
/// clock, then id. The cursor carries both, so pages are stable while new
/// sales arrive.
#[derive(Debug, Clone, Copy)]
pub struct SalesPage {
    pub first: usize,
    pub after: Option<(DateTime<Utc>, Uuid)>,
}

impl SalesPage {
    pub fn new(first: Option<i32>, after: Option<&str>) -> Result<Self> {
        let first = Page::new(first, None)?.first;
        let after = after
            .map(|cursor| {
                URL_SAFE_NO_PAD
                    .decode(cursor)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .and_then(|text| {
                        let (micros, id) = text.split_once('|')?;
                        Some((
                            DateTime::from_timestamp_micros(micros.parse().ok()?)?,
                            Uuid::parse_str(id).ok()?,
                        ))
                    })
                    .ok_or_else(|| {
                        AppError::bad_input("after", "after is not a cursor from this API")
                    })
            })
            .transpose()?;
        Ok(Self { first, after })
    }

    pub fn cursor(sale: &sale::Model) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{}|{}",
            sale.created_at.timestamp_micros(),
            sale.id
        ))
    }
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant))]
pub async fn sales(
    session: &Session,
    db: &Db,
    filter: &SalesFilter,
    page: &SalesPage,
) -> Result<Vec<SaleRecord>> {
    if let (Some(from), Some(to)) = (filter.from_date, filter.to_date)
        && from > to
    {
        return Err(AppError::bad_input(
            "filter.fromDate",
            "fromDate is after toDate",
        ));
    }
    let locations = ids("filter.locationIds", &filter.location_ids)?;
    let terminals = ids("filter.terminalIds", &filter.terminal_ids)?;
    let tx = db.read(session).await?;
    let mut select = tx.select::<sale::Entity>();
    if let Some(locations) = locations {
        select = select.filter(sale::Column::LocationId.is_in(locations));
    }
    if let Some(terminals) = terminals {
        select = select.filter(sale::Column::TerminalId.is_in(terminals));
    }
    if let Some(from) = filter.from_date {
        select = select.filter(sale::Column::BusinessDate.gte(from));
    }
    if let Some(to) = filter.to_date {
        select = select.filter(sale::Column::BusinessDate.lte(to));
    }
    if let Some(number) = &filter.receipt_number {
        select = select.filter(sale::Column::ReceiptNumber.eq(number.trim().to_ascii_uppercase()));
    }
    if let Some(cashier) = &filter.cashier {
        select = select.filter(sale::Column::Cashier.eq(cashier.as_str()));
    }
    if let Some((at, id)) = page.after {
        select = select.filter(
            Condition::any().add(sale::Column::CreatedAt.lt(at)).add(
                Condition::all()
                    .add(sale::Column::CreatedAt.eq(at))
                    .add(sale::Column::Id.lt(id)),
            ),
        );
    }
    let heads = select
        .order_by_desc(sale::Column::CreatedAt)
        .order_by_desc(sale::Column::Id)
        .limit(page.first as u64 + 1)
        .all(&tx)
        .await?;
    let ids: Vec<Uuid> = heads.iter().map(|s| s.id).collect();
    let mut whole = records::sales(&tx, &ids).await?;
    Ok(ids.iter().filter_map(|id| whole.remove(id)).collect())
}

/// A sale's refunds, oldest first.
pub async fn refunds_of(session: &Session, db: &Db, sale: Uuid) -> Result<Vec<RefundRecord>> {
    let tx = db.read(session).await?;
    let ids: Vec<Uuid> = tx
        .select::<refund::Entity>()
        .filter(refund::Column::SaleId.eq(sale))
        .order_by_asc(refund::Column::CreatedAt)
        .all(&tx)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut whole = records::refunds(&tx, &ids).await?;
    Ok(ids.iter().filter_map(|id| whole.remove(id)).collect())
}

/// Thousandths refunded so far of each line of `sale`.
pub async fn refunded_quantities(tx: &TenantTx, sale: Uuid) -> Result<HashMap<i32, i64>> {
    let mut by_line: HashMap<i32, i64> = HashMap::new();
    for row in tx
        .select::<refund_line::Entity>()
        .filter(refund_line::Column::SaleId.eq(sale))
        .all(tx)
        .await?
    {
        if let Some(line) = row.sale_line_no {
            *by_line.entry(line).or_default() += row.quantity_milli;
        }
    }
    Ok(by_line)
}

pub async fn refunded(session: &Session, db: &Db, sale: Uuid) -> Result<HashMap<i32, i64>> {
    let tx = db.read(session).await?;
    refunded_quantities(&tx, sale).await
}

pub async fn void_of(session: &Session, db: &Db, sale: Uuid) -> Result<Option<sale_void::Model>> {
    let tx = db.read(session).await?;
    Ok(tx
        .select::<sale_void::Entity>()
        .filter(sale_void::Column::SaleId.eq(sale))
        .one(&tx)
        .await?)
}

pub async fn anomalies_of(
    session: &Session,
    db: &Db,
    record: Uuid,
) -> Result<Vec<ledger_anomaly::Model>> {
    let tx = db.read(session).await?;
    Ok(tx
        .select::<ledger_anomaly::Entity>()
        .filter(ledger_anomaly::Column::RecordId.eq(record))
        .order_by_asc(ledger_anomaly::Column::Id)
        .all(&tx)
        .await?)
}

pub async fn void_by_id(session: &Session, db: &Db, id: Uuid) -> Result<Option<sale_void::Model>> {
    let tx = db.read(session).await?;
    Ok(records::voids(&tx, &[id]).await?.remove(&id))
}

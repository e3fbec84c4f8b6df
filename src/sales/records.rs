//! Whole ledger records (a sale or refund with its lines, taxes and
//! tenders), loaded in bulk: one statement per table for any number of
//! records.

use std::collections::HashMap;

use entity::{line_tax, refund, refund_line, sale, sale_line, sale_void, tender};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::error::Result;
use crate::tenancy::TenantTx;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleRecord {
    pub sale: sale::Model,
    pub lines: Vec<sale_line::Model>,
    /// In (line, position) order.
    pub taxes: Vec<line_tax::Model>,
    pub tenders: Vec<tender::Model>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecord {
    pub refund: refund::Model,
    pub lines: Vec<refund_line::Model>,
    pub taxes: Vec<line_tax::Model>,
    pub tenders: Vec<tender::Model>,
}

async fn taxes_and_tenders(
    tx: &TenantTx,
    ids: &[Uuid],
) -> Result<(
    HashMap<Uuid, Vec<line_tax::Model>>,
    HashMap<Uuid, Vec<tender::Model>>,
)> {
    let mut taxes: HashMap<Uuid, Vec<line_tax::Model>> = HashMap::new();
    for row in tx
        .select::<line_tax::Entity>()
        .filter(line_tax::Column::RecordId.is_in(ids.iter().copied()))
        .order_by_asc(line_tax::Column::LineNo)
        .order_by_asc(line_tax::Column::Position)
        .all(tx)
        .await?
    {
        taxes.entry(row.record_id).or_default().push(row);
    }
    let mut tenders: HashMap<Uuid, Vec<tender::Model>> = HashMap::new();
    for row in tx
        .select::<tender::Entity>()
        .filter(tender::Column::RecordId.is_in(ids.iter().copied()))
        .order_by_asc(tender::Column::Position)
        .all(tx)
        .await?
    {
        tenders.entry(row.record_id).or_default().push(row);
    }
    Ok((taxes, tenders))
}

/// The sales among `ids`, whole, keyed by id.
pub async fn sales(tx: &TenantTx, ids: &[Uuid]) -> Result<HashMap<Uuid, SaleRecord>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let heads = tx
        .select::<sale::Entity>()
        .filter(sale::Column::Id.is_in(ids.iter().copied()))
        .all(tx)
        .await?;
    let mut lines: HashMap<Uuid, Vec<sale_line::Model>> = HashMap::new();
    for row in tx
        .select::<sale_line::Entity>()
        .filter(sale_line::Column::SaleId.is_in(ids.iter().copied()))
        .order_by_asc(sale_line::Column::LineNo)
        .all(tx)
        .await?
    {
        lines.entry(row.sale_id).or_default().push(row);
    }
    let (mut taxes, mut tenders) = taxes_and_tenders(tx, ids).await?;
    Ok(heads
        .into_iter()
        .map(|sale| {
            let id = sale.id;
            let record = SaleRecord {
                lines: lines.remove(&id).unwrap_or_default(),
                taxes: taxes.remove(&id).unwrap_or_default(),
                tenders: tenders.remove(&id).unwrap_or_default(),
                sale,
            };
            (id, record)
        })
        .collect())
}

pub async fn sale(tx: &TenantTx, id: Uuid) -> Result<Option<SaleRecord>> {
    Ok(sales(tx, &[id]).await?.remove(&id))
}

/// The refunds among `ids`, whole, keyed by id.
pub async fn refunds(tx: &TenantTx, ids: &[Uuid]) -> Result<HashMap<Uuid, RefundRecord>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let heads = tx
        .select::<refund::Entity>()
        .filter(refund::Column::Id.is_in(ids.iter().copied()))
        .all(tx)
        .await?;
    let mut lines: HashMap<Uuid, Vec<refund_line::Model>> = HashMap::new();
    for row in tx
        .select::<refund_line::Entity>()
        .filter(refund_line::Column::RefundId.is_in(ids.iter().copied()))
        .order_by_asc(refund_line::Column::LineNo)
        .all(tx)
        .await?
    {
        lines.entry(row.refund_id).or_default().push(row);
    }
    let (mut taxes, mut tenders) = taxes_and_tenders(tx, ids).await?;
    Ok(heads
        .into_iter()
        .map(|refund| {
            let id = refund.id;
            let record = RefundRecord {
                lines: lines.remove(&id).unwrap_or_default(),
                taxes: taxes.remove(&id).unwrap_or_default(),
                tenders: tenders.remove(&id).unwrap_or_default(),
                refund,
            };
            (id, record)
        })
        .collect())
}

pub async fn refund(tx: &TenantTx, id: Uuid) -> Result<Option<RefundRecord>> {
    Ok(refunds(tx, &[id]).await?.remove(&id))
}

/// The voids among `ids`, keyed by id.
pub async fn voids(tx: &TenantTx, ids: &[Uuid]) -> Result<HashMap<Uuid, sale_void::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(tx
        .select::<sale_void::Entity>()
        .filter(sale_void::Column::Id.is_in(ids.iter().copied()))
        .all(tx)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect())
}

//! SALE movements, read from the sales ledger: a sale line of a variant
//! that tracks stock is itself the movement (`sale_lines.stock_movement_id`
//! set, a time-ordered id like every movement's), and its sale gives the
//! location, instant, business date and terminal. Copying each line into
//! `stock_movements` would nearly double the rows a push writes; the push
//! adds only to the levels (docs/architecture.md, "Stock").

use chrono::{DateTime, NaiveDate, Utc};
use entity::{sale, sale_line, stock_movement};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationDef, Select,
};
use uuid::Uuid;

use super::ledger::Kind;
use super::levels::MovementFilter;
use crate::error::Result;
use crate::tenancy::{Scoped, TenantTx};

/// A sale line that moved stock, with what its sale says.
#[derive(FromQueryResult)]
struct Sold {
    stock_movement_id: Uuid,
    sale_id: Uuid,
    line_no: i32,
    variant_id: Uuid,
    quantity_milli: i64,
    location_id: Uuid,
    terminal_id: Uuid,
    created_at: DateTime<Utc>,
    business_date: NaiveDate,
    received_at: DateTime<Utc>,
}

impl Sold {
    fn movement(self, tenant: Uuid) -> stock_movement::Model {
        stock_movement::Model {
            tenant_id: tenant,
            id: self.stock_movement_id,
            location_id: self.location_id,
            variant_id: self.variant_id,
            kind: Kind::Sale.as_str().to_owned(),
            quantity: -self.quantity_milli,
            at: self.created_at,
            business_date: self.business_date,
            recorded_at: self.received_at,
            source_id: self.sale_id,
            line_no: self.line_no,
            reason: None,
            note: None,
            unit_cost: None,
            supplier_reference: None,
            counted: None,
            terminal_id: Some(self.terminal_id),
            transfer_id: None,
            recorded_by: None,
        }
    }
}

/// Sale lines that moved stock, joined to their sales (in the tenant:
/// the join names the tenant on both sides).
fn lines(tx: &TenantTx) -> Scoped<Select<sale_line::Entity>> {
    let sale_of_line: RelationDef = sale_line::Entity::belongs_to(sale::Entity)
        .from((sale_line::Column::TenantId, sale_line::Column::SaleId))
        .to((sale::Column::TenantId, sale::Column::Id))
        .into();
    tx.select::<sale_line::Entity>()
        .join(JoinType::InnerJoin, sale_of_line)
        .filter(sale_line::Column::StockMovementId.is_not_null())
}

fn as_movements(lines: Scoped<Select<sale_line::Entity>>) -> Scoped<Select<sale_line::Entity>> {
    use sale_line::Column as L;
    lines
        .select_only()
        .column(L::StockMovementId)
        .column(L::SaleId)
        .column(L::LineNo)
        .column(L::VariantId)
        .column(L::QuantityMilli)
        .column(sale::Column::LocationId)
        .column(sale::Column::TerminalId)
        .column(sale::Column::CreatedAt)
        .column(sale::Column::BusinessDate)
        .column(sale::Column::ReceivedAt)
}

/// SALE movements matching `filter`, in the order they were recorded,
/// after `after`, at most `limit`. `from` and `until` compare with when
/// the sale was recorded.
pub async fn movements(
    tx: &TenantTx,
    filter: &MovementFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<stock_movement::Model>> {
    use sale_line::Column as L;
    let mut select = lines(tx);
    if let Some(l) = filter.location {
        select = select.filter(sale::Column::LocationId.eq(l));
    }
    if let Some(v) = filter.variant {
        select = select.filter(L::VariantId.eq(v));
    }
    if let Some(from) = filter.from {
        select = select.filter(sale::Column::ReceivedAt.gte(from));
    }
    if let Some(until) = filter.until {
        select = select.filter(sale::Column::ReceivedAt.lt(until));
    }
    if let Some(source) = filter.source {
        select = select.filter(L::SaleId.eq(source));
    }
    if let Some(after) = after {
        select = select.filter(L::StockMovementId.gt(after));
    }
    let rows = as_movements(select)
        .order_by_asc(L::StockMovementId)
        .limit(limit)
        .into_model::<Sold>()
        .all(tx)
        .await?;
    Ok(rows.into_iter().map(|r| r.movement(tx.tenant())).collect())
}

/// The SALE movements of one sale, in line order.
pub async fn of_sale(tx: &TenantTx, sale: Uuid) -> Result<Vec<stock_movement::Model>> {
    let rows = as_movements(lines(tx).filter(sale_line::Column::SaleId.eq(sale)))
        .order_by_asc(sale_line::Column::LineNo)
        .into_model::<Sold>()
        .all(tx)
        .await?;
    Ok(rows.into_iter().map(|r| r.movement(tx.tenant())).collect())
}

fn quantity_sum() -> sea_orm::sea_query::SimpleExpr {
    Expr::col((sale_line::Entity, sale_line::Column::QuantityMilli))
        .sum()
        .cast_as("BIGINT")
}

/// Units sold (positive thousandths) per location and business date,
/// from `from` to `to` inclusive.
pub async fn per_day(
    tx: &TenantTx,
    (from, to): (NaiveDate, NaiveDate),
    location: Option<Uuid>,
) -> Result<Vec<(Uuid, NaiveDate, i64)>> {
    let mut select = lines(tx)
        .select_only()
        .column(sale::Column::LocationId)
        .column(sale::Column::BusinessDate)
        .column_as(quantity_sum(), "quantity")
        .filter(sale::Column::BusinessDate.gte(from))
        .filter(sale::Column::BusinessDate.lte(to))
        .group_by(sale::Column::LocationId)
        .group_by(sale::Column::BusinessDate);
    if let Some(l) = location {
        select = select.filter(sale::Column::LocationId.eq(l));
    }
    Ok(select.into_tuple().all(tx).await?)
}

/// What the SALE movements add to each (location, variant): minus the
/// units sold.
pub async fn per_level(tx: &TenantTx) -> Result<Vec<((Uuid, Uuid), i64)>> {
    let rows: Vec<(Uuid, Uuid, i64)> = lines(tx)
        .select_only()
        .column(sale::Column::LocationId)
        .column(sale_line::Column::VariantId)
        .column_as(quantity_sum(), "quantity")
        .group_by(sale::Column::LocationId)
        .group_by(sale_line::Column::VariantId)
        .into_tuple()
        .all(tx)
        .await?;
    Ok(rows.into_iter().map(|(l, v, q)| ((l, v), -q)).collect())
}

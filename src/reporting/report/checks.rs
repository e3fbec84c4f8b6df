//! Checking a report request before any row is read: its range, size
//! and grouping (which also choose the source table), and that every
//! filtered id is the tenant's.

use chrono::NaiveDate;
use uuid::Uuid;

use super::{Dimension, Measure, Request};
use crate::error::{AppError, Result};
use crate::reporting::sql::{ITEM_DIMENSIONS, Source};
use crate::tenancy::TenantTx;

/// The longest range with hourly rows.
const MAX_HOURLY_DAYS: i64 = 366;

pub(super) fn check(req: &Request, max_rows: i64) -> Result<(NaiveDate, NaiveDate, Source)> {
    let from = req
        .from
        .ok_or_else(|| AppError::bad_input("from", "from is required"))?;
    let to = req
        .to
        .ok_or_else(|| AppError::bad_input("to", "to is required"))?;
    if from > to {
        return Err(AppError::bad_input(
            "to",
            format!("to ({to}) is before from ({from})"),
        ));
    }
    let days = (to - from).num_days() + 1;
    if req.group_by.contains(&Dimension::Hour) && days > MAX_HOURLY_DAYS {
        return Err(AppError::bad_input(
            "groupBy",
            format!("hourly rows cover at most {MAX_HOURLY_DAYS} days; this range has {days}"),
        ));
    }
    if let Some(first) = req.first
        && !(1..=max_rows).contains(&first)
    {
        return Err(AppError::bad_input(
            "first",
            format!("first is 1 to {max_rows}"),
        ));
    }
    let items =
        req.group_by.iter().any(|d| ITEM_DIMENSIONS.contains(d)) || !req.products.is_empty();
    let source = if req.group_by.contains(&Dimension::TaxRate) {
        if items || req.group_by.contains(&Dimension::PaymentMethod) {
            return Err(AppError::bad_input(
                "groupBy",
                "TAX_RATE cannot be combined with PRODUCT, VARIANT, TAX_GROUP, PAYMENT_METHOD or \
                 a product filter: tax per rate is kept per location, terminal and hour",
            ));
        }
        Source::Taxes
    } else if req.group_by.contains(&Dimension::PaymentMethod) {
        if items {
            return Err(AppError::bad_input(
                "groupBy",
                "PAYMENT_METHOD cannot be combined with PRODUCT, VARIANT, TAX_GROUP or a product \
                 filter: a sale's payments are not split by line",
            ));
        }
        Source::Tenders
    } else if items {
        Source::Items
    } else {
        Source::Sales
    };
    if source == Source::Tenders
        && let Some((m, _)) = req.sort
        && matches!(
            m,
            Measure::GrossSales
                | Measure::Discounts
                | Measure::NetSales
                | Measure::Tax
                | Measure::ItemsSold
        )
    {
        return Err(AppError::bad_input(
            "sort",
            format!("{} is not available per payment method", m.api_name()),
        ));
    }
    Ok((from, to, source))
}

/// Checks that every filtered id is one of the tenant's: another tenant's
/// id reads exactly like an id that does not exist.
pub(super) async fn check_filters(tx: &TenantTx, req: &Request) -> Result<()> {
    use entity::{location, product, terminal};
    use sea_orm::{ColumnTrait, QueryFilter};
    async fn count<E: entity::TenantOwned>(
        tx: &TenantTx,
        col: E::Column,
        ids: &[Uuid],
    ) -> Result<u64>
    where
        E::Model: sea_orm::FromQueryResult + Sized + Send + Sync,
    {
        if ids.is_empty() {
            return Ok(0);
        }
        Ok(tx
            .select::<E>()
            .filter(col.is_in(ids.iter().copied()))
            .count(tx)
            .await?)
    }
    for (field, found, wanted) in [
        (
            "filter.locations",
            count::<location::Entity>(tx, location::Column::Id, &req.locations).await?,
            &req.locations,
        ),
        (
            "filter.terminals",
            count::<terminal::Entity>(tx, terminal::Column::Id, &req.terminals).await?,
            &req.terminals,
        ),
        (
            "filter.products",
            count::<product::Entity>(tx, product::Column::Id, &req.products).await?,
            &req.products,
        ),
    ] {
        let distinct: std::collections::HashSet<&Uuid> = wanted.iter().collect();
        if found != distinct.len() as u64 {
            return Err(AppError::not_found(format!(
                "{field}: one or more ids do not exist"
            )));
        }
    }
    Ok(())
}

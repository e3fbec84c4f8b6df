//! Per-location prices: setting or removing a variant's price at one
//! location, and reading them back for many variants.

use chrono::Utc;
use entity::{location, location_price, variant};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{find, not_found, price};
use crate::auth::Session;
use crate::catalog::changes::{self, Change, Entity};
use crate::catalog::price_history;
use crate::error::Result;
use crate::money::Amount;
use crate::tenancy::{Db, TenantTx};

/// Sets (or, with `None`, removes) a variant's price at one location.
#[tracing::instrument(skip_all, fields(tenant = %session.tenant, variant = %variant_id))]
pub async fn set_location_price(
    session: &Session,
    db: &Db,
    variant_id: Uuid,
    location_id: Uuid,
    amount: Option<Amount>,
) -> Result<variant::Model> {
    let tx = db.write(session).await?;
    let existing = find(&tx, variant_id)
        .await?
        .ok_or_else(|| not_found().at("variantId"))?;
    let location_exists = tx
        .select::<location::Entity>()
        .filter(location::Column::Id.eq(location_id))
        .count(&tx)
        .await?
        > 0;
    if !location_exists {
        return Err(crate::org::locations::not_found().at("locationId"));
    }
    let amount = amount.map(|a| price("price", a)).transpose()?;
    let now = Utc::now();
    tx.delete_many::<location_price::Entity>()
        .filter(location_price::Column::VariantId.eq(variant_id))
        .filter(location_price::Column::LocationId.eq(location_id))
        .exec(&tx)
        .await?;
    let id = changes::pair(variant_id, location_id);
    let change = match amount {
        Some(amount) => {
            tx.insert(location_price::ActiveModel {
                variant_id: Set(variant_id),
                location_id: Set(location_id),
                price: Set(amount),
                updated_at: Set(now),
                ..Default::default()
            })
            .await?;
            Change::upsert(Entity::LocationPrice, id)
        }
        None => Change::tombstone(Entity::LocationPrice, id),
    };
    // A price write moves the variant's `updated_at`: instants before it
    // read the history (`price_history`).
    tx.update_many::<variant::Entity>()
        .col_expr(variant::Column::UpdatedAt, Expr::value(now))
        .filter(variant::Column::Id.eq(variant_id))
        .exec(&tx)
        .await?;
    price_history::record(&tx, variant_id, location_id, amount, now).await?;
    changes::record(&tx, vec![change]).await?;
    tx.commit().await?;
    Ok(existing)
}

/// Location prices of each variant.
pub async fn location_prices_of(
    tx: &TenantTx,
    variants: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<(Uuid, i64)>>> {
    let rows = tx
        .select::<location_price::Entity>()
        .filter(location_price::Column::VariantId.is_in(variants.iter().copied()))
        .all(tx)
        .await?;
    let mut out: std::collections::HashMap<Uuid, Vec<(Uuid, i64)>> =
        std::collections::HashMap::new();
    for row in rows {
        out.entry(row.variant_id)
            .or_default()
            .push((row.location_id, row.price));
    }
    Ok(out)
}

//! Archiving, the catalog's only way to retire a row: history (sales,
//! the change feed) keeps pointing at it. One implementation for every
//! entity that has a status.

use chrono::Utc;
use entity::TenantOwned;
use entity::enums::Status;
use entity::{attribute_definition, pricing_rule, tax_group, variant};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, QueryFilter};
use uuid::Uuid;

use super::changes::{self, Change, Entity};
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::tenancy::Db;

/// A catalog entity with an `id`, a `status` and maybe an `updated_at`.
pub trait Archivable: TenantOwned {
    const FEED: Entity;
    const NOT_FOUND: &'static str;
    fn id() -> Self::Column;
    fn status() -> Self::Column;
    fn updated_at() -> Option<Self::Column>;
    fn status_of(model: &Self::Model) -> Status;
}

macro_rules! archivable {
    ($table:ident, $feed:ident, $not_found:literal, $updated:expr) => {
        impl Archivable for $table::Entity {
            const FEED: Entity = Entity::$feed;
            const NOT_FOUND: &'static str = $not_found;
            fn id() -> Self::Column {
                $table::Column::Id
            }
            fn status() -> Self::Column {
                $table::Column::Status
            }
            fn updated_at() -> Option<Self::Column> {
                $updated
            }
            fn status_of(model: &Self::Model) -> Status {
                model.status
            }
        }
    };
}

archivable!(
    tax_group,
    TaxGroup,
    "tax group not found",
    Some(tax_group::Column::UpdatedAt)
);
archivable!(
    pricing_rule,
    PricingRule,
    "pricing rule not found",
    Some(pricing_rule::Column::UpdatedAt)
);
archivable!(
    variant,
    Variant,
    "variant not found",
    Some(variant::Column::UpdatedAt)
);
archivable!(
    attribute_definition,
    AttributeDefinition,
    "attribute not found",
    None
);

/// Archives one row and records its tombstone. Archiving an archived row
/// changes nothing.
#[tracing::instrument(skip_all, fields(tenant = %session.tenant, id = %id, entity = E::FEED.as_str()))]
pub async fn archive<E: Archivable>(session: &Session, db: &Db, id: Uuid) -> Result<E::Model> {
    let tx = db.write(session).await?;
    let find = || tx.select::<E>().filter(E::id().eq(id));
    let existing = find()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found(E::NOT_FOUND))?;
    if E::status_of(&existing) == Status::Archived {
        return Ok(existing);
    }
    let mut update = tx
        .update_many::<E>()
        .filter(E::id().eq(id))
        .col_expr(E::status(), Expr::value(Status::Archived));
    if let Some(updated_at) = E::updated_at() {
        update = update.col_expr(updated_at, Expr::value(Utc::now()));
    }
    update.exec(&tx).await?;
    let archived = find()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::internal("archived row vanished"))?;
    changes::record(&tx, vec![Change::tombstone(E::FEED, id)]).await?;
    tx.commit().await?;
    Ok(archived)
}

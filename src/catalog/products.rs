//! Products: create (optionally with variants), update, archive, search.

use chrono::Utc;
use entity::enums::{AttributeOwner, Status};
use entity::{attribute_value, product, variant};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, IntoActiveModel, QueryFilter, QuerySelect, QueryTrait, Set};
use uuid::Uuid;

use super::attributes::{self, AttributeValueInput};
use super::changes::{self, Change, Entity};
use super::variants::{self, VariantDraft};
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::tenancy::Page;
use crate::tenancy::{Db, TenantTx};
use crate::validate;

#[derive(Debug, Clone)]
pub struct CreateProductInput {
    pub name: String,
    pub description: Option<String>,
    pub category: Option<String>,
    pub attributes: Vec<AttributeValueInput>,
    /// Variants to create with the product.
    pub variants: Vec<VariantDraft>,
}

/// Fields left out are unchanged; an empty string clears description or
/// category.
#[derive(Debug, Clone)]
pub struct UpdateProductInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    pub attributes: Vec<AttributeValueInput>,
}

/// Search over products or variants; every given condition must hold.
#[derive(Debug, Clone, Default)]
pub struct CatalogFilter {
    /// Case-insensitive part of the name.
    pub search: Option<String>,
    pub sku_prefix: Option<String>,
    /// Exact barcode, as scanned.
    pub barcode: Option<String>,
    /// Attribute code and value.
    pub attribute: Option<(String, String)>,
    pub status: Option<Status>,
    pub category: Option<String>,
    pub product: Option<Uuid>,
}

pub async fn find(tx: &TenantTx, id: Uuid) -> Result<Option<product::Model>> {
    Ok(tx
        .select::<product::Entity>()
        .filter(product::Column::Id.eq(id))
        .one(tx)
        .await?)
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant))]
pub async fn create(
    session: &Session,
    db: &Db,
    input: CreateProductInput,
) -> Result<product::Model> {
    let name = validate::text("name", &input.name, 200)?;
    let description = validate::optional_text("description", input.description.as_deref(), 5000)?;
    let category = validate::optional_text("category", input.category.as_deref(), 100)?;
    let now = Utc::now();
    let tx = db.write(session).await?;
    let created = tx
        .insert(product::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(name),
            description: Set(description),
            category: Set(category),
            status: Set(Status::Active),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .await?;
    attributes::apply(
        &tx,
        AttributeOwner::Product,
        created.id,
        &input.attributes,
        "attributes",
    )
    .await?;
    let mut feed = vec![Change::upsert(Entity::Product, created.id)];
    for (i, draft) in input.variants.iter().enumerate() {
        let v = variants::insert(&tx, created.id, draft, &format!("variants.{i}")).await?;
        feed.extend(v.1);
    }
    changes::record(&tx, feed).await?;
    tx.commit().await?;
    Ok(created)
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant, product = %id))]
pub async fn update(
    session: &Session,
    db: &Db,
    id: Uuid,
    input: UpdateProductInput,
) -> Result<product::Model> {
    let tx = db.write(session).await?;
    let existing = find(&tx, id).await?.ok_or_else(not_found)?;
    let mut model = existing.into_active_model();
    if let Some(name) = &input.name {
        model.name = Set(validate::text("name", name, 200)?);
    }
    if let Some(description) = &input.description {
        model.description = Set(validate::optional_text(
            "description",
            Some(description),
            5000,
        )?);
    }
    if let Some(category) = &input.category {
        model.category = Set(validate::optional_text("category", Some(category), 100)?);
    }
    model.updated_at = Set(Utc::now());
    let updated = tx.update(model).await?;
    attributes::apply(
        &tx,
        AttributeOwner::Product,
        id,
        &input.attributes,
        "attributes",
    )
    .await?;
    changes::record(&tx, vec![Change::upsert(Entity::Product, id)]).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Archives a product and all its variants. Nothing is deleted: sales keep
/// pointing at them.
#[tracing::instrument(skip_all, fields(tenant = %session.tenant, product = %id))]
pub async fn archive(session: &Session, db: &Db, id: Uuid) -> Result<product::Model> {
    let tx = db.write(session).await?;
    let existing = find(&tx, id).await?.ok_or_else(not_found)?;
    let now = Utc::now();
    let variant_ids: Vec<Uuid> = tx
        .select::<variant::Entity>()
        .filter(variant::Column::ProductId.eq(id))
        .filter(variant::Column::Status.eq(Status::Active))
        .all(&tx)
        .await?
        .into_iter()
        .map(|v| v.id)
        .collect();
    tx.update_many::<variant::Entity>()
        .filter(variant::Column::Id.is_in(variant_ids.clone()))
        .col_expr(variant::Column::Status, Expr::value(Status::Archived))
        .col_expr(variant::Column::UpdatedAt, Expr::value(now))
        .exec(&tx)
        .await?;
    let mut model = existing.into_active_model();
    model.status = Set(Status::Archived);
    model.updated_at = Set(now);
    let updated = tx.update(model).await?;
    let mut feed = vec![Change::tombstone(Entity::Product, id)];
    feed.extend(
        variant_ids
            .into_iter()
            .map(|v| Change::tombstone(Entity::Variant, v)),
    );
    changes::record(&tx, feed).await?;
    tx.commit().await?;
    Ok(updated)
}

pub async fn get(session: &Session, db: &Db, id: Uuid) -> Result<Option<product::Model>> {
    let tx = db.read(session).await?;
    find(&tx, id).await
}

pub async fn get_many(session: &Session, db: &Db, ids: &[Uuid]) -> Result<Vec<product::Model>> {
    let tx = db.read(session).await?;
    Ok(tx
        .select::<product::Entity>()
        .filter(product::Column::Id.is_in(ids.iter().copied()))
        .all(&tx)
        .await?)
}

pub fn name_like(
    col: impl sea_orm::sea_query::IntoColumnRef,
    search: &str,
) -> sea_orm::sea_query::SimpleExpr {
    let escaped = search
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Expr::expr(Func::lower(Expr::col(col))).like(LikeExpr::new(format!("%{escaped}%")).escape('\\'))
}

/// Ids of owners carrying an attribute value, as a scoped subquery.
pub async fn attribute_owners(
    tx: &TenantTx,
    code: &str,
    value: &str,
) -> Result<Option<sea_orm::sea_query::SelectStatement>> {
    let Some((attribute, canonical)) = attributes::filter_value(tx, code, value).await? else {
        return Ok(None);
    };
    Ok(Some(
        tx.select::<attribute_value::Entity>()
            .select_only()
            .column(attribute_value::Column::OwnerId)
            .filter(attribute_value::Column::AttributeId.eq(attribute))
            .filter(attribute_value::Column::Value.eq(canonical))
            .into_query(),
    ))
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant))]
pub async fn list(
    session: &Session,
    db: &Db,
    filter: &CatalogFilter,
    page: &Page,
) -> Result<Vec<product::Model>> {
    let tx = db.read(session).await?;
    let mut select = tx.select::<product::Entity>();
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        select = select.filter(name_like((product::Entity, product::Column::Name), search));
    }
    if let Some(status) = filter.status {
        select = select.filter(product::Column::Status.eq(status));
    }
    if let Some(category) = &filter.category {
        select = select.filter(product::Column::Category.eq(category.trim()));
    }
    let needs_variants = filter.sku_prefix.is_some() || filter.barcode.is_some();
    if needs_variants {
        let variant_ids = variants::matching_ids(&tx, filter).await?;
        let product_ids = tx
            .select::<variant::Entity>()
            .select_only()
            .column(variant::Column::ProductId)
            .filter(variant::Column::Id.is_in(variant_ids))
            .into_query();
        select = select.filter(product::Column::Id.in_subquery(product_ids));
    }
    if let Some((code, value)) = &filter.attribute {
        match attribute_owners(&tx, code, value).await? {
            Some(owners) => select = select.filter(product::Column::Id.in_subquery(owners)),
            None => return Ok(Vec::new()),
        }
    }
    Ok(page.apply(select, product::Column::Id).all(&tx).await?)
}

pub fn not_found() -> AppError {
    AppError::not_found("product not found")
}

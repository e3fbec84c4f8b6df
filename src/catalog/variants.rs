//! Variants: the sellable units, with their barcodes, options and
//! per-location prices.

use chrono::Utc;
use entity::enums::{AttributeOwner, Status, Unit};
use entity::{barcode, variant};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ColumnTrait, IntoActiveModel, QueryFilter, QuerySelect, QueryTrait, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::attributes::{self, AttributeValueInput};
use super::barcode::{self as codes, BarcodeKind};
use super::barcodes;
use super::changes::{self, Change, Entity};
use super::price_history::{self, BASE};
use super::products::{self, CatalogFilter};
use super::tax_groups;

mod location_prices;

pub use self::location_prices::{location_prices_of, set_location_price};
use crate::auth::Session;
use crate::error::{AppError, Result, on_constraint};
use crate::money::Amount;
use crate::tenancy::Page;
use crate::tenancy::{Db, TenantTx};
use crate::validate;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionValue {
    /// For example `Size`.
    pub name: String,
    /// For example `L`.
    pub value: String,
}

#[derive(Debug, Clone)]
pub struct BarcodeInput {
    pub kind: BarcodeKind,
    pub code: String,
}

/// A variant to create.
#[derive(Debug, Clone)]
pub struct VariantDraft {
    /// Unique per tenant.
    pub sku: String,
    pub name: String,
    pub options: Vec<OptionValue>,
    /// In minor units of the tenant's currency; per kg or lb for weighed
    /// units.
    pub base_price: Amount,
    pub tax_group_id: String,
    pub unit: Unit,
    /// Keep stock of it per location (sales, receipts, counts…).
    pub track_stock: bool,
    pub barcodes: Vec<BarcodeInput>,
    pub attributes: Vec<AttributeValueInput>,
}

/// Fields left out are unchanged; `options`, when given, replaces them.
#[derive(Debug, Clone)]
pub struct UpdateVariantInput {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub options: Option<Vec<OptionValue>>,
    pub base_price: Option<Amount>,
    pub tax_group_id: Option<String>,
    pub unit: Option<Unit>,
    /// Start or stop keeping stock of it. Levels and movements recorded
    /// so far are kept.
    pub track_stock: Option<bool>,
    pub attributes: Vec<AttributeValueInput>,
}

const SKU_TAKEN: &str = "a variant with this SKU already exists";
pub const MAX_PRICE: i64 = 1_000_000_000_000;

fn price(field: &str, amount: Amount) -> Result<i64> {
    if (0..=MAX_PRICE).contains(&amount.0) {
        Ok(amount.0)
    } else {
        Err(AppError::bad_input(
            field,
            format!("{field} must be from 0 to {MAX_PRICE} minor units"),
        ))
    }
}

fn options_json(field: &str, options: &[OptionValue]) -> Result<String> {
    if options.len() > 10 {
        return Err(AppError::bad_input(field, "at most 10 options"));
    }
    let clean = options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            Ok(OptionValue {
                name: validate::text(&format!("{field}.{i}.name"), &o.name, 50)?,
                value: validate::text(&format!("{field}.{i}.value"), &o.value, 100)?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    serde_json::to_string(&clean).map_err(AppError::internal)
}

pub fn options_of(model: &variant::Model) -> Vec<OptionValue> {
    serde_json::from_str(&model.options).unwrap_or_default()
}

fn sku(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    let ok = (1..=64).contains(&value.len()) && value.bytes().all(|b| (0x21..=0x7e).contains(&b));
    if ok {
        Ok(value.to_owned())
    } else {
        Err(AppError::bad_input(
            field,
            "an SKU is 1 to 64 printable characters without spaces",
        ))
    }
}

/// Inserts a variant of `product` inside `tx`; returns it and its feed
/// entries. `prefix` locates the draft in the input for errors.
pub async fn insert(
    tx: &TenantTx,
    product: Uuid,
    draft: &VariantDraft,
    prefix: &str,
) -> Result<(variant::Model, Vec<Change>)> {
    let field = |f: &str| {
        if prefix.is_empty() {
            f.to_owned()
        } else {
            format!("{prefix}.{f}")
        }
    };
    let tax_group = validate::id(&field("taxGroupId"), &draft.tax_group_id)?;
    let now = Utc::now();
    let model = variant::ActiveModel {
        id: Set(Uuid::now_v7()),
        product_id: Set(product),
        sku: Set(sku(&field("sku"), &draft.sku)?),
        name: Set(validate::text(&field("name"), &draft.name, 200)?),
        options: Set(options_json(&field("options"), &draft.options)?),
        base_price: Set(price(&field("basePrice"), draft.base_price)?),
        tax_group_id: Set(tax_group),
        unit: Set(draft.unit),
        status: Set(Status::Active),
        track_stock: Set(draft.track_stock),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    tax_groups::require_active(tx, tax_group, &field("taxGroupId")).await?;
    let created = tx
        .insert(model)
        .await
        .map_err(|e| on_constraint(e, &field("sku"), SKU_TAKEN))?;
    price_history::record(tx, created.id, BASE, Some(created.base_price), now).await?;
    let mut feed = vec![Change::upsert(Entity::Variant, created.id)];
    for (i, input) in draft.barcodes.iter().enumerate() {
        let normalized = codes::normalize(input.kind, &input.code).map_err(|e| {
            AppError::bad_input(&field(&format!("barcodes.{i}.code")), e.to_string())
        })?;
        let at = field(&format!("barcodes.{i}.code"));
        feed.push(barcodes::attach(tx, created.id, normalized, &at).await?);
    }
    attributes::apply(
        tx,
        AttributeOwner::Variant,
        created.id,
        &draft.attributes,
        &field("attributes"),
    )
    .await?;
    Ok((created, feed))
}

pub async fn find(tx: &TenantTx, id: Uuid) -> Result<Option<variant::Model>> {
    Ok(tx
        .select::<variant::Entity>()
        .filter(variant::Column::Id.eq(id))
        .one(tx)
        .await?)
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant))]
pub async fn create(
    session: &Session,
    db: &Db,
    product_id: &str,
    draft: VariantDraft,
) -> Result<variant::Model> {
    let product_id = validate::id("productId", product_id)?;
    let tx = db.write(session).await?;
    match products::find(&tx, product_id).await? {
        Some(p) if p.status == Status::Active => {}
        Some(_) => return Err(AppError::bad_input("productId", "this product is archived")),
        None => return Err(products::not_found().at("productId")),
    }
    let (created, feed) = insert(&tx, product_id, &draft, "").await?;
    changes::record(&tx, feed).await?;
    tx.commit().await?;
    Ok(created)
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant, variant = %id))]
pub async fn update(
    session: &Session,
    db: &Db,
    id: Uuid,
    input: UpdateVariantInput,
) -> Result<variant::Model> {
    let tx = db.write(session).await?;
    let existing = find(&tx, id).await?.ok_or_else(not_found)?;
    let old_price = existing.base_price;
    let mut model = existing.into_active_model();
    if let Some(v) = &input.sku {
        model.sku = Set(sku("sku", v)?);
    }
    if let Some(v) = &input.name {
        model.name = Set(validate::text("name", v, 200)?);
    }
    if let Some(v) = &input.options {
        model.options = Set(options_json("options", v)?);
    }
    if let Some(v) = input.base_price {
        model.base_price = Set(price("basePrice", v)?);
    }
    if let Some(v) = &input.tax_group_id {
        let group = validate::id("taxGroupId", v)?;
        tax_groups::require_active(&tx, group, "taxGroupId").await?;
        model.tax_group_id = Set(group);
    }
    if let Some(v) = input.unit {
        model.unit = Set(v);
    }
    if let Some(v) = input.track_stock {
        model.track_stock = Set(v);
    }
    let now = Utc::now();
    model.updated_at = Set(now);
    let updated = tx
        .update(model)
        .await
        .map_err(|e| on_constraint(e, "sku", SKU_TAKEN))?;
    if updated.base_price != old_price {
        price_history::record(&tx, id, BASE, Some(updated.base_price), now).await?;
    }
    attributes::apply(
        &tx,
        AttributeOwner::Variant,
        id,
        &input.attributes,
        "attributes",
    )
    .await?;
    changes::record(&tx, vec![Change::upsert(Entity::Variant, id)]).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Archives a variant: it can no longer be sold; its barcodes stay
/// attached (move them explicitly), and history keeps pointing at it.
pub async fn archive(session: &Session, db: &Db, id: Uuid) -> Result<variant::Model> {
    super::archive::archive::<variant::Entity>(session, db, id).await
}

pub async fn get(session: &Session, db: &Db, id: Uuid) -> Result<Option<variant::Model>> {
    let tx = db.read(session).await?;
    find(&tx, id).await
}

pub async fn get_many(session: &Session, db: &Db, ids: &[Uuid]) -> Result<Vec<variant::Model>> {
    let tx = db.read(session).await?;
    Ok(tx
        .select::<variant::Entity>()
        .filter(variant::Column::Id.is_in(ids.iter().copied()))
        .all(&tx)
        .await?)
}

/// Ids of variants matching the SKU-prefix and barcode parts of a filter.
pub async fn matching_ids(tx: &TenantTx, filter: &CatalogFilter) -> Result<Vec<Uuid>> {
    let mut select = tx.select::<variant::Entity>();
    if let Some(prefix) = filter.sku_prefix.as_deref().map(str::trim) {
        let escaped = prefix
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        select = select.filter(
            sea_orm::sea_query::Expr::col((variant::Entity, variant::Column::Sku))
                .like(sea_orm::sea_query::LikeExpr::new(format!("{escaped}%")).escape('\\')),
        );
    }
    if let Some(scan) = &filter.barcode {
        let keys = codes::scan_keys(scan);
        let owners = tx
            .select::<barcode::Entity>()
            .select_only()
            .column(barcode::Column::VariantId)
            .filter(barcode::Column::LookupKey.is_in(keys))
            .into_query();
        select = select.filter(variant::Column::Id.in_subquery(owners));
    }
    Ok(select.all(tx).await?.into_iter().map(|v| v.id).collect())
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant))]
pub async fn list(
    session: &Session,
    db: &Db,
    filter: &CatalogFilter,
    page: &Page,
) -> Result<Vec<variant::Model>> {
    let tx = db.read(session).await?;
    let mut select = tx.select::<variant::Entity>();
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let product_matches = tx
            .select::<entity::product::Entity>()
            .select_only()
            .column(entity::product::Column::Id)
            .filter(products::name_like(
                (entity::product::Entity, entity::product::Column::Name),
                search,
            ))
            .into_query();
        select = select.filter(
            sea_orm::Condition::any()
                .add(products::name_like(
                    (variant::Entity, variant::Column::Name),
                    search,
                ))
                .add(variant::Column::ProductId.in_subquery(product_matches)),
        );
    }
    if let Some(status) = filter.status {
        select = select.filter(variant::Column::Status.eq(status));
    }
    // A variant's category is its product's, as `products` filters it.
    if let Some(category) = &filter.category {
        let in_category = tx
            .select::<entity::product::Entity>()
            .select_only()
            .column(entity::product::Column::Id)
            .filter(entity::product::Column::Category.eq(category.trim()))
            .into_query();
        select = select.filter(variant::Column::ProductId.in_subquery(in_category));
    }
    if let Some(product) = filter.product {
        select = select.filter(variant::Column::ProductId.eq(product));
    }
    if filter.sku_prefix.is_some() || filter.barcode.is_some() {
        let ids = matching_ids(&tx, filter).await?;
        select = select.filter(variant::Column::Id.is_in(ids));
    }
    if let Some((code, value)) = &filter.attribute {
        match products::attribute_owners(&tx, code, value).await? {
            Some(owners) => select = select.filter(variant::Column::Id.in_subquery(owners)),
            None => return Ok(Vec::new()),
        }
    }
    Ok(page.apply(select, variant::Column::Id).all(&tx).await?)
}

pub fn not_found() -> AppError {
    AppError::not_found("variant not found")
}

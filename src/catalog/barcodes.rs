//! Barcode assignment: attach, move (explicitly), detach; scale formats.

use std::collections::HashMap;

use chrono::Utc;
use entity::enums::Status;
use entity::{barcode, scale_format};
use sea_orm::{ColumnTrait, IntoActiveModel, QueryFilter, Set};
use uuid::Uuid;

use super::barcode::{self as codes, BarcodeKind, EmbeddedKind, Normalized, ScaleFormat};
use super::changes::{self, Change, Entity};
use super::variants;
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::tenancy::{Db, TenantTx};

fn normalize(kind: BarcodeKind, code: &str) -> Result<Normalized> {
    codes::normalize(kind, code).map_err(|e| AppError::bad_input("code", e.to_string()))
}

async fn find_key(tx: &TenantTx, key: &str) -> Result<Option<barcode::Model>> {
    Ok(tx
        .select::<barcode::Entity>()
        .filter(barcode::Column::LookupKey.eq(key))
        .one(tx)
        .await?)
}

/// Attaches a validated barcode to a variant inside `tx`. A barcode that
/// already resolves to a variant is a CONFLICT on `field`: moving it is
/// explicit.
pub async fn attach(tx: &TenantTx, variant: Uuid, code: Normalized, field: &str) -> Result<Change> {
    if let Some(existing) = find_key(tx, &code.key).await? {
        let owner = variants::find(tx, existing.variant_id).await?;
        let sku = owner.map(|v| v.sku).unwrap_or_default();
        return Err(AppError::conflict_at(
            field,
            format!(
                "barcode {} already belongs to variant {sku}; use moveBarcode to reassign it",
                code.code
            ),
        ));
    }
    tx.insert(barcode::ActiveModel {
        lookup_key: Set(code.key.clone()),
        code: Set(code.code),
        kind: Set(code.kind.as_str().to_owned()),
        variant_id: Set(variant),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .await?;
    Ok(Change::upsert(Entity::Barcode, code.key))
}

async fn active_variant(tx: &TenantTx, id: Uuid, field: &str) -> Result<()> {
    match variants::find(tx, id).await? {
        Some(v) if v.status == Status::Active => Ok(()),
        Some(_) => Err(AppError::bad_input(field, "this variant is archived")),
        None => Err(variants::not_found().at(field)),
    }
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant, variant = %variant))]
pub async fn add(
    session: &Session,
    db: &Db,
    variant: Uuid,
    kind: BarcodeKind,
    code: &str,
) -> Result<barcode::Model> {
    let code = normalize(kind, code)?;
    let key = code.key.clone();
    let tx = db.write(session).await?;
    active_variant(&tx, variant, "variantId").await?;
    let change = attach(&tx, variant, code, "code").await?;
    changes::record(&tx, vec![change]).await?;
    let created = find_key(&tx, &key)
        .await?
        .ok_or_else(|| AppError::internal("barcode vanished"))?;
    tx.commit().await?;
    Ok(created)
}

/// Moves a barcode to another active variant: the one explicit way a
/// barcode changes hands.
#[tracing::instrument(skip_all, fields(tenant = %session.tenant, to = %to))]
pub async fn move_to(
    session: &Session,
    db: &Db,
    kind: BarcodeKind,
    code: &str,
    to: Uuid,
) -> Result<barcode::Model> {
    let code = normalize(kind, code)?;
    let tx = db.write(session).await?;
    let existing = find_key(&tx, &code.key)
        .await?
        .ok_or_else(|| not_found().at("code"))?;
    active_variant(&tx, to, "toVariantId").await?;
    let mut model = existing.into_active_model();
    model.variant_id = Set(to);
    let moved = tx.update(model).await?;
    changes::record(&tx, vec![Change::upsert(Entity::Barcode, &code.key)]).await?;
    tx.commit().await?;
    Ok(moved)
}

/// Detaches a barcode. Sales keep their own copy of the code they scanned.
#[tracing::instrument(skip_all, fields(tenant = %session.tenant))]
pub async fn remove(
    session: &Session,
    db: &Db,
    kind: BarcodeKind,
    code: &str,
) -> Result<barcode::Model> {
    let code = normalize(kind, code)?;
    let tx = db.write(session).await?;
    let existing = find_key(&tx, &code.key)
        .await?
        .ok_or_else(|| not_found().at("code"))?;
    tx.delete_many::<barcode::Entity>()
        .filter(barcode::Column::LookupKey.eq(&code.key))
        .exec(&tx)
        .await?;
    changes::record(&tx, vec![Change::tombstone(Entity::Barcode, &code.key)]).await?;
    tx.commit().await?;
    Ok(existing)
}

/// The barcodes of each variant.
pub async fn of_variants(
    tx: &TenantTx,
    variants: &[Uuid],
) -> Result<HashMap<Uuid, Vec<barcode::Model>>> {
    let rows = tx
        .select::<barcode::Entity>()
        .filter(barcode::Column::VariantId.is_in(variants.iter().copied()))
        .all(tx)
        .await?;
    let mut out: HashMap<Uuid, Vec<barcode::Model>> = HashMap::new();
    for row in rows {
        out.entry(row.variant_id).or_default().push(row);
    }
    Ok(out)
}

/// The barcode a scan resolves to, trying its readings in order.
pub async fn resolve(tx: &TenantTx, scanned: &str) -> Result<Option<barcode::Model>> {
    let keys = codes::scan_keys(scanned);
    if keys.is_empty() {
        return Ok(None);
    }
    let mut found = tx
        .select::<barcode::Entity>()
        .filter(barcode::Column::LookupKey.is_in(keys.clone()))
        .all(tx)
        .await?;
    found.sort_by_key(|b| keys.iter().position(|k| *k == b.lookup_key));
    Ok(found.into_iter().next())
}

pub fn parse_kind(kind: &str) -> Option<EmbeddedKind> {
    match kind {
        "WEIGHT" => Some(EmbeddedKind::Weight),
        "PRICE" => Some(EmbeddedKind::Price),
        _ => None,
    }
}

pub async fn scale_formats(tx: &TenantTx) -> Result<Vec<ScaleFormat>> {
    Ok(tx
        .select::<scale_format::Entity>()
        .all(tx)
        .await?
        .into_iter()
        .filter_map(|f| {
            Some(ScaleFormat {
                prefix: f.prefix,
                item_digits: usize::try_from(f.item_digits).ok()?,
                has_value_check: f.has_value_check,
                kind: parse_kind(&f.kind)?,
            })
        })
        .collect())
}

/// Configures (or with `format = None` removes) the layout of one GS1
/// prefix 20-29.
#[tracing::instrument(skip_all, fields(tenant = %session.tenant, prefix = %prefix))]
pub async fn set_scale_format(
    session: &Session,
    db: &Db,
    prefix: &str,
    format: Option<(usize, bool, EmbeddedKind)>,
) -> Result<Vec<ScaleFormat>> {
    let prefix = prefix.trim();
    if !(prefix.len() == 2 && prefix.starts_with('2') && prefix.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(AppError::bad_input("prefix", "a scale prefix is 20 to 29"));
    }
    let tx = db.write(session).await?;
    tx.delete_many::<scale_format::Entity>()
        .filter(scale_format::Column::Prefix.eq(prefix))
        .exec(&tx)
        .await?;
    let change = match format {
        Some((item_digits, has_value_check, kind)) => {
            if !(4..=6).contains(&item_digits) {
                return Err(AppError::bad_input("itemDigits", "itemDigits is 4 to 6"));
            }
            if has_value_check && item_digits == 6 {
                return Err(AppError::bad_input(
                    "hasValueCheck",
                    "a price check digit covers a 4- or 5-digit value: itemDigits 4 or 5",
                ));
            }
            tx.insert(scale_format::ActiveModel {
                prefix: Set(prefix.to_owned()),
                item_digits: Set(item_digits as i16),
                has_value_check: Set(has_value_check),
                kind: Set(match kind {
                    EmbeddedKind::Weight => "WEIGHT".into(),
                    EmbeddedKind::Price => "PRICE".into(),
                }),
                ..Default::default()
            })
            .await?;
            Change::upsert(Entity::ScaleFormat, prefix)
        }
        None => Change::tombstone(Entity::ScaleFormat, prefix),
    };
    changes::record(&tx, vec![change]).await?;
    let formats = scale_formats(&tx).await?;
    tx.commit().await?;
    Ok(formats)
}

pub fn not_found() -> AppError {
    AppError::not_found("barcode not found")
}

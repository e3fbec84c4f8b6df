//! Tenant-defined attributes and their validated values on products and
//! variants.

use std::collections::HashMap;

use chrono::Utc;
use entity::enums::{AttributeKind, AttributeOwner, Status};
use entity::{attribute_definition, attribute_value};
use sea_orm::{ColumnTrait, IntoActiveModel, QueryFilter, Set};
use uuid::Uuid;

use super::changes::{self, Change, Entity};
use crate::auth::Session;
use crate::error::{AppError, Result, on_constraint};
use crate::money::canonical_decimal;
use crate::tenancy::Page;
use crate::tenancy::{Db, TenantTx};
use crate::validate;

/// An attribute value to set; a null or empty `value` removes it.
#[derive(Debug, Clone)]
pub struct AttributeValueInput {
    /// The attribute definition's code.
    pub code: String,
    pub value: Option<String>,
}

pub struct NewAttribute {
    pub code: String,
    pub name: String,
    pub kind: AttributeKind,
    pub allowed_values: Option<Vec<String>>,
}

const CODE_TAKEN: &str = "an attribute with this code already exists";

/// The cleaned, de-duplicated allowed values of an ENUM, as stored.
fn allowed_json(values: &[String]) -> Result<String> {
    if values.is_empty() || values.len() > 200 {
        return Err(AppError::bad_input(
            "allowedValues",
            "an ENUM attribute lists 1 to 200 allowed values",
        ));
    }
    let mut clean = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let v = validate::text(&format!("allowedValues.{i}"), v, 100)?;
        if clean.contains(&v) {
            return Err(AppError::bad_input(
                &format!("allowedValues.{i}"),
                "duplicate value",
            ));
        }
        clean.push(v);
    }
    serde_json::to_string(&clean).map_err(AppError::internal)
}

/// Renames a definition or, for an ENUM, replaces its allowed values. A
/// value still used by a product or variant cannot be removed.
#[tracing::instrument(skip_all, fields(tenant = %session.tenant, attribute = %id))]
pub async fn update(
    session: &Session,
    db: &Db,
    id: Uuid,
    name: Option<String>,
    allowed_values: Option<Vec<String>>,
) -> Result<attribute_definition::Model> {
    let tx = db.write(session).await?;
    let existing = tx
        .select::<attribute_definition::Entity>()
        .filter(attribute_definition::Column::Id.eq(id))
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("attribute not found"))?;
    let kind = existing.kind;
    let mut model = existing.into_active_model();
    if let Some(name) = &name {
        model.name = Set(validate::text("name", name, 200)?);
    }
    if let Some(values) = &allowed_values {
        if kind != AttributeKind::Enum {
            return Err(AppError::bad_input(
                "allowedValues",
                "only ENUM attributes have allowed values",
            ));
        }
        let stored = allowed_json(values)?;
        let in_use = tx
            .select::<attribute_value::Entity>()
            .filter(attribute_value::Column::AttributeId.eq(id))
            .filter(
                attribute_value::Column::Value
                    .is_not_in(values.iter().map(|v| v.trim().to_owned())),
            )
            .one(&tx)
            .await?;
        if let Some(used) = in_use {
            return Err(AppError::conflict_at(
                "allowedValues",
                format!(
                    "value {} is still in use; change those items first",
                    used.value
                ),
            ));
        }
        model.allowed_values = Set(Some(stored));
    }
    let updated = tx.update(model).await?;
    changes::record(&tx, vec![Change::upsert(Entity::AttributeDefinition, id)]).await?;
    tx.commit().await?;
    Ok(updated)
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant))]
pub async fn create(
    session: &Session,
    db: &Db,
    input: NewAttribute,
) -> Result<attribute_definition::Model> {
    let code = validate::code("code", &input.code)?;
    let name = validate::text("name", &input.name, 200)?;
    let allowed = match (input.kind, input.allowed_values) {
        (AttributeKind::Enum, Some(values)) => Some(allowed_json(&values)?),
        (AttributeKind::Enum, None) => {
            return Err(AppError::bad_input(
                "allowedValues",
                "an ENUM attribute lists 1 to 200 allowed values",
            ));
        }
        (_, Some(_)) => {
            return Err(AppError::bad_input(
                "allowedValues",
                "only ENUM attributes have allowed values",
            ));
        }
        (_, None) => None,
    };
    let tx = db.write(session).await?;
    let created = tx
        .insert(attribute_definition::ActiveModel {
            id: Set(Uuid::now_v7()),
            code: Set(code),
            name: Set(name),
            kind: Set(input.kind),
            allowed_values: Set(allowed),
            status: Set(Status::Active),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .await
        .map_err(|e| on_constraint(e, "code", CODE_TAKEN))?;
    changes::record(
        &tx,
        vec![Change::upsert(Entity::AttributeDefinition, created.id)],
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

/// Archives a definition: no new values may be set; existing ones stay.
pub async fn archive(session: &Session, db: &Db, id: Uuid) -> Result<attribute_definition::Model> {
    super::archive::archive::<attribute_definition::Entity>(session, db, id).await
}

pub async fn list(
    session: &Session,
    db: &Db,
    page: &Page,
) -> Result<Vec<attribute_definition::Model>> {
    let tx = db.read(session).await?;
    Ok(page
        .apply(
            tx.select::<attribute_definition::Entity>(),
            attribute_definition::Column::Id,
        )
        .all(&tx)
        .await?)
}

/// The canonical text of `raw` for an attribute of `kind`.
pub fn canonical(def: &attribute_definition::Model, raw: &str, field: &str) -> Result<String> {
    let raw = raw.trim();
    let bad = |msg: &str| AppError::bad_input(field, format!("{}: {msg}", def.code));
    match def.kind {
        AttributeKind::Text => validate::text(field, raw, 500),
        AttributeKind::Number => {
            canonical_decimal(raw, 6).ok_or_else(|| bad("expected a number such as 12.5"))
        }
        AttributeKind::Boolean => match raw.to_ascii_lowercase().as_str() {
            "true" => Ok("true".into()),
            "false" => Ok("false".into()),
            _ => Err(bad("expected true or false")),
        },
        AttributeKind::Enum => {
            let allowed: Vec<String> = def
                .allowed_values
                .as_deref()
                .and_then(|j| serde_json::from_str(j).ok())
                .unwrap_or_default();
            if allowed.iter().any(|a| a == raw) {
                Ok(raw.to_owned())
            } else {
                Err(bad(&format!("expected one of {}", allowed.join(", "))))
            }
        }
    }
}

async fn definitions_by_code(
    tx: &TenantTx,
    codes: Vec<String>,
) -> Result<HashMap<String, attribute_definition::Model>> {
    Ok(tx
        .select::<attribute_definition::Entity>()
        .filter(attribute_definition::Column::Code.is_in(codes))
        .all(tx)
        .await?
        .into_iter()
        .map(|d| (d.code.clone(), d))
        .collect())
}

/// Validates and writes attribute values for one product or variant.
/// `prefix` names the input list for errors (`attributes`).
pub async fn apply(
    tx: &TenantTx,
    owner_kind: AttributeOwner,
    owner_id: Uuid,
    inputs: &[AttributeValueInput],
    prefix: &str,
) -> Result<()> {
    if inputs.is_empty() {
        return Ok(());
    }
    let codes = inputs
        .iter()
        .map(|i| i.code.trim().to_ascii_uppercase())
        .collect();
    let defs = definitions_by_code(tx, codes).await?;
    for (i, input) in inputs.iter().enumerate() {
        let field = format!("{prefix}.{i}.value");
        let code = input.code.trim().to_ascii_uppercase();
        let def = defs
            .get(&code)
            .filter(|d| d.status == Status::Active)
            .ok_or_else(|| {
                AppError::bad_input(
                    &format!("{prefix}.{i}.code"),
                    format!("no active attribute {code}"),
                )
            })?;
        tx.delete_many::<attribute_value::Entity>()
            .filter(attribute_value::Column::OwnerId.eq(owner_id))
            .filter(attribute_value::Column::AttributeId.eq(def.id))
            .exec(tx)
            .await?;
        let Some(raw) = input.value.as_deref().filter(|v| !v.trim().is_empty()) else {
            continue;
        };
        tx.insert(attribute_value::ActiveModel {
            owner_id: Set(owner_id),
            attribute_id: Set(def.id),
            owner_kind: Set(owner_kind),
            value: Set(canonical(def, raw, &field)?),
            ..Default::default()
        })
        .await?;
    }
    Ok(())
}

/// Attribute values (code, value) of each owner, for output.
pub async fn values_of(
    tx: &TenantTx,
    owners: &[Uuid],
) -> Result<HashMap<Uuid, Vec<(String, String)>>> {
    let values = tx
        .select::<attribute_value::Entity>()
        .filter(attribute_value::Column::OwnerId.is_in(owners.iter().copied()))
        .all(tx)
        .await?;
    let ids: Vec<Uuid> = values.iter().map(|v| v.attribute_id).collect();
    let defs: HashMap<Uuid, String> = tx
        .select::<attribute_definition::Entity>()
        .filter(attribute_definition::Column::Id.is_in(ids))
        .all(tx)
        .await?
        .into_iter()
        .map(|d| (d.id, d.code))
        .collect();
    let mut out: HashMap<Uuid, Vec<(String, String)>> = HashMap::new();
    for v in values {
        if let Some(code) = defs.get(&v.attribute_id) {
            out.entry(v.owner_id)
                .or_default()
                .push((code.clone(), v.value));
        }
    }
    for list in out.values_mut() {
        list.sort();
    }
    Ok(out)
}

/// The id of an attribute for a search filter, and the canonical value.
pub async fn filter_value(tx: &TenantTx, code: &str, raw: &str) -> Result<Option<(Uuid, String)>> {
    let code = code.trim().to_ascii_uppercase();
    let defs = definitions_by_code(tx, vec![code.clone()]).await?;
    let Some(def) = defs.get(&code) else {
        return Ok(None);
    };
    Ok(canonical(def, raw, "attribute.value")
        .ok()
        .map(|v| (def.id, v)))
}

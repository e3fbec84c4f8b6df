//! Tax groups and their rates.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::enums::Status;
use entity::{tax_group, tax_rate};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, IntoActiveModel, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::changes::{self, Change, Entity};
use crate::auth::Session;
use crate::error::{AppError, Result, on_constraint};
use crate::money::Rate;
use crate::tenancy::Page;
use crate::tenancy::{Db, TenantTx};
use crate::validate;

/// One rate: give exactly one of `percent` (an exact decimal such as
/// `"8.875"`) or `basisPoints` (975 is 9.75 %).
#[derive(Debug, Clone)]
pub struct TaxRateInput {
    pub name: String,
    pub percent: Option<String>,
    pub basis_points: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct CreateTaxGroupInput {
    /// Unique per tenant.
    pub name: String,
    /// One or more rates, applied together.
    pub rates: Vec<TaxRateInput>,
}

/// Fields left out are unchanged; `rates`, when given, replaces them all.
#[derive(Debug, Clone)]
pub struct UpdateTaxGroupInput {
    pub name: Option<String>,
    pub rates: Option<Vec<TaxRateInput>>,
}

const NAME_TAKEN: &str = "a tax group with this name already exists";

fn parse_rates(rates: &[TaxRateInput]) -> Result<Vec<(String, Rate)>> {
    if rates.is_empty() || rates.len() > 10 {
        return Err(AppError::bad_input(
            "rates",
            "a tax group has 1 to 10 rates",
        ));
    }
    rates
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let field = |f: &str| format!("rates.{i}.{f}");
            let name = validate::text(&field("name"), &r.name, 100)?;
            let rate = match (&r.percent, r.basis_points) {
                (Some(p), None) => Rate::from_percent(p).ok_or_else(|| {
                    AppError::bad_input(
                        &field("percent"),
                        "percent is a decimal from 0 to 100 with at most 4 decimals",
                    )
                })?,
                (None, Some(bp)) => Rate::from_basis_points(i64::from(bp)).ok_or_else(|| {
                    AppError::bad_input(&field("basisPoints"), "basisPoints is from 0 to 10000")
                })?,
                _ => {
                    return Err(AppError::bad_input(
                        &field("percent"),
                        "give exactly one of percent or basisPoints",
                    ));
                }
            };
            Ok((name, rate))
        })
        .collect()
}

/// Inserts the group's rates, in force from `from` (`None`: from the
/// start, for a new group).
async fn insert_rates(
    tx: &TenantTx,
    group: Uuid,
    rates: Vec<(String, Rate)>,
    from: Option<DateTime<Utc>>,
) -> Result<()> {
    for (position, (name, rate)) in rates.into_iter().enumerate() {
        tx.insert(tax_rate::ActiveModel {
            id: Set(Uuid::now_v7()),
            tax_group_id: Set(group),
            name: Set(name),
            rate_ppm: Set(rate.ppm()),
            position: Set(position as i32),
            valid_from: Set(from),
            valid_until: Set(None),
            ..Default::default()
        })
        .await?;
    }
    Ok(())
}

async fn find(tx: &TenantTx, id: Uuid) -> Result<Option<tax_group::Model>> {
    Ok(tx
        .select::<tax_group::Entity>()
        .filter(tax_group::Column::Id.eq(id))
        .one(tx)
        .await?)
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant))]
pub async fn create(
    session: &Session,
    db: &Db,
    input: CreateTaxGroupInput,
) -> Result<tax_group::Model> {
    let name = validate::text("name", &input.name, 200)?;
    let rates = parse_rates(&input.rates)?;
    let now = Utc::now();
    let tx = db.write(session).await?;
    let group = tx
        .insert(tax_group::ActiveModel {
            id: Set(Uuid::now_v7()),
            name: Set(name),
            status: Set(Status::Active),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .await
        .map_err(|e| on_constraint(e, "name", NAME_TAKEN))?;
    insert_rates(&tx, group.id, rates, None).await?;
    changes::record(&tx, vec![Change::upsert(Entity::TaxGroup, group.id)]).await?;
    tx.commit().await?;
    Ok(group)
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant, tax_group = %id))]
pub async fn update(
    session: &Session,
    db: &Db,
    id: Uuid,
    input: UpdateTaxGroupInput,
) -> Result<tax_group::Model> {
    let rates = input.rates.as_deref().map(parse_rates).transpose()?;
    let tx = db.write(session).await?;
    let existing = find(&tx, id).await?.ok_or_else(not_found)?;
    let mut model = existing.into_active_model();
    if let Some(name) = &input.name {
        model.name = Set(validate::text("name", name, 200)?);
    }
    model.updated_at = Set(Utc::now());
    let updated = tx
        .update(model)
        .await
        .map_err(|e| on_constraint(e, "name", NAME_TAKEN))?;
    if let Some(rates) = rates {
        // The old rates are closed, not deleted: a sale made before now,
        // pushed later by an offline terminal, is taxed with them.
        let now = updated.updated_at;
        tx.update_many::<tax_rate::Entity>()
            .col_expr(tax_rate::Column::ValidUntil, Expr::value(now))
            .filter(tax_rate::Column::TaxGroupId.eq(id))
            .filter(tax_rate::Column::ValidUntil.is_null())
            .exec(&tx)
            .await?;
        insert_rates(&tx, id, rates, Some(now)).await?;
    }
    changes::record(&tx, vec![Change::upsert(Entity::TaxGroup, id)]).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Archives a group: no new variant may use it; variants that already do
/// keep it, and history keeps pointing at it.
pub async fn archive(session: &Session, db: &Db, id: Uuid) -> Result<tax_group::Model> {
    super::archive::archive::<tax_group::Entity>(session, db, id).await
}

pub async fn get(session: &Session, db: &Db, id: Uuid) -> Result<Option<tax_group::Model>> {
    let tx = db.read(session).await?;
    find(&tx, id).await
}

/// An active group, or BAD_USER_INPUT naming `field`: for variant inputs.
pub async fn require_active(tx: &TenantTx, id: Uuid, field: &str) -> Result<()> {
    match find(tx, id).await? {
        Some(g) if g.status == Status::Active => Ok(()),
        Some(_) => Err(AppError::bad_input(field, "this tax group is archived")),
        None => Err(AppError::bad_input(field, "no such tax group")),
    }
}

pub async fn list(session: &Session, db: &Db, page: &Page) -> Result<Vec<tax_group::Model>> {
    let tx = db.read(session).await?;
    Ok(page
        .apply(tx.select::<tax_group::Entity>(), tax_group::Column::Id)
        .all(&tx)
        .await?)
}

pub async fn get_many(session: &Session, db: &Db, ids: &[Uuid]) -> Result<Vec<tax_group::Model>> {
    let tx = db.read(session).await?;
    Ok(tx
        .select::<tax_group::Entity>()
        .filter(tax_group::Column::Id.is_in(ids.iter().copied()))
        .all(&tx)
        .await?)
}

/// The current rates of each group, in position order.
pub async fn rates_of(
    tx: &TenantTx,
    groups: &[Uuid],
) -> Result<HashMap<Uuid, Vec<tax_rate::Model>>> {
    rates_where(tx, groups, tax_rate::Column::ValidUntil.is_null()).await
}

/// The rates of each group in force at `at`, in position order: what a
/// sale made at `at` is taxed with.
pub async fn rates_at(
    tx: &TenantTx,
    groups: &[Uuid],
    at: DateTime<Utc>,
) -> Result<HashMap<Uuid, Vec<tax_rate::Model>>> {
    let in_force = Condition::all()
        .add(
            Condition::any()
                .add(tax_rate::Column::ValidFrom.is_null())
                .add(tax_rate::Column::ValidFrom.lte(at)),
        )
        .add(
            Condition::any()
                .add(tax_rate::Column::ValidUntil.is_null())
                .add(tax_rate::Column::ValidUntil.gt(at)),
        );
    rates_where(tx, groups, in_force).await
}

/// Every rate each group has had, current or closed, in position order.
pub async fn all_rates_of(
    tx: &TenantTx,
    groups: &[Uuid],
) -> Result<HashMap<Uuid, Vec<tax_rate::Model>>> {
    rates_where(tx, groups, Condition::all()).await
}

async fn rates_where(
    tx: &TenantTx,
    groups: &[Uuid],
    condition: impl sea_orm::sea_query::IntoCondition,
) -> Result<HashMap<Uuid, Vec<tax_rate::Model>>> {
    let rows = tx
        .select::<tax_rate::Entity>()
        .filter(tax_rate::Column::TaxGroupId.is_in(groups.iter().copied()))
        .filter(condition)
        .order_by_asc(tax_rate::Column::Position)
        .all(tx)
        .await?;
    let mut by_group: HashMap<Uuid, Vec<tax_rate::Model>> = HashMap::new();
    for row in rows {
        by_group.entry(row.tax_group_id).or_default().push(row);
    }
    Ok(by_group)
}

pub fn not_found() -> AppError {
    AppError::not_found("tax group not found")
}

//! Location service: every function takes the session first.

use chrono::Utc;
use entity::location;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, IntoActiveModel, QueryFilter, Set, TryIntoModel,
};
use uuid::Uuid;

use crate::auth::Session;
use crate::error::{AppError, Result, on_constraint};
use crate::tenancy::Db;
use crate::tenancy::Page;
use crate::validate;

#[derive(Debug, Clone)]
pub struct AddressInput {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. `NL`.
    pub country: String,
}

#[derive(Debug, Clone)]
pub struct CreateLocationInput {
    /// Unique per tenant; printed on receipts, e.g. `AMS1`.
    pub code: String,
    pub name: String,
    pub address: AddressInput,
    /// IANA time zone, e.g. `Europe/Amsterdam`.
    pub time_zone: String,
    /// ISO 4217 code, e.g. `EUR`. Cannot be changed later.
    pub currency: String,
    /// Whether shelf prices here include tax (EU style). Default false.
    pub prices_include_tax: bool,
}

/// Fields left out are unchanged.
#[derive(Debug, Clone, Default)]
pub struct UpdateLocationInput {
    pub code: Option<String>,
    pub name: Option<String>,
    /// Replaces the whole address.
    pub address: Option<AddressInput>,
    pub time_zone: Option<String>,
    pub prices_include_tax: Option<bool>,
}

/// Filters for [`list`].
#[derive(Debug, Clone, Default)]
pub struct LocationFilter {
    /// Case-insensitive substring of the name or code.
    pub search: Option<String>,
}

const CODE_TAKEN: &str = "a location with this code already exists";

fn set_address(model: &mut location::ActiveModel, address: &AddressInput) -> Result<()> {
    model.address_line1 = Set(validate::text("address.line1", &address.line1, 200)?);
    model.address_line2 = Set(validate::optional_text(
        "address.line2",
        address.line2.as_deref(),
        200,
    )?);
    model.city = Set(validate::text("address.city", &address.city, 100)?);
    model.region = Set(validate::optional_text(
        "address.region",
        address.region.as_deref(),
        100,
    )?);
    model.postal_code = Set(validate::optional_text(
        "address.postalCode",
        address.postal_code.as_deref(),
        20,
    )?);
    model.country = Set(validate::country("address.country", &address.country)?);
    Ok(())
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant))]
pub async fn create(
    session: &Session,
    db: &Db,
    input: CreateLocationInput,
) -> Result<location::Model> {
    let now = Utc::now();
    let mut model = location::ActiveModel {
        id: Set(Uuid::now_v7()),
        code: Set(validate::code("code", &input.code)?),
        name: Set(validate::text("name", &input.name, 200)?),
        time_zone: Set(validate::time_zone("timeZone", &input.time_zone)?),
        currency: Set(validate::currency("currency", &input.currency)?
            .code()
            .to_owned()),
        prices_include_tax: Set(input.prices_include_tax),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    set_address(&mut model, &input.address)?;
    let tx = db.write(session).await?;
    let created = tx
        .insert(model)
        .await
        .map_err(|e| on_constraint(e, "code", CODE_TAKEN))?;
    tx.commit().await?;
    Ok(created)
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant, location = %id))]
pub async fn update(
    session: &Session,
    db: &Db,
    id: Uuid,
    input: UpdateLocationInput,
) -> Result<location::Model> {
    let tx = db.write(session).await?;
    let existing = tx
        .select::<location::Entity>()
        .filter(location::Column::Id.eq(id))
        .one(&tx)
        .await?
        .ok_or_else(not_found)?;
    let mut model = existing.into_active_model();
    if let Some(code) = &input.code {
        model.code = Set(validate::code("code", code)?);
    }
    if let Some(name) = &input.name {
        model.name = Set(validate::text("name", name, 200)?);
    }
    if let Some(address) = &input.address {
        set_address(&mut model, address)?;
    }
    if let Some(tz) = &input.time_zone {
        model.time_zone = Set(validate::time_zone("timeZone", tz)?);
    }
    if let Some(inclusive) = input.prices_include_tax {
        model.prices_include_tax = Set(inclusive);
    }
    if !model.is_changed() {
        return Ok(model.try_into_model()?);
    }
    model.updated_at = Set(Utc::now());
    // Time zone and tax mode feed cached lookups.
    tx.invalidate_caches_on_commit();
    let updated = tx
        .update(model)
        .await
        .map_err(|e| on_constraint(e, "code", CODE_TAKEN))?;
    tx.commit().await?;
    Ok(updated)
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant, location = %id))]
pub async fn get(session: &Session, db: &Db, id: Uuid) -> Result<Option<location::Model>> {
    let tx = db.read(session).await?;
    Ok(tx
        .select::<location::Entity>()
        .filter(location::Column::Id.eq(id))
        .one(&tx)
        .await?)
}

/// Loads many locations by id for the dataloader; missing ids are absent.
pub async fn get_many(session: &Session, db: &Db, ids: &[Uuid]) -> Result<Vec<location::Model>> {
    let tx = db.read(session).await?;
    Ok(tx
        .select::<location::Entity>()
        .filter(location::Column::Id.is_in(ids.iter().copied()))
        .all(&tx)
        .await?)
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant))]
pub async fn list(
    session: &Session,
    db: &Db,
    filter: &LocationFilter,
    page: &Page,
) -> Result<Vec<location::Model>> {
    let tx = db.read(session).await?;
    let mut select = tx.select::<location::Entity>();
    if let Some(search) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        let like = |col: location::Column| {
            Expr::expr(Func::lower(Expr::col(col)))
                .like(LikeExpr::new(pattern.clone()).escape('\\'))
        };
        select = select.filter(
            Condition::any()
                .add(like(location::Column::Name))
                .add(like(location::Column::Code)),
        );
    }
    Ok(page.apply(select, location::Column::Id).all(&tx).await?)
}

fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// A location's stored time zone. Zones are validated when written, so
/// one that does not parse is a server fault.
pub fn stored_zone(name: &str) -> Result<chrono_tz::Tz> {
    name.parse()
        .map_err(|_| AppError::internal(format!("stored time zone {name} does not parse")))
}

/// The same answer for an id that does not exist and one that belongs to
/// another tenant (docs/architecture.md, "Tenant from the token only").
pub fn not_found() -> AppError {
    AppError::not_found("location not found")
}

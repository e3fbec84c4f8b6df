//! Terminal service: registration, revocation and device tokens.

use std::time::Duration;

use chrono::Utc;
use entity::location;
use entity::terminal::{self, TerminalStatus};
use sea_orm::{ColumnTrait, IntoActiveModel, QueryFilter, Set};
use uuid::Uuid;

use crate::auth::{Keys, Session};
use crate::cache::CatalogCache;
use crate::error::{AppError, Result, on_constraint};
use crate::tenancy::Page;
use crate::tenancy::{Db, TenantTx};
use crate::validate;

/// Device tokens live at most a year; revocation ends them sooner.
pub const MAX_DEVICE_TOKEN_TTL: Duration = Duration::from_secs(366 * 86_400);
pub const DEFAULT_DEVICE_TOKEN_TTL: Duration = Duration::from_secs(90 * 86_400);

#[derive(Debug, Clone)]
pub struct CreateTerminalInput {
    pub location_id: String,
    /// Unique within the location; printed on receipts, e.g. `T01`.
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct UpdateTerminalInput {
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct TerminalFilter {
    pub location: Option<Uuid>,
    pub status: Option<TerminalStatus>,
}

const CODE_TAKEN: &str = "a terminal with this code already exists at this location";

async fn find(tx: &TenantTx, id: Uuid) -> Result<Option<terminal::Model>> {
    Ok(tx
        .select::<terminal::Entity>()
        .filter(terminal::Column::Id.eq(id))
        .one(tx)
        .await?)
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant))]
pub async fn create(
    session: &Session,
    db: &Db,
    input: CreateTerminalInput,
) -> Result<terminal::Model> {
    let location_id = validate::id("locationId", &input.location_id)?;
    let code = validate::code("code", &input.code)?;
    let name = validate::text("name", &input.name, 200)?;
    let tx = db.write(session).await?;
    let location_exists = tx
        .select::<location::Entity>()
        .filter(location::Column::Id.eq(location_id))
        .count(&tx)
        .await?
        > 0;
    if !location_exists {
        return Err(super::locations::not_found());
    }
    let now = Utc::now();
    let created = tx
        .insert(terminal::ActiveModel {
            id: Set(Uuid::now_v7()),
            location_id: Set(location_id),
            code: Set(code),
            name: Set(name),
            status: Set(TerminalStatus::Active),
            created_at: Set(now),
            updated_at: Set(now),
            revoked_at: Set(None),
            ..Default::default()
        })
        .await
        .map_err(|e| on_constraint(e, "code", CODE_TAKEN))?;
    tx.commit().await?;
    Ok(created)
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant, terminal = %id))]
pub async fn update(
    session: &Session,
    db: &Db,
    id: Uuid,
    input: UpdateTerminalInput,
) -> Result<terminal::Model> {
    let tx = db.write(session).await?;
    let existing = find(&tx, id).await?.ok_or_else(not_found)?;
    let Some(name) = &input.name else {
        return Ok(existing);
    };
    let mut model = existing.into_active_model();
    model.name = Set(validate::text("name", name, 200)?);
    model.updated_at = Set(Utc::now());
    let updated = tx.update(model).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Revokes a terminal. Idempotent: revoking a revoked terminal returns it
/// unchanged. Its tokens stop working on their next request, because every
/// device request checks the terminal's status.
#[tracing::instrument(skip_all, fields(tenant = %session.tenant, terminal = %id))]
pub async fn revoke(session: &Session, db: &Db, id: Uuid) -> Result<terminal::Model> {
    let tx = db.write(session).await?;
    let existing = find(&tx, id).await?.ok_or_else(not_found)?;
    if existing.status == TerminalStatus::Revoked {
        return Ok(existing);
    }
    let now = Utc::now();
    let mut model = existing.into_active_model();
    model.status = Set(TerminalStatus::Revoked);
    model.revoked_at = Set(Some(now));
    model.updated_at = Set(now);
    let updated = tx.update(model).await?;
    tx.invalidate_caches_on_commit();
    tx.commit().await?;
    tracing::info!("terminal revoked");
    Ok(updated)
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant, terminal = %id))]
pub async fn get(session: &Session, db: &Db, id: Uuid) -> Result<Option<terminal::Model>> {
    let tx = db.read(session).await?;
    find(&tx, id).await
}

/// Loads many terminals by id for the dataloader; missing ids are absent.
pub async fn get_many(session: &Session, db: &Db, ids: &[Uuid]) -> Result<Vec<terminal::Model>> {
    let tx = db.read(session).await?;
    Ok(tx
        .select::<terminal::Entity>()
        .filter(terminal::Column::Id.is_in(ids.iter().copied()))
        .all(&tx)
        .await?)
}

#[tracing::instrument(skip_all, fields(tenant = %session.tenant))]
pub async fn list(
    session: &Session,
    db: &Db,
    filter: &TerminalFilter,
    page: &Page,
) -> Result<Vec<terminal::Model>> {
    let tx = db.read(session).await?;
    let mut select = tx.select::<terminal::Entity>();
    if let Some(location) = filter.location {
        select = select.filter(terminal::Column::LocationId.eq(location));
    }
    if let Some(status) = filter.status {
        select = select.filter(terminal::Column::Status.eq(status));
    }
    Ok(page.apply(select, terminal::Column::Id).all(&tx).await?)
}

/// A signed device token and when it expires.
pub struct DeviceToken {
    pub token: String,
    pub expires_at: chrono::DateTime<Utc>,
    pub terminal: terminal::Model,
}

/// Mints a device token bound to an active terminal and its location.
#[tracing::instrument(skip_all, fields(tenant = %session.tenant, terminal = %id))]
pub async fn issue_token(
    session: &Session,
    db: &Db,
    keys: &Keys,
    id: Uuid,
    ttl: Option<Duration>,
) -> Result<DeviceToken> {
    let ttl = ttl.unwrap_or(DEFAULT_DEVICE_TOKEN_TTL);
    if ttl.is_zero() || ttl > MAX_DEVICE_TOKEN_TTL {
        return Err(AppError::bad_input(
            "ttlSeconds",
            format!(
                "ttlSeconds must be between 1 and {}",
                MAX_DEVICE_TOKEN_TTL.as_secs()
            ),
        ));
    }
    let terminal = get(session, db, id).await?.ok_or_else(not_found)?;
    if terminal.status != TerminalStatus::Active {
        return Err(AppError::conflict_at("terminalId", "terminal is revoked"));
    }
    let (token, claims) = keys
        .sign(
            session.tenant,
            &format!("terminal:{}", terminal.id),
            Vec::new(),
            Some((terminal.id, terminal.location_id)),
            ttl,
        )
        .map_err(AppError::internal)?;
    tracing::info!(issued_by = %session.subject, "device token issued");
    Ok(DeviceToken {
        token,
        expires_at: chrono::DateTime::from_timestamp(claims.exp as i64, 0).unwrap_or_default(),
        terminal,
    })
}

/// What a device-token check needs to know about a terminal, cached.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TerminalSnapshot {
    pub active: bool,
    pub location: Uuid,
}

impl crate::cache::Cached for TerminalSnapshot {
    const KIND: &'static str = "terminal";
}

/// Checks that a device session's terminal still exists, is active and is
/// at the token's location. Run on every device request.
///
/// The status is cached beside the catalog, and a revocation invalidates it
/// on every replica like a catalog write does (within a second even while
/// Redis is unreachable).
pub async fn authorize_device(session: &Session, db: &Db, cache: &CatalogCache) -> Result<()> {
    let Some(id) = session.terminal else {
        return Ok(());
    };
    let terminal = cache
        .get::<TerminalSnapshot, _, _>(session, &id.to_string(), |_| async {
            Ok(get(session, db, id).await?.map(|t| TerminalSnapshot {
                active: t.status == TerminalStatus::Active,
                location: t.location_id,
            }))
        })
        .await?;
    match terminal.as_deref() {
        Some(t) if t.active && Some(t.location) == session.location => Ok(()),
        Some(t) if !t.active => Err(AppError::Unauthenticated("terminal is revoked".into())),
        _ => Err(AppError::Unauthenticated(
            "terminal is not registered".into(),
        )),
    }
}

/// The tenant's terminal `id`, or NOT_FOUND (also for another tenant's).
pub async fn require(tx: &crate::tenancy::TenantTx, id: Uuid) -> Result<terminal::Model> {
    tx.select::<terminal::Entity>()
        .filter(terminal::Column::Id.eq(id))
        .one(tx)
        .await?
        .ok_or_else(not_found)
}

pub fn not_found() -> AppError {
    AppError::not_found("terminal not found")
}

//! The caller's own tenant: its name, currency and rounding policy.

use entity::tenant;
use sea_orm::{IntoActiveModel, Set};
use uuid::Uuid;

use crate::auth::Session;
use crate::cache::CatalogCache;
use crate::error::{AppError, Result};
use crate::money::RoundingMode;
use crate::money::tax::RoundingLevel;
use crate::tenancy::{Db, TenantTx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: Uuid,
    pub name: String,
    /// ISO 4217 currency of base prices.
    pub currency: String,
    pub rounding_mode: RoundingMode,
    pub rounding_level: RoundingLevel,
}

/// Fields left out are unchanged.
#[derive(Debug, Clone, Default)]
pub struct UpdateTenantSettingsInput {
    pub name: Option<String>,
    pub rounding_mode: Option<RoundingMode>,
    pub rounding_level: Option<RoundingLevel>,
}

fn settings(m: tenant::Model) -> Tenant {
    Tenant {
        id: m.id,
        name: m.name,
        currency: m.currency,
        rounding_mode: RoundingMode::from_stored(&m.rounding_mode),
        rounding_level: RoundingLevel::from_stored(&m.rounding_level),
    }
}

pub async fn get(session: &Session, db: &Db) -> Result<Tenant> {
    let tx = db.read(session).await?;
    tx.select::<tenant::Entity>()
        .one(&tx)
        .await?
        .map(settings)
        .ok_or_else(|| AppError::not_found("tenant not found"))
}

/// Refuses a session whose tenant does not exist (a token minted for a
/// tenant that was never created) with UNAUTHENTICATED, before it can
/// reach a write that would fail on a foreign key. Checked at the door for
/// every operation, through the cache. Tenants have no suspended state:
/// one that exists is active.
pub async fn require_active(session: &Session, db: &Db, cache: &CatalogCache) -> Result<()> {
    cache
        .tenant(session, || async {
            let tx = db.read(session).await?;
            let found = tx.select::<tenant::Entity>().count(&tx).await? > 0;
            if found {
                Ok(())
            } else {
                Err(AppError::Unauthenticated(
                    "the token's tenant does not exist".into(),
                ))
            }
        })
        .await
}

/// The tenant's own currency, within a transaction of its.
pub async fn currency_of(tx: &TenantTx) -> Result<String> {
    tx.select::<tenant::Entity>()
        .one(tx)
        .await?
        .map(|t| t.currency)
        .ok_or_else(|| AppError::not_found("tenant not found"))
}

/// Changes the tenant's name or rounding policy. Prices and taxes computed
/// from now on follow the new policy; caches are told, like after a catalog
/// write.
#[tracing::instrument(skip_all, fields(tenant = %session.tenant))]
pub async fn update(
    session: &Session,
    db: &Db,
    input: UpdateTenantSettingsInput,
) -> Result<Tenant> {
    let tx = db.write(session).await?;
    let existing = tx
        .select::<tenant::Entity>()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("tenant not found"))?;
    let mut model = existing.into_active_model();
    if let Some(name) = &input.name {
        model.name = Set(crate::validate::text("name", name, 200)?);
    }
    if let Some(mode) = input.rounding_mode {
        model.rounding_mode = Set(mode.stored().to_owned());
    }
    if let Some(level) = input.rounding_level {
        model.rounding_level = Set(level.stored().to_owned());
    }
    let updated = tx.update(model).await?;
    tx.invalidate_caches_on_commit();
    tx.commit().await?;
    Ok(settings(updated))
}

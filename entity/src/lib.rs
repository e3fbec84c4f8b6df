//! SeaORM entities, one file per table.
//!
//! Storage shapes only: GraphQL types live beside their services in the
//! server crate, so a new column never leaks into the API by accident.
//!
//! Every tenant-owned table carries `tenant_id`, and its primary key, unique
//! keys and foreign keys all include it (DESIGN.md, invariant 1).

pub mod location;
pub mod tenant;
pub mod terminal;

use sea_orm::EntityTrait;

/// An entity whose rows belong to exactly one tenant.
///
/// The server's tenant scope uses this to filter every read and stamp every
/// write with the session's tenant, so no query needs to remember it.
pub trait TenantOwned: EntityTrait {
    /// The column holding the owning tenant's id.
    fn tenant_column() -> Self::Column;
}

impl TenantOwned for tenant::Entity {
    fn tenant_column() -> Self::Column {
        tenant::Column::Id
    }
}

impl TenantOwned for location::Entity {
    fn tenant_column() -> Self::Column {
        location::Column::TenantId
    }
}

impl TenantOwned for terminal::Entity {
    fn tenant_column() -> Self::Column {
        terminal::Column::TenantId
    }
}

//! A tenant-defined attribute products and variants can carry.

use sea_orm::entity::prelude::*;

use crate::enums::{AttributeKind, Status};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "attribute_definitions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Stable key used in inputs and filters, unique per tenant.
    pub code: String,
    pub name: String,
    pub kind: AttributeKind,
    /// For ENUM: the allowed values, as a JSON array of strings.
    pub allowed_values: Option<String>,
    pub status: Status,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

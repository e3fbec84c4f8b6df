//! A shop, warehouse or other place where terminals sell.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "locations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// Short upper-case code, unique per tenant; the first part of every
    /// receipt number printed here.
    pub code: String,
    pub name: String,
    pub address_line1: String,
    pub address_line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// IANA zone name; business days are calendar days in this zone.
    pub time_zone: String,
    /// ISO 4217 code. Fixed once created: amounts already recorded here
    /// would change meaning if it changed.
    pub currency: String,
    /// Whether shelf prices here include tax.
    pub prices_include_tax: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

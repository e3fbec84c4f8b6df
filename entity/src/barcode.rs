//! A barcode that resolves to one variant within a tenant.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "barcodes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// GTIN-14 for the GTIN family, `X:<code>` for CODE128 and INTERNAL:
    /// the unique key a scan is resolved by.
    #[sea_orm(primary_key, auto_increment = false)]
    pub lookup_key: String,
    /// As printed.
    pub code: String,
    pub kind: String,
    pub variant_id: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

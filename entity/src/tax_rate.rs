//! One rate of a tax group.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "tax_rates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tax_group_id: Uuid,
    pub name: String,
    /// Parts per million of the taxed amount (9.75 % is 97 500).
    pub rate_ppm: i64,
    /// Order within the group, for receipts.
    pub position: i32,
    /// When the rate came into force; `None` since the group was created.
    pub valid_from: Option<DateTimeUtc>,
    /// When a later change replaced it; `None` while it is current. Sales
    /// are taxed with the rates in force when they were made.
    pub valid_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

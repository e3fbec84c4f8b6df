//! A pricing rule; see `catalog::pricing` for how rules combine.

use sea_orm::entity::prelude::*;

use crate::enums::{AdjustmentKind, RuleTarget, Status};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Deserialize)]
#[sea_orm(table_name = "pricing_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub priority: i32,
    pub stackable: bool,
    pub adjustment: AdjustmentKind,
    /// Parts per million for PERCENT_OFF, minor units otherwise.
    pub value: i64,
    pub target: RuleTarget,
    pub target_id: Option<Uuid>,
    pub target_category: Option<String>,
    pub location_id: Option<Uuid>,
    pub valid_from: Option<DateTimeUtc>,
    pub valid_until: Option<DateTimeUtc>,
    /// Bit 0 Monday … bit 6 Sunday; 0 is every day.
    pub weekdays: i16,
    /// Local time of day, `HH:MM`, inclusive.
    pub time_from: Option<String>,
    /// Local time of day, `HH:MM`, exclusive; before `time_from` wraps
    /// midnight.
    pub time_until: Option<String>,
    /// Thousandths of a unit.
    pub min_quantity: i64,
    pub status: Status,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

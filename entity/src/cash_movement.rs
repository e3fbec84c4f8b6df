//! A pay-in, pay-out or cash drop of an open shift.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cash_movements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub shift_id: Uuid,
    pub terminal_id: Uuid,
    /// PAY_IN, PAY_OUT or DROP.
    pub kind: String,
    /// Positive, in the shift's currency's minor units.
    pub amount: i64,
    pub reason: String,
    pub at: DateTimeUtc,
    pub sequence: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

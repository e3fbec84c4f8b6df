//! A cash-drawer shift of one terminal: OPEN, then CLOSED with what was
//! expected in the drawer, what was counted, and the difference.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shifts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub terminal_id: Uuid,
    pub location_id: Uuid,
    /// The location's currency; every amount is in its minor units.
    pub currency: String,
    pub status: String,
    /// At the location, on opening.
    pub business_date: Date,
    pub opened_at: DateTimeUtc,
    /// The SHIFT_OPEN event's sequence: the shift holds the terminal's
    /// events after it, up to its SHIFT_CLOSE.
    pub open_sequence: i64,
    pub opened_by: String,
    pub opening_float: i64,
    pub closed_at: Option<DateTimeUtc>,
    pub close_sequence: Option<i64>,
    pub closed_by: Option<String>,
    /// On closing: cash taken on sales, net of change.
    pub cash_sales: Option<i64>,
    /// Cash given back on refunds.
    pub cash_refunds: Option<i64>,
    /// Cash given back on voided sales.
    pub cash_voids: Option<i64>,
    pub pay_ins: Option<i64>,
    pub pay_outs: Option<i64>,
    pub drops: Option<i64>,
    pub expected: Option<i64>,
    pub counted: Option<i64>,
    /// Counted less expected: positive over, negative short.
    pub over_short: Option<i64>,
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! One movement of the stock ledger: append-only.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_movements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub location_id: Uuid,
    pub variant_id: Uuid,
    /// SALE, REFUND, VOID, RECEIVE, ADJUST, TRANSFER_OUT, TRANSFER_IN or
    /// COUNT.
    pub kind: String,
    /// Signed, in thousandths of the variant's unit.
    pub quantity: i64,
    /// When it happened (the terminal's clock for a synced event).
    pub at: DateTimeUtc,
    /// The calendar date of `at` at the location.
    pub business_date: Date,
    pub recorded_at: DateTimeUtc,
    /// The sale, refund, void, receipt, adjustment, transfer or count.
    pub source_id: Uuid,
    pub line_no: i32,
    /// For ADJUST: DAMAGE, THEFT, LOSS, COUNT_CORRECTION, RETURN_TO_SUPPLIER
    /// or OTHER.
    pub reason: Option<String>,
    pub note: Option<String>,
    /// For RECEIVE: minor units per unit.
    pub unit_cost: Option<i64>,
    pub supplier_reference: Option<String>,
    /// For COUNT: the level counted.
    pub counted: Option<i64>,
    pub terminal_id: Option<Uuid>,
    pub transfer_id: Option<Uuid>,
    /// The token subject that recorded it.
    pub recorded_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! A payment on a sale, or money given back on a refund. Cards keep only
//! brand, last four digits and the authorisation reference.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// The sale or refund.
    #[sea_orm(primary_key, auto_increment = false)]
    pub record_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub position: i32,
    /// `CASH`, `CARD`, `GIFT_CARD`, `VOUCHER` or `OTHER`.
    pub method: String,
    pub amount: i64,
    /// Change given from this tender (cash only).
    pub change: i64,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    pub auth_reference: Option<String>,
    pub reference: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

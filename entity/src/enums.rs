//! Enumerations stored as short strings.

use sea_orm::entity::prelude::*;

/// Catalog rows are archived, never deleted, while history may point at
/// them.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "ARCHIVED")]
    Archived,
}

/// How a variant is sold: by the piece or weighed.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Unit {
    #[sea_orm(string_value = "EACH")]
    Each,
    #[sea_orm(string_value = "KG")]
    Kg,
    #[sea_orm(string_value = "LB")]
    Lb,
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AttributeKind {
    #[sea_orm(string_value = "TEXT")]
    Text,
    #[sea_orm(string_value = "NUMBER")]
    Number,
    #[sea_orm(string_value = "BOOLEAN")]
    Boolean,
    #[sea_orm(string_value = "ENUM")]
    Enum,
}

/// What an attribute value hangs on.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AttributeOwner {
    #[sea_orm(string_value = "PRODUCT")]
    Product,
    #[sea_orm(string_value = "VARIANT")]
    Variant,
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AdjustmentKind {
    /// `value` is parts per million off.
    #[sea_orm(string_value = "PERCENT_OFF")]
    PercentOff,
    /// `value` is minor units off.
    #[sea_orm(string_value = "AMOUNT_OFF")]
    AmountOff,
    /// `value` is the price in minor units.
    #[sea_orm(string_value = "FIXED_PRICE")]
    FixedPrice,
}

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    serde::Serialize,
    serde::Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum RuleTarget {
    #[sea_orm(string_value = "ALL")]
    All,
    #[sea_orm(string_value = "PRODUCT")]
    Product,
    #[sea_orm(string_value = "VARIANT")]
    Variant,
    #[sea_orm(string_value = "CATEGORY")]
    Category,
}

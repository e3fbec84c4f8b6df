//! Enumerations stored as short strings.
//!
//! Serde writes the variant names; it also reads the stored strings, so
//! rows that PostgreSQL returns as JSON (`row_to_json`) deserialize.

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
    #[serde(alias = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "ARCHIVED")]
    #[serde(alias = "ARCHIVED")]
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
    #[serde(alias = "EACH")]
    Each,
    #[sea_orm(string_value = "KG")]
    #[serde(alias = "KG")]
    Kg,
    #[sea_orm(string_value = "LB")]
    #[serde(alias = "LB")]
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
    #[serde(alias = "TEXT")]
    Text,
    #[sea_orm(string_value = "NUMBER")]
    #[serde(alias = "NUMBER")]
    Number,
    #[sea_orm(string_value = "BOOLEAN")]
    #[serde(alias = "BOOLEAN")]
    Boolean,
    #[sea_orm(string_value = "ENUM")]
    #[serde(alias = "ENUM")]
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
    #[serde(alias = "PRODUCT")]
    Product,
    #[sea_orm(string_value = "VARIANT")]
    #[serde(alias = "VARIANT")]
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
    #[serde(alias = "PERCENT_OFF")]
    PercentOff,
    /// `value` is minor units off.
    #[sea_orm(string_value = "AMOUNT_OFF")]
    #[serde(alias = "AMOUNT_OFF")]
    AmountOff,
    /// `value` is the price in minor units.
    #[sea_orm(string_value = "FIXED_PRICE")]
    #[serde(alias = "FIXED_PRICE")]
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
    #[serde(alias = "ALL")]
    All,
    #[sea_orm(string_value = "PRODUCT")]
    #[serde(alias = "PRODUCT")]
    Product,
    #[sea_orm(string_value = "VARIANT")]
    #[serde(alias = "VARIANT")]
    Variant,
    #[sea_orm(string_value = "CATEGORY")]
    #[serde(alias = "CATEGORY")]
    Category,
}

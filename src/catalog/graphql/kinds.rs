//! The catalog's GraphQL enums: mirrors of the stored enumerations (so the
//! storage crate never shapes the API) and of the service's own, each
//! converting both ways (async-graphql's remote enums).

use async_graphql::Enum;

/// ACTIVE, or ARCHIVED: kept for history, no longer sold or assigned.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Status")]
pub enum CatalogStatus {
    Active,
    Archived,
}

/// EACH, or weighed by KG or LB with an exact decimal quantity.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::Unit")]
pub enum SaleUnit {
    Each,
    Kg,
    Lb,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::AttributeKind")]
pub enum AttributeType {
    Text,
    Number,
    Boolean,
    Enum,
}

/// PERCENT_OFF (value in percent), AMOUNT_OFF or FIXED_PRICE (value in
/// minor units).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::AdjustmentKind")]
pub enum AdjustmentType {
    PercentOff,
    AmountOff,
    FixedPrice,
}

/// Which variants a rule prices.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "entity::enums::RuleTarget")]
pub enum RuleTargetType {
    All,
    Product,
    Variant,
    Category,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::catalog::barcode::BarcodeKind")]
pub enum BarcodeKind {
    #[graphql(name = "EAN_13")]
    Ean13,
    #[graphql(name = "EAN_8")]
    Ean8,
    #[graphql(name = "UPC_A")]
    UpcA,
    #[graphql(name = "UPC_E")]
    UpcE,
    #[graphql(name = "CODE128")]
    Code128,
    #[graphql(name = "INTERNAL")]
    Internal,
}

/// What a scale label carries besides the item.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::catalog::barcode::EmbeddedKind")]
pub enum EmbeddedKind {
    /// Weight in thousandths of the unit (grams for KG).
    Weight,
    /// Price in minor units.
    Price,
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::catalog::rules::Weekday")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

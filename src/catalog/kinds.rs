//! GraphQL mirrors of the stored enumerations, so the storage crate never
//! shapes the API.

use entity::enums;

macro_rules! mirror {
    ($(#[$doc:meta])* $name:ident => $stored:path { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
        pub enum $name { $($variant),+ }

        impl From<$name> for $stored {
            fn from(v: $name) -> Self {
                match v { $($name::$variant => Self::$variant),+ }
            }
        }

        impl From<$stored> for $name {
            fn from(v: $stored) -> Self {
                match v { $(<$stored>::$variant => Self::$variant),+ }
            }
        }
    };
}

mirror!(
    /// ACTIVE, or ARCHIVED: kept for history, no longer sold or assigned.
    CatalogStatus => enums::Status { Active, Archived }
);
mirror!(
    /// EACH, or weighed by KG or LB with an exact decimal quantity.
    SaleUnit => enums::Unit { Each, Kg, Lb }
);
mirror!(
    AttributeType => enums::AttributeKind { Text, Number, Boolean, Enum }
);
mirror!(
    /// PERCENT_OFF (value in percent), AMOUNT_OFF or FIXED_PRICE (value in
    /// minor units).
    AdjustmentType => enums::AdjustmentKind { PercentOff, AmountOff, FixedPrice }
);
mirror!(
    /// Which variants a rule prices.
    RuleTargetType => enums::RuleTarget { All, Product, Variant, Category }
);

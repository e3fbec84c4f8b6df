//! Exact numeric scalars. JSON numbers lose precision past 2^53 in most
//! clients, so amounts travel as strings of integer minor units.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

use crate::money::Quantity;
/// Amounts in minor units (`"1999"` is 19.99 EUR; integers are accepted
/// on input too) and exact quantities with up to three decimals.
pub use crate::money::{Amount, Decimal3};

#[Scalar(name = "Amount")]
impl ScalarType for Amount {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => s.trim().parse::<i64>().map(Amount).map_err(|_| {
                InputValueError::custom(
                    "an Amount is a whole number of minor units, such as \"1999\"",
                )
            }),
            Value::Number(n) => n.as_i64().map(Amount).ok_or_else(|| {
                InputValueError::custom("an Amount is a whole number of minor units")
            }),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

#[Scalar(name = "Quantity")]
impl ScalarType for Decimal3 {
    fn parse(value: Value) -> InputValueResult<Self> {
        let parsed = match &value {
            Value::String(s) => Quantity::parse(s),
            Value::Number(n) => n.as_i64().and_then(Quantity::from_units),
            _ => return Err(InputValueError::expected_type(value)),
        };
        parsed.map(Decimal3).ok_or_else(|| {
            InputValueError::custom(
                "a Quantity is a decimal with at most 3 decimals, such as \"1.25\"",
            )
        })
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_string())
    }
}

/// The period a report's rows cover: a day, or a calendar month.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum Period {
    #[default]
    Day,
    Month,
}

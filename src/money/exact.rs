//! Exact amounts and quantities as they travel: strings of digits, since
//! JSON numbers lose precision past 2^53 in most clients. Stored payloads
//! keep them as the same strings. (The GraphQL scalars of the same names
//! wrap these: `graphql::scalars`.)

use super::Quantity;

/// An amount in minor units of its currency (cents for EUR, yen for JPY),
/// as a string of digits: `"1999"` is 19.99 EUR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount(pub i64);

impl serde::Serialize for Amount {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Amount {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map(Amount).map_err(serde::de::Error::custom)
    }
}

/// An exact decimal quantity with up to three decimals: `"1.25"` kg, `"3"`
/// items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decimal3(pub Quantity);

impl serde::Serialize for Decimal3 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Decimal3 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Quantity::parse(&text)
            .map(Decimal3)
            .ok_or_else(|| serde::de::Error::custom("not a quantity"))
    }
}

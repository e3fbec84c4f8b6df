//! GraphQL types of the catalog pull.

use async_graphql::{Object, SimpleObject};

use crate::catalog::graphql::types::{
    AttributeDefinition, Barcode, PricingRule, Product, ScaleFormat, TaxGroup, Variant,
};
use crate::graphql::scalars::Amount;
use crate::org::graphql::Location;
use crate::sync::pull::{Item, State};

/// A location's price for a variant, overriding its base price.
#[derive(SimpleObject)]
pub struct CatalogLocationPrice {
    pub variant_id: async_graphql::ID,
    pub location_id: async_graphql::ID,
    pub price: Amount,
}

/// One changed catalog entity, as it is now. `deleted` means: drop it
/// (it is gone, archived, or does not apply at this location).
pub struct CatalogChange(pub Item);

#[Object]
impl CatalogChange {
    /// The catalog version of the change.
    async fn version(&self) -> i64 {
        self.0.version
    }
    /// `PRODUCT`, `VARIANT`, `BARCODE`, `TAX_GROUP`, `PRICING_RULE`,
    /// `ATTRIBUTE_DEFINITION`, `LOCATION_PRICE` or `SCALE_FORMAT`.
    async fn entity(&self) -> &str {
        &self.0.entity
    }
    /// The entity's id: a barcode's lookup key, a scale format's prefix,
    /// `variantId:locationId` for a location price.
    async fn id(&self) -> &str {
        &self.0.id
    }
    async fn deleted(&self) -> bool {
        matches!(self.0.state, State::Gone)
    }
    async fn product(&self) -> Option<Product> {
        match &self.0.state {
            State::Product(m) => Some(Product(m.clone())),
            _ => None,
        }
    }
    async fn variant(&self) -> Option<Variant> {
        match &self.0.state {
            State::Variant(m) => Some(Variant(m.clone())),
            _ => None,
        }
    }
    async fn barcode(&self) -> Option<Barcode> {
        match &self.0.state {
            State::Barcode(m) => Some(Barcode(m.clone())),
            _ => None,
        }
    }
    async fn tax_group(&self) -> Option<TaxGroup> {
        match &self.0.state {
            State::TaxGroup(m) => Some(TaxGroup(m.clone())),
            _ => None,
        }
    }
    async fn pricing_rule(&self) -> Option<PricingRule> {
        match &self.0.state {
            State::PricingRule(m) => Some(PricingRule(m.clone())),
            _ => None,
        }
    }
    async fn attribute_definition(&self) -> Option<AttributeDefinition> {
        match &self.0.state {
            State::AttributeDefinition(m) => Some(AttributeDefinition(m.clone())),
            _ => None,
        }
    }
    async fn location_price(&self) -> Option<CatalogLocationPrice> {
        match &self.0.state {
            State::LocationPrice(m) => Some(CatalogLocationPrice {
                variant_id: async_graphql::ID(m.variant_id.to_string()),
                location_id: async_graphql::ID(m.location_id.to_string()),
                price: Amount(m.price),
            }),
            _ => None,
        }
    }
    async fn scale_format(&self) -> Option<ScaleFormat> {
        match &self.0.state {
            State::ScaleFormat(f) => Some(f.clone().into()),
            _ => None,
        }
    }
}

/// A page of the catalog feed.
#[derive(SimpleObject)]
pub struct CatalogChangePage {
    pub changes: Vec<CatalogChange>,
    /// Pass as `since` for the next page; keep it to resume later.
    pub cursor: Option<String>,
    pub has_more: bool,
    /// The catalog version held once this page is applied.
    pub version: i64,
    /// The location the terminal sells at.
    pub location: Location,
}

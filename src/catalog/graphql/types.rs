//! GraphQL output types of the catalog. Each wraps a storage model and
//! chooses what to expose; relations load through the dataloaders.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{attribute_definition, barcode, pricing_rule, product, tax_group, tax_rate, variant};

use super::inputs::{OptionValue, each};
use super::kinds::{
    AdjustmentType, AttributeType, BarcodeKind, CatalogStatus, EmbeddedKind, RuleTargetType,
    SaleUnit, Weekday,
};
use super::loaders::{
    AttributesLoader, BarcodesLoader, LocationPricesLoader, ProductLoader, TaxGroupLoader,
    TaxRatesLoader, VariantLoader,
};
use crate::auth::Staff;
use crate::catalog::barcode::{self as codes, ScaleFormat as ScaleLayout};
use crate::catalog::products::CatalogFilter;
use crate::catalog::rules::weekdays_of;
use crate::catalog::variants;
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::pagination::Page;
use crate::graphql::scalars::{Amount, Decimal3};
use crate::money::{Quantity, Rate};

fn id(u: uuid::Uuid) -> ID {
    ID(u.to_string())
}

/// An amount with its currency.
#[derive(SimpleObject, Clone)]
pub struct Money {
    /// Minor units.
    pub amount: Amount,
    /// ISO 4217.
    pub currency: String,
}

#[derive(SimpleObject, Clone)]
pub struct AttributeValue {
    pub code: String,
    pub value: String,
}

async fn attribute_values(ctx: &Context<'_>, owner: uuid::Uuid) -> Result<Vec<AttributeValue>> {
    let values = ctx
        .loader::<AttributesLoader>()?
        .load_one(owner)
        .await?
        .unwrap_or_default();
    Ok(values
        .into_iter()
        .map(|(code, value)| AttributeValue { code, value })
        .collect())
}

pub struct TaxRate(pub tax_rate::Model);

#[Object]
impl TaxRate {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Exact decimal percent, e.g. `"9.75"`.
    async fn percent(&self) -> String {
        Rate::from_ppm(self.0.rate_ppm)
            .map(|r| r.percent())
            .unwrap_or_default()
    }
}

pub struct TaxGroup(pub tax_group::Model);

#[Object]
impl TaxGroup {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn status(&self) -> CatalogStatus {
        self.0.status.into()
    }
    /// Applied together, in this order on receipts.
    async fn rates(&self, ctx: &Context<'_>) -> Result<Vec<TaxRate>> {
        let rates = ctx
            .loader::<TaxRatesLoader>()?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(rates.into_iter().map(TaxRate).collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct Product(pub product::Model);

#[Object]
impl Product {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn category(&self) -> Option<&str> {
        self.0.category.as_deref()
    }
    async fn status(&self) -> CatalogStatus {
        self.0.status.into()
    }
    async fn attributes(&self, ctx: &Context<'_>) -> Result<Vec<AttributeValue>> {
        attribute_values(ctx, self.0.id).await
    }
    #[graphql(guard = "Staff::any()")]
    async fn variants(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<CatalogStatus>,
    ) -> Result<Connection<String, Variant>> {
        let page = Page::new(first, after.as_deref())?;
        let filter = CatalogFilter {
            product: Some(self.0.id),
            status: status.map(Into::into),
            ..Default::default()
        };
        let rows = variants::list(ctx.session()?, ctx.db()?, &filter, &page).await?;
        Ok(page.connection(rows, |v| v.id, Variant))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(SimpleObject)]
pub struct LocationPrice {
    pub location_id: ID,
    pub price: Amount,
}

pub struct Variant(pub variant::Model);

#[Object]
impl Variant {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn sku(&self) -> &str {
        &self.0.sku
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn options(&self) -> Vec<OptionValue> {
        each(variants::options_of(&self.0))
    }
    /// Minor units of the tenant's currency, per unit (per kg or lb when
    /// weighed).
    async fn base_price(&self) -> Amount {
        Amount(self.0.base_price)
    }
    async fn unit(&self) -> SaleUnit {
        self.0.unit.into()
    }
    /// Whether stock is kept of it per location.
    async fn track_stock(&self) -> bool {
        self.0.track_stock
    }
    /// Its stock at a location; null where it does not track stock.
    #[graphql(guard = "Staff::any()")]
    async fn stock_level(
        &self,
        ctx: &Context<'_>,
        location_id: ID,
    ) -> Result<Option<super::stock::StockLevel>> {
        super::stock::of_variant(ctx, self.0.id, &location_id).await
    }
    async fn status(&self) -> CatalogStatus {
        self.0.status.into()
    }
    async fn product(&self, ctx: &Context<'_>) -> Result<Product> {
        ctx.loader::<ProductLoader>()?
            .load_one(self.0.product_id)
            .await?
            .map(Product)
            .ok_or_else(|| AppError::internal("variant points at a missing product").into())
    }
    async fn tax_group(&self, ctx: &Context<'_>) -> Result<TaxGroup> {
        ctx.loader::<TaxGroupLoader>()?
            .load_one(self.0.tax_group_id)
            .await?
            .map(TaxGroup)
            .ok_or_else(|| AppError::internal("variant points at a missing tax group").into())
    }
    async fn barcodes(&self, ctx: &Context<'_>) -> Result<Vec<Barcode>> {
        let codes = ctx
            .loader::<BarcodesLoader>()?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(codes.into_iter().map(Barcode).collect())
    }
    async fn attributes(&self, ctx: &Context<'_>) -> Result<Vec<AttributeValue>> {
        attribute_values(ctx, self.0.id).await
    }
    /// Overrides of the base price at particular locations.
    async fn location_prices(&self, ctx: &Context<'_>) -> Result<Vec<LocationPrice>> {
        let prices = ctx
            .loader::<LocationPricesLoader>()?
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(prices
            .into_iter()
            .map(|(location, price)| LocationPrice {
                location_id: id(location),
                price: Amount(price),
            })
            .collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct Barcode(pub barcode::Model);

#[Object]
impl Barcode {
    /// As printed.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn kind(&self) -> Option<BarcodeKind> {
        codes::BarcodeKind::parse(&self.0.kind).map(Into::into)
    }
    async fn variant(&self, ctx: &Context<'_>) -> Result<Variant> {
        ctx.loader::<VariantLoader>()?
            .load_one(self.0.variant_id)
            .await?
            .map(Variant)
            .ok_or_else(|| AppError::internal("barcode points at a missing variant").into())
    }
}

pub struct AttributeDefinition(pub attribute_definition::Model);

#[Object]
impl AttributeDefinition {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    #[graphql(name = "type")]
    async fn kind(&self) -> AttributeType {
        self.0.kind.into()
    }
    async fn allowed_values(&self) -> Vec<String> {
        self.0
            .allowed_values
            .as_deref()
            .and_then(|j| serde_json::from_str(j).ok())
            .unwrap_or_default()
    }
    async fn status(&self) -> CatalogStatus {
        self.0.status.into()
    }
}

pub struct PricingRule(pub pricing_rule::Model);

#[Object]
impl PricingRule {
    async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn priority(&self) -> i32 {
        self.0.priority
    }
    async fn stackable(&self) -> bool {
        self.0.stackable
    }
    async fn adjustment(&self) -> AdjustmentType {
        self.0.adjustment.into()
    }
    /// A percent for PERCENT_OFF, minor units otherwise.
    async fn value(&self) -> String {
        match self.0.adjustment {
            entity::enums::AdjustmentKind::PercentOff => Rate::from_ppm(self.0.value)
                .map(|r| r.percent())
                .unwrap_or_default(),
            _ => self.0.value.to_string(),
        }
    }
    async fn target(&self) -> RuleTargetType {
        self.0.target.into()
    }
    async fn target_id(&self) -> Option<ID> {
        self.0.target_id.map(id)
    }
    async fn target_category(&self) -> Option<&str> {
        self.0.target_category.as_deref()
    }
    async fn location_id(&self) -> Option<ID> {
        self.0.location_id.map(id)
    }
    async fn valid_from(&self) -> Option<DateTime<Utc>> {
        self.0.valid_from
    }
    async fn valid_until(&self) -> Option<DateTime<Utc>> {
        self.0.valid_until
    }
    async fn weekdays(&self) -> Vec<Weekday> {
        each(weekdays_of(self.0.weekdays))
    }
    async fn time_from(&self) -> Option<&str> {
        self.0.time_from.as_deref()
    }
    async fn time_until(&self) -> Option<&str> {
        self.0.time_until.as_deref()
    }
    async fn min_quantity(&self) -> Decimal3 {
        Decimal3(Quantity::from_milli(self.0.min_quantity))
    }
    async fn status(&self) -> CatalogStatus {
        self.0.status.into()
    }
}

#[derive(SimpleObject)]
pub struct ScaleFormat {
    /// GS1 prefix, 20-29.
    pub prefix: String,
    pub item_digits: i32,
    /// Whether a price check digit sits before the value (it is skipped).
    pub has_value_check: bool,
    pub embedded: EmbeddedKind,
}

impl From<ScaleLayout> for ScaleFormat {
    fn from(f: ScaleLayout) -> Self {
        Self {
            prefix: f.prefix,
            item_digits: f.item_digits as i32,
            has_value_check: f.has_value_check,
            embedded: f.kind.into(),
        }
    }
}

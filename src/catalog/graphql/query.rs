//! Catalog queries.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};

use super::kinds::CatalogStatus;
use super::lookup::BarcodeLookup;
use super::types::{AttributeDefinition, PricingRule, Product, ScaleFormat, TaxGroup, Variant};
use crate::auth::Staff;
use crate::catalog::products::CatalogFilter;
use crate::catalog::{attributes, barcodes, lookup, products, rules, tax_groups, variants};
use crate::graphql::ContextExt;
use crate::graphql::pagination::Page;
use crate::validate;

#[derive(Debug, Clone, InputObject)]
pub struct AttributeFilter {
    pub code: String,
    pub value: String,
}

/// Every given condition must hold.
#[derive(Debug, Clone, Default, InputObject)]
pub struct CatalogSearch {
    /// Case-insensitive part of the name.
    pub search: Option<String>,
    pub sku_prefix: Option<String>,
    /// An exact barcode, as scanned.
    pub barcode: Option<String>,
    pub attribute: Option<AttributeFilter>,
    pub status: Option<CatalogStatus>,
    pub category: Option<String>,
    /// Variants of this product (variants only).
    pub product_id: Option<ID>,
}

impl CatalogSearch {
    fn into_filter(self) -> crate::error::Result<CatalogFilter> {
        Ok(CatalogFilter {
            search: self.search,
            sku_prefix: self.sku_prefix,
            barcode: self.barcode,
            attribute: self.attribute.map(|a| (a.code, a.value)),
            status: self.status.map(Into::into),
            category: self.category,
            product: self
                .product_id
                .as_ref()
                .map(|id| validate::id("productId", id))
                .transpose()?,
        })
    }
}

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// The hot path: a scanned code resolved to its active variant, priced
    /// and taxed at a location now. Device tokens price at their own
    /// location; staff name one. Null when a well-formed code is unknown;
    /// BAD_USER_INPUT, with the reason, when the scan cannot be a barcode
    /// (a wrong check digit: a misread).
    ///
    /// `at` (owners and managers) previews the price at another instant,
    /// with what was (or will be) in force then: pricing rules (a happy
    /// hour, a future promotion), base and location prices, tax rates.
    async fn product_by_barcode(
        &self,
        ctx: &Context<'_>,
        barcode: String,
        location_id: Option<ID>,
        at: Option<DateTime<Utc>>,
    ) -> Result<Option<BarcodeLookup>> {
        let session = ctx.session()?;
        let location = location_id
            .as_ref()
            .map(|id| validate::id("locationId", id))
            .transpose()?;
        if at.is_some() {
            Staff::managers().check_session(session)?;
        }
        let at = at.unwrap_or_else(Utc::now);
        let found =
            lookup::by_barcode(session, ctx.db()?, ctx.cache()?, &barcode, location, at).await?;
        Ok(found.map(|lookup| BarcodeLookup { lookup, at }))
    }

    #[graphql(guard = "Staff::any()")]
    async fn product(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Product>> {
        let id = validate::id("id", &id)?;
        Ok(products::get(ctx.session()?, ctx.db()?, id)
            .await?
            .map(Product))
    }

    #[graphql(guard = "Staff::any()")]
    async fn products(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<CatalogSearch>,
    ) -> Result<Connection<String, Product>> {
        let page = Page::new(first, after.as_deref())?;
        let filter = filter.unwrap_or_default().into_filter()?;
        let rows = products::list(ctx.session()?, ctx.db()?, &filter, &page).await?;
        Ok(page.connection(rows, |p| p.id, Product))
    }

    #[graphql(guard = "Staff::any()")]
    async fn variant(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Variant>> {
        let id = validate::id("id", &id)?;
        Ok(variants::get(ctx.session()?, ctx.db()?, id)
            .await?
            .map(Variant))
    }

    #[graphql(guard = "Staff::any()")]
    async fn variants(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<CatalogSearch>,
    ) -> Result<Connection<String, Variant>> {
        let page = Page::new(first, after.as_deref())?;
        let filter = filter.unwrap_or_default().into_filter()?;
        let rows = variants::list(ctx.session()?, ctx.db()?, &filter, &page).await?;
        Ok(page.connection(rows, |v| v.id, Variant))
    }

    #[graphql(guard = "Staff::any()")]
    async fn tax_group(&self, ctx: &Context<'_>, id: ID) -> Result<Option<TaxGroup>> {
        let id = validate::id("id", &id)?;
        Ok(tax_groups::get(ctx.session()?, ctx.db()?, id)
            .await?
            .map(TaxGroup))
    }

    #[graphql(guard = "Staff::any()")]
    async fn tax_groups(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, TaxGroup>> {
        let page = Page::new(first, after.as_deref())?;
        let rows = tax_groups::list(ctx.session()?, ctx.db()?, &page).await?;
        Ok(page.connection(rows, |g| g.id, TaxGroup))
    }

    #[graphql(guard = "Staff::any()")]
    async fn pricing_rule(&self, ctx: &Context<'_>, id: ID) -> Result<Option<PricingRule>> {
        let id = validate::id("id", &id)?;
        Ok(rules::get(ctx.session()?, ctx.db()?, id)
            .await?
            .map(PricingRule))
    }

    #[graphql(guard = "Staff::any()")]
    async fn pricing_rules(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, PricingRule>> {
        let page = Page::new(first, after.as_deref())?;
        let rows = rules::list(ctx.session()?, ctx.db()?, &page).await?;
        Ok(page.connection(rows, |r| r.id, PricingRule))
    }

    #[graphql(guard = "Staff::any()")]
    async fn attribute_definitions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<String, AttributeDefinition>> {
        let page = Page::new(first, after.as_deref())?;
        let rows = attributes::list(ctx.session()?, ctx.db()?, &page).await?;
        Ok(page.connection(rows, |a| a.id, AttributeDefinition))
    }

    /// The tenant's scale label layouts.
    #[graphql(guard = "Staff::any()")]
    async fn scale_formats(&self, ctx: &Context<'_>) -> Result<Vec<ScaleFormat>> {
        let tx = ctx.db()?.read(ctx.session()?).await?;
        Ok(barcodes::scale_formats(&tx)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

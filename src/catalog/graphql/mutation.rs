//! Catalog mutations (OWNER and MANAGER). Input problems come back as
//! `userErrors` next to the field; permission and server errors as GraphQL
//! errors.

use async_graphql::{Context, ID, InputObject, Object, Result};

use super::inputs::{
    CreateProductInput, CreateTaxGroupInput, PricingRuleInput, UpdateProductInput,
    UpdateTaxGroupInput, UpdateVariantInput, VariantDraft,
};
use super::kinds::{AttributeType, BarcodeKind, EmbeddedKind};
use super::types::{
    AttributeDefinition, Barcode, PricingRule, Product, ScaleFormat, TaxGroup, Variant,
};
use crate::auth::Staff;
use crate::catalog::attributes::{self, NewAttribute};
use crate::catalog::{barcodes, products, rules, tax_groups, variants};
use crate::graphql::ContextExt;
use crate::graphql::scalars::Amount;
use crate::payload;
use crate::validate;

payload!(TaxGroupPayload, tax_group, TaxGroup);
payload!(ProductPayload, product, Product);
payload!(VariantPayload, variant, Variant);
payload!(BarcodePayload, barcode, Barcode);
payload!(
    AttributeDefinitionPayload,
    attribute_definition,
    AttributeDefinition
);
payload!(PricingRulePayload, pricing_rule, PricingRule);
payload!(ScaleFormatsPayload, scale_formats, Vec<ScaleFormat>);

#[derive(Debug, Clone, InputObject)]
pub struct CreateAttributeDefinitionInput {
    /// Upper-case key used in values and filters, e.g. `COLOUR`.
    pub code: String,
    pub name: String,
    #[graphql(name = "type")]
    pub kind: AttributeType,
    /// For ENUM attributes.
    pub allowed_values: Option<Vec<String>>,
}

#[derive(Debug, Clone, InputObject)]
pub struct ScaleFormatInput {
    /// GS1 prefix 20-29.
    pub prefix: String,
    /// Digits of item code after the prefix (4-6).
    pub item_digits: i32,
    /// Whether a price check digit precedes the value.
    #[graphql(default)]
    pub has_value_check: bool,
    pub embedded: EmbeddedKind,
}

fn id(field: &str, value: &ID) -> crate::error::Result<uuid::Uuid> {
    validate::id(field, value)
}

#[derive(Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    #[graphql(guard = "Staff::managers()")]
    async fn create_tax_group(
        &self,
        ctx: &Context<'_>,
        input: CreateTaxGroupInput,
    ) -> Result<TaxGroupPayload> {
        TaxGroupPayload::from_result(
            tax_groups::create(ctx.session()?, ctx.db()?, input.into())
                .await
                .map(TaxGroup),
        )
    }

    #[graphql(guard = "Staff::managers()")]
    async fn update_tax_group(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateTaxGroupInput,
    ) -> Result<TaxGroupPayload> {
        let result = async {
            tax_groups::update(
                ctx.session()?,
                ctx.db()?,
                self::id("id", &id)?,
                input.into(),
            )
            .await
        };
        TaxGroupPayload::from_result_at("id", result.await.map(TaxGroup))
    }

    #[graphql(guard = "Staff::managers()")]
    async fn archive_tax_group(&self, ctx: &Context<'_>, id: ID) -> Result<TaxGroupPayload> {
        let result =
            async { tax_groups::archive(ctx.session()?, ctx.db()?, self::id("id", &id)?).await };
        TaxGroupPayload::from_result_at("id", result.await.map(TaxGroup))
    }

    /// Creates a product, optionally with its variants, in one step.
    #[graphql(guard = "Staff::managers()")]
    async fn create_product(
        &self,
        ctx: &Context<'_>,
        input: CreateProductInput,
    ) -> Result<ProductPayload> {
        ProductPayload::from_result(
            products::create(ctx.session()?, ctx.db()?, input.into())
                .await
                .map(Product),
        )
    }

    #[graphql(guard = "Staff::managers()")]
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateProductInput,
    ) -> Result<ProductPayload> {
        let result = async {
            products::update(
                ctx.session()?,
                ctx.db()?,
                self::id("id", &id)?,
                input.into(),
            )
            .await
        };
        ProductPayload::from_result_at("id", result.await.map(Product))
    }

    /// Archives a product and its variants; nothing is deleted.
    #[graphql(guard = "Staff::managers()")]
    async fn archive_product(&self, ctx: &Context<'_>, id: ID) -> Result<ProductPayload> {
        let result =
            async { products::archive(ctx.session()?, ctx.db()?, self::id("id", &id)?).await };
        ProductPayload::from_result_at("id", result.await.map(Product))
    }

    #[graphql(guard = "Staff::managers()")]
    async fn create_variant(
        &self,
        ctx: &Context<'_>,
        product_id: ID,
        input: VariantDraft,
    ) -> Result<VariantPayload> {
        VariantPayload::from_result(
            variants::create(ctx.session()?, ctx.db()?, &product_id, input.into())
                .await
                .map(Variant),
        )
    }

    #[graphql(guard = "Staff::managers()")]
    async fn update_variant(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateVariantInput,
    ) -> Result<VariantPayload> {
        let result = async {
            variants::update(
                ctx.session()?,
                ctx.db()?,
                self::id("id", &id)?,
                input.into(),
            )
            .await
        };
        VariantPayload::from_result_at("id", result.await.map(Variant))
    }

    #[graphql(guard = "Staff::managers()")]
    async fn archive_variant(&self, ctx: &Context<'_>, id: ID) -> Result<VariantPayload> {
        let result =
            async { variants::archive(ctx.session()?, ctx.db()?, self::id("id", &id)?).await };
        VariantPayload::from_result_at("id", result.await.map(Variant))
    }

    /// Sets a variant's price at one location; a null price removes the
    /// override.
    #[graphql(guard = "Staff::managers()")]
    async fn set_location_price(
        &self,
        ctx: &Context<'_>,
        variant_id: ID,
        location_id: ID,
        price: Option<Amount>,
    ) -> Result<VariantPayload> {
        let result = async {
            let variant = self::id("variantId", &variant_id)?;
            let location = self::id("locationId", &location_id)?;
            variants::set_location_price(ctx.session()?, ctx.db()?, variant, location, price).await
        };
        VariantPayload::from_result(result.await.map(Variant))
    }

    #[graphql(guard = "Staff::managers()")]
    async fn add_barcode(
        &self,
        ctx: &Context<'_>,
        variant_id: ID,
        kind: BarcodeKind,
        code: String,
    ) -> Result<BarcodePayload> {
        let result = async {
            barcodes::add(
                ctx.session()?,
                ctx.db()?,
                self::id("variantId", &variant_id)?,
                kind.into(),
                &code,
            )
            .await
        };
        BarcodePayload::from_result(result.await.map(Barcode))
    }

    /// Moves a barcode to another variant: the only way a barcode changes
    /// hands.
    #[graphql(guard = "Staff::managers()")]
    async fn move_barcode(
        &self,
        ctx: &Context<'_>,
        kind: BarcodeKind,
        code: String,
        to_variant_id: ID,
    ) -> Result<BarcodePayload> {
        let result = async {
            let to = self::id("toVariantId", &to_variant_id)?;
            barcodes::move_to(ctx.session()?, ctx.db()?, kind.into(), &code, to).await
        };
        BarcodePayload::from_result(result.await.map(Barcode))
    }

    #[graphql(guard = "Staff::managers()")]
    async fn remove_barcode(
        &self,
        ctx: &Context<'_>,
        kind: BarcodeKind,
        code: String,
    ) -> Result<BarcodePayload> {
        BarcodePayload::from_result(
            barcodes::remove(ctx.session()?, ctx.db()?, kind.into(), &code)
                .await
                .map(Barcode),
        )
    }

    #[graphql(guard = "Staff::managers()")]
    async fn create_attribute_definition(
        &self,
        ctx: &Context<'_>,
        input: CreateAttributeDefinitionInput,
    ) -> Result<AttributeDefinitionPayload> {
        let new = NewAttribute {
            code: input.code,
            name: input.name,
            kind: input.kind.into(),
            allowed_values: input.allowed_values,
        };
        AttributeDefinitionPayload::from_result(
            attributes::create(ctx.session()?, ctx.db()?, new)
                .await
                .map(AttributeDefinition),
        )
    }

    /// Renames an attribute or replaces an ENUM's allowed values.
    #[graphql(guard = "Staff::managers()")]
    async fn update_attribute_definition(
        &self,
        ctx: &Context<'_>,
        id: ID,
        name: Option<String>,
        allowed_values: Option<Vec<String>>,
    ) -> Result<AttributeDefinitionPayload> {
        let result = async {
            attributes::update(
                ctx.session()?,
                ctx.db()?,
                self::id("id", &id)?,
                name,
                allowed_values,
            )
            .await
        };
        AttributeDefinitionPayload::from_result_at("id", result.await.map(AttributeDefinition))
    }

    #[graphql(guard = "Staff::managers()")]
    async fn archive_attribute_definition(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<AttributeDefinitionPayload> {
        let result =
            async { attributes::archive(ctx.session()?, ctx.db()?, self::id("id", &id)?).await };
        AttributeDefinitionPayload::from_result_at("id", result.await.map(AttributeDefinition))
    }

    #[graphql(guard = "Staff::managers()")]
    async fn create_pricing_rule(
        &self,
        ctx: &Context<'_>,
        input: PricingRuleInput,
    ) -> Result<PricingRulePayload> {
        PricingRulePayload::from_result(
            rules::create(ctx.session()?, ctx.db()?, input.into())
                .await
                .map(PricingRule),
        )
    }

    /// Replaces every field of a rule.
    #[graphql(guard = "Staff::managers()")]
    async fn update_pricing_rule(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: PricingRuleInput,
    ) -> Result<PricingRulePayload> {
        let result = async {
            rules::update(
                ctx.session()?,
                ctx.db()?,
                self::id("id", &id)?,
                input.into(),
            )
            .await
        };
        PricingRulePayload::from_result_at("id", result.await.map(PricingRule))
    }

    #[graphql(guard = "Staff::managers()")]
    async fn archive_pricing_rule(&self, ctx: &Context<'_>, id: ID) -> Result<PricingRulePayload> {
        let result =
            async { rules::archive(ctx.session()?, ctx.db()?, self::id("id", &id)?).await };
        PricingRulePayload::from_result_at("id", result.await.map(PricingRule))
    }

    /// Configures how scale labels under a GS1 prefix (20-29) are read.
    #[graphql(guard = "Staff::managers()")]
    async fn set_scale_format(
        &self,
        ctx: &Context<'_>,
        input: ScaleFormatInput,
    ) -> Result<ScaleFormatsPayload> {
        let digits = usize::try_from(input.item_digits).unwrap_or(0);
        let layout = Some((digits, input.has_value_check, input.embedded.into()));
        let result =
            barcodes::set_scale_format(ctx.session()?, ctx.db()?, &input.prefix, layout).await;
        ScaleFormatsPayload::from_result(result.map(|fs| fs.into_iter().map(Into::into).collect()))
    }

    #[graphql(guard = "Staff::managers()")]
    async fn remove_scale_format(
        &self,
        ctx: &Context<'_>,
        prefix: String,
    ) -> Result<ScaleFormatsPayload> {
        let result = barcodes::set_scale_format(ctx.session()?, ctx.db()?, &prefix, None).await;
        ScaleFormatsPayload::from_result(result.map(|fs| fs.into_iter().map(Into::into).collect()))
    }
}

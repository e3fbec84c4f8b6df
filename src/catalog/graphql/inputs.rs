//! GraphQL inputs of the catalog's writes, each turned into the service's
//! own input.

use async_graphql::{ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};

use super::kinds::{AdjustmentType, BarcodeKind, RuleTargetType, SaleUnit, Weekday};
use crate::catalog::{attributes, products, rules, tax_groups, variants};
use crate::graphql::scalars::{Amount, Decimal3};

/// Each item of `items`, converted.
pub(super) fn each<A: Into<B>, B>(items: Vec<A>) -> Vec<B> {
    items.into_iter().map(Into::into).collect()
}

/// An attribute value to set; a null or empty `value` removes it.
#[derive(Debug, Clone, InputObject)]
pub struct AttributeValueInput {
    /// The attribute definition's code.
    pub code: String,
    pub value: Option<String>,
}

impl From<AttributeValueInput> for attributes::AttributeValueInput {
    fn from(i: AttributeValueInput) -> Self {
        Self {
            code: i.code,
            value: i.value,
        }
    }
}

#[derive(Debug, Clone, InputObject, SimpleObject)]
#[graphql(input_name = "OptionValueInput")]
pub struct OptionValue {
    /// For example `Size`.
    pub name: String,
    /// For example `L`.
    pub value: String,
}

impl From<OptionValue> for variants::OptionValue {
    fn from(o: OptionValue) -> Self {
        Self {
            name: o.name,
            value: o.value,
        }
    }
}

impl From<variants::OptionValue> for OptionValue {
    fn from(o: variants::OptionValue) -> Self {
        Self {
            name: o.name,
            value: o.value,
        }
    }
}

#[derive(Debug, Clone, InputObject)]
pub struct BarcodeInput {
    pub kind: BarcodeKind,
    pub code: String,
}

/// A variant to create.
#[derive(Debug, Clone, InputObject)]
pub struct VariantDraft {
    /// Unique per tenant.
    pub sku: String,
    pub name: String,
    #[graphql(default)]
    pub options: Vec<OptionValue>,
    /// In minor units of the tenant's currency; per kg or lb for weighed
    /// units.
    pub base_price: Amount,
    pub tax_group_id: ID,
    #[graphql(default_with = "SaleUnit::Each")]
    pub unit: SaleUnit,
    /// Keep stock of it per location (sales, receipts, counts…).
    #[graphql(default)]
    pub track_stock: bool,
    #[graphql(default)]
    pub barcodes: Vec<BarcodeInput>,
    #[graphql(default)]
    pub attributes: Vec<AttributeValueInput>,
}

impl From<VariantDraft> for variants::VariantDraft {
    fn from(d: VariantDraft) -> Self {
        let barcodes = d.barcodes.into_iter().map(|b| variants::BarcodeInput {
            kind: b.kind.into(),
            code: b.code,
        });
        Self {
            sku: d.sku,
            name: d.name,
            options: each(d.options),
            base_price: d.base_price,
            tax_group_id: d.tax_group_id.0,
            unit: d.unit.into(),
            track_stock: d.track_stock,
            barcodes: barcodes.collect(),
            attributes: each(d.attributes),
        }
    }
}

/// Fields left out are unchanged; `options`, when given, replaces them.
#[derive(Debug, Clone, InputObject)]
pub struct UpdateVariantInput {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub options: Option<Vec<OptionValue>>,
    pub base_price: Option<Amount>,
    pub tax_group_id: Option<ID>,
    pub unit: Option<SaleUnit>,
    /// Start or stop keeping stock of it. Levels and movements recorded
    /// so far are kept.
    pub track_stock: Option<bool>,
    #[graphql(default)]
    pub attributes: Vec<AttributeValueInput>,
}

impl From<UpdateVariantInput> for variants::UpdateVariantInput {
    fn from(i: UpdateVariantInput) -> Self {
        Self {
            sku: i.sku,
            name: i.name,
            options: i.options.map(each),
            base_price: i.base_price,
            tax_group_id: i.tax_group_id.map(String::from),
            unit: i.unit.map(Into::into),
            track_stock: i.track_stock,
            attributes: each(i.attributes),
        }
    }
}

#[derive(Debug, Clone, InputObject)]
pub struct CreateProductInput {
    pub name: String,
    pub description: Option<String>,
    pub category: Option<String>,
    #[graphql(default)]
    pub attributes: Vec<AttributeValueInput>,
    /// Variants to create with the product.
    #[graphql(default)]
    pub variants: Vec<VariantDraft>,
}

impl From<CreateProductInput> for products::CreateProductInput {
    fn from(i: CreateProductInput) -> Self {
        Self {
            name: i.name,
            description: i.description,
            category: i.category,
            attributes: each(i.attributes),
            variants: each(i.variants),
        }
    }
}

/// Fields left out are unchanged; an empty string clears description or
/// category.
#[derive(Debug, Clone, InputObject)]
pub struct UpdateProductInput {
    pub name: Option<String>,
    pub description: Option<String>,
    pub category: Option<String>,
    #[graphql(default)]
    pub attributes: Vec<AttributeValueInput>,
}

impl From<UpdateProductInput> for products::UpdateProductInput {
    fn from(i: UpdateProductInput) -> Self {
        Self {
            name: i.name,
            description: i.description,
            category: i.category,
            attributes: each(i.attributes),
        }
    }
}

/// One rate: give exactly one of `percent` (an exact decimal such as
/// `"8.875"`) or `basisPoints` (975 is 9.75 %).
#[derive(Debug, Clone, InputObject)]
pub struct TaxRateInput {
    pub name: String,
    pub percent: Option<String>,
    pub basis_points: Option<i32>,
}

impl From<TaxRateInput> for tax_groups::TaxRateInput {
    fn from(r: TaxRateInput) -> Self {
        Self {
            name: r.name,
            percent: r.percent,
            basis_points: r.basis_points,
        }
    }
}

#[derive(Debug, Clone, InputObject)]
pub struct CreateTaxGroupInput {
    /// Unique per tenant.
    pub name: String,
    /// One or more rates, applied together.
    pub rates: Vec<TaxRateInput>,
}

impl From<CreateTaxGroupInput> for tax_groups::CreateTaxGroupInput {
    fn from(i: CreateTaxGroupInput) -> Self {
        Self {
            name: i.name,
            rates: each(i.rates),
        }
    }
}

/// Fields left out are unchanged; `rates`, when given, replaces them all.
#[derive(Debug, Clone, InputObject)]
pub struct UpdateTaxGroupInput {
    pub name: Option<String>,
    pub rates: Option<Vec<TaxRateInput>>,
}

impl From<UpdateTaxGroupInput> for tax_groups::UpdateTaxGroupInput {
    fn from(i: UpdateTaxGroupInput) -> Self {
        Self {
            name: i.name,
            rates: i.rates.map(each),
        }
    }
}

/// A pricing rule. See the pricing documentation for how rules combine:
/// highest `priority` first; a rule applies after others only if all are
/// `stackable`.
#[derive(Debug, Clone, InputObject)]
pub struct PricingRuleInput {
    pub name: String,
    #[graphql(default)]
    pub priority: i32,
    #[graphql(default)]
    pub stackable: bool,
    pub adjustment: AdjustmentType,
    /// PERCENT_OFF: a percent such as `"15"` or `"12.5"`. AMOUNT_OFF and
    /// FIXED_PRICE: minor units such as `"250"`.
    pub value: String,
    #[graphql(default_with = "RuleTargetType::All")]
    pub target: RuleTargetType,
    /// The product or variant, for those targets.
    pub target_id: Option<ID>,
    /// The category, for CATEGORY.
    pub target_category: Option<String>,
    /// Only at this location; every location when absent.
    pub location_id: Option<ID>,
    pub valid_from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub valid_until: Option<DateTime<Utc>>,
    /// Local weekdays; every day when empty.
    #[graphql(default)]
    pub weekdays: Vec<Weekday>,
    /// Local time of day `HH:MM`, with `timeUntil`; a window that ends
    /// before it starts wraps midnight.
    pub time_from: Option<String>,
    pub time_until: Option<String>,
    /// Applies from this quantity on (a quantity break).
    pub min_quantity: Option<Decimal3>,
}

impl From<PricingRuleInput> for rules::PricingRuleInput {
    fn from(i: PricingRuleInput) -> Self {
        Self {
            name: i.name,
            priority: i.priority,
            stackable: i.stackable,
            adjustment: i.adjustment.into(),
            value: i.value,
            target: i.target.into(),
            target_id: i.target_id.map(String::from),
            target_category: i.target_category,
            location_id: i.location_id.map(String::from),
            valid_from: i.valid_from,
            valid_until: i.valid_until,
            weekdays: each(i.weekdays),
            time_from: i.time_from,
            time_until: i.time_until,
            min_quantity: i.min_quantity,
        }
    }
}

//! The catalog: tax groups and rates, products, variants, barcodes,
//! attributes, location prices, pricing rules, scale label formats, and the
//! change feed.

use sea_orm_migration::prelude::*;

use crate::columns::{
    big, boolean, fk, index, int, long_text, long_text_null, small, tenant_fk, text, text_null,
    timestamp, timestamp_null, uuid, uuid_null,
};
use crate::rls::protect_tenant_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Locations {
    Table,
    TenantId,
    Id,
}

#[derive(DeriveIden)]
enum TaxGroups {
    Table,
    TenantId,
    Id,
    Name,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TaxRates {
    Table,
    TenantId,
    Id,
    TaxGroupId,
    Name,
    RatePpm,
    Position,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    TenantId,
    Id,
    Name,
    Description,
    Category,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Variants {
    Table,
    TenantId,
    Id,
    ProductId,
    Sku,
    Name,
    Options,
    BasePrice,
    TaxGroupId,
    Unit,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Barcodes {
    Table,
    TenantId,
    LookupKey,
    Code,
    Kind,
    VariantId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AttributeDefinitions {
    Table,
    TenantId,
    Id,
    Code,
    Name,
    Kind,
    AllowedValues,
    Status,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AttributeValues {
    Table,
    TenantId,
    OwnerId,
    AttributeId,
    OwnerKind,
    Value,
}

#[derive(DeriveIden)]
enum LocationPrices {
    Table,
    TenantId,
    VariantId,
    LocationId,
    Price,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PricingRules {
    Table,
    TenantId,
    Id,
    Name,
    Priority,
    Stackable,
    Adjustment,
    Value,
    Target,
    TargetId,
    TargetCategory,
    LocationId,
    ValidFrom,
    ValidUntil,
    Weekdays,
    TimeFrom,
    TimeUntil,
    MinQuantity,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ScaleFormats {
    Table,
    TenantId,
    Prefix,
    ItemDigits,
    HasValueCheck,
    Kind,
}

#[derive(DeriveIden)]
enum CatalogVersions {
    Table,
    TenantId,
    Version,
}

#[derive(DeriveIden)]
enum CatalogChanges {
    Table,
    TenantId,
    Version,
    Entity,
    EntityId,
    Deleted,
    ChangedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables = [
            Table::create()
                .table(TaxGroups::Table)
                .col(uuid(TaxGroups::TenantId))
                .col(uuid(TaxGroups::Id))
                .col(text(TaxGroups::Name, 200))
                .col(text(TaxGroups::Status, 16))
                .col(timestamp(TaxGroups::CreatedAt))
                .col(timestamp(TaxGroups::UpdatedAt))
                .primary_key(Index::create().col(TaxGroups::TenantId).col(TaxGroups::Id))
                .foreign_key(&mut tenant_fk(
                    "fk_tax_groups_tenant",
                    TaxGroups::Table,
                    TaxGroups::TenantId,
                ))
                .to_owned(),
            Table::create()
                .table(TaxRates::Table)
                .col(uuid(TaxRates::TenantId))
                .col(uuid(TaxRates::Id))
                .col(uuid(TaxRates::TaxGroupId))
                .col(text(TaxRates::Name, 100))
                .col(big(TaxRates::RatePpm))
                .col(int(TaxRates::Position))
                .primary_key(Index::create().col(TaxRates::TenantId).col(TaxRates::Id))
                .foreign_key(&mut fk(
                    "fk_tax_rates_group",
                    TaxRates::Table,
                    (TaxRates::TenantId, TaxRates::TaxGroupId),
                    TaxGroups::Table,
                    (TaxGroups::TenantId, TaxGroups::Id),
                ))
                .to_owned(),
            Table::create()
                .table(Products::Table)
                .col(uuid(Products::TenantId))
                .col(uuid(Products::Id))
                .col(text(Products::Name, 200))
                .col(long_text_null(Products::Description))
                .col(text_null(Products::Category, 100))
                .col(text(Products::Status, 16))
                .col(timestamp(Products::CreatedAt))
                .col(timestamp(Products::UpdatedAt))
                .primary_key(Index::create().col(Products::TenantId).col(Products::Id))
                .foreign_key(&mut tenant_fk(
                    "fk_products_tenant",
                    Products::Table,
                    Products::TenantId,
                ))
                .to_owned(),
            Table::create()
                .table(Variants::Table)
                .col(uuid(Variants::TenantId))
                .col(uuid(Variants::Id))
                .col(uuid(Variants::ProductId))
                .col(text(Variants::Sku, 64))
                .col(text(Variants::Name, 200))
                .col(long_text(Variants::Options))
                .col(big(Variants::BasePrice))
                .col(uuid(Variants::TaxGroupId))
                .col(text(Variants::Unit, 8))
                .col(text(Variants::Status, 16))
                .col(timestamp(Variants::CreatedAt))
                .col(timestamp(Variants::UpdatedAt))
                .primary_key(Index::create().col(Variants::TenantId).col(Variants::Id))
                .foreign_key(&mut fk(
                    "fk_variants_product",
                    Variants::Table,
                    (Variants::TenantId, Variants::ProductId),
                    Products::Table,
                    (Products::TenantId, Products::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_variants_tax_group",
                    Variants::Table,
                    (Variants::TenantId, Variants::TaxGroupId),
                    TaxGroups::Table,
                    (TaxGroups::TenantId, TaxGroups::Id),
                ))
                .to_owned(),
            Table::create()
                .table(Barcodes::Table)
                .col(uuid(Barcodes::TenantId))
                .col(text(Barcodes::LookupKey, 64))
                .col(text(Barcodes::Code, 64))
                .col(text(Barcodes::Kind, 16))
                .col(uuid(Barcodes::VariantId))
                .col(timestamp(Barcodes::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(Barcodes::TenantId)
                        .col(Barcodes::LookupKey),
                )
                .foreign_key(&mut fk(
                    "fk_barcodes_variant",
                    Barcodes::Table,
                    (Barcodes::TenantId, Barcodes::VariantId),
                    Variants::Table,
                    (Variants::TenantId, Variants::Id),
                ))
                .to_owned(),
            Table::create()
                .table(AttributeDefinitions::Table)
                .col(uuid(AttributeDefinitions::TenantId))
                .col(uuid(AttributeDefinitions::Id))
                .col(text(AttributeDefinitions::Code, 64))
                .col(text(AttributeDefinitions::Name, 200))
                .col(text(AttributeDefinitions::Kind, 16))
                .col(long_text_null(AttributeDefinitions::AllowedValues))
                .col(text(AttributeDefinitions::Status, 16))
                .col(timestamp(AttributeDefinitions::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(AttributeDefinitions::TenantId)
                        .col(AttributeDefinitions::Id),
                )
                .foreign_key(&mut tenant_fk(
                    "fk_attribute_definitions_tenant",
                    AttributeDefinitions::Table,
                    AttributeDefinitions::TenantId,
                ))
                .to_owned(),
            Table::create()
                .table(AttributeValues::Table)
                .col(uuid(AttributeValues::TenantId))
                .col(uuid(AttributeValues::OwnerId))
                .col(uuid(AttributeValues::AttributeId))
                .col(text(AttributeValues::OwnerKind, 16))
                .col(text(AttributeValues::Value, 500))
                .primary_key(
                    Index::create()
                        .col(AttributeValues::TenantId)
                        .col(AttributeValues::OwnerId)
                        .col(AttributeValues::AttributeId),
                )
                .foreign_key(&mut fk(
                    "fk_attribute_values_definition",
                    AttributeValues::Table,
                    (AttributeValues::TenantId, AttributeValues::AttributeId),
                    AttributeDefinitions::Table,
                    (AttributeDefinitions::TenantId, AttributeDefinitions::Id),
                ))
                .to_owned(),
            Table::create()
                .table(LocationPrices::Table)
                .col(uuid(LocationPrices::TenantId))
                .col(uuid(LocationPrices::VariantId))
                .col(uuid(LocationPrices::LocationId))
                .col(big(LocationPrices::Price))
                .col(timestamp(LocationPrices::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(LocationPrices::TenantId)
                        .col(LocationPrices::VariantId)
                        .col(LocationPrices::LocationId),
                )
                .foreign_key(&mut fk(
                    "fk_location_prices_variant",
                    LocationPrices::Table,
                    (LocationPrices::TenantId, LocationPrices::VariantId),
                    Variants::Table,
                    (Variants::TenantId, Variants::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_location_prices_location",
                    LocationPrices::Table,
                    (LocationPrices::TenantId, LocationPrices::LocationId),
                    Locations::Table,
                    (Locations::TenantId, Locations::Id),
                ))
                .to_owned(),
            Table::create()
                .table(PricingRules::Table)
                .col(uuid(PricingRules::TenantId))
                .col(uuid(PricingRules::Id))
                .col(text(PricingRules::Name, 200))
                .col(int(PricingRules::Priority))
                .col(boolean(PricingRules::Stackable))
                .col(text(PricingRules::Adjustment, 16))
                .col(big(PricingRules::Value))
                .col(text(PricingRules::Target, 16))
                .col(uuid_null(PricingRules::TargetId))
                .col(text_null(PricingRules::TargetCategory, 100))
                .col(uuid_null(PricingRules::LocationId))
                .col(timestamp_null(PricingRules::ValidFrom))
                .col(timestamp_null(PricingRules::ValidUntil))
                .col(small(PricingRules::Weekdays))
                .col(text_null(PricingRules::TimeFrom, 5))
                .col(text_null(PricingRules::TimeUntil, 5))
                .col(big(PricingRules::MinQuantity))
                .col(text(PricingRules::Status, 16))
                .col(timestamp(PricingRules::CreatedAt))
                .col(timestamp(PricingRules::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(PricingRules::TenantId)
                        .col(PricingRules::Id),
                )
                .foreign_key(&mut fk(
                    "fk_pricing_rules_location",
                    PricingRules::Table,
                    (PricingRules::TenantId, PricingRules::LocationId),
                    Locations::Table,
                    (Locations::TenantId, Locations::Id),
                ))
                .to_owned(),
            Table::create()
                .table(ScaleFormats::Table)
                .col(uuid(ScaleFormats::TenantId))
                .col(text(ScaleFormats::Prefix, 2))
                .col(small(ScaleFormats::ItemDigits))
                .col(boolean(ScaleFormats::HasValueCheck))
                .col(text(ScaleFormats::Kind, 8))
                .primary_key(
                    Index::create()
                        .col(ScaleFormats::TenantId)
                        .col(ScaleFormats::Prefix),
                )
                .foreign_key(&mut tenant_fk(
                    "fk_scale_formats_tenant",
                    ScaleFormats::Table,
                    ScaleFormats::TenantId,
                ))
                .to_owned(),
            Table::create()
                .table(CatalogVersions::Table)
                .col(uuid(CatalogVersions::TenantId).primary_key())
                .col(big(CatalogVersions::Version))
                .foreign_key(&mut tenant_fk(
                    "fk_catalog_versions_tenant",
                    CatalogVersions::Table,
                    CatalogVersions::TenantId,
                ))
                .to_owned(),
            Table::create()
                .table(CatalogChanges::Table)
                .col(uuid(CatalogChanges::TenantId))
                .col(big(CatalogChanges::Version))
                .col(text(CatalogChanges::Entity, 32))
                .col(text(CatalogChanges::EntityId, 80))
                .col(boolean(CatalogChanges::Deleted))
                .col(timestamp(CatalogChanges::ChangedAt))
                .primary_key(
                    Index::create()
                        .col(CatalogChanges::TenantId)
                        .col(CatalogChanges::Version)
                        .col(CatalogChanges::Entity)
                        .col(CatalogChanges::EntityId),
                )
                .foreign_key(&mut tenant_fk(
                    "fk_catalog_changes_tenant",
                    CatalogChanges::Table,
                    CatalogChanges::TenantId,
                ))
                .to_owned(),
        ];
        for table in tables {
            manager.create_table(table).await?;
        }

        let indexes = [
            index(
                "ux_tax_groups_tenant_name",
                TaxGroups::Table,
                &["tenant_id", "name"],
                true,
            ),
            index(
                "ix_tax_rates_tenant_group",
                TaxRates::Table,
                &["tenant_id", "tax_group_id"],
                false,
            ),
            index(
                "ix_products_tenant_category",
                Products::Table,
                &["tenant_id", "category"],
                false,
            ),
            index(
                "ux_variants_tenant_sku",
                Variants::Table,
                &["tenant_id", "sku"],
                true,
            ),
            index(
                "ix_variants_tenant_product",
                Variants::Table,
                &["tenant_id", "product_id"],
                false,
            ),
            index(
                "ix_barcodes_tenant_variant",
                Barcodes::Table,
                &["tenant_id", "variant_id"],
                false,
            ),
            index(
                "ux_attribute_definitions_tenant_code",
                AttributeDefinitions::Table,
                &["tenant_id", "code"],
                true,
            ),
            index(
                "ix_attribute_values_tenant_attribute_value",
                AttributeValues::Table,
                &["tenant_id", "attribute_id", "value"],
                false,
            ),
            index(
                "ix_pricing_rules_tenant_status",
                PricingRules::Table,
                &["tenant_id", "status"],
                false,
            ),
        ];
        for index in indexes {
            manager.create_index(index).await?;
        }

        let read_write = "SELECT, INSERT, UPDATE";
        let with_delete = "SELECT, INSERT, UPDATE, DELETE";
        for (table, privileges) in [
            ("tax_groups", read_write),
            ("tax_rates", with_delete),
            ("products", read_write),
            ("variants", read_write),
            ("barcodes", with_delete),
            ("attribute_definitions", read_write),
            ("attribute_values", with_delete),
            ("location_prices", with_delete),
            ("pricing_rules", read_write),
            ("scale_formats", with_delete),
            ("catalog_versions", read_write),
            ("catalog_changes", "SELECT, INSERT"),
        ] {
            protect_tenant_table(manager, table, "tenant_id", privileges).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "catalog_changes",
            "catalog_versions",
            "scale_formats",
            "pricing_rules",
            "location_prices",
            "attribute_values",
            "attribute_definitions",
            "barcodes",
            "variants",
            "products",
            "tax_rates",
            "tax_groups",
        ] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}

//! Tenants, locations and terminals.

use sea_orm_migration::prelude::*;

use crate::columns::{boolean, text, text_null, timestamp, uuid};
use crate::rls::{ensure_app_role, protect_tenant_table};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
    Name,
    Currency,
    RoundingMode,
    RoundingLevel,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Locations {
    Table,
    TenantId,
    Id,
    Code,
    Name,
    AddressLine1,
    AddressLine2,
    City,
    Region,
    PostalCode,
    Country,
    TimeZone,
    Currency,
    PricesIncludeTax,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Terminals {
    Table,
    TenantId,
    Id,
    LocationId,
    Code,
    Name,
    Status,
    CreatedAt,
    UpdatedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        ensure_app_role(manager).await?;

        manager
            .create_table(
                Table::create()
                    .table(Tenants::Table)
                    .col(uuid(Tenants::Id).primary_key())
                    .col(text(Tenants::Name, 200))
                    .col(text(Tenants::Currency, 3))
                    .col(text(Tenants::RoundingMode, 16))
                    .col(text(Tenants::RoundingLevel, 16))
                    .col(timestamp(Tenants::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Locations::Table)
                    .col(uuid(Locations::TenantId))
                    .col(uuid(Locations::Id))
                    .col(text(Locations::Code, 16))
                    .col(text(Locations::Name, 200))
                    .col(text(Locations::AddressLine1, 200))
                    .col(text_null(Locations::AddressLine2, 200))
                    .col(text(Locations::City, 100))
                    .col(text_null(Locations::Region, 100))
                    .col(text_null(Locations::PostalCode, 20))
                    .col(text(Locations::Country, 2))
                    .col(text(Locations::TimeZone, 64))
                    .col(text(Locations::Currency, 3))
                    .col(boolean(Locations::PricesIncludeTax))
                    .col(timestamp(Locations::CreatedAt))
                    .col(timestamp(Locations::UpdatedAt))
                    .primary_key(Index::create().col(Locations::TenantId).col(Locations::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_locations_tenant")
                            .from(Locations::Table, Locations::TenantId)
                            .to(Tenants::Table, Tenants::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_locations_tenant_code")
                    .table(Locations::Table)
                    .col(Locations::TenantId)
                    .col(Locations::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Terminals::Table)
                    .col(uuid(Terminals::TenantId))
                    .col(uuid(Terminals::Id))
                    .col(uuid(Terminals::LocationId))
                    .col(text(Terminals::Code, 16))
                    .col(text(Terminals::Name, 200))
                    .col(text(Terminals::Status, 16))
                    .col(timestamp(Terminals::CreatedAt))
                    .col(timestamp(Terminals::UpdatedAt))
                    .col(
                        ColumnDef::new(Terminals::RevokedAt)
                            .timestamp_with_time_zone()
                            .null(),
                    )
                    .primary_key(Index::create().col(Terminals::TenantId).col(Terminals::Id))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_terminals_location")
                            .from(
                                Terminals::Table,
                                (Terminals::TenantId, Terminals::LocationId),
                            )
                            .to(Locations::Table, (Locations::TenantId, Locations::Id))
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_terminals_tenant_location_code")
                    .table(Terminals::Table)
                    .col(Terminals::TenantId)
                    .col(Terminals::LocationId)
                    .col(Terminals::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;

        protect_tenant_table(manager, "tenants", "id", "SELECT, INSERT, UPDATE").await?;
        protect_tenant_table(manager, "locations", "tenant_id", "SELECT, INSERT, UPDATE").await?;
        protect_tenant_table(manager, "terminals", "tenant_id", "SELECT, INSERT, UPDATE").await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["terminals", "locations", "tenants"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        Ok(())
    }
}

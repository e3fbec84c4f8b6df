//! Price history: every base price and location price a variant has had,
//! with the instant it came into force, so that a sale or a preview at a
//! past instant is priced with the prices of that instant.
//!
//! One row per change. `location_id` is the nil UUID for the base price
//! (a primary key column cannot be NULL); `price` is NULL where a location
//! override was removed and the base price applies again from then.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::columns::{index, tenant_table, timestamp, uuid};
use crate::rls::{protect_tenant_table, set_forced};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn c(name: &'static str) -> Alias {
    Alias::new(name)
}

const TABLE: &str = "price_history";

/// The current prices become the first rows: a base price from the
/// variant's creation (what it was before a later change is not known),
/// an override from its last write.
fn backfill(backend: DbBackend) -> [String; 2] {
    let nil = match backend {
        DbBackend::Postgres => "'00000000-0000-0000-0000-000000000000'::uuid",
        _ => "zeroblob(16)",
    };
    [
        format!(
            "INSERT INTO {TABLE} (tenant_id, variant_id, location_id, valid_from, price) \
             SELECT tenant_id, id, {nil}, created_at, base_price FROM variants"
        ),
        format!(
            "INSERT INTO {TABLE} (tenant_id, variant_id, location_id, valid_from, price) \
             SELECT tenant_id, variant_id, location_id, updated_at, price FROM location_prices"
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(tenant_table(
                TABLE,
                &["variant_id", "location_id", "valid_from"],
                vec![
                    uuid(c("variant_id")),
                    uuid(c("location_id")),
                    timestamp(c("valid_from")),
                    ColumnDef::new(c("price")).big_integer().null().to_owned(),
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_price_history_variant",
                c(TABLE),
                &["tenant_id", "variant_id", "valid_from"],
                false,
            ))
            .await?;
        // Every tenant's rows, read as the tables' owner: RLS is not forced
        // for the length of the migration's transaction.
        let sources = ["variants", "location_prices"];
        set_forced(manager, &sources, false).await?;
        for sql in backfill(manager.get_database_backend()) {
            manager.get_connection().execute_unprepared(&sql).await?;
        }
        set_forced(manager, &sources, true).await?;
        // UPDATE only for two writes in the same microsecond: the later wins.
        protect_tenant_table(manager, TABLE, "tenant_id", "SELECT, INSERT, UPDATE").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(c(TABLE)).to_owned())
            .await
    }
}

//! Stock: an append-only ledger of movements per variant and location,
//! the levels derived from it, and transfers between locations.
//!
//! - `stock_movements` is the ledger. Quantities are signed thousandths
//!   of the variant's unit (as sale quantities). Each movement names its
//!   source (a sale, refund, void, receipt, adjustment, transfer or
//!   count) and line, unique per kind, so a repeat adds nothing.
//! - `stock_levels` holds, per variant and location, the sum of the
//!   ledger (`on_hand`), what is on its way there (`in_transit`), the
//!   moving-average unit cost, and the low-stock threshold. It is written
//!   in the same transaction as the movements; `reconcile` checks it.
//! - `stock_transfers` and their lines: sent (in transit) until received.

use sea_orm_migration::prelude::*;

use crate::columns::{
    big, big_null, boolean, date, index, int, tenant_table, text, text_null, timestamp,
    timestamp_null, uuid, uuid_null,
};
use crate::rls::protect_tenant_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn c(name: &'static str) -> Alias {
    Alias::new(name)
}

fn tables() -> Vec<TableCreateStatement> {
    vec![
        tenant_table(
            "stock_movements",
            &["id"],
            vec![
                uuid(c("id")),
                uuid(c("location_id")),
                uuid(c("variant_id")),
                text(c("kind"), 16),
                big(c("quantity")),
                timestamp(c("at")),
                date(c("business_date")),
                timestamp(c("recorded_at")),
                uuid(c("source_id")),
                int(c("line_no")),
                text_null(c("reason"), 32),
                text_null(c("note"), 200),
                big_null(c("unit_cost")),
                text_null(c("supplier_reference"), 100),
                big_null(c("counted")),
                uuid_null(c("terminal_id")),
                uuid_null(c("transfer_id")),
                text_null(c("recorded_by"), 200),
            ],
        ),
        tenant_table(
            "stock_levels",
            &["location_id", "variant_id"],
            vec![
                uuid(c("location_id")),
                uuid(c("variant_id")),
                big(c("on_hand")),
                big(c("in_transit")),
                big_null(c("average_cost")),
                big_null(c("low_threshold")),
                timestamp(c("updated_at")),
            ],
        ),
        tenant_table(
            "stock_transfers",
            &["id"],
            vec![
                uuid(c("id")),
                uuid(c("from_location_id")),
                uuid(c("to_location_id")),
                text(c("status"), 16),
                text_null(c("reference"), 100),
                timestamp(c("sent_at")),
                text(c("sent_by"), 200),
                timestamp_null(c("received_at")),
                text_null(c("received_by"), 200),
            ],
        ),
        tenant_table(
            "stock_transfer_lines",
            &["transfer_id", "line_no"],
            vec![
                uuid(c("transfer_id")),
                int(c("line_no")),
                uuid(c("variant_id")),
                big(c("quantity")),
            ],
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(c("variants"))
                    .add_column(boolean(c("track_stock")).default(false).to_owned())
                    .to_owned(),
            )
            .await?;
        for table in tables() {
            manager.create_table(table).await?;
        }
        for (name, table, cols, unique) in [
            (
                "ux_stock_movements_source",
                "stock_movements",
                &["tenant_id", "source_id", "kind", "line_no", "variant_id"][..],
                true,
            ),
            (
                "ix_stock_movements_place",
                "stock_movements",
                &["tenant_id", "location_id", "variant_id", "recorded_at"][..],
                false,
            ),
            (
                "ix_stock_movements_day",
                "stock_movements",
                &["tenant_id", "business_date", "location_id"][..],
                false,
            ),
            (
                "ix_stock_transfers_to",
                "stock_transfers",
                &["tenant_id", "to_location_id", "status"][..],
                false,
            ),
        ] {
            manager
                .create_index(index(name, c(table), cols, unique))
                .await?;
        }
        for (table, privileges) in [
            ("stock_movements", "SELECT, INSERT"),
            ("stock_levels", "SELECT, INSERT, UPDATE"),
            ("stock_transfers", "SELECT, INSERT, UPDATE"),
            ("stock_transfer_lines", "SELECT, INSERT"),
        ] {
            protect_tenant_table(manager, table, "tenant_id", privileges).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "stock_transfer_lines",
            "stock_transfers",
            "stock_levels",
            "stock_movements",
        ] {
            manager
                .drop_table(Table::drop().table(c(table)).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(c("variants"))
                    .drop_column(c("track_stock"))
                    .to_owned(),
            )
            .await
    }
}

//! The sales ledger and the terminal event log.
//!
//! Sale lines keep their variant's id without a foreign key to `variants`:
//! every line of every terminal points at the same few hundred popular
//! variants, and a foreign key makes each insert take a share lock on that
//! variant's row, which concurrent transactions then share as a multixact.
//! The apply path reads the variant in the same transaction, and variants
//! are archived, never deleted, so the reference cannot dangle.
//!
//! Ledger tables (sales and their lines, taxes and tenders, refunds, voids,
//! receipts, anomalies) are granted SELECT and INSERT only: the app role
//! cannot update or delete a ledger row, whatever the code does. Tax rates
//! gain a validity window, so a sale is taxed with the rates in force when
//! it was made.

use sea_orm_migration::prelude::*;

use crate::columns::{
    big, big_null, boolean, date, fk, index, int, int_null, long_text, tenant_table, text,
    text_null, timestamp, timestamp_null, uuid, uuid_null,
};
use crate::rls::protect_tenant_table;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn c(name: &'static str) -> Alias {
    Alias::new(name)
}

fn record_header() -> Vec<ColumnDef> {
    vec![
        uuid(c("id")),
        uuid(c("terminal_id")),
        uuid(c("location_id")),
        text(c("cashier"), 200),
        big(c("sequence")),
        big(c("position")),
        text(c("receipt_number"), 64),
        timestamp(c("created_at")),
        timestamp(c("received_at")),
        date(c("business_date")),
    ]
}

fn tables() -> Vec<TableCreateStatement> {
    let mut sales = record_header();
    sales.extend([
        text(c("currency"), 3),
        boolean(c("prices_include_tax")),
        text(c("rounding_mode"), 16),
        text(c("rounding_level"), 16),
        big(c("list_total")),
        big(c("discount_total")),
        big(c("net_total")),
        big(c("tax_total")),
        big(c("total")),
        big(c("tendered")),
        big(c("change")),
        big_null(c("terminal_total")),
        big_null(c("terminal_tax")),
    ]);
    let mut refunds = record_header();
    refunds.extend([
        uuid_null(c("sale_id")),
        text(c("currency"), 3),
        boolean(c("without_receipt")),
        text_null(c("reason"), 500),
        big(c("discount_total")),
        big(c("net_total")),
        big(c("tax_total")),
        big(c("total")),
    ]);
    let mut voids = record_header();
    voids.extend([
        uuid(c("sale_id")),
        text_null(c("reason"), 500),
        big(c("total")),
    ]);
    let terminal_fk = |table: &'static str| {
        fk(
            &format!("fk_{table}_terminal"),
            c(table),
            (c("tenant_id"), c("terminal_id")),
            c("terminals"),
            (c("tenant_id"), c("id")),
        )
    };
    vec![
        tenant_table(
            "terminal_ledgers",
            &["terminal_id"],
            vec![
                uuid(c("terminal_id")),
                big(c("last_position")),
                text(c("last_hash"), 64),
                big(c("applied_through")),
                timestamp(c("updated_at")),
            ],
        )
        .foreign_key(&mut terminal_fk("terminal_ledgers"))
        .to_owned(),
        tenant_table(
            "sync_events",
            &["terminal_id", "sequence"],
            vec![
                uuid(c("terminal_id")),
                big(c("sequence")),
                text(c("kind"), 8),
                long_text(c("payload")),
                text(c("payload_hash"), 64),
                timestamp(c("created_at")),
                timestamp(c("received_at")),
                text(c("status"), 16),
                text_null(c("code"), 64),
                text_null(c("message"), 500),
                uuid_null(c("record_id")),
                timestamp_null(c("settled_at")),
            ],
        )
        .foreign_key(&mut terminal_fk("sync_events"))
        .to_owned(),
        tenant_table(
            "receipts",
            &["terminal_id", "position"],
            vec![
                uuid(c("terminal_id")),
                big(c("position")),
                text(c("kind"), 8),
                uuid(c("record_id")),
                text(c("number"), 64),
                date(c("business_date")),
                text(c("prev_hash"), 64),
                text(c("hash"), 64),
            ],
        )
        .foreign_key(&mut terminal_fk("receipts"))
        .to_owned(),
        tenant_table("sales", &["id"], sales)
            .foreign_key(&mut terminal_fk("sales"))
            .to_owned(),
        tenant_table(
            "sale_lines",
            &["sale_id", "line_no"],
            vec![
                uuid(c("sale_id")),
                int(c("line_no")),
                uuid(c("variant_id")),
                uuid(c("product_id")),
                uuid(c("tax_group_id")),
                text(c("sku"), 64),
                text(c("name"), 401),
                text_null(c("barcode"), 64),
                text(c("unit"), 8),
                big(c("quantity_milli")),
                big(c("list_price")),
                big(c("unit_price")),
                long_text(c("rule_ids")),
                big(c("list_amount")),
                big(c("discount")),
                big(c("amount")),
                big(c("net")),
                big(c("tax")),
                big(c("gross")),
            ],
        )
        .foreign_key(&mut fk(
            "fk_sale_lines_sale",
            c("sale_lines"),
            (c("tenant_id"), c("sale_id")),
            c("sales"),
            (c("tenant_id"), c("id")),
        ))
        .to_owned(),
        tenant_table(
            "line_taxes",
            &["record_id", "line_no", "position"],
            vec![
                uuid(c("record_id")),
                int(c("line_no")),
                int(c("position")),
                uuid(c("tax_rate_id")),
                text(c("name"), 100),
                big(c("rate_ppm")),
                big(c("amount")),
            ],
        ),
        tenant_table(
            "tenders",
            &["record_id", "position"],
            vec![
                uuid(c("record_id")),
                int(c("position")),
                text(c("method"), 16),
                big(c("amount")),
                big(c("change")),
                text_null(c("card_brand"), 32),
                text_null(c("card_last4"), 4),
                text_null(c("auth_reference"), 64),
                text_null(c("reference"), 64),
            ],
        ),
        tenant_table("refunds", &["id"], refunds)
            .foreign_key(&mut terminal_fk("refunds"))
            .to_owned(),
        tenant_table(
            "refund_lines",
            &["refund_id", "line_no"],
            vec![
                uuid(c("refund_id")),
                int(c("line_no")),
                uuid_null(c("sale_id")),
                int_null(c("sale_line_no")),
                uuid(c("variant_id")),
                uuid(c("tax_group_id")),
                text(c("sku"), 64),
                text(c("name"), 401),
                text(c("unit"), 8),
                big(c("quantity_milli")),
                big(c("unit_price")),
                big(c("discount")),
                big(c("net")),
                big(c("tax")),
                big(c("gross")),
            ],
        )
        .foreign_key(&mut fk(
            "fk_refund_lines_refund",
            c("refund_lines"),
            (c("tenant_id"), c("refund_id")),
            c("refunds"),
            (c("tenant_id"), c("id")),
        ))
        .to_owned(),
        tenant_table("sale_voids", &["id"], voids)
            .foreign_key(&mut terminal_fk("sale_voids"))
            .foreign_key(&mut fk(
                "fk_sale_voids_sale",
                c("sale_voids"),
                (c("tenant_id"), c("sale_id")),
                c("sales"),
                (c("tenant_id"), c("id")),
            ))
            .to_owned(),
        tenant_table(
            "sale_states",
            &["sale_id"],
            vec![
                uuid(c("sale_id")),
                int(c("refund_count")),
                boolean(c("voided")),
            ],
        )
        .foreign_key(&mut fk(
            "fk_sale_states_sale",
            c("sale_states"),
            (c("tenant_id"), c("sale_id")),
            c("sales"),
            (c("tenant_id"), c("id")),
        ))
        .to_owned(),
        tenant_table(
            "ledger_anomalies",
            &["id"],
            vec![
                uuid(c("id")),
                uuid(c("record_id")),
                uuid(c("terminal_id")),
                text(c("kind"), 32),
                int_null(c("line_no")),
                big(c("expected")),
                big(c("reported")),
                timestamp(c("created_at")),
            ],
        ),
    ]
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        index(
            "ux_receipts_tenant_number",
            c("receipts"),
            &["tenant_id", "number"],
            true,
        ),
        index(
            "ix_receipts_tenant_terminal_date",
            c("receipts"),
            &["tenant_id", "terminal_id", "business_date"],
            false,
        ),
        index(
            "ux_sales_tenant_terminal_position",
            c("sales"),
            &["tenant_id", "terminal_id", "position"],
            true,
        ),
        index(
            "ix_sales_tenant_date",
            c("sales"),
            &["tenant_id", "business_date"],
            false,
        ),
        index(
            "ix_sales_tenant_location_date",
            c("sales"),
            &["tenant_id", "location_id", "business_date"],
            false,
        ),
        index(
            "ix_sales_tenant_receipt",
            c("sales"),
            &["tenant_id", "receipt_number"],
            false,
        ),
        index(
            "ux_refunds_tenant_terminal_position",
            c("refunds"),
            &["tenant_id", "terminal_id", "position"],
            true,
        ),
        index(
            "ix_refunds_tenant_sale",
            c("refunds"),
            &["tenant_id", "sale_id"],
            false,
        ),
        index(
            "ix_refund_lines_tenant_sale",
            c("refund_lines"),
            &["tenant_id", "sale_id", "sale_line_no"],
            false,
        ),
        index(
            "ux_sale_voids_tenant_sale",
            c("sale_voids"),
            &["tenant_id", "sale_id"],
            true,
        ),
        index(
            "ux_sale_voids_tenant_terminal_position",
            c("sale_voids"),
            &["tenant_id", "terminal_id", "position"],
            true,
        ),
        index(
            "ix_ledger_anomalies_tenant_record",
            c("ledger_anomalies"),
            &["tenant_id", "record_id"],
            false,
        ),
        index(
            "ix_sync_events_tenant_record",
            c("sync_events"),
            &["tenant_id", "record_id"],
            false,
        ),
        index(
            "ix_sync_events_tenant_status",
            c("sync_events"),
            &["tenant_id", "status"],
            false,
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["valid_from", "valid_until"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(c("tax_rates"))
                        .add_column(timestamp_null(c(column)))
                        .to_owned(),
                )
                .await?;
        }
        for table in tables() {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        let append_only = "SELECT, INSERT";
        for (table, privileges) in [
            ("terminal_ledgers", "SELECT, INSERT, UPDATE"),
            ("sync_events", "SELECT, INSERT, UPDATE"),
            ("receipts", append_only),
            ("sales", append_only),
            ("sale_lines", append_only),
            ("line_taxes", append_only),
            ("tenders", append_only),
            ("refunds", append_only),
            ("refund_lines", append_only),
            ("sale_voids", append_only),
            ("ledger_anomalies", append_only),
            ("sale_states", "SELECT, INSERT, UPDATE"),
        ] {
            protect_tenant_table(manager, table, "tenant_id", privileges).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            "sale_states",
            "ledger_anomalies",
            "sale_voids",
            "refund_lines",
            "refunds",
            "tenders",
            "line_taxes",
            "sale_lines",
            "sales",
            "receipts",
            "sync_events",
            "terminal_ledgers",
        ] {
            manager
                .drop_table(Table::drop().table(c(table)).to_owned())
                .await?;
        }
        for column in ["valid_until", "valid_from"] {
            manager
                .alter_table(
                    Table::alter()
                        .table(c("tax_rates"))
                        .drop_column(c(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

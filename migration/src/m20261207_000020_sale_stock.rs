//! SALE stock movements are read from the sales ledger instead of being
//! copied into `stock_movements`.
//!
//! A sale line of a variant that tracks stock is itself the SALE
//! movement: `sale_lines.stock_movement_id` is set (a time-ordered id,
//! as a movement's) when the line moved stock, and null when it did not.
//! The sale gives the location, instant, business date and terminal. A
//! partial index lists just those lines, in the order they were recorded.
//!
//! The SALE rows already in `stock_movements` become their lines' ids and
//! are then removed; down puts them back.

use sea_orm_migration::prelude::*;

use crate::columns::uuid_null;
use crate::rls::set_forced;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn c(name: &'static str) -> Alias {
    Alias::new(name)
}

const SAME_LINE: &str = "m.tenant_id = sale_lines.tenant_id AND m.kind = 'SALE' \
    AND m.source_id = sale_lines.sale_id AND m.line_no = sale_lines.line_no";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(c("sale_lines"))
                    .add_column(uuid_null(c("stock_movement_id")))
                    .to_owned(),
            )
            .await?;
        let conn = manager.get_connection();
        conn.execute_unprepared(
            "CREATE INDEX ix_sale_lines_stock ON sale_lines (tenant_id, stock_movement_id) \
             WHERE stock_movement_id IS NOT NULL",
        )
        .await?;
        let tables = ["sale_lines", "stock_movements"];
        set_forced(manager, &tables, false).await?;
        conn.execute_unprepared(&format!(
            "UPDATE sale_lines SET stock_movement_id = \
               (SELECT m.id FROM stock_movements m WHERE {SAME_LINE}) \
             WHERE EXISTS (SELECT 1 FROM stock_movements m WHERE {SAME_LINE})"
        ))
        .await?;
        conn.execute_unprepared("DELETE FROM stock_movements WHERE kind = 'SALE'")
            .await?;
        set_forced(manager, &tables, true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let conn = manager.get_connection();
        let tables = ["sale_lines", "sales", "stock_movements"];
        set_forced(manager, &tables, false).await?;
        conn.execute_unprepared(
            "INSERT INTO stock_movements (tenant_id, id, location_id, variant_id, kind, quantity, \
               at, business_date, recorded_at, source_id, line_no, terminal_id) \
             SELECT l.tenant_id, l.stock_movement_id, s.location_id, l.variant_id, 'SALE', \
               -l.quantity_milli, s.created_at, s.business_date, s.received_at, s.id, l.line_no, \
               s.terminal_id \
             FROM sale_lines l JOIN sales s ON s.tenant_id = l.tenant_id AND s.id = l.sale_id \
             WHERE l.stock_movement_id IS NOT NULL",
        )
        .await?;
        set_forced(manager, &tables, true).await?;
        conn.execute_unprepared("DROP INDEX ix_sale_lines_stock")
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(c("sale_lines"))
                    .drop_column(c("stock_movement_id"))
                    .to_owned(),
            )
            .await
    }
}

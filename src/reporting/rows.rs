//! Stored rollup rows as cells, and the names of their measures, for
//! `reconcile` to compare with what the ledger gives.

use entity::{report_item, report_sale, report_tender};
use uuid::Uuid;

use super::rollup::{Cell, Rollups};

fn cell(location: Uuid, terminal: Uuid, date: chrono::NaiveDate, hour: i32) -> Cell {
    Cell {
        location,
        terminal,
        date,
        hour,
    }
}

/// Field names of each rollup's measures, in cell order.
pub const SALE_FIELDS: [&str; 14] = [
    "sales_count",
    "list_total",
    "discount_total",
    "net_total",
    "tax_total",
    "total",
    "quantity_milli",
    "refund_count",
    "refund_net",
    "refund_tax",
    "refund_total",
    "refunded_milli",
    "void_count",
    "void_total",
];
pub const ITEM_FIELDS: [&str; 15] = [
    "list_amount",
    "discount",
    "net",
    "tax",
    "gross",
    "quantity_milli",
    "refund_net",
    "refund_tax",
    "refund_gross",
    "refunded_milli",
    "void_gross",
    "sales_variant",
    "sales_product",
    "sales_tax_group",
    "sales_product_tax_group",
];
pub const TENDER_FIELDS: [&str; 6] = [
    "sales_count",
    "amount",
    "refund_count",
    "refund_amount",
    "void_count",
    "void_amount",
];

impl Rollups {
    /// The stored rows, as deltas from nothing.
    pub fn from_rows(
        sales: &[report_sale::Model],
        items: &[report_item::Model],
        tenders: &[report_tender::Model],
    ) -> Self {
        let mut me = Rollups::default();
        for r in sales {
            let cell = cell(r.location_id, r.terminal_id, r.business_date, r.hour);
            me.sales.insert(
                cell,
                [
                    r.sales_count,
                    r.list_total,
                    r.discount_total,
                    r.net_total,
                    r.tax_total,
                    r.total,
                    r.quantity_milli,
                    r.refund_count,
                    r.refund_net,
                    r.refund_tax,
                    r.refund_total,
                    r.refunded_milli,
                    r.void_count,
                    r.void_total,
                ],
            );
        }
        for r in items {
            let cell = cell(r.location_id, r.terminal_id, r.business_date, r.hour);
            me.items.insert(
                (cell, r.variant_id, r.tax_group_id),
                (
                    r.product_id,
                    [
                        r.list_amount,
                        r.discount,
                        r.net,
                        r.tax,
                        r.gross,
                        r.quantity_milli,
                        r.refund_net,
                        r.refund_tax,
                        r.refund_gross,
                        r.refunded_milli,
                        r.void_gross,
                        r.sales_variant,
                        r.sales_product,
                        r.sales_tax_group,
                        r.sales_product_tax_group,
                    ],
                ),
            );
        }
        for r in tenders {
            let cell = cell(r.location_id, r.terminal_id, r.business_date, r.hour);
            me.tenders.insert(
                (cell, r.method.clone()),
                [
                    r.sales_count,
                    r.amount,
                    r.refund_count,
                    r.refund_amount,
                    r.void_count,
                    r.void_amount,
                ],
            );
        }
        me
    }
}

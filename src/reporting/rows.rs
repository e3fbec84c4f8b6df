//! Stored rollup rows as cells, and the names of their measures, for
//! `reconcile` to compare with what the ledger gives.

use entity::{
    report_item, report_item_monthly, report_sale, report_sale_daily, report_tender,
    report_tender_daily,
};
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

/// A stored row's measures, in cell order (the fine and coarse tables
/// share the measure columns).
macro_rules! sale_measures {
    ($r:expr) => {
        [
            $r.sales_count,
            $r.list_total,
            $r.discount_total,
            $r.net_total,
            $r.tax_total,
            $r.total,
            $r.quantity_milli,
            $r.refund_count,
            $r.refund_net,
            $r.refund_tax,
            $r.refund_total,
            $r.refunded_milli,
            $r.void_count,
            $r.void_total,
        ]
    };
}

macro_rules! item_measures {
    ($r:expr) => {
        [
            $r.list_amount,
            $r.discount,
            $r.net,
            $r.tax,
            $r.gross,
            $r.quantity_milli,
            $r.refund_net,
            $r.refund_tax,
            $r.refund_gross,
            $r.refunded_milli,
            $r.void_gross,
            $r.sales_variant,
            $r.sales_product,
            $r.sales_tax_group,
            $r.sales_product_tax_group,
        ]
    };
}

macro_rules! tender_measures {
    ($r:expr) => {
        [
            $r.sales_count,
            $r.amount,
            $r.refund_count,
            $r.refund_amount,
            $r.void_count,
            $r.void_amount,
        ]
    };
}

impl Rollups {
    /// The stored fine rows, as deltas from nothing.
    pub fn from_rows(
        sales: &[report_sale::Model],
        items: &[report_item::Model],
        tenders: &[report_tender::Model],
    ) -> Self {
        let mut me = Rollups::default();
        for r in sales {
            let cell = cell(r.location_id, r.terminal_id, r.business_date, r.hour);
            me.sales.insert(cell, sale_measures!(r));
        }
        for r in items {
            let cell = cell(r.location_id, r.terminal_id, r.business_date, r.hour);
            me.items.insert(
                (cell, r.variant_id, r.tax_group_id),
                (r.product_id, item_measures!(r)),
            );
        }
        for r in tenders {
            let cell = cell(r.location_id, r.terminal_id, r.business_date, r.hour);
            me.tenders
                .insert((cell, r.method.clone()), tender_measures!(r));
        }
        me
    }

    /// The stored coarse rows, as [`Rollups::coarse`] gives them.
    pub fn from_coarse_rows(
        sales: &[report_sale_daily::Model],
        items: &[report_item_monthly::Model],
        tenders: &[report_tender_daily::Model],
    ) -> Self {
        let nil = Uuid::nil();
        let mut me = Rollups::default();
        for r in sales {
            me.sales.insert(
                cell(r.location_id, nil, r.business_date, 0),
                sale_measures!(r),
            );
        }
        for r in items {
            let cell = cell(r.location_id, nil, r.business_date, 0);
            me.items.insert(
                (cell, r.variant_id, r.tax_group_id),
                (r.product_id, item_measures!(r)),
            );
        }
        for r in tenders {
            let cell = cell(r.location_id, nil, r.business_date, 0);
            me.tenders
                .insert((cell, r.method.clone()), tender_measures!(r));
        }
        me
    }
}

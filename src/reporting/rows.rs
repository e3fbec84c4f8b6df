//! Stored rollup rows as cells, and the names of their measures, for
//! `reconcile` to compare with what the ledger gives.

use entity::{report_item, report_sale, report_tax, report_tender};
use uuid::Uuid;

use crate::sales::rollup::{Cell, Rollups};

fn cell(location: Uuid, terminal: Uuid, date: chrono::NaiveDate, hour: i32) -> Cell {
    Cell {
        location,
        terminal,
        date,
        hour,
    }
}

/// Field names of each rollup's measures, in cell order.
pub use migration::{
    ITEM_MEASURES as ITEM_FIELDS, SALE_MEASURES as SALE_FIELDS, TAX_MEASURES as TAX_FIELDS,
    TENDER_MEASURES as TENDER_FIELDS,
};

/// A stored row's sale measures (of `report_sales` or a month of it), in
/// cell order.
macro_rules! sale_cell {
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

/// A stored row's product and item measures, in cell order.
macro_rules! item_cell {
    ($r:expr) => {
        (
            $r.product_id,
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
            ],
        )
    };
}

/// A stored row's tender measures, in cell order.
macro_rules! tender_cell {
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

/// A stored row's tax measures, in cell order.
macro_rules! tax_cell {
    ($r:expr) => {
        [
            $r.taxable,
            $r.tax,
            $r.refund_taxable,
            $r.refund_tax,
            $r.void_taxable,
            $r.void_tax,
        ]
    };
}

pub(super) use {item_cell, sale_cell, tax_cell, tender_cell};

impl Rollups {
    /// The stored rows, as deltas from nothing.
    pub fn from_rows(
        sales: &[report_sale::Model],
        items: &[report_item::Model],
        tenders: &[report_tender::Model],
        taxes: &[report_tax::Model],
    ) -> Self {
        let mut me = Rollups::default();
        for r in sales {
            let cell = cell(r.location_id, r.terminal_id, r.business_date, r.hour);
            me.sales.insert(cell, sale_cell!(r));
        }
        for r in items {
            let cell = cell(r.location_id, r.terminal_id, r.business_date, r.hour);
            me.items
                .insert((cell, r.variant_id, r.tax_group_id), item_cell!(r));
        }
        for r in tenders {
            let cell = cell(r.location_id, r.terminal_id, r.business_date, r.hour);
            me.tenders.insert((cell, r.method.clone()), tender_cell!(r));
        }
        for r in taxes {
            let cell = cell(r.location_id, r.terminal_id, r.business_date, r.hour);
            me.taxes.insert(
                (cell, r.tax_rate_id),
                (r.name.clone(), r.rate_ppm, tax_cell!(r)),
            );
        }
        me
    }
}

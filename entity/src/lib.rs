//! SeaORM entities, one file per table.
//!
//! Storage shapes only: GraphQL types live beside their services in the
//! server crate, so a new column never leaks into the API by accident.
//!
//! Every tenant-owned table carries `tenant_id`, and its primary key, unique
//! keys and foreign keys all include it (docs/architecture.md,
//! "Tenancy in keys").

pub mod attribute_definition;
pub mod attribute_value;
pub mod audit_entry;
pub mod barcode;
pub mod cash_movement;
pub mod catalog_change;
pub mod catalog_version;
pub mod enums;
pub mod ledger_anomaly;
pub mod line_tax;
pub mod location;
pub mod location_price;
pub mod price_history;
pub mod pricing_rule;
pub mod product;
pub mod receipt;
pub mod refund;
pub mod refund_line;
pub mod report_item;
pub mod report_item_monthly;
pub mod report_item_monthly_all;
pub mod report_item_pending;
pub mod report_product_monthly_all;
pub mod report_sale;
pub mod report_sale_daily;
pub mod report_sale_monthly;
pub mod report_tax;
pub mod report_tax_daily;
pub mod report_tax_monthly;
pub mod report_tender;
pub mod report_tender_daily;
pub mod report_tender_monthly;
pub mod sale;
pub mod sale_line;
pub mod sale_state;
pub mod sale_void;
pub mod scale_format;
pub mod shift;
pub mod stock_feed;
pub mod stock_level;
pub mod stock_movement;
pub mod stock_transfer;
pub mod stock_transfer_line;
pub mod sync_event;
pub mod sync_issue;
pub mod tax_group;
pub mod tax_rate;
pub mod tenant;
pub mod tender;
pub mod terminal;
pub mod terminal_ledger;
pub mod variant;

use sea_orm::EntityTrait;

/// An entity whose rows belong to exactly one tenant.
///
/// The server's tenant scope uses this to filter every read and stamp every
/// write with the session's tenant, so no query needs to remember it.
pub trait TenantOwned: EntityTrait {
    /// The column holding the owning tenant's id.
    fn tenant_column() -> Self::Column;
}

impl TenantOwned for tenant::Entity {
    fn tenant_column() -> Self::Column {
        tenant::Column::Id
    }
}

macro_rules! tenant_owned {
    ($($table:ident),* $(,)?) => {$(
        impl TenantOwned for $table::Entity {
            fn tenant_column() -> Self::Column {
                $table::Column::TenantId
            }
        }
    )*};
}

tenant_owned!(
    attribute_definition,
    attribute_value,
    audit_entry,
    barcode,
    cash_movement,
    catalog_change,
    catalog_version,
    ledger_anomaly,
    line_tax,
    location,
    location_price,
    price_history,
    pricing_rule,
    product,
    receipt,
    refund,
    refund_line,
    report_item,
    report_item_monthly,
    report_item_monthly_all,
    report_item_pending,
    report_product_monthly_all,
    report_sale,
    report_sale_daily,
    report_sale_monthly,
    report_tax,
    report_tax_daily,
    report_tax_monthly,
    report_tender,
    report_tender_daily,
    report_tender_monthly,
    sale,
    sale_line,
    sale_state,
    sale_void,
    scale_format,
    shift,
    stock_feed,
    stock_level,
    stock_movement,
    stock_transfer,
    stock_transfer_line,
    sync_event,
    sync_issue,
    tax_group,
    tax_rate,
    tender,
    terminal,
    terminal_ledger,
    variant,
);

//! What goes where: which entity an `ID` argument names, which strings are
//! tenant data (barcodes, SKUs, codes, names), and valid values for the
//! rest, so that probes reach the lookups instead of stopping at input
//! validation.
//!
//! A new argument of type `ID` that [`id_kind`] cannot place fails the
//! probe suite until it is taught here.

use chrono::Utc;
use serde_json::{Map, Value, json};

use super::schema::Site;

/// A place in a probe's arguments: an entity or tenant datum of `kind`.
/// `fresh` places take a new value in the baseline (a new SKU, a client
/// generated sale id); the others take the prober's own (tenant A's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub kind: String,
    pub fresh: bool,
}

impl Place {
    pub fn parse(s: &str) -> Option<Self> {
        let (fresh, kind) = if let Some(k) = s.strip_prefix("$A:") {
            (false, k)
        } else {
            (true, s.strip_prefix("$new:")?)
        };
        Some(Self {
            kind: kind.to_owned(),
            fresh,
        })
    }
}

fn own(kind: &str) -> Value {
    Value::String(format!("$A:{kind}"))
}

fn new(kind: &str) -> Value {
    Value::String(format!("$new:{kind}"))
}

pub fn has_place(v: &Value) -> bool {
    match v {
        Value::String(s) => Place::parse(s).is_some(),
        Value::Array(items) => items.iter().any(has_place),
        Value::Object(map) => map.values().any(has_place),
        _ => false,
    }
}

/// The entity a root field's `id` argument names, from the field's name
/// (`archiveTaxGroup` → `TaxGroup`).
fn entity_of_field(field: &str) -> Option<&'static str> {
    let stem = ["update", "archive", "revoke", "receive"]
        .iter()
        .find_map(|verb| field.strip_prefix(verb))
        .unwrap_or(field);
    let kind = match stem.to_ascii_lowercase().as_str() {
        "location" => "Location",
        "terminal" => "Terminal",
        "product" => "Product",
        "variant" => "Variant",
        "taxgroup" => "TaxGroup",
        "pricingrule" => "PricingRule",
        "attributedefinition" => "AttributeDefinition",
        "sale" => "Sale",
        "refund" => "Refund",
        "stocktransfer" => "StockTransfer",
        _ => return None,
    };
    Some(kind)
}

/// The place of an `ID` value, or `None` when the suite does not know
/// what it names.
pub fn id_kind(at: &Site) -> Option<Value> {
    Some(match (at.parent, at.name) {
        (_, "locationId" | "locationIds" | "locations") => own("Location"),
        (_, "fromLocationId") => own("Location"),
        (_, "toLocationId") => own("Depot"),
        // A stock movement's source: here, a transfer.
        (None, "sourceId") => own("StockTransfer"),
        (_, "terminalId" | "terminalIds" | "terminals") => own("Terminal"),
        (_, "productId" | "products") => own("Product"),
        (_, "variantId" | "toVariantId") => own("Variant"),
        (_, "taxGroupId") => own("TaxGroup"),
        (_, "tenantId") => own("Tenant"),
        (Some("PricingRuleInput"), "targetId") => own("Variant"),
        // Ids a terminal generates for what it records: another tenant's
        // must be as free to use as one nobody has.
        (Some("SalePayloadInput"), "saleId") => new("Sale"),
        (Some("RefundPayloadInput"), "refundId") => new("Refund"),
        (Some("VoidPayloadInput"), "voidId") => new("Void"),
        (_, "saleId") => own("Sale"),
        (_, "refundId") => own("Refund"),
        (None, "id") => own(entity_of_field(at.field)?),
        _ => return None,
    })
}

/// The place of a `String` that is tenant data, or `None` for free text.
fn string_kind(at: &Site) -> Option<Value> {
    let barcode_lookup = matches!(at.field, "moveBarcode" | "removeBarcode");
    Some(match (at.parent, at.name) {
        (None | Some("CatalogSearch" | "SaleLineInput"), "barcode") => own("Barcode"),
        (None, "code") if barcode_lookup => own("Barcode"),
        (None, "code") if at.field == "addBarcode" => new("Barcode"),
        (Some("BarcodeInput"), "code") => new("Barcode"),
        (Some("CreateLocationInput" | "UpdateLocationInput"), "code") => new("LocationCode"),
        (Some("CreateTerminalInput"), "code") => new("TerminalCode"),
        (Some("VariantDraft" | "UpdateVariantInput"), "sku") => new("Sku"),
        (Some("CatalogSearch"), "skuPrefix") => own("Sku"),
        (Some("CatalogSearch"), "search") => own("ProductName"),
        (Some("CatalogSearch"), "category") => own("Category"),
        (None, "search") => own("LocationName"),
        (Some("SalesFilter"), "receiptNumber") => own("ReceiptNumber"),
        (Some("CreateAttributeDefinitionInput"), "code") => new("AttributeCode"),
        (Some("AttributeFilter" | "AttributeValueInput"), "code") => own("AttributeCode"),
        (Some("CreateTaxGroupInput"), "name") => new("TaxGroupName"),
        _ => return None,
    })
}

/// Optional input fields that a valid input needs all the same (a rate
/// needs a percent or basis points).
pub fn always(parent: Option<&str>, name: &str) -> bool {
    matches!(
        (parent, name),
        (Some("TaxRateInput"), "percent") | (Some("AttributeValueInput"), "value")
    )
}

/// A valid value of a scalar type at `at`.
pub fn scalar(name: &str, at: &Site) -> Result<Value, String> {
    Ok(match name {
        "ID" => id_kind(at).ok_or_else(|| {
            format!("{at}: an ID the probe suite cannot place; teach probe::values::id_kind what it names")
        })?,
        "String" => string_kind(at).unwrap_or_else(|| json!(free_text(at.name))),
        "Int" => json!(match at.name {
            "first" => 50,
            "itemDigits" => 5,
            "basisPoints" => 1000,
            "ttlSeconds" => 3600,
            "priority" => 0,
            _ => 1,
        }),
        "Boolean" => json!(false),
        "Float" => json!(1.0),
        "Amount" => json!("100"),
        "Quantity" => json!("1"),
        "DateTime" => json!(Utc::now().to_rfc3339()),
        "NaiveDate" => json!(today()),
        other => return Err(format!("{at}: scalar {other} has no probe value")),
    })
}

fn free_text(name: &str) -> &'static str {
    match name {
        "timeZone" => "Europe/Amsterdam",
        "currency" => "EUR",
        "country" => "NL",
        "percent" | "value" => "5",
        "timeFrom" => "09:00",
        "timeUntil" => "17:00",
        "prefix" => "24",
        "cardLast4" => "4242",
        _ => "Probe",
    }
}

pub fn enum_value(name: &str, values: &[String]) -> String {
    let preferred = match name {
        "target" => "VARIANT",
        _ => "",
    };
    values
        .iter()
        .find(|v| *v == preferred)
        .or(values.first())
        .cloned()
        .unwrap_or_default()
}

pub fn today() -> String {
    Utc::now().date_naive().to_string()
}

/// A sale of one unit of the prober's variant, paid in cash.
fn sale() -> Value {
    json!({
        "saleId": new("Sale"),
        "lines": [{ "variantId": own("Variant"), "barcode": own("Barcode"), "quantity": "1" }],
        "tenders": [{ "method": "CASH", "amount": "100000" }],
    })
}

/// Whole argument sets for fields whose inputs must agree with each
/// other (tenders that cover a total, a rule's target and its id).
pub fn template(field: &str) -> Option<Map<String, Value>> {
    let args = match field {
        "recordSale" => json!({ "input": sale() }),
        // One unit of line 1 of the prober's big sale: 10.00 + 10 % tax.
        "refundSale" => json!({ "input": {
            "refundId": new("Refund"), "saleId": own("Sale"),
            "lines": [{ "saleLineNo": 1, "quantity": "1" }],
            "tenders": [{ "method": "CASH", "amount": "1100" }],
        } }),
        "voidSale" => json!({ "input": { "voidId": new("Void"), "saleId": own("VoidableSale") } }),
        "syncPush" => json!({ "events": [{
            "terminalId": own("Terminal"), "tenantId": own("Tenant"),
            "sequence": "$next_seq", "type": "SALE", "payload": { "sale": sale() },
            "createdAt": Utc::now().to_rfc3339(),
        }] }),
        "createPricingRule" | "updatePricingRule" => {
            let mut input = json!({
                "name": "Probe rule", "adjustment": "PERCENT_OFF", "value": "5",
                "target": "VARIANT", "targetId": own("Variant"), "locationId": own("Location"),
                "minQuantity": "100000",
            });
            let mut args = json!({ "input": input.take() });
            if field == "updatePricingRule" {
                args["id"] = own("PricingRule");
            }
            args
        }
        "salesReport" => json!({
            "from": today(), "to": today(),
            "groupBy": ["LOCATION", "TERMINAL", "PRODUCT", "VARIANT", "TAX_GROUP"],
            "filter": { "locations": [own("Location")], "terminals": [own("Terminal")], "products": [own("Product")] },
        }),
        _ => return None,
    };
    args.as_object().cloned()
}

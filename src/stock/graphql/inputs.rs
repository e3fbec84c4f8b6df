//! Input types of the stock mutations, and their conversion to the
//! service's documents.

use async_graphql::{Enum, ID, InputObject};

use crate::error::Result;
use crate::graphql::scalars::{Amount, Decimal3};
use crate::stock::documents::{self, Line, Reason};
use crate::stock::transfers::Shipment;
use crate::validate;

#[derive(Debug, Clone, InputObject)]
pub struct StockLineInput {
    pub variant_id: ID,
    /// Received, sent or counted; for an adjustment, signed (`"-2"`
    /// takes two off).
    pub quantity: Decimal3,
}

#[derive(Debug, Clone, InputObject)]
pub struct ReceiveStockLineInput {
    pub variant_id: ID,
    pub quantity: Decimal3,
    /// Per unit, in minor units; moves the average cost.
    pub unit_cost: Option<Amount>,
}

#[derive(Debug, Clone, InputObject)]
pub struct ReceiveStockInput {
    pub location_id: ID,
    /// The supplier's delivery note or invoice number.
    pub supplier_reference: Option<String>,
    pub note: Option<String>,
    pub lines: Vec<ReceiveStockLineInput>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum StockAdjustmentReason {
    Damage,
    Theft,
    Loss,
    Expired,
    CountCorrection,
    ReturnToSupplier,
    Other,
}

#[derive(Debug, Clone, InputObject)]
pub struct AdjustStockInput {
    pub location_id: ID,
    pub reason: StockAdjustmentReason,
    pub note: Option<String>,
    pub lines: Vec<StockLineInput>,
}

#[derive(Debug, Clone, InputObject)]
pub struct CountStockInput {
    pub location_id: ID,
    pub note: Option<String>,
    /// The quantity counted of each variant.
    pub lines: Vec<StockLineInput>,
}

#[derive(Debug, Clone, InputObject)]
pub struct SendStockTransferInput {
    pub from_location_id: ID,
    pub to_location_id: ID,
    pub reference: Option<String>,
    pub lines: Vec<StockLineInput>,
}

fn lines(input: &[StockLineInput]) -> Result<Vec<Line>> {
    input
        .iter()
        .enumerate()
        .map(|(i, l)| {
            Ok(Line {
                variant: validate::id(&format!("lines.{i}.variantId"), &l.variant_id)?,
                quantity: l.quantity.0.milli(),
                unit_cost: None,
            })
        })
        .collect()
}

impl ReceiveStockInput {
    pub fn document(self) -> Result<documents::Receipt> {
        let lines = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                Ok(Line {
                    variant: validate::id(&format!("lines.{i}.variantId"), &l.variant_id)?,
                    quantity: l.quantity.0.milli(),
                    unit_cost: l.unit_cost.map(|c| c.0),
                })
            })
            .collect::<Result<_>>()?;
        Ok(documents::Receipt {
            location: validate::id("locationId", &self.location_id)?,
            supplier_reference: self.supplier_reference,
            note: self.note,
            lines,
        })
    }
}

impl AdjustStockInput {
    pub fn document(self) -> Result<documents::Adjustment> {
        Ok(documents::Adjustment {
            location: validate::id("locationId", &self.location_id)?,
            reason: match self.reason {
                StockAdjustmentReason::Damage => Reason::Damage,
                StockAdjustmentReason::Theft => Reason::Theft,
                StockAdjustmentReason::Loss => Reason::Loss,
                StockAdjustmentReason::Expired => Reason::Expired,
                StockAdjustmentReason::CountCorrection => Reason::CountCorrection,
                StockAdjustmentReason::ReturnToSupplier => Reason::ReturnToSupplier,
                StockAdjustmentReason::Other => Reason::Other,
            },
            note: self.note,
            lines: lines(&self.lines)?,
        })
    }
}

impl CountStockInput {
    pub fn document(self) -> Result<documents::Count> {
        Ok(documents::Count {
            location: validate::id("locationId", &self.location_id)?,
            note: self.note,
            lines: lines(&self.lines)?,
        })
    }
}

impl SendStockTransferInput {
    pub fn document(self) -> Result<Shipment> {
        Ok(Shipment {
            from: validate::id("fromLocationId", &self.from_location_id)?,
            to: validate::id("toLocationId", &self.to_location_id)?,
            reference: self.reference,
            lines: lines(&self.lines)?,
        })
    }
}

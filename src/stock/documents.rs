//! Back-office stock documents: goods received, adjustments, counts and
//! low-stock thresholds. Each checks all its lines before it writes, and
//! writes its movements and levels in one transaction.

use chrono::Utc;
use entity::{stock_level, stock_movement};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::ledger::{self, Detail, Kind, Movement};
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::money::{RoundingMode, div_round};
use crate::tenancy::{Db, TenantTx};
use crate::validate;

mod checks;

pub use self::checks::check_lines;

/// Lines per document.
pub const MAX_LINES: usize = 500;

/// Why stock was adjusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    Damage,
    Theft,
    Loss,
    Expired,
    CountCorrection,
    ReturnToSupplier,
    Other,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Damage => "DAMAGE",
            Reason::Theft => "THEFT",
            Reason::Loss => "LOSS",
            Reason::Expired => "EXPIRED",
            Reason::CountCorrection => "COUNT_CORRECTION",
            Reason::ReturnToSupplier => "RETURN_TO_SUPPLIER",
            Reason::Other => "OTHER",
        }
    }
}

/// One line of a document: a variant and a quantity in thousandths
/// (received, adjusted by, or counted), with a unit cost for receipts.
#[derive(Debug, Clone)]
pub struct Line {
    pub variant: Uuid,
    pub quantity: i64,
    pub unit_cost: Option<i64>,
}

/// Goods in at a location.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub location: Uuid,
    pub supplier_reference: Option<String>,
    pub note: Option<String>,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone)]
pub struct Adjustment {
    pub location: Uuid,
    pub reason: Reason,
    pub note: Option<String>,
    /// Signed, non-zero quantities.
    pub lines: Vec<Line>,
}

/// A stock take: each line's quantity is the level counted.
#[derive(Debug, Clone)]
pub struct Count {
    pub location: Uuid,
    pub note: Option<String>,
    pub lines: Vec<Line>,
}

fn text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>> {
    value.map(|v| validate::text(field, v, max)).transpose()
}

/// Writes a document's movements and commits; answers them in line
/// order.
async fn finish(
    tx: TenantTx,
    mut movements: ledger::Movements,
    source: Uuid,
) -> Result<Vec<stock_movement::Model>> {
    movements.flush(&tx).await?;
    let rows = tx
        .select::<stock_movement::Entity>()
        .filter(stock_movement::Column::SourceId.eq(source))
        .order_by_asc(stock_movement::Column::LineNo)
        .all(&tx)
        .await?;
    tx.commit().await?;
    Ok(rows)
}

/// Who recorded a movement, and on which terminal.
fn by(session: &Session) -> Detail {
    Detail {
        recorded_by: Some(session.subject.clone()),
        terminal: session.terminal,
        ..Default::default()
    }
}

/// Goods in, from the back office.
pub async fn receive(
    session: &Session,
    db: &Db,
    input: Receipt,
) -> Result<Vec<stock_movement::Model>> {
    let tx = db.write(session).await?;
    let source = Uuid::now_v7();
    let movements = receive_in(&tx, by(session), &input, source, Utc::now()).await?;
    finish(tx, movements, source).await
}

/// Goods in, inside `tx` (a back-office receipt, or a terminal's
/// STOCK_RECEIVE): checks every line, then moves the average costs and
/// answers the movements to write, as `source`. A line with a unit cost
/// moves its level's average cost: `(on hand × average + received × cost)
/// / (on hand + received)`, in minor units rounded half-even; where
/// nothing was on hand (or less than nothing), the cost is the average.
pub async fn receive_in(
    tx: &TenantTx,
    base: Detail,
    input: &Receipt,
    source: Uuid,
    at: chrono::DateTime<Utc>,
) -> Result<ledger::Movements> {
    check_lines(tx, (input.location, "locationId"), &input.lines, 1).await?;
    let supplier_reference = text(
        "supplierReference",
        input.supplier_reference.as_deref(),
        100,
    )?;
    let note = text("note", input.note.as_deref(), 200)?;
    let mut lines = input.lines.clone();
    lines.sort_by_key(|l| l.variant);
    for line in &lines {
        let level = ledger::lock(tx, input.location, line.variant).await?;
        let average = match (line.unit_cost, level.average_cost) {
            (Some(cost), Some(avg)) if level.on_hand > 0 => Some(div_round(
                i128::from(level.on_hand) * i128::from(avg)
                    + i128::from(line.quantity) * i128::from(cost),
                i128::from(level.on_hand + line.quantity),
                RoundingMode::HalfEven,
            ) as i64),
            (Some(cost), _) => Some(cost),
            (None, avg) => avg,
        };
        tx.update_many::<stock_level::Entity>()
            .col_expr(
                stock_level::Column::AverageCost,
                sea_orm::sea_query::Expr::value(average),
            )
            .filter(stock_level::Column::LocationId.eq(input.location))
            .filter(stock_level::Column::VariantId.eq(line.variant))
            .exec(tx)
            .await?;
    }
    let business_date = ledger::business_date(tx, input.location, at).await?;
    let mut movements = ledger::Movements::default();
    for (i, line) in input.lines.iter().enumerate() {
        movements.push(Movement {
            kind: Kind::Receive,
            location: input.location,
            variant: line.variant,
            quantity: line.quantity,
            at,
            business_date,
            source,
            line_no: i as i32 + 1,
            detail: Detail {
                unit_cost: line.unit_cost,
                supplier_reference: supplier_reference.clone(),
                note: note.clone(),
                ..base.clone()
            },
        });
    }
    Ok(movements)
}

/// A correction with a reason: each line adds its signed quantity.
pub async fn adjust(
    session: &Session,
    db: &Db,
    input: Adjustment,
) -> Result<Vec<stock_movement::Model>> {
    let tx = db.write(session).await?;
    check_lines(&tx, (input.location, "locationId"), &input.lines, -1).await?;
    let note = text("note", input.note.as_deref(), 200)?;
    let source = Uuid::now_v7();
    let now = Utc::now();
    let business_date = ledger::business_date(&tx, input.location, now).await?;
    let mut movements = ledger::Movements::default();
    for (i, line) in input.lines.iter().enumerate() {
        movements.push(Movement {
            kind: Kind::Adjust,
            location: input.location,
            variant: line.variant,
            quantity: line.quantity,
            at: now,
            business_date,
            source,
            line_no: i as i32 + 1,
            detail: Detail {
                reason: Some(input.reason.as_str().to_owned()),
                note: note.clone(),
                ..by(session)
            },
        });
    }
    finish(tx, movements, source).await
}

/// A stock take, from the back office.
pub async fn count(session: &Session, db: &Db, input: Count) -> Result<Vec<stock_movement::Model>> {
    let tx = db.write(session).await?;
    let source = Uuid::now_v7();
    let movements = count_in(&tx, by(session), &input, source, Utc::now()).await?;
    finish(tx, movements, source).await
}

/// A stock take inside `tx`: each line sets the level to what was
/// counted, and the difference from the level at that moment is the
/// movement (zero when the count agrees).
pub async fn count_in(
    tx: &TenantTx,
    base: Detail,
    input: &Count,
    source: Uuid,
    at: chrono::DateTime<Utc>,
) -> Result<ledger::Movements> {
    check_lines(tx, (input.location, "locationId"), &input.lines, 0).await?;
    let note = text("note", input.note.as_deref(), 200)?;
    let mut order: Vec<(usize, &Line)> = input.lines.iter().enumerate().collect();
    order.sort_by_key(|(_, l)| l.variant);
    let business_date = ledger::business_date(tx, input.location, at).await?;
    let mut movements = ledger::Movements::default();
    for (i, line) in order {
        let level = ledger::lock(tx, input.location, line.variant).await?;
        movements.push(Movement {
            kind: Kind::Count,
            location: input.location,
            variant: line.variant,
            quantity: line.quantity - level.on_hand,
            at,
            business_date,
            source,
            line_no: i as i32 + 1,
            detail: Detail {
                counted: Some(line.quantity),
                note: note.clone(),
                ..base.clone()
            },
        });
    }
    Ok(movements)
}

/// Sets (or, with `None`, clears) the level at or below which a variant
/// is low on stock at a location.
pub async fn set_threshold(
    session: &Session,
    db: &Db,
    location: Uuid,
    variant: Uuid,
    threshold: Option<i64>,
) -> Result<stock_level::Model> {
    let tx = db.write(session).await?;
    let line = Line {
        variant,
        quantity: threshold.unwrap_or(0),
        unit_cost: None,
    };
    check_lines(
        &tx,
        (location, "locationId"),
        std::slice::from_ref(&line),
        0,
    )
    .await
    .map_err(|e| {
        let message = e.to_string();
        match (e.field(), &e) {
            (Some(f), _) if f.ends_with(".quantity") => AppError::bad_input("threshold", message),
            (Some(f), AppError::NotFound { .. }) if f.ends_with(".variantId") => {
                AppError::not_found(message).at("variantId")
            }
            (Some(f), _) if f.ends_with(".variantId") => AppError::bad_input("variantId", message),
            _ => e,
        }
    })?;
    ledger::lock(&tx, location, variant).await?;
    tx.update_many::<stock_level::Entity>()
        .col_expr(
            stock_level::Column::LowThreshold,
            sea_orm::sea_query::Expr::value(threshold),
        )
        .filter(stock_level::Column::LocationId.eq(location))
        .filter(stock_level::Column::VariantId.eq(variant))
        .exec(&tx)
        .await?;
    let level = ledger::lock(&tx, location, variant).await?;
    tx.commit().await?;
    Ok(level)
}

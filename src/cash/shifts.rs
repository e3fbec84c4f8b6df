//! Opening, moving cash in and out of, and closing a shift, inside the
//! transaction that applies a terminal's event; and reading shifts.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::{cash_movement, shift};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::auth::Session;
use crate::error::Result;
use crate::tenancy::{Db, TenantTx};

mod totals;

pub use self::totals::{Totals, totals};

pub const OPEN: &str = "OPEN";
pub const CLOSED: &str = "CLOSED";

/// Amounts' bound, in minor units.
const MAX_AMOUNT: i64 = 1_000_000_000_000_000;

/// Why a cash event cannot apply: a stable code, the payload field at
/// fault, and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: Refused,
    pub field: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// An amount out of range.
    InvalidAmount,
    /// A reason or note too long or empty.
    InvalidText,
    /// The terminal has a shift open already.
    AlreadyOpen,
    /// No open shift of this terminal by that id.
    NotOpen,
}

fn refuse(code: Refused, field: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        field,
        message: message.into(),
    }
}

/// The terminal an event comes from, and where it stands.
#[derive(Debug, Clone)]
pub struct Till {
    pub terminal: Uuid,
    pub location: Uuid,
    pub currency: String,
    pub subject: String,
}

/// The event's place in the terminal's stream.
#[derive(Debug, Clone, Copy)]
pub struct When {
    pub at: DateTime<Utc>,
    pub sequence: i64,
    pub business_date: NaiveDate,
}

pub async fn find(tx: &TenantTx, id: Uuid) -> Result<Option<shift::Model>> {
    Ok(tx
        .select::<shift::Entity>()
        .filter(shift::Column::Id.eq(id))
        .one(tx)
        .await?)
}

fn amount(field: &'static str, value: i64, positive: bool) -> std::result::Result<i64, Refusal> {
    let low = i64::from(positive);
    if value < low || value > MAX_AMOUNT {
        return Err(refuse(
            Refused::InvalidAmount,
            field,
            format!(
                "{field} must be {} minor units at most 10^15",
                if positive { "positive" } else { "zero or more" }
            ),
        ));
    }
    Ok(value)
}

fn text(
    field: &'static str,
    value: Option<&str>,
    required: bool,
) -> std::result::Result<Option<String>, Refusal> {
    let trimmed = value.map(str::trim).filter(|v| !v.is_empty());
    match trimmed {
        None if required => Err(refuse(
            Refused::InvalidText,
            field,
            format!("{field} is required"),
        )),
        Some(t) if t.chars().count() > 200 => Err(refuse(
            Refused::InvalidText,
            field,
            format!("{field} is at most 200 characters"),
        )),
        t => Ok(t.map(str::to_owned)),
    }
}

/// The terminal's open shift, if any.
async fn open_of(tx: &TenantTx, terminal: Uuid) -> Result<Option<shift::Model>> {
    Ok(tx
        .select::<shift::Entity>()
        .filter(shift::Column::TerminalId.eq(terminal))
        .filter(shift::Column::Status.eq(OPEN))
        .one(tx)
        .await?)
}

/// SHIFT_OPEN: one open shift per terminal at a time.
pub async fn open(
    tx: &TenantTx,
    till: &Till,
    when: When,
    id: Uuid,
    float: i64,
) -> Result<std::result::Result<shift::Model, Refusal>> {
    let float = match amount("float", float, false) {
        Ok(f) => f,
        Err(r) => return Ok(Err(r)),
    };
    if let Some(other) = open_of(tx, till.terminal).await? {
        return Ok(Err(refuse(
            Refused::AlreadyOpen,
            "shiftId",
            format!(
                "shift {} is still open on this terminal: close it first",
                other.id
            ),
        )));
    }
    let row = tx
        .insert(shift::ActiveModel {
            id: Set(id),
            terminal_id: Set(till.terminal),
            location_id: Set(till.location),
            currency: Set(till.currency.clone()),
            status: Set(OPEN.to_owned()),
            business_date: Set(when.business_date),
            opened_at: Set(when.at),
            open_sequence: Set(when.sequence),
            opened_by: Set(till.subject.clone()),
            opening_float: Set(float),
            ..Default::default()
        })
        .await?;
    Ok(Ok(row))
}

/// The open shift `id` of this terminal, or why not.
async fn require_open(
    tx: &TenantTx,
    till: &Till,
    id: Uuid,
) -> Result<std::result::Result<shift::Model, Refusal>> {
    match find(tx, id).await? {
        Some(s) if s.terminal_id == till.terminal && s.status == OPEN => Ok(Ok(s)),
        Some(s) if s.terminal_id == till.terminal => Ok(Err(refuse(
            Refused::NotOpen,
            "shiftId",
            "this shift is closed",
        ))),
        _ => Ok(Err(refuse(
            Refused::NotOpen,
            "shiftId",
            "no open shift of this terminal has this id",
        ))),
    }
}

/// What a CASH_MOVEMENT carries.
#[derive(Debug, Clone)]
pub struct CashMove {
    pub id: Uuid,
    pub shift: Uuid,
    /// PAY_IN, PAY_OUT or DROP.
    pub kind: &'static str,
    pub amount: i64,
    pub reason: String,
}

/// CASH_MOVEMENT: into or out of an open shift's drawer.
pub async fn move_cash(
    tx: &TenantTx,
    till: &Till,
    when: When,
    m: CashMove,
) -> Result<std::result::Result<cash_movement::Model, Refusal>> {
    let amount = match amount("amount", m.amount, true) {
        Ok(a) => a,
        Err(r) => return Ok(Err(r)),
    };
    let reason = match text("reason", Some(&m.reason), true) {
        Ok(r) => r.unwrap_or_default(),
        Err(r) => return Ok(Err(r)),
    };
    if let Err(r) = require_open(tx, till, m.shift).await? {
        return Ok(Err(r));
    }
    let row = tx
        .insert(cash_movement::ActiveModel {
            id: Set(m.id),
            shift_id: Set(m.shift),
            terminal_id: Set(till.terminal),
            kind: Set(m.kind.to_owned()),
            amount: Set(amount),
            reason: Set(reason),
            at: Set(when.at),
            sequence: Set(when.sequence),
            ..Default::default()
        })
        .await?;
    Ok(Ok(row))
}

/// SHIFT_CLOSE: the drawer counted; expected and over/short stored.
pub async fn close(
    tx: &TenantTx,
    till: &Till,
    when: When,
    id: Uuid,
    counted: i64,
    note: Option<&str>,
) -> Result<std::result::Result<shift::Model, Refusal>> {
    let counted = match amount("counted", counted, false) {
        Ok(c) => c,
        Err(r) => return Ok(Err(r)),
    };
    let note = match text("note", note, false) {
        Ok(n) => n,
        Err(r) => return Ok(Err(r)),
    };
    let open = match require_open(tx, till, id).await? {
        Ok(s) => s,
        Err(r) => return Ok(Err(r)),
    };
    let t = totals(tx, till.terminal, open.open_sequence, when.sequence).await?;
    let expected = t.expected(open.opening_float);
    let mut model = open.into_active_model();
    model.status = Set(CLOSED.to_owned());
    model.closed_at = Set(Some(when.at));
    model.close_sequence = Set(Some(when.sequence));
    model.closed_by = Set(Some(till.subject.clone()));
    model.cash_sales = Set(Some(t.cash_sales));
    model.cash_refunds = Set(Some(t.cash_refunds));
    model.cash_voids = Set(Some(t.cash_voids));
    model.pay_ins = Set(Some(t.pay_ins));
    model.pay_outs = Set(Some(t.pay_outs));
    model.drops = Set(Some(t.drops));
    model.expected = Set(Some(expected));
    model.counted = Set(Some(counted));
    model.over_short = Set(Some(counted - expected));
    model.note = Set(note);
    Ok(Ok(tx.update(model).await?))
}

#[derive(Debug, Clone, Default)]
pub struct ShiftFilter {
    pub terminal: Option<Uuid>,
    pub location: Option<Uuid>,
    /// Business dates from (inclusive) and until (exclusive).
    pub from: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub open_only: bool,
}

/// Shifts in the order they were opened (by id), after `after`.
pub async fn list(
    session: &Session,
    db: &Db,
    filter: &ShiftFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<shift::Model>> {
    use shift::Column as C;
    let tx = db.read(session).await?;
    let mut select = tx.select::<shift::Entity>();
    if let Some(t) = filter.terminal {
        select = select.filter(C::TerminalId.eq(t));
    }
    if let Some(l) = filter.location {
        select = select.filter(C::LocationId.eq(l));
    }
    if let Some(from) = filter.from {
        select = select.filter(C::BusinessDate.gte(from));
    }
    if let Some(until) = filter.until {
        select = select.filter(C::BusinessDate.lt(until));
    }
    if filter.open_only {
        select = select.filter(C::Status.eq(OPEN));
    }
    if let Some(after) = after {
        select = select.filter(C::Id.gt(after));
    }
    Ok(select.order_by_asc(C::Id).limit(limit).all(&tx).await?)
}

/// The cash movements of shifts, by shift, in sequence order.
pub async fn movements_of(
    tx: &TenantTx,
    shifts: &[Uuid],
) -> Result<HashMap<Uuid, Vec<cash_movement::Model>>> {
    let rows = tx
        .select::<cash_movement::Entity>()
        .filter(cash_movement::Column::ShiftId.is_in(shifts.iter().copied()))
        .order_by_asc(cash_movement::Column::Sequence)
        .all(tx)
        .await?;
    let mut out: HashMap<Uuid, Vec<cash_movement::Model>> = HashMap::new();
    for row in rows {
        out.entry(row.shift_id).or_default().push(row);
    }
    Ok(out)
}

/// A terminal's shifts opened on a business date (for its Z-report).
pub async fn of_terminal_on(
    tx: &TenantTx,
    terminal: Uuid,
    date: NaiveDate,
) -> Result<Vec<shift::Model>> {
    Ok(tx
        .select::<shift::Entity>()
        .filter(shift::Column::TerminalId.eq(terminal))
        .filter(shift::Column::BusinessDate.eq(date))
        .order_by_asc(shift::Column::OpenSequence)
        .all(tx)
        .await?)
}

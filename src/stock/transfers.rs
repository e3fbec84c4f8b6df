//! Transfers between two locations of the tenant. Sending one takes the
//! goods off the sender's stock (TRANSFER_OUT) and shows them in transit
//! to the receiver; receiving it puts them on the receiver's stock
//! (TRANSFER_IN). Goods in transit are on neither location's hand.
//! Receiving a transfer again changes nothing and answers DUPLICATE.

use chrono::Utc;
use entity::{stock_transfer, stock_transfer_line};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::documents::{self, Line};
use super::ledger::{self, Detail, Kind, Movement, Movements};
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::tenancy::{Db, TenantTx};
use crate::validate;

pub const IN_TRANSIT: &str = "IN_TRANSIT";
pub const RECEIVED: &str = "RECEIVED";

#[derive(Debug, Clone)]
pub struct Shipment {
    pub from: Uuid,
    pub to: Uuid,
    pub reference: Option<String>,
    pub lines: Vec<Line>,
}

/// A transfer and its lines.
#[derive(Debug, Clone)]
pub struct Transfer {
    pub transfer: stock_transfer::Model,
    pub lines: Vec<stock_transfer_line::Model>,
}

/// What receiving did: the first receipt applies; any later one is a
/// duplicate that changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Applied,
    Duplicate,
}

async fn lines_of(tx: &TenantTx, id: Uuid) -> Result<Vec<stock_transfer_line::Model>> {
    Ok(tx
        .select::<stock_transfer_line::Entity>()
        .filter(stock_transfer_line::Column::TransferId.eq(id))
        .order_by_asc(stock_transfer_line::Column::LineNo)
        .all(tx)
        .await?)
}

pub fn not_found() -> AppError {
    AppError::not_found("no such stock transfer")
}

/// Sends goods from one location to another.
pub async fn send(session: &Session, db: &Db, input: Shipment) -> Result<Transfer> {
    if input.from == input.to {
        return Err(AppError::bad_input(
            "toLocationId",
            "a transfer goes to another location",
        ));
    }
    let tx = db.write(session).await?;
    documents::check_lines(&tx, (input.from, "fromLocationId"), &input.lines, 1).await?;
    documents::check_lines(&tx, (input.to, "toLocationId"), &input.lines, 1).await?;
    // Levels change at both ends: both feed counters first, in order.
    super::feed::claim(&tx, &[input.from, input.to]).await?;
    let reference = input
        .reference
        .as_deref()
        .map(|r| validate::text("reference", r, 100))
        .transpose()?;
    let id = Uuid::now_v7();
    let now = Utc::now();
    let transfer = tx
        .insert(stock_transfer::ActiveModel {
            id: Set(id),
            from_location_id: Set(input.from),
            to_location_id: Set(input.to),
            status: Set(IN_TRANSIT.to_owned()),
            reference: Set(reference),
            sent_at: Set(now),
            sent_by: Set(session.subject.clone()),
            received_at: Set(None),
            received_by: Set(None),
            ..Default::default()
        })
        .await?;
    let rows: Vec<stock_transfer_line::ActiveModel> = input
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| stock_transfer_line::ActiveModel {
            transfer_id: Set(id),
            line_no: Set(i as i32 + 1),
            variant_id: Set(l.variant),
            quantity: Set(l.quantity),
            ..Default::default()
        })
        .collect();
    tx.insert_many(rows).await?;
    let lines = lines_of(&tx, id).await?;
    let date = ledger::business_date(&tx, input.from, now).await?;
    let mut movements = Movements::default();
    for line in &lines {
        movements.push(movement(
            &transfer,
            line,
            (Kind::TransferOut, now, date),
            session,
        ));
    }
    movements.flush(&tx).await?;
    for line in &lines {
        ledger::add(&tx, input.to, line.variant_id, 0, line.quantity).await?;
    }
    tx.commit().await?;
    Ok(Transfer { transfer, lines })
}

fn movement(
    transfer: &stock_transfer::Model,
    line: &stock_transfer_line::Model,
    (kind, at, business_date): (Kind, chrono::DateTime<Utc>, chrono::NaiveDate),
    session: &Session,
) -> Movement {
    let (location, quantity) = match kind {
        Kind::TransferOut => (transfer.from_location_id, -line.quantity),
        _ => (transfer.to_location_id, line.quantity),
    };
    Movement {
        kind,
        location,
        variant: line.variant_id,
        quantity,
        at,
        business_date,
        source: transfer.id,
        line_no: line.line_no,
        detail: Detail {
            transfer: Some(transfer.id),
            recorded_by: Some(session.subject.clone()),
            terminal: session.terminal,
            ..Default::default()
        },
    }
}

/// Receives a transfer in full at its destination. A second receipt
/// answers the first's result with [`Outcome::Duplicate`].
pub async fn receive(session: &Session, db: &Db, id: Uuid) -> Result<(Transfer, Outcome)> {
    let tx = db.write(session).await?;
    let found = tx
        .select::<stock_transfer::Entity>()
        .filter(stock_transfer::Column::Id.eq(id))
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or_else(|| not_found().at("id"))?;
    if found.status == RECEIVED {
        let lines = lines_of(&tx, id).await?;
        return Ok((
            Transfer {
                transfer: found,
                lines,
            },
            Outcome::Duplicate,
        ));
    }
    let lines = lines_of(&tx, id).await?;
    let now = Utc::now();
    let date = ledger::business_date(&tx, found.to_location_id, now).await?;
    let mut movements = Movements::default();
    for line in &lines {
        movements.push(movement(
            &found,
            line,
            (Kind::TransferIn, now, date),
            session,
        ));
        ledger::add(
            &tx,
            found.to_location_id,
            line.variant_id,
            0,
            -line.quantity,
        )
        .await?;
    }
    movements.flush(&tx).await?;
    let mut model = found.into_active_model();
    model.status = Set(RECEIVED.to_owned());
    model.received_at = Set(Some(now));
    model.received_by = Set(Some(session.subject.clone()));
    let transfer = tx.update(model).await?;
    tx.commit().await?;
    Ok((Transfer { transfer, lines }, Outcome::Applied))
}

/// A transfer by id.
pub async fn get(session: &Session, db: &Db, id: Uuid) -> Result<Option<Transfer>> {
    let tx = db.read(session).await?;
    let Some(transfer) = tx
        .select::<stock_transfer::Entity>()
        .filter(stock_transfer::Column::Id.eq(id))
        .one(&tx)
        .await?
    else {
        return Ok(None);
    };
    let lines = lines_of(&tx, id).await?;
    Ok(Some(Transfer { transfer, lines }))
}

/// Transfers touching a location (sent from or to it), oldest first,
/// optionally only those in transit.
pub async fn list(
    session: &Session,
    db: &Db,
    location: Option<Uuid>,
    in_transit_only: bool,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<Transfer>> {
    use sea_orm::Condition;
    use stock_transfer::Column as C;
    let tx = db.read(session).await?;
    let mut select = tx.select::<stock_transfer::Entity>();
    if let Some(l) = location {
        select = select.filter(
            Condition::any()
                .add(C::FromLocationId.eq(l))
                .add(C::ToLocationId.eq(l)),
        );
    }
    if in_transit_only {
        select = select.filter(C::Status.eq(IN_TRANSIT));
    }
    if let Some(after) = after {
        select = select.filter(C::Id.gt(after));
    }
    let transfers = select.order_by_asc(C::Id).limit(limit).all(&tx).await?;
    let mut out = Vec::with_capacity(transfers.len());
    for transfer in transfers {
        let lines = lines_of(&tx, transfer.id).await?;
        out.push(Transfer { transfer, lines });
    }
    Ok(out)
}

//! How one event settles in its terminal's stream: applied to the ledger,
//! pending (a refund whose sale is on another terminal), or rejected and
//! kept as a sync issue. Shared by pushes, held events and released
//! refunds.

use chrono::Utc;
use entity::{sync_event, sync_issue, tenant};
use sea_orm::Set;
use uuid::Uuid;

use super::push::{EventResult, Status};
use crate::auth::Session;
use crate::error::{AppError, Result};
use crate::sales::apply::{self, Ctx, Memo};
use crate::sales::event::{Event, EventBody, EventType};
use crate::sales::ledger::Head;
use crate::sales::rejection::Reason;
use crate::tenancy::TenantTx;

/// How an event settled in the stream.
pub(super) enum Settled {
    Applied(apply::Applied),
    /// A refund waiting for another terminal's sale.
    Pending {
        refund: Uuid,
        sale: Uuid,
    },
    Rejected {
        code: String,
        message: String,
    },
}

pub(super) const AWAITING_SALE: &str = "AWAITING_SALE";

impl Settled {
    /// The sale this settled event added to the ledger, if it did.
    pub(super) fn new_sale(&self) -> Option<Uuid> {
        match self {
            Self::Applied(a) if a.new && a.kind == EventType::Sale => Some(a.record_id),
            _ => None,
        }
    }

    fn status_text(&self) -> &'static str {
        match self {
            Self::Applied(_) => "APPLIED",
            Self::Pending { .. } => "PENDING",
            Self::Rejected { .. } => "REJECTED",
        }
    }

    pub(super) fn result(&self, sequence: i64) -> EventResult {
        let mut r = EventResult {
            sequence,
            status: Status::Applied,
            original_status: None,
            code: None,
            message: None,
            record_id: None,
            receipt_number: None,
        };
        match self {
            Self::Applied(a) => {
                r.record_id = Some(a.record_id);
                r.receipt_number = a.receipt_number.clone();
            }
            Self::Pending { refund, sale } => {
                r.code = Some(AWAITING_SALE.into());
                r.message = Some(format!(
                    "recorded; checked and applied when sale {sale} arrives"
                ));
                r.record_id = Some(*refund);
            }
            Self::Rejected { code, message } => {
                r.status = Status::Rejected;
                r.code = Some(code.clone());
                r.message = Some(message.clone());
            }
        }
        r
    }
}

/// Applies `event` and says how it settled; a rejection is kept as a sync
/// issue. Used for events as they arrive and for held ones.
pub(super) async fn settle(tx: &TenantTx, ctx: &mut Ctx<'_>, event: &Event) -> Result<Settled> {
    let rejection = match apply::apply(tx, ctx, event).await? {
        Ok(applied) => return Ok(Settled::Applied(applied)),
        Err(rejection) => rejection,
    };
    if rejection.reason == Reason::SaleNotFound
        && let EventBody::Refund(p) = &event.body
        && let (Some(sale), Ok(refund)) = (
            p.sale_id
                .as_ref()
                .and_then(|s| Uuid::parse_str(s.as_str()).ok()),
            Uuid::parse_str(p.refund_id.as_str()),
        )
    {
        // Another terminal's sale not here yet: never wait on it.
        return Ok(Settled::Pending { refund, sale });
    }
    reject(
        tx,
        event,
        rejection.reason,
        rejection.message,
        event.masked().canonical(),
        ctx.now,
    )
    .await
}

/// Settles a held event that carried a card number (stored masked) as
/// the rejection it would have been on arrival.
pub(super) async fn refuse_card_number(
    tx: &TenantTx,
    event: &Event,
    now: chrono::DateTime<Utc>,
) -> Result<Settled> {
    let message = "a free-text field holds what looks like a full card number".to_owned();
    // Stored masked already: the payload is kept as it is.
    reject(
        tx,
        event,
        Reason::CardNumberRefused,
        message,
        event.canonical(),
        now,
    )
    .await
}

/// Settles an event as REJECTED and keeps it, with its payload, as a sync
/// issue for managers.
async fn reject(
    tx: &TenantTx,
    event: &Event,
    reason: Reason,
    message: String,
    payload: String,
    now: chrono::DateTime<Utc>,
) -> Result<Settled> {
    let code = reason.as_str().to_owned();
    tx.insert(sync_issue::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set("REJECTION".into()),
        terminal_id: Set(event.terminal),
        sequence: Set(Some(event.sequence)),
        code: Set(code.clone()),
        message: Set(message.clone()),
        record_id: Set(None),
        payload: Set(Some(payload)),
        created_at: Set(now),
        ..Default::default()
    })
    .await?;
    Ok(Settled::Rejected { code, message })
}

pub(super) fn mark(
    model: &mut sync_event::ActiveModel,
    settled: &Settled,
    now: chrono::DateTime<Utc>,
) {
    model.status = Set(settled.status_text().into());
    model.settled_at = Set(Some(now));
    match settled {
        Settled::Applied(a) => {
            model.record_id = Set(Some(a.record_id));
            model.code = Set(None);
            model.message = Set(None);
            model.awaits_sale = Set(None);
        }
        Settled::Pending { refund, sale } => {
            model.record_id = Set(Some(*refund));
            model.code = Set(Some(AWAITING_SALE.into()));
            model.awaits_sale = Set(Some(*sale));
        }
        Settled::Rejected { code, message } => {
            model.code = Set(Some(code.clone()));
            model.message = Set(Some(message.chars().take(500).collect()));
            model.awaits_sale = Set(None);
        }
    }
}

/// Reads a stored event back.
pub(super) fn decode(row: &sync_event::Model) -> Result<Event> {
    #[derive(serde::Deserialize)]
    struct Stored {
        #[serde(flatten)]
        body: EventBody,
    }
    let stored: Stored = serde_json::from_str(&row.payload).map_err(AppError::internal)?;
    Ok(Event::new(
        row.terminal_id,
        row.sequence,
        row.created_at,
        stored.body,
    ))
}

/// The session an event is applied under: the one that pushed it.
pub(super) fn pusher(session: &Session, row_pushed_by: Option<&str>) -> Session {
    let mut s = session.clone();
    if let Some(sub) = row_pushed_by {
        s.subject = sub.to_owned();
    }
    s
}

/// [`settle`] with the context built from its parts.
pub(super) async fn settle_one(
    tx: &TenantTx,
    session: &Session,
    head: &mut Head,
    tenant: &tenant::Model,
    memo: &mut Memo,
    event: &Event,
    now: chrono::DateTime<Utc>,
) -> Result<Settled> {
    let mut ctx = Ctx {
        session,
        head,
        tenant: tenant.clone(),
        now,
        memo,
    };
    settle(tx, &mut ctx, event).await
}

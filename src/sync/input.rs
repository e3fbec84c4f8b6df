//! `SalesEventInput`: the specification's event, with a typed payload per
//! type (a oneOf input in the API) instead of free JSON.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::sales::event::{
    CashMovementPayload, Event, EventBody, EventType, RefundPayload, SalePayload,
    ShiftClosePayload, ShiftOpenPayload, StockCountPayload, StockReceivePayload, VoidPayload,
};

/// Exactly one payload, matching `type` (`sale` for SALE, `stockReceive`
/// for STOCK_RECEIVE…).
#[derive(Debug, Clone)]
pub enum PayloadInput {
    Sale(SalePayload),
    Refund(RefundPayload),
    Void(VoidPayload),
    StockReceive(StockReceivePayload),
    StockCount(StockCountPayload),
    ShiftOpen(ShiftOpenPayload),
    CashMovement(CashMovementPayload),
    ShiftClose(ShiftClosePayload),
}

#[derive(Debug, Clone)]
pub struct SalesEventInput {
    /// Must be the device token's own terminal.
    pub terminal_id: String,
    /// Accepted for compatibility and ignored: the tenant is the token's.
    pub tenant_id: Option<String>,
    /// From 1, without gaps, per terminal.
    pub sequence: i64,
    pub kind: EventType,
    pub payload: PayloadInput,
    /// The terminal's clock when the event happened.
    pub created_at: DateTime<Utc>,
}

/// Why an event could not even be read as one of this terminal's events.
/// Such an event is answered REJECTED and not stored: it has no valid place
/// in the terminal's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub code: &'static str,
    pub message: String,
}

impl SalesEventInput {
    /// The event, for the terminal `own`; or why it is not one.
    pub fn into_event(self, own: Uuid) -> Result<Event, Malformed> {
        let terminal = Uuid::parse_str(self.terminal_id.as_str()).ok();
        if terminal != Some(own) {
            return Err(Malformed {
                code: "FORBIDDEN",
                message: "terminalId must be the device token's own terminal".into(),
            });
        }
        if self.sequence < 1 {
            return Err(Malformed {
                code: "INVALID_SEQUENCE",
                message: "sequence starts at 1".into(),
            });
        }
        let body = match (self.kind, self.payload) {
            (EventType::Sale, PayloadInput::Sale(p)) => EventBody::Sale(p),
            (EventType::Refund, PayloadInput::Refund(p)) => EventBody::Refund(p),
            (EventType::Void, PayloadInput::Void(p)) => EventBody::Void(p),
            (EventType::StockReceive, PayloadInput::StockReceive(p)) => EventBody::StockReceive(p),
            (EventType::StockCount, PayloadInput::StockCount(p)) => EventBody::StockCount(p),
            (EventType::ShiftOpen, PayloadInput::ShiftOpen(p)) => EventBody::ShiftOpen(p),
            (EventType::CashMovement, PayloadInput::CashMovement(p)) => EventBody::CashMovement(p),
            (EventType::ShiftClose, PayloadInput::ShiftClose(p)) => EventBody::ShiftClose(p),
            (kind, _) => {
                return Err(Malformed {
                    code: "TYPE_MISMATCH",
                    message: format!(
                        "a {} event carries a {} payload",
                        kind.as_str(),
                        kind.payload_field()
                    ),
                });
            }
        };
        Ok(Event::new(own, self.sequence, self.created_at, body))
    }
}

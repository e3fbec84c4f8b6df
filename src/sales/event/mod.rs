//! The terminal event: `SalesEvent { terminalId, tenantId, sequence, type,
//! payload, createdAt }`, with one typed payload per type. Online mutations
//! build the same events, so the ledger has one way in.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

mod floor;
mod trade;

pub use floor::{
    CashMovementKind, CashMovementPayload, ShiftClosePayload, ShiftOpenPayload, StockCountPayload,
    StockEventLineInput, StockReceivePayload,
};
pub use trade::{
    RefundLineInput, RefundPayload, SaleLineInput, SalePayload, TenderInput, TenderMethod,
    VoidPayload,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventType {
    Sale,
    Refund,
    Void,
    /// Goods received at the terminal's location.
    StockReceive,
    /// A stock take at the terminal's location.
    StockCount,
    /// A cash-drawer shift opened with its float.
    ShiftOpen,
    /// A pay-in, pay-out or cash drop.
    CashMovement,
    /// A shift closed with the cash counted.
    ShiftClose,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sale => "SALE",
            Self::Refund => "REFUND",
            Self::Void => "VOID",
            Self::StockReceive => "STOCK_RECEIVE",
            Self::StockCount => "STOCK_COUNT",
            Self::ShiftOpen => "SHIFT_OPEN",
            Self::CashMovement => "CASH_MOVEMENT",
            Self::ShiftClose => "SHIFT_CLOSE",
        }
    }

    /// The payload's field in `SalesEventPayloadInput`.
    pub fn payload_field(self) -> &'static str {
        match self {
            Self::Sale => "sale",
            Self::Refund => "refund",
            Self::Void => "void",
            Self::StockReceive => "stockReceive",
            Self::StockCount => "stockCount",
            Self::ShiftOpen => "shiftOpen",
            Self::CashMovement => "cashMovement",
            Self::ShiftClose => "shiftClose",
        }
    }

    /// Sales, refunds and voids: the fiscal records, numbered and chained.
    pub fn is_record(self) -> bool {
        matches!(self, Self::Sale | Self::Refund | Self::Void)
    }
}

/// An event's typed payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "payload", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventBody {
    Sale(SalePayload),
    Refund(RefundPayload),
    Void(VoidPayload),
    StockReceive(StockReceivePayload),
    StockCount(StockCountPayload),
    ShiftOpen(ShiftOpenPayload),
    CashMovement(CashMovementPayload),
    ShiftClose(ShiftClosePayload),
}

impl EventBody {
    pub fn kind(&self) -> EventType {
        match self {
            Self::Sale(_) => EventType::Sale,
            Self::Refund(_) => EventType::Refund,
            Self::Void(_) => EventType::Void,
            Self::StockReceive(_) => EventType::StockReceive,
            Self::StockCount(_) => EventType::StockCount,
            Self::ShiftOpen(_) => EventType::ShiftOpen,
            Self::CashMovement(_) => EventType::CashMovement,
            Self::ShiftClose(_) => EventType::ShiftClose,
        }
    }
}

/// One event of one terminal's stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub terminal: Uuid,
    /// From 1, without gaps, per terminal.
    pub sequence: i64,
    /// The terminal's clock, to the microsecond (what the databases keep).
    pub created_at: DateTime<Utc>,
    pub body: EventBody,
}

#[derive(Serialize)]
struct Canonical<'a> {
    created_at: String,
    #[serde(flatten)]
    body: &'a EventBody,
}

fn mask(text: &mut Option<String>) {
    if let Some(t) = text {
        *t = crate::sales::checks::mask_card_numbers(t);
    }
}

fn mask_tenders(tenders: &mut [TenderInput]) {
    for t in tenders {
        mask(&mut t.card_brand);
        mask(&mut t.card_last4);
        mask(&mut t.auth_reference);
        mask(&mut t.reference);
    }
}

impl Event {
    /// The event with every card number in its free-text fields masked
    /// but the last four digits: what may be stored. Only text fields are
    /// touched, never ids or amounts.
    pub fn masked(&self) -> Event {
        let mut body = self.body.clone();
        match &mut body {
            EventBody::Sale(p) => mask_tenders(&mut p.tenders),
            EventBody::Refund(p) => {
                mask_tenders(&mut p.tenders);
                mask(&mut p.reason);
            }
            EventBody::Void(p) => mask(&mut p.reason),
            EventBody::StockReceive(p) => {
                mask(&mut p.supplier_reference);
                mask(&mut p.note);
            }
            EventBody::StockCount(p) => mask(&mut p.note),
            EventBody::ShiftOpen(_) => {}
            EventBody::CashMovement(p) => {
                p.reason = crate::sales::checks::mask_card_numbers(&p.reason);
            }
            EventBody::ShiftClose(p) => mask(&mut p.note),
        }
        Event {
            terminal: self.terminal,
            sequence: self.sequence,
            created_at: self.created_at,
            body,
        }
    }

    /// Whether a free-text field carries a card number: such an event is
    /// refused when applied, and stored masked. (The fields [`Self::masked`]
    /// masks, read without copying the event.)
    pub fn carries_card_number(&self) -> bool {
        let found = |t: &Option<String>| {
            t.as_deref()
                .is_some_and(crate::sales::checks::contains_card_number)
        };
        let in_tenders = |tenders: &[TenderInput]| {
            tenders.iter().any(|t| {
                found(&t.card_brand)
                    || found(&t.card_last4)
                    || found(&t.auth_reference)
                    || found(&t.reference)
            })
        };
        match &self.body {
            EventBody::Sale(p) => in_tenders(&p.tenders),
            EventBody::Refund(p) => in_tenders(&p.tenders) || found(&p.reason),
            EventBody::Void(p) => found(&p.reason),
            EventBody::StockReceive(p) => found(&p.supplier_reference) || found(&p.note),
            EventBody::StockCount(p) => found(&p.note),
            EventBody::ShiftOpen(_) => false,
            EventBody::CashMovement(p) => crate::sales::checks::contains_card_number(&p.reason),
            EventBody::ShiftClose(p) => found(&p.note),
        }
    }

    pub fn new(terminal: Uuid, sequence: i64, created_at: DateTime<Utc>, body: EventBody) -> Self {
        Self {
            terminal,
            sequence,
            created_at: created_at.trunc_subsecs(6),
            body,
        }
    }

    /// The canonical JSON of what the terminal sent (its type, payload and
    /// clock). Field order is fixed by the types, so equal events give
    /// equal text.
    pub fn canonical(&self) -> String {
        let canonical = Canonical {
            created_at: self
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            body: &self.body,
        };
        serde_json::to_string(&canonical).unwrap_or_default()
    }

    /// sha256 of [`Event::canonical`], hex: equal for a duplicate, different
    /// for a conflicting reuse of a sequence.
    pub fn payload_hash(&self) -> String {
        sha256_hex(self.canonical().as_bytes())
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Amount;

    /// `carries_card_number` reads the fields `masked` masks: it is true
    /// exactly when masking changes the event.
    #[test]
    fn an_event_carries_a_card_number_exactly_when_masking_changes_it() {
        let pan = "4111 1111 1111 1111";
        let tender = |field: usize, text: &str| {
            let mut t = TenderInput {
                method: TenderMethod::Card,
                amount: Amount(100),
                card_brand: Some("VISA".into()),
                card_last4: Some("1111".into()),
                auth_reference: Some("A1B2".into()),
                reference: None,
            };
            let slot = match field {
                0 => &mut t.card_brand,
                1 => &mut t.card_last4,
                2 => &mut t.auth_reference,
                _ => &mut t.reference,
            };
            *slot = Some(text.into());
            t
        };
        let event = |body: EventBody| Event::new(Uuid::nil(), 1, Utc::now(), body);
        let sale = |t: TenderInput| {
            event(EventBody::Sale(SalePayload {
                sale_id: "s".into(),
                lines: Vec::new(),
                tenders: vec![t],
                terminal_total: None,
                terminal_tax: None,
            }))
        };
        let refund = |t: TenderInput, reason: &str| {
            event(EventBody::Refund(RefundPayload {
                refund_id: "r".into(),
                sale_id: None,
                lines: Vec::new(),
                tenders: vec![t],
                reason: Some(reason.into()),
            }))
        };
        let void = |reason: &str| {
            event(EventBody::Void(VoidPayload {
                void_id: "v".into(),
                sale_id: "s".into(),
                reason: Some(reason.into()),
            }))
        };
        let mut events = Vec::new();
        for field in 0..4 {
            for text in [pan, "REF-42"] {
                events.push(sale(tender(field, text)));
                events.push(refund(tender(field, text), "damaged"));
            }
        }
        events.push(refund(tender(3, "x"), pan));
        events.push(void(pan));
        events.push(void("wrong item"));
        let mut carrying = 0;
        for e in &events {
            let changed = e.masked().body != e.body;
            assert_eq!(e.carries_card_number(), changed, "{e:?}");
            carrying += usize::from(changed);
        }
        assert_eq!(carrying, 10, "both kinds of event were tried");
    }
}

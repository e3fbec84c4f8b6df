//! The terminal's stream inside a push's transaction: applying new and
//! held events in sequence order, and holding those a gap stops.

use std::collections::BTreeMap;

use chrono::Utc;
use entity::{sync_event, tenant};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{Answers, Arrived, EventResult, Status, row};
use crate::auth::Session;
use crate::error::Result;
use crate::sales::apply::Memo;
use crate::sales::event::{Event, EventBody};
use crate::sales::ledger::Head;
use crate::sales::rejection::Reason;
use crate::sync::settle::{Settled, decode, mark, pusher, refuse_card_number, settle_one};
use crate::tenancy::TenantTx;

/// The terminal's stream inside the push's transaction: its locked head,
/// the catalog read for it and the rows buffered for it.
pub(super) struct Stream<'a> {
    pub(super) tx: &'a TenantTx,
    pub(super) session: &'a Session,
    pub(super) head: Head,
    pub(super) tenant: tenant::Model,
    pub(super) memo: Memo,
    pub(super) now: chrono::DateTime<Utc>,
}

impl Stream<'_> {
    /// The terminal's events held behind a gap by earlier pushes.
    pub(super) async fn held(&self, terminal: Uuid) -> Result<BTreeMap<i64, sync_event::Model>> {
        Ok(self
            .tx
            .select::<sync_event::Entity>()
            .filter(sync_event::Column::TerminalId.eq(terminal))
            .filter(crate::sync::Waiting::Queued.filter())
            .order_by_asc(sync_event::Column::Sequence)
            .all(self.tx)
            .await?
            .into_iter()
            .map(|r| (r.sequence, r))
            .collect())
    }

    /// Applies whatever is next in the stream, new or held, in sequence
    /// order, until a gap. Returns the sales it added (refunds on other
    /// terminals may wait for them) and how many held events it released.
    pub(super) async fn apply_in_order(
        &mut self,
        fresh: &mut BTreeMap<i64, Arrived>,
        held: &mut BTreeMap<i64, sync_event::Model>,
        answers: &mut Answers,
    ) -> Result<(Vec<Uuid>, u64)> {
        let sales = fresh.values().filter_map(|a| match &a.event.body {
            EventBody::Sale(p) => Some(p),
            _ => None,
        });
        self.memo
            .read_ahead(self.tx, sales, self.head.location.id)
            .await?;
        let (mut new_sales, mut released) = (Vec::new(), 0);
        loop {
            let next = self.head.applied_through + 1;
            if let Some(arrived) = fresh.remove(&next) {
                let settled = self.settle(self.session, &arrived.event).await?;
                new_sales.extend(settled.new_sale());
                let i = arrived.index;
                let mut model = row(arrived, &self.session.subject, self.now);
                mark(&mut model, &settled, self.now);
                self.memo.writes.events.push(model);
                answers.results[i] = Some(settled.result(next));
            } else if let Some(stored) = held.remove(&next) {
                released += 1;
                let event = decode(&stored)?;
                let as_pusher = pusher(self.session, stored.pushed_by.as_deref());
                let settled = if stored.code.as_deref() == Some(Reason::CardNumberRefused.as_str())
                {
                    refuse_card_number(self.tx, &event, self.now).await?
                } else {
                    self.settle(&as_pusher, &event).await?
                };
                new_sales.extend(settled.new_sale());
                let mut model: sync_event::ActiveModel = stored.into();
                mark(&mut model, &settled, self.now);
                self.tx.update(model).await?;
            } else {
                break;
            }
            self.head.applied_through = next;
        }
        Ok((new_sales, released))
    }

    async fn settle(&mut self, session: &Session, event: &Event) -> Result<Settled> {
        let (tx, now) = (self.tx, self.now);
        settle_one(
            tx,
            session,
            &mut self.head,
            &self.tenant,
            &mut self.memo,
            event,
            now,
        )
        .await
    }

    /// Holds the new events a gap stops, answered QUEUED; returns every
    /// sequence now waiting, held before or now.
    pub(super) fn hold(
        &mut self,
        fresh: BTreeMap<i64, Arrived>,
        held: &BTreeMap<i64, sync_event::Model>,
        answers: &mut Answers,
    ) -> Vec<i64> {
        let mut waiting: Vec<i64> = held.keys().copied().collect();
        for (sequence, arrived) in fresh {
            let i = arrived.index;
            waiting.push(sequence);
            self.memo
                .writes
                .events
                .push(row(arrived, &self.session.subject, self.now));
            answers.results[i] = Some(EventResult {
                sequence,
                status: Status::Queued,
                original_status: None,
                code: Some("WAITING_FOR_GAP".into()),
                message: Some(format!(
                    "held until sequence {} arrives",
                    self.head.applied_through + 1
                )),
                record_id: None,
                receipt_number: None,
            });
        }
        waiting
    }
}

//! The head of a terminal's ledger: the receipt counter and the last hash.
//!
//! Every event of a terminal is applied with this row locked
//! (`SELECT … FOR UPDATE` on PostgreSQL; SQLite write transactions are
//! exclusive already). So receipt numbers are taken from a counter in the
//! same transaction that writes the record, never from a database sequence,
//! and have no gaps; and two pushes for one terminal, on any replicas, run
//! one after the other.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{location, receipt, terminal, terminal_ledger};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use super::apply::Writes;
use super::chain::{self, GENESIS};
use super::event::EventType;
use crate::error::{AppError, Result};
use crate::tenancy::TenantTx;

/// A locked terminal ledger, with the terminal and its location.
pub struct Head {
    pub terminal: terminal::Model,
    pub location: location::Model,
    pub last_position: i64,
    pub last_hash: String,
    pub applied_through: i64,
}

/// Locks the ledger of `terminal_id` (creating it on first use). `None`
/// if the terminal is not the tenant's.
pub async fn lock(tx: &TenantTx, terminal_id: Uuid) -> Result<Option<Head>> {
    let Some(terminal) = tx
        .select::<terminal::Entity>()
        .filter(terminal::Column::Id.eq(terminal_id))
        .one(tx)
        .await?
    else {
        return Ok(None);
    };
    let location = tx
        .select::<location::Entity>()
        .filter(location::Column::Id.eq(terminal.location_id))
        .one(tx)
        .await?
        .ok_or_else(|| AppError::internal("terminal without its location"))?;
    let row = match lock_row(tx, terminal_id).await? {
        Some(row) => row,
        None => {
            // The terminal's first record: make its ledger head, unless a
            // concurrent first push just did.
            tx.insert_on_conflict(
                terminal_ledger::ActiveModel {
                    tenant_id: Set(tx.tenant()),
                    terminal_id: Set(terminal_id),
                    last_position: Set(0),
                    last_hash: Set(GENESIS.to_owned()),
                    applied_through: Set(0),
                    updated_at: Set(Utc::now()),
                    last_push_at: Set(None),
                },
                OnConflict::columns([
                    terminal_ledger::Column::TenantId,
                    terminal_ledger::Column::TerminalId,
                ])
                .do_nothing()
                .to_owned(),
            )
            .await?;
            lock_row(tx, terminal_id)
                .await?
                .ok_or_else(|| AppError::internal("terminal ledger vanished"))?
        }
    };
    Ok(Some(Head {
        terminal,
        location,
        last_position: row.last_position,
        last_hash: row.last_hash,
        applied_through: row.applied_through,
    }))
}

/// The terminal's ledger head, locked, if it has one yet.
async fn lock_row(tx: &TenantTx, terminal_id: Uuid) -> Result<Option<terminal_ledger::Model>> {
    Ok(tx
        .select::<terminal_ledger::Entity>()
        .filter(terminal_ledger::Column::TerminalId.eq(terminal_id))
        .lock_exclusive()
        .one(tx)
        .await?)
}

/// The position and receipt number the next record takes.
pub struct Slot {
    pub position: i64,
    pub number: String,
}

impl Head {
    pub fn next_slot(&self) -> Slot {
        let position = self.last_position + 1;
        Slot {
            position,
            number: format!(
                "{}-{}-{position:06}",
                self.location.code, self.terminal.code
            ),
        }
    }

    /// Appends a record at the next slot: its receipt row, linked to the
    /// previous hash, goes into `writes`. `canonical` is the record's
    /// canonical form, built with that slot.
    pub fn append(
        &mut self,
        writes: &mut Writes,
        kind: EventType,
        record_id: Uuid,
        business_date: NaiveDate,
        canonical: &str,
    ) {
        let slot = self.next_slot();
        let hash = chain::link(&self.last_hash, canonical);
        writes.receipts.push(receipt::ActiveModel {
            terminal_id: Set(self.terminal.id),
            position: Set(slot.position),
            kind: Set(kind.as_str().to_owned()),
            record_id: Set(record_id),
            number: Set(slot.number),
            business_date: Set(business_date),
            prev_hash: Set(std::mem::replace(&mut self.last_hash, hash.clone())),
            hash: Set(hash),
            ..Default::default()
        });
        self.last_position = slot.position;
    }

    /// Writes the head back; call once, after the records.
    pub async fn save(&self, tx: &TenantTx, now: DateTime<Utc>) -> Result<()> {
        self.write(tx, now, false).await
    }

    /// [`Head::save`] for a push, which also notes the push's time.
    pub async fn save_push(&self, tx: &TenantTx, now: DateTime<Utc>) -> Result<()> {
        self.write(tx, now, true).await
    }

    async fn write(&self, tx: &TenantTx, now: DateTime<Utc>, push: bool) -> Result<()> {
        let mut update = tx.update_many::<terminal_ledger::Entity>();
        if push {
            update = update.col_expr(terminal_ledger::Column::LastPushAt, Expr::value(now));
        }
        update
            .col_expr(
                terminal_ledger::Column::LastPosition,
                Expr::value(self.last_position),
            )
            .col_expr(
                terminal_ledger::Column::LastHash,
                Expr::value(self.last_hash.clone()),
            )
            .col_expr(
                terminal_ledger::Column::AppliedThrough,
                Expr::value(self.applied_through),
            )
            .col_expr(terminal_ledger::Column::UpdatedAt, Expr::value(now))
            .filter(terminal_ledger::Column::TerminalId.eq(self.terminal.id))
            .exec(tx)
            .await?;
        Ok(())
    }
}

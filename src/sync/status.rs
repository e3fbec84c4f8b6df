//! The state of a terminal's stream, and the issues managers review.

use chrono::{DateTime, Utc};
use entity::{sync_event, sync_issue, terminal_ledger};
use sea_orm::{ColumnTrait, DbBackend, QueryFilter, QueryOrder, QuerySelect, Statement};
use uuid::Uuid;

use super::push::gaps;
use crate::auth::Session;
use crate::error::Result;
use crate::tenancy::Db;
use crate::tenancy::Page;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalSyncStatus {
    pub terminal_id: Uuid,
    pub applied_through: i64,
    /// Events held behind a gap.
    pub held: u64,
    pub missing: Vec<(i64, i64)>,
    /// Refunds waiting for another terminal's sale.
    pub awaiting_sale: u64,
    pub last_push_at: Option<DateTime<Utc>>,
    pub conflicts: u64,
    pub rejections: u64,
}

/// Events waiting across all tenants, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Held behind a gap in their terminal's stream.
    pub held: u64,
    /// Refunds waiting for another terminal's sale.
    pub awaiting_sale: u64,
}

/// Counts the held backlog of every tenant. Under PostgreSQL's row-level
/// security the app role sees one tenant per transaction, so it asks the
/// `pos_sync_backlog()` function, which returns the two counts and no rows
/// (migration `m20261128_000009_sync_backlog`).
pub async fn backlog(db: &Db) -> Result<Backlog> {
    // The operator entry: a count across tenants, for `/metrics`; it
    // returns two numbers, never a tenant's rows.
    let operator = db.operator();
    let backend = operator.backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT status, events FROM pos_sync_backlog()",
        _ => {
            "SELECT status, count(*) AS events FROM sync_events \
             WHERE status IN ('QUEUED', 'PENDING') GROUP BY status"
        }
    };
    let mut out = Backlog::default();
    for row in operator
        .query_all_raw(Statement::from_string(backend, sql))
        .await?
    {
        let status: String = row.try_get("", "status")?;
        let n = u64::try_from(row.try_get::<i64>("", "events")?).unwrap_or(0);
        match status.as_str() {
            "QUEUED" => out.held = n,
            "PENDING" => out.awaiting_sale = n,
            _ => {}
        }
    }
    Ok(out)
}

pub async fn terminal_status(
    session: &Session,
    db: &Db,
    terminal_id: Uuid,
) -> Result<TerminalSyncStatus> {
    session.may_see_terminal(terminal_id, "a terminal's sync status")?;
    let tx = db.read(session).await?;
    crate::org::terminals::require(&tx, terminal_id).await?;
    let head = tx
        .select::<terminal_ledger::Entity>()
        .filter(terminal_ledger::Column::TerminalId.eq(terminal_id))
        .one(&tx)
        .await?;
    let applied_through = head.as_ref().map_or(0, |h| h.applied_through);
    let held: Vec<i64> = tx
        .select::<sync_event::Entity>()
        .select_only()
        .column(sync_event::Column::Sequence)
        .filter(sync_event::Column::TerminalId.eq(terminal_id))
        .filter(super::Waiting::Queued.filter())
        .into_tuple()
        .all(&tx)
        .await?;
    let awaiting_sale = tx
        .select::<sync_event::Entity>()
        .filter(sync_event::Column::TerminalId.eq(terminal_id))
        .filter(super::Waiting::Pending.filter())
        .count(&tx)
        .await?;
    let issues = |kind: &'static str| {
        tx.select::<sync_issue::Entity>()
            .filter(sync_issue::Column::TerminalId.eq(terminal_id))
            .filter(sync_issue::Column::Kind.eq(kind))
            .count(&tx)
    };
    let conflicts = issues("CONFLICT").await?;
    let rejections = issues("REJECTION").await?;
    Ok(TerminalSyncStatus {
        terminal_id,
        applied_through,
        held: held.len() as u64,
        missing: gaps(applied_through, &held),
        awaiting_sale,
        last_push_at: head.and_then(|h| h.last_push_at),
        conflicts,
        rejections,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncIssueKind {
    Conflict,
    Rejection,
    Anomaly,
}

impl SyncIssueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Conflict => "CONFLICT",
            Self::Rejection => "REJECTION",
            Self::Anomaly => "ANOMALY",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct SyncIssueFilter {
    pub terminal_ids: Option<Vec<String>>,
    pub kinds: Option<Vec<SyncIssueKind>>,
}

/// Sync issues, oldest first.
pub async fn issues(
    session: &Session,
    db: &Db,
    filter: &SyncIssueFilter,
    page: &Page,
) -> Result<Vec<sync_issue::Model>> {
    let terminals = filter
        .terminal_ids
        .as_ref()
        .map(|ids| {
            ids.iter()
                .take(100)
                .map(|id| crate::validate::id("filter.terminalIds", id))
                .collect::<Result<Vec<_>>>()
        })
        .transpose()?;
    let tx = db.read(session).await?;
    let mut select = tx.select::<sync_issue::Entity>();
    if let Some(terminals) = terminals {
        select = select.filter(sync_issue::Column::TerminalId.is_in(terminals));
    }
    if let Some(kinds) = &filter.kinds {
        select = select.filter(sync_issue::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())));
    }
    Ok(page.apply(select, sync_issue::Column::Id).all(&tx).await?)
}

/// The event stored under a terminal's sequence: for a conflict, the one
/// that stands.
pub async fn stored_payload(
    session: &Session,
    db: &Db,
    terminal: Uuid,
    sequence: i64,
) -> Result<Option<String>> {
    let tx = db.read(session).await?;
    Ok(tx
        .select::<sync_event::Entity>()
        .filter(sync_event::Column::TerminalId.eq(terminal))
        .filter(sync_event::Column::Sequence.eq(sequence))
        .order_by_asc(sync_event::Column::Sequence)
        .one(&tx)
        .await?
        .map(|e| e.payload))
}

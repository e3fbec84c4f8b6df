//! The Sync Service's part of the schema: thin resolvers.

mod feed;
mod inputs;

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::sync_issue;

use super::pull;
use super::pull_cache::PullPages;
use super::push;
use super::status;
use crate::auth::Staff;
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::pagination::Page;
use crate::org::graphql::Location;
use crate::validate;
use feed::{CatalogChange, CatalogChangePage};
use inputs::{SalesEventInput, Status, SyncIssueFilter, SyncIssueKind};

/// An inclusive range of sequences.
#[derive(SimpleObject)]
pub struct SequenceRange {
    pub from: i64,
    pub to: i64,
}

fn ranges(r: Vec<(i64, i64)>) -> Vec<SequenceRange> {
    r.into_iter()
        .map(|(from, to)| SequenceRange { from, to })
        .collect()
}

#[derive(SimpleObject)]
pub struct SyncEventResult {
    pub sequence: i64,
    pub status: Status,
    /// For DUPLICATE: how the event settled the first time.
    pub original_status: Option<Status>,
    pub code: Option<String>,
    pub message: Option<String>,
    /// The sale, refund or void the event produced.
    pub record_id: Option<ID>,
    pub receipt_number: Option<String>,
}

#[derive(SimpleObject)]
pub struct SyncPushResult {
    /// One per pushed event, in the order pushed.
    pub results: Vec<SyncEventResult>,
    /// Every event up to this sequence is settled.
    pub applied_through: i64,
    /// What the server is waiting for before it can apply held events.
    pub missing: Vec<SequenceRange>,
}

#[derive(SimpleObject)]
pub struct TerminalSyncStatus {
    pub terminal_id: ID,
    pub applied_through: i64,
    pub held_count: u64,
    pub missing: Vec<SequenceRange>,
    /// Refunds recorded before their sale (from another terminal) arrived.
    pub awaiting_sale_count: u64,
    pub last_push_at: Option<DateTime<Utc>>,
    pub conflict_count: u64,
    pub rejection_count: u64,
}

/// A conflict, rejection or anomaly, with the payloads involved.
pub struct SyncIssue(sync_issue::Model);

#[Object]
impl SyncIssue {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn kind(&self) -> SyncIssueKind {
        match self.0.kind.as_str() {
            "CONFLICT" => SyncIssueKind::Conflict,
            "REJECTION" => SyncIssueKind::Rejection,
            _ => SyncIssueKind::Anomaly,
        }
    }
    async fn terminal_id(&self) -> ID {
        ID(self.0.terminal_id.to_string())
    }
    async fn sequence(&self) -> Option<i64> {
        self.0.sequence
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn message(&self) -> &str {
        &self.0.message
    }
    async fn record_id(&self) -> Option<ID> {
        self.0.record_id.map(|id| ID(id.to_string()))
    }
    /// The event concerned, as JSON (card numbers masked): for a conflict,
    /// the one refused.
    async fn payload(&self) -> Option<&str> {
        self.0.payload.as_deref()
    }
    /// For a conflict: the event stored under the sequence, which stands.
    async fn stored_payload(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        match (self.0.kind.as_str(), self.0.sequence) {
            ("CONFLICT", Some(sequence)) => {
                Ok(
                    status::stored_payload(ctx.session()?, ctx.db()?, self.0.terminal_id, sequence)
                        .await?,
                )
            }
            _ => Ok(None),
        }
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Default)]
pub struct SyncMutation;

#[Object]
impl SyncMutation {
    /// Pushes up to 500 events of this device token's terminal. Each is
    /// deduplicated by sequence, held behind gaps, and applied in sequence
    /// order; statuses come back once committed.
    async fn sync_push(
        &self,
        ctx: &Context<'_>,
        events: Vec<SalesEventInput>,
    ) -> Result<SyncPushResult> {
        let events = events.into_iter().map(Into::into).collect();
        let outcome = push::push(ctx.session()?, ctx.db()?, events).await?;
        Ok(SyncPushResult {
            results: outcome
                .results
                .into_iter()
                .map(|r| SyncEventResult {
                    sequence: r.sequence,
                    status: r.status.into(),
                    original_status: r.original_status.map(Into::into),
                    code: r.code,
                    message: r.message,
                    record_id: r.record_id.map(|id| ID(id.to_string())),
                    receipt_number: r.receipt_number,
                })
                .collect(),
            applied_through: outcome.applied_through,
            missing: ranges(outcome.missing),
        })
    }
}

#[derive(Default)]
pub struct SyncQuery;

#[Object]
impl SyncQuery {
    /// The catalog changes after `since` (a cursor from an earlier page;
    /// none to start from nothing), in version order, with each entity's
    /// current state for the terminal's location (`locationId` for staff
    /// tokens). Page until `hasMore` is false.
    async fn catalog_changes(
        &self,
        ctx: &Context<'_>,
        since: Option<String>,
        first: Option<i32>,
        location_id: Option<ID>,
    ) -> Result<CatalogChangePage> {
        let location = location_id
            .map(|id| validate::id("locationId", &id))
            .transpose()?;
        let pages = ctx
            .data_opt::<PullPages>()
            .ok_or_else(|| AppError::internal("pull pages missing from schema data"))?;
        let page = pages
            .changes(
                ctx.session()?,
                ctx.db()?,
                ctx.cache()?,
                location,
                since.as_deref(),
                first,
            )
            .await?;
        Ok(CatalogChangePage {
            changes: page.items.iter().cloned().map(CatalogChange).collect(),
            cursor: page.cursor.clone(),
            has_more: page.has_more,
            version: page.version,
            location: Location(page.location.clone()),
        })
    }

    /// A terminal's stream: for managers, or the terminal itself.
    async fn terminal_sync_status(
        &self,
        ctx: &Context<'_>,
        terminal_id: ID,
    ) -> Result<TerminalSyncStatus> {
        let terminal = validate::id("terminalId", &terminal_id)?;
        let s = status::terminal_status(ctx.session()?, ctx.db()?, terminal).await?;
        Ok(TerminalSyncStatus {
            terminal_id,
            applied_through: s.applied_through,
            held_count: s.held,
            missing: ranges(s.missing),
            awaiting_sale_count: s.awaiting_sale,
            last_push_at: s.last_push_at,
            conflict_count: s.conflicts,
            rejection_count: s.rejections,
        })
    }

    /// Conflicts, rejections and anomalies, oldest first.
    #[graphql(guard = "Staff::managers()")]
    async fn sync_issues(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<SyncIssueFilter>,
    ) -> Result<Connection<String, SyncIssue>> {
        let page = Page::new(first, after.as_deref())?;
        let rows = status::issues(
            ctx.session()?,
            ctx.db()?,
            &filter.map(Into::into).unwrap_or_default(),
            &page,
        )
        .await?;
        Ok(page.connection(rows, |r| r.id, SyncIssue))
    }
}

/// The catalog version a terminal should hold.
#[derive(SimpleObject, Clone, Copy)]
pub struct CatalogVersion {
    pub version: i64,
}

#[derive(Default)]
pub struct SyncSubscription;

#[async_graphql::Subscription]
impl SyncSubscription {
    /// The tenant's catalog version: once at once, then whenever a catalog
    /// write on any replica raises it. Pull `catalogChanges` when it moves.
    async fn catalog_changed(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl futures_util::Stream<Item = CatalogVersion> + use<>> {
        let session = ctx.session()?.clone();
        let db = ctx.db()?.clone();
        let changes = ctx.cache()?.changes();
        Ok(futures_util::StreamExt::map(
            pull::versions(session, db, changes),
            |version| CatalogVersion { version },
        ))
    }
}

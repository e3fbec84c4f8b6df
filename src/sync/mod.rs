//! Sync Service: terminals push their event log (`syncPush`) and read
//! their stream's state; managers review conflicts, rejections and
//! anomalies (`syncIssues`).

pub mod graphql;
pub mod input;
mod outcome;
mod pending;
pub mod pull;
pub mod pull_cache;
pub mod push;
mod settle;
pub mod status;

use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};

/// The statuses of events still waiting: held behind a gap, or a refund
/// waiting for another terminal's sale.
#[derive(Clone, Copy)]
enum Waiting {
    Queued,
    Pending,
}

impl Waiting {
    /// `sync_events.status = '…'`, the status written as a literal: only the
    /// partial indexes hold waiting events, and a plan PostgreSQL keeps for
    /// a connection may use a partial index only if its text implies the
    /// index's condition.
    fn filter(self) -> SimpleExpr {
        let status = match self {
            Self::Queued => "'QUEUED'",
            Self::Pending => "'PENDING'",
        };
        Expr::col((
            entity::sync_event::Entity,
            entity::sync_event::Column::Status,
        ))
        .eq(Expr::cust(status))
    }
}

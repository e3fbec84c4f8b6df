//! The audit log: every mutation and every sync push, with who made it
//! (`sub`, roles, terminal), what it named or made (ids), when, how it
//! ended, and where it came from (client address, user agent, request id).
//!
//! Entries are written by `Trail`, run by the schema extension in the API
//! layer (`audit::graphql`). A mutation that writes has its entry inserted
//! in its own transaction, as the last statement before COMMIT
//! ([`crate::tenancy::journal`]): a write commits with its entry or not at
//! all. A mutation that writes nothing (refused, bad input) gets its entry
//! in a transaction of its own afterwards, so refused attempts are on
//! record too.
//! The log holds ids, names of operations and error codes only: never a
//! token, a secret, a payload or a card number. The app role may only
//! `SELECT` and `INSERT` it. Owners read it through `auditLog`.

pub mod graphql;

use chrono::{DateTime, Utc};
use entity::audit_entry;
use sea_orm::{ColumnTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::auth::Session;
use crate::error::Result;
use crate::tenancy::Db;
use crate::tenancy::Page;

/// Where a request came from, as the HTTP edge saw it.
#[derive(Clone, Debug, Default)]
pub struct RequestOrigin {
    /// The peer's address, or the client a trusted proxy forwarded for
    /// (`http::origin`).
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// What one action did.
pub struct Action {
    pub operation: String,
    pub operation_name: Option<String>,
    pub resource_ids: Vec<String>,
    pub detail: Option<String>,
    pub outcome: String,
}

fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Writes one entry for `session`'s tenant, in a transaction of its own.
pub async fn record(
    db: &Db,
    session: &Session,
    origin: Option<&RequestOrigin>,
    action: Action,
) -> Result<()> {
    let tx = db.write(session).await?;
    tx.insert(entry(session, origin, action)).await?;
    tx.commit().await?;
    Ok(())
}

/// The entry for `action` (its tenant is stamped when it is inserted).
pub fn entry(
    session: &Session,
    origin: Option<&RequestOrigin>,
    action: Action,
) -> audit_entry::ActiveModel {
    let mut roles: Vec<String> = session
        .roles
        .iter()
        .map(|r| format!("{r:?}").to_uppercase())
        .collect();
    if session.is_device() {
        roles.insert(0, "DEVICE".into());
    }
    let origin = origin.cloned().unwrap_or_default();
    audit_entry::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(Utc::now()),
        subject: Set(clip(&session.subject, 200)),
        roles: Set(clip(&roles.join(","), 64)),
        terminal_id: Set(session.terminal),
        operation: Set(clip(&action.operation, 64)),
        operation_name: Set(action.operation_name.map(|n| clip(&n, 100))),
        resource_ids: Set(serde_json::to_string(&action.resource_ids).unwrap_or_default()),
        detail: Set(action.detail.map(|d| clip(&d, 500))),
        outcome: Set(clip(&action.outcome, 32)),
        client_ip: Set(origin.client_ip.map(|v| clip(&v, 64))),
        user_agent: Set(origin.user_agent.map(|v| clip(&v, 200))),
        request_id: Set(origin.request_id.map(|v| clip(&v, 64))),
        ..Default::default()
    }
}

/// Which entries to list.
#[derive(Default)]
pub struct Filter {
    pub subject: Option<String>,
    pub operation: Option<String>,
    pub terminal: Option<Uuid>,
    pub outcome: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// The tenant's entries, oldest first.
pub async fn list(
    session: &Session,
    db: &Db,
    filter: &Filter,
    page: &Page,
) -> Result<Vec<audit_entry::Model>> {
    use audit_entry::Column as C;
    let tx = db.read(session).await?;
    let mut select = tx.select::<audit_entry::Entity>();
    if let Some(subject) = &filter.subject {
        select = select.filter(C::Subject.eq(subject.as_str()));
    }
    if let Some(operation) = &filter.operation {
        select = select.filter(C::Operation.eq(operation.as_str()));
    }
    if let Some(terminal) = filter.terminal {
        select = select.filter(C::TerminalId.eq(terminal));
    }
    if let Some(outcome) = &filter.outcome {
        select = select.filter(C::Outcome.eq(outcome.as_str()));
    }
    if let Some(from) = filter.from {
        select = select.filter(C::At.gte(from));
    }
    if let Some(until) = filter.until {
        select = select.filter(C::At.lt(until));
    }
    Ok(page.apply(select, C::Id).all(&tx).await?)
}

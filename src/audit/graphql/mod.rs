//! `auditLog`: the tenant's audit entries, for owners; and the trail that
//! writes them ([`Trail`], run by the schema's extension).

mod trail;

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entity::audit_entry;

use crate::audit::Filter;
use crate::auth::Staff;
use crate::graphql::ContextExt;
use crate::graphql::pagination::Page;
use crate::validate;
pub use trail::Trail;

/// Which audit entries to list; all given conditions apply.
#[derive(Default, InputObject)]
pub struct AuditLogFilter {
    /// The token's `sub`, exactly.
    pub subject: Option<String>,
    /// The mutation, e.g. `syncPush` or `updateVariant`.
    pub operation: Option<String>,
    pub terminal_id: Option<ID>,
    /// `OK`, `USER_ERROR`, or an error code such as `FORBIDDEN`.
    pub outcome: Option<String>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub until: Option<DateTime<Utc>>,
}

/// One audited mutation or sync push.
pub struct AuditEntry(audit_entry::Model);

#[Object]
impl AuditEntry {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
    /// The token's `sub`.
    async fn subject(&self) -> &str {
        &self.0.subject
    }
    /// The token's roles; `DEVICE` first for a device token.
    async fn roles(&self) -> Vec<&str> {
        self.0.roles.split(',').filter(|r| !r.is_empty()).collect()
    }
    async fn terminal_id(&self) -> Option<ID> {
        self.0.terminal_id.map(|id| ID(id.to_string()))
    }
    /// The mutation field.
    async fn operation(&self) -> &str {
        &self.0.operation
    }
    /// The operation name the client gave, if any.
    async fn operation_name(&self) -> Option<&str> {
        self.0.operation_name.as_deref()
    }
    /// The ids the action named or returned.
    async fn resource_ids(&self) -> Vec<ID> {
        serde_json::from_str::<Vec<String>>(&self.0.resource_ids)
            .unwrap_or_default()
            .into_iter()
            .map(ID)
            .collect()
    }
    /// For a push: its events, sequences and statuses.
    async fn detail(&self) -> Option<&str> {
        self.0.detail.as_deref()
    }
    /// `OK`, `USER_ERROR`, or the error code.
    async fn outcome(&self) -> &str {
        &self.0.outcome
    }
    async fn client_ip(&self) -> Option<&str> {
        self.0.client_ip.as_deref()
    }
    async fn user_agent(&self) -> Option<&str> {
        self.0.user_agent.as_deref()
    }
    /// The `x-request-id` of the request, to find it in the logs.
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
}

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Every mutation and sync push of the tenant, oldest first: who, what,
    /// when, the outcome and the origin. Owners only.
    #[graphql(guard = "Staff::owners()")]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        filter: Option<AuditLogFilter>,
    ) -> Result<Connection<String, AuditEntry>> {
        let page = Page::new(first, after.as_deref())?;
        let f = filter.unwrap_or_default();
        let filter = Filter {
            terminal: f
                .terminal_id
                .as_ref()
                .map(|id| validate::id("filter.terminalId", id))
                .transpose()?,
            subject: f.subject,
            operation: f.operation,
            outcome: f.outcome,
            from: f.from,
            until: f.until,
        };
        let rows = super::list(ctx.session()?, ctx.db()?, &filter, &page).await?;
        Ok(page.connection(rows, |r| r.id, AuditEntry))
    }
}

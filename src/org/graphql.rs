//! GraphQL types and thin resolvers for locations and terminals.

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{location, terminal};

use super::locations::{self, CreateLocationInput, LocationFilter, UpdateLocationInput};
use super::terminals::{self, CreateTerminalInput, TerminalFilter, UpdateTerminalInput};
use crate::auth::{Role, Staff};
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::pagination::Page;
use crate::validate;

/// A place where terminals sell.
pub struct Location(pub location::Model);

#[derive(SimpleObject)]
pub struct Address {
    line1: String,
    line2: Option<String>,
    city: String,
    region: Option<String>,
    postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    country: String,
}

#[Object]
impl Location {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Unique per tenant; the first part of receipt numbers.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn address(&self) -> Address {
        let m = &self.0;
        Address {
            line1: m.address_line1.clone(),
            line2: m.address_line2.clone(),
            city: m.city.clone(),
            region: m.region.clone(),
            postal_code: m.postal_code.clone(),
            country: m.country.clone(),
        }
    }
    /// IANA time zone; business days are calendar days here.
    async fn time_zone(&self) -> &str {
        &self.0.time_zone
    }
    /// ISO 4217 currency of every amount at this location.
    async fn currency(&self) -> &str {
        &self.0.currency
    }
    /// Whether shelf prices here include tax.
    async fn prices_include_tax(&self) -> bool {
        self.0.prices_include_tax
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Terminals registered here.
    #[graphql(guard = "Staff::any()")]
    async fn terminals(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        status: Option<TerminalStatus>,
    ) -> Result<Connection<String, Terminal>> {
        let page = Page::new(first, after.as_deref())?;
        let filter = TerminalFilter {
            location: Some(self.0.id),
            status: status.map(Into::into),
        };
        let rows = terminals::list(ctx.session()?, ctx.db()?, &filter, &page).await?;
        Ok(page.connection(rows, |t| t.id, Terminal))
    }
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum TerminalStatus {
    Active,
    /// Final; the terminal's tokens no longer work.
    Revoked,
}

impl From<TerminalStatus> for terminal::TerminalStatus {
    fn from(s: TerminalStatus) -> Self {
        match s {
            TerminalStatus::Active => Self::Active,
            TerminalStatus::Revoked => Self::Revoked,
        }
    }
}

impl From<terminal::TerminalStatus> for TerminalStatus {
    fn from(s: terminal::TerminalStatus) -> Self {
        match s {
            terminal::TerminalStatus::Active => Self::Active,
            terminal::TerminalStatus::Revoked => Self::Revoked,
        }
    }
}

/// A POS device registered at one location.
pub struct Terminal(pub terminal::Model);

#[Object]
impl Terminal {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// Unique within its location; the second part of receipt numbers.
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn status(&self) -> TerminalStatus {
        self.0.status.into()
    }
    async fn location(&self, ctx: &Context<'_>) -> Result<Location> {
        ctx.location_loader()?
            .load_one(self.0.location_id)
            .await?
            .map(Location)
            .ok_or_else(|| AppError::internal("terminal points at a missing location").into())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    async fn revoked_at(&self) -> Option<DateTime<Utc>> {
        self.0.revoked_at
    }
}

/// A device token for one terminal.
#[derive(SimpleObject)]
pub struct TerminalToken {
    /// Send as `Authorization: Bearer <token>` from the terminal.
    token: String,
    expires_at: DateTime<Utc>,
    terminal: Terminal,
}

/// The caller, as the token describes it.
#[derive(SimpleObject)]
pub struct Me {
    tenant_id: ID,
    subject: String,
    roles: Vec<Role>,
    /// Set for device tokens.
    terminal_id: Option<ID>,
    /// Set for device tokens.
    location_id: Option<ID>,
}

#[derive(Default)]
pub struct OrgQuery;

#[Object]
impl OrgQuery {
    /// Who the token says the caller is.
    async fn me(&self, ctx: &Context<'_>) -> Result<Me> {
        let s = ctx.session()?;
        let id = |u: uuid::Uuid| ID(u.to_string());
        Ok(Me {
            tenant_id: id(s.tenant),
            subject: s.subject.clone(),
            roles: s.roles.clone(),
            terminal_id: s.terminal.map(id),
            location_id: s.location.map(id),
        })
    }

    /// The caller's tenant.
    async fn tenant(&self, ctx: &Context<'_>) -> Result<super::tenant::Tenant> {
        Ok(super::tenant::get(ctx.session()?, ctx.db()?).await?)
    }

    /// A location by id; null if there is none in this tenant.
    #[graphql(guard = "Staff::any()")]
    async fn location(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Location>> {
        let id = validate::id("id", &id)?;
        Ok(locations::get(ctx.session()?, ctx.db()?, id)
            .await?
            .map(Location))
    }

    /// Locations, oldest first.
    #[graphql(guard = "Staff::any()")]
    async fn locations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        #[graphql(desc = "Case-insensitive part of the name or code.")] search: Option<String>,
    ) -> Result<Connection<String, Location>> {
        let page = Page::new(first, after.as_deref())?;
        let filter = LocationFilter { search };
        let rows = locations::list(ctx.session()?, ctx.db()?, &filter, &page).await?;
        Ok(page.connection(rows, |l| l.id, Location))
    }

    /// A terminal by id; null if there is none in this tenant.
    #[graphql(guard = "Staff::any()")]
    async fn terminal(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Terminal>> {
        let id = validate::id("id", &id)?;
        Ok(terminals::get(ctx.session()?, ctx.db()?, id)
            .await?
            .map(Terminal))
    }

    /// Terminals, oldest first.
    #[graphql(guard = "Staff::any()")]
    async fn terminals(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        location_id: Option<ID>,
        status: Option<TerminalStatus>,
    ) -> Result<Connection<String, Terminal>> {
        let page = Page::new(first, after.as_deref())?;
        let filter = TerminalFilter {
            location: location_id
                .as_ref()
                .map(|id| validate::id("locationId", id))
                .transpose()?,
            status: status.map(Into::into),
        };
        let rows = terminals::list(ctx.session()?, ctx.db()?, &filter, &page).await?;
        Ok(page.connection(rows, |t| t.id, Terminal))
    }
}

#[derive(Default)]
pub struct OrgMutation;

#[Object]
impl OrgMutation {
    /// Renames the tenant or changes its rounding policy (owners only).
    #[graphql(guard = "Staff::owners()")]
    async fn update_tenant_settings(
        &self,
        ctx: &Context<'_>,
        input: super::tenant::UpdateTenantSettingsInput,
    ) -> Result<super::tenant::Tenant> {
        Ok(super::tenant::update(ctx.session()?, ctx.db()?, input).await?)
    }

    #[graphql(guard = "Staff::managers()")]
    async fn create_location(
        &self,
        ctx: &Context<'_>,
        input: CreateLocationInput,
    ) -> Result<Location> {
        Ok(Location(
            locations::create(ctx.session()?, ctx.db()?, input).await?,
        ))
    }

    #[graphql(guard = "Staff::managers()")]
    async fn update_location(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateLocationInput,
    ) -> Result<Location> {
        let id = validate::id("id", &id)?;
        Ok(Location(
            locations::update(ctx.session()?, ctx.db()?, id, input).await?,
        ))
    }

    #[graphql(guard = "Staff::managers()")]
    async fn create_terminal(
        &self,
        ctx: &Context<'_>,
        input: CreateTerminalInput,
    ) -> Result<Terminal> {
        Ok(Terminal(
            terminals::create(ctx.session()?, ctx.db()?, input).await?,
        ))
    }

    #[graphql(guard = "Staff::managers()")]
    async fn update_terminal(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateTerminalInput,
    ) -> Result<Terminal> {
        let id = validate::id("id", &id)?;
        Ok(Terminal(
            terminals::update(ctx.session()?, ctx.db()?, id, input).await?,
        ))
    }

    /// Revokes a terminal for good; its tokens stop working at once.
    #[graphql(guard = "Staff::managers()")]
    async fn revoke_terminal(&self, ctx: &Context<'_>, id: ID) -> Result<Terminal> {
        let id = validate::id("id", &id)?;
        Ok(Terminal(
            terminals::revoke(ctx.session()?, ctx.db()?, id).await?,
        ))
    }

    /// Mints a device token bound to the terminal and its location.
    #[graphql(guard = "Staff::managers()")]
    async fn issue_terminal_token(
        &self,
        ctx: &Context<'_>,
        terminal_id: ID,
        #[graphql(desc = "Lifetime in seconds; default 90 days, at most 366 days.")]
        ttl_seconds: Option<i32>,
    ) -> Result<TerminalToken> {
        let id = validate::id("terminalId", &terminal_id)?;
        let ttl = match ttl_seconds {
            Some(s) if s <= 0 => {
                return Err(
                    AppError::bad_input("ttlSeconds", "ttlSeconds must be positive").into(),
                );
            }
            Some(s) => Some(std::time::Duration::from_secs(s as u64)),
            None => None,
        };
        let issued =
            terminals::issue_token(ctx.session()?, ctx.db()?, ctx.keys()?, id, ttl).await?;
        Ok(TerminalToken {
            token: issued.token,
            expires_at: issued.expires_at,
            terminal: Terminal(issued.terminal),
        })
    }
}

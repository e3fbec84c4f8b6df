//! GraphQL types and thin resolvers for the tenant, locations and
//! terminals.

mod inputs;
pub mod loaders;
mod types;

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, Result};

use super::locations::{self, LocationFilter};
use super::terminals;
use crate::auth::Staff;
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::pagination::Page;
use crate::validate;
use inputs::{
    CreateLocationInput, CreateTerminalInput, UpdateLocationInput, UpdateTenantSettingsInput,
    UpdateTerminalInput,
};
pub use types::{Location, Me, Tenant, Terminal, TerminalStatus, TerminalToken};

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
            roles: s.roles.iter().map(|r| (*r).into()).collect(),
            terminal_id: s.terminal.map(id),
            location_id: s.location.map(id),
        })
    }

    /// The caller's tenant.
    async fn tenant(&self, ctx: &Context<'_>) -> Result<Tenant> {
        Ok(super::tenant::get(ctx.session()?, ctx.db()?).await?.into())
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
        let location = location_id
            .as_ref()
            .map(|id| validate::id("locationId", id))
            .transpose()?;
        types::terminal_page(ctx, page, location, status).await
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
        input: UpdateTenantSettingsInput,
    ) -> Result<Tenant> {
        Ok(
            super::tenant::update(ctx.session()?, ctx.db()?, input.into())
                .await?
                .into(),
        )
    }

    #[graphql(guard = "Staff::managers()")]
    async fn create_location(
        &self,
        ctx: &Context<'_>,
        input: CreateLocationInput,
    ) -> Result<Location> {
        Ok(Location(
            locations::create(ctx.session()?, ctx.db()?, input.into()).await?,
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
            locations::update(ctx.session()?, ctx.db()?, id, input.into()).await?,
        ))
    }

    #[graphql(guard = "Staff::managers()")]
    async fn create_terminal(
        &self,
        ctx: &Context<'_>,
        input: CreateTerminalInput,
    ) -> Result<Terminal> {
        Ok(Terminal(
            terminals::create(ctx.session()?, ctx.db()?, input.into()).await?,
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
            terminals::update(ctx.session()?, ctx.db()?, id, input.into()).await?,
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

//! GraphQL output types of the organisation: the tenant, locations,
//! terminals and the caller, with the enums they show.

use async_graphql::connection::Connection;
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{location, terminal};

use super::loaders::LocationLoader;
use crate::auth::Staff;
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::pagination::Page;
use crate::org::terminals::{self, TerminalFilter};

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
        terminal_page(ctx, page, Some(self.0.id), status).await
    }
}

/// A page of the terminals at `location` (at every location for `None`).
pub(super) async fn terminal_page(
    ctx: &Context<'_>,
    page: Page,
    location: Option<uuid::Uuid>,
    status: Option<TerminalStatus>,
) -> Result<Connection<String, Terminal>> {
    let filter = TerminalFilter {
        location,
        status: status.map(Into::into),
    };
    let rows = terminals::list(ctx.session()?, ctx.db()?, &filter, &page).await?;
    Ok(page.connection(rows, |t| t.id, Terminal))
}

#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
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
        ctx.loader::<LocationLoader>()?
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
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub terminal: Terminal,
}

/// The caller, as the token describes it.
#[derive(SimpleObject)]
pub struct Me {
    pub tenant_id: ID,
    pub subject: String,
    pub roles: Vec<RoleGql>,
    /// Set for device tokens.
    pub terminal_id: Option<ID>,
    /// Set for device tokens.
    pub location_id: Option<ID>,
}

/// A staff role carried in the token's `roles` claim.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(
    name = "Role",
    remote = "crate::auth::Role",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum RoleGql {
    Owner,
    Manager,
    Cashier,
}

/// How a division that falls between two minor units is resolved.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "RoundingMode", remote = "crate::money::RoundingMode")]
pub enum RoundingModeGql {
    /// Halves go to the even neighbour ("banker's rounding"): 58.5 -> 58,
    /// 59.5 -> 60. Unbiased over many lines.
    HalfEven,
    /// Halves go away from zero: 58.5 -> 59, -58.5 -> -59.
    HalfUp,
}

/// Where rounding happens.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "RoundingLevel", remote = "crate::money::tax::RoundingLevel")]
pub enum RoundingLevelGql {
    /// Each line's tax is rounded, and the order's tax is their sum.
    Line,
    /// Lines with the same rates are summed first and taxed once; that
    /// tax is then spread back over the lines.
    Order,
}

#[derive(SimpleObject)]
pub struct Tenant {
    pub id: ID,
    pub name: String,
    /// ISO 4217 currency of base prices.
    pub currency: String,
    pub rounding_mode: RoundingModeGql,
    pub rounding_level: RoundingLevelGql,
}

impl From<crate::org::tenant::Tenant> for Tenant {
    fn from(t: crate::org::tenant::Tenant) -> Self {
        Self {
            id: ID(t.id.to_string()),
            name: t.name,
            currency: t.currency,
            rounding_mode: t.rounding_mode.into(),
            rounding_level: t.rounding_level.into(),
        }
    }
}

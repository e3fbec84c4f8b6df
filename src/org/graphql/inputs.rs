//! GraphQL inputs of the organisation, each turned into the service's own
//! input.

use async_graphql::{ID, InputObject};

use super::types::{RoundingLevelGql, RoundingModeGql};
use crate::org::{locations, tenant, terminals};

/// Fields left out are unchanged.
#[derive(Debug, Clone, InputObject)]
pub struct UpdateTenantSettingsInput {
    pub name: Option<String>,
    pub rounding_mode: Option<RoundingModeGql>,
    pub rounding_level: Option<RoundingLevelGql>,
}

impl From<UpdateTenantSettingsInput> for tenant::UpdateTenantSettingsInput {
    fn from(i: UpdateTenantSettingsInput) -> Self {
        Self {
            name: i.name,
            rounding_mode: i.rounding_mode.map(Into::into),
            rounding_level: i.rounding_level.map(Into::into),
        }
    }
}

#[derive(Debug, Clone, InputObject)]
pub struct AddressInput {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, e.g. `NL`.
    pub country: String,
}

impl From<AddressInput> for locations::AddressInput {
    fn from(a: AddressInput) -> Self {
        Self {
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            region: a.region,
            postal_code: a.postal_code,
            country: a.country,
        }
    }
}

#[derive(Debug, Clone, InputObject)]
pub struct CreateLocationInput {
    /// Unique per tenant; printed on receipts, e.g. `AMS1`.
    pub code: String,
    pub name: String,
    pub address: AddressInput,
    /// IANA time zone, e.g. `Europe/Amsterdam`.
    pub time_zone: String,
    /// ISO 4217 code, e.g. `EUR`. Cannot be changed later.
    pub currency: String,
    /// Whether shelf prices here include tax (EU style). Default false.
    #[graphql(default)]
    pub prices_include_tax: bool,
}

impl From<CreateLocationInput> for locations::CreateLocationInput {
    fn from(i: CreateLocationInput) -> Self {
        Self {
            code: i.code,
            name: i.name,
            address: i.address.into(),
            time_zone: i.time_zone,
            currency: i.currency,
            prices_include_tax: i.prices_include_tax,
        }
    }
}

/// Fields left out are unchanged.
#[derive(Debug, Clone, InputObject)]
pub struct UpdateLocationInput {
    pub code: Option<String>,
    pub name: Option<String>,
    /// Replaces the whole address.
    pub address: Option<AddressInput>,
    pub time_zone: Option<String>,
    pub prices_include_tax: Option<bool>,
}

impl From<UpdateLocationInput> for locations::UpdateLocationInput {
    fn from(i: UpdateLocationInput) -> Self {
        Self {
            code: i.code,
            name: i.name,
            address: i.address.map(Into::into),
            time_zone: i.time_zone,
            prices_include_tax: i.prices_include_tax,
        }
    }
}

#[derive(Debug, Clone, InputObject)]
pub struct CreateTerminalInput {
    pub location_id: ID,
    /// Unique within the location; printed on receipts, e.g. `T01`.
    pub code: String,
    pub name: String,
}

impl From<CreateTerminalInput> for terminals::CreateTerminalInput {
    fn from(i: CreateTerminalInput) -> Self {
        Self {
            location_id: i.location_id.0,
            code: i.code,
            name: i.name,
        }
    }
}

#[derive(Debug, Clone, InputObject)]
pub struct UpdateTerminalInput {
    pub name: Option<String>,
}

impl From<UpdateTerminalInput> for terminals::UpdateTerminalInput {
    fn from(i: UpdateTerminalInput) -> Self {
        Self { name: i.name }
    }
}

//! GraphQL inputs of the organisation, each turned into the service's own
//! input.

use async_graphql::InputObject;

use super::types::{RoundingLevelGql, RoundingModeGql};
use crate::org::tenant;

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

//! Authentication: a verified JWT becomes a [`Session`], the only source of
//! the tenant for everything the request does.

mod guard;
mod keys;
pub mod limits;

pub use guard::Staff;
pub use keys::{AuthError, Claims, Keys};
pub use limits::{Rate, RateLimits};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A staff role carried in the token's `roles` claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Owner,
    Manager,
    Cashier,
}

/// Who is calling, from a verified token. Every service function takes it
/// first, so none can run without a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The tenant, from the `tid` claim. Never from the request body.
    pub tenant: Uuid,
    /// The `sub` claim: a user id, or `terminal:<id>` on device tokens.
    pub subject: String,
    pub roles: Vec<Role>,
    /// Set on device tokens only (`trm`).
    pub terminal: Option<Uuid>,
    /// The terminal's location, on device tokens only (`loc`).
    pub location: Option<Uuid>,
}

impl Session {
    pub fn is_device(&self) -> bool {
        self.terminal.is_some()
    }

    pub fn has_any_role(&self, roles: &[Role]) -> bool {
        self.roles.iter().any(|r| roles.contains(r))
    }

    /// A staff token of an owner or manager: back-office access.
    pub fn is_manager(&self) -> bool {
        !self.is_device() && self.has_any_role(&[Role::Owner, Role::Manager])
    }

    /// Managers may see any terminal's books; a device token only its own.
    pub fn may_see_terminal(
        &self,
        terminal: Uuid,
        what: &str,
    ) -> Result<(), crate::error::AppError> {
        if self.is_manager() || self.terminal == Some(terminal) {
            Ok(())
        } else {
            Err(crate::error::AppError::Forbidden(format!(
                "{what} is for managers, or the terminal itself"
            )))
        }
    }
}

impl From<Claims> for Session {
    fn from(claims: Claims) -> Self {
        Self {
            tenant: claims.tid,
            subject: claims.sub,
            roles: claims.roles,
            terminal: claims.trm,
            location: claims.loc,
        }
    }
}

//! Role checks for staff operations. Resolvers use them as guards
//! (`#[graphql(guard = "Staff::managers()")]`; the `Guard` impl is the
//! API layer's, in `graphql::context`).

use super::{Role, Session};
use crate::error::AppError;

/// Staff tokens holding one of the listed roles. Device tokens are refused:
/// a terminal may only do what terminals do.
pub struct Staff(&'static [Role]);

impl Staff {
    /// Any staff member.
    pub fn any() -> Self {
        Self(&[Role::Owner, Role::Manager, Role::Cashier])
    }

    /// Owners only: the tenant's own settings.
    pub fn owners() -> Self {
        Self(&[Role::Owner])
    }

    /// Owners and managers: configuration and back-office work.
    pub fn managers() -> Self {
        Self(&[Role::Owner, Role::Manager])
    }

    /// Whether `session` may do what this guard guards: for checks of one
    /// argument inside a resolver.
    pub fn check_session(&self, session: &Session) -> Result<(), AppError> {
        if session.is_device() {
            return Err(AppError::Forbidden(
                "device tokens cannot perform staff operations".into(),
            ));
        }
        if !session.has_any_role(self.0) {
            return Err(AppError::Forbidden(format!(
                "requires one of the roles {}",
                self.0
                    .iter()
                    .map(|r| format!("{r:?}").to_uppercase())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn session(roles: &[Role], terminal: Option<Uuid>) -> Session {
        Session {
            tenant: Uuid::nil(),
            subject: "s".into(),
            roles: roles.to_vec(),
            terminal,
            location: None,
        }
    }

    #[test]
    fn a_cashier_is_not_a_manager() {
        assert!(
            Staff::managers()
                .check_session(&session(&[Role::Cashier], None))
                .is_err()
        );
        assert!(
            Staff::managers()
                .check_session(&session(&[Role::Manager], None))
                .is_ok()
        );
        assert!(
            Staff::any()
                .check_session(&session(&[Role::Cashier], None))
                .is_ok()
        );
    }

    #[test]
    fn a_device_token_is_not_staff_whatever_its_roles() {
        let device = session(&[Role::Owner], Some(Uuid::nil()));
        assert!(Staff::any().check_session(&device).is_err());
    }
}

//! The door every GraphQL operation passes, whatever its transport: HTTP
//! POST and GET, each `subscribe` on a WebSocket, and persisted queries on
//! either.
//!
//! [`identify`] turns a bearer token into a [`Caller`] once per request or
//! connection. [`admit`] then runs at the start of every operation:
//! - the token has not expired (its `exp` plus the clock leeway);
//! - its tenant exists (tenants have no suspended state yet);
//! - a device token's terminal is still active at its location (read
//!   through the cache that revocations invalidate on every replica);
//! - the rate limits: the tenant's and terminal's buckets, or without a
//!   token the client address's bucket.
//!
//! Refusals cost a map lookup or two, before any parsing or database work.

use std::net::IpAddr;

use super::AppState;
use crate::audit::RequestOrigin;
use crate::auth::{AuthError, Session};
use crate::error::AppError;
use crate::org::{tenant, terminals};

/// Who is calling and from where, as the door identified them.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The verified session; `None` for a request without a token.
    pub session: Option<Session>,
    /// Unix seconds until which the token is honoured.
    pub deadline: Option<u64>,
    /// The client's address (`origin` carries it as text for the audit
    /// log); the key of the anonymous rate limit.
    pub client: Option<IpAddr>,
    pub origin: RequestOrigin,
}

/// The token of an `Authorization` value: `Bearer <token>` (the scheme in
/// any case), or `None`.
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Verifies `token` (when there is one) and makes the caller. Refuses a
/// bad or expired token, or a device token whose terminal is revoked.
pub async fn identify(
    state: &AppState,
    token: Option<&str>,
    client: Option<IpAddr>,
    origin: RequestOrigin,
) -> Result<Caller, AppError> {
    let Some(token) = token else {
        return Ok(Caller {
            session: None,
            deadline: None,
            client,
            origin,
        });
    };
    let claims = state.keys.verify_cached(token).await.map_err(|e| match e {
        AuthError::Invalid(reason) => {
            tracing::info!(%reason, "token refused");
            AppError::Unauthenticated("invalid or expired token".into())
        }
        AuthError::Config(reason) => AppError::internal(reason),
    })?;
    let deadline = state.keys.deadline(&claims);
    Ok(Caller {
        session: Some(Session::from(claims)),
        deadline: Some(deadline),
        client,
        origin,
    })
}

/// Admits `operations` operations of `caller`, or refuses them with the
/// reason's code (UNAUTHENTICATED, RATE_LIMITED…).
pub async fn admit(state: &AppState, caller: &Caller, operations: usize) -> Result<(), AppError> {
    let Some(session) = &caller.session else {
        for _ in 0..operations {
            state.limits.admit_anonymous(caller.client)?;
        }
        return Ok(());
    };
    current(state, caller, session).await?;
    for _ in 0..operations {
        state.limits.admit(session)?;
    }
    Ok(())
}

/// Whether `caller`'s session still holds: its token unexpired, its tenant
/// there and, for a device, its terminal active. Checked by [`admit`], and every second on
/// an open WebSocket.
pub async fn current(state: &AppState, caller: &Caller, session: &Session) -> Result<(), AppError> {
    if caller
        .deadline
        .is_some_and(|deadline| jsonwebtoken::get_current_timestamp() > deadline)
    {
        return Err(AppError::Unauthenticated("the token has expired".into()));
    }
    tenant::require_active(session, &state.db, &state.cache).await?;
    if session.is_device() {
        terminals::authorize_device(session, &state.db, &state.cache).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn bearer_tokens_are_read_in_any_case() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("BEARER abc"), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("abc"), None);
    }
}

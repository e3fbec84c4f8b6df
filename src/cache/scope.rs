//! What a cache generation covers, and how it is named in Redis and on
//! the invalidation channel.

use uuid::Uuid;

/// What a generation covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Scope {
    /// Everything cached of a tenant but stock levels.
    Tenant(Uuid),
    /// The stock levels of one location (location ids are unique across
    /// tenants; every key under it also names the tenant).
    Stock(Uuid),
}

impl Scope {
    /// Where Redis keeps the scope's current generation.
    pub(super) fn generation_key(self) -> String {
        match self {
            Scope::Tenant(tenant) => format!("pos:v1:{tenant}:gen"),
            Scope::Stock(location) => format!("pos:v1:stock:{location}:gen"),
        }
    }

    /// The prefix of the scope's Redis entries.
    pub(super) fn entry_prefix(self, generation: u64) -> String {
        match self {
            Scope::Tenant(tenant) => format!("pos:v1:{tenant}:g{generation}"),
            Scope::Stock(location) => format!("pos:v1:stock:{location}:g{generation}"),
        }
    }

    /// The message that publishes a new generation.
    pub(super) fn message(self, generation: u64) -> String {
        match self {
            Scope::Tenant(tenant) => format!("{tenant}:{generation}"),
            Scope::Stock(location) => format!("stock:{location}:{generation}"),
        }
    }

    /// The scope and generation a published message names.
    pub(super) fn parse(message: &str) -> Option<(Scope, u64)> {
        let (scope, rest) = match message.strip_prefix("stock:") {
            Some(rest) => (Scope::Stock as fn(Uuid) -> Scope, rest),
            None => (Scope::Tenant as fn(Uuid) -> Scope, message),
        };
        let (id, generation) = rest.split_once(':')?;
        Some((scope(id.parse().ok()?), generation.parse().ok()?))
    }
}

//! The one error type. Clients see a stable code in `extensions.code` and a
//! safe message; internal causes are logged with the request id, never sent.

use sea_orm::{DbErr, SqlErr};

pub type Result<T, E = AppError> = std::result::Result<T, E>;

// Resolvers turn an `AppError` into an `async_graphql::Error` with `?`
// (async-graphql's blanket conversion keeps it as the error's source); the
// `graphql::codes` extension then sets `extensions.code` from it.

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    /// What the input names does not exist: the input field that names
    /// it, when there is one.
    #[error("{message}")]
    NotFound {
        message: String,
        field: Option<String>,
    },
    #[error("{message}")]
    BadInput {
        message: String,
        field: Option<String>,
    },
    /// The input clashes with what is stored (a code already taken): the
    /// input field at fault, when there is one.
    #[error("{message}")]
    Conflict {
        message: String,
        field: Option<String>,
    },
    /// An event (or the online mutation that made it) that cannot be
    /// applied: `class` is the general code, `reason` the specific one.
    #[error("{message}")]
    Rejected {
        class: &'static str,
        reason: &'static str,
        message: String,
        field: Option<String>,
    },
    #[error("too many requests from this {scope}; retry in {retry_after_secs} s")]
    RateLimited {
        /// `tenant`, `terminal` or `address`: whose limit was reached.
        scope: &'static str,
        retry_after_secs: u64,
    },
    /// Refused at the door because the replica has as many operations of
    /// this kind in flight as it takes: code `UNAVAILABLE`, with a
    /// retry-after hint (jittered, so refused clients do not return in
    /// step).
    #[error("the server is at capacity; retry in {retry_after_secs} s")]
    Overloaded { retry_after_secs: u64 },
    /// The server is saturated or a dependency is down for a moment (no
    /// database connection free in time). Safe to retry after a pause.
    #[error("{0}")]
    Unavailable(String),
    /// Apollo's automatic persisted queries: the hash is not known (yet);
    /// the client sends it again with the document.
    #[error("PersistedQueryNotFound")]
    PersistedQueryNotFound,
    /// Anything the client could not have caused. The cause is logged; the
    /// client sees only "internal error".
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound { .. } => "NOT_FOUND",
            Self::BadInput { .. } => "BAD_USER_INPUT",
            Self::Conflict { .. } => "CONFLICT",
            Self::Rejected { class, .. } => class,
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Unavailable(_) | Self::Overloaded { .. } => "UNAVAILABLE",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::Internal(_) => "INTERNAL",
        }
    }

    /// Bad input tied to one argument or input field, named in
    /// `extensions.field` so clients can point at it.
    pub fn bad_input(field: &str, message: impl Into<String>) -> Self {
        Self::BadInput {
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    /// Something the input names does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound {
            message: message.into(),
            field: None,
        }
    }

    /// The error, naming `field` as the input at fault unless it names one
    /// already (bad input, a clash, or something not found).
    pub fn at(mut self, at: &str) -> Self {
        if let Self::BadInput { field, .. }
        | Self::Conflict { field, .. }
        | Self::NotFound { field, .. } = &mut self
            && field.is_none()
        {
            *field = Some(at.to_owned());
        }
        self
    }

    /// A clash with stored data that no one input field causes.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
            field: None,
        }
    }

    /// A clash with stored data caused by one input field (`field` as in
    /// [`AppError::bad_input`]).
    pub fn conflict_at(field: &str, message: impl Into<String>) -> Self {
        Self::Conflict {
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    /// Seconds the client should wait before retrying, for refusals that
    /// say so.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::RateLimited {
                retry_after_secs, ..
            }
            | Self::Overloaded { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// A copy of an error one load returned to every caller that waited
    /// for it (an internal cause is kept as its text).
    pub fn from_shared(err: &AppError) -> Self {
        match err {
            Self::Unauthenticated(m) => Self::Unauthenticated(m.clone()),
            Self::Forbidden(m) => Self::Forbidden(m.clone()),
            Self::NotFound { message, field } => Self::NotFound {
                message: message.clone(),
                field: field.clone(),
            },
            Self::BadInput { message, field } => Self::BadInput {
                message: message.clone(),
                field: field.clone(),
            },
            Self::Conflict { message, field } => Self::Conflict {
                message: message.clone(),
                field: field.clone(),
            },
            Self::Rejected {
                class,
                reason,
                message,
                field,
            } => Self::Rejected {
                class,
                reason,
                message: message.clone(),
                field: field.clone(),
            },
            Self::RateLimited {
                scope,
                retry_after_secs,
            } => Self::RateLimited {
                scope,
                retry_after_secs: *retry_after_secs,
            },
            Self::Overloaded { retry_after_secs } => Self::Overloaded {
                retry_after_secs: *retry_after_secs,
            },
            Self::Unavailable(m) => Self::Unavailable(m.clone()),
            Self::PersistedQueryNotFound => Self::PersistedQueryNotFound,
            Self::Internal(cause) => Self::internal(cause.to_string()),
        }
    }

    pub fn internal(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(err.into())
    }

    /// Logs internal causes once, as the error leaves for the client, inside
    /// the request's span (so with its request id).
    pub fn log(&self) {
        if let Self::Internal(cause) = self {
            tracing::error!(error = %describe(cause.as_ref()), "internal error");
        }
    }
}

/// An error's text for logs and the command line: a database error as its
/// message and SQLSTATE, never the database server's own source position
/// (sqlx appends PostgreSQL's "at line 948", a line of its C source).
pub fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let database = err.downcast_ref::<DbErr>().and_then(|e| match e {
        DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e))
        | DbErr::Query(sea_orm::RuntimeErr::SqlxError(e))
        | DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e)) => e.as_database_error(),
        _ => None,
    });
    match database {
        Some(db) => match db.code() {
            Some(code) => format!("database: {} (SQLSTATE {code})", db.message()),
            None => format!("database: {}", db.message()),
        },
        None => without_source_lines(&err.to_string()),
    }
}

/// `text` without the " at line N" sqlx puts after PostgreSQL's messages.
fn without_source_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(" at line ") {
        let after = &rest[at + " at line ".len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            out.push_str(&rest[..at + " at line ".len()]);
        } else {
            out.push_str(&rest[..at]);
        }
        rest = &after[digits..];
    }
    out.push_str(rest);
    out
}

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        match err {
            DbErr::ConnectionAcquire(cause) => {
                tracing::warn!(error = %cause, "no database connection free in time");
                Self::Unavailable("the server is busy; retry in a moment".into())
            }
            err if is_unreachable(&err) => {
                tracing::warn!(error = %describe(&err), "the database is unreachable; the client may retry");
                Self::Unavailable("the database is unreachable; retry in a moment".into())
            }
            err if is_transient(&err) => {
                tracing::warn!(error = %describe(&err), "the database was busy; the client may retry");
                Self::Unavailable("the database is busy; retry in a moment".into())
            }
            err => Self::Internal(Box::new(err)),
        }
    }
}

/// The database went away under the request: the connection broke, or the
/// server is shutting down, restarting or refusing connections
/// (PostgreSQL classes 08 and 57P01–57P03). The transaction did not
/// commit, or its commit was not confirmed; a retry is safe wherever
/// retries are (pushes are deduplicated).
pub fn is_unreachable(err: &DbErr) -> bool {
    let (DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e))
    | DbErr::Query(sea_orm::RuntimeErr::SqlxError(e))
    | DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))) = err
    else {
        return matches!(err, DbErr::ConnectionAcquire(_));
    };
    use sea_orm::sqlx::Error as E;
    match &**e {
        E::Io(_)
        | E::Tls(_)
        | E::Protocol(_)
        | E::PoolTimedOut
        | E::PoolClosed
        | E::WorkerCrashed => true,
        E::Database(db) => db.code().is_some_and(|c| {
            c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// Errors that say nothing about the request, only that the database was
/// busy: retrying the same request can succeed. SQLite: the write lock
/// stayed taken past the busy timeout (`SQLITE_BUSY`, `SQLITE_LOCKED`).
/// PostgreSQL: the statement timeout, a lock timeout, a deadlock or a
/// serialization failure (the transaction was rolled back whole).
fn is_transient(err: &DbErr) -> bool {
    let (DbErr::Query(sea_orm::RuntimeErr::SqlxError(e))
    | DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))) = err
    else {
        return false;
    };
    let Some(db) = e.as_database_error() else {
        return false;
    };
    let code = db.code().unwrap_or_default();
    if db
        .try_downcast_ref::<sea_orm::sqlx::sqlite::SqliteError>()
        .is_some()
    {
        // The primary result code, or an extended one whose low byte is it
        // (SQLITE_BUSY_SNAPSHOT is 517).
        let primary = code.parse::<i32>().map(|c| c & 0xff).unwrap_or(-1);
        return matches!(primary, 5 | 6);
    }
    matches!(code.as_ref(), "57014" | "55P03" | "40P01" | "40001")
}

/// Maps a unique-key violation to a client-facing CONFLICT with `message`,
/// naming the input `field` that holds the taken value; every other
/// database error stays internal. The one place constraint names turn into
/// client errors.
pub fn on_constraint(err: DbErr, field: &str, message: impl Into<String>) -> AppError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => AppError::conflict_at(field, message),
        _ => AppError::from(err),
    }
}

impl AppError {
    /// The field named by a BAD_USER_INPUT error, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::BadInput { field, .. }
            | Self::Conflict { field, .. }
            | Self::NotFound { field, .. }
            | Self::Rejected { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// The specific reason of a rejected event, if this is one.
    pub fn reason(&self) -> Option<&'static str> {
        match self {
            Self::Rejected { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::error::ConnAcquireErr;

    use super::*;

    #[test]
    fn database_source_lines_are_left_out() {
        assert_eq!(
            without_source_lines(
                "Query Error: error returned from database: duplicate key value violates unique constraint \"x\" at line 948"
            ),
            "Query Error: error returned from database: duplicate key value violates unique constraint \"x\""
        );
        assert_eq!(
            without_source_lines("a at line b at line 12, c"),
            "a at line b, c"
        );
        let custom = DbErr::Custom("no such table at line 7".into());
        assert_eq!(describe(&custom), "Custom Error: no such table");
    }

    #[test]
    fn a_lost_connection_is_retryable_not_internal() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        let err = DbErr::Query(sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(
            sea_orm::sqlx::Error::Io(io),
        )));
        assert!(is_unreachable(&err));
        assert_eq!(AppError::from(err).code(), "UNAVAILABLE");
        let other = DbErr::Query(sea_orm::RuntimeErr::SqlxError(std::sync::Arc::new(
            sea_orm::sqlx::Error::RowNotFound,
        )));
        assert!(!is_unreachable(&other));
        assert_eq!(AppError::from(other).code(), "INTERNAL");
    }

    #[test]
    fn a_pool_timeout_is_retryable_not_internal() {
        let err = AppError::from(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout));
        assert_eq!(err.code(), "UNAVAILABLE");
        assert_eq!(
            AppError::from(DbErr::Custom("boom".into())).code(),
            "INTERNAL"
        );
    }
}

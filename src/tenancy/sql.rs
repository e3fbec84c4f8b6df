//! Raw SQL with the tenant bound by the scope, not by the caller:
//! [`TenantSql`] (a statement in a [`TenantTx`]) and [`ScopedCall`] (a call
//! of a PostgreSQL function that scopes itself, outside any transaction).

use sea_orm::{DbBackend, DbErr, ExecResult, QueryResult, Statement, Value};
use uuid::Uuid;

use super::TenantTx;

/// A raw statement whose first parameter (`$1`, or `?1` on SQLite) is the
/// tenant of the [`TenantTx`] that made it ([`TenantTx::sql`]); the values
/// given to [`TenantSql::bind`] follow as `$2`, `$3`, …
///
/// The SQL itself is still the caller's: it must use `$1` for every tenant
/// table it touches. What this removes is the chance of binding some other
/// tenant id there.
#[must_use = "a statement does nothing until it is run with the transaction"]
#[derive(Debug, Clone)]
pub struct TenantSql {
    backend: DbBackend,
    sql: String,
    values: Vec<Value>,
    tenant: Uuid,
}

impl TenantSql {
    pub(super) fn new(backend: DbBackend, sql: String, tenant: Uuid) -> Self {
        Self {
            backend,
            sql,
            values: vec![tenant.into()],
            tenant,
        }
    }

    /// Binds the next parameter (`$2` first).
    pub fn bind(mut self, value: impl Into<Value>) -> Self {
        self.values.push(value.into());
        self
    }

    /// The statement, as it will run (for tests and logs).
    pub fn statement(&self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.sql.clone(), self.values.clone())
    }

    fn check(&self, tx: &TenantTx) -> Result<(), DbErr> {
        if tx.tenant() == self.tenant {
            Ok(())
        } else {
            Err(DbErr::Custom(
                "a tenant statement was run in another tenant's transaction".into(),
            ))
        }
    }

    /// Runs it in `tx` and returns its rows.
    pub async fn all(self, tx: &TenantTx) -> Result<Vec<QueryResult>, DbErr> {
        self.check(tx)?;
        tx.query_all_raw(self.statement()).await
    }

    /// Runs it in `tx` and returns its first row.
    pub async fn one(self, tx: &TenantTx) -> Result<Option<QueryResult>, DbErr> {
        self.check(tx)?;
        tx.query_one_raw(self.statement()).await
    }

    /// Runs it in `tx`, for a statement that returns no rows.
    pub async fn exec(self, tx: &TenantTx) -> Result<ExecResult, DbErr> {
        self.check(tx)?;
        tx.execute_raw(self.statement()).await
    }
}

/// A call of a PostgreSQL function that takes the tenant as its first
/// argument and scopes itself to it (`set_config('app.tenant_id', …,
/// true)` inside, which ends with the statement): `SELECT
/// function($1, $2, …) AS alias`. [`super::Db::call_scoped`] binds `$1`
/// from the session; the caller gives only the other arguments.
#[must_use = "a call does nothing until it is run with Db::call_scoped"]
#[derive(Debug, Clone)]
pub struct ScopedCall {
    function: &'static str,
    alias: &'static str,
    args: Vec<(Value, Option<&'static str>)>,
}

impl ScopedCall {
    /// A call of `function`, its result named `alias`. Both are names
    /// written in the code (letters, digits and `_`), never input.
    pub fn new(function: &'static str, alias: &'static str) -> Self {
        Self {
            function,
            alias,
            args: Vec::new(),
        }
    }

    /// The next argument (`$2` first).
    pub fn arg(mut self, value: impl Into<Value>) -> Self {
        self.args.push((value.into(), None));
        self
    }

    /// The next argument, cast to `sql_type` (`$2::uuid`).
    pub fn arg_as(mut self, value: impl Into<Value>, sql_type: &'static str) -> Self {
        self.args.push((value.into(), Some(sql_type)));
        self
    }

    /// The statement calling the function for `tenant`.
    pub(super) fn statement(&self, tenant: Uuid) -> Result<Statement, DbErr> {
        let names = [self.function, self.alias]
            .into_iter()
            .chain(self.args.iter().filter_map(|(_, t)| *t));
        if let Some(bad) = names.into_iter().find(|n| !is_name(n)) {
            return Err(DbErr::Custom(format!("not a plain SQL name: {bad:?}")));
        }
        let mut sql = format!("SELECT {}($1", self.function);
        let mut values = vec![tenant.into()];
        for (i, (value, cast)) in self.args.iter().enumerate() {
            sql.push_str(&format!(", ${}", i + 2));
            if let Some(t) = cast {
                sql.push_str("::");
                sql.push_str(t);
            }
            values.push(value.clone());
        }
        sql.push_str(&format!(") AS {}", self.alias));
        Ok(Statement::from_sql_and_values(
            DbBackend::Postgres,
            sql,
            values,
        ))
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scoped_call_binds_the_tenant_first() {
        let tenant = Uuid::now_v7();
        let location = Uuid::now_v7();
        let stmt = ScopedCall::new("pos_lookup", "found")
            .arg_as(location.to_string(), "uuid")
            .arg("[\"k\"]")
            .statement(tenant)
            .unwrap();
        assert_eq!(stmt.sql, "SELECT pos_lookup($1, $2::uuid, $3) AS found");
        let values = stmt.values.unwrap().0;
        assert_eq!(values[0], Value::from(tenant));
        assert_eq!(values[1], Value::from(location.to_string()));
        assert_eq!(values.len(), 3);
        let plain = ScopedCall::new("pos_scan", "found").arg("[]");
        assert_eq!(
            plain.statement(tenant).unwrap().sql,
            "SELECT pos_scan($1, $2) AS found"
        );
    }

    #[test]
    fn a_scoped_call_refuses_anything_but_plain_names() {
        let tenant = Uuid::now_v7();
        for call in [
            ScopedCall::new("pos_scan(1); DROP TABLE sales; --", "found"),
            ScopedCall::new("pos_scan", "found; x"),
            ScopedCall::new("pos_scan", "found").arg_as("x", "uuid)"),
            ScopedCall::new("", "found"),
        ] {
            assert!(call.statement(tenant).is_err(), "{call:?}");
        }
    }

    #[test]
    fn tenant_sql_binds_the_tenant_as_the_first_parameter() {
        let tenant = Uuid::now_v7();
        let stmt = TenantSql::new(
            DbBackend::Postgres,
            "DELETE FROM t WHERE tenant_id = $1 AND id = $2".into(),
            tenant,
        )
        .bind(7_i64)
        .statement();
        let values = stmt.values.unwrap().0;
        assert_eq!(values, vec![Value::from(tenant), Value::from(7_i64)]);
    }
}

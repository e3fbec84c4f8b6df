//! Database-level guarantees on PostgreSQL: RLS on every tenant table, an
//! app role that cannot bypass it, and fail-closed behaviour without a
//! tenant. On SQLite most of these tests have nothing to check and return
//! early; the pool-of-one test runs on both.

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

async fn rows(url: &str, sql: &str) -> Vec<sea_orm::QueryResult> {
    let db = Database::connect(url).await.unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(DbBackend::Postgres, sql.to_owned()))
        .await
        .unwrap();
    db.close().await.ok();
    rows
}

#[tokio::test]
#[ignore = "needs PostgreSQL (POS_DATABASE_URL=postgres://…): run with --ignored needs_postgres"]
async fn needs_postgres_every_tenant_table_has_rls_enabled_and_forced() {
    let app = TestApp::spawn().await;
    let Backend::Postgres { owner_url, .. } = &app.backend else {
        panic!("set POS_DATABASE_URL to a PostgreSQL server");
    };
    let tables = rows(
        owner_url,
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, \
                (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies \
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind = 'r' \
           AND (EXISTS (SELECT 1 FROM information_schema.columns col \
                        WHERE col.table_schema = 'public' AND col.table_name = c.relname \
                          AND col.column_name = 'tenant_id') \
                OR c.relname = 'tenants')",
    )
    .await;
    assert!(tables.len() >= 3, "found {} tenant tables", tables.len());
    for row in tables {
        let name: String = row.try_get("", "relname").unwrap();
        let enabled: bool = row.try_get("", "relrowsecurity").unwrap();
        let forced: bool = row.try_get("", "relforcerowsecurity").unwrap();
        let policies: i64 = row.try_get("", "policies").unwrap();
        assert!(
            enabled && forced && policies > 0,
            "{name}: rls {enabled}, forced {forced}, policies {policies}"
        );
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL (POS_DATABASE_URL=postgres://…): run with --ignored needs_postgres"]
async fn needs_postgres_every_tenant_key_and_index_includes_the_tenant() {
    let app = TestApp::spawn().await;
    let Backend::Postgres { owner_url, .. } = &app.backend else {
        panic!("set POS_DATABASE_URL to a PostgreSQL server");
    };
    // Unique indexes and primary keys on tables with tenant_id lead with it.
    let indexes = rows(
        owner_url,
        "SELECT i.indexrelid::regclass::text AS name, a.attname AS first_column \
         FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0] \
         WHERE c.relnamespace = 'public'::regnamespace AND c.relname <> 'seaql_migrations' \
           AND c.relname <> 'tenants'",
    )
    .await;
    assert!(!indexes.is_empty());
    for row in indexes {
        let name: String = row.try_get("", "name").unwrap();
        let first: String = row.try_get("", "first_column").unwrap();
        assert_eq!(first, "tenant_id", "index {name} must lead with tenant_id");
    }
    // Foreign keys between tenant tables carry tenant_id.
    let fks = rows(
        owner_url,
        "SELECT conname, (SELECT array_agg(attname::text) FROM pg_attribute \
                          WHERE attrelid = conrelid AND attnum = ANY(conkey)) AS cols \
         FROM pg_constraint WHERE contype = 'f' AND connamespace = 'public'::regnamespace",
    )
    .await;
    for row in fks {
        let name: String = row.try_get("", "conname").unwrap();
        let cols: Vec<String> = row.try_get("", "cols").unwrap();
        assert!(
            cols.contains(&"tenant_id".to_owned()),
            "foreign key {name} lacks tenant_id: {cols:?}"
        );
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL (POS_DATABASE_URL=postgres://…): run with --ignored needs_postgres"]
async fn needs_postgres_the_app_role_neither_owns_the_tables_nor_bypasses_rls() {
    let app = TestApp::spawn().await;
    let Backend::Postgres { app_url, .. } = &app.backend else {
        panic!("set POS_DATABASE_URL to a PostgreSQL server");
    };
    let me = rows(
        app_url,
        "SELECT current_user::text AS name, r.rolsuper, r.rolbypassrls, \
                (SELECT count(*) FROM pg_tables t WHERE t.schemaname = 'public' \
                   AND t.tableowner = current_user) AS owned \
         FROM pg_roles r WHERE r.rolname = current_user",
    )
    .await;
    let row = &me[0];
    let name: String = row.try_get("", "name").unwrap();
    assert!(
        !row.try_get::<bool>("", "rolsuper").unwrap(),
        "{name} is a superuser"
    );
    assert!(
        !row.try_get::<bool>("", "rolbypassrls").unwrap(),
        "{name} has BYPASSRLS"
    );
    assert_eq!(
        row.try_get::<i64>("", "owned").unwrap(),
        0,
        "{name} owns tables"
    );
}

#[tokio::test]
#[ignore = "needs PostgreSQL (POS_DATABASE_URL=postgres://…): run with --ignored needs_postgres"]
async fn needs_postgres_without_a_tenant_setting_the_app_sees_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let Backend::Postgres { app_url, .. } = &app.backend else {
        panic!("set POS_DATABASE_URL to a PostgreSQL server");
    };
    let tenant = app.tenant("Acme").await;
    let owner = app.owner(tenant);
    let location = app.create_location(&owner, "AMS1").await;
    app.create_terminal(&owner, &location, "T01").await;

    let db = Database::connect(app_url.as_str()).await.unwrap();
    for table in ["tenants", "locations", "terminals"] {
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT count(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            row.try_get::<i64>("", "n").unwrap(),
            0,
            "{table} visible without a tenant"
        );
    }
    // With a tenant set, its rows appear, and only its rows.
    let txn = sea_orm::TransactionTrait::begin(&db).await.unwrap();
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT set_config('app.tenant_id', $1, true)",
        [tenant.to_string().into()],
    ))
    .await
    .unwrap();
    let row = txn
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM locations",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 1);
    // Writing a row for another tenant fails the policy's WITH CHECK.
    let other = uuid::Uuid::now_v7();
    let refused = txn
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "INSERT INTO tenants (id, name, created_at) VALUES ($1, 'Intruder', now())",
            [other.into()],
        ))
        .await;
    assert!(refused.is_err(), "RLS must refuse a row for another tenant");
    txn.rollback().await.ok();
    // And after the transaction the setting is gone again.
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM locations",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get::<i64>("", "n").unwrap(), 0);
    db.close().await.ok();
}

/// The tenant setting of the (next) pooled connection.
async fn tenant_setting(pool: &sea_orm::DatabaseConnection) -> String {
    let row = pool
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT COALESCE(current_setting('app.tenant_id', true), '') AS t",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<String>("", "t").unwrap()
}

/// With one pooled connection, every request reuses the connection the
/// other tenant's request just used: the tenant setting must never carry
/// over (on PostgreSQL it is transaction-local), and the scope must hold.
#[tokio::test]
async fn the_tenant_never_leaks_across_a_pool_of_one() {
    let app = TestApp::spawn_with(&["--db-max-connections", "1"]).await;
    let mut tenants = Vec::new();
    for (name, code) in [("A", "AAA1"), ("B", "BBB1")] {
        let tenant = app.tenant(name).await;
        let owner = app.owner(tenant);
        app.create_location(&owner, code).await;
        tenants.push((owner, code));
    }
    const QUERY: &str = "{ locations(first: 10) { edges { node { code } } } }";
    let check = |body: &Value, code: &str, i: usize| {
        let codes: Vec<&str> = body["data"]["locations"]["edges"]
            .as_array()
            .unwrap_or_else(|| panic!("request {i}: {body}"))
            .iter()
            .map(|e| e["node"]["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, vec![code], "request {i}");
    };
    let pool = app.state.db.operator().raw_connection();
    for i in 0..1_000 {
        let (owner, code) = &tenants[i % 2];
        check(&app.gql(owner, QUERY, json!({})).await, code, i);
        if app.is_postgres() && i % 100 == 99 {
            // The one connection, straight after a request: no tenant.
            assert_eq!(tenant_setting(pool).await, "", "after request {i}");
        }
    }
    // And interleaved: requests of both tenants queue for the one
    // connection at once.
    let answers = futures_util::future::join_all((0..200).map(|i| {
        let (owner, _) = &tenants[i % 2];
        app.gql(owner, QUERY, json!({}))
    }))
    .await;
    for (i, body) in answers.iter().enumerate() {
        check(body, tenants[i % 2].1, i);
    }
}

/// A lookup that misses the cache reads PostgreSQL in one call
/// (`pos_lookup`, which calls `pos_place` and `pos_scan`), outside a
/// transaction: the call sets the tenant for itself only. Over one pooled
/// connection with the cache off, lookups of two tenants that share a
/// barcode alternate; each sees its own item, and the connection keeps no
/// tenant afterwards.
#[tokio::test]
async fn uncached_lookups_keep_to_their_tenant_on_a_pool_of_one() {
    let app = TestApp::spawn_with(&["--db-max-connections", "1", "--cache-capacity", "0"]).await;
    let mut shops = Vec::new();
    for (name, code, price) in [("A", "AAA1", 600), ("B", "BBB1", 900)] {
        let owner = app.owner(app.tenant(name).await);
        let tax = app.tax_group(&owner, "VAT", "21").await;
        let location = app.create_location(&owner, code).await;
        app.variant(&owner, code, price, &tax, Some(("EAN_13", "4006381333931")))
            .await;
        shops.push((owner, location, code, price));
    }
    let pool = app.state.db.operator().raw_connection();
    for i in 0..200 {
        let (owner, location, sku, price) = &shops[i % 2];
        let body = app.scan(owner, "4006381333931", Some(location)).await;
        let found = &body["data"]["productByBarcode"];
        assert_eq!(found["variant"]["sku"], *sku, "lookup {i}: {body}");
        assert_eq!(found["unitPrice"]["amount"], price.to_string());
        // Another tenant's location is unknown here.
        let (_, theirs, _, _) = &shops[(i + 1) % 2];
        let refused = app.scan(owner, "4006381333931", Some(theirs)).await;
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "lookup {i}: {refused}"
        );
        if app.is_postgres() && i % 20 == 19 {
            assert_eq!(tenant_setting(pool).await, "", "after lookup {i}");
        }
    }
}

//! Test harness: a fresh database and app per test.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use pos::auth::{Role, Session};
use pos::config::Config;
use pos::startup::{AppState, Application};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

pub const TEST_SECRET: &str = "test-secret-that-is-at-least-32-bytes-long";

pub enum Backend {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        owner_url: String,
        app_url: String,
        /// The migrate URL the test database was created from, and its name,
        /// so the database can be dropped when the test ends.
        admin_url: String,
        name: String,
    },
}

impl Drop for Backend {
    fn drop(&mut self) {
        let Backend::Postgres {
            admin_url, name, ..
        } = self
        else {
            return;
        };
        let (admin_url, database) = (admin_url.clone(), name.clone());
        // Drop runs inside the test's runtime; use a runtime of our own.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async {
                let admin = Database::connect(&admin_url).await?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                    .await?;
                admin.close().await
            })
            .map_err(std::io::Error::other)
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {name}; .ci/run drops leftovers");
        }
    }
}

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub config: Config,
    pub backend: Backend,
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let host_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[host_end..].find('/') {
        Some(slash) => &base[..host_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl TestApp {
    /// A new app on a new, migrated database, with `extra` flags.
    pub async fn spawn_with(extra: &[&str]) -> Self {
        Self::spawn_connected(extra, false, false).await
    }

    /// A new app on SQLite whatever `POS_DATABASE_URL` says: for what only
    /// the embedded database has (its write-ahead log).
    pub async fn spawn_sqlite() -> Self {
        Self::spawn_connected(&[], false, true).await
    }

    /// Like [`TestApp::spawn_with`], but on PostgreSQL the app connects as
    /// the table owner, a superuser that row-level security does not stop:
    /// the deployment mistake the app's own tenant scope must survive.
    pub async fn spawn_unprotected(extra: &[&str]) -> Self {
        Self::spawn_connected(extra, true, false).await
    }

    async fn spawn_connected(extra: &[&str], as_owner: bool, sqlite: bool) -> Self {
        let env_url = match sqlite {
            true => String::new(),
            false => std::env::var("POS_DATABASE_URL").unwrap_or_default(),
        };
        let (backend, db_url, migrate_url) = if env_url.starts_with("postgres") {
            let owner =
                std::env::var("POS_MIGRATE_DATABASE_URL").unwrap_or_else(|_| env_url.clone());
            let name = format!("pos_test_{}", Uuid::new_v4().simple());
            let admin = Database::connect(&owner).await.expect("connect as owner");
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let owner_url = with_database(&owner, &name);
            let app_url = with_database(&env_url, &name);
            (
                Backend::Postgres {
                    owner_url: owner_url.clone(),
                    app_url: app_url.clone(),
                    admin_url: owner.clone(),
                    name,
                },
                if as_owner { owner_url.clone() } else { app_url },
                owner_url,
            )
        } else {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}/pos.db?mode=rwc", dir.path().display());
            (Backend::Sqlite(dir), url.clone(), url)
        };
        let mut args = vec![
            "--database-url",
            &db_url,
            "--migrate-database-url",
            &migrate_url,
            "--listen",
            "127.0.0.1:0",
            "--jwt-secret",
            TEST_SECRET,
        ];
        if !extra.contains(&"--db-max-connections") {
            args.extend(["--db-max-connections", "4"]);
        }
        // Tests fire requests far faster than any terminal; the limits
        // have tests of their own (`limits.rs`).
        for flag in [
            "--rate-limit-tenant-rps",
            "--rate-limit-terminal-rps",
            "--rate-limit-anonymous-rps",
        ] {
            if !extra.contains(&flag) {
                args.extend([flag, "0"]);
            }
        }
        // Tests fire bursts of concurrent writes at a pool of four: they
        // wait for a place rather than being refused (`overload.rs` tests
        // the refusal).
        if !extra.contains(&"--admission-wait-ms") {
            args.extend(["--admission-wait-ms", "60000"]);
        }
        if !extra.contains(&"--admission-queue") {
            args.extend(["--admission-queue", "100000"]);
        }
        args.extend_from_slice(extra);
        let config = Config::from_env_and(args).expect("test config");
        let app = Application::build(config.clone()).await.expect("build app");
        Self {
            state: app.state().clone(),
            router: app.router(),
            config,
            backend,
        }
    }

    /// Another server on the same database (and Redis, when configured),
    /// as a second replica would be.
    pub async fn second_instance(&self) -> Self {
        let app = Application::build(self.config.clone())
            .await
            .expect("build second app");
        let backend = match &self.backend {
            Backend::Sqlite(_) => Backend::Sqlite(tempfile::tempdir().expect("temp dir")),
            Backend::Postgres {
                owner_url, app_url, ..
            } => Backend::Postgres {
                owner_url: owner_url.clone(),
                app_url: app_url.clone(),
                admin_url: String::new(),
                name: String::new(),
            },
        };
        Self {
            state: app.state().clone(),
            router: app.router(),
            config: self.config.clone(),
            backend,
        }
    }

    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    pub async fn tenant(&self, name: &str) -> Uuid {
        pos::cli::create_tenant(&self.config, name, "EUR")
            .await
            .expect("create tenant")
    }

    pub fn token(&self, tenant: Uuid, roles: &[Role]) -> String {
        self.state
            .keys
            .sign(
                tenant,
                "user-1",
                roles.to_vec(),
                None,
                std::time::Duration::from_secs(600),
            )
            .expect("sign")
            .0
    }

    pub fn owner(&self, tenant: Uuid) -> String {
        self.token(tenant, &[Role::Owner])
    }

    /// POST /graphql through the router, as a client would.
    pub async fn post(&self, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut request = Request::post("/graphql").header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        self.send(request.body(Body::from(body.to_string())).unwrap())
            .await
    }

    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Value) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("response");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, value)
    }

    pub async fn gql(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self
            .post(
                Some(token),
                json!({ "query": query, "variables": variables }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Executes below HTTP, straight on the schema with a session.
    pub async fn exec(&self, session: &Session, query: &str, variables: Value) -> Value {
        let mut request = async_graphql::Request::new(query)
            .variables(async_graphql::Variables::from_json(variables));
        pos::graphql::prepare(&mut request, &self.state.db, Some(session));
        let response = self.state.schema.execute(request).await;
        serde_json::to_value(&response).expect("json")
    }

    pub async fn create_location(&self, token: &str, code: &str) -> String {
        let body = self
            .gql(
                token,
                CREATE_LOCATION,
                json!({ "input": location_input(code) }),
            )
            .await;
        body["data"]["createLocation"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("location not created: {body}"))
            .to_owned()
    }

    pub async fn create_terminal(&self, token: &str, location: &str, code: &str) -> String {
        let body = self
            .gql(
                token,
                CREATE_TERMINAL,
                json!({ "input": { "locationId": location, "code": code, "name": format!("Till {code}") } }),
            )
            .await;
        body["data"]["createTerminal"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("terminal not created: {body}"))
            .to_owned()
    }

    pub async fn device_token(&self, token: &str, terminal: &str) -> String {
        let body = self
            .gql(
                token,
                "mutation($id: ID!) { issueTerminalToken(terminalId: $id) { token } }",
                json!({ "id": terminal }),
            )
            .await;
        body["data"]["issueTerminalToken"]["token"]
            .as_str()
            .unwrap_or_else(|| panic!("no device token: {body}"))
            .to_owned()
    }
}

pub const CREATE_LOCATION: &str = "mutation($input: CreateLocationInput!) { createLocation(input: $input) { id code name timeZone currency address { line1 city country } } }";
pub const CREATE_TERMINAL: &str = "mutation($input: CreateTerminalInput!) { createTerminal(input: $input) { id code name status location { id code } } }";

pub fn location_input(code: &str) -> Value {
    json!({
        "code": code,
        "name": format!("Shop {code}"),
        "address": { "line1": "1 Main Street", "city": "Amsterdam", "country": "NL" },
        "timeZone": "Europe/Amsterdam",
        "currency": "EUR",
    })
}

/// The `extensions.code` of the first error.
pub fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

impl TestApp {
    /// A tax group with one rate; returns its id.
    pub async fn tax_group(&self, token: &str, name: &str, percent: &str) -> String {
        let body = self
            .gql(
                token,
                "mutation($input: CreateTaxGroupInput!) { createTaxGroup(input: $input) { taxGroup { id } userErrors { field message } } }",
                json!({ "input": { "name": name, "rates": [{ "name": name, "percent": percent }] } }),
            )
            .await;
        body["data"]["createTaxGroup"]["taxGroup"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("tax group not created: {body}"))
            .to_owned()
    }

    /// A product with one variant and barcode; returns the variant id.
    pub async fn variant(
        &self,
        token: &str,
        sku: &str,
        price: i64,
        tax_group: &str,
        barcode: Option<(&str, &str)>,
    ) -> String {
        let barcodes: Vec<Value> = barcode
            .map(|(kind, code)| json!({ "kind": kind, "code": code }))
            .into_iter()
            .collect();
        let body = self
            .gql(
                token,
                CREATE_PRODUCT,
                json!({ "input": {
                    "name": format!("Product {sku}"),
                    "category": "grocery",
                    "variants": [{ "sku": sku, "name": format!("Variant {sku}"), "basePrice": price.to_string(),
                                   "taxGroupId": tax_group, "barcodes": barcodes }],
                } }),
            )
            .await;
        assert_eq!(
            body["data"]["createProduct"]["userErrors"],
            json!([]),
            "{body}"
        );
        let lookup = self
            .gql(
                token,
                "query($sku: String) { variants(filter: { skuPrefix: $sku }) { edges { node { id sku } } } }",
                json!({ "sku": sku }),
            )
            .await;
        let edges = lookup["data"]["variants"]["edges"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        edges
            .iter()
            .find(|e| e["node"]["sku"] == sku)
            .and_then(|e| e["node"]["id"].as_str())
            .unwrap_or_else(|| panic!("variant not found: {lookup}"))
            .to_owned()
    }

    /// `productByBarcode` as this token.
    pub async fn scan(&self, token: &str, barcode: &str, location: Option<&str>) -> Value {
        self.gql(
            token,
            SCAN,
            json!({ "barcode": barcode, "location": location }),
        )
        .await
    }
}

pub const CREATE_PRODUCT: &str = "mutation($input: CreateProductInput!) { createProduct(input: $input) { product { id name } userErrors { field message code } } }";
pub const SCAN: &str = "query($barcode: String!, $location: ID) { productByBarcode(barcode: $barcode, locationId: $location) { barcode variant { id sku } product { name } quantity listPrice { amount currency } unitPrice { amount } lineTotal { amount } net { amount } tax { amount } gross { amount } taxes { name percent amount { amount } } appliedRuleIds embeddedWeight embeddedPrice { amount } } }";

impl TestApp {
    /// A location selling in `currency` (its tenant's, or with location
    /// prices).
    pub async fn location_in(&self, token: &str, code: &str, currency: &str) -> String {
        let mut input = location_input(code);
        input["currency"] = json!(currency);
        let body = self
            .gql(token, CREATE_LOCATION, json!({ "input": input }))
            .await;
        body["data"]["createLocation"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("location not created: {body}"))
            .to_owned()
    }

    /// A tenant whose base prices are in `currency`.
    pub async fn tenant_in(&self, name: &str, currency: &str) -> Uuid {
        pos::cli::create_tenant(&self.config, name, currency)
            .await
            .expect("create tenant")
    }

    /// A device token for `terminal` (at `location`) that also carries
    /// `roles` and `sub`, as an identity provider would mint for a staff
    /// member signed in on a registered device.
    pub fn device_token_as(
        &self,
        tenant: Uuid,
        sub: &str,
        roles: &[Role],
        terminal: &str,
        location: &str,
    ) -> String {
        let ids = (
            Uuid::parse_str(terminal).expect("terminal id"),
            Uuid::parse_str(location).expect("location id"),
        );
        self.state
            .keys
            .sign(
                tenant,
                sub,
                roles.to_vec(),
                Some(ids),
                std::time::Duration::from_secs(600),
            )
            .expect("sign")
            .0
    }

    /// A connection that bypasses the app (the table owner, or the SQLite
    /// file itself), for tests that tamper with rows behind its back.
    pub async fn owner_connection(&self) -> sea_orm::DatabaseConnection {
        let url = match &self.backend {
            Backend::Postgres { owner_url, .. } => owner_url.clone(),
            Backend::Sqlite(_) => self.config.database_url.clone(),
        };
        Database::connect(&url).await.expect("owner connection")
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres { .. })
    }
}

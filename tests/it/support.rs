//! The test bench: a real database (a SQLite file, or a fresh PostgreSQL database per test), a
//! Kleer sandbox on a random port, and the server on a random port, driven over HTTP.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use kleer_sync::graphql::Limits;
use kleer_sync::sandbox::{self, RunningSandbox, SandboxConfig, SandboxHandle};
use kleer_sync::store::{NewConnection, SecretBox, Store};
use kleer_sync::sync::{Service, Settings};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

pub const TOKEN: &str = "test-token";
pub const COMPANY: &str = "4711";

/// Which database a test runs on.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite,
    /// The server named by `TEST_DATABASE_URL`; each test gets a database of its own there.
    Postgres(String),
}

impl Db {
    /// PostgreSQL when `TEST_DATABASE_URL` is set; otherwise the PostgreSQL variant of a test
    /// has nothing to run against and passes without running.
    pub fn postgres() -> Option<Db> {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Some(Db::Postgres(url)),
            _ => {
                eprintln!("TEST_DATABASE_URL is not set: PostgreSQL variant not run");
                None
            }
        }
    }
}

/// Runs each listed `async fn name(db: Db)` on SQLite, and on PostgreSQL when configured.
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::Db::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(db) = $crate::support::Db::postgres() {
                        super::$name(db).await
                    }
                }
            )*
        }
    };
}
pub(crate) use on_both_databases;

pub struct Options {
    /// Demo employees the sandbox starts with.
    pub seed: usize,
    /// How long a mirror of Kleer is trusted before a tab reads Kleer again.
    pub mirror_max_age: Duration,
    /// Every request needs an API token (otherwise the server runs in its open first-run mode).
    pub require_tokens: bool,
    /// How long one request to Kleer may take.
    pub kleer_timeout: Duration,
    /// Rows of a batch that talk to Kleer at the same time.
    pub kleer_concurrency: usize,
    /// The server's request limits.
    pub limits: Limits,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            seed: 0,
            mirror_max_age: Duration::from_secs(300),
            require_tokens: false,
            kleer_timeout: Duration::from_secs(3),
            kleer_concurrency: 4,
            limits: Limits::default(),
        }
    }
}

pub struct TestApp {
    pub url: String,
    database_url: String,
    secret_key: String,
    pub store: Store,
    pub sandbox: SandboxHandle,
    http: reqwest::Client,
    _sandbox: RunningSandbox,
    _database: TestDatabase,
}

impl TestApp {
    pub async fn start(db: Db) -> TestApp {
        Self::start_with(db, Options::default()).await
    }

    pub async fn start_with(db: Db, options: Options) -> TestApp {
        // The server's log, shown for failing tests (RUST_LOG picks the level; warnings by default).
        let filter =
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
        let database = TestDatabase::create(&db).await;
        let secret_key = SecretBox::generate_key();
        let store = Store::open(&database.url, 4)
            .await
            .expect("database opens and migrates")
            .with_secrets(SecretBox::from_base64(&secret_key).unwrap());
        let settings = Settings {
            kleer_timeout: options.kleer_timeout,
            mirror_max_age: options.mirror_max_age,
            kleer_concurrency: options.kleer_concurrency,
            claim_lease: Duration::from_secs(60),
        };
        let service = Service::new(store.clone(), settings);
        let sandbox = start_sandbox(options.seed).await;
        service
            .ensure_configured_connection(NewConnection {
                label: "Test company".into(),
                base_url: sandbox.base_url(),
                company_id: COMPANY.into(),
                token: TOKEN.into(),
                use_work_email: false,
                is_demo: false,
            })
            .await
            .expect("connection stored");
        let url = serve(service, &options.limits, !options.require_tokens).await;
        TestApp {
            url,
            database_url: database.url.clone(),
            secret_key,
            store,
            sandbox: sandbox.handle(),
            http: http_client(),
            _sandbox: sandbox,
            _database: database,
        }
    }

    /// A second server on the same database (another process would do the same): what
    /// several instances sharing one PostgreSQL look like.
    pub async fn second_server(&self) -> TestApp2 {
        let store = Store::open(&self.database_url, 4)
            .await
            .expect("database opens")
            .with_secrets(SecretBox::from_base64(&self.secret_key).unwrap());
        let settings = Settings {
            kleer_timeout: Duration::from_secs(3),
            mirror_max_age: Duration::from_secs(300),
            kleer_concurrency: 4,
            claim_lease: Duration::from_secs(60),
        };
        TestApp2 {
            url: serve(Service::new(store, settings), &Limits::default(), true).await,
        }
    }

    /// Sends one GraphQL request to the server at `url` and answers its `data`.
    pub async fn gql_at(&self, url: &str, query: &str, variables: Value) -> Value {
        let response: Value = self
            .http
            .post(format!("{url}/graphql"))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("server answers")
            .json()
            .await
            .expect("JSON answer");
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    /// The HTTP status and body of a request sent with `Authorization: Bearer <token>`.
    pub async fn post_as(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("server answers");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON answer"))
    }

    /// The HTTP client, for tests of the HTTP itself.
    pub fn client(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.url)
    }

    /// The whole GraphQL response.
    pub async fn post(&self, query: &str, variables: Value) -> Value {
        let response = self
            .http
            .post(format!("{}/graphql", self.url))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("server answers");
        assert!(
            response.status().is_success() || response.status().is_client_error(),
            "status {}",
            response.status()
        );
        response.json().await.expect("JSON answer")
    }

    /// `data` of a response that must have no errors.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let response = self.post(query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    /// The `extensions.code` of the first error of a response that must fail.
    pub async fn error_code(&self, query: &str, variables: Value) -> String {
        let response = self.post(query, variables).await;
        response["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("expected an error: {response:#}"))
            .to_string()
    }

    /// Creates an HR employee with sensible defaults overridden by `fields`; answers its id.
    pub async fn create_employee(&self, fields: Value) -> String {
        let mut input = json!({
            "firstName": "Test",
            "lastName": "Person",
            "startDate": "2024-01-01",
            "monthlySalary": 35000,
        });
        for (k, v) in fields.as_object().expect("an object of fields") {
            input[k] = v.clone();
        }
        let data = self
            .gql(
                "mutation($input: CreateEmployeeInput!) { createEmployee(input: $input) { employee { id } userErrors { field message } } }",
                json!({ "input": input }),
            )
            .await;
        let payload = &data["createEmployee"];
        assert_eq!(
            payload["userErrors"],
            json!([]),
            "employee input was refused"
        );
        payload["employee"]["id"].as_str().unwrap().to_string()
    }

    /// Runs `exportEmployees` and answers the payload.
    pub async fn export(&self, ids: &[&str]) -> Value {
        let data = self
            .gql(
                "mutation($ids: [ID!]!) { exportEmployees(input: { employeeIds: $ids }) {
                    succeeded skipped failed
                    results { id outcome code message changes { field before after } row { linked kleerEmployee { kleerUserId name } } }
                    run { id kind succeeded skipped failed }
                } }",
                json!({ "ids": ids }),
            )
            .await;
        data["exportEmployees"].clone()
    }

    pub async fn unlink(&self, ids: &[&str]) -> Value {
        let data = self
            .gql(
                "mutation($ids: [ID!]!) { unlinkEmployees(input: { employeeIds: $ids }) {
                    succeeded skipped failed results { id outcome code message row { linked } } run { id kind }
                } }",
                json!({ "ids": ids }),
            )
            .await;
        data["unlinkEmployees"].clone()
    }

    /// Names (`First Last`) on a tab of the Export view, in page order, and the total count.
    pub async fn export_tab(&self, tab: &str) -> (Vec<String>, i64) {
        let data = self
            .gql(
                "query($tab: ExportTab!) { exportView(tab: $tab, first: 100) { totalCount nodes { employee { firstName lastName } } } }",
                json!({ "tab": tab }),
            )
            .await;
        let names = data["exportView"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| {
                format!(
                    "{} {}",
                    n["employee"]["firstName"].as_str().unwrap(),
                    n["employee"]["lastName"].as_str().unwrap()
                )
            })
            .collect();
        (names, data["exportView"]["totalCount"].as_i64().unwrap())
    }

    /// Kleer users (not counting the integration user and the accountant) in the sandbox.
    pub fn kleer_users_with_foreign_id(&self, foreign_id: &str) -> usize {
        self.sandbox
            .users()
            .iter()
            .filter(|u| u.foreign_id.as_deref() == Some(foreign_id))
            .count()
    }
}

pub struct TestApp2 {
    pub url: String,
}

/// A Kleer employee the sandbox holds from the start, as the tests refer to it.
pub struct KleerPerson {
    pub name: String,
    pub pin: String,
    pub email: String,
}

impl TestApp {
    /// The sandbox's employees (seeded ones and those added since), name order.
    pub fn kleer_people(&self) -> Vec<KleerPerson> {
        let payroll = self.sandbox.payroll_users();
        let mut people: Vec<KleerPerson> = self
            .sandbox
            .users()
            .into_iter()
            .filter_map(|u| {
                let p = payroll.iter().find(|p| p.user_id() == u.id)?;
                Some(KleerPerson {
                    name: u.name.clone(),
                    pin: p.ssn.clone()?,
                    email: u.email.clone()?,
                })
            })
            .collect();
        people.sort_by(|a, b| a.name.cmp(&b.name));
        people
    }

    /// Import view rows of a tab by Kleer name: the whole row as JSON.
    pub async fn import_rows(&self, tab: &str) -> (Vec<Value>, i64) {
        let data = self
            .gql(
                "query($tab: ImportTab!) { importView(tab: $tab, first: 100) { totalCount nodes {
                    id linked action matchedBy matchNote
                    kleerEmployee { kleerUserId name personalIdentityNumber email monthlySalary }
                    matchedEmployee { id firstName lastName monthlySalary }
                    affectedFields { field alexisValue kleerValue changes }
                } } }",
                json!({ "tab": tab }),
            )
            .await;
        let view = &data["importView"];
        (
            view["nodes"].as_array().unwrap().clone(),
            view["totalCount"].as_i64().unwrap(),
        )
    }

    /// The Import view row of the Kleer employee with this name (on the ALL tab).
    pub async fn import_row(&self, name: &str) -> Value {
        let (rows, _) = self.import_rows("ALL").await;
        rows.into_iter()
            .find(|r| r["kleerEmployee"]["name"] == name)
            .unwrap_or_else(|| panic!("no Import row for {name}"))
    }

    pub async fn set_action(&self, ids: &[&str], action: &str) -> Value {
        let data = self
            .gql(
                "mutation($ids: [ID!]!, $action: ImportAction!) { setImportAction(input: { kleerEmployeeIds: $ids, action: $action }) {
                    succeeded skipped failed results { id outcome code message action row { action matchedBy } } run { id kind }
                } }",
                json!({ "ids": ids, "action": action }),
            )
            .await;
        data["setImportAction"].clone()
    }

    pub async fn match_pairs(&self, pairs: &[(&str, &str)]) -> Value {
        let matches: Vec<Value> = pairs
            .iter()
            .map(|(k, e)| json!({ "kleerEmployeeId": k, "employeeId": e }))
            .collect();
        let data = self
            .gql(
                "mutation($m: [EmployeeMatchInput!]!) { matchEmployees(input: { matches: $m }) {
                    succeeded failed results { id outcome code message row { action matchedBy matchedEmployee { id } } }
                } }",
                json!({ "m": matches }),
            )
            .await;
        data["matchEmployees"].clone()
    }

    pub async fn import(&self, ids: &[&str]) -> Value {
        let data = self
            .gql(
                "mutation($ids: [ID!]!) { importEmployees(input: { kleerEmployeeIds: $ids }) {
                    succeeded skipped failed
                    results { id outcome code message action changes { field before after } row { linked action matchedEmployee { id firstName lastName } } }
                    run { id kind }
                } }",
                json!({ "ids": ids }),
            )
            .await;
        data["importEmployees"].clone()
    }
}

/// Decodes an opaque employee id into the number we stamp as Kleer's `foreign-id`.
pub fn foreign_id(id: &str) -> String {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(id)
        .expect("base64 id");
    String::from_utf8(raw)
        .unwrap()
        .strip_prefix("Employee:")
        .expect("an employee id")
        .to_string()
}

/// reqwest is built with rustls and no default crypto provider; the server installs ring.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

pub async fn start_sandbox(seed: usize) -> RunningSandbox {
    let mut config = SandboxConfig::new(TOKEN, COMPANY);
    config.seed = seed;
    sandbox::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("sandbox starts")
}

async fn serve(service: Service, limits: &Limits, open: bool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let gate = kleer_sync::access::Gate::new(service.store().clone(), open);
    let app = kleer_sync::app::router(service, limits, gate);
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A database that exists for one test: a SQLite file in a temporary directory, or a PostgreSQL
/// database created on the test server and dropped afterwards.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDatabase {
    pub async fn create(db: &Db) -> TestDatabase {
        match db {
            Db::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = dir.path().join("test.db").to_string_lossy().into_owned();
                TestDatabase {
                    url,
                    _dir: Some(dir),
                    postgres: None,
                }
            }
            Db::Postgres(admin_url) => {
                let name = format!(
                    "kleer_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed),
                    chrono::Utc::now().timestamp_micros() % 1_000_000
                );
                let mut admin = AsyncPgConnection::establish(admin_url)
                    .await
                    .expect("TEST_DATABASE_URL answers");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await
                    .unwrap();
                let url = with_database(admin_url, &name);
                TestDatabase {
                    url,
                    _dir: None,
                    postgres: Some((admin_url.clone(), name)),
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime; a thread of its own may block on a new one.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Ok(mut admin) = AsyncPgConnection::establish(&admin_url).await {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut admin)
                            .await;
                }
            });
        })
        .join();
    }
}

/// The same server URL with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

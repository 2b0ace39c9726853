//! Storage: the only place SQL lives. One copy of every query serves both backends: the
//! `db_run!` macro expands a block once per backend over the pooled connection, so each query
//! compiles twice and is written once.
//!
//! SQLite (bundled) is the zero-setup default; PostgreSQL is chosen by a `postgres://` URL.

mod bulk;
mod claims;
mod connections;
mod employees;
mod imports;
mod links;
mod migrate;
mod mirror;
mod runs;
pub mod schema;
mod secrets;
mod tokens;

pub use connections::{ConnectionRecord, NewConnection};
pub use employees::{EmployeeCursor, EmployeeFilter, EmployeeLinkFilter, employee_cursor};
pub use imports::{Candidate, Decision, ImportWrite, KleerKeys};
pub use mirror::{ImportPageRow, KleerCursor, KleerFilter, Mirrored, kleer_cursor};
pub use runs::{NewRunRow, RunRecord, RunRowRecord};
pub use secrets::{SecretBox, SecretError};
pub use tokens::TokenRecord;

use diesel::ConnectionError;
use diesel::connection::InstrumentationEvent;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sqlite::SqliteConnection;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::sync_connection_wrapper::SyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use futures_util::FutureExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

pub type SqliteConn = SyncConnectionWrapper<SqliteConnection>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database connection: {0}")]
    Connection(String),
    #[error("database query: {0}")]
    Query(#[from] DieselError),
    #[error("database migration: {0}")]
    Migration(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("no secret key is configured, so Kleer tokens can be neither stored nor read")]
    NoSecretKey,
}

impl StoreError {
    /// True when a unique constraint refused the write: the caller lost a race or repeated itself.
    pub fn is_unique_violation(&self) -> bool {
        matches!(
            self,
            StoreError::Query(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
enum Pools {
    Sqlite(Pool<SqliteConn>),
    Postgres(Pool<AsyncPgConnection>),
}

// Lives for one query block on the stack; boxing the larger variant would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub(crate) enum DbConn {
    Sqlite(Object<SqliteConn>),
    Postgres(Object<AsyncPgConnection>),
}

/// The handle every other room uses. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pools: Pools,
    statements: Arc<AtomicU64>,
    secrets: Option<Arc<SecretBox>>,
}

/// Expands `$body` once per backend with `$conn` bound to `&mut` the pooled connection.
macro_rules! db_run {
    ($store:expr, |$conn:ident| $body:expr) => {{
        match $store.pooled().await? {
            $crate::store::DbConn::Sqlite(mut pooled) => {
                let $conn = &mut *pooled;
                $body
            }
            $crate::store::DbConn::Postgres(mut pooled) => {
                let $conn = &mut *pooled;
                $body
            }
        }
    }};
}
pub(crate) use db_run;

impl Store {
    /// Opens the database named by `url` (a file path, `sqlite://path`, or `postgres://…`),
    /// applies pending migrations and returns a pooled store.
    pub async fn open(url: &str, max_connections: usize) -> StoreResult<Self> {
        let statements = Arc::new(AtomicU64::new(0));
        let pools = if is_postgres_url(url) {
            migrate::run_postgres(url).await?;
            let counter = statements.clone();
            let mut config = ManagerConfig::<AsyncPgConnection>::default();
            config.recycling_method = RecyclingMethod::Fast;
            config.custom_setup = Box::new(move |url| {
                let counter = counter.clone();
                async move {
                    let mut conn = AsyncPgConnection::establish(url).await?;
                    conn.set_instrumentation(count_statements(counter));
                    Ok(conn)
                }
                .boxed()
            });
            let manager = AsyncDieselConnectionManager::new_with_config(url, config);
            Pools::Postgres(
                Pool::builder(manager)
                    .max_size(max_connections.max(1))
                    .build()
                    .map_err(pool_error)?,
            )
        } else {
            let path = sqlite_path(url).to_string();
            migrate::run_sqlite(&path).await?;
            let counter = statements.clone();
            let mut config = ManagerConfig::<SqliteConn>::default();
            config.recycling_method = RecyclingMethod::Fast;
            config.custom_setup = Box::new(move |path| {
                let counter = counter.clone();
                async move {
                    let mut conn = SqliteConn::establish(path).await?;
                    conn.batch_execute(SQLITE_PRAGMAS)
                        .await
                        .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
                    conn.set_instrumentation(count_statements(counter));
                    Ok(conn)
                }
                .boxed()
            });
            let manager = AsyncDieselConnectionManager::new_with_config(path, config);
            Pools::Sqlite(
                Pool::builder(manager)
                    .max_size(max_connections.max(1))
                    .build()
                    .map_err(pool_error)?,
            )
        };
        Ok(Store {
            pools,
            statements,
            secrets: None,
        })
    }

    /// The key Kleer tokens are encrypted with at rest.
    pub fn with_secrets(mut self, secrets: SecretBox) -> Self {
        self.secrets = Some(Arc::new(secrets));
        self
    }

    pub(crate) fn secrets(&self) -> StoreResult<&SecretBox> {
        self.secrets.as_deref().ok_or(StoreError::NoSecretKey)
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite(_) => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// SQL statements sent since the store was opened (all connections of the pool).
    pub fn statement_count(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    // Connections are checked out without a `SELECT 1` first (RecyclingMethod::Fast): a broken
    // one fails its query and is dropped, which costs less than a round trip on every request.
    pub(crate) async fn pooled(&self) -> StoreResult<DbConn> {
        let conn = match &self.pools {
            Pools::Sqlite(pool) => DbConn::Sqlite(
                pool.get()
                    .await
                    .map_err(|e| StoreError::Connection(e.to_string()))?,
            ),
            Pools::Postgres(pool) => DbConn::Postgres(
                pool.get()
                    .await
                    .map_err(|e| StoreError::Connection(e.to_string()))?,
            ),
        };
        Ok(conn)
    }
}

// WAL lets readers run beside the one writer; busy_timeout makes a second writer wait rather
// than fail; foreign keys are off by default in SQLite.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

fn count_statements(
    counter: Arc<AtomicU64>,
) -> impl FnMut(InstrumentationEvent<'_>) + Send + 'static {
    move |event| {
        if let InstrumentationEvent::StartQuery { .. } = event {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn pool_error(e: impl std::fmt::Display) -> StoreError {
    StoreError::Connection(e.to_string())
}

pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// Diesel wants a plain path for SQLite.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

pub(crate) fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

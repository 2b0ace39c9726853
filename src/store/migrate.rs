//! Embedded migrations, one folder per backend, applied at start. Both runs are idempotent.

use super::{StoreError, StoreResult};
use diesel::Connection;
use diesel_async::AsyncConnection as _;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

pub async fn run_sqlite(path: &str) -> StoreResult<()> {
    let path = path.to_string();
    tokio::task::spawn_blocking(move || {
        let mut conn = diesel::SqliteConnection::establish(&path)
            .map_err(|e| StoreError::Connection(e.to_string()))?;
        conn.run_pending_migrations(SQLITE)
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(())
    })
    .await
    .map_err(|e| StoreError::Migration(e.to_string()))?
}

pub async fn run_postgres(url: &str) -> StoreResult<()> {
    let conn = AsyncPgConnection::establish(url)
        .await
        .map_err(|e| StoreError::Connection(e.to_string()))?;
    // The harness is synchronous; it drives the async connection from a blocking thread.
    tokio::task::spawn_blocking(move || {
        let mut conn: AsyncConnectionWrapper<AsyncPgConnection> =
            AsyncConnectionWrapper::from(conn);
        conn.run_pending_migrations(POSTGRES)
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        Ok(())
    })
    .await
    .map_err(|e| StoreError::Migration(e.to_string()))?
}

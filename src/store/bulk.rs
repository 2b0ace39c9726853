//! Multi-row inserts, the one place where the backends need different code: diesel-async cannot
//! send a multi-row INSERT to SQLite, so there each row is its own statement inside the caller's
//! transaction (cheap in-process); PostgreSQL gets one statement per chunk.

use super::SqliteConn;
use super::mirror::MirrorForm;
use super::runs::NewRunRow;
use super::schema::{kleer_employees, sync_run_rows};
use diesel::prelude::*;
use diesel::result::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

// Keeps PostgreSQL below its 65,535 bound parameters per statement.
const PG_CHUNK: usize = 1000;

pub(crate) trait BulkInsert {
    async fn insert_mirror_rows(&mut self, rows: &[MirrorForm]) -> QueryResult<()>;
    async fn insert_run_rows(&mut self, run_id: i64, rows: &[NewRunRow]) -> QueryResult<()>;
}

impl BulkInsert for SqliteConn {
    async fn insert_mirror_rows(&mut self, rows: &[MirrorForm]) -> QueryResult<()> {
        for row in rows {
            diesel::insert_into(kleer_employees::table)
                .values(row)
                .execute(self)
                .await?;
        }
        Ok(())
    }

    async fn insert_run_rows(&mut self, run_id: i64, rows: &[NewRunRow]) -> QueryResult<()> {
        for row in rows {
            diesel::insert_into(sync_run_rows::table)
                .values((sync_run_rows::run_id.eq(run_id), row))
                .execute(self)
                .await?;
        }
        Ok(())
    }
}

impl BulkInsert for AsyncPgConnection {
    async fn insert_mirror_rows(&mut self, rows: &[MirrorForm]) -> QueryResult<()> {
        for chunk in rows.chunks(PG_CHUNK) {
            diesel::insert_into(kleer_employees::table)
                .values(chunk)
                .execute(self)
                .await?;
        }
        Ok(())
    }

    async fn insert_run_rows(&mut self, run_id: i64, rows: &[NewRunRow]) -> QueryResult<()> {
        for chunk in rows.chunks(PG_CHUNK) {
            let values: Vec<_> = chunk
                .iter()
                .map(|r| (sync_run_rows::run_id.eq(run_id), r))
                .collect();
            diesel::insert_into(sync_run_rows::table)
                .values(values)
                .execute(self)
                .await?;
        }
        Ok(())
    }
}

//! Sync runs: every batch action with its rows and their outcomes, the audit trail.

use super::bulk::BulkInsert;
use super::schema::{sync_run_rows, sync_runs};
use super::{Store, StoreResult, db_run, now};
use crate::model::{ConnectionId, SyncRunId};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    pub id: SyncRunId,
    pub connection_id: Option<ConnectionId>,
    pub kind: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub succeeded: i32,
    pub skipped: i32,
    pub failed: i32,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = sync_runs)]
struct RunRow {
    id: i64,
    connection_id: Option<i64>,
    kind: String,
    started_at: NaiveDateTime,
    finished_at: Option<NaiveDateTime>,
    succeeded: i32,
    skipped: i32,
    failed: i32,
}

impl From<RunRow> for RunRecord {
    fn from(r: RunRow) -> Self {
        RunRecord {
            id: SyncRunId(r.id),
            connection_id: r.connection_id.map(ConnectionId),
            kind: r.kind,
            started_at: r.started_at.and_utc(),
            finished_at: r.finished_at.map(|t| t.and_utc()),
            succeeded: r.succeeded,
            skipped: r.skipped,
            failed: r.failed,
        }
    }
}

/// One row of a run as it is written; `changes` is a JSON array of field changes.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = sync_run_rows, treat_none_as_default_value = false)]
pub struct NewRunRow {
    pub position: i32,
    pub subject_id: String,
    pub employee_id: Option<i64>,
    pub kleer_user_id: Option<i64>,
    pub action: Option<String>,
    pub outcome: String,
    pub code: Option<String>,
    pub message: Option<String>,
    pub changes: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sync_run_rows)]
pub struct RunRowRecord {
    pub id: i64,
    pub run_id: i64,
    pub position: i32,
    pub subject_id: String,
    pub employee_id: Option<i64>,
    pub kleer_user_id: Option<i64>,
    pub action: Option<String>,
    pub outcome: String,
    pub code: Option<String>,
    pub message: Option<String>,
    pub changes: String,
}

impl Store {
    pub async fn start_run(
        &self,
        connection: Option<ConnectionId>,
        kind: &str,
    ) -> StoreResult<RunRecord> {
        let row: RunRow = db_run!(self, |conn| {
            diesel::insert_into(sync_runs::table)
                .values((
                    sync_runs::connection_id.eq(connection.map(|c| c.0)),
                    sync_runs::kind.eq(kind),
                    sync_runs::started_at.eq(now()),
                ))
                .returning(RunRow::as_returning())
                .get_result(conn)
                .await?
        });
        Ok(row.into())
    }

    /// Writes the rows and the totals of a run and marks it finished, in one transaction.
    pub async fn finish_run(&self, id: SyncRunId, rows: Vec<NewRunRow>) -> StoreResult<RunRecord> {
        let count = |outcome: &str| rows.iter().filter(|r| r.outcome == outcome).count() as i32;
        let (succeeded, skipped, failed) = (count("SUCCEEDED"), count("SKIPPED"), count("FAILED"));
        let row: RunRow = db_run!(self, |conn| {
            conn.transaction(async move |tx| {
                tx.insert_run_rows(id.0, &rows).await?;
                diesel::update(sync_runs::table.find(id.0))
                    .set((
                        sync_runs::finished_at.eq(Some(now())),
                        sync_runs::succeeded.eq(succeeded),
                        sync_runs::skipped.eq(skipped),
                        sync_runs::failed.eq(failed),
                    ))
                    .returning(RunRow::as_returning())
                    .get_result(tx)
                    .await
            })
            .await?
        });
        Ok(row.into())
    }

    pub async fn runs_by_ids(&self, ids: &[SyncRunId]) -> StoreResult<Vec<RunRecord>> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        let rows: Vec<RunRow> = db_run!(self, |conn| {
            sync_runs::table
                .filter(sync_runs::id.eq_any(&ids))
                .select(RunRow::as_select())
                .load(conn)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Newest first; `before` is the id of the last run of the previous page.
    pub async fn run_page(
        &self,
        before: Option<SyncRunId>,
        limit: usize,
    ) -> StoreResult<Vec<RunRecord>> {
        let rows: Vec<RunRow> = db_run!(self, |conn| {
            let mut query = sync_runs::table.into_boxed();
            if let Some(before) = before {
                query = query.filter(sync_runs::id.lt(before.0));
            }
            query
                .order(sync_runs::id.desc())
                .limit(limit as i64)
                .select(RunRow::as_select())
                .load(conn)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn run_count(&self) -> StoreResult<i64> {
        Ok(db_run!(self, |conn| sync_runs::table
            .count()
            .get_result(conn)
            .await?))
    }

    /// Rows of a run in request order, after the given position.
    pub async fn run_rows(
        &self,
        run: SyncRunId,
        after: Option<i32>,
        limit: usize,
    ) -> StoreResult<Vec<RunRowRecord>> {
        let after = after.unwrap_or(-1);
        Ok(db_run!(self, |conn| {
            sync_run_rows::table
                .filter(sync_run_rows::run_id.eq(run.0))
                .filter(sync_run_rows::position.gt(after))
                .order(sync_run_rows::position.asc())
                .limit(limit as i64)
                .select(RunRowRecord::as_select())
                .load(conn)
                .await?
        }))
    }
}

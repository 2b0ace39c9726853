//! Sync runs in the API: the audit trail of every batch action.

use super::employee::Employee;
use super::errors::ApiResult;
use super::ids::NodeId;
use super::loaders::load_error;
use super::paging::{self, KnownTotal, NumberKey};
use crate::store::RunRecord;
use crate::sync::outcome::{RowResult, RunKind};
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "SyncRunKind", remote = "crate::sync::outcome::RunKind")]
pub enum RunKindEnum {
    Export,
    Unlink,
    Match,
    SetImportAction,
    Import,
    Refresh,
}

/// One field a row wrote: its value before and after.
#[derive(SimpleObject, Clone)]
pub struct ValueChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl From<crate::sync::outcome::ValueChange> for ValueChange {
    fn from(c: crate::sync::outcome::ValueChange) -> Self {
        ValueChange {
            field: c.field,
            before: c.before,
            after: c.after,
        }
    }
}

/// One recorded batch action.
#[derive(Clone)]
pub struct SyncRun(pub RunRecord);

#[Object]
impl SyncRun {
    pub async fn id(&self) -> ID {
        NodeId::SyncRun(self.0.id).encode()
    }
    async fn kind(&self) -> Option<RunKindEnum> {
        RunKind::parse(&self.0.kind).map(Into::into)
    }
    async fn connection(&self, ctx: &Context<'_>) -> Result<Option<super::kleer::KleerConnection>> {
        let Some(id) = self.0.connection_id else {
            return Ok(None);
        };
        let record = super::loaders(ctx)
            .connections
            .load_one(id)
            .await
            .map_err(load_error)?;
        Ok(record.map(super::kleer::KleerConnection))
    }
    async fn started_at(&self) -> DateTime<Utc> {
        self.0.started_at
    }
    /// Null while the run is in progress (or was cut short by a crash).
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    async fn succeeded(&self) -> i32 {
        self.0.succeeded
    }
    async fn skipped(&self) -> i32 {
        self.0.skipped
    }
    async fn failed(&self) -> i32 {
        self.0.failed
    }
    /// The rows in request order.
    async fn rows(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<NumberKey, SyncRunRow, KnownTotal>> {
        let first = paging::page_size(first)?;
        let after: Option<NumberKey> = paging::decode(after)?;
        let store = super::service(ctx).store();
        let mut rows = store
            .run_rows(self.0.id, after.as_ref().map(|a| a.0 as i32), first + 1)
            .await
            .api()?;
        let has_next = rows.len() > first;
        rows.truncate(first);
        let total = i64::from(self.0.succeeded + self.0.skipped + self.0.failed);
        let mut connection =
            Connection::with_additional_fields(after.is_some(), has_next, KnownTotal(total));
        connection.edges.extend(rows.into_iter().map(|r| {
            Edge::new(
                NumberKey(i64::from(r.position)),
                SyncRunRow {
                    position: r.position,
                    row: RowResult::from_record(&r),
                },
            )
        }));
        Ok(connection)
    }
}

/// One row of a sync run.
#[derive(Clone)]
pub struct SyncRunRow {
    position: i32,
    row: RowResult,
}

#[Object]
impl SyncRunRow {
    /// Place in the request, from 0.
    async fn position(&self) -> i32 {
        self.position
    }
    /// The id as it was sent.
    async fn subject_id(&self) -> ID {
        ID(self.row.requested_id.clone())
    }
    async fn outcome(&self) -> super::batch::RowOutcomeEnum {
        self.row.outcome().into()
    }
    async fn code(&self) -> super::batch::RowCodeEnum {
        self.row.code.into()
    }
    async fn message(&self) -> Option<&str> {
        self.row.message.as_deref()
    }
    /// The import action carried out, for import runs.
    async fn action(&self) -> Option<&str> {
        self.row.action.as_deref()
    }
    async fn kleer_user_id(&self) -> Option<i64> {
        self.row.kleer_user_id.map(|k| k.0)
    }
    async fn employee(&self, ctx: &Context<'_>) -> Result<Option<Employee>> {
        let Some(id) = self.row.employee_id else {
            return Ok(None);
        };
        Ok(super::loaders(ctx)
            .employees
            .load_one(id)
            .await
            .map_err(load_error)?
            .map(Employee))
    }
    /// Every field the row wrote, with its value before and after.
    async fn changes(&self) -> Vec<ValueChange> {
        self.row.changes.iter().cloned().map(Into::into).collect()
    }
}

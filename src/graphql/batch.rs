//! Batch actions in the API: inputs, per-row results and payloads with their sync run.

use super::employee::Employee;
use super::export::ExportRow;
use super::ids;
use super::runs::SyncRun;
use crate::model::EmployeeId;
use crate::store::ConnectionRecord;
use crate::sync::Requested;
use crate::sync::outcome::{BatchReport, RowOutcome, RowResult};
use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use std::sync::Arc;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "RowOutcome", remote = "crate::sync::outcome::RowOutcome")]
pub enum RowOutcomeEnum {
    Succeeded,
    Skipped,
    Failed,
}

/// Stable codes of batch rows; clients may switch on them.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(name = "RowCode", remote = "crate::sync::outcome::RowCode")]
pub enum RowCodeEnum {
    /// Exported: a new Kleer user and payroll agreement, now linked.
    Created,
    /// Kleer (or HR) now holds the current values.
    Updated,
    /// Found again in Kleer by the id we stamped earlier, linked and updated.
    Relinked,
    /// The link is gone; Kleer was not touched.
    Unlinked,
    /// Imported: the Kleer employee is now linked to the matched HR employee.
    Linked,
    /// The pair chosen by hand is stored; the row's action is now MATCH_MANUALLY.
    Matched,
    /// The row's action is stored until it is imported or changed.
    ActionSet,
    /// The Kleer employee is gone from Kleer (a refresh found it missing).
    KleerRemoved,
    /// The row's action writes nothing (DO_NOTHING, or a prefer action on a linked row).
    NothingToDo,
    /// Another request (or server) is exporting this employee right now; nothing was done twice.
    InProgress,
    /// Nothing to unlink.
    NotLinked,
    /// The same row appeared earlier in this batch and was acted on there.
    DuplicateInBatch,
    /// The id is malformed or names nothing.
    NotFound,
    /// A value Kleer needs is missing; the message names it.
    MissingRequiredField,
    /// Kleer already has a different user with this personal identity number: use Match.
    KleerConflict,
    /// The employee or the Kleer user is linked already.
    AlreadyLinked,
    /// The action needs an HR employee matched to the row, and there is none.
    NoMatch,
    /// The HR employee is linked to another Kleer employee.
    EmployeeAlreadyLinked,
    /// The HR employee is matched by hand to another Kleer employee.
    EmployeeAlreadyMatched,
    /// Another HR employee holds the personal identity number the import would write.
    PersonalIdentityNumberTaken,
    /// Kleer's values break an HR rule; the message names the fields.
    InvalidKleerData,
    /// The linked Kleer user no longer exists in Kleer.
    KleerNotFound,
    /// Kleer refused the write; the message is Kleer's.
    KleerRejected,
    /// Kleer does not accept the connection's token.
    KleerUnauthorized,
    /// Kleer could not be reached or did not answer in time; running the action again is safe.
    KleerUnavailable,
    /// An internal error; nothing was stored for the row.
    Internal,
}

#[derive(InputObject)]
pub struct ExportEmployeesInput {
    /// May be left out while exactly one connection exists.
    pub connection_id: Option<ID>,
    #[graphql(validator(max_items = 1000))]
    pub employee_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct UnlinkEmployeesInput {
    /// May be left out while exactly one connection exists.
    pub connection_id: Option<ID>,
    #[graphql(validator(max_items = 1000))]
    pub employee_ids: Vec<ID>,
}

pub fn requested_employees(ids: Vec<ID>) -> Vec<Requested<EmployeeId>> {
    ids.into_iter()
        .map(|raw| Requested {
            id: ids::employee_id(&raw),
            raw: raw.0,
        })
        .collect()
}

/// The answer for one requested employee.
#[derive(Clone)]
pub struct EmployeeRowResult {
    row: RowResult,
    connection: Arc<ConnectionRecord>,
}

#[Object]
impl EmployeeRowResult {
    /// The id as it was sent.
    async fn id(&self) -> ID {
        ID(self.row.requested_id.clone())
    }
    async fn outcome(&self) -> RowOutcomeEnum {
        self.row.outcome().into()
    }
    async fn code(&self) -> RowCodeEnum {
        self.row.code.into()
    }
    async fn message(&self) -> Option<&str> {
        self.row.message.as_deref()
    }
    /// The fields this row wrote, before and after.
    async fn changes(&self) -> Vec<super::runs::ValueChange> {
        self.row.changes.iter().cloned().map(Into::into).collect()
    }
    async fn employee(&self, ctx: &Context<'_>) -> Result<Option<Employee>> {
        let Some(id) = self.row.employee_id else {
            return Ok(None);
        };
        let employee = super::loaders(ctx)
            .employees
            .load_one(id)
            .await
            .map_err(super::loaders::load_error)?;
        Ok(employee.map(Employee))
    }
    /// The employee's Export view row as it stands now.
    async fn row(&self, ctx: &Context<'_>) -> Result<Option<ExportRow>> {
        let Some(id) = self.row.employee_id else {
            return Ok(None);
        };
        let employee = super::loaders(ctx)
            .employees
            .load_one(id)
            .await
            .map_err(super::loaders::load_error)?;
        Ok(employee.map(|employee| ExportRow::new(employee, self.connection.clone())))
    }
}

/// A batch payload type: its rows, the counts per outcome and the run that recorded it.
macro_rules! batch_payload {
    ($(#[$doc:meta])* $name:ident, $row:ty) => {
        $(#[$doc])*
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            /// One per requested id, in request order.
            pub results: Vec<$row>,
            pub succeeded: i32,
            pub skipped: i32,
            pub failed: i32,
            /// The sync run that recorded this batch.
            pub run: SyncRun,
        }

        impl $name {
            pub fn new(report: BatchReport, row: impl Fn(RowResult) -> $row) -> Self {
                $name {
                    succeeded: report.count(RowOutcome::Succeeded) as i32,
                    skipped: report.count(RowOutcome::Skipped) as i32,
                    failed: report.count(RowOutcome::Failed) as i32,
                    run: SyncRun(report.run),
                    results: report.rows.into_iter().map(row).collect(),
                }
            }
        }
    };
}

batch_payload!(
    /// What `exportEmployees` did, row by row.
    ExportEmployeesPayload,
    EmployeeRowResult
);
batch_payload!(
    /// What `unlinkEmployees` did, row by row.
    UnlinkEmployeesPayload,
    EmployeeRowResult
);

impl EmployeeRowResult {
    pub fn new(row: RowResult, connection: &Arc<ConnectionRecord>) -> Self {
        EmployeeRowResult {
            row,
            connection: connection.clone(),
        }
    }
}

pub fn connection_node(id: &Option<ID>) -> Result<Option<crate::model::ConnectionId>> {
    id.as_ref()
        .map(|id| {
            ids::connection_id(id).ok_or_else(|| {
                super::errors::coded(super::errors::NOT_FOUND, "no Kleer connection has this id")
            })
        })
        .transpose()
}

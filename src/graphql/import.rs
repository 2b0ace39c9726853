//! The Import view: one row per Kleer employee, with its match, action and affected fields, and
//! the batch actions on those rows.

use super::batch::{RowCodeEnum, RowOutcomeEnum};
use super::employee::Employee;
use super::ids::NodeId;
use super::kleer::{FieldChange, KleerEmployee};
use super::runs::{SyncRun, ValueChange};
use crate::model::{ConnectionId, EmployeeId, KleerUserId};
use crate::store::ConnectionRecord;
use crate::sync::Requested;
use crate::sync::fields::import_changes;
use crate::sync::import::ImportRow as ImportRowValue;
use crate::sync::outcome::{BatchReport, RowOutcome, RowResult};
use async_graphql::{Enum, ID, InputObject, Object, SimpleObject};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::sync::import::ImportTab")]
pub enum ImportTab {
    /// Kleer employees not linked to an HR employee.
    New,
    /// Kleer employees linked to an HR employee (imported, matched or exported earlier).
    Imported,
    /// Every Kleer employee of the connected company.
    All,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::sync::import::ImportAction")]
pub enum ImportAction {
    /// Create a new HR employee from the Kleer data, and link it.
    Create,
    /// Link the pair; HR keeps its values.
    PreferAlexis,
    /// Link the pair and overwrite HR's values with Kleer's (where Kleer has one).
    PreferKleer,
    /// The pair was chosen by hand; links like PREFER_ALEXIS.
    MatchManually,
    DoNothing,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::sync::matching::MatchedBy")]
pub enum MatchedBy {
    /// The same Swedish personal identity number.
    PersonalIdentityNumber,
    /// The same email (private or work, case-insensitive).
    Email,
    /// Chosen by hand with matchEmployees.
    Manual,
    /// The existing link.
    Link,
}

/// One Kleer employee in the Import view of a connection.
#[derive(Clone)]
pub struct ImportRow {
    pub row: ImportRowValue,
    pub connection: Arc<ConnectionRecord>,
}

#[Object]
impl ImportRow {
    /// The Kleer employee's id.
    async fn id(&self) -> ID {
        NodeId::KleerEmployee(self.connection.id, self.row.kleer.employee.user_id).encode()
    }
    async fn kleer_employee(&self) -> KleerEmployee {
        KleerEmployee {
            connection_id: self.connection.id,
            mirrored: self.row.kleer.clone(),
        }
    }
    async fn linked(&self) -> bool {
        self.row.linked_to.is_some()
    }
    /// The HR employee this row is paired with: the linked one, the one chosen by hand, or the
    /// one found automatically.
    async fn matched_employee(&self) -> Option<Employee> {
        self.row.matched_employee().cloned().map(Employee)
    }
    async fn matched_by(&self) -> Option<MatchedBy> {
        self.row.matched.as_ref().map(|(_, by)| (*by).into())
    }
    /// Why no automatic match was made when the candidates were not one on each side.
    async fn match_note(&self) -> Option<&str> {
        self.row.match_note.as_deref()
    }
    /// The action to be performed on Import.
    async fn action(&self) -> ImportAction {
        self.row.action.into()
    }
    /// Every mapped field, HR beside Kleer; `changes` marks what the action would write to HR.
    async fn affected_fields(&self) -> Vec<FieldChange> {
        let hr = self.row.matched_employee().map(|e| &e.data);
        import_changes(
            hr,
            &self.row.kleer.employee,
            self.row.action,
            self.connection.use_work_email,
        )
        .into_iter()
        .map(Into::into)
        .collect()
    }
}

/// The answer for one requested Kleer row.
#[derive(Clone)]
pub struct KleerRowResult {
    row: RowResult,
    /// The row as it stands after the batch, when the client asked for it.
    now: Option<ImportRow>,
}

#[Object]
impl KleerRowResult {
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
    /// The action the row carried (or was given).
    async fn action(&self) -> Option<&str> {
        self.row.action.as_deref()
    }
    /// The HR fields this row wrote, before and after.
    async fn changes(&self) -> Vec<ValueChange> {
        self.row.changes.iter().cloned().map(Into::into).collect()
    }
    /// The row of the Import view as it stands after the batch.
    async fn row(&self) -> Option<&ImportRow> {
        self.now.as_ref()
    }
}

macro_rules! kleer_batch_payload {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(SimpleObject)]
        pub struct $name {
            /// One per requested row, in request order.
            pub results: Vec<KleerRowResult>,
            pub succeeded: i32,
            pub skipped: i32,
            pub failed: i32,
            /// The sync run that recorded this batch.
            pub run: SyncRun,
        }

        impl $name {
            pub fn new(report: BatchReport, rows: &mut HashMap<KleerUserId, ImportRow>) -> Self {
                $name {
                    succeeded: report.count(RowOutcome::Succeeded) as i32,
                    skipped: report.count(RowOutcome::Skipped) as i32,
                    failed: report.count(RowOutcome::Failed) as i32,
                    run: SyncRun(report.run),
                    results: report
                        .rows
                        .into_iter()
                        .map(|row| {
                            let now = row.kleer_user_id.and_then(|k| rows.get(&k).cloned());
                            KleerRowResult { row, now }
                        })
                        .collect(),
                }
            }
        }
    };
}

kleer_batch_payload!(
    /// What `matchEmployees` did, pair by pair.
    MatchEmployeesPayload
);
kleer_batch_payload!(
    /// What `setImportAction` did, row by row.
    SetImportActionPayload
);
kleer_batch_payload!(
    /// What `importEmployees` did, row by row.
    ImportEmployeesPayload
);

#[derive(InputObject)]
pub struct EmployeeMatchInput {
    pub kleer_employee_id: ID,
    pub employee_id: ID,
}

#[derive(InputObject)]
pub struct MatchEmployeesInput {
    /// May be left out while exactly one connection exists.
    pub connection_id: Option<ID>,
    #[graphql(validator(max_items = 1000))]
    pub matches: Vec<EmployeeMatchInput>,
}

#[derive(InputObject)]
pub struct SetImportActionInput {
    /// May be left out while exactly one connection exists.
    pub connection_id: Option<ID>,
    #[graphql(validator(max_items = 1000))]
    pub kleer_employee_ids: Vec<ID>,
    pub action: ImportAction,
}

#[derive(InputObject)]
pub struct ImportEmployeesInput {
    /// May be left out while exactly one connection exists.
    pub connection_id: Option<ID>,
    #[graphql(validator(max_items = 1000))]
    pub kleer_employee_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct RefreshKleerEmployeesInput {
    /// May be left out while exactly one connection exists.
    pub connection_id: Option<ID>,
}

/// What a refresh found in Kleer.
#[derive(SimpleObject)]
pub struct RefreshKleerEmployeesPayload {
    /// Kleer employees (users with a payroll agreement) the company has now.
    pub kleer_employee_count: i32,
    /// Kleer user ids that were mirrored before and are gone from Kleer.
    pub removed_kleer_user_ids: Vec<i64>,
    /// HR employees linked to a Kleer user Kleer no longer has (found gone by this refresh or an
    /// earlier one): unlink or re-export them.
    pub dangling_links: Vec<Employee>,
    /// The run that recorded the refresh, one row per removed Kleer user.
    pub run: SyncRun,
}

/// A Kleer employee id of this connection, decoded; one of another connection is not found.
pub fn requested_kleer(ids: Vec<ID>, connection: ConnectionId) -> Vec<Requested<KleerUserId>> {
    ids.into_iter()
        .map(|raw| {
            let id = match NodeId::decode(&raw) {
                Some(NodeId::KleerEmployee(cid, kid)) if cid == connection => Some(kid),
                _ => None,
            };
            Requested { raw: raw.0, id }
        })
        .collect()
}

pub fn requested_pairs(
    matches: Vec<EmployeeMatchInput>,
    connection: ConnectionId,
) -> Vec<(Requested<KleerUserId>, Requested<EmployeeId>)> {
    matches
        .into_iter()
        .map(|m| {
            let kleer = requested_kleer(vec![m.kleer_employee_id], connection).remove(0);
            let employee = Requested {
                id: super::ids::employee_id(&m.employee_id),
                raw: m.employee_id.0,
            };
            (kleer, employee)
        })
        .collect()
}

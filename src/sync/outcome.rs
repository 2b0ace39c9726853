//! What a batch action answers per row: an outcome, a stable code and, for writes, the fields
//! it changed. The codes are part of the API contract; never rename one.

use crate::model::{EmployeeId, KleerUserId};
use crate::store::{NewRunRow, RunRecord, RunRowRecord};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RowOutcome {
    Succeeded,
    Skipped,
    Failed,
}

macro_rules! row_codes {
    ($($code:ident => $text:literal, $outcome:ident;)*) => {
        /// Stable per-row codes.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum RowCode { $($code,)* }

        impl RowCode {
            pub const ALL: &'static [RowCode] = &[$(RowCode::$code,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(RowCode::$code => $text,)* }
            }

            pub fn outcome(self) -> RowOutcome {
                match self { $(RowCode::$code => RowOutcome::$outcome,)* }
            }

            pub fn parse(text: &str) -> Option<RowCode> {
                match text { $($text => Some(RowCode::$code),)* _ => None }
            }
        }
    };
}

row_codes! {
    Created => "CREATED", Succeeded;
    Updated => "UPDATED", Succeeded;
    Relinked => "RELINKED", Succeeded;
    Unlinked => "UNLINKED", Succeeded;
    Linked => "LINKED", Succeeded;
    Matched => "MATCHED", Succeeded;
    ActionSet => "ACTION_SET", Succeeded;
    KleerRemoved => "KLEER_REMOVED", Succeeded;
    NothingToDo => "NOTHING_TO_DO", Skipped;
    InProgress => "IN_PROGRESS", Skipped;
    NotLinked => "NOT_LINKED", Skipped;
    DuplicateInBatch => "DUPLICATE_IN_BATCH", Skipped;
    NotFound => "NOT_FOUND", Failed;
    MissingRequiredField => "MISSING_REQUIRED_FIELD", Failed;
    KleerConflict => "KLEER_CONFLICT", Failed;
    AlreadyLinked => "ALREADY_LINKED", Failed;
    NoMatch => "NO_MATCH", Failed;
    EmployeeAlreadyLinked => "EMPLOYEE_ALREADY_LINKED", Failed;
    EmployeeAlreadyMatched => "EMPLOYEE_ALREADY_MATCHED", Failed;
    PersonalIdentityNumberTaken => "PERSONAL_IDENTITY_NUMBER_TAKEN", Failed;
    InvalidKleerData => "INVALID_KLEER_DATA", Failed;
    KleerNotFound => "KLEER_NOT_FOUND", Failed;
    KleerRejected => "KLEER_REJECTED", Failed;
    KleerUnauthorized => "KLEER_UNAUTHORIZED", Failed;
    KleerUnavailable => "KLEER_UNAVAILABLE", Failed;
    Internal => "INTERNAL", Failed;
}

/// What a sync run did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunKind {
    Export,
    Unlink,
    Match,
    SetImportAction,
    Import,
    Refresh,
}

impl RunKind {
    const ALL: [RunKind; 6] = [
        RunKind::Export,
        RunKind::Unlink,
        RunKind::Match,
        RunKind::SetImportAction,
        RunKind::Import,
        RunKind::Refresh,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Export => "EXPORT",
            RunKind::Unlink => "UNLINK",
            RunKind::Match => "MATCH",
            RunKind::SetImportAction => "SET_IMPORT_ACTION",
            RunKind::Import => "IMPORT",
            RunKind::Refresh => "REFRESH",
        }
    }

    pub fn parse(text: &str) -> Option<RunKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl RowOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            RowOutcome::Succeeded => "SUCCEEDED",
            RowOutcome::Skipped => "SKIPPED",
            RowOutcome::Failed => "FAILED",
        }
    }

    pub fn parse(text: &str) -> Option<RowOutcome> {
        [
            RowOutcome::Succeeded,
            RowOutcome::Skipped,
            RowOutcome::Failed,
        ]
        .into_iter()
        .find(|o| o.as_str() == text)
    }
}

/// One field written by a batch action, with its value before and after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValueChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowResult {
    /// The id exactly as the client sent it.
    pub requested_id: String,
    pub code: RowCode,
    pub message: Option<String>,
    pub employee_id: Option<EmployeeId>,
    pub kleer_user_id: Option<KleerUserId>,
    pub action: Option<String>,
    pub changes: Vec<ValueChange>,
}

impl RowResult {
    pub fn new(requested_id: impl Into<String>, code: RowCode) -> Self {
        RowResult {
            requested_id: requested_id.into(),
            code,
            message: None,
            employee_id: None,
            kleer_user_id: None,
            action: None,
            changes: Vec::new(),
        }
    }

    pub fn outcome(&self) -> RowOutcome {
        self.code.outcome()
    }

    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    pub fn employee(mut self, id: EmployeeId) -> Self {
        self.employee_id = Some(id);
        self
    }

    pub fn kleer_user(mut self, id: KleerUserId) -> Self {
        self.kleer_user_id = Some(id);
        self
    }

    pub fn changes(mut self, changes: Vec<ValueChange>) -> Self {
        self.changes = changes;
        self
    }

    pub(crate) fn to_run_row(&self, position: usize) -> NewRunRow {
        NewRunRow {
            position: position as i32,
            subject_id: self.requested_id.clone(),
            employee_id: self.employee_id.map(|id| id.0),
            kleer_user_id: self.kleer_user_id.map(|id| id.0),
            action: self.action.clone(),
            outcome: self.outcome().as_str().to_string(),
            code: Some(self.code.as_str().to_string()),
            message: self.message.clone(),
            changes: serde_json::to_string(&self.changes).unwrap_or_else(|_| "[]".into()),
        }
    }

    /// Reads a stored row back; unknown codes (from a newer version) read as `Internal`.
    pub fn from_record(record: &RunRowRecord) -> Self {
        RowResult {
            requested_id: record.subject_id.clone(),
            code: record
                .code
                .as_deref()
                .and_then(RowCode::parse)
                .unwrap_or(RowCode::Internal),
            message: record.message.clone(),
            employee_id: record.employee_id.map(EmployeeId),
            kleer_user_id: record.kleer_user_id.map(KleerUserId),
            action: record.action.clone(),
            changes: serde_json::from_str(&record.changes).unwrap_or_default(),
        }
    }
}

/// The answer to a batch action: one result per requested row, in request order, and the run
/// that recorded them.
#[derive(Clone, Debug)]
pub struct BatchReport {
    pub run: RunRecord,
    pub rows: Vec<RowResult>,
}

impl BatchReport {
    pub fn count(&self, outcome: RowOutcome) -> usize {
        self.rows.iter().filter(|r| r.outcome() == outcome).count()
    }
}

//! Kleer in the API: connections, mirrored Kleer employees and the field-by-field comparison.

use super::employee::{AddressObject, UserErrorObject};
use super::ids::NodeId;
use super::scalars::{Date, date};
use crate::model::ConnectionId;
use crate::store::{ConnectionRecord, Mirrored};
use crate::sync::fields::FieldChange as FieldChangeValue;
use async_graphql::{ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

/// A connected Kleer company. Its token is write-only: no query returns it.
#[derive(Clone)]
pub struct KleerConnection(pub ConnectionRecord);

#[Object]
impl KleerConnection {
    pub async fn id(&self) -> ID {
        NodeId::KleerConnection(self.0.id).encode()
    }
    async fn label(&self) -> &str {
        &self.0.label
    }
    async fn base_url(&self) -> &str {
        &self.0.base_url
    }
    async fn company_id(&self) -> &str {
        &self.0.company_id
    }
    /// Kleer's one email field carries the work email instead of the private one.
    async fn use_work_email(&self) -> bool {
        self.0.use_work_email
    }
    /// The embedded demo sandbox, started by `serve` when nothing else is configured.
    async fn is_demo(&self) -> bool {
        self.0.is_demo
    }
    /// When the local mirror of this company's Kleer employees was last read from Kleer.
    async fn mirror_refreshed_at(&self) -> Option<DateTime<Utc>> {
        self.0.mirror_refreshed_at
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A Kleer employee (a user with a payroll agreement) as last read from Kleer.
#[derive(Clone)]
pub struct KleerEmployee {
    pub connection_id: ConnectionId,
    pub mirrored: Mirrored,
}

#[Object]
impl KleerEmployee {
    pub async fn id(&self) -> ID {
        NodeId::KleerEmployee(self.connection_id, self.mirrored.employee.user_id).encode()
    }
    /// Kleer's own user id.
    async fn kleer_user_id(&self) -> i64 {
        self.mirrored.employee.user_id.0
    }
    /// The HR employee id we stamped on the user when we created it.
    async fn foreign_id(&self) -> Option<&str> {
        self.mirrored.employee.foreign_id.as_deref()
    }
    /// Kleer's one full-name field.
    async fn name(&self) -> &str {
        &self.mirrored.employee.name
    }
    /// Everything before the last space of `name`.
    async fn first_name(&self) -> String {
        self.mirrored.employee.split_name().0
    }
    /// The last word of `name`.
    async fn last_name(&self) -> String {
        self.mirrored.employee.split_name().1
    }
    async fn email(&self) -> Option<&str> {
        self.mirrored.employee.email.as_deref()
    }
    async fn active(&self) -> bool {
        self.mirrored.employee.active
    }
    async fn personal_identity_number(&self) -> Option<&str> {
        self.mirrored.employee.personal_identity_number.as_deref()
    }
    async fn private_phone(&self) -> Option<&str> {
        self.mirrored.employee.phone.as_deref()
    }
    async fn home_address(&self) -> AddressObject {
        (&self.mirrored.employee.home_address).into()
    }
    async fn tax_table(&self) -> Option<i32> {
        self.mirrored.employee.tax_table
    }
    async fn tax_column(&self) -> Option<i32> {
        self.mirrored.employee.tax_column
    }
    async fn clearing_number(&self) -> Option<&str> {
        self.mirrored.employee.clearing_number.as_deref()
    }
    async fn bank_account_number(&self) -> Option<&str> {
        self.mirrored.employee.bank_account_number.as_deref()
    }
    async fn start_date(&self) -> Option<Date> {
        date(self.mirrored.employee.start_date)
    }
    async fn end_date(&self) -> Option<Date> {
        date(self.mirrored.employee.end_date)
    }
    async fn monthly_salary(&self) -> Option<i64> {
        self.mirrored.employee.monthly_salary
    }
    /// When this row was read from (or written to) Kleer.
    async fn fetched_at(&self) -> DateTime<Utc> {
        self.mirrored.fetched_at
    }
}

/// One mapped field of a row: the HR value beside the Kleer value.
#[derive(SimpleObject, Clone)]
pub struct FieldChange {
    /// The HR field name (`homeAddress.city` for nested ones).
    pub field: String,
    pub alexis_value: Option<String>,
    pub kleer_value: Option<String>,
    /// True when the row's action would write this field.
    pub changes: bool,
}

impl From<FieldChangeValue> for FieldChange {
    fn from(c: FieldChangeValue) -> Self {
        FieldChange {
            field: c.field.to_string(),
            alexis_value: c.alexis_value,
            kleer_value: c.kleer_value,
            changes: c.changes,
        }
    }
}

#[derive(InputObject)]
pub struct CreateKleerConnectionInput {
    /// A name for people; defaults to "Kleer".
    pub label: Option<String>,
    /// For example `https://api.kleer.se/v1`.
    pub base_url: String,
    pub company_id: String,
    /// The API token of Kleer's integration user. Stored, never returned.
    pub token: String,
    pub use_work_email: Option<bool>,
}

/// Fields left out keep their value.
#[derive(InputObject)]
pub struct UpdateKleerConnectionInput {
    pub id: ID,
    pub label: Option<String>,
    pub base_url: Option<String>,
    pub company_id: Option<String>,
    pub token: Option<String>,
    pub use_work_email: Option<bool>,
}

#[derive(SimpleObject)]
pub struct KleerConnectionPayload {
    pub kleer_connection: Option<KleerConnection>,
    pub user_errors: Vec<UserErrorObject>,
}

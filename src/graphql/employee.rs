//! The HR employee in the API, and the inputs that create and change one.

use super::ids::NodeId;
use super::scalars::{Date, date};
use crate::model;
use crate::sync::employees::{Change, EmployeeInput, UserError, UserErrorCode};
use async_graphql::{Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, Utc};

#[derive(SimpleObject, Clone)]
#[graphql(name = "Address")]
pub struct AddressObject {
    pub street: Option<String>,
    pub zip_code: Option<String>,
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country_code: Option<String>,
}

impl From<&model::Address> for AddressObject {
    fn from(a: &model::Address) -> Self {
        AddressObject {
            street: a.street.clone(),
            zip_code: a.zip_code.clone(),
            city: a.city.clone(),
            country_code: a.country_code.clone(),
        }
    }
}

/// An employee of the HR register.
#[derive(Clone)]
pub struct Employee(pub model::Employee);

#[Object]
impl Employee {
    pub async fn id(&self) -> ID {
        NodeId::Employee(self.0.id).encode()
    }
    async fn first_name(&self) -> &str {
        &self.0.data.first_name
    }
    async fn last_name(&self) -> &str {
        &self.0.data.last_name
    }
    /// Swedish personal identity number, `YYYYMMDD-NNNN`.
    async fn personal_identity_number(&self) -> Option<String> {
        self.0
            .data
            .personal_identity_number
            .as_ref()
            .map(|p| p.to_string())
    }
    async fn private_email(&self) -> Option<&str> {
        self.0.data.private_email.as_deref()
    }
    async fn work_email(&self) -> Option<&str> {
        self.0.data.work_email.as_deref()
    }
    async fn private_phone(&self) -> Option<&str> {
        self.0.data.private_phone.as_deref()
    }
    async fn employee_number(&self) -> Option<&str> {
        self.0.data.employee_number.as_deref()
    }
    async fn home_address(&self) -> AddressObject {
        (&self.0.data.home_address).into()
    }
    async fn tax_table(&self) -> Option<i32> {
        self.0.data.tax_table
    }
    async fn tax_column(&self) -> Option<i32> {
        self.0.data.tax_column
    }
    async fn clearing_number(&self) -> Option<&str> {
        self.0.data.clearing_number.as_deref()
    }
    async fn bank_account_number(&self) -> Option<&str> {
        self.0.data.bank_account_number.as_deref()
    }
    async fn start_date(&self) -> Option<Date> {
        date(self.0.data.start_date)
    }
    async fn end_date(&self) -> Option<Date> {
        date(self.0.data.end_date)
    }
    /// Whole currency units.
    async fn monthly_salary(&self) -> Option<i64> {
        self.0.data.monthly_salary
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(
    name = "UserErrorCode",
    remote = "crate::sync::employees::UserErrorCode"
)]
pub enum UserErrorCodeEnum {
    /// A value is needed here.
    Required,
    /// The value breaks the rule named in the message.
    Invalid,
    /// Another record already holds this value.
    Taken,
    /// The id names nothing.
    NotFound,
}

/// A problem with one field of a single-object mutation; nothing was stored.
#[derive(SimpleObject, Clone)]
#[graphql(name = "UserError")]
pub struct UserErrorObject {
    /// The input field, dotted for nested ones (`homeAddress.countryCode`).
    pub field: String,
    pub message: String,
    pub code: UserErrorCodeEnum,
}

impl From<UserError> for UserErrorObject {
    fn from(e: UserError) -> Self {
        UserErrorObject {
            field: e.field,
            message: e.message,
            code: e.code.into(),
        }
    }
}

pub fn user_errors(errors: Vec<UserError>) -> Vec<UserErrorObject> {
    errors.into_iter().map(Into::into).collect()
}

pub fn not_found(field: &str, message: &str) -> Vec<UserErrorObject> {
    user_errors(vec![UserError::new(
        field,
        UserErrorCode::NotFound,
        message,
    )])
}

#[derive(InputObject, Default)]
pub struct AddressInput {
    pub street: Option<String>,
    pub zip_code: Option<String>,
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2 (`SE`).
    pub country_code: Option<String>,
}

#[derive(InputObject)]
pub struct CreateEmployeeInput {
    pub first_name: String,
    pub last_name: String,
    /// `YYYYMMDD-NNNN`, `YYYYMMDDNNNN` or `YYMMDD-NNNN`; stored as `YYYYMMDD-NNNN`.
    pub personal_identity_number: Option<String>,
    pub private_email: Option<String>,
    pub work_email: Option<String>,
    pub private_phone: Option<String>,
    pub employee_number: Option<String>,
    pub home_address: Option<AddressInput>,
    /// Swedish tax table, 29 to 42.
    pub tax_table: Option<i32>,
    /// Tax table column, 1 to 6.
    pub tax_column: Option<i32>,
    /// Four or five digits.
    pub clearing_number: Option<String>,
    /// Digits only.
    pub bank_account_number: Option<String>,
    /// `YYYY-MM-DD`.
    pub start_date: Option<String>,
    /// `YYYY-MM-DD`.
    pub end_date: Option<String>,
    /// Whole currency units, not negative.
    pub monthly_salary: Option<i32>,
}

fn set<T>(v: Option<T>) -> Change<T> {
    v.map_or(Change::Keep, Change::Set)
}

fn patch<T>(v: MaybeUndefined<T>) -> Change<T> {
    match v {
        MaybeUndefined::Undefined => Change::Keep,
        MaybeUndefined::Null => Change::Clear,
        MaybeUndefined::Value(v) => Change::Set(v),
    }
}

impl From<CreateEmployeeInput> for EmployeeInput {
    fn from(i: CreateEmployeeInput) -> Self {
        let a = i.home_address.unwrap_or_default();
        EmployeeInput {
            first_name: Change::Set(i.first_name),
            last_name: Change::Set(i.last_name),
            personal_identity_number: set(i.personal_identity_number),
            private_email: set(i.private_email),
            work_email: set(i.work_email),
            private_phone: set(i.private_phone),
            employee_number: set(i.employee_number),
            street: set(a.street),
            zip_code: set(a.zip_code),
            city: set(a.city),
            country_code: set(a.country_code),
            tax_table: set(i.tax_table),
            tax_column: set(i.tax_column),
            clearing_number: set(i.clearing_number),
            bank_account_number: set(i.bank_account_number),
            start_date: set(i.start_date),
            end_date: set(i.end_date),
            monthly_salary: set(i.monthly_salary.map(i64::from)),
        }
    }
}

/// Only the fields present change; an explicit `null` clears a field.
#[derive(InputObject, Default)]
pub struct AddressPatch {
    pub street: MaybeUndefined<String>,
    pub zip_code: MaybeUndefined<String>,
    pub city: MaybeUndefined<String>,
    pub country_code: MaybeUndefined<String>,
}

/// Only the fields present change; an explicit `null` clears a field (names cannot be cleared).
#[derive(InputObject, Default)]
pub struct EmployeePatch {
    pub first_name: MaybeUndefined<String>,
    pub last_name: MaybeUndefined<String>,
    pub personal_identity_number: MaybeUndefined<String>,
    pub private_email: MaybeUndefined<String>,
    pub work_email: MaybeUndefined<String>,
    pub private_phone: MaybeUndefined<String>,
    pub employee_number: MaybeUndefined<String>,
    /// `null` clears the whole address.
    pub home_address: MaybeUndefined<AddressPatch>,
    pub tax_table: MaybeUndefined<i32>,
    pub tax_column: MaybeUndefined<i32>,
    pub clearing_number: MaybeUndefined<String>,
    pub bank_account_number: MaybeUndefined<String>,
    pub start_date: MaybeUndefined<String>,
    pub end_date: MaybeUndefined<String>,
    pub monthly_salary: MaybeUndefined<i32>,
}

impl From<EmployeePatch> for EmployeeInput {
    fn from(p: EmployeePatch) -> Self {
        let address = match p.home_address {
            MaybeUndefined::Undefined => AddressPatch::default(),
            MaybeUndefined::Null => AddressPatch {
                street: MaybeUndefined::Null,
                zip_code: MaybeUndefined::Null,
                city: MaybeUndefined::Null,
                country_code: MaybeUndefined::Null,
            },
            MaybeUndefined::Value(a) => a,
        };
        EmployeeInput {
            first_name: patch(p.first_name),
            last_name: patch(p.last_name),
            personal_identity_number: patch(p.personal_identity_number),
            private_email: patch(p.private_email),
            work_email: patch(p.work_email),
            private_phone: patch(p.private_phone),
            employee_number: patch(p.employee_number),
            street: patch(address.street),
            zip_code: patch(address.zip_code),
            city: patch(address.city),
            country_code: patch(address.country_code),
            tax_table: patch(p.tax_table),
            tax_column: patch(p.tax_column),
            clearing_number: patch(p.clearing_number),
            bank_account_number: patch(p.bank_account_number),
            start_date: patch(p.start_date),
            end_date: patch(p.end_date),
            monthly_salary: patch(p.monthly_salary.map_value(i64::from)),
        }
    }
}

#[derive(InputObject)]
pub struct UpdateEmployeeInput {
    pub id: ID,
    pub patch: EmployeePatch,
}

#[derive(SimpleObject)]
pub struct CreateEmployeePayload {
    /// The new employee; null when `userErrors` is not empty.
    pub employee: Option<Employee>,
    pub user_errors: Vec<UserErrorObject>,
}

#[derive(SimpleObject)]
pub struct UpdateEmployeePayload {
    /// The employee after the change; null when `userErrors` is not empty.
    pub employee: Option<Employee>,
    pub user_errors: Vec<UserErrorObject>,
}

//! The HR employee, the Kleer employee (as mirrored locally) and the link between them.

use super::{ConnectionId, EmployeeId, KleerUserId, PersonalIdentityNumber};
use chrono::{DateTime, NaiveDate, Utc};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Address {
    pub street: Option<String>,
    pub zip_code: Option<String>,
    pub city: Option<String>,
    pub country_code: Option<String>,
}

/// Everything an HR employee holds apart from its identity: validated values only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmployeeData {
    pub first_name: String,
    pub last_name: String,
    pub personal_identity_number: Option<PersonalIdentityNumber>,
    pub private_email: Option<String>,
    pub work_email: Option<String>,
    pub private_phone: Option<String>,
    pub employee_number: Option<String>,
    pub home_address: Address,
    pub tax_table: Option<i32>,
    pub tax_column: Option<i32>,
    pub clearing_number: Option<String>,
    pub bank_account_number: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub monthly_salary: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employee {
    pub id: EmployeeId,
    pub data: EmployeeData,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A Kleer employee (a user with a payroll agreement) as last read from Kleer. Values are kept
/// as Kleer holds them: a personal identity number Kleer stores in another spelling is
/// normalised when it parses and kept verbatim when it does not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KleerEmployee {
    pub user_id: KleerUserId,
    pub foreign_id: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub active: bool,
    pub personal_identity_number: Option<String>,
    pub phone: Option<String>,
    pub home_address: Address,
    pub tax_table: Option<i32>,
    pub tax_column: Option<i32>,
    pub clearing_number: Option<String>,
    pub bank_account_number: Option<String>,
    pub start_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
    pub monthly_salary: Option<i64>,
}

impl KleerEmployee {
    /// Kleer keeps one name; the first name is everything before the last space.
    pub fn split_name(&self) -> (String, String) {
        split_full_name(&self.name)
    }
}

pub fn split_full_name(name: &str) -> (String, String) {
    let name = name.trim();
    match name.rfind(' ') {
        Some(at) => (
            name[..at].trim_end().to_string(),
            name[at + 1..].to_string(),
        ),
        None => (name.to_string(), String::new()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    pub connection_id: ConnectionId,
    pub employee_id: EmployeeId,
    pub kleer_user_id: KleerUserId,
}

#[cfg(test)]
mod tests {
    use super::split_full_name;

    #[test]
    fn name_splits_on_the_last_space() {
        assert_eq!(
            split_full_name("Anna Maria Svensson"),
            ("Anna Maria".into(), "Svensson".into())
        );
        assert_eq!(split_full_name("Cher"), ("Cher".into(), String::new()));
        assert_eq!(split_full_name(" Eva  Ek "), ("Eva".into(), "Ek".into()));
    }
}

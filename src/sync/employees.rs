//! Creating and editing HR employees: every value is validated here, once, and a request with
//! any invalid value stores nothing and answers every problem with the field it belongs to.

use super::Service;
use super::error::SyncError;
use crate::model::{Employee, PinError};
use crate::model::{EmployeeData, EmployeeId, PersonalIdentityNumber, validate};

/// One field of a patch: absent (keep), explicitly null (clear), or a new value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Change<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

/// The fields of an employee as a client sent them, before validation.
#[derive(Clone, Debug, Default)]
pub struct EmployeeInput {
    pub first_name: Change<String>,
    pub last_name: Change<String>,
    pub personal_identity_number: Change<String>,
    pub private_email: Change<String>,
    pub work_email: Change<String>,
    pub private_phone: Change<String>,
    pub employee_number: Change<String>,
    pub street: Change<String>,
    pub zip_code: Change<String>,
    pub city: Change<String>,
    pub country_code: Change<String>,
    pub tax_table: Change<i32>,
    pub tax_column: Change<i32>,
    pub clearing_number: Change<String>,
    pub bank_account_number: Change<String>,
    pub start_date: Change<String>,
    pub end_date: Change<String>,
    pub monthly_salary: Change<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserErrorCode {
    Required,
    Invalid,
    Taken,
    NotFound,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserError {
    pub field: String,
    pub message: String,
    pub code: UserErrorCode,
}

impl UserError {
    pub fn new(field: &str, code: UserErrorCode, message: impl Into<String>) -> Self {
        UserError {
            field: field.to_string(),
            message: message.into(),
            code,
        }
    }
}

/// A validated write, or every reason it was refused.
pub type Validated<T> = Result<T, Vec<UserError>>;

/// Applies `input` over `base` and validates the result.
pub fn apply(base: &EmployeeData, input: &EmployeeInput) -> Validated<EmployeeData> {
    let mut errors = Vec::new();
    let mut d = base.clone();
    let mut check = Checker {
        errors: &mut errors,
    };

    check.required_text("firstName", &input.first_name, &mut d.first_name);
    check.required_text("lastName", &input.last_name, &mut d.last_name);
    check.value(
        "personalIdentityNumber",
        &input.personal_identity_number,
        &mut d.personal_identity_number,
        |s| PersonalIdentityNumber::parse(s).map_err(pin_message),
    );
    check.value(
        "privateEmail",
        &input.private_email,
        &mut d.private_email,
        |s: &String| validate::email(s),
    );
    check.value(
        "workEmail",
        &input.work_email,
        &mut d.work_email,
        |s: &String| validate::email(s),
    );
    check.value(
        "privatePhone",
        &input.private_phone,
        &mut d.private_phone,
        |s: &String| validate::phone(s),
    );
    check.value(
        "employeeNumber",
        &input.employee_number,
        &mut d.employee_number,
        |s: &String| plain_text(s),
    );
    check.value(
        "homeAddress.street",
        &input.street,
        &mut d.home_address.street,
        |s: &String| plain_text(s),
    );
    check.value(
        "homeAddress.zipCode",
        &input.zip_code,
        &mut d.home_address.zip_code,
        |s: &String| validate::zip_code(s),
    );
    check.value(
        "homeAddress.city",
        &input.city,
        &mut d.home_address.city,
        |s: &String| plain_text(s),
    );
    check.value(
        "homeAddress.countryCode",
        &input.country_code,
        &mut d.home_address.country_code,
        |s: &String| validate::country_code(s),
    );
    check.value("taxTable", &input.tax_table, &mut d.tax_table, |t| {
        (29..=42)
            .contains(t)
            .then_some(*t)
            .ok_or("Swedish tax tables run from 29 to 42")
    });
    check.value("taxColumn", &input.tax_column, &mut d.tax_column, |c| {
        (1..=6)
            .contains(c)
            .then_some(*c)
            .ok_or("tax columns run from 1 to 6")
    });
    check.value(
        "clearingNumber",
        &input.clearing_number,
        &mut d.clearing_number,
        |s: &String| validate::clearing_number(s),
    );
    check.value(
        "bankAccountNumber",
        &input.bank_account_number,
        &mut d.bank_account_number,
        |s: &String| validate::bank_account_number(s),
    );
    check.value(
        "startDate",
        &input.start_date,
        &mut d.start_date,
        |s: &String| validate::date(s),
    );
    check.value("endDate", &input.end_date, &mut d.end_date, |s: &String| {
        validate::date(s)
    });
    check.value(
        "monthlySalary",
        &input.monthly_salary,
        &mut d.monthly_salary,
        |s| (*s >= 0).then_some(*s).ok_or("a salary cannot be negative"),
    );

    if let (Some(start), Some(end)) = (d.start_date, d.end_date)
        && end < start
        && errors.iter().all(|e| e.field != "endDate")
    {
        errors.push(UserError::new(
            "endDate",
            UserErrorCode::Invalid,
            "the end date is before the start date",
        ));
    }
    if errors.is_empty() {
        Ok(d)
    } else {
        Err(errors)
    }
}

fn pin_message(e: PinError) -> String {
    format!("not a valid Swedish personal identity number: {e}")
}

fn plain_text(s: &str) -> Result<String, String> {
    Ok(s.trim().to_string())
}

struct Checker<'a> {
    errors: &'a mut Vec<UserError>,
}

impl Checker<'_> {
    fn required_text(&mut self, field: &str, change: &Change<String>, target: &mut String) {
        match change {
            Change::Keep if !target.trim().is_empty() => {}
            Change::Set(s) if !s.trim().is_empty() => *target = s.trim().to_string(),
            _ => self.errors.push(UserError::new(
                field,
                UserErrorCode::Required,
                "cannot be empty",
            )),
        }
    }

    /// Sets, clears or keeps an optional value; an empty string clears like null does.
    fn value<I, T, E>(
        &mut self,
        field: &str,
        change: &Change<I>,
        target: &mut Option<T>,
        parse: impl Fn(&I) -> Result<T, E>,
    ) where
        I: IsBlank,
        E: ToString,
    {
        match change {
            Change::Keep => {}
            Change::Clear => *target = None,
            Change::Set(v) if v.is_blank() => *target = None,
            Change::Set(v) => match parse(v) {
                Ok(value) => *target = Some(value),
                Err(e) => {
                    self.errors
                        .push(UserError::new(field, UserErrorCode::Invalid, e.to_string()))
                }
            },
        }
    }
}

trait IsBlank {
    fn is_blank(&self) -> bool;
}

impl IsBlank for String {
    fn is_blank(&self) -> bool {
        self.trim().is_empty()
    }
}

impl IsBlank for i32 {
    fn is_blank(&self) -> bool {
        false
    }
}

impl IsBlank for i64 {
    fn is_blank(&self) -> bool {
        false
    }
}

impl Service {
    pub async fn create_employee(
        &self,
        input: &EmployeeInput,
    ) -> Result<Validated<Employee>, SyncError> {
        let data = match apply(&EmployeeData::default(), input) {
            Ok(data) => data,
            Err(errors) => return Ok(Err(errors)),
        };
        if let Some(taken) = self.pin_taken(&data, None).await? {
            return Ok(Err(vec![taken]));
        }
        match self.store.insert_employee(&data).await {
            Ok(employee) => Ok(Ok(employee)),
            Err(e) if e.is_unique_violation() => Ok(Err(vec![pin_taken_error()])),
            Err(e) => Err(e.into()),
        }
    }

    /// Changes only the fields present in `patch`.
    pub async fn update_employee(
        &self,
        id: EmployeeId,
        patch: &EmployeeInput,
    ) -> Result<Validated<Employee>, SyncError> {
        let Some(current) = self.store.employee(id).await? else {
            return Ok(Err(vec![UserError::new(
                "id",
                UserErrorCode::NotFound,
                "no employee has this id",
            )]));
        };
        let data = match apply(&current.data, patch) {
            Ok(data) => data,
            Err(errors) => return Ok(Err(errors)),
        };
        if let Some(taken) = self.pin_taken(&data, Some(id)).await? {
            return Ok(Err(vec![taken]));
        }
        match self.store.update_employee(id, &data).await {
            Ok(Some(employee)) => Ok(Ok(employee)),
            Ok(None) => Ok(Err(vec![UserError::new(
                "id",
                UserErrorCode::NotFound,
                "no employee has this id",
            )])),
            Err(e) if e.is_unique_violation() => Ok(Err(vec![pin_taken_error()])),
            Err(e) => Err(e.into()),
        }
    }

    async fn pin_taken(
        &self,
        data: &EmployeeData,
        own: Option<EmployeeId>,
    ) -> Result<Option<UserError>, SyncError> {
        let Some(pin) = &data.personal_identity_number else {
            return Ok(None);
        };
        let holder = self.store.employee_by_pin(pin).await?;
        Ok(holder
            .filter(|e| Some(e.id) != own)
            .map(|_| pin_taken_error()))
    }
}

fn pin_taken_error() -> UserError {
    UserError::new(
        "personalIdentityNumber",
        UserErrorCode::Taken,
        "another employee already has this personal identity number",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(s: &str) -> Change<String> {
        Change::Set(s.to_string())
    }

    fn valid() -> EmployeeInput {
        EmployeeInput {
            first_name: set("Anna"),
            last_name: set("Ek"),
            personal_identity_number: set("811218-9876"),
            country_code: set("se"),
            ..Default::default()
        }
    }

    #[test]
    fn normalises_what_it_accepts() {
        let d = apply(&EmployeeData::default(), &valid()).unwrap();
        assert_eq!(
            d.personal_identity_number.unwrap().as_str(),
            "19811218-9876"
        );
        assert_eq!(d.home_address.country_code.as_deref(), Some("SE"));
    }

    #[test]
    fn names_every_invalid_field() {
        let input = EmployeeInput {
            last_name: Change::Clear,
            personal_identity_number: set("19811218-9875"),
            private_email: set("anna@"),
            monthly_salary: Change::Set(-1),
            start_date: set("2024-02-30"),
            ..valid()
        };
        let errors = apply(&EmployeeData::default(), &input).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| (e.field.as_str(), e.code)).collect();
        assert_eq!(
            fields,
            [
                ("lastName", UserErrorCode::Required),
                ("personalIdentityNumber", UserErrorCode::Invalid),
                ("privateEmail", UserErrorCode::Invalid),
                ("startDate", UserErrorCode::Invalid),
                ("monthlySalary", UserErrorCode::Invalid),
            ]
        );
    }

    #[test]
    fn a_patch_keeps_absent_fields_and_clears_null_ones() {
        let base = apply(
            &EmployeeData::default(),
            &EmployeeInput {
                private_phone: set("070-123 45 67"),
                ..valid()
            },
        )
        .unwrap();
        let patch = EmployeeInput {
            first_name: set("Annie"),
            country_code: Change::Clear,
            ..Default::default()
        };
        let d = apply(&base, &patch).unwrap();
        assert_eq!(d.first_name, "Annie");
        assert_eq!(d.last_name, "Ek");
        assert_eq!(d.private_phone, base.private_phone);
        assert_eq!(d.home_address.country_code, None);
    }

    #[test]
    fn an_end_before_the_start_is_refused() {
        let input = EmployeeInput {
            start_date: set("2024-05-01"),
            end_date: set("2024-04-30"),
            ..valid()
        };
        let errors = apply(&EmployeeData::default(), &input).unwrap_err();
        assert_eq!(errors[0].field, "endDate");
    }
}

//! The JSON shapes Kleer speaks, exactly as they travel (kebab-case keys, `YYYY-MM-DD` dates).
//! Shared by our client and by the sandbox, so the two cannot drift apart.
//!
//! Reading is lenient: Kleer is not ours, its answers have been seen with missing keys, `null`s,
//! numbers sent as strings and enum values in two spellings, and one odd row must not make a
//! whole list unreadable. Writing is strict and minimal: a `None` is never sent, because Kleer's
//! writes are partial and a sent `null` could erase a value.

use crate::model::KleerUserId;
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Kleer user: anyone who can log in to the company, employee or not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct User {
    #[serde(with = "user_id")]
    pub id: KleerUserId,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub foreign_id: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub internal_id: Option<i64>,
    #[serde(deserialize_with = "lenient::string")]
    pub name: String,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<String>,
    #[serde(deserialize_with = "lenient::bool")]
    pub active: bool,
}

/// What we send to create or update a user. Every field is optional so that an update can leave
/// a value alone; `mapping::user_write` fills all that HR knows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct UserWrite {
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub foreign_id: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub active: Option<bool>,
}

/// A reference to a user inside another object: `{"id": N}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserRef {
    #[serde(with = "user_id")]
    pub id: KleerUserId,
}

/// A payroll agreement as Kleer answers it ("payroll-user-readable"). A row without `user` reads
/// as user id 0, which no real user has, so it joins nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct PayrollUser {
    #[serde(deserialize_with = "lenient::user_ref")]
    pub user: UserRef,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub ssn: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub address1: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub address2: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub zip_code: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub state: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub country_code: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_i32",
        skip_serializing_if = "Option::is_none"
    )]
    pub tax_table: Option<i32>,
    #[serde(
        deserialize_with = "lenient::opt_i32",
        skip_serializing_if = "Option::is_none"
    )]
    pub tax_table_column: Option<i32>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub clearing_nr: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub account_nr: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub employment_start_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employment_end_date: Option<EmploymentEnd>,
    #[serde(
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub monthly_salary: Option<i64>,
    #[serde(
        deserialize_with = "lenient::opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub monthly_salary_start_date: Option<NaiveDate>,
    #[serde(
        deserialize_with = "lenient::opt_user_ref",
        skip_serializing_if = "Option::is_none"
    )]
    pub manager_user: Option<UserRef>,
}

impl PayrollUser {
    pub fn user_id(&self) -> KleerUserId {
        self.user.id
    }

    /// The end date, whichever of its spellings Kleer used.
    pub fn end_date(&self) -> Option<NaiveDate> {
        self.employment_end_date.as_ref().and_then(|end| end.date)
    }
}

/// A partial write of a payroll agreement: only the `Some` fields travel, and Kleer keeps every
/// field left out. On create, `ssn` and `employment_start_date` are required.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct PayrollUserWrite {
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub ssn: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub address1: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub address2: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub zip_code: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub state: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub country_code: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_i32",
        skip_serializing_if = "Option::is_none"
    )]
    pub tax_table: Option<i32>,
    #[serde(
        deserialize_with = "lenient::opt_i32",
        skip_serializing_if = "Option::is_none"
    )]
    pub tax_table_column: Option<i32>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub clearing_nr: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub account_nr: Option<String>,
    #[serde(
        deserialize_with = "lenient::opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub employment_start_date: Option<NaiveDate>,
    /// `Some(EmploymentEnd::cleared())` erases the end date; `None` leaves it alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employment_end_date: Option<EmploymentEnd>,
    #[serde(
        deserialize_with = "lenient::opt_i64",
        skip_serializing_if = "Option::is_none"
    )]
    pub monthly_salary: Option<i64>,
    #[serde(
        deserialize_with = "lenient::opt_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub monthly_salary_start_date: Option<NaiveDate>,
    #[serde(
        deserialize_with = "lenient::opt_user_ref",
        skip_serializing_if = "Option::is_none"
    )]
    pub manager_user: Option<UserRef>,
}

/// The end of an employment. Kleer wraps the date in an object so that "clear the date"
/// (`{"employment-end-date": null}`) differs from "leave it alone" (key absent). Reading also
/// accepts a bare date string, which older answers carry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmploymentEnd {
    pub date: Option<NaiveDate>,
    pub end_type: Option<EmploymentEndType>,
}

impl EmploymentEnd {
    pub fn on(date: NaiveDate) -> Self {
        Self {
            date: Some(date),
            end_type: None,
        }
    }

    pub fn cleared() -> Self {
        Self::default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmploymentEndType {
    Disabled,
    NextMonth,
    /// A value this code does not know yet, kept verbatim so a read never fails on it.
    Other(String),
}

impl EmploymentEndType {
    /// The spelling we write: PascalCase.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Disabled => "Disabled",
            Self::NextMonth => "NextMonth",
            Self::Other(other) => other,
        }
    }

    /// Reads `NextMonth`, `NEXT_MONTH` and `next-month` alike.
    pub fn parse(input: &str) -> Self {
        match enum_key(input).as_str() {
            "disabled" => Self::Disabled,
            "nextmonth" => Self::NextMonth,
            _ => Self::Other(input.to_string()),
        }
    }
}

/// Folds the spellings of one enum value seen from Kleer (PascalCase, SCREAMING_SNAKE) together.
pub fn enum_key(input: &str) -> String {
    input
        .trim()
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

impl Serialize for EmploymentEndType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EmploymentEndType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(|s| Self::parse(&s))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct EmploymentEndWrapper {
    #[serde(default, deserialize_with = "lenient::opt_date")]
    employment_end_date: Option<NaiveDate>,
    #[serde(
        default,
        deserialize_with = "lenient::opt_end_type",
        skip_serializing_if = "Option::is_none"
    )]
    employment_end_type: Option<EmploymentEndType>,
}

impl Serialize for EmploymentEnd {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        EmploymentEndWrapper {
            employment_end_date: self.date,
            employment_end_type: self.end_type.clone(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for EmploymentEnd {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::Null => Ok(Self::cleared()),
            serde_json::Value::String(s) => Ok(Self {
                date: lenient::parse_date(&s).map_err(D::Error::custom)?,
                end_type: None,
            }),
            object @ serde_json::Value::Object(_) => {
                let wrapper: EmploymentEndWrapper =
                    serde_json::from_value(object).map_err(D::Error::custom)?;
                Ok(Self {
                    date: wrapper.employment_end_date,
                    end_type: wrapper.employment_end_type,
                })
            }
            other => Err(D::Error::custom(format!(
                "expected an end-date object or a date, found {}",
                lenient::kind(&other)
            ))),
        }
    }
}

/// `{"users": [...]}`; the list is not paged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserList {
    pub users: Vec<User>,
}

/// `{"payroll-user-readables": [...]}`; the list is not paged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", default)]
pub struct PayrollUserList {
    pub payroll_user_readables: Vec<PayrollUser>,
}

/// A create's answer: the new id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    #[serde(with = "user_id")]
    pub id: KleerUserId,
}

/// `{"error": {"message": "..."}}`, the body of every non-2xx answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    #[serde(default, deserialize_with = "lenient::string")]
    pub message: String,
}

impl ErrorBody {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail {
                message: message.into(),
            },
        }
    }
}

/// Kleer user ids travel as JSON integers; some answers have been seen quoting numbers.
mod user_id {
    use crate::model::KleerUserId;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(id: &KleerUserId, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(id.0)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<KleerUserId, D::Error> {
        Ok(KleerUserId(
            super::lenient::opt_i64(deserializer)?.unwrap_or_default(),
        ))
    }
}

mod lenient {
    //! Deserializers that take what Kleer has been seen to send: `null` for absent, numbers as
    //! strings (and the reverse), empty strings for "no value".

    use super::{EmploymentEndType, UserRef};
    use chrono::NaiveDate;
    use serde::de::Error;
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    pub fn kind(value: &Value) -> &'static str {
        match value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "a list",
            Value::Object(_) => "an object",
        }
    }

    pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s)),
            Value::Number(n) => Ok(Some(n.to_string())),
            Value::Bool(b) => Ok(Some(b.to_string())),
            other => Err(D::Error::custom(format!(
                "expected a string, found {}",
                kind(&other)
            ))),
        }
    }

    pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(opt_string(d)?.unwrap_or_default())
    }

    pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Ok(Some(i))
                } else {
                    // Amounts may come as `35000.0`; a fraction would be a real disagreement.
                    match n.as_f64() {
                        Some(f) if f.fract() == 0.0 && f.abs() < 9e15 => Ok(Some(f as i64)),
                        _ => Err(D::Error::custom(format!("expected an integer, found {n}"))),
                    }
                }
            }
            Value::String(s) if s.trim().is_empty() => Ok(None),
            Value::String(s) => {
                s.trim().parse().map(Some).map_err(|_| {
                    D::Error::custom("expected an integer, found a non-numeric string")
                })
            }
            other => Err(D::Error::custom(format!(
                "expected an integer, found {}",
                kind(&other)
            ))),
        }
    }

    pub fn opt_i32<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i32>, D::Error> {
        opt_i64(d)?
            .map(|i| i32::try_from(i).map_err(|_| D::Error::custom("integer out of range")))
            .transpose()
    }

    pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        Ok(opt_bool(d)?.unwrap_or_default())
    }

    pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            Value::Bool(b) => Ok(Some(b)),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "" => Ok(None),
                "true" => Ok(Some(true)),
                "false" => Ok(Some(false)),
                _ => Err(D::Error::custom("expected true or false")),
            },
            other => Err(D::Error::custom(format!(
                "expected a boolean, found {}",
                kind(&other)
            ))),
        }
    }

    /// `YYYY-MM-DD`; a timestamp is cut to its date, an empty string is no date.
    pub fn parse_date(input: &str) -> Result<Option<NaiveDate>, String> {
        let s = input.trim();
        if s.is_empty() {
            return Ok(None);
        }
        let day = match s.as_bytes().get(10) {
            Some(b'T' | b' ') => &s[..10],
            _ => s,
        };
        NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| format!("expected a date as YYYY-MM-DD, found {s:?}"))
    }

    pub fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        match opt_string(d)? {
            None => Ok(None),
            Some(s) => parse_date(&s).map_err(D::Error::custom),
        }
    }

    pub fn opt_end_type<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<EmploymentEndType>, D::Error> {
        Ok(opt_string(d)?
            .filter(|s| !s.trim().is_empty())
            .map(|s| EmploymentEndType::parse(&s)))
    }

    pub fn opt_user_ref<'de, D: Deserializer<'de>>(d: D) -> Result<Option<UserRef>, D::Error> {
        Option::<UserRef>::deserialize(d)
    }

    pub fn user_ref<'de, D: Deserializer<'de>>(d: D) -> Result<UserRef, D::Error> {
        Ok(opt_user_ref(d)?.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_user_reads_with_missing_keys_and_nulls() {
        let user: User = serde_json::from_value(json!({
            "id": 7, "name": "Anna Ek", "foreign-id": null, "unknown-key": [1, 2]
        }))
        .unwrap();
        assert_eq!(user.id, KleerUserId(7));
        assert_eq!(user.name, "Anna Ek");
        assert_eq!(user.foreign_id, None);
        assert_eq!(user.email, None);
        assert!(!user.active);

        let quoted: User =
            serde_json::from_value(json!({"id": "8", "internal-id": "12", "active": "true"}))
                .unwrap();
        assert_eq!(quoted.id, KleerUserId(8));
        assert_eq!(quoted.internal_id, Some(12));
        assert!(quoted.active);
    }

    #[test]
    fn writes_leave_out_what_is_none_and_use_kebab_case() {
        let write = UserWrite {
            name: Some("Anna Ek".into()),
            foreign_id: Some("hr-1".into()),
            active: Some(true),
            email: None,
        };
        assert_eq!(
            serde_json::to_value(&write).unwrap(),
            json!({"name": "Anna Ek", "foreign-id": "hr-1", "active": true})
        );
        let payroll = PayrollUserWrite {
            zip_code: Some("11122".into()),
            employment_start_date: Some(date(2020, 1, 31)),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&payroll).unwrap(),
            json!({"zip-code": "11122", "employment-start-date": "2020-01-31"})
        );
    }

    #[test]
    fn the_end_date_reads_in_every_spelling_and_writes_as_the_wrapper() {
        let read = |v: serde_json::Value| -> PayrollUser {
            serde_json::from_value(json!({"user": {"id": 3}, "employment-end-date": v})).unwrap()
        };
        let wrapped =
            read(json!({"employment-end-date": "2024-05-31", "employment-end-type": "NEXT_MONTH"}));
        assert_eq!(wrapped.end_date(), Some(date(2024, 5, 31)));
        assert_eq!(
            wrapped.employment_end_date.unwrap().end_type,
            Some(EmploymentEndType::NextMonth)
        );
        assert_eq!(
            read(json!("2024-05-31")).end_date(),
            Some(date(2024, 5, 31))
        );
        assert_eq!(read(json!(null)).end_date(), None);
        assert_eq!(
            read(json!({"employment-end-date": null, "employment-end-type": "Disabled"}))
                .end_date(),
            None
        );

        let clear = PayrollUserWrite {
            employment_end_date: Some(EmploymentEnd::cleared()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&clear).unwrap(),
            json!({"employment-end-date": {"employment-end-date": null}})
        );
        let set = PayrollUserWrite {
            employment_end_date: Some(EmploymentEnd::on(date(2025, 1, 1))),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&set).unwrap(),
            json!({"employment-end-date": {"employment-end-date": "2025-01-01"}})
        );
    }

    #[test]
    fn a_payroll_user_reads_numbers_and_dates_leniently() {
        let payroll: PayrollUser = serde_json::from_value(json!({
            "user": {"id": 4},
            "ssn": "19811218-9876",
            "zip-code": 11122,
            "tax-table": "33",
            "tax-table-column": 1,
            "monthly-salary": 35000.0,
            "employment-start-date": "2020-02-01T00:00:00",
            "monthly-salary-start-date": "",
            "clearing-nr": 6000,
        }))
        .unwrap();
        assert_eq!(payroll.user_id(), KleerUserId(4));
        assert_eq!(payroll.zip_code.as_deref(), Some("11122"));
        assert_eq!(payroll.tax_table, Some(33));
        assert_eq!(payroll.monthly_salary, Some(35000));
        assert_eq!(payroll.employment_start_date, Some(date(2020, 2, 1)));
        assert_eq!(payroll.monthly_salary_start_date, None);
        assert_eq!(payroll.clearing_nr.as_deref(), Some("6000"));

        assert!(serde_json::from_value::<PayrollUser>(json!({"monthly-salary": 1.5})).is_err());
        assert!(
            serde_json::from_value::<PayrollUser>(json!({"employment-start-date": "2020-13-01"}))
                .is_err()
        );
    }

    #[test]
    fn enum_values_read_in_both_spellings() {
        assert_eq!(
            EmploymentEndType::parse("NextMonth"),
            EmploymentEndType::NextMonth
        );
        assert_eq!(
            EmploymentEndType::parse("NEXT_MONTH"),
            EmploymentEndType::NextMonth
        );
        assert_eq!(
            EmploymentEndType::parse("DISABLED"),
            EmploymentEndType::Disabled
        );
        assert_eq!(
            EmploymentEndType::parse("SomethingNew"),
            EmploymentEndType::Other("SomethingNew".into())
        );
        assert_eq!(
            serde_json::to_value(EmploymentEndType::NextMonth).unwrap(),
            json!("NextMonth")
        );
    }

    #[test]
    fn lists_created_answers_and_errors() {
        let list: PayrollUserList =
            serde_json::from_value(json!({"payroll-user-readables": [{"user": {"id": 2}}]}))
                .unwrap();
        assert_eq!(list.payroll_user_readables[0].user_id(), KleerUserId(2));
        let users: UserList = serde_json::from_value(json!({})).unwrap();
        assert!(users.users.is_empty());
        let created: Created = serde_json::from_value(json!({"id": 12})).unwrap();
        assert_eq!(created.id, KleerUserId(12));
        assert_eq!(
            serde_json::to_value(ErrorBody::new("nope")).unwrap(),
            json!({"error": {"message": "nope"}})
        );
    }

    #[test]
    fn a_readable_round_trips() {
        let payroll = PayrollUser {
            user: UserRef { id: KleerUserId(5) },
            ssn: Some("19811218-9876".into()),
            employment_start_date: Some(date(2019, 8, 1)),
            employment_end_date: Some(EmploymentEnd::on(date(2024, 1, 31))),
            monthly_salary: Some(42000),
            manager_user: Some(UserRef { id: KleerUserId(3) }),
            ..Default::default()
        };
        let json = serde_json::to_string(&payroll).unwrap();
        assert_eq!(serde_json::from_str::<PayrollUser>(&json).unwrap(), payroll);
    }
}

//! Between Kleer's two objects (user + payroll agreement) and the domain's employee shapes,
//! following the field table in KLEER_API.md. Pure functions: no I/O, no decisions about what
//! to sync.

use super::wire::{EmploymentEnd, PayrollUser, PayrollUserWrite, User, UserWrite};
use crate::model::{Address, EmployeeData, KleerEmployee, KleerUserId, PersonalIdentityNumber};
use std::collections::HashMap;

/// The employees among Kleer's users: those with a payroll agreement. The integration user,
/// accountants and other users without one are left out; so is an agreement whose user is
/// not in `users`. Kleer's user order is kept.
pub fn kleer_employees(users: Vec<User>, payroll: Vec<PayrollUser>) -> Vec<KleerEmployee> {
    let mut agreements: HashMap<KleerUserId, PayrollUser> = payroll
        .into_iter()
        .map(|agreement| (agreement.user_id(), agreement))
        .collect();
    users
        .iter()
        .filter_map(|user| {
            agreements
                .remove(&user.id)
                .map(|agreement| kleer_employee(user, &agreement))
        })
        .collect()
}

pub fn kleer_employee(user: &User, payroll: &PayrollUser) -> KleerEmployee {
    KleerEmployee {
        user_id: user.id,
        foreign_id: value(&user.foreign_id),
        name: user.name.trim().to_string(),
        email: value(&user.email),
        active: user.active,
        personal_identity_number: value(&payroll.ssn).map(|ssn| {
            PersonalIdentityNumber::parse(&ssn).map_or(ssn, |pin| pin.as_str().to_string())
        }),
        phone: value(&payroll.phone),
        home_address: Address {
            street: value(&payroll.address2),
            zip_code: value(&payroll.zip_code),
            city: value(&payroll.state),
            country_code: value(&payroll.country_code),
        },
        tax_table: payroll.tax_table,
        tax_column: payroll.tax_table_column,
        clearing_number: value(&payroll.clearing_nr),
        bank_account_number: value(&payroll.account_nr),
        start_date: payroll.employment_start_date,
        end_date: payroll.end_date(),
        monthly_salary: payroll.monthly_salary,
    }
}

/// The user to create or update for an HR employee. `foreign_id` is the HR employee id, stamped
/// on create so that a retried export finds the user it already made.
pub fn user_write(
    data: &EmployeeData,
    use_work_email: bool,
    foreign_id: Option<&str>,
) -> UserWrite {
    let email = if use_work_email {
        &data.work_email
    } else {
        &data.private_email
    };
    let name = [data.first_name.trim(), data.last_name.trim()]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    UserWrite {
        name: Some(name),
        email: value(email),
        foreign_id: foreign_id.map(str::to_owned),
        active: Some(true),
    }
}

/// The payroll fields HR has a value for, and only those: Kleer keeps every field left out, so
/// an empty HR field never erases what Kleer holds. `address1` (the c/o line) is never sent.
pub fn payroll_write(data: &EmployeeData) -> PayrollUserWrite {
    let address = &data.home_address;
    PayrollUserWrite {
        ssn: data
            .personal_identity_number
            .as_ref()
            .map(|pin| pin.as_str().to_string()),
        address1: None,
        address2: value(&address.street),
        zip_code: value(&address.zip_code),
        state: value(&address.city),
        country_code: value(&address.country_code),
        phone: value(&data.private_phone),
        tax_table: data.tax_table,
        tax_table_column: data.tax_column,
        clearing_nr: value(&data.clearing_number),
        account_nr: value(&data.bank_account_number),
        employment_start_date: data.start_date,
        employment_end_date: data.end_date.map(EmploymentEnd::on),
        monthly_salary: data.monthly_salary,
        monthly_salary_start_date: None,
        manager_user: None,
    }
}

/// Kleer and HR both spell "no value" as an empty string at times; that is not a value.
fn value(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kleer::wire::{EmploymentEndType, UserRef};
    use chrono::NaiveDate;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn user(id: i64, name: &str) -> User {
        User {
            id: KleerUserId(id),
            name: name.into(),
            email: Some(format!("{id}@example.se")),
            active: true,
            ..Default::default()
        }
    }

    fn agreement(id: i64) -> PayrollUser {
        PayrollUser {
            user: UserRef {
                id: KleerUserId(id),
            },
            ssn: Some("811218-9876".into()),
            address1: Some("c/o Ek".into()),
            address2: Some("Storgatan 1".into()),
            zip_code: Some("11122".into()),
            state: Some("Stockholm".into()),
            country_code: Some("SE".into()),
            phone: Some("070-123 45 67".into()),
            tax_table: Some(33),
            tax_table_column: Some(1),
            clearing_nr: Some("6000".into()),
            account_nr: Some("123456789".into()),
            employment_start_date: Some(date(2020, 1, 1)),
            employment_end_date: Some(EmploymentEnd {
                date: Some(date(2024, 6, 30)),
                end_type: Some(EmploymentEndType::NextMonth),
            }),
            monthly_salary: Some(42000),
            monthly_salary_start_date: Some(date(2020, 1, 1)),
            manager_user: None,
        }
    }

    fn hr_employee() -> EmployeeData {
        EmployeeData {
            first_name: "Anna Maria".into(),
            last_name: "Ek".into(),
            personal_identity_number: Some(PersonalIdentityNumber::parse("811218-9876").unwrap()),
            private_email: Some("anna@privat.se".into()),
            work_email: Some("anna.ek@firma.se".into()),
            private_phone: Some("070-123 45 67".into()),
            employee_number: Some("17".into()),
            home_address: Address {
                street: Some("Storgatan 1".into()),
                zip_code: Some("11122".into()),
                city: Some("Stockholm".into()),
                country_code: Some("SE".into()),
            },
            tax_table: Some(33),
            tax_column: Some(1),
            clearing_number: Some("6000".into()),
            bank_account_number: Some("123456789".into()),
            start_date: Some(date(2020, 1, 1)),
            end_date: Some(date(2024, 6, 30)),
            monthly_salary: Some(42000),
        }
    }

    #[test]
    fn only_users_with_an_agreement_are_employees() {
        let users = vec![
            user(1, "Integration"),
            user(2, "Revisor"),
            user(3, "Anna Ek"),
        ];
        let employees = kleer_employees(users, vec![agreement(3), agreement(99)]);
        assert_eq!(employees.len(), 1);
        assert_eq!(employees[0].user_id, KleerUserId(3));
        assert_eq!(employees[0].name, "Anna Ek");
    }

    #[test]
    fn an_employee_takes_every_mapped_field() {
        let employee = kleer_employee(&user(3, " Anna Ek "), &agreement(3));
        assert_eq!(
            employee,
            KleerEmployee {
                user_id: KleerUserId(3),
                foreign_id: None,
                name: "Anna Ek".into(),
                email: Some("3@example.se".into()),
                active: true,
                personal_identity_number: Some("19811218-9876".into()),
                phone: Some("070-123 45 67".into()),
                home_address: Address {
                    street: Some("Storgatan 1".into()),
                    zip_code: Some("11122".into()),
                    city: Some("Stockholm".into()),
                    country_code: Some("SE".into()),
                },
                tax_table: Some(33),
                tax_column: Some(1),
                clearing_number: Some("6000".into()),
                bank_account_number: Some("123456789".into()),
                start_date: Some(date(2020, 1, 1)),
                end_date: Some(date(2024, 6, 30)),
                monthly_salary: Some(42000),
            }
        );
    }

    #[test]
    fn an_unparseable_ssn_is_kept_verbatim_and_blanks_are_no_value() {
        let mut payroll = agreement(3);
        payroll.ssn = Some("12345".into());
        payroll.phone = Some("  ".into());
        let mut kleer_user = user(3, "Anna Ek");
        kleer_user.foreign_id = Some(String::new());
        let employee = kleer_employee(&kleer_user, &payroll);
        assert_eq!(employee.personal_identity_number.as_deref(), Some("12345"));
        assert_eq!(employee.phone, None);
        assert_eq!(employee.foreign_id, None);
    }

    #[test]
    fn the_user_write_joins_the_name_and_picks_the_email_by_setting() {
        let data = hr_employee();
        assert_eq!(
            user_write(&data, false, Some("42")),
            UserWrite {
                name: Some("Anna Maria Ek".into()),
                email: Some("anna@privat.se".into()),
                foreign_id: Some("42".into()),
                active: Some(true),
            }
        );
        let work = user_write(&data, true, None);
        assert_eq!(work.email.as_deref(), Some("anna.ek@firma.se"));
        assert_eq!(work.foreign_id, None);

        let no_work_email = EmployeeData {
            work_email: None,
            ..data
        };
        assert_eq!(user_write(&no_work_email, true, None).email, None);
    }

    #[test]
    fn the_payroll_write_carries_every_hr_value() {
        assert_eq!(
            payroll_write(&hr_employee()),
            PayrollUserWrite {
                ssn: Some("19811218-9876".into()),
                address1: None,
                address2: Some("Storgatan 1".into()),
                zip_code: Some("11122".into()),
                state: Some("Stockholm".into()),
                country_code: Some("SE".into()),
                phone: Some("070-123 45 67".into()),
                tax_table: Some(33),
                tax_table_column: Some(1),
                clearing_nr: Some("6000".into()),
                account_nr: Some("123456789".into()),
                employment_start_date: Some(date(2020, 1, 1)),
                employment_end_date: Some(EmploymentEnd::on(date(2024, 6, 30))),
                monthly_salary: Some(42000),
                monthly_salary_start_date: None,
                manager_user: None,
            }
        );
    }

    #[test]
    fn empty_hr_values_are_not_sent() {
        let sparse = EmployeeData {
            first_name: "Cher".into(),
            private_phone: Some(String::new()),
            ..Default::default()
        };
        assert_eq!(payroll_write(&sparse), PayrollUserWrite::default());
        assert_eq!(
            serde_json::to_value(payroll_write(&sparse)).unwrap(),
            serde_json::json!({})
        );
        assert_eq!(
            user_write(&sparse, false, None).name.as_deref(),
            Some("Cher")
        );
    }

    #[test]
    fn a_written_employee_reads_back_the_same() {
        let data = hr_employee();
        let user = User {
            id: KleerUserId(5),
            name: user_write(&data, false, None).name.unwrap(),
            email: data.private_email.clone(),
            active: true,
            ..Default::default()
        };
        let written = payroll_write(&data);
        let payroll = PayrollUser {
            user: UserRef { id: KleerUserId(5) },
            ssn: written.ssn,
            address2: written.address2,
            zip_code: written.zip_code,
            state: written.state,
            country_code: written.country_code,
            phone: written.phone,
            tax_table: written.tax_table,
            tax_table_column: written.tax_table_column,
            clearing_nr: written.clearing_nr,
            account_nr: written.account_nr,
            employment_start_date: written.employment_start_date,
            employment_end_date: written.employment_end_date,
            monthly_salary: written.monthly_salary,
            ..Default::default()
        };
        let employee = kleer_employee(&user, &payroll);
        assert_eq!(
            employee.split_name(),
            (data.first_name.clone(), data.last_name.clone())
        );
        assert_eq!(
            employee.personal_identity_number.as_deref(),
            data.personal_identity_number.as_ref().map(|p| p.as_str())
        );
        assert_eq!(employee.home_address, data.home_address);
        assert_eq!(employee.end_date, data.end_date);
        assert_eq!(employee.monthly_salary, data.monthly_salary);
    }
}

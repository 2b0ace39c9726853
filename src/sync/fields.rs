//! The mapped fields, side by side: what HR holds, what Kleer holds, and whether an action
//! would write the field. Both views' "affected fields" come from here.

use super::employees::{Change, EmployeeInput};
use super::import::ImportAction;
use super::outcome::ValueChange;
use crate::model::{Address, EmployeeData, KleerEmployee, KleerUserId};

/// One mapped field of one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    pub field: &'static str,
    pub alexis_value: Option<String>,
    pub kleer_value: Option<String>,
    pub changes: bool,
}

/// The email field that maps to Kleer's one `email`, by the connection's setting.
pub fn email_field(use_work_email: bool) -> &'static str {
    if use_work_email {
        "workEmail"
    } else {
        "privateEmail"
    }
}

/// Every mapped field as (name, HR value, Kleer value), in a fixed order. Either side may be
/// missing: an unlinked HR employee has no Kleer side, an unmatched Kleer row no HR side.
pub fn mapped_values(
    hr: Option<&EmployeeData>,
    kleer: Option<&KleerEmployee>,
    use_work_email: bool,
) -> Vec<(&'static str, Option<String>, Option<String>)> {
    let hr_fields = hr.map(|d| hr_values(d, use_work_email));
    let kleer_fields = kleer.map(kleer_values);
    FIELDS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let name = if *name == "email" {
                email_field(use_work_email)
            } else {
                name
            };
            let hr = hr_fields.as_ref().and_then(|f| f[i].clone());
            let kleer = kleer_fields.as_ref().and_then(|f| f[i].clone());
            (name, hr, kleer)
        })
        .collect()
}

const FIELDS: [&str; 16] = [
    "firstName",
    "lastName",
    "personalIdentityNumber",
    "email",
    "privatePhone",
    "homeAddress.street",
    "homeAddress.zipCode",
    "homeAddress.city",
    "homeAddress.countryCode",
    "taxTable",
    "taxColumn",
    "clearingNumber",
    "bankAccountNumber",
    "startDate",
    "endDate",
    "monthlySalary",
];

fn hr_values(d: &EmployeeData, use_work_email: bool) -> Vec<Option<String>> {
    let email = if use_work_email {
        &d.work_email
    } else {
        &d.private_email
    };
    let mut v = vec![
        non_empty(&d.first_name),
        non_empty(&d.last_name),
        d.personal_identity_number.as_ref().map(|p| p.to_string()),
        email.clone(),
        d.private_phone.clone(),
    ];
    v.extend(address_values(&d.home_address));
    v.extend([
        d.tax_table.map(|t| t.to_string()),
        d.tax_column.map(|t| t.to_string()),
        d.clearing_number.clone(),
        d.bank_account_number.clone(),
        d.start_date.map(|d| d.to_string()),
        d.end_date.map(|d| d.to_string()),
        d.monthly_salary.map(|s| s.to_string()),
    ]);
    v
}

fn kleer_values(k: &KleerEmployee) -> Vec<Option<String>> {
    let (first, last) = k.split_name();
    let mut v = vec![
        non_empty(&first),
        non_empty(&last),
        k.personal_identity_number.clone(),
        k.email.clone(),
        k.phone.clone(),
    ];
    v.extend(address_values(&k.home_address));
    v.extend([
        k.tax_table.map(|t| t.to_string()),
        k.tax_column.map(|t| t.to_string()),
        k.clearing_number.clone(),
        k.bank_account_number.clone(),
        k.start_date.map(|d| d.to_string()),
        k.end_date.map(|d| d.to_string()),
        k.monthly_salary.map(|s| s.to_string()),
    ]);
    v
}

fn address_values(a: &Address) -> [Option<String>; 4] {
    [
        a.street.clone(),
        a.zip_code.clone(),
        a.city.clone(),
        a.country_code.clone(),
    ]
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// What an export would write: every field HR has a value for that Kleer does not already
/// hold. An empty HR value never erases a Kleer one.
pub fn export_changes(
    hr: &EmployeeData,
    kleer: Option<&KleerEmployee>,
    use_work_email: bool,
) -> Vec<FieldChange> {
    mapped_values(Some(hr), kleer, use_work_email)
        .into_iter()
        .map(|(field, alexis_value, kleer_value)| FieldChange {
            field,
            changes: alexis_value.is_some() && alexis_value != kleer_value,
            alexis_value,
            kleer_value,
        })
        .collect()
}

/// The Kleer employee as it stands after an export wrote `hr` over `before` (or created it),
/// so the mirror is right without reading Kleer back.
pub fn after_export(
    before: Option<&KleerEmployee>,
    hr: &EmployeeData,
    use_work_email: bool,
    user_id: KleerUserId,
    foreign_id: &str,
) -> KleerEmployee {
    let mut k = before.cloned().unwrap_or_default();
    k.user_id = user_id;
    k.foreign_id = Some(foreign_id.to_string());
    k.name = format!("{} {}", hr.first_name.trim(), hr.last_name.trim())
        .trim()
        .to_string();
    k.active = true;
    let email = if use_work_email {
        &hr.work_email
    } else {
        &hr.private_email
    };
    overlay(&mut k.email, email);
    overlay(
        &mut k.personal_identity_number,
        &hr.personal_identity_number.as_ref().map(|p| p.to_string()),
    );
    overlay(&mut k.phone, &hr.private_phone);
    overlay(&mut k.home_address.street, &hr.home_address.street);
    overlay(&mut k.home_address.zip_code, &hr.home_address.zip_code);
    overlay(&mut k.home_address.city, &hr.home_address.city);
    overlay(
        &mut k.home_address.country_code,
        &hr.home_address.country_code,
    );
    overlay(&mut k.tax_table, &hr.tax_table);
    overlay(&mut k.tax_column, &hr.tax_column);
    overlay(&mut k.clearing_number, &hr.clearing_number);
    overlay(&mut k.bank_account_number, &hr.bank_account_number);
    overlay(&mut k.start_date, &hr.start_date);
    overlay(&mut k.end_date, &hr.end_date);
    overlay(&mut k.monthly_salary, &hr.monthly_salary);
    k
}

fn overlay<T: Clone>(target: &mut Option<T>, value: &Option<T>) {
    if value.is_some() {
        target.clone_from(value);
    }
}

/// What an import action would write to HR: everything Kleer has for `CREATE`, what differs
/// for `PREFER_KLEER` (never erasing an HR value Kleer lacks), nothing for the others.
pub fn import_changes(
    hr: Option<&EmployeeData>,
    kleer: &KleerEmployee,
    action: ImportAction,
    use_work_email: bool,
) -> Vec<FieldChange> {
    // Create makes a new HR employee: whoever the row is matched to, nothing of theirs is involved.
    let hr = if action == ImportAction::Create {
        None
    } else {
        hr
    };
    mapped_values(hr, Some(kleer), use_work_email)
        .into_iter()
        .map(|(field, alexis_value, kleer_value)| FieldChange {
            field,
            changes: match action {
                ImportAction::Create => kleer_value.is_some(),
                ImportAction::PreferKleer => kleer_value.is_some() && kleer_value != alexis_value,
                _ => false,
            },
            alexis_value,
            kleer_value,
        })
        .collect()
}

/// Kleer's values as an HR input: every value Kleer has is set, nothing is cleared.
pub fn kleer_input(k: &KleerEmployee, use_work_email: bool) -> EmployeeInput {
    fn set<T: Clone>(v: &Option<T>) -> Change<T> {
        v.clone().map_or(Change::Keep, Change::Set)
    }
    let (first, last) = k.split_name();
    let email = set(&k.email);
    EmployeeInput {
        first_name: Change::Set(first),
        last_name: Change::Set(last),
        personal_identity_number: set(&k.personal_identity_number),
        private_email: if use_work_email {
            Change::Keep
        } else {
            email.clone()
        },
        work_email: if use_work_email { email } else { Change::Keep },
        private_phone: set(&k.phone),
        employee_number: Change::Keep,
        street: set(&k.home_address.street),
        zip_code: set(&k.home_address.zip_code),
        city: set(&k.home_address.city),
        country_code: set(&k.home_address.country_code),
        tax_table: set(&k.tax_table),
        tax_column: set(&k.tax_column),
        clearing_number: set(&k.clearing_number),
        bank_account_number: set(&k.bank_account_number),
        start_date: set(&k.start_date.map(|d| d.to_string())),
        end_date: set(&k.end_date.map(|d| d.to_string())),
        monthly_salary: set(&k.monthly_salary),
    }
}

/// The mapped HR fields that differ between two versions of an employee, before and after.
pub fn hr_diff(
    before: Option<&EmployeeData>,
    after: &EmployeeData,
    use_work_email: bool,
) -> Vec<ValueChange> {
    let before = before.map(|b| hr_values(b, use_work_email));
    FIELDS
        .iter()
        .zip(hr_values(after, use_work_email))
        .enumerate()
        .filter_map(|(i, (name, after))| {
            let before = before.as_ref().and_then(|b| b[i].clone());
            let field = if *name == "email" {
                email_field(use_work_email)
            } else {
                name
            };
            (before != after).then(|| ValueChange {
                field: field.to_string(),
                before,
                after,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::PersonalIdentityNumber;

    fn anna() -> EmployeeData {
        EmployeeData {
            first_name: "Anna Maria".into(),
            last_name: "Svensson".into(),
            personal_identity_number: Some(PersonalIdentityNumber::parse("19811218-9876").unwrap()),
            private_email: Some("anna@example.se".into()),
            work_email: Some("anna@corp.se".into()),
            monthly_salary: Some(42000),
            ..Default::default()
        }
    }

    #[test]
    fn an_unlinked_export_writes_every_filled_field_and_nothing_else() {
        let changes = export_changes(&anna(), None, false);
        let written: Vec<_> = changes
            .iter()
            .filter(|c| c.changes)
            .map(|c| c.field)
            .collect();
        assert_eq!(
            written,
            [
                "firstName",
                "lastName",
                "personalIdentityNumber",
                "privateEmail",
                "monthlySalary"
            ]
        );
        assert!(changes.iter().all(|c| c.kleer_value.is_none()));
    }

    #[test]
    fn a_linked_export_writes_only_what_differs_and_never_erases() {
        let mut kleer = after_export(None, &anna(), false, KleerUserId(7), "1");
        kleer.monthly_salary = Some(40000);
        kleer.phone = Some("070-1234567".into());
        let changes = export_changes(&anna(), Some(&kleer), false);
        let written: Vec<_> = changes
            .iter()
            .filter(|c| c.changes)
            .map(|c| c.field)
            .collect();
        assert_eq!(written, ["monthlySalary"]);
        let phone = changes.iter().find(|c| c.field == "privatePhone").unwrap();
        assert_eq!(
            (
                phone.alexis_value.as_deref(),
                phone.kleer_value.as_deref(),
                phone.changes
            ),
            (None, Some("070-1234567"), false)
        );
    }

    #[test]
    fn the_email_field_follows_the_connection_setting() {
        let changes = export_changes(&anna(), None, true);
        let email = changes.iter().find(|c| c.field == "workEmail").unwrap();
        assert_eq!(email.alexis_value.as_deref(), Some("anna@corp.se"));
        assert!(!changes.iter().any(|c| c.field == "privateEmail"));
    }

    #[test]
    fn import_actions_write_all_the_differences_or_nothing() {
        let kleer = KleerEmployee {
            name: "Anna Maria Svensson".into(),
            monthly_salary: Some(40000),
            phone: Some("08-1".into()),
            ..Default::default()
        };
        let changed = |action| {
            import_changes(Some(&anna()), &kleer, action, false)
                .into_iter()
                .filter(|c| c.changes)
                .map(|c| c.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            changed(ImportAction::PreferKleer),
            ["privatePhone", "monthlySalary"]
        );
        assert_eq!(
            changed(ImportAction::Create),
            ["firstName", "lastName", "privatePhone", "monthlySalary"]
        );
        for quiet in [
            ImportAction::PreferAlexis,
            ImportAction::MatchManually,
            ImportAction::DoNothing,
        ] {
            assert!(changed(quiet).is_empty());
        }
        let unmatched = import_changes(None, &kleer, ImportAction::Create, false);
        assert!(unmatched.iter().all(|c| c.alexis_value.is_none()));
    }

    #[test]
    fn kleer_values_become_an_hr_input_that_never_clears() {
        let kleer = KleerEmployee {
            name: "Bo Ek".into(),
            email: Some("bo@x.se".into()),
            ..Default::default()
        };
        let merged = crate::sync::employees::apply(&anna(), &kleer_input(&kleer, true)).unwrap();
        assert_eq!(
            (merged.first_name.as_str(), merged.last_name.as_str()),
            ("Bo", "Ek")
        );
        assert_eq!(merged.work_email.as_deref(), Some("bo@x.se"));
        assert_eq!(merged.private_email.as_deref(), Some("anna@example.se"));
        assert_eq!(merged.monthly_salary, Some(42000));
        let diff = hr_diff(Some(&anna()), &merged, true);
        assert_eq!(
            diff.iter().map(|c| c.field.as_str()).collect::<Vec<_>>(),
            ["firstName", "lastName", "workEmail"]
        );
    }

    #[test]
    fn after_export_keeps_kleer_values_hr_lacks() {
        let before = KleerEmployee {
            phone: Some("08-123".into()),
            name: "Old Name".into(),
            ..Default::default()
        };
        let after = after_export(Some(&before), &anna(), false, KleerUserId(9), "5");
        assert_eq!(after.name, "Anna Maria Svensson");
        assert_eq!(after.phone.as_deref(), Some("08-123"));
        assert_eq!(after.foreign_id.as_deref(), Some("5"));
        assert_eq!(after.split_name(), ("Anna Maria".into(), "Svensson".into()));
    }
}

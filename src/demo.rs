//! The first-run demo: when no Kleer connection is configured, `serve` starts the sandbox inside
//! itself, connects to it and fills both sides so that every tab shows something. The sandbox
//! keeps its data in a file, so links made in the demo still point somewhere after a restart.

use crate::kleer::wire::{PayrollUserWrite, UserWrite};
use crate::model::{Address, EmployeeData, EmployeeId, PersonalIdentityNumber, split_full_name};
use crate::sandbox::{self, RunningSandbox, SandboxConfig};
use crate::store::NewConnection;
use crate::sync::{Requested, Service, Settings, SyncError};
use std::net::SocketAddr;
use std::path::Path;

const DEMO_TOKEN: &str = "demo-token";
const DEMO_COMPANY: &str = "1";

/// HR employees the demo adds beside the Kleer ones: some only in HR, some the same people as
/// in Kleer (so the Import view has matches to show).
const HR_ONLY: usize = 12;
const ALREADY_EXPORTED: usize = 6;
const ALSO_IN_KLEER: usize = 4;

/// Starts the demo sandbox when there is no connection yet or the demo connection exists.
pub async fn start_if_needed(
    service: &Service,
    seed: usize,
    state_file: &Path,
) -> Result<Option<RunningSandbox>, SyncError> {
    let store = service.store();
    let demo = store.demo_connection().await?;
    if demo.is_none() && !store.connections(1).await?.is_empty() {
        return Ok(None);
    }
    let mut config = SandboxConfig::new(DEMO_TOKEN, DEMO_COMPANY);
    config.seed = seed;
    config.state_file = Some(state_file.to_path_buf());
    let running = sandbox::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|e| {
            SyncError::Kleer(crate::kleer::KleerError::Config(format!(
                "demo sandbox: {e}"
            )))
        })?;
    let new = NewConnection {
        label: "Demo (sandbox)".into(),
        base_url: running.base_url(),
        company_id: DEMO_COMPANY.into(),
        token: DEMO_TOKEN.into(),
        use_work_email: false,
        is_demo: true,
    };
    match demo {
        Some(existing) => {
            // The sandbox listens on a new port each run.
            store.update_connection(existing.id, &new).await?;
            tracing::info!(base_url = %new.base_url, "demo sandbox restarted");
        }
        None => {
            let connection = store.insert_connection(&new).await?;
            let exported = seed_hr(service, seed).await?;
            // One at a time, so the demo's Kleer user ids come out the same on every first run.
            let settings = Settings {
                kleer_concurrency: 1,
                ..service.settings().clone()
            };
            Service::new(store.clone(), settings)
                .export_employees(&connection, exported)
                .await?;
            tracing::info!(base_url = %new.base_url, "demo sandbox started with demo data on both sides");
        }
    }
    Ok(Some(running))
}

/// Adds the demo HR employees: people only in HR and people Kleer has too. Answers the ones to
/// export at once, so that the Linked tab is not empty either.
async fn seed_hr(
    service: &Service,
    kleer_count: usize,
) -> Result<Vec<Requested<EmployeeId>>, SyncError> {
    let people = sandbox::seed::employees(kleer_count + HR_ONLY);
    let in_kleer = people.iter().take(ALSO_IN_KLEER.min(kleer_count));
    let hr_only = people.iter().skip(kleer_count);
    let mut to_export = Vec::new();
    for (n, (user, payroll)) in in_kleer.chain(hr_only).enumerate() {
        let mut data = employee_data(user, payroll);
        data.employee_number = Some(format!("E{:04}", n + 1));
        if n == ALSO_IN_KLEER - 1 {
            // The same person as in Kleer, known by email only: matched by email, not by number.
            data.personal_identity_number = None;
        }
        if n + 2 >= ALSO_IN_KLEER + HR_ONLY && kleer_count > ALSO_IN_KLEER {
            // Two HR employees (numbers not yet entered) giving one Kleer employee's email as
            // their work email: the Import view leaves that row unmatched and says why.
            data.work_email = people[ALSO_IN_KLEER].0.email.clone();
            data.personal_identity_number = None;
        }
        let employee = service.store().insert_employee(&data).await?;
        if (ALSO_IN_KLEER..ALSO_IN_KLEER + ALREADY_EXPORTED).contains(&n) {
            to_export.push(Requested {
                raw: employee.id.to_string(),
                id: Some(employee.id),
            });
        }
    }
    Ok(to_export)
}

fn employee_data(user: &UserWrite, p: &PayrollUserWrite) -> EmployeeData {
    let (first_name, last_name) = split_full_name(user.name.as_deref().unwrap_or_default());
    EmployeeData {
        first_name,
        last_name,
        personal_identity_number: p
            .ssn
            .as_deref()
            .and_then(|s| PersonalIdentityNumber::parse(s).ok()),
        private_email: user.email.clone(),
        work_email: user
            .email
            .as_ref()
            .map(|e| e.replace("@example.se", "@company.example")),
        private_phone: p.phone.clone(),
        employee_number: None,
        home_address: Address {
            street: p.address2.clone(),
            zip_code: p.zip_code.clone(),
            city: p.state.clone(),
            country_code: p.country_code.clone(),
        },
        tax_table: p.tax_table,
        tax_column: p.tax_table_column,
        clearing_number: p.clearing_nr.clone(),
        bank_account_number: p.account_nr.clone(),
        start_date: p.employment_start_date,
        end_date: p.employment_end_date.as_ref().and_then(|e| e.date),
        monthly_salary: p.monthly_salary,
    }
}

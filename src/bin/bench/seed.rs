//! The data a run measures: N Kleer employees (the sandbox's seeded people) and N HR employees
//! derived from the same generator of realistic people, written straight through the library's
//! `Store` (N GraphQL calls would measure the seeding, not the server).
//!
//! With N = 10,000:
//!
//! | people          | HR                                   | Kleer                      |
//! |-----------------|--------------------------------------|----------------------------|
//! | 0 .. 5,000      | linked (every 4th salary differs)    | linked                     |
//! | 5,000 .. 7,000  | unlinked, same personal id. number   | new, matched by the number |
//! | 7,000 .. 8,000  | unlinked, same email, no id. number  | new, matched by email      |
//! | 8,000 .. 10,000 | —                                    | new, unmatched             |
//! | 10,000 .. 12,000| unlinked, unrelated (exportable)     | —                          |

use futures_util::{StreamExt, TryStreamExt};
use kleer_sync::kleer::mapping;
use kleer_sync::model::{ConnectionId, EmployeeData, EmployeeId, KleerEmployee, Link};
use kleer_sync::sandbox::{SandboxConfig, SandboxHandle};
use kleer_sync::store::{Store, StoreError};
use kleer_sync::sync::employees::apply;
use kleer_sync::sync::fields::kleer_input;
use std::ops::Range;

/// Which of the generated people play which part, for N employees on each side.
#[derive(Clone, Debug)]
pub struct Plan {
    pub employees: usize,
    pub linked: Range<usize>,
    pub by_pin: Range<usize>,
    pub by_email: Range<usize>,
    /// Kleer employees no HR employee matches.
    pub kleer_only: Range<usize>,
    /// HR employees Kleer has never seen: what the export creates.
    pub hr_only: Range<usize>,
}

impl Plan {
    pub fn new(n: usize) -> Plan {
        let linked = 0..n / 2;
        let by_pin = linked.end..linked.end + n / 5;
        let by_email = by_pin.end..by_pin.end + n / 10;
        let kleer_only = by_email.end..n;
        let hr_only = n..n + kleer_only.len();
        Plan {
            employees: n,
            linked,
            by_pin,
            by_email,
            kleer_only,
            hr_only,
        }
    }

    /// How many people the plan draws on.
    pub fn people(&self) -> usize {
        self.hr_only.end
    }
}

/// The generated people as Kleer holds them: the sandbox's seed, person k being Kleer user
/// k + 3 (users 1 and 2 are the integration user and the accountant).
pub fn people(count: usize) -> Result<Vec<KleerEmployee>, String> {
    let mut config = SandboxConfig::new("unused", "unused");
    config.seed = count;
    let company = SandboxHandle::new(config).map_err(|e| e.to_string())?;
    Ok(mapping::kleer_employees(
        company.users(),
        company.payroll_users(),
    ))
}

/// What was seeded, for the scenarios that need to find their rows again.
pub struct Seeded {
    /// Personal identity numbers of the HR employees Kleer has never seen.
    pub hr_only_pins: std::collections::HashSet<String>,
}

/// Writes the HR side of the plan: every HR employee, and the links (with their mirror rows) of
/// the linked half. `writers` statements run at once (1 for SQLite, whose writes queue anyway).
pub async fn seed_hr(
    store: &Store,
    connection: ConnectionId,
    plan: &Plan,
    people: &[KleerEmployee],
    writers: usize,
) -> Result<Seeded, String> {
    let mut rows: Vec<(EmployeeData, Option<&KleerEmployee>)> = Vec::new();
    for (i, person) in people.iter().enumerate() {
        let mut data = hr_data(person, i)?;
        let link = if plan.linked.contains(&i) {
            // Some linked employees differ from Kleer, so an export has something to write.
            if i % 4 == 0 {
                data.monthly_salary = data.monthly_salary.map(|s| s + 1_000);
            }
            Some(person)
        } else if plan.by_pin.contains(&i) || plan.hr_only.contains(&i) {
            None
        } else if plan.by_email.contains(&i) {
            data.personal_identity_number = None;
            None
        } else {
            continue;
        };
        rows.push((data, link));
    }
    let hr_only_pins = people[plan.hr_only.clone()]
        .iter()
        .filter_map(|p| p.personal_identity_number.clone())
        .collect();
    futures_util::stream::iter(rows)
        .map(|(data, kleer)| async move {
            let employee = store.insert_employee(&data).await?;
            if let Some(kleer) = kleer {
                let link = Link {
                    connection_id: connection,
                    employee_id: employee.id,
                    kleer_user_id: kleer.user_id,
                };
                store.insert_link_with_mirror(link, kleer).await?;
            }
            Ok::<EmployeeId, StoreError>(employee.id)
        })
        .buffer_unordered(writers.max(1))
        .try_collect::<Vec<_>>()
        .await
        .map_err(|e| format!("seeding HR: {e}"))?;
    Ok(Seeded { hr_only_pins })
}

/// An HR employee with a person's Kleer values, validated like any HR input.
fn hr_data(person: &KleerEmployee, i: usize) -> Result<EmployeeData, String> {
    let mut data = apply(&EmployeeData::default(), &kleer_input(person, false))
        .map_err(|errors| format!("seed person {i} fails HR's rules: {errors:?}"))?;
    data.employee_number = Some(format!("E{i:05}"));
    Ok(data)
}

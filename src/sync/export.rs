//! The Export view's actions. *Export* creates (or finds again) the Kleer user and payroll
//! agreement of an unlinked employee and links it, or writes a linked employee's HR values to
//! Kleer; *Unlink* removes links and never touches Kleer.
//!
//! An export never creates a second Kleer user for one employee: the user is looked up by the
//! `foreign-id` we stamp before anything is created, and a Kleer user holding the same personal
//! identity number that is not ours is a conflict for the admin to resolve with Match.

use super::fields::{after_export, export_changes};
use super::outcome::{BatchReport, RowCode, RowResult, RunKind, ValueChange};
use super::{Requested, Service, SyncError, first_occurrences};
use crate::kleer::{KleerClient, KleerError, mapping};
use crate::model::{ConnectionId, Employee, EmployeeId, KleerEmployee, KleerUserId, Link};
use crate::store::{ConnectionRecord, StoreError};
use futures_util::StreamExt;
use std::collections::{HashMap, HashSet};

/// A row's failure on its way through Kleer and the store.
#[derive(Debug, thiserror::Error)]
enum RowError {
    #[error(transparent)]
    Kleer(#[from] KleerError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<RowError> for (RowCode, String) {
    fn from(e: RowError) -> Self {
        match e {
            RowError::Kleer(e) => kleer_failure(&e),
            RowError::Store(e) if e.is_unique_violation() => (
                RowCode::AlreadyLinked,
                "the employee or the Kleer user was linked by another request meanwhile".into(),
            ),
            RowError::Store(e) => {
                tracing::error!(error = %e, "storage failed during a batch row");
                (
                    RowCode::Internal,
                    "an internal error stopped this row; nothing was stored for it".into(),
                )
            }
        }
    }
}

pub(crate) fn kleer_failure(e: &KleerError) -> (RowCode, String) {
    let code = match e {
        KleerError::Unauthorized | KleerError::Forbidden => RowCode::KleerUnauthorized,
        KleerError::NotFound => RowCode::KleerNotFound,
        KleerError::Rejected { .. } => RowCode::KleerRejected,
        KleerError::Unavailable { .. } | KleerError::Decode(_) | KleerError::Config(_) => {
            RowCode::KleerUnavailable
        }
    };
    (code, e.to_string())
}

fn failed(requested: &Requested<EmployeeId>, (code, message): (RowCode, String)) -> RowResult {
    RowResult::new(&requested.raw, code).message(message)
}

/// One employee to act on, with what is already known about its Kleer side.
struct Job {
    position: usize,
    employee: Employee,
    linked_to: Option<KleerUserId>,
    mirrored: Option<KleerEmployee>,
}

impl Service {
    pub async fn export_employees(
        &self,
        connection: &ConnectionRecord,
        requested: Vec<Requested<EmployeeId>>,
    ) -> Result<BatchReport, SyncError> {
        let client = self.client(connection)?;
        let run = self
            .store
            .start_run(Some(connection.id), RunKind::Export.as_str())
            .await?;
        let (mut rows, jobs) = self.prepare(connection, &requested).await?;
        let (jobs, claimed) = self.claim(connection, jobs, &requested, &mut rows).await?;
        let heartbeat = self.keep_claims(connection.id);

        // Conflict checks need Kleer as it is now, so a batch that creates reads it first.
        let mut mirror_failure = None;
        if jobs.iter().any(|j| j.linked_to.is_none())
            && let Err(e) = self.refresh_mirror(connection).await
        {
            match e {
                SyncError::Kleer(e) => mirror_failure = Some(kleer_failure(&e)),
                other => return Err(other),
            }
        }

        let done: Vec<(usize, RowResult)> = futures_util::stream::iter(jobs)
            .map(|job| {
                let (connection, client, requested) =
                    (&connection, &client, &requested[job.position]);
                let mirror_failure = mirror_failure.clone();
                async move {
                    let result = match (job.linked_to, mirror_failure) {
                        (Some(kid), _) => self.export_linked(connection, client, &job, kid).await,
                        (None, Some(failure)) => Err(failure),
                        (None, None) => self.export_unlinked(connection, client, &job).await,
                    };
                    let row = result.unwrap_or_else(|failure| {
                        failed(requested, failure).employee(job.employee.id)
                    });
                    (
                        job.position,
                        RowResult {
                            requested_id: requested.raw.clone(),
                            ..row
                        },
                    )
                }
            })
            .buffer_unordered(self.settings.kleer_concurrency.max(1))
            .collect()
            .await;
        for (position, row) in done {
            rows[position] = Some(row);
        }
        heartbeat.abort();
        self.store
            .release_claims(connection.id, &claimed, &self.owner)
            .await?;
        self.finish(run.id, rows).await
    }

    /// Claims the unlinked employees of a batch; the ones another request holds are answered
    /// `IN_PROGRESS` and dropped. A claimed employee linked meanwhile is updated, not created.
    async fn claim(
        &self,
        connection: &ConnectionRecord,
        jobs: Vec<Job>,
        requested: &[Requested<EmployeeId>],
        rows: &mut [Option<RowResult>],
    ) -> Result<(Vec<Job>, Vec<EmployeeId>), SyncError> {
        let unlinked: Vec<EmployeeId> = jobs
            .iter()
            .filter(|j| j.linked_to.is_none())
            .map(|j| j.employee.id)
            .collect();
        if unlinked.is_empty() {
            return Ok((jobs, Vec::new()));
        }
        let claimed = self
            .store
            .claim_exports(
                connection.id,
                &unlinked,
                &self.owner,
                self.settings.claim_lease,
            )
            .await?;
        let held: HashSet<EmployeeId> = claimed.iter().copied().collect();
        let mut linked_meanwhile: HashMap<EmployeeId, (KleerUserId, Option<KleerEmployee>)> = self
            .store
            .kleer_side_of_employees(connection.id, &claimed)
            .await?
            .into_iter()
            .map(|(eid, kid, mirrored)| (eid, (kid, mirrored.map(|m| m.employee))))
            .collect();
        let mut kept = Vec::with_capacity(jobs.len());
        for mut job in jobs {
            if job.linked_to.is_none() && !held.contains(&job.employee.id) {
                rows[job.position] = Some(
                    RowResult::new(&requested[job.position].raw, RowCode::InProgress)
                        .employee(job.employee.id)
                        .message("another request is exporting this employee right now"),
                );
                continue;
            }
            if let Some((kid, mirrored)) = linked_meanwhile.remove(&job.employee.id) {
                job.linked_to = Some(kid);
                job.mirrored = mirrored;
            }
            kept.push(job);
        }
        Ok((kept, claimed))
    }

    /// Extends this server's claims while a batch runs; aborted when the batch ends.
    fn keep_claims(&self, connection: ConnectionId) -> tokio::task::JoinHandle<()> {
        let (store, owner, lease) = (
            self.store.clone(),
            self.owner.clone(),
            self.settings.claim_lease,
        );
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                if let Err(e) = store.extend_claims(connection, &owner, lease).await {
                    tracing::warn!(error = %e, "could not extend export claims");
                }
            }
        })
    }

    /// Sorts the requested rows into answers known already (repeats, unknown ids) and jobs.
    async fn prepare(
        &self,
        connection: &ConnectionRecord,
        requested: &[Requested<EmployeeId>],
    ) -> Result<(Vec<Option<RowResult>>, Vec<Job>), SyncError> {
        let ids: Vec<EmployeeId> = requested.iter().filter_map(|r| r.id).collect();
        let mut employees: HashMap<EmployeeId, Employee> = self
            .store
            .employees_by_ids(&ids)
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        let links: HashMap<EmployeeId, KleerUserId> = self
            .store
            .links_for_employees(connection.id, &ids)
            .await?
            .into_iter()
            .map(|l| (l.employee_id, l.kleer_user_id))
            .collect();
        let linked_ids: Vec<KleerUserId> = links.values().copied().collect();
        let mut mirrored: HashMap<KleerUserId, KleerEmployee> = self
            .store
            .mirrored_by_ids(connection.id, &linked_ids)
            .await?
            .into_iter()
            .map(|m| (m.employee.user_id, m.employee))
            .collect();

        let known: std::collections::HashSet<EmployeeId> = employees.keys().copied().collect();
        let firsts = first_occurrences(requested);
        let mut rows = Vec::with_capacity(requested.len());
        let mut jobs = Vec::new();
        for (position, req) in requested.iter().enumerate() {
            let row = if !firsts[position] {
                let row = RowResult::new(&req.raw, RowCode::DuplicateInBatch)
                    .message("repeated in this batch; acted on once");
                Some(match req.id.filter(|id| known.contains(id)) {
                    Some(id) => row.employee(id),
                    None => row,
                })
            } else {
                match req.id.and_then(|id| employees.remove(&id)) {
                    None => Some(
                        RowResult::new(&req.raw, RowCode::NotFound)
                            .message("no employee has this id"),
                    ),
                    Some(employee) => {
                        let linked_to = links.get(&employee.id).copied();
                        let mirrored = linked_to.and_then(|kid| mirrored.remove(&kid));
                        jobs.push(Job {
                            position,
                            employee,
                            linked_to,
                            mirrored,
                        });
                        None
                    }
                }
            };
            rows.push(row);
        }
        Ok((rows, jobs))
    }

    async fn export_linked(
        &self,
        connection: &ConnectionRecord,
        client: &KleerClient,
        job: &Job,
        kid: KleerUserId,
    ) -> Result<RowResult, (RowCode, String)> {
        let data = &job.employee.data;
        let foreign_id = job.employee.id.to_string();
        let changes = written(data, job.mirrored.as_ref(), connection.use_work_email);
        let write = async {
            client
                .update_user(
                    kid,
                    &mapping::user_write(data, connection.use_work_email, Some(&foreign_id)),
                )
                .await?;
            let payroll = mapping::payroll_write(data);
            match client.update_payroll_user(kid, &payroll).await {
                // The agreement was removed in Kleer: give the user one again.
                Err(KleerError::NotFound) => client.create_payroll_user(kid, &payroll).await?,
                other => other?,
            }
            let after = after_export(
                job.mirrored.as_ref(),
                data,
                connection.use_work_email,
                kid,
                &foreign_id,
            );
            self.store.upsert_mirror(connection.id, &after).await?;
            Ok::<_, RowError>(())
        };
        if let Err(e) = write.await {
            if matches!(e, RowError::Kleer(KleerError::NotFound)) {
                // Kleer no longer has the user: stop showing it as the employee's Kleer side.
                if let Err(e) = self.store.remove_mirrored(connection.id, kid).await {
                    tracing::error!(error = %e, "could not forget a Kleer user that is gone");
                }
                return Err((
                    RowCode::KleerNotFound,
                    format!("Kleer no longer has user {kid}; unlink the employee and export again"),
                ));
            }
            return Err(e.into());
        }
        Ok(RowResult::new("", RowCode::Updated)
            .employee(job.employee.id)
            .kleer_user(kid)
            .changes(changes))
    }

    async fn export_unlinked(
        &self,
        connection: &ConnectionRecord,
        client: &KleerClient,
        job: &Job,
    ) -> Result<RowResult, (RowCode, String)> {
        let employee = &job.employee;
        let data = &employee.data;
        let missing: Vec<&str> = [
            (
                "personalIdentityNumber",
                data.personal_identity_number.is_none(),
            ),
            ("startDate", data.start_date.is_none()),
        ]
        .into_iter()
        .filter_map(|(field, absent)| absent.then_some(field))
        .collect();
        let Some(pin) = data
            .personal_identity_number
            .as_ref()
            .filter(|_| missing.is_empty())
        else {
            return Err((
                RowCode::MissingRequiredField,
                format!(
                    "Kleer needs {} to create a payroll agreement",
                    missing.join(" and ")
                ),
            ));
        };
        let foreign_id = employee.id.to_string();
        let uwe = connection.use_work_email;
        let step = async {
            let (kid, before, code) = match client.find_user_by_foreign_id(&foreign_id).await? {
                // Made by an earlier export (before an unlink, or cut short): take it back.
                Some(user) => {
                    let kid = user.id;
                    client
                        .update_user(kid, &mapping::user_write(data, uwe, Some(&foreign_id)))
                        .await?;
                    let existing = client.get_payroll_user(kid).await?;
                    let payroll = mapping::payroll_write(data);
                    match &existing {
                        Some(_) => client.update_payroll_user(kid, &payroll).await?,
                        None => client.create_payroll_user(kid, &payroll).await?,
                    }
                    let before = existing.map(|p| mapping::kleer_employee(&user, &p));
                    (kid, before, RowCode::Relinked)
                }
                None => {
                    let holders = self
                        .store
                        .mirrored_by_pin(connection.id, pin.as_str())
                        .await?;
                    if let Some(holder) = holders.first() {
                        let message = format!(
                            "Kleer user {} ({}) already has this personal identity number: pair them with Match in the Import view",
                            holder.employee.user_id, holder.employee.name
                        );
                        return Ok(Ok(RowResult::new("", RowCode::KleerConflict)
                            .message(message)
                            .employee(employee.id)
                            .kleer_user(holder.employee.user_id)));
                    }
                    let kid = client
                        .create_user(&mapping::user_write(data, uwe, Some(&foreign_id)))
                        .await?;
                    client
                        .create_payroll_user(kid, &mapping::payroll_write(data))
                        .await?;
                    (kid, None, RowCode::Created)
                }
            };
            let changes = written(data, before.as_ref(), uwe);
            let after = after_export(before.as_ref(), data, uwe, kid, &foreign_id);
            let link = Link {
                connection_id: connection.id,
                employee_id: employee.id,
                kleer_user_id: kid,
            };
            self.store.insert_link_with_mirror(link, &after).await?;
            Ok::<_, RowError>(Ok(RowResult::new("", code)
                .employee(employee.id)
                .kleer_user(kid)
                .changes(changes)))
        };
        step.await.map_err(Into::<(RowCode, String)>::into)?
    }

    pub async fn unlink_employees(
        &self,
        connection: &ConnectionRecord,
        requested: Vec<Requested<EmployeeId>>,
    ) -> Result<BatchReport, SyncError> {
        let run = self
            .store
            .start_run(Some(connection.id), RunKind::Unlink.as_str())
            .await?;
        let (mut rows, jobs) = self.prepare(connection, &requested).await?;
        for job in jobs {
            let req = &requested[job.position];
            let row = match job.linked_to {
                None => RowResult::new(&req.raw, RowCode::NotLinked)
                    .message("not linked to Kleer; nothing to unlink"),
                Some(kid) => match self.store.delete_link(connection.id, job.employee.id).await {
                    Ok(true) => RowResult::new(&req.raw, RowCode::Unlinked).kleer_user(kid),
                    Ok(false) => RowResult::new(&req.raw, RowCode::NotLinked)
                        .message("unlinked by another request meanwhile"),
                    Err(e) => failed(req, RowError::Store(e).into()),
                },
            };
            rows[job.position] = Some(row.employee(job.employee.id));
        }
        self.finish(run.id, rows).await
    }

    pub(crate) async fn finish(
        &self,
        run: crate::model::SyncRunId,
        rows: Vec<Option<RowResult>>,
    ) -> Result<BatchReport, SyncError> {
        let rows: Vec<RowResult> = rows
            .into_iter()
            .map(|r| r.expect("every row is answered"))
            .collect();
        let records = rows
            .iter()
            .enumerate()
            .map(|(i, r)| r.to_run_row(i))
            .collect();
        let run = self.store.finish_run(run, records).await?;
        Ok(BatchReport { run, rows })
    }
}

/// The fields an export writes, as before (Kleer) and after (HR) values.
fn written(
    data: &crate::model::EmployeeData,
    before: Option<&KleerEmployee>,
    use_work_email: bool,
) -> Vec<ValueChange> {
    export_changes(data, before, use_work_email)
        .into_iter()
        .filter(|c| c.changes)
        .map(|c| ValueChange {
            field: c.field.to_string(),
            before: c.kleer_value,
            after: c.alexis_value,
        })
        .collect()
}

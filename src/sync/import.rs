//! The Import view: every Kleer employee of a connection with its match, the action to be
//! performed and what that action would write, and the actions that change or carry them out.
//! Nothing here writes to Kleer.

use super::employees::{UserError, apply};
use super::fields::{hr_diff, kleer_input};
use super::matching::{AutoMatch, HrKeys, MatchedBy, auto_match};
use super::outcome::{BatchReport, RowCode, RowResult, RunKind};
use super::views::Page;
use super::{Requested, Service, SyncError, first_occurrences};
use crate::model::{ConnectionId, Employee, EmployeeData, EmployeeId, KleerUserId, email_key};
use crate::store::{
    Candidate, ConnectionRecord, Decision, ImportPageRow, ImportWrite, KleerCursor, KleerFilter,
    KleerKeys, Mirrored, StoreError,
};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImportAction {
    Create,
    PreferAlexis,
    PreferKleer,
    MatchManually,
    DoNothing,
}

impl ImportAction {
    const ALL: [ImportAction; 5] = [
        ImportAction::Create,
        ImportAction::PreferAlexis,
        ImportAction::PreferKleer,
        ImportAction::MatchManually,
        ImportAction::DoNothing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportAction::Create => "CREATE",
            ImportAction::PreferAlexis => "PREFER_ALEXIS",
            ImportAction::PreferKleer => "PREFER_KLEER",
            ImportAction::MatchManually => "MATCH_MANUALLY",
            ImportAction::DoNothing => "DO_NOTHING",
        }
    }

    pub fn parse(text: &str) -> Option<ImportAction> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportTab {
    /// Kleer employees not linked.
    New,
    Imported,
    All,
}

/// One Kleer employee in the Import view, with everything the row shows.
#[derive(Clone, Debug)]
pub struct ImportRow {
    pub kleer: Mirrored,
    /// The HR employee it is linked to on the connection.
    pub linked_to: Option<EmployeeId>,
    /// The HR employee it is paired with (the linked one, the one chosen by hand, or the one
    /// found automatically) and how.
    pub matched: Option<(Employee, MatchedBy)>,
    /// Why no automatic match was made, when candidates were found but not one on each side.
    pub match_note: Option<String>,
    pub action: ImportAction,
}

impl ImportRow {
    pub fn matched_employee(&self) -> Option<&Employee> {
        self.matched.as_ref().map(|(e, _)| e)
    }
}

pub fn import_filter(
    connection: &ConnectionRecord,
    tab: ImportTab,
    search: Option<String>,
) -> KleerFilter {
    let linked = match tab {
        ImportTab::New => Some(false),
        ImportTab::Imported => Some(true),
        ImportTab::All => None,
    };
    KleerFilter {
        connection_id: connection.id,
        search,
        linked,
    }
}

/// The action a row takes when nobody chose one: nothing is overwritten without a choice.
fn default_action(linked: bool, matched_by: Option<MatchedBy>) -> ImportAction {
    match (linked, matched_by) {
        (true, _) => ImportAction::DoNothing,
        (false, Some(MatchedBy::Manual)) => ImportAction::MatchManually,
        (false, Some(_)) => ImportAction::PreferAlexis,
        (false, None) => ImportAction::DoNothing,
    }
}

impl Service {
    pub async fn import_page(
        &self,
        connection: &ConnectionRecord,
        filter: &KleerFilter,
        after: Option<&KleerCursor>,
        first: usize,
        with_total: bool,
    ) -> Result<Page<ImportRow>, SyncError> {
        self.ensure_fresh_mirror(connection).await?;
        let (read, total) = self
            .store
            .import_page_rows(filter, after, first + 1, with_total)
            .await?;
        let page = Page::cut(read, first);
        let rows = self.resolve_rows(connection, page.rows).await?;
        Ok(Page {
            rows,
            has_next_page: page.has_next_page,
            total,
        })
    }

    /// The state of each given Kleer row: links, choices and automatic matches, read in a fixed
    /// number of statements whatever the number of rows.
    pub async fn import_rows(
        &self,
        connection: &ConnectionRecord,
        kleer: Vec<Mirrored>,
    ) -> Result<Vec<ImportRow>, SyncError> {
        let ids: Vec<KleerUserId> = kleer.iter().map(|m| m.employee.user_id).collect();
        let mut links: HashMap<KleerUserId, EmployeeId> = self
            .store
            .links_for_kleer_users(connection.id, &ids)
            .await?
            .into_iter()
            .map(|l| (l.kleer_user_id, l.employee_id))
            .collect();
        let mut decisions: HashMap<KleerUserId, Decision> = self
            .store
            .decisions_for(connection.id, &ids)
            .await?
            .into_iter()
            .map(|d| (d.kleer_user_id, d))
            .collect();
        let read = kleer
            .into_iter()
            .map(|mirrored| {
                let kid = mirrored.employee.user_id;
                ImportPageRow {
                    linked_to: links.remove(&kid),
                    decision: decisions.remove(&kid),
                    mirrored,
                }
            })
            .collect();
        self.resolve_rows(connection, read).await
    }

    /// Matches rows read with their links and choices, and settles each row's action.
    async fn resolve_rows(
        &self,
        connection: &ConnectionRecord,
        read: Vec<ImportPageRow>,
    ) -> Result<Vec<ImportRow>, SyncError> {
        let cid = connection.id;
        let links: HashMap<KleerUserId, EmployeeId> = read
            .iter()
            .filter_map(|r| Some((r.mirrored.employee.user_id, r.linked_to?)))
            .collect();
        let decisions: HashMap<KleerUserId, Decision> = read
            .iter()
            .filter_map(|r| Some((r.mirrored.employee.user_id, r.decision.clone()?)))
            .collect();
        let kleer: Vec<Mirrored> = read.into_iter().map(|r| r.mirrored).collect();

        // Rows that need an automatic match: unlinked, not paired by hand.
        let open: Vec<KleerKeys> = kleer
            .iter()
            .filter(|m| !links.contains_key(&m.employee.user_id))
            .filter(|m| {
                decisions
                    .get(&m.employee.user_id)
                    .is_none_or(|d| d.employee_id.is_none())
            })
            .map(|m| KleerKeys {
                kleer_user_id: m.employee.user_id,
                personal_identity_number: m.employee.personal_identity_number.clone(),
                email_key: m.employee.email.as_deref().map(email_key),
            })
            .collect();
        let pins: Vec<String> = open
            .iter()
            .filter_map(|k| k.personal_identity_number.clone())
            .collect();
        let emails: Vec<String> = open.iter().filter_map(|k| k.email_key.clone()).collect();
        let known: Vec<EmployeeId> = links
            .values()
            .copied()
            .chain(decisions.values().filter_map(|d| d.employee_id))
            .collect();
        let candidates: HashMap<EmployeeId, Candidate> = self
            .store
            .match_candidates(cid, &pins, &emails, &known)
            .await?
            .into_iter()
            .map(|c| (c.employee.id, c))
            .collect();

        let free: Vec<HrKeys> = candidates
            .values()
            .filter(|c| c.linked_to.is_none() && c.claimed_by.is_none())
            .map(hr_keys)
            .collect();
        let mut all_pins = pins;
        all_pins.extend(
            free.iter()
                .filter_map(|h| h.personal_identity_number.clone()),
        );
        let mut all_emails = emails;
        all_emails.extend(free.iter().flat_map(|h| h.email_keys.iter().cloned()));
        let unlinked = if open.is_empty() {
            Vec::new()
        } else {
            self.store
                .unlinked_kleer_keys(cid, &all_pins, &all_emails)
                .await?
        };
        let mut automatic = auto_match(&open, &unlinked, &free);

        Ok(kleer
            .into_iter()
            .map(|m| {
                let kid = m.employee.user_id;
                let decision = decisions.get(&kid);
                let linked_to = links.get(&kid).copied();
                let (matched, match_note) = match (linked_to, decision.and_then(|d| d.employee_id))
                {
                    (Some(eid), _) => (Some((eid, MatchedBy::Link)), None),
                    (None, Some(eid)) => (Some((eid, MatchedBy::Manual)), None),
                    (None, None) => match automatic.remove(&kid) {
                        Some(AutoMatch::Matched(eid, by)) => (Some((eid, by)), None),
                        Some(AutoMatch::Ambiguous(why)) => (None, Some(why)),
                        _ => (None, None),
                    },
                };
                let matched = matched
                    .and_then(|(eid, by)| candidates.get(&eid).map(|c| (c.employee.clone(), by)));
                let chosen = decision.and_then(|d| ImportAction::parse(&d.action));
                let action = chosen.unwrap_or_else(|| {
                    default_action(linked_to.is_some(), matched.as_ref().map(|(_, by)| *by))
                });
                ImportRow {
                    kleer: m,
                    linked_to,
                    matched,
                    match_note,
                    action,
                }
            })
            .collect())
    }

    /// The rows named by a batch, in request order, with repeats and unknown ids answered.
    async fn requested_rows(
        &self,
        connection: &ConnectionRecord,
        requested: &[Requested<KleerUserId>],
    ) -> Result<(Vec<Option<RowResult>>, Vec<(usize, ImportRow)>), SyncError> {
        let ids: Vec<KleerUserId> = requested.iter().filter_map(|r| r.id).collect();
        let mirrored = self.store.mirrored_by_ids(connection.id, &ids).await?;
        let mut rows: HashMap<KleerUserId, ImportRow> = self
            .import_rows(connection, mirrored)
            .await?
            .into_iter()
            .map(|r| (r.kleer.employee.user_id, r))
            .collect();
        let known: std::collections::HashSet<KleerUserId> = rows.keys().copied().collect();
        let firsts = first_occurrences(requested);
        let mut answered = Vec::with_capacity(requested.len());
        let mut found = Vec::new();
        for (position, req) in requested.iter().enumerate() {
            let answer = if !firsts[position] {
                let duplicate = RowResult::new(&req.raw, RowCode::DuplicateInBatch)
                    .message("repeated in this batch; acted on once");
                Some(match req.id.filter(|id| known.contains(id)) {
                    Some(kid) => duplicate.kleer_user(kid),
                    None => duplicate,
                })
            } else {
                match req.id.and_then(|id| rows.remove(&id)) {
                    Some(row) => {
                        found.push((position, row));
                        None
                    }
                    None => Some(
                        RowResult::new(&req.raw, RowCode::NotFound)
                            .message("no Kleer employee of this connection has this id"),
                    ),
                }
            };
            answered.push(answer);
        }
        Ok((answered, found))
    }

    /// The Create, Prefer Alexis, Prefer Kleer, Match manually and Do nothing buttons.
    pub async fn set_import_action(
        &self,
        connection: &ConnectionRecord,
        requested: Vec<Requested<KleerUserId>>,
        action: ImportAction,
    ) -> Result<BatchReport, SyncError> {
        let run = self
            .store
            .start_run(Some(connection.id), RunKind::SetImportAction.as_str())
            .await?;
        let (mut answers, rows) = self.requested_rows(connection, &requested).await?;
        for (position, row) in rows {
            let req = &requested[position];
            let refusal = match action {
                ImportAction::Create if row.linked_to.is_some() => Some((
                    RowCode::AlreadyLinked,
                    "linked to an HR employee already; use Prefer Kleer to update it",
                )),
                ImportAction::PreferAlexis | ImportAction::PreferKleer if row.matched.is_none() => {
                    Some((
                        RowCode::NoMatch,
                        "no HR employee is matched to this row; use Match or Create",
                    ))
                }
                ImportAction::MatchManually
                    if !matches!(row.matched, Some((_, MatchedBy::Manual))) =>
                {
                    Some((
                        RowCode::NoMatch,
                        "no HR employee was matched by hand; use Match to choose one",
                    ))
                }
                _ => None,
            };
            let kid = row.kleer.employee.user_id;
            let answer = match refusal {
                Some((code, message)) => RowResult::new(&req.raw, code).message(message),
                None => {
                    // Create means a new HR employee, so a hand-made pair no longer applies.
                    let manual = match (action, &row.matched) {
                        (ImportAction::Create, _) => None,
                        (_, Some((e, MatchedBy::Manual))) => Some(e.id),
                        _ => None,
                    };
                    let decision = Decision {
                        kleer_user_id: kid,
                        action: action.as_str().to_string(),
                        employee_id: manual,
                    };
                    match self.store.save_decision(connection.id, &decision).await {
                        Ok(()) => RowResult::new(&req.raw, RowCode::ActionSet),
                        Err(e) => internal_row(&req.raw, e),
                    }
                }
            };
            let mut answer = answer.kleer_user(kid);
            answer.action = Some(action.as_str().to_string());
            answers[position] = Some(answer);
        }
        self.finish(run.id, answers).await
    }

    /// Pairs Kleer rows with HR employees chosen by hand.
    pub async fn match_employees(
        &self,
        connection: &ConnectionRecord,
        pairs: Vec<(Requested<KleerUserId>, Requested<EmployeeId>)>,
    ) -> Result<BatchReport, SyncError> {
        let run = self
            .store
            .start_run(Some(connection.id), RunKind::Match.as_str())
            .await?;
        let kleer_side: Vec<Requested<KleerUserId>> =
            pairs.iter().map(|(k, _)| k.clone()).collect();
        let (mut answers, rows) = self.requested_rows(connection, &kleer_side).await?;
        let employee_ids: Vec<EmployeeId> = pairs.iter().filter_map(|(_, e)| e.id).collect();
        let candidates: HashMap<EmployeeId, Candidate> = self
            .store
            .match_candidates(connection.id, &[], &[], &employee_ids)
            .await?
            .into_iter()
            .map(|c| (c.employee.id, c))
            .collect();
        for (position, row) in rows {
            let (req, employee) = &pairs[position];
            let kid = row.kleer.employee.user_id;
            let candidate = employee.id.and_then(|id| candidates.get(&id));
            let answer = match candidate {
                None => RowResult::new(&req.raw, RowCode::NotFound)
                    .message("no employee has this employeeId"),
                Some(_) if row.linked_to.is_some() => {
                    RowResult::new(&req.raw, RowCode::AlreadyLinked).message(
                        "this Kleer employee is linked already; unlink it in the Export view first",
                    )
                }
                Some(c) if c.linked_to.is_some() => {
                    RowResult::new(&req.raw, RowCode::EmployeeAlreadyLinked)
                        .message("this HR employee is linked to another Kleer employee already")
                }
                Some(c) if c.claimed_by.is_some_and(|other| other != kid) => {
                    RowResult::new(&req.raw, RowCode::EmployeeAlreadyMatched)
                        .message("this HR employee is matched to another Kleer employee already")
                }
                Some(c) => {
                    let decision = Decision {
                        kleer_user_id: kid,
                        action: ImportAction::MatchManually.as_str().to_string(),
                        employee_id: Some(c.employee.id),
                    };
                    match self.store.save_decision(connection.id, &decision).await {
                        Ok(()) => RowResult::new(&req.raw, RowCode::Matched),
                        // Another pair of this batch (or another request) took the employee first.
                        Err(e) if e.is_unique_violation() => {
                            RowResult::new(&req.raw, RowCode::EmployeeAlreadyMatched).message(
                                "this HR employee is matched to another Kleer employee already",
                            )
                        }
                        Err(e) => internal_row(&req.raw, e),
                    }
                }
            };
            let answer = match employee.id {
                Some(eid) if candidate.is_some() => answer.employee(eid),
                _ => answer,
            };
            answers[position] = Some(answer.kleer_user(kid));
        }
        self.finish(run.id, answers).await
    }

    /// Carries out each row's action. Every row's HR write and link commit together or not at
    /// all; nothing is written to Kleer.
    pub async fn import_employees(
        &self,
        connection: &ConnectionRecord,
        requested: Vec<Requested<KleerUserId>>,
    ) -> Result<BatchReport, SyncError> {
        let run = self
            .store
            .start_run(Some(connection.id), RunKind::Import.as_str())
            .await?;
        let (mut answers, rows) = self.requested_rows(connection, &requested).await?;
        for (position, row) in rows {
            let raw = &requested[position].raw;
            let mut answer =
                self.import_one(connection, &row)
                    .await
                    .unwrap_or_else(|(code, message)| {
                        let answer = RowResult::new(raw, code).message(message);
                        match row.matched_employee() {
                            Some(e) => answer.employee(e.id),
                            None => answer,
                        }
                    });
            answer.requested_id = raw.clone();
            answer.kleer_user_id = Some(row.kleer.employee.user_id);
            answer.action = Some(row.action.as_str().to_string());
            answers[position] = Some(answer);
        }
        self.finish(run.id, answers).await
    }

    async fn import_one(
        &self,
        connection: &ConnectionRecord,
        row: &ImportRow,
    ) -> Result<RowResult, (RowCode, String)> {
        let kid = row.kleer.employee.user_id;
        let linked = row.linked_to.is_some();
        let uwe = connection.use_work_email;
        let (write, before, code) = match (row.action, row.matched_employee()) {
            (ImportAction::DoNothing, _) => {
                return self.nothing_to_do(connection.id, kid, None).await;
            }
            (ImportAction::Create, _) if linked => {
                return Err((
                    RowCode::AlreadyLinked,
                    "linked to an HR employee already; use Prefer Kleer to update it".into(),
                ));
            }
            (ImportAction::Create, _) => {
                let data = self
                    .kleer_values(&EmployeeData::default(), row, uwe, None)
                    .await?;
                (ImportWrite::Create(data), None, RowCode::Created)
            }
            (_, None) => {
                return Err((
                    RowCode::NoMatch,
                    "no HR employee is matched to this row; use Match or Create".into(),
                ));
            }
            (ImportAction::PreferAlexis | ImportAction::MatchManually, Some(_)) if linked => {
                return self
                    .nothing_to_do(
                        connection.id,
                        kid,
                        Some("linked already; HR keeps its values"),
                    )
                    .await;
            }
            (ImportAction::PreferAlexis | ImportAction::MatchManually, Some(e)) => {
                (ImportWrite::Existing(e.id, None), Some(e), RowCode::Linked)
            }
            (ImportAction::PreferKleer, Some(e)) => {
                let data = self.kleer_values(&e.data, row, uwe, Some(e.id)).await?;
                if linked && data == e.data {
                    return self
                        .nothing_to_do(connection.id, kid, Some("HR holds Kleer's values already"))
                        .await;
                }
                (
                    ImportWrite::Existing(e.id, Some(data)),
                    Some(e),
                    if linked {
                        RowCode::Updated
                    } else {
                        RowCode::Linked
                    },
                )
            }
        };
        let stored = self
            .store
            .import_row(connection.id, kid, &write, !linked)
            .await
            .map_err(import_failure)?;
        let changes = match write {
            ImportWrite::Existing(_, None) => Vec::new(),
            _ => hr_diff(before.map(|e| &e.data), &stored.data, uwe),
        };
        Ok(RowResult::new("", code)
            .employee(stored.id)
            .changes(changes))
    }

    /// A row whose action writes nothing: its choice is done with, so it goes back to the default.
    async fn nothing_to_do(
        &self,
        cid: ConnectionId,
        kid: KleerUserId,
        why: Option<&str>,
    ) -> Result<RowResult, (RowCode, String)> {
        self.store
            .delete_decision(cid, kid)
            .await
            .map_err(import_failure)?;
        let row = RowResult::new("", RowCode::NothingToDo);
        Ok(match why {
            Some(why) => row.message(why),
            None => row,
        })
    }

    /// Kleer's values over `base`, validated like any HR input; a personal identity number
    /// an HR employee other than `own` holds is refused before anything is written.
    async fn kleer_values(
        &self,
        base: &EmployeeData,
        row: &ImportRow,
        use_work_email: bool,
        own: Option<EmployeeId>,
    ) -> Result<EmployeeData, (RowCode, String)> {
        let data = apply(base, &kleer_input(&row.kleer.employee, use_work_email))
            .map_err(invalid_kleer_data)?;
        if let Some(pin) = &data.personal_identity_number {
            let holder = self
                .store
                .employee_by_pin(pin)
                .await
                .map_err(import_failure)?;
            if let Some(holder) = holder.filter(|h| Some(h.id) != own) {
                return Err((
                    RowCode::PersonalIdentityNumberTaken,
                    format!(
                        "HR employee {} {} already has this personal identity number; match the row to them instead",
                        holder.data.first_name, holder.data.last_name
                    ),
                ));
            }
        }
        Ok(data)
    }
}

fn hr_keys(c: &Candidate) -> HrKeys {
    let d = &c.employee.data;
    HrKeys {
        employee_id: c.employee.id,
        personal_identity_number: d.personal_identity_number.as_ref().map(|p| p.to_string()),
        email_keys: [&d.private_email, &d.work_email]
            .into_iter()
            .flatten()
            .map(|e| email_key(e))
            .collect(),
    }
}

fn invalid_kleer_data(errors: Vec<UserError>) -> (RowCode, String) {
    let details: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect();
    (
        RowCode::InvalidKleerData,
        format!(
            "Kleer's data does not pass HR's rules ({})",
            details.join("; ")
        ),
    )
}

fn import_failure(e: StoreError) -> (RowCode, String) {
    if e.is_unique_violation() {
        return (
            RowCode::AlreadyLinked,
            "the row or the HR employee was linked by another request meanwhile".into(),
        );
    }
    tracing::error!(error = %e, "storage failed during an import row");
    (
        RowCode::Internal,
        "an internal error stopped this row; nothing was stored for it".into(),
    )
}

fn internal_row(raw: &str, e: StoreError) -> RowResult {
    tracing::error!(error = %e, "storage failed during a batch row");
    RowResult::new(raw, RowCode::Internal)
        .message("an internal error stopped this row; nothing was stored for it")
}

impl Service {
    /// Reads Kleer again and records what it found gone: Kleer employees removed in Kleer leave
    /// the views, and their links are reported here rather than dropped.
    pub async fn refresh_kleer_employees(
        &self,
        connection_id: Option<ConnectionId>,
    ) -> Result<(super::mirror::RefreshReport, BatchReport), SyncError> {
        let connection = self.resolve_connection(connection_id).await?;
        let run = self
            .store
            .start_run(Some(connection.id), RunKind::Refresh.as_str())
            .await?;
        let report = match self.refresh_mirror(&connection).await {
            Ok(report) => report,
            Err(e) => {
                // The run is still closed, empty, so it does not look in progress forever.
                self.finish(run.id, Vec::new()).await?;
                return Err(e);
            }
        };
        let linked: HashMap<KleerUserId, EmployeeId> = report
            .dangling_links
            .iter()
            .map(|l| (l.kleer_user_id, l.employee_id))
            .collect();
        let rows = report
            .removed
            .iter()
            .map(|kid| {
                let row = RowResult::new(kid.to_string(), RowCode::KleerRemoved).kleer_user(*kid);
                Some(match linked.get(kid) {
                    Some(eid) => row
                        .employee(*eid)
                        .message("removed in Kleer; the HR employee is still linked to it"),
                    None => row.message("removed in Kleer"),
                })
            })
            .collect();
        let batch = self.finish(run.id, rows).await?;
        Ok((report, batch))
    }
}

//! What the Import view needs beyond the mirror: the admins' decisions per Kleer row, the HR
//! employees a page of Kleer rows could match, and the transaction that carries out one row.

use super::employees::{EmployeeForm, EmployeeRow};
use super::schema::{employees, import_decisions, kleer_employees, links};
use super::{Store, StoreResult, db_run, now};
use crate::model::{ConnectionId, Employee, EmployeeData, EmployeeId, KleerUserId};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

/// An admin's choice for one Kleer row, kept until the row is imported or the choice changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub kleer_user_id: KleerUserId,
    /// The action as the API names it (`CREATE`, `PREFER_KLEER`, …).
    pub action: String,
    /// The HR employee chosen by hand, if any.
    pub employee_id: Option<EmployeeId>,
}

/// An HR employee that a Kleer row could match, with what already binds it elsewhere.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub employee: Employee,
    /// The Kleer user it is linked to on this connection.
    pub linked_to: Option<KleerUserId>,
    /// The Kleer row it was matched to by hand on this connection.
    pub claimed_by: Option<KleerUserId>,
}

/// The identifying keys of one unlinked Kleer employee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KleerKeys {
    pub kleer_user_id: KleerUserId,
    pub personal_identity_number: Option<String>,
    pub email_key: Option<String>,
}

/// What importing one Kleer row writes to HR.
#[derive(Clone, Debug)]
pub enum ImportWrite {
    /// A new HR employee from Kleer's data.
    Create(EmployeeData),
    /// An existing HR employee, linked, with new values when given.
    Existing(EmployeeId, Option<EmployeeData>),
}

impl Store {
    pub async fn decisions_for(
        &self,
        cid: ConnectionId,
        kleer_ids: &[KleerUserId],
    ) -> StoreResult<Vec<Decision>> {
        let ids: Vec<i64> = kleer_ids.iter().map(|k| k.0).collect();
        let rows: Vec<(i64, String, Option<i64>)> = db_run!(self, |conn| {
            import_decisions::table
                .filter(import_decisions::connection_id.eq(cid.0))
                .filter(import_decisions::kleer_user_id.eq_any(&ids))
                .select((
                    import_decisions::kleer_user_id,
                    import_decisions::action,
                    import_decisions::employee_id,
                ))
                .load(conn)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(k, action, e)| Decision {
                kleer_user_id: KleerUserId(k),
                action,
                employee_id: e.map(EmployeeId),
            })
            .collect())
    }

    /// Stores a decision, replacing the row's previous one. A unique violation means the HR
    /// employee is matched by hand to another Kleer row already.
    pub async fn save_decision(&self, cid: ConnectionId, decision: &Decision) -> StoreResult<()> {
        let values = (
            import_decisions::connection_id.eq(cid.0),
            import_decisions::kleer_user_id.eq(decision.kleer_user_id.0),
            import_decisions::action.eq(&decision.action),
            import_decisions::employee_id.eq(decision.employee_id.map(|e| e.0)),
            import_decisions::updated_at.eq(now()),
        );
        db_run!(self, |conn| {
            diesel::insert_into(import_decisions::table)
                .values(values)
                .on_conflict((
                    import_decisions::connection_id,
                    import_decisions::kleer_user_id,
                ))
                .do_update()
                .set((
                    import_decisions::action.eq(&decision.action),
                    import_decisions::employee_id.eq(decision.employee_id.map(|e| e.0)),
                    import_decisions::updated_at.eq(now()),
                ))
                .execute(conn)
                .await?
        });
        Ok(())
    }

    pub async fn delete_decision(&self, cid: ConnectionId, kid: KleerUserId) -> StoreResult<()> {
        db_run!(self, |conn| {
            diesel::delete(
                import_decisions::table
                    .filter(import_decisions::connection_id.eq(cid.0))
                    .filter(import_decisions::kleer_user_id.eq(kid.0)),
            )
            .execute(conn)
            .await?
        });
        Ok(())
    }

    /// HR employees with one of these personal identity numbers, email keys or ids, each with
    /// its link and hand-made match on the connection.
    pub async fn match_candidates(
        &self,
        cid: ConnectionId,
        pins: &[String],
        email_keys: &[String],
        ids: &[EmployeeId],
    ) -> StoreResult<Vec<Candidate>> {
        let ids: Vec<i64> = ids.iter().map(|e| e.0).collect();
        let rows: Vec<(EmployeeRow, Option<i64>, Option<i64>)> = db_run!(self, |conn| {
            employees::table
                .left_join(
                    links::table.on(links::employee_id
                        .eq(employees::id)
                        .and(links::connection_id.eq(cid.0))),
                )
                .left_join(
                    import_decisions::table.on(import_decisions::employee_id
                        .eq(employees::id.nullable())
                        .and(import_decisions::connection_id.eq(cid.0))),
                )
                .filter(
                    employees::personal_identity_number
                        .eq_any(pins)
                        .or(employees::private_email_key.eq_any(email_keys))
                        .or(employees::work_email_key.eq_any(email_keys))
                        .or(employees::id.eq_any(&ids)),
                )
                .select((
                    EmployeeRow::as_select(),
                    links::kleer_user_id.nullable(),
                    import_decisions::kleer_user_id.nullable(),
                ))
                .load(conn)
                .await?
        });
        rows.into_iter()
            .map(|(row, linked, claimed)| {
                Ok(Candidate {
                    employee: row.try_into()?,
                    linked_to: linked.map(KleerUserId),
                    claimed_by: claimed.map(KleerUserId),
                })
            })
            .collect()
    }

    /// The keys of every unlinked Kleer employee of the connection that shares one of these
    /// personal identity numbers or email keys: what tells a unique match from an ambiguous one.
    pub async fn unlinked_kleer_keys(
        &self,
        cid: ConnectionId,
        pins: &[String],
        email_keys: &[String],
    ) -> StoreResult<Vec<KleerKeys>> {
        let rows: Vec<(i64, Option<String>, Option<String>)> = db_run!(self, |conn| {
            kleer_employees::table
                .filter(kleer_employees::connection_id.eq(cid.0))
                .filter(
                    kleer_employees::personal_identity_number
                        .eq_any(pins)
                        .or(kleer_employees::email_key.eq_any(email_keys)),
                )
                .filter(diesel::dsl::not(diesel::dsl::exists(
                    links::table
                        .filter(links::connection_id.eq(cid.0))
                        .filter(links::kleer_user_id.eq(kleer_employees::kleer_user_id)),
                )))
                .select((
                    kleer_employees::kleer_user_id,
                    kleer_employees::personal_identity_number,
                    kleer_employees::email_key,
                ))
                .load(conn)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(k, pin, email)| KleerKeys {
                kleer_user_id: KleerUserId(k),
                personal_identity_number: pin,
                email_key: email,
            })
            .collect())
    }

    /// Carries out one Kleer row: the HR write, the link (unless it exists) and the removal of
    /// the row's decision commit together or not at all. Answers the HR employee as stored.
    pub async fn import_row(
        &self,
        cid: ConnectionId,
        kid: KleerUserId,
        write: &ImportWrite,
        link: bool,
    ) -> StoreResult<Employee> {
        let at = now();
        let row: EmployeeRow = db_run!(self, |conn| {
            conn.transaction(async move |tx| {
                // The first statement writes, so SQLite takes its write lock at once (a read
                // first could not be upgraded while another writer is active).
                diesel::delete(
                    import_decisions::table
                        .filter(import_decisions::connection_id.eq(cid.0))
                        .filter(import_decisions::kleer_user_id.eq(kid.0)),
                )
                .execute(tx)
                .await?;
                let row: EmployeeRow = match write {
                    ImportWrite::Create(data) => {
                        diesel::insert_into(employees::table)
                            .values((&EmployeeForm::new(data), employees::created_at.eq(at)))
                            .returning(EmployeeRow::as_returning())
                            .get_result(tx)
                            .await?
                    }
                    ImportWrite::Existing(id, Some(data)) => {
                        diesel::update(employees::table.find(id.0))
                            .set(&EmployeeForm::new(data))
                            .returning(EmployeeRow::as_returning())
                            .get_result(tx)
                            .await?
                    }
                    ImportWrite::Existing(id, None) => {
                        employees::table
                            .find(id.0)
                            .select(EmployeeRow::as_select())
                            .get_result(tx)
                            .await?
                    }
                };
                if link {
                    diesel::insert_into(links::table)
                        .values((
                            links::connection_id.eq(cid.0),
                            links::employee_id.eq(row.id),
                            links::kleer_user_id.eq(kid.0),
                            links::created_at.eq(at),
                        ))
                        .execute(tx)
                        .await?;
                }
                Ok::<_, diesel::result::Error>(row)
            })
            .await?
        });
        row.try_into()
    }
}

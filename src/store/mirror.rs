//! The local mirror of each connection's Kleer employees, so that opening a tab costs database
//! reads and not a Kleer round trip per row.

use super::bulk::BulkInsert;
use super::employees::{like_pattern, search_text, sort_key};
use super::imports::Decision;
use super::schema::{import_decisions, kleer_connections, kleer_employees, links};
use super::{Store, StoreResult, db_run, now};
use crate::model::{Address, ConnectionId, EmployeeId, KleerEmployee, KleerUserId, email_key};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

#[derive(Queryable, Selectable)]
#[diesel(table_name = kleer_employees)]
pub(crate) struct MirrorRow {
    kleer_user_id: i64,
    foreign_id: Option<String>,
    name: String,
    email: Option<String>,
    active: bool,
    personal_identity_number: Option<String>,
    phone: Option<String>,
    street: Option<String>,
    zip_code: Option<String>,
    city: Option<String>,
    country_code: Option<String>,
    tax_table: Option<i32>,
    tax_column: Option<i32>,
    clearing_number: Option<String>,
    bank_account_number: Option<String>,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    monthly_salary: Option<i64>,
    fetched_at: NaiveDateTime,
}

impl From<MirrorRow> for (KleerEmployee, NaiveDateTime) {
    fn from(r: MirrorRow) -> Self {
        let employee = KleerEmployee {
            user_id: KleerUserId(r.kleer_user_id),
            foreign_id: r.foreign_id,
            name: r.name,
            email: r.email,
            active: r.active,
            personal_identity_number: r.personal_identity_number,
            phone: r.phone,
            home_address: Address {
                street: r.street,
                zip_code: r.zip_code,
                city: r.city,
                country_code: r.country_code,
            },
            tax_table: r.tax_table,
            tax_column: r.tax_column,
            clearing_number: r.clearing_number,
            bank_account_number: r.bank_account_number,
            start_date: r.start_date,
            end_date: r.end_date,
            monthly_salary: r.monthly_salary,
        };
        (employee, r.fetched_at)
    }
}

/// A mirrored Kleer employee with the time it was read from Kleer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mirrored {
    pub employee: KleerEmployee,
    pub fetched_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Insertable)]
#[diesel(table_name = kleer_employees, treat_none_as_default_value = false)]
pub(crate) struct MirrorForm {
    pub connection_id: i64,
    pub kleer_user_id: i64,
    foreign_id: Option<String>,
    name: String,
    email: Option<String>,
    email_key: Option<String>,
    active: bool,
    personal_identity_number: Option<String>,
    phone: Option<String>,
    street: Option<String>,
    zip_code: Option<String>,
    city: Option<String>,
    country_code: Option<String>,
    tax_table: Option<i32>,
    tax_column: Option<i32>,
    clearing_number: Option<String>,
    bank_account_number: Option<String>,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    monthly_salary: Option<i64>,
    sort_key: String,
    search_text: String,
    fetched_at: NaiveDateTime,
}

impl MirrorForm {
    pub(crate) fn new(cid: ConnectionId, k: &KleerEmployee, fetched_at: NaiveDateTime) -> Self {
        let (first, last) = k.split_name();
        MirrorForm {
            connection_id: cid.0,
            kleer_user_id: k.user_id.0,
            foreign_id: k.foreign_id.clone(),
            name: k.name.clone(),
            email: k.email.clone(),
            email_key: k.email.as_deref().map(email_key),
            active: k.active,
            personal_identity_number: k.personal_identity_number.clone(),
            phone: k.phone.clone(),
            street: k.home_address.street.clone(),
            zip_code: k.home_address.zip_code.clone(),
            city: k.home_address.city.clone(),
            country_code: k.home_address.country_code.clone(),
            tax_table: k.tax_table,
            tax_column: k.tax_column,
            clearing_number: k.clearing_number.clone(),
            bank_account_number: k.bank_account_number.clone(),
            start_date: k.start_date,
            end_date: k.end_date,
            monthly_salary: k.monthly_salary,
            sort_key: sort_key(&first, &last),
            search_text: search_text(&[
                Some(&k.name),
                k.personal_identity_number.as_deref(),
                k.email.as_deref(),
            ]),
            fetched_at,
        }
    }
}

/// One row of an Import view page as read: the Kleer employee, its link and the stored choice.
#[derive(Clone, Debug)]
pub struct ImportPageRow {
    pub mirrored: Mirrored,
    pub linked_to: Option<EmployeeId>,
    pub decision: Option<Decision>,
}

/// Which Kleer employees of a connection a listing covers.
#[derive(Clone, Debug)]
pub struct KleerFilter {
    pub connection_id: ConnectionId,
    pub search: Option<String>,
    /// `Some(true)`: linked only; `Some(false)`: unlinked only.
    pub linked: Option<bool>,
}

/// Keyset position: the sort key and user id of the last row of the previous page.
pub type KleerCursor = (String, KleerUserId);

pub fn kleer_cursor(m: &Mirrored) -> KleerCursor {
    let (first, last) = m.employee.split_name();
    (sort_key(&first, &last), m.employee.user_id)
}

macro_rules! filtered_mirror {
    ($filter:expr) => {{
        let filter: &KleerFilter = $filter;
        let cid = filter.connection_id.0;
        let mut query = kleer_employees::table
            .filter(kleer_employees::connection_id.eq(cid))
            .into_boxed();
        if let Some(pattern) = filter.search.as_deref().and_then(like_pattern) {
            query = query.filter(kleer_employees::search_text.like(pattern).escape('\\'));
        }
        let linked = diesel::dsl::exists(
            links::table
                .filter(links::connection_id.eq(cid))
                .filter(links::kleer_user_id.eq(kleer_employees::kleer_user_id)),
        );
        match filter.linked {
            None => {}
            Some(true) => query = query.filter(linked),
            Some(false) => query = query.filter(diesel::dsl::not(linked)),
        }
        query
    }};
}

/// Insert-or-replace of one mirror row, written once for both backends' transactions.
macro_rules! upsert_mirror_row {
    ($conn:expr, $form:expr) => {
        diesel::delete(
            kleer_employees::table
                .filter(kleer_employees::connection_id.eq($form.connection_id))
                .filter(kleer_employees::kleer_user_id.eq($form.kleer_user_id)),
        )
        .execute($conn)
        .await?;
        diesel::insert_into(kleer_employees::table)
            .values(&$form)
            .execute($conn)
            .await?;
    };
}
pub(crate) use upsert_mirror_row;

impl Store {
    /// Replaces the whole mirror of a connection with what Kleer just answered, and stamps the
    /// connection with the time. Returns the Kleer users that were mirrored before and are gone.
    pub async fn replace_mirror(
        &self,
        cid: ConnectionId,
        employees: &[KleerEmployee],
    ) -> StoreResult<Vec<KleerUserId>> {
        let at = now();
        let forms: Vec<MirrorForm> = employees
            .iter()
            .map(|k| MirrorForm::new(cid, k, at))
            .collect();
        let still_there: std::collections::HashSet<i64> =
            forms.iter().map(|f| f.kleer_user_id).collect();
        let before: Vec<i64> = db_run!(self, |conn| {
            conn.transaction(async move |tx| {
                // Writing first takes SQLite's write lock at once; a read first could not be
                // upgraded while another server writes.
                let before: Vec<i64> = diesel::delete(
                    kleer_employees::table.filter(kleer_employees::connection_id.eq(cid.0)),
                )
                .returning(kleer_employees::kleer_user_id)
                .get_results(tx)
                .await?;
                tx.insert_mirror_rows(&forms).await?;
                diesel::update(kleer_connections::table.find(cid.0))
                    .set(kleer_connections::mirror_refreshed_at.eq(Some(at)))
                    .execute(tx)
                    .await?;
                Ok::<_, diesel::result::Error>(before)
            })
            .await?
        });
        Ok(before
            .into_iter()
            .filter(|id| !still_there.contains(id))
            .map(KleerUserId)
            .collect())
    }

    /// Records one Kleer employee as just written to or read from Kleer.
    pub async fn upsert_mirror(
        &self,
        cid: ConnectionId,
        employee: &KleerEmployee,
    ) -> StoreResult<()> {
        let form = MirrorForm::new(cid, employee, now());
        db_run!(self, |conn| {
            conn.transaction(async move |tx| {
                upsert_mirror_row!(tx, form);
                Ok::<_, diesel::result::Error>(())
            })
            .await?
        });
        Ok(())
    }

    /// A page of the Import view in one statement: each Kleer employee with its link and the
    /// admins' choice, and (asked `with_total`) the size of the whole tab, in one statement.
    pub async fn import_page_rows(
        &self,
        filter: &KleerFilter,
        after: Option<&KleerCursor>,
        limit: usize,
        with_total: bool,
    ) -> StoreResult<(Vec<ImportPageRow>, Option<i64>)> {
        let limit = limit as i64;
        let cid = filter.connection_id.0;
        type Joined = (MirrorRow, Option<i64>, Option<(String, Option<i64>)>);
        let (rows, total): (Vec<Joined>, Option<i64>) = db_run!(self, |conn| {
            let mut query = kleer_employees::table
                .left_join(
                    links::table.on(links::connection_id
                        .eq(kleer_employees::connection_id)
                        .and(links::kleer_user_id.eq(kleer_employees::kleer_user_id))),
                )
                .left_join(
                    import_decisions::table.on(import_decisions::connection_id
                        .eq(kleer_employees::connection_id)
                        .and(import_decisions::kleer_user_id.eq(kleer_employees::kleer_user_id))),
                )
                .filter(kleer_employees::connection_id.eq(cid))
                .into_boxed();
            if let Some(pattern) = filter.search.as_deref().and_then(like_pattern) {
                query = query.filter(kleer_employees::search_text.like(pattern).escape('\\'));
            }
            match filter.linked {
                None => {}
                Some(true) => query = query.filter(links::employee_id.nullable().is_not_null()),
                Some(false) => query = query.filter(links::employee_id.nullable().is_null()),
            }
            if let Some((key, id)) = after {
                query = query.filter(
                    kleer_employees::sort_key
                        .gt(key.clone())
                        .or(kleer_employees::sort_key
                            .eq(key.clone())
                            .and(kleer_employees::kleer_user_id.gt(id.0))),
                );
            }
            let query = query
                .order((
                    kleer_employees::sort_key.asc(),
                    kleer_employees::kleer_user_id.asc(),
                ))
                .limit(limit);
            let decision = (import_decisions::action, import_decisions::employee_id).nullable();
            if with_total {
                type Counted = (
                    MirrorRow,
                    Option<i64>,
                    Option<(String, Option<i64>)>,
                    Option<i64>,
                );
                let counted: Vec<Counted> = query
                    .select((
                        MirrorRow::as_select(),
                        links::employee_id.nullable(),
                        decision,
                        filtered_mirror!(filter).count().single_value(),
                    ))
                    .load(conn)
                    .await?;
                let total = <[_]>::first(&counted)
                    .and_then(|row| row.3)
                    .or(after.is_none().then_some(0));
                (
                    counted.into_iter().map(|(m, l, d, _)| (m, l, d)).collect(),
                    total,
                )
            } else {
                (
                    query
                        .select((
                            MirrorRow::as_select(),
                            links::employee_id.nullable(),
                            decision,
                        ))
                        .load(conn)
                        .await?,
                    None,
                )
            }
        });
        let rows = rows
            .into_iter()
            .map(|(row, linked, decision)| {
                let kleer_user_id = KleerUserId(row.kleer_user_id);
                ImportPageRow {
                    mirrored: to_mirrored(row),
                    linked_to: linked.map(EmployeeId),
                    decision: decision.map(|(action, employee)| Decision {
                        kleer_user_id,
                        action,
                        employee_id: employee.map(EmployeeId),
                    }),
                }
            })
            .collect();
        Ok((rows, total))
    }

    pub async fn mirror_count(&self, filter: &KleerFilter) -> StoreResult<i64> {
        Ok(db_run!(self, |conn| filtered_mirror!(filter)
            .count()
            .get_result(conn)
            .await?))
    }

    /// Forgets one Kleer employee that Kleer no longer has.
    pub async fn remove_mirrored(&self, cid: ConnectionId, kid: KleerUserId) -> StoreResult<()> {
        db_run!(self, |conn| {
            diesel::delete(
                kleer_employees::table
                    .filter(kleer_employees::connection_id.eq(cid.0))
                    .filter(kleer_employees::kleer_user_id.eq(kid.0)),
            )
            .execute(conn)
            .await?
        });
        Ok(())
    }

    pub async fn mirrored_by_ids(
        &self,
        cid: ConnectionId,
        ids: &[KleerUserId],
    ) -> StoreResult<Vec<Mirrored>> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        let rows: Vec<MirrorRow> = db_run!(self, |conn| {
            kleer_employees::table
                .filter(kleer_employees::connection_id.eq(cid.0))
                .filter(kleer_employees::kleer_user_id.eq_any(&ids))
                .select(MirrorRow::as_select())
                .load(conn)
                .await?
        });
        Ok(rows.into_iter().map(to_mirrored).collect())
    }

    /// The Kleer side of each linked employee among `ids`: the linked user and its mirror row
    /// (absent when the user is gone from Kleer), in one statement.
    pub async fn kleer_side_of_employees(
        &self,
        cid: ConnectionId,
        ids: &[EmployeeId],
    ) -> StoreResult<Vec<(EmployeeId, KleerUserId, Option<Mirrored>)>> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        let rows: Vec<(i64, i64, Option<MirrorRow>)> = db_run!(self, |conn| {
            links::table
                .left_join(
                    kleer_employees::table.on(kleer_employees::connection_id
                        .eq(links::connection_id)
                        .and(kleer_employees::kleer_user_id.eq(links::kleer_user_id))),
                )
                .filter(links::connection_id.eq(cid.0))
                .filter(links::employee_id.eq_any(&ids))
                .select((
                    links::employee_id,
                    links::kleer_user_id,
                    Option::<MirrorRow>::as_select(),
                ))
                .load(conn)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(e, k, m)| (EmployeeId(e), KleerUserId(k), m.map(to_mirrored)))
            .collect())
    }

    /// Mirrored Kleer employees holding this personal identity number.
    pub async fn mirrored_by_pin(
        &self,
        cid: ConnectionId,
        pin: &str,
    ) -> StoreResult<Vec<Mirrored>> {
        let rows: Vec<MirrorRow> = db_run!(self, |conn| {
            kleer_employees::table
                .filter(kleer_employees::connection_id.eq(cid.0))
                .filter(kleer_employees::personal_identity_number.eq(pin))
                .select(MirrorRow::as_select())
                .load(conn)
                .await?
        });
        Ok(rows.into_iter().map(to_mirrored).collect())
    }
}

pub(crate) fn to_mirrored(row: MirrorRow) -> Mirrored {
    let (employee, fetched_at) = row.into();
    Mirrored {
        employee,
        fetched_at: fetched_at.and_utc(),
    }
}

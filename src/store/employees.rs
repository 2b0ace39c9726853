//! HR employees: insert, update, lookups by id, and the filtered, keyset-paged listing behind
//! the Export view and the `employees` query.

use super::schema::{employees, links};
use super::{Store, StoreError, StoreResult, db_run, now};
use crate::model::{
    Address, ConnectionId, Employee, EmployeeData, EmployeeId, PersonalIdentityNumber, email_key,
};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

#[derive(Queryable, Selectable)]
#[diesel(table_name = employees)]
pub(crate) struct EmployeeRow {
    pub(crate) id: i64,
    first_name: String,
    last_name: String,
    personal_identity_number: Option<String>,
    private_email: Option<String>,
    work_email: Option<String>,
    private_phone: Option<String>,
    employee_number: Option<String>,
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
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = employees, treat_none_as_null = true)]
pub(crate) struct EmployeeForm<'a> {
    first_name: &'a str,
    last_name: &'a str,
    personal_identity_number: Option<&'a str>,
    private_email: Option<&'a str>,
    work_email: Option<&'a str>,
    private_email_key: Option<String>,
    work_email_key: Option<String>,
    private_phone: Option<&'a str>,
    employee_number: Option<&'a str>,
    street: Option<&'a str>,
    zip_code: Option<&'a str>,
    city: Option<&'a str>,
    country_code: Option<&'a str>,
    tax_table: Option<i32>,
    tax_column: Option<i32>,
    clearing_number: Option<&'a str>,
    bank_account_number: Option<&'a str>,
    start_date: Option<NaiveDate>,
    end_date: Option<NaiveDate>,
    monthly_salary: Option<i64>,
    sort_key: String,
    search_text: String,
    updated_at: NaiveDateTime,
}

impl<'a> EmployeeForm<'a> {
    pub(crate) fn new(d: &'a EmployeeData) -> Self {
        EmployeeForm {
            first_name: &d.first_name,
            last_name: &d.last_name,
            personal_identity_number: d.personal_identity_number.as_ref().map(|p| p.as_str()),
            private_email: d.private_email.as_deref(),
            work_email: d.work_email.as_deref(),
            private_email_key: d.private_email.as_deref().map(email_key),
            work_email_key: d.work_email.as_deref().map(email_key),
            private_phone: d.private_phone.as_deref(),
            employee_number: d.employee_number.as_deref(),
            street: d.home_address.street.as_deref(),
            zip_code: d.home_address.zip_code.as_deref(),
            city: d.home_address.city.as_deref(),
            country_code: d.home_address.country_code.as_deref(),
            tax_table: d.tax_table,
            tax_column: d.tax_column,
            clearing_number: d.clearing_number.as_deref(),
            bank_account_number: d.bank_account_number.as_deref(),
            start_date: d.start_date,
            end_date: d.end_date,
            monthly_salary: d.monthly_salary,
            sort_key: sort_key(&d.first_name, &d.last_name),
            search_text: search_text(&[
                Some(&format!("{} {}", d.first_name, d.last_name)),
                d.personal_identity_number.as_ref().map(|p| p.as_str()),
                d.private_email.as_deref(),
                d.work_email.as_deref(),
                d.employee_number.as_deref(),
            ]),
            updated_at: now(),
        }
    }
}

/// Alphabetical by last name, then first name, the same on both backends (PostgreSQL compares
/// this column with the "C" collation, SQLite compares bytes).
pub(crate) fn sort_key(first: &str, last: &str) -> String {
    format!(
        "{}\u{1}{}",
        last.trim().to_lowercase(),
        first.trim().to_lowercase()
    )
}

/// One lower-cased haystack per row, so a case-insensitive search is a plain LIKE on both
/// backends. Personal identity numbers are also kept without their hyphen.
pub(crate) fn search_text(parts: &[Option<&str>]) -> String {
    let mut text = String::new();
    for part in parts.iter().flatten() {
        text.push_str(&part.to_lowercase());
        text.push('\u{1}');
        if part.len() == 13 && part.as_bytes()[8] == b'-' {
            text.push_str(&part.replace('-', ""));
            text.push('\u{1}');
        }
    }
    text
}

/// `LIKE` pattern for a search term, with the wildcard characters of the term escaped.
pub(crate) fn like_pattern(term: &str) -> Option<String> {
    let term = term.trim().to_lowercase();
    if term.is_empty() {
        return None;
    }
    let escaped = term
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    Some(format!("%{escaped}%"))
}

impl TryFrom<EmployeeRow> for Employee {
    type Error = StoreError;

    fn try_from(r: EmployeeRow) -> StoreResult<Self> {
        let personal_identity_number = r
            .personal_identity_number
            .map(|p| {
                PersonalIdentityNumber::parse(&p)
                    .map_err(|e| StoreError::Corrupt(format!("employee {}: {e}", r.id)))
            })
            .transpose()?;
        Ok(Employee {
            id: EmployeeId(r.id),
            data: EmployeeData {
                first_name: r.first_name,
                last_name: r.last_name,
                personal_identity_number,
                private_email: r.private_email,
                work_email: r.work_email,
                private_phone: r.private_phone,
                employee_number: r.employee_number,
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
            },
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        })
    }
}

pub(crate) fn convert(rows: Vec<EmployeeRow>) -> StoreResult<Vec<Employee>> {
    rows.into_iter().map(Employee::try_from).collect()
}

/// Which employees a listing covers, relative to one connection's links.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmployeeLinkFilter {
    Any,
    Linked(ConnectionId),
    Unlinked(ConnectionId),
}

#[derive(Clone, Debug)]
pub struct EmployeeFilter {
    pub search: Option<String>,
    pub link: EmployeeLinkFilter,
}

macro_rules! filtered_employees {
    ($filter:expr) => {{
        let filter: &EmployeeFilter = $filter;
        let mut query = employees::table.into_boxed();
        if let Some(pattern) = filter.search.as_deref().and_then(like_pattern) {
            query = query.filter(employees::search_text.like(pattern).escape('\\'));
        }
        match filter.link {
            EmployeeLinkFilter::Any => {}
            EmployeeLinkFilter::Linked(cid) => {
                query = query.filter(exists(
                    links::table
                        .filter(links::connection_id.eq(cid.0))
                        .filter(links::employee_id.eq(employees::id)),
                ))
            }
            EmployeeLinkFilter::Unlinked(cid) => {
                query = query.filter(not(exists(
                    links::table
                        .filter(links::connection_id.eq(cid.0))
                        .filter(links::employee_id.eq(employees::id)),
                )))
            }
        }
        query
    }};
}

/// Keyset position: the sort key and id of the last row of the previous page.
pub type EmployeeCursor = (String, EmployeeId);

impl Store {
    pub async fn insert_employee(&self, data: &EmployeeData) -> StoreResult<Employee> {
        let form = EmployeeForm::new(data);
        let created = now();
        let row: EmployeeRow = db_run!(self, |conn| {
            diesel::insert_into(employees::table)
                .values((&form, employees::created_at.eq(created)))
                .returning(EmployeeRow::as_returning())
                .get_result(conn)
                .await?
        });
        row.try_into()
    }

    /// Replaces every field of the employee; `None` when the id is unknown.
    pub async fn update_employee(
        &self,
        id: EmployeeId,
        data: &EmployeeData,
    ) -> StoreResult<Option<Employee>> {
        let form = EmployeeForm::new(data);
        let row: Option<EmployeeRow> = db_run!(self, |conn| {
            diesel::update(employees::table.find(id.0))
                .set(&form)
                .returning(EmployeeRow::as_returning())
                .get_result(conn)
                .await
                .optional()?
        });
        row.map(Employee::try_from).transpose()
    }

    pub async fn employee(&self, id: EmployeeId) -> StoreResult<Option<Employee>> {
        Ok(self.employees_by_ids(&[id]).await?.into_iter().next())
    }

    pub async fn employees_by_ids(&self, ids: &[EmployeeId]) -> StoreResult<Vec<Employee>> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        let rows: Vec<EmployeeRow> = db_run!(self, |conn| {
            employees::table
                .filter(employees::id.eq_any(&ids))
                .select(EmployeeRow::as_select())
                .load(conn)
                .await?
        });
        convert(rows)
    }

    /// The employee that already holds this personal identity number, if any.
    pub async fn employee_by_pin(
        &self,
        pin: &PersonalIdentityNumber,
    ) -> StoreResult<Option<Employee>> {
        let row: Option<EmployeeRow> = db_run!(self, |conn| {
            employees::table
                .filter(employees::personal_identity_number.eq(pin.as_str()))
                .select(EmployeeRow::as_select())
                .first(conn)
                .await
                .optional()?
        });
        row.map(Employee::try_from).transpose()
    }

    pub async fn employee_page(
        &self,
        filter: &EmployeeFilter,
        after: Option<&EmployeeCursor>,
        limit: usize,
    ) -> StoreResult<Vec<Employee>> {
        Ok(self
            .employee_page_counted(filter, after, limit, false)
            .await?
            .0)
    }

    /// A page and, asked `with_total`, the size of the whole list in the same statement (an
    /// uncorrelated count the database runs once); `None` for an empty page after the first.
    pub async fn employee_page_counted(
        &self,
        filter: &EmployeeFilter,
        after: Option<&EmployeeCursor>,
        limit: usize,
        with_total: bool,
    ) -> StoreResult<(Vec<Employee>, Option<i64>)> {
        let limit = limit as i64;
        let (rows, total): (Vec<EmployeeRow>, Option<i64>) = db_run!(self, |conn| {
            let mut query = filtered_employees!(filter);
            if let Some((key, id)) = after {
                query = query.filter(
                    employees::sort_key.gt(key.clone()).or(employees::sort_key
                        .eq(key.clone())
                        .and(employees::id.gt(id.0))),
                );
            }
            let query = query
                .order((employees::sort_key.asc(), employees::id.asc()))
                .limit(limit);
            if with_total {
                let counted: Vec<(EmployeeRow, Option<i64>)> = query
                    .select((
                        EmployeeRow::as_select(),
                        filtered_employees!(filter).count().single_value(),
                    ))
                    .load(conn)
                    .await?;
                let total = <[_]>::first(&counted)
                    .and_then(|(_, n)| *n)
                    .or(after.is_none().then_some(0));
                (counted.into_iter().map(|(row, _)| row).collect(), total)
            } else {
                (
                    query.select(EmployeeRow::as_select()).load(conn).await?,
                    None,
                )
            }
        });
        Ok((convert(rows)?, total))
    }

    pub async fn employee_count(&self, filter: &EmployeeFilter) -> StoreResult<i64> {
        Ok(db_run!(self, |conn| filtered_employees!(filter)
            .count()
            .get_result(conn)
            .await?))
    }
}

/// The keyset cursor of an employee, matching the order of `employee_page`.
pub fn employee_cursor(e: &Employee) -> EmployeeCursor {
    (sort_key(&e.data.first_name, &e.data.last_name), e.id)
}

//! Kleer connections: one row per connected Kleer company.

use super::schema::kleer_connections;
use super::{Store, StoreResult, db_run, now};
use crate::model::ConnectionId;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

#[derive(Clone, PartialEq, Eq)]
pub struct ConnectionRecord {
    pub id: ConnectionId,
    pub label: String,
    pub base_url: String,
    pub company_id: String,
    pub token: String,
    pub use_work_email: bool,
    pub is_demo: bool,
    pub mirror_refreshed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

// The token stays out of every Debug print, so it cannot reach a log by accident.
impl std::fmt::Debug for ConnectionRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionRecord")
            .field("id", &self.id)
            .field("label", &self.label)
            .field("base_url", &self.base_url)
            .field("company_id", &self.company_id)
            .field("use_work_email", &self.use_work_email)
            .field("is_demo", &self.is_demo)
            .finish_non_exhaustive()
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = kleer_connections)]
struct ConnectionRow {
    id: i64,
    label: String,
    base_url: String,
    company_id: String,
    token: String,
    use_work_email: bool,
    is_demo: bool,
    mirror_refreshed_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
}

impl From<ConnectionRow> for ConnectionRecord {
    fn from(r: ConnectionRow) -> Self {
        ConnectionRecord {
            id: ConnectionId(r.id),
            label: r.label,
            base_url: r.base_url,
            company_id: r.company_id,
            token: r.token,
            use_work_email: r.use_work_email,
            is_demo: r.is_demo,
            mirror_refreshed_at: r.mirror_refreshed_at.map(|t| t.and_utc()),
            created_at: r.created_at.and_utc(),
        }
    }
}

#[derive(Clone)]
pub struct NewConnection {
    pub label: String,
    pub base_url: String,
    pub company_id: String,
    pub token: String,
    pub use_work_email: bool,
    pub is_demo: bool,
}

/// A connection as written: the token sealed.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = kleer_connections)]
struct ConnectionForm<'a> {
    label: &'a str,
    base_url: &'a str,
    company_id: &'a str,
    token: String,
    use_work_email: bool,
    is_demo: bool,
}

impl Store {
    fn connection_form<'a>(&self, new: &'a NewConnection) -> StoreResult<ConnectionForm<'a>> {
        Ok(ConnectionForm {
            label: &new.label,
            base_url: &new.base_url,
            company_id: &new.company_id,
            token: self.secrets()?.seal(&new.token),
            use_work_email: new.use_work_email,
            is_demo: new.is_demo,
        })
    }

    fn record(&self, row: ConnectionRow) -> StoreResult<ConnectionRecord> {
        let token = self.secrets()?.open(&row.token)?;
        Ok(ConnectionRecord {
            token,
            ..row.into()
        })
    }

    fn records(&self, rows: Vec<ConnectionRow>) -> StoreResult<Vec<ConnectionRecord>> {
        rows.into_iter().map(|r| self.record(r)).collect()
    }
}

impl Store {
    pub async fn insert_connection(&self, new: &NewConnection) -> StoreResult<ConnectionRecord> {
        let at = now();
        let new = &self.connection_form(new)?;
        let row: ConnectionRow = db_run!(self, |conn| {
            diesel::insert_into(kleer_connections::table)
                .values((
                    new,
                    kleer_connections::created_at.eq(at),
                    kleer_connections::updated_at.eq(at),
                ))
                .returning(ConnectionRow::as_returning())
                .get_result(conn)
                .await?
        });
        self.record(row)
    }

    /// Replaces the settings of a connection; `None` when the id is unknown.
    pub async fn update_connection(
        &self,
        id: ConnectionId,
        values: &NewConnection,
    ) -> StoreResult<Option<ConnectionRecord>> {
        let values = &self.connection_form(values)?;
        let row: Option<ConnectionRow> = db_run!(self, |conn| {
            diesel::update(kleer_connections::table.find(id.0))
                .set((values, kleer_connections::updated_at.eq(now())))
                .returning(ConnectionRow::as_returning())
                .get_result(conn)
                .await
                .optional()?
        });
        row.map(|r| self.record(r)).transpose()
    }

    pub async fn connection(&self, id: ConnectionId) -> StoreResult<Option<ConnectionRecord>> {
        Ok(self.connections_by_ids(&[id]).await?.into_iter().next())
    }

    pub async fn connections_by_ids(
        &self,
        ids: &[ConnectionId],
    ) -> StoreResult<Vec<ConnectionRecord>> {
        let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
        let rows: Vec<ConnectionRow> = db_run!(self, |conn| {
            kleer_connections::table
                .filter(kleer_connections::id.eq_any(&ids))
                .select(ConnectionRow::as_select())
                .load(conn)
                .await?
        });
        self.records(rows)
    }

    /// At most `limit` connections, oldest first.
    pub async fn connections(&self, limit: usize) -> StoreResult<Vec<ConnectionRecord>> {
        let rows: Vec<ConnectionRow> = db_run!(self, |conn| {
            kleer_connections::table
                .order(kleer_connections::id.asc())
                .limit(limit as i64)
                .select(ConnectionRow::as_select())
                .load(conn)
                .await?
        });
        self.records(rows)
    }

    pub async fn connection_by_target(
        &self,
        base_url: &str,
        company_id: &str,
    ) -> StoreResult<Option<ConnectionRecord>> {
        let row: Option<ConnectionRow> = db_run!(self, |conn| {
            kleer_connections::table
                .filter(kleer_connections::base_url.eq(base_url))
                .filter(kleer_connections::company_id.eq(company_id))
                .select(ConnectionRow::as_select())
                .first(conn)
                .await
                .optional()?
        });
        row.map(|r| self.record(r)).transpose()
    }

    pub async fn demo_connection(&self) -> StoreResult<Option<ConnectionRecord>> {
        let row: Option<ConnectionRow> = db_run!(self, |conn| {
            kleer_connections::table
                .filter(kleer_connections::is_demo.eq(true))
                .select(ConnectionRow::as_select())
                .first(conn)
                .await
                .optional()?
        });
        row.map(|r| self.record(r)).transpose()
    }
}

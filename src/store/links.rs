//! Links between HR employees and Kleer users, unique in both directions per connection (the
//! table's primary key and unique constraint enforce it, whatever the callers do).

use super::mirror::{MirrorForm, upsert_mirror_row};
use super::schema::{kleer_employees, links};
use super::{Store, StoreResult, db_run, now};
use crate::model::{ConnectionId, EmployeeId, KleerEmployee, KleerUserId, Link};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};

type LinkRow = (i64, i64, i64);

fn to_link(row: LinkRow) -> Link {
    Link {
        connection_id: ConnectionId(row.0),
        employee_id: EmployeeId(row.1),
        kleer_user_id: KleerUserId(row.2),
    }
}

/// Which end of a link a lookup starts from.
#[derive(Clone, Copy)]
enum LinkEnd {
    Employee,
    KleerUser,
}

impl Store {
    pub async fn links_for_employees(
        &self,
        cid: ConnectionId,
        ids: &[EmployeeId],
    ) -> StoreResult<Vec<Link>> {
        self.links_by(cid, LinkEnd::Employee, ids.iter().map(|id| id.0).collect())
            .await
    }

    pub async fn links_for_kleer_users(
        &self,
        cid: ConnectionId,
        ids: &[KleerUserId],
    ) -> StoreResult<Vec<Link>> {
        self.links_by(cid, LinkEnd::KleerUser, ids.iter().map(|id| id.0).collect())
            .await
    }

    /// The links of a connection whose employee (or Kleer user) is one of `ids`.
    async fn links_by(
        &self,
        cid: ConnectionId,
        end: LinkEnd,
        ids: Vec<i64>,
    ) -> StoreResult<Vec<Link>> {
        let rows: Vec<LinkRow> = db_run!(self, |conn| {
            let query = links::table
                .filter(links::connection_id.eq(cid.0))
                .into_boxed();
            let query = match end {
                LinkEnd::Employee => query.filter(links::employee_id.eq_any(&ids)),
                LinkEnd::KleerUser => query.filter(links::kleer_user_id.eq_any(&ids)),
            };
            query
                .select((
                    links::connection_id,
                    links::employee_id,
                    links::kleer_user_id,
                ))
                .load(conn)
                .await?
        });
        Ok(rows.into_iter().map(to_link).collect())
    }

    /// Stores a new link together with the Kleer side as just written, in one transaction. A
    /// unique violation means the employee or the Kleer user is linked already.
    pub async fn insert_link_with_mirror(
        &self,
        link: Link,
        kleer: &KleerEmployee,
    ) -> StoreResult<()> {
        let form = MirrorForm::new(link.connection_id, kleer, now());
        db_run!(self, |conn| {
            conn.transaction(async move |tx| {
                diesel::insert_into(links::table)
                    .values((
                        links::connection_id.eq(link.connection_id.0),
                        links::employee_id.eq(link.employee_id.0),
                        links::kleer_user_id.eq(link.kleer_user_id.0),
                        links::created_at.eq(now()),
                    ))
                    .execute(tx)
                    .await?;
                upsert_mirror_row!(tx, form);
                Ok::<_, diesel::result::Error>(())
            })
            .await?
        });
        Ok(())
    }

    /// Links whose Kleer user is not in the mirror: Kleer no longer has it.
    pub async fn dangling_links(&self, cid: ConnectionId) -> StoreResult<Vec<Link>> {
        let rows: Vec<LinkRow> = db_run!(self, |conn| {
            links::table
                .left_join(
                    kleer_employees::table.on(kleer_employees::connection_id
                        .eq(links::connection_id)
                        .and(kleer_employees::kleer_user_id.eq(links::kleer_user_id))),
                )
                .filter(links::connection_id.eq(cid.0))
                .filter(kleer_employees::kleer_user_id.nullable().is_null())
                .select((
                    links::connection_id,
                    links::employee_id,
                    links::kleer_user_id,
                ))
                .load(conn)
                .await?
        });
        Ok(rows.into_iter().map(to_link).collect())
    }

    /// Removes the link of an employee; false when there was none.
    pub async fn delete_link(&self, cid: ConnectionId, employee: EmployeeId) -> StoreResult<bool> {
        let deleted = db_run!(self, |conn| {
            diesel::delete(
                links::table
                    .filter(links::connection_id.eq(cid.0))
                    .filter(links::employee_id.eq(employee.0)),
            )
            .execute(conn)
            .await?
        });
        Ok(deleted > 0)
    }
}

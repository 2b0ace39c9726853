//! Claims on employees being exported: a row per employee in flight, taken in the database so
//! that they hold across requests and across servers sharing one PostgreSQL. A claim expires
//! unless its holder extends it, so a server that died mid-export does not block the employee
//! for ever.

use super::schema::export_claims;
use super::{Store, StoreResult, db_run, now};
use crate::model::{ConnectionId, EmployeeId};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use std::time::Duration;

fn expiry(lease: Duration) -> chrono::NaiveDateTime {
    now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60))
}

impl Store {
    /// Claims each employee that nobody holds (or whose claim expired); answers the ones now
    /// held by `owner`.
    pub async fn claim_exports(
        &self,
        cid: ConnectionId,
        employees: &[EmployeeId],
        owner: &str,
        lease: Duration,
    ) -> StoreResult<Vec<EmployeeId>> {
        // `filter` on an upsert is the WHERE of its DO UPDATE: take over expired claims only.
        use diesel::query_dsl::methods::FilterDsl;
        let expires = expiry(lease);
        let mut claimed = Vec::with_capacity(employees.len());
        db_run!(self, |conn| {
            for eid in employees {
                let taken = diesel::insert_into(export_claims::table)
                    .values((
                        export_claims::connection_id.eq(cid.0),
                        export_claims::employee_id.eq(eid.0),
                        export_claims::owner.eq(owner),
                        export_claims::expires_at.eq(expires),
                    ))
                    .on_conflict((export_claims::connection_id, export_claims::employee_id))
                    .do_update()
                    .set((
                        export_claims::owner.eq(owner),
                        export_claims::expires_at.eq(expires),
                    ))
                    .filter(export_claims::expires_at.lt(now()))
                    .execute(&mut *conn)
                    .await?;
                if taken == 1 {
                    claimed.push(*eid);
                }
            }
        });
        Ok(claimed)
    }

    /// Pushes the expiry of `owner`'s claims forward while the work goes on.
    pub async fn extend_claims(
        &self,
        cid: ConnectionId,
        owner: &str,
        lease: Duration,
    ) -> StoreResult<()> {
        db_run!(self, |conn| {
            diesel::update(
                export_claims::table
                    .filter(export_claims::connection_id.eq(cid.0))
                    .filter(export_claims::owner.eq(owner)),
            )
            .set(export_claims::expires_at.eq(expiry(lease)))
            .execute(conn)
            .await?
        });
        Ok(())
    }

    pub async fn release_claims(
        &self,
        cid: ConnectionId,
        employees: &[EmployeeId],
        owner: &str,
    ) -> StoreResult<()> {
        let ids: Vec<i64> = employees.iter().map(|e| e.0).collect();
        db_run!(self, |conn| {
            diesel::delete(
                export_claims::table
                    .filter(export_claims::connection_id.eq(cid.0))
                    .filter(export_claims::owner.eq(owner))
                    .filter(export_claims::employee_id.eq_any(&ids)),
            )
            .execute(conn)
            .await?
        });
        Ok(())
    }
}

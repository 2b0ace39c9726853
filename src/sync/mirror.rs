//! The local mirror of Kleer: read whole (two list calls, not one per employee) on demand and
//! whenever it is older than the configured age.

use super::Service;
use super::error::SyncError;
use crate::kleer::mapping;
use crate::model::{KleerUserId, Link};
use crate::store::ConnectionRecord;

#[derive(Clone, Debug)]
pub struct RefreshReport {
    pub employees: usize,
    /// Kleer users that were mirrored before and are gone from Kleer now.
    pub removed: Vec<KleerUserId>,
    /// Every link whose Kleer user Kleer no longer has (removed now or earlier): reported on
    /// every refresh until someone unlinks or re-exports the employee, never silently dropped.
    pub dangling_links: Vec<Link>,
}

impl Service {
    pub async fn refresh_mirror(
        &self,
        connection: &ConnectionRecord,
    ) -> Result<RefreshReport, SyncError> {
        let client = self.client(connection)?;
        let (users, payroll) = tokio::try_join!(client.list_users(), client.list_payroll_users())?;
        let employees = mapping::kleer_employees(users, payroll);
        let removed = self.store.replace_mirror(connection.id, &employees).await?;
        let dangling_links = self.store.dangling_links(connection.id).await?;
        for link in dangling_links
            .iter()
            .filter(|l| removed.contains(&l.kleer_user_id))
        {
            tracing::warn!(
                connection = %link.connection_id, employee = %link.employee_id, kleer_user = %link.kleer_user_id,
                "linked Kleer user no longer exists in Kleer"
            );
        }
        Ok(RefreshReport {
            employees: employees.len(),
            removed,
            dangling_links,
        })
    }

    /// Refreshes the mirror when it is older than the configured age. A Kleer that cannot be
    /// reached leaves the last mirror in place: a slightly old view beats no view.
    pub async fn ensure_fresh_mirror(
        &self,
        connection: &ConnectionRecord,
    ) -> Result<(), SyncError> {
        if self.is_fresh(connection) {
            return Ok(());
        }
        let _one_at_a_time = self.refresh_lock.lock().await;
        // Another request may have refreshed while this one waited.
        let current = self
            .store
            .connection(connection.id)
            .await?
            .ok_or(SyncError::ConnectionNotFound)?;
        if self.is_fresh(&current) {
            return Ok(());
        }
        match self.refresh_mirror(&current).await {
            Ok(_) => Ok(()),
            Err(SyncError::Kleer(e)) if current.mirror_refreshed_at.is_some() => {
                tracing::warn!(connection = %current.id, error = %e, "Kleer unreachable; answering from the last mirror");
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn is_fresh(&self, connection: &ConnectionRecord) -> bool {
        let max_age = chrono::Duration::from_std(self.settings.mirror_max_age)
            .unwrap_or(chrono::Duration::MAX);
        connection
            .mirror_refreshed_at
            .is_some_and(|at| chrono::Utc::now() - at < max_age)
    }
}

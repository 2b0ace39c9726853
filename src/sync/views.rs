//! The tabs: which rows each one holds, in which order, and how a page of them is cut.

use super::{Service, SyncError};
use crate::model::Employee;
use crate::store::{ConnectionRecord, EmployeeFilter, EmployeeLinkFilter};

pub use crate::store::EmployeeCursor;

pub const DEFAULT_PAGE_SIZE: usize = 50;
pub const MAX_PAGE_SIZE: usize = 100;
/// Longest search term, in characters: ample for a name or an email, and far below what a
/// database accepts in a LIKE pattern (SQLite refuses 50,000 bytes).
pub const MAX_SEARCH_LENGTH: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportTab {
    /// HR employees with no link on the connection.
    Alexis,
    Linked,
    All,
}

/// One page of rows and whether more follow.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub has_next_page: bool,
    /// Rows in the whole list, when it came with the page.
    pub total: Option<i64>,
}

impl<T> Page<T> {
    /// Cuts a page from `limit + 1` rows read: the extra row only says that more follow.
    pub fn cut(mut rows: Vec<T>, limit: usize) -> Self {
        let has_next_page = rows.len() > limit;
        rows.truncate(limit);
        Page {
            rows,
            has_next_page,
            total: None,
        }
    }
}

pub fn export_filter(
    connection: &ConnectionRecord,
    tab: ExportTab,
    search: Option<String>,
) -> EmployeeFilter {
    let link = match tab {
        ExportTab::Alexis => EmployeeLinkFilter::Unlinked(connection.id),
        ExportTab::Linked => EmployeeLinkFilter::Linked(connection.id),
        ExportTab::All => EmployeeLinkFilter::Any,
    };
    EmployeeFilter { search, link }
}

impl Service {
    /// A page of the Export view; the Kleer side of each row is read separately, in one batch.
    pub async fn export_page(
        &self,
        connection: &ConnectionRecord,
        filter: &EmployeeFilter,
        after: Option<&EmployeeCursor>,
        first: usize,
        with_total: bool,
    ) -> Result<Page<Employee>, SyncError> {
        // The rows are HR's; without Kleer they still show, with the Kleer side as last seen.
        match self.ensure_fresh_mirror(connection).await {
            Err(SyncError::Kleer(e)) => {
                tracing::warn!(connection = %connection.id, error = %e, "Kleer unreachable")
            }
            other => other?,
        }
        let (rows, total) = self
            .store
            .employee_page_counted(filter, after, first + 1, with_total)
            .await?;
        Ok(Page {
            total,
            ..Page::cut(rows, first)
        })
    }

    pub async fn employee_list(
        &self,
        filter: &EmployeeFilter,
        after: Option<&EmployeeCursor>,
        first: usize,
    ) -> Result<Page<Employee>, SyncError> {
        let rows = self.store.employee_page(filter, after, first + 1).await?;
        Ok(Page::cut(rows, first))
    }
}

//! The Export view: one row per HR employee, with its Kleer side and what an export would write.

use super::employee::Employee;
use super::ids::NodeId;
use super::kleer::{FieldChange, KleerEmployee};
use super::loaders::{KleerSide, load_error};
use crate::store::ConnectionRecord;
use crate::sync::fields::export_changes;
use async_graphql::{Context, Enum, ID, Object, Result};
use std::sync::Arc;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::sync::views::ExportTab")]
pub enum ExportTab {
    /// HR employees not linked to Kleer.
    Alexis,
    /// HR employees linked to a Kleer employee.
    Linked,
    /// Both.
    All,
}

/// One HR employee in the Export view of a connection.
#[derive(Clone)]
pub struct ExportRow {
    pub employee: crate::model::Employee,
    pub connection: Arc<ConnectionRecord>,
    /// The Kleer side when the whole page's was loaded up front (None: look it up).
    preloaded: Option<Option<KleerSide>>,
}

impl ExportRow {
    pub fn new(employee: crate::model::Employee, connection: Arc<ConnectionRecord>) -> Self {
        ExportRow {
            employee,
            connection,
            preloaded: None,
        }
    }

    async fn kleer_side(&self, ctx: &Context<'_>) -> Result<Option<KleerSide>> {
        if let Some(side) = &self.preloaded {
            return Ok(side.clone());
        }
        let key = (self.connection.id, self.employee.id);
        super::loaders(ctx)
            .kleer_side
            .load_one(key)
            .await
            .map_err(load_error)
    }
}

/// Rows of one page with the Kleer side of all of them read in one batch: one statement
/// whatever the page size, however long resolving the rows' other fields takes.
pub async fn page_rows(
    ctx: &Context<'_>,
    employees: Vec<crate::model::Employee>,
    connection: &Arc<ConnectionRecord>,
) -> Result<Vec<ExportRow>> {
    let keys = employees.iter().map(|e| (connection.id, e.id));
    let mut sides = super::loaders(ctx)
        .kleer_side
        .load_many(keys)
        .await
        .map_err(load_error)?;
    Ok(employees
        .into_iter()
        .map(|employee| {
            let side = sides.remove(&(connection.id, employee.id));
            ExportRow {
                employee,
                connection: connection.clone(),
                preloaded: Some(side),
            }
        })
        .collect())
}

#[Object]
impl ExportRow {
    /// The employee's id.
    async fn id(&self) -> ID {
        NodeId::Employee(self.employee.id).encode()
    }
    async fn employee(&self) -> Employee {
        Employee(self.employee.clone())
    }
    async fn linked(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.kleer_side(ctx).await?.is_some())
    }
    /// The linked Kleer employee; null when unlinked, or when Kleer no longer has the user.
    async fn kleer_employee(&self, ctx: &Context<'_>) -> Result<Option<KleerEmployee>> {
        let side = self.kleer_side(ctx).await?;
        Ok(side.and_then(|s| s.mirrored).map(|mirrored| KleerEmployee {
            connection_id: self.connection.id,
            mirrored,
        }))
    }
    /// Every mapped field, HR beside Kleer; `changes` marks what an export would write.
    async fn affected_fields(&self, ctx: &Context<'_>) -> Result<Vec<FieldChange>> {
        let side = self.kleer_side(ctx).await?;
        let kleer = side
            .as_ref()
            .and_then(|s| s.mirrored.as_ref())
            .map(|m| &m.employee);
        let changes = export_changes(&self.employee.data, kleer, self.connection.use_work_email);
        Ok(changes.into_iter().map(Into::into).collect())
    }
}

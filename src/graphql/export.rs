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
}

impl ExportRow {
    async fn kleer_side(&self, ctx: &Context<'_>) -> Result<Option<KleerSide>> {
        let key = (self.connection.id, self.employee.id);
        super::loaders(ctx)
            .kleer_side
            .load_one(key)
            .await
            .map_err(load_error)
    }
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

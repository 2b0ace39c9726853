//! Mutations: each takes one `input` and returns a payload.

use super::batch::{
    EmployeeRowResult, ExportEmployeesInput, ExportEmployeesPayload, UnlinkEmployeesInput,
    UnlinkEmployeesPayload, connection_node, requested_employees,
};
use super::employee::{
    CreateEmployeeInput, CreateEmployeePayload, Employee, UpdateEmployeeInput,
    UpdateEmployeePayload, not_found, user_errors,
};
use super::errors::ApiResult;
use super::guard::RoleGuard;
use super::ids;
use super::import::{
    ImportEmployeesInput, ImportEmployeesPayload, ImportRow, MatchEmployeesInput,
    MatchEmployeesPayload, RefreshKleerEmployeesInput, RefreshKleerEmployeesPayload,
    SetImportActionInput, SetImportActionPayload, requested_kleer, requested_pairs,
};
use super::kleer::{
    CreateKleerConnectionInput, KleerConnection, KleerConnectionPayload, UpdateKleerConnectionInput,
};
use super::service;
use crate::access::Role;
use crate::model::KleerUserId;
use crate::sync::connections::ConnectionInput;
use async_graphql::{Context, Object, Result};
use std::collections::HashMap;
use std::sync::Arc;

pub struct MutationRoot;

#[Object(name = "Mutation")]
impl MutationRoot {
    /// Creates (or finds again by our id) the Kleer user and payroll agreement of each unlinked
    /// employee and links it; writes the HR values of each linked one to Kleer.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn export_employees(
        &self,
        ctx: &Context<'_>,
        input: ExportEmployeesInput,
    ) -> Result<ExportEmployeesPayload> {
        let service = service(ctx);
        let connection = connection_of(service, &input.connection_id).await?;
        let report = service
            .export_employees(&connection, requested_employees(input.employee_ids))
            .await
            .api()?;
        Ok(ExportEmployeesPayload::new(report, |row| {
            EmployeeRowResult::new(row, &connection)
        }))
    }

    /// Removes the links of the employees. Kleer is not touched.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn unlink_employees(
        &self,
        ctx: &Context<'_>,
        input: UnlinkEmployeesInput,
    ) -> Result<UnlinkEmployeesPayload> {
        let service = service(ctx);
        let connection = connection_of(service, &input.connection_id).await?;
        let report = service
            .unlink_employees(&connection, requested_employees(input.employee_ids))
            .await
            .api()?;
        Ok(UnlinkEmployeesPayload::new(report, |row| {
            EmployeeRowResult::new(row, &connection)
        }))
    }

    /// Pairs Kleer employees with HR employees chosen by hand (the Match button); each pair's
    /// action becomes MATCH_MANUALLY.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn match_employees(
        &self,
        ctx: &Context<'_>,
        input: MatchEmployeesInput,
    ) -> Result<MatchEmployeesPayload> {
        let service = service(ctx);
        let connection = connection_of(service, &input.connection_id).await?;
        let pairs = requested_pairs(input.matches, connection.id);
        let report = service.match_employees(&connection, pairs).await.api()?;
        let mut rows = rows_after(ctx, &connection, &report).await?;
        Ok(MatchEmployeesPayload::new(report, &mut rows))
    }

    /// Sets the action to be performed on rows of the Import view (the Create, Prefer Alexis,
    /// Prefer Kleer and Do nothing buttons).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn set_import_action(
        &self,
        ctx: &Context<'_>,
        input: SetImportActionInput,
    ) -> Result<SetImportActionPayload> {
        let service = service(ctx);
        let connection = connection_of(service, &input.connection_id).await?;
        let ids = requested_kleer(input.kleer_employee_ids, connection.id);
        let report = service
            .set_import_action(&connection, ids, input.action.into())
            .await
            .api()?;
        let mut rows = rows_after(ctx, &connection, &report).await?;
        Ok(SetImportActionPayload::new(report, &mut rows))
    }

    /// Carries out each row's action. Rows end linked; nothing is written to Kleer.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn import_employees(
        &self,
        ctx: &Context<'_>,
        input: ImportEmployeesInput,
    ) -> Result<ImportEmployeesPayload> {
        let service = service(ctx);
        let connection = connection_of(service, &input.connection_id).await?;
        let ids = requested_kleer(input.kleer_employee_ids, connection.id);
        let report = service.import_employees(&connection, ids).await.api()?;
        let mut rows = rows_after(ctx, &connection, &report).await?;
        Ok(ImportEmployeesPayload::new(report, &mut rows))
    }

    /// Reads every Kleer employee of the connection again (two calls to Kleer).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn refresh_kleer_employees(
        &self,
        ctx: &Context<'_>,
        input: RefreshKleerEmployeesInput,
    ) -> Result<RefreshKleerEmployeesPayload> {
        let service = service(ctx);
        let connection_id = connection_node(&input.connection_id)?;
        let (report, batch) = service.refresh_kleer_employees(connection_id).await.api()?;
        let dangling: Vec<_> = report
            .dangling_links
            .iter()
            .map(|l| l.employee_id)
            .collect();
        let employees = service.store().employees_by_ids(&dangling).await.api()?;
        Ok(RefreshKleerEmployeesPayload {
            kleer_employee_count: report.employees as i32,
            removed_kleer_user_ids: report.removed.iter().map(|k| k.0).collect(),
            dangling_links: employees.into_iter().map(Employee).collect(),
            run: super::runs::SyncRun(batch.run),
        })
    }

    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn create_employee(
        &self,
        ctx: &Context<'_>,
        input: CreateEmployeeInput,
    ) -> Result<CreateEmployeePayload> {
        Ok(
            match service(ctx).create_employee(&input.into()).await.api()? {
                Ok(employee) => CreateEmployeePayload {
                    employee: Some(Employee(employee)),
                    user_errors: vec![],
                },
                Err(errors) => CreateEmployeePayload {
                    employee: None,
                    user_errors: user_errors(errors),
                },
            },
        )
    }

    /// Changes only the fields present in `patch`.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn update_employee(
        &self,
        ctx: &Context<'_>,
        input: UpdateEmployeeInput,
    ) -> Result<UpdateEmployeePayload> {
        let Some(id) = ids::employee_id(&input.id) else {
            return Ok(UpdateEmployeePayload {
                employee: None,
                user_errors: not_found("id", "no employee has this id"),
            });
        };
        Ok(
            match service(ctx)
                .update_employee(id, &input.patch.into())
                .await
                .api()?
            {
                Ok(employee) => UpdateEmployeePayload {
                    employee: Some(Employee(employee)),
                    user_errors: vec![],
                },
                Err(errors) => UpdateEmployeePayload {
                    employee: None,
                    user_errors: user_errors(errors),
                },
            },
        )
    }

    /// Connects a Kleer company; the token is checked with Kleer before it is stored.
    #[graphql(guard = "RoleGuard(Role::Owner)")]
    async fn create_kleer_connection(
        &self,
        ctx: &Context<'_>,
        input: CreateKleerConnectionInput,
    ) -> Result<KleerConnectionPayload> {
        let input = ConnectionInput {
            label: input.label,
            base_url: Some(input.base_url),
            company_id: Some(input.company_id),
            token: Some(input.token),
            use_work_email: input.use_work_email,
        };
        Ok(connection_payload(
            service(ctx).create_connection(input).await.api()?,
        ))
    }

    /// Changes the fields given; a new address or token is checked with Kleer first.
    #[graphql(guard = "RoleGuard(Role::Owner)")]
    async fn update_kleer_connection(
        &self,
        ctx: &Context<'_>,
        input: UpdateKleerConnectionInput,
    ) -> Result<KleerConnectionPayload> {
        let Some(id) = ids::connection_id(&input.id) else {
            return Ok(KleerConnectionPayload {
                kleer_connection: None,
                user_errors: not_found("id", "no Kleer connection has this id"),
            });
        };
        let changes = ConnectionInput {
            label: input.label,
            base_url: input.base_url,
            company_id: input.company_id,
            token: input.token,
            use_work_email: input.use_work_email,
        };
        Ok(connection_payload(
            service(ctx).update_connection(id, changes).await.api()?,
        ))
    }
}

/// The connection a batch names, or the only one there is.
async fn connection_of(
    service: &crate::sync::Service,
    id: &Option<async_graphql::ID>,
) -> Result<Arc<crate::store::ConnectionRecord>> {
    Ok(Arc::new(
        service
            .resolve_connection(connection_node(id)?)
            .await
            .api()?,
    ))
}

/// The Import view rows of a batch as they stand after it, read only when the client asks.
async fn rows_after(
    ctx: &Context<'_>,
    connection: &Arc<crate::store::ConnectionRecord>,
    report: &crate::sync::outcome::BatchReport,
) -> Result<HashMap<KleerUserId, ImportRow>> {
    if !ctx.look_ahead().field("results").field("row").exists() {
        return Ok(HashMap::new());
    }
    let ids: Vec<KleerUserId> = report.rows.iter().filter_map(|r| r.kleer_user_id).collect();
    let service = service(ctx);
    let mirrored = service
        .store()
        .mirrored_by_ids(connection.id, &ids)
        .await
        .api()?;
    let rows = service.import_rows(connection, mirrored).await.api()?;
    Ok(rows
        .into_iter()
        .map(|row| {
            (
                row.kleer.employee.user_id,
                ImportRow {
                    row,
                    connection: connection.clone(),
                },
            )
        })
        .collect())
}

fn connection_payload(
    result: crate::sync::employees::Validated<crate::store::ConnectionRecord>,
) -> KleerConnectionPayload {
    match result {
        Ok(record) => KleerConnectionPayload {
            kleer_connection: Some(KleerConnection(record)),
            user_errors: vec![],
        },
        Err(errors) => KleerConnectionPayload {
            kleer_connection: None,
            user_errors: user_errors(errors),
        },
    }
}

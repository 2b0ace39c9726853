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
use super::ids;
use super::kleer::{
    CreateKleerConnectionInput, KleerConnection, KleerConnectionPayload, UpdateKleerConnectionInput,
};
use super::service;
use crate::sync::connections::ConnectionInput;
use async_graphql::{Context, Object, Result};
use std::sync::Arc;

pub struct MutationRoot;

#[Object(name = "Mutation")]
impl MutationRoot {
    /// Creates (or finds again by our id) the Kleer user and payroll agreement of each unlinked
    /// employee and links it; writes the HR values of each linked one to Kleer.
    async fn export_employees(
        &self,
        ctx: &Context<'_>,
        input: ExportEmployeesInput,
    ) -> Result<ExportEmployeesPayload> {
        let service = service(ctx);
        let connection = Arc::new(
            service
                .resolve_connection(connection_node(&input.connection_id)?)
                .await
                .api()?,
        );
        let report = service
            .export_employees(Some(connection.id), requested_employees(input.employee_ids))
            .await
            .api()?;
        Ok(ExportEmployeesPayload::new(report, |row| {
            EmployeeRowResult::new(row, &connection)
        }))
    }

    /// Removes the links of the employees. Kleer is not touched.
    async fn unlink_employees(
        &self,
        ctx: &Context<'_>,
        input: UnlinkEmployeesInput,
    ) -> Result<UnlinkEmployeesPayload> {
        let service = service(ctx);
        let connection = Arc::new(
            service
                .resolve_connection(connection_node(&input.connection_id)?)
                .await
                .api()?,
        );
        let report = service
            .unlink_employees(Some(connection.id), requested_employees(input.employee_ids))
            .await
            .api()?;
        Ok(UnlinkEmployeesPayload::new(report, |row| {
            EmployeeRowResult::new(row, &connection)
        }))
    }

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

//! Queries: the two views, employees, connections, sync runs and `node`.

use super::employee::Employee;
use super::errors::ApiResult;
use super::export::{ExportRow, ExportTab};
use super::ids::{self, NodeId};
use super::import::{ImportRow, ImportTab};
use super::kleer::{KleerConnection, KleerEmployee};
use super::loaders::load_error;
use super::paging::{
    self, EmployeeKey, EmployeeTotal, KleerKey, KleerTotal, KnownTotal, NumberKey, wants_total,
};
use super::runs::SyncRun;
use super::{Node, loaders, service};
use crate::store::{EmployeeFilter, EmployeeLinkFilter, employee_cursor, kleer_cursor};
use crate::sync::import::import_filter;
use crate::sync::views::{self, Page};
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, ID, Object, Result};
use std::sync::Arc;

pub struct QueryRoot;

fn employee_edges<T: async_graphql::OutputType>(
    page: Page<crate::model::Employee>,
    has_previous: bool,
    total: EmployeeTotal,
    node: impl Fn(crate::model::Employee) -> T,
) -> Connection<EmployeeKey, T, EmployeeTotal> {
    let mut connection =
        Connection::with_additional_fields(has_previous, page.has_next_page, total);
    connection.edges.extend(
        page.rows
            .into_iter()
            .map(|e| Edge::new(EmployeeKey(employee_cursor(&e)), node(e))),
    );
    connection
}

#[Object(name = "Query")]
impl QueryRoot {
    /// The Export view of a connection: HR employees, by last name then first name.
    async fn export_view(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "May be left out while exactly one connection exists.")]
        connection_id: Option<ID>,
        #[graphql(default_with = "ExportTab::Linked")] tab: ExportTab,
        #[graphql(
            desc = "Matches names, personal identity numbers, emails and employee numbers; at most 200 characters."
        )]
        search: Option<String>,
        #[graphql(desc = "Page size, 50 unless given, at most 100.")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<EmployeeKey, ExportRow, EmployeeTotal>> {
        let first = paging::page_size(first)?;
        let search = paging::search(search)?;
        let after: Option<EmployeeKey> = paging::decode(after)?;
        let connection_id = super::batch::connection_node(&connection_id)?;
        let service = service(ctx);
        let connection = Arc::new(service.resolve_connection(connection_id).await.api()?);
        let filter = views::export_filter(&connection, tab.into(), search);
        let page = service
            .export_page(
                &connection,
                &filter,
                after.as_ref().map(|a| &a.0),
                first,
                wants_total(ctx),
            )
            .await
            .api()?;
        let cursors: Vec<EmployeeKey> = page
            .rows
            .iter()
            .map(|e| EmployeeKey(employee_cursor(e)))
            .collect();
        let rows = super::export::page_rows(ctx, page.rows, &connection).await?;
        let mut result = Connection::with_additional_fields(
            after.is_some(),
            page.has_next_page,
            EmployeeTotal(filter, page.total),
        );
        result.edges.extend(
            cursors
                .into_iter()
                .zip(rows)
                .map(|(cursor, row)| Edge::new(cursor, row)),
        );
        Ok(result)
    }

    /// The Import view of a connection: its Kleer employees, by last name then first name.
    async fn import_view(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "May be left out while exactly one connection exists.")]
        connection_id: Option<ID>,
        #[graphql(default_with = "ImportTab::New")] tab: ImportTab,
        #[graphql(
            desc = "Matches names, personal identity numbers and emails; at most 200 characters."
        )]
        search: Option<String>,
        #[graphql(desc = "Page size, 50 unless given, at most 100.")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<KleerKey, ImportRow, KleerTotal>> {
        let first = paging::page_size(first)?;
        let search = paging::search(search)?;
        let after: Option<KleerKey> = paging::decode(after)?;
        let connection_id = super::batch::connection_node(&connection_id)?;
        let service = service(ctx);
        let connection = Arc::new(service.resolve_connection(connection_id).await.api()?);
        let filter = import_filter(&connection, tab.into(), search);
        let page = service
            .import_page(
                &connection,
                &filter,
                after.as_ref().map(|a| &a.0),
                first,
                wants_total(ctx),
            )
            .await
            .api()?;
        let mut result = Connection::with_additional_fields(
            after.is_some(),
            page.has_next_page,
            KleerTotal(filter, page.total),
        );
        result.edges.extend(page.rows.into_iter().map(|row| {
            Edge::new(
                KleerKey(kleer_cursor(&row.kleer)),
                ImportRow {
                    row,
                    connection: connection.clone(),
                },
            )
        }));
        Ok(result)
    }

    /// The HR register, by last name then first name.
    async fn employees(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Matches names, personal identity numbers, emails and employee numbers; at most 200 characters."
        )]
        search: Option<String>,
        #[graphql(desc = "Page size, 50 unless given, at most 100.")] first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<EmployeeKey, Employee, EmployeeTotal>> {
        let first = paging::page_size(first)?;
        let search = paging::search(search)?;
        let after: Option<EmployeeKey> = paging::decode(after)?;
        let filter = EmployeeFilter {
            search,
            link: EmployeeLinkFilter::Any,
        };
        let page = service(ctx)
            .employee_list(&filter, after.as_ref().map(|a| &a.0), first)
            .await
            .api()?;
        Ok(employee_edges(
            page,
            after.is_some(),
            EmployeeTotal(filter, None),
            Employee,
        ))
    }

    async fn employee(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Employee>> {
        let Some(id) = ids::employee_id(&id) else {
            return Ok(None);
        };
        Ok(loaders(ctx)
            .employees
            .load_one(id)
            .await
            .map_err(load_error)?
            .map(Employee))
    }

    /// Every connected Kleer company, oldest first.
    async fn kleer_connections(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<NumberKey, KleerConnection, KnownTotal>> {
        let first = paging::page_size(first)?;
        let after: Option<NumberKey> = paging::decode(after)?;
        // Connections are few; reading them whole keeps the paging simple and exact.
        let all = service(ctx)
            .store()
            .connections(usize::MAX >> 1)
            .await
            .api()?;
        let total = all.len() as i64;
        let rest: Vec<_> = all
            .into_iter()
            .filter(|c| after.as_ref().is_none_or(|a| c.id.0 > a.0))
            .collect();
        let has_next = rest.len() > first;
        let mut connection =
            Connection::with_additional_fields(after.is_some(), has_next, KnownTotal(total));
        connection.edges.extend(
            rest.into_iter()
                .take(first)
                .map(|c| Edge::new(NumberKey(c.id.0), KleerConnection(c))),
        );
        Ok(connection)
    }

    /// Recorded batch actions, newest first.
    async fn sync_runs(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> Result<Connection<NumberKey, SyncRun, KnownTotal>> {
        let first = paging::page_size(first)?;
        let after: Option<NumberKey> = paging::decode(after)?;
        let store = service(ctx).store();
        let mut runs = store
            .run_page(
                after.as_ref().map(|a| crate::model::SyncRunId(a.0)),
                first + 1,
            )
            .await
            .api()?;
        let total = store.run_count().await.api()?;
        let has_next = runs.len() > first;
        runs.truncate(first);
        let mut connection =
            Connection::with_additional_fields(after.is_some(), has_next, KnownTotal(total));
        connection.edges.extend(
            runs.into_iter()
                .map(|r| Edge::new(NumberKey(r.id.0), SyncRun(r))),
        );
        Ok(connection)
    }

    async fn sync_run(&self, ctx: &Context<'_>, id: ID) -> Result<Option<SyncRun>> {
        let Some(id) = ids::sync_run_id(&id) else {
            return Ok(None);
        };
        Ok(loaders(ctx)
            .runs
            .load_one(id)
            .await
            .map_err(load_error)?
            .map(SyncRun))
    }

    /// Any object by its global id; null when it names nothing.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Node>> {
        let loaders = loaders(ctx);
        let node = match NodeId::decode(&id) {
            None => None,
            Some(NodeId::Employee(id)) => loaders
                .employees
                .load_one(id)
                .await
                .map_err(load_error)?
                .map(|e| Node::Employee(Employee(e))),
            Some(NodeId::KleerEmployee(cid, kid)) => loaders
                .mirror
                .load_one((cid, kid))
                .await
                .map_err(load_error)?
                .map(|mirrored| {
                    Node::KleerEmployee(KleerEmployee {
                        connection_id: cid,
                        mirrored,
                    })
                }),
            Some(NodeId::KleerConnection(id)) => loaders
                .connections
                .load_one(id)
                .await
                .map_err(load_error)?
                .map(|c| Node::KleerConnection(KleerConnection(c))),
            Some(NodeId::SyncRun(id)) => loaders
                .runs
                .load_one(id)
                .await
                .map_err(load_error)?
                .map(|r| Node::SyncRun(SyncRun(r))),
        };
        Ok(node)
    }
}

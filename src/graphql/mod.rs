//! The GraphQL API surface. Resolvers translate arguments, call `sync`, and shape results; no
//! business rule lives here. Errors get their `extensions.code` in `errors`, once.

mod batch;
mod employee;
mod errors;
mod execution;
mod export;
mod guard;
mod ids;
mod import;
mod kleer;
mod loaders;
mod mutation;
mod paging;
mod query;
mod runs;
mod scalars;

pub use errors::{Refusal, code_of};
pub use execution::{Outcome, Prepared, execute, prepare};
pub use loaders::Loaders;

use crate::sync::Service;
use async_graphql::{Context, EmptySubscription, Interface, Schema};
use std::time::Duration;

pub type AppSchema = Schema<query::QueryRoot, mutation::MutationRoot, EmptySubscription>;

/// Limits that keep one request from taking the server down. Each refusal carries its own
/// `extensions.code`. Page sizes (at most 100) and batch sizes (at most 1,000 ids) are checked
/// where those arguments are read.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Deepest nesting of fields in an operation (`QUERY_TOO_DEEP`). Default 12: room for every
    /// query the views need, too shallow for nested lists to multiply into millions of rows.
    pub max_depth: usize,
    /// Highest complexity, one point per field requested (`QUERY_TOO_COMPLEX`). Default 20,000.
    pub max_complexity: usize,
    /// Deepest nesting of brackets in the raw document, counted before it is parsed
    /// (`QUERY_TOO_DEEP`). Default 64, the parser's own limit for selection sets.
    pub max_nesting: usize,
    /// Largest request body in bytes (`PAYLOAD_TOO_LARGE`). Default 1 MiB; a batch of 1,000
    /// ids is about 30 KB.
    pub max_body_bytes: usize,
    /// Longest a request may take before it is answered with `TIMEOUT`. Default 30 s. A query
    /// is stopped then; a mutation goes on to its end and its sync run records the outcome.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 12,
            max_complexity: 20_000,
            max_nesting: 64,
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

pub fn build_schema(service: Service, limits: &Limits) -> AppSchema {
    Schema::build(query::QueryRoot, mutation::MutationRoot, EmptySubscription)
        .data(service)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .extension(execution::PhaseProbe)
        .finish()
}

/// The SDL of the schema, as `kleer-sync schema` prints it and `schema.graphql` holds it.
pub fn sdl() -> String {
    Schema::build(query::QueryRoot, mutation::MutationRoot, EmptySubscription)
        .finish()
        .sdl()
}

/// Any object with a global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "async_graphql::ID"))]
pub enum Node {
    Employee(employee::Employee),
    KleerEmployee(kleer::KleerEmployee),
    KleerConnection(kleer::KleerConnection),
    SyncRun(runs::SyncRun),
}

fn service<'a>(ctx: &Context<'a>) -> &'a Service {
    ctx.data_unchecked::<Service>()
}

fn loaders<'a>(ctx: &Context<'a>) -> &'a Loaders {
    ctx.data_unchecked::<Loaders>()
}

//! The GraphQL API surface. Resolvers translate arguments, call `sync`, and shape results; no
//! business rule lives here. Errors get their `extensions.code` in `errors`, once.

mod batch;
mod employee;
mod errors;
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

pub use loaders::Loaders;

use crate::sync::Service;
use async_graphql::{Context, EmptySubscription, Interface, Schema};

pub type AppSchema = Schema<query::QueryRoot, mutation::MutationRoot, EmptySubscription>;

/// Limits that keep one request from taking the server down.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 12,
            max_complexity: 20_000,
        }
    }
}

pub fn build_schema(service: Service, limits: &Limits) -> AppSchema {
    Schema::build(query::QueryRoot, mutation::MutationRoot, EmptySubscription)
        .data(service)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
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

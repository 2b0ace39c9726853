//! kleer-sync keeps an HR employee register and the Kleer payroll system in step, through a
//! GraphQL API. Rooms, from the top: `app` and `http_graphql` (HTTP), `graphql`, `sync` (the
//! rules), and below them `store` (SQL) and `kleer` (HTTP to Kleer); `sandbox` is a Kleer of our
//! own for demos, tests and benchmarks; `model` holds the plain types all of them share.

pub mod access;
pub mod app;
pub mod config;
mod demo;
pub mod graphql;
mod http_graphql;
pub mod kleer;
pub mod model;
pub mod sandbox;
pub mod store;
pub mod sync;

//! One integration-test binary (each binary links the whole server): modules per story.

mod support;

mod employees;
mod export;
mod fuzz;
mod http;
mod import;
mod runs;
mod schema;
mod statements;
mod views;

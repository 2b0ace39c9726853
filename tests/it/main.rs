//! One integration-test binary (each binary links the whole server): modules per story.

mod support;

mod auth;
mod concurrency;
mod employees;
mod export;
mod faults;
mod fuzz;
mod http;
mod import;
mod process;
mod runs;
mod schema;
mod secrets;
mod statements;
mod views;

//! Kleer, the payroll system: the only room that speaks HTTP to it.
//!
//! [`KleerClient`] sends the requests, [`wire`] holds the JSON shapes as they travel, and
//! [`mapping`] turns them into the domain's `KleerEmployee` and back from `EmployeeData`. The
//! rules of a sync (what to send when) live in `sync`, not here. The token never leaves the
//! request headers: no error text or log line carries it, nor any request or answer body.

mod client;
mod error;
pub mod mapping;
mod retry;
pub mod wire;

pub use client::{DEFAULT_TIMEOUT, KleerClient, KleerSettings};
pub use error::KleerError;
pub use retry::RetryPolicy;

#[cfg(test)]
mod tests;

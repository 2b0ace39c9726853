//! Kleer, the payroll system: the only room that speaks HTTP to it.
//!
//! [`KleerClient`] sends the requests and [`wire`] holds the JSON shapes as they travel. The
//! token never leaves the request headers: no error text or log line carries it, nor any request
//! or answer body.

mod client;
mod error;
pub mod wire;

pub use client::{DEFAULT_TIMEOUT, KleerClient, KleerSettings};
pub use error::KleerError;

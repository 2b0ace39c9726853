//! Kleer, the payroll system: the only room that speaks HTTP to it.
//!
//! [`wire`] holds the JSON shapes as they travel.

mod error;
pub mod wire;

pub use error::KleerError;

//! Plain domain types shared by every room: typed ids, validated values and the two shapes of
//! an employee (the HR one and the Kleer one). Nothing here talks to a database or the network.

mod employee;
mod ids;
mod pin;
pub mod validate;

pub use employee::{Address, Employee, EmployeeData, KleerEmployee, Link, split_full_name};
pub use ids::{ConnectionId, EmployeeId, KleerUserId, SyncRunId};
pub use pin::{PersonalIdentityNumber, PinError};

/// Emails compare case-insensitively: this is the form they are compared in.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

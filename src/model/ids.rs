//! Typed ids, so that an employee id can never be passed where a Kleer user id is expected.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// An HR employee.
    EmployeeId
);
id_type!(
    /// A connected Kleer company.
    ConnectionId
);
id_type!(
    /// A Kleer user (and, under the same number, its payroll agreement).
    KleerUserId
);
id_type!(
    /// One recorded batch action.
    SyncRunId
);

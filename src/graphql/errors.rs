//! The one place where errors become GraphQL errors, each with an `extensions.code`. Internal
//! causes are logged here and never shown to the client.

use crate::store::StoreError;
use crate::sync::SyncError;
use async_graphql::{Error, ErrorExtensions};

pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
pub const NOT_FOUND: &str = "NOT_FOUND";
pub const INTERNAL: &str = "INTERNAL_SERVER_ERROR";

pub fn coded(code: &str, message: impl Into<String>) -> Error {
    Error::new(message).extend_with(|_, e| e.set("code", code))
}

fn internal(cause: &dyn std::fmt::Display) -> Error {
    tracing::error!(error = %cause, "request failed");
    coded(INTERNAL, "internal error; the server log has the details")
}

pub fn from_sync(e: SyncError) -> Error {
    match &e {
        SyncError::NoConnection => coded("NO_CONNECTION", e.to_string()),
        SyncError::ConnectionRequired => coded(BAD_USER_INPUT, e.to_string()),
        SyncError::ConnectionNotFound => coded(NOT_FOUND, e.to_string()),
        SyncError::Kleer(k) => {
            let (code, message) = crate::sync::export::kleer_failure(k);
            coded(code.as_str(), message)
        }
        SyncError::Store(s) => internal(s),
    }
}

pub fn from_store(e: StoreError) -> Error {
    internal(&e)
}

/// `.api()?` maps a lower room's error at the edge, with its code.
pub trait ApiResult<T> {
    fn api(self) -> async_graphql::Result<T>;
}

impl<T> ApiResult<T> for Result<T, SyncError> {
    fn api(self) -> async_graphql::Result<T> {
        self.map_err(from_sync)
    }
}

impl<T> ApiResult<T> for Result<T, StoreError> {
    fn api(self) -> async_graphql::Result<T> {
        self.map_err(from_store)
    }
}

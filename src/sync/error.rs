//! Errors that fail a whole request (as opposed to one row of a batch).

use crate::kleer::KleerError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("no Kleer connection is configured")]
    NoConnection,
    #[error("several Kleer connections exist: say which one with connectionId")]
    ConnectionRequired,
    #[error("no Kleer connection has this id")]
    ConnectionNotFound,
    #[error("Kleer: {0}")]
    Kleer(#[from] KleerError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

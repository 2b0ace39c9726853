//! The rules of the product: tabs, affected fields, export, unlink, the mirror of Kleer and the
//! sync runs that record every batch. Plain functions over plain types; no HTTP and no SQL here
//! (those are `kleer` and `store`).

pub mod connections;
pub mod employees;
mod error;
pub mod export;
pub mod fields;
pub mod import;
pub mod matching;
pub mod mirror;
pub mod outcome;
pub mod views;

pub use error::SyncError;

use crate::kleer::{KleerClient, KleerError, KleerSettings, RetryPolicy};
use crate::model::ConnectionId;
use crate::store::{ConnectionRecord, Store};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Tunables of the sync rules, with the defaults a deployment starts from.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Timeout of one request to Kleer.
    pub kleer_timeout: Duration,
    /// A mirror older than this is read again from Kleer before a tab answers.
    pub mirror_max_age: Duration,
    /// Rows of one batch that talk to Kleer at the same time.
    pub kleer_concurrency: usize,
    /// How long a claim on an employee being exported lasts unless its holder extends it: how
    /// soon the rows of a server that died mid-export can be exported again.
    pub claim_lease: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            kleer_timeout: Duration::from_secs(20),
            mirror_max_age: Duration::from_secs(300),
            kleer_concurrency: 8,
            claim_lease: Duration::from_secs(60),
        }
    }
}

/// The entry point of every rule: holds the store and one Kleer client per connection.
#[derive(Clone)]
pub struct Service {
    store: Store,
    settings: Settings,
    clients: Arc<Mutex<HashMap<ConnectionId, (ClientKey, KleerClient)>>>,
    /// Serialises mirror refreshes, so a burst of requests on a stale mirror reads Kleer once.
    refresh_lock: Arc<tokio::sync::Mutex<()>>,
    /// Names this server in the claims it takes, apart from every other server and restart.
    owner: Arc<str>,
}

/// What a cached client was built from; a changed connection gets a new client.
type ClientKey = (String, String, String);

/// An id of a batch request: as sent, and decoded when it could be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requested<T> {
    pub raw: String,
    pub id: Option<T>,
}

impl Service {
    pub fn new(store: Store, settings: Settings) -> Self {
        Service {
            store,
            settings,
            clients: Arc::default(),
            refresh_lock: Arc::default(),
            owner: instance_name().into(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The connection a request means: the one named, or the only one there is.
    pub async fn resolve_connection(
        &self,
        id: Option<ConnectionId>,
    ) -> Result<ConnectionRecord, SyncError> {
        match id {
            Some(id) => self
                .store
                .connection(id)
                .await?
                .ok_or(SyncError::ConnectionNotFound),
            None => {
                let mut all = self.store.connections(2).await?;
                match all.len() {
                    0 => Err(SyncError::NoConnection),
                    1 => Ok(all.remove(0)),
                    _ => Err(SyncError::ConnectionRequired),
                }
            }
        }
    }

    pub(crate) fn client(&self, connection: &ConnectionRecord) -> Result<KleerClient, KleerError> {
        let key = (
            connection.base_url.clone(),
            connection.company_id.clone(),
            connection.token.clone(),
        );
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((cached_key, client)) = clients.get(&connection.id)
            && *cached_key == key
        {
            return Ok(client.clone());
        }
        let client = KleerClient::new(KleerSettings {
            base_url: key.0.clone(),
            company_id: key.1.clone(),
            token: key.2.clone(),
            timeout: self.settings.kleer_timeout,
            retry: RetryPolicy::default(),
        })?;
        clients.insert(connection.id, (key, client.clone()));
        Ok(client)
    }
}

fn instance_name() -> String {
    let mut bytes = [0u8; 8];
    // A clash only makes two servers share claims; the process id keeps even that unlikely.
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    format!("{}-{:016x}", std::process::id(), u64::from_le_bytes(bytes))
}

/// Drops repeats, keeping the first of each: a row repeated in one batch is acted on once.
pub(crate) fn first_occurrences<T: Eq + std::hash::Hash + Copy>(ids: &[Requested<T>]) -> Vec<bool> {
    let mut seen = std::collections::HashSet::new();
    ids.iter()
        .map(|r| r.id.is_none_or(|id| seen.insert(id)))
        .collect()
}

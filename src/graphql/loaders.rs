//! DataLoaders: every per-row lookup of a page goes through one of these, so a page costs a
//! fixed number of statements whatever its size. Built fresh for each request (no cache that
//! could outlive a write).

use crate::model::SyncRunId;
use crate::model::{ConnectionId, Employee, EmployeeId, KleerUserId};
use crate::store::{ConnectionRecord, Mirrored, RunRecord, Store, StoreError};
use async_graphql::dataloader::{DataLoader, Loader};
use std::collections::HashMap;
use std::sync::Arc;

pub type LoadError = Arc<StoreError>;

pub struct Loaders {
    pub employees: DataLoader<EmployeeLoader>,
    pub kleer_side: DataLoader<KleerSideLoader>,
    pub mirror: DataLoader<MirrorLoader>,
    pub connections: DataLoader<ConnectionLoader>,
    pub runs: DataLoader<RunLoader>,
}

impl Loaders {
    pub fn new(store: &Store) -> Self {
        Loaders {
            employees: DataLoader::new(EmployeeLoader(store.clone()), tokio::spawn),
            kleer_side: DataLoader::new(KleerSideLoader(store.clone()), tokio::spawn),
            mirror: DataLoader::new(MirrorLoader(store.clone()), tokio::spawn),
            connections: DataLoader::new(ConnectionLoader(store.clone()), tokio::spawn),
            runs: DataLoader::new(RunLoader(store.clone()), tokio::spawn),
        }
    }
}

/// Groups keys by connection, so one statement serves each connection on the page.
fn by_connection<K: Copy>(keys: &[(ConnectionId, K)]) -> HashMap<ConnectionId, Vec<K>> {
    let mut groups: HashMap<ConnectionId, Vec<K>> = HashMap::new();
    for (cid, key) in keys {
        groups.entry(*cid).or_default().push(*key);
    }
    groups
}

pub struct EmployeeLoader(Store);

impl Loader<EmployeeId> for EmployeeLoader {
    type Value = Employee;
    type Error = LoadError;

    async fn load(&self, keys: &[EmployeeId]) -> Result<HashMap<EmployeeId, Employee>, LoadError> {
        let rows = self.0.employees_by_ids(keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|e| (e.id, e)).collect())
    }
}

/// What an HR employee is linked to on a connection, and its mirror row when Kleer still has it.
#[derive(Clone, Debug)]
pub struct KleerSide {
    pub kleer_user_id: KleerUserId,
    pub mirrored: Option<Mirrored>,
}

pub struct KleerSideLoader(Store);

impl Loader<(ConnectionId, EmployeeId)> for KleerSideLoader {
    type Value = KleerSide;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(ConnectionId, EmployeeId)],
    ) -> Result<HashMap<(ConnectionId, EmployeeId), KleerSide>, LoadError> {
        let mut found = HashMap::new();
        for (cid, ids) in by_connection(keys) {
            for (eid, kleer_user_id, mirrored) in self
                .0
                .kleer_side_of_employees(cid, &ids)
                .await
                .map_err(Arc::new)?
            {
                found.insert(
                    (cid, eid),
                    KleerSide {
                        kleer_user_id,
                        mirrored,
                    },
                );
            }
        }
        Ok(found)
    }
}

pub struct MirrorLoader(Store);

impl Loader<(ConnectionId, KleerUserId)> for MirrorLoader {
    type Value = Mirrored;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[(ConnectionId, KleerUserId)],
    ) -> Result<HashMap<(ConnectionId, KleerUserId), Mirrored>, LoadError> {
        let mut found = HashMap::new();
        for (cid, ids) in by_connection(keys) {
            for m in self.0.mirrored_by_ids(cid, &ids).await.map_err(Arc::new)? {
                found.insert((cid, m.employee.user_id), m);
            }
        }
        Ok(found)
    }
}

pub struct ConnectionLoader(Store);

impl Loader<ConnectionId> for ConnectionLoader {
    type Value = ConnectionRecord;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[ConnectionId],
    ) -> Result<HashMap<ConnectionId, ConnectionRecord>, LoadError> {
        let rows = self.0.connections_by_ids(keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|c| (c.id, c)).collect())
    }
}

pub struct RunLoader(Store);

impl Loader<SyncRunId> for RunLoader {
    type Value = RunRecord;
    type Error = LoadError;

    async fn load(&self, keys: &[SyncRunId]) -> Result<HashMap<SyncRunId, RunRecord>, LoadError> {
        let rows = self.0.runs_by_ids(keys).await.map_err(Arc::new)?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

/// Maps a loader failure at the edge, like every other storage error.
pub fn load_error(e: LoadError) -> async_graphql::Error {
    tracing::error!(error = %e, "batched load failed");
    super::errors::coded(
        super::errors::INTERNAL,
        "internal error; the server log has the details",
    )
}

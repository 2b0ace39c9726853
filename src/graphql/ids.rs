//! Opaque global ids: base64 of `Type:key`, so clients never build or parse them, and a
//! malformed or foreign id is simply not found.

use crate::model::{ConnectionId, EmployeeId, KleerUserId, SyncRunId};
use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeId {
    Employee(EmployeeId),
    KleerEmployee(ConnectionId, KleerUserId),
    KleerConnection(ConnectionId),
    SyncRun(SyncRunId),
}

impl NodeId {
    pub fn encode(self) -> ID {
        let raw = match self {
            NodeId::Employee(id) => format!("Employee:{id}"),
            NodeId::KleerEmployee(c, k) => format!("KleerEmployee:{c}:{k}"),
            NodeId::KleerConnection(id) => format!("KleerConnection:{id}"),
            NodeId::SyncRun(id) => format!("SyncRun:{id}"),
        };
        ID(URL_SAFE_NO_PAD.encode(raw))
    }

    pub fn decode(id: &str) -> Option<NodeId> {
        let bytes = URL_SAFE_NO_PAD
            .decode(id.trim().trim_end_matches('='))
            .ok()?;
        let raw = String::from_utf8(bytes).ok()?;
        let mut parts = raw.split(':');
        let kind = parts.next()?;
        let mut num = || parts.next()?.parse::<i64>().ok().filter(|n| *n > 0);
        let node = match kind {
            "Employee" => NodeId::Employee(EmployeeId(num()?)),
            "KleerEmployee" => NodeId::KleerEmployee(ConnectionId(num()?), KleerUserId(num()?)),
            "KleerConnection" => NodeId::KleerConnection(ConnectionId(num()?)),
            "SyncRun" => NodeId::SyncRun(SyncRunId(num()?)),
            _ => return None,
        };
        parts.next().is_none().then_some(node)
    }
}

pub fn employee_id(id: &ID) -> Option<EmployeeId> {
    match NodeId::decode(id)? {
        NodeId::Employee(id) => Some(id),
        _ => None,
    }
}

pub fn connection_id(id: &ID) -> Option<ConnectionId> {
    match NodeId::decode(id)? {
        NodeId::KleerConnection(id) => Some(id),
        _ => None,
    }
}

pub fn sync_run_id(id: &ID) -> Option<SyncRunId> {
    match NodeId::decode(id)? {
        NodeId::SyncRun(id) => Some(id),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_garbage_is_none() {
        for node in [
            NodeId::Employee(EmployeeId(42)),
            NodeId::KleerEmployee(ConnectionId(1), KleerUserId(7)),
            NodeId::KleerConnection(ConnectionId(3)),
            NodeId::SyncRun(SyncRunId(9)),
        ] {
            assert_eq!(NodeId::decode(&node.encode()), Some(node));
        }
        for bad in [
            "",
            "42",
            "RW1wbG95ZWU6",
            "!!!",
            &URL_SAFE_NO_PAD.encode("Employee:1:2"),
            &URL_SAFE_NO_PAD.encode("Employee:-1"),
        ] {
            assert_eq!(NodeId::decode(bad), None, "{bad}");
        }
    }
}

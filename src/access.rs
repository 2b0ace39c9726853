//! Who may do what. Every request carries `Authorization: Bearer <token>`; tokens are made by
//! `kleer-sync token create`, stored only as SHA-256 hashes, and can be revoked. Roles nest:
//! an owner may do what an admin may, an admin what a viewer may.
//!
//! Until the first token exists the server runs open (every caller is an owner), which is why
//! `serve` then listens on loopback only.

use crate::store::{Store, StoreError, TokenRecord};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest::{SHA256, digest};
use ring::rand::{SecureRandom, SystemRandom};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Reads the views.
    Viewer,
    /// Exports, imports, matches, unlinks and edits employees.
    Admin,
    /// Configures Kleer connections.
    Owner,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        [Role::Viewer, Role::Admin, Role::Owner]
            .into_iter()
            .find(|r| r.as_str() == text)
    }
}

/// Who is calling, as established by the HTTP layer for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub role: Role,
    /// The token used; none in open mode.
    pub token_id: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("send `Authorization: Bearer <token>`; create a token with `kleer-sync token create`")]
    MissingToken,
    #[error("this token is unknown or revoked")]
    InvalidToken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new random token, shown once to its creator; only its hash is kept.
pub async fn create_token(
    store: &Store,
    role: Role,
    name: &str,
) -> Result<(String, TokenRecord), StoreError> {
    let mut bytes = [0u8; 32];
    SystemRandom::new()
        .fill(&mut bytes)
        .expect("the system random source works");
    let token = format!("ks_{}", URL_SAFE_NO_PAD.encode(bytes));
    let record = store
        .insert_token(name, role.as_str(), &hash(&token))
        .await?;
    Ok((token, record))
}

fn hash(token: &str) -> String {
    digest(&SHA256, token.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Decides who a request comes from.
#[derive(Clone)]
pub struct Gate {
    store: Store,
    open: Arc<AtomicBool>,
}

impl Gate {
    /// Open (`true`) lets every request in as an owner; otherwise a live token is required.
    pub fn new(store: Store, open: bool) -> Self {
        Gate {
            store,
            open: Arc::new(AtomicBool::new(open)),
        }
    }

    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Relaxed)
    }

    /// The caller of a request with this `Authorization` header value.
    pub async fn caller(&self, authorization: Option<&str>) -> Result<Caller, AccessError> {
        if self.is_open() {
            return Ok(Caller {
                role: Role::Owner,
                token_id: None,
            });
        }
        let token = authorization
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AccessError::MissingToken)?;
        let record = self
            .store
            .token_by_hash(&hash(token))
            .await?
            .ok_or(AccessError::InvalidToken)?;
        let role = Role::parse(&record.role).ok_or(AccessError::InvalidToken)?;
        Ok(Caller {
            role,
            token_id: Some(record.id),
        })
    }

    /// Closes the open mode as soon as a token is created (by another process, typically).
    pub fn watch_for_tokens(&self, every: Duration) -> Option<tokio::task::JoinHandle<()>> {
        if !self.is_open() {
            return None;
        }
        let gate = self.clone();
        Some(tokio::spawn(async move {
            while gate.is_open() {
                tokio::time::sleep(every).await;
                match gate.store.any_live_token().await {
                    Ok(true) => {
                        gate.open.store(false, Ordering::Relaxed);
                        tracing::info!(
                            "an API token exists now: every request needs one from here on"
                        );
                    }
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "could not check for API tokens"),
                }
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_nest_and_parse() {
        assert!(Role::Owner > Role::Admin && Role::Admin > Role::Viewer);
        assert_eq!(Role::parse("admin"), Some(Role::Admin));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn tokens_are_kept_as_hashes() {
        let h = hash("ks_secret");
        assert_eq!(h.len(), 64);
        assert!(!h.contains("secret"));
        assert_eq!(h, hash("ks_secret"));
    }
}

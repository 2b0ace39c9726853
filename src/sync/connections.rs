//! Kleer connections: creating and changing them, checked against Kleer before they are stored.

use super::Service;
use super::employees::{UserError, UserErrorCode, Validated};
use super::error::SyncError;
use crate::kleer::{KleerClient, KleerError, KleerSettings, RetryPolicy};
use crate::model::ConnectionId;
use crate::store::{ConnectionRecord, NewConnection};

/// The settings of a connection as a client sent them; `None` keeps the current value.
#[derive(Clone, Debug, Default)]
pub struct ConnectionInput {
    pub label: Option<String>,
    pub base_url: Option<String>,
    pub company_id: Option<String>,
    pub token: Option<String>,
    pub use_work_email: Option<bool>,
}

impl Service {
    pub async fn create_connection(
        &self,
        input: ConnectionInput,
    ) -> Result<Validated<ConnectionRecord>, SyncError> {
        let mut errors = Vec::new();
        let mut required =
            |field: &str, value: &Option<String>| match value.as_deref().map(str::trim) {
                Some(v) if !v.is_empty() => v.to_string(),
                _ => {
                    errors.push(UserError::new(
                        field,
                        UserErrorCode::Required,
                        "cannot be empty",
                    ));
                    String::new()
                }
            };
        let new = NewConnection {
            base_url: required("baseUrl", &input.base_url)
                .trim_end_matches('/')
                .to_string(),
            company_id: required("companyId", &input.company_id),
            token: required("token", &input.token),
            label: input
                .label
                .as_deref()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .unwrap_or("Kleer")
                .to_string(),
            use_work_email: input.use_work_email.unwrap_or(false),
            is_demo: false,
        };
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        if self
            .store
            .connection_by_target(&new.base_url, &new.company_id)
            .await?
            .is_some()
        {
            return Ok(Err(vec![UserError::new(
                "companyId",
                UserErrorCode::Taken,
                "this Kleer company is already connected",
            )]));
        }
        if let Err(e) = self.verify(&new).await {
            return Ok(Err(vec![e]));
        }
        match self.store.insert_connection(&new).await {
            Ok(record) => Ok(Ok(record)),
            Err(e) if e.is_unique_violation() => Ok(Err(vec![UserError::new(
                "companyId",
                UserErrorCode::Taken,
                "this Kleer company is already connected",
            )])),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn update_connection(
        &self,
        id: ConnectionId,
        input: ConnectionInput,
    ) -> Result<Validated<ConnectionRecord>, SyncError> {
        let Some(current) = self.store.connection(id).await? else {
            return Ok(Err(vec![UserError::new(
                "id",
                UserErrorCode::NotFound,
                "no Kleer connection has this id",
            )]));
        };
        let keep = |value: Option<String>, current: &str| {
            value
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| current.to_string())
        };
        let new = NewConnection {
            label: keep(input.label, &current.label),
            base_url: keep(input.base_url, &current.base_url)
                .trim_end_matches('/')
                .to_string(),
            company_id: keep(input.company_id, &current.company_id),
            token: keep(input.token, &current.token),
            use_work_email: input.use_work_email.unwrap_or(current.use_work_email),
            is_demo: current.is_demo,
        };
        let target_changed = new.base_url != current.base_url
            || new.company_id != current.company_id
            || new.token != current.token;
        if target_changed && let Err(e) = self.verify(&new).await {
            return Ok(Err(vec![e]));
        }
        match self.store.update_connection(id, &new).await {
            Ok(Some(record)) => Ok(Ok(record)),
            Ok(None) => Ok(Err(vec![UserError::new(
                "id",
                UserErrorCode::NotFound,
                "no Kleer connection has this id",
            )])),
            Err(e) if e.is_unique_violation() => Ok(Err(vec![UserError::new(
                "companyId",
                UserErrorCode::Taken,
                "this Kleer company is already connected",
            )])),
            Err(e) => Err(e.into()),
        }
    }

    /// Asks Kleer who the token belongs to, so a typo is caught when it is typed.
    async fn verify(&self, new: &NewConnection) -> Result<(), UserError> {
        let settings = KleerSettings {
            base_url: new.base_url.clone(),
            company_id: new.company_id.clone(),
            token: new.token.clone(),
            timeout: self.settings.kleer_timeout,
            retry: RetryPolicy::default(),
        };
        let client = KleerClient::new(settings)
            .map_err(|e| UserError::new("baseUrl", UserErrorCode::Invalid, e.to_string()))?;
        match client.me().await {
            Ok(_) => Ok(()),
            Err(KleerError::Unauthorized) => Err(UserError::new(
                "token",
                UserErrorCode::Invalid,
                "Kleer does not accept this token",
            )),
            Err(KleerError::Forbidden | KleerError::NotFound) => Err(UserError::new(
                "companyId",
                UserErrorCode::Invalid,
                "this token has no access to that Kleer company",
            )),
            Err(e) => Err(UserError::new(
                "baseUrl",
                UserErrorCode::Invalid,
                format!("Kleer could not be reached: {e}"),
            )),
        }
    }

    /// Creates or updates the connection named by the environment at start, without asking
    /// Kleer (it may be down at boot; the first request will say so).
    pub async fn ensure_configured_connection(
        &self,
        new: NewConnection,
    ) -> Result<ConnectionRecord, SyncError> {
        match self
            .store
            .connection_by_target(&new.base_url, &new.company_id)
            .await?
        {
            Some(existing) => Ok(self
                .store
                .update_connection(existing.id, &new)
                .await?
                .unwrap_or(existing)),
            None => Ok(self.store.insert_connection(&new).await?),
        }
    }
}

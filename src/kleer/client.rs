//! The HTTP client for one Kleer company. Every request goes through [`KleerClient::send`], the
//! one place that knows about headers, timeouts, status codes and logging, so that retries with
//! backoff can be added there alone.

use super::KleerError;
use super::wire::{
    Created, ErrorBody, PayrollUser, PayrollUserList, PayrollUserWrite, User, UserList, UserWrite,
};
use crate::model::KleerUserId;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::time::{Duration, Instant};

/// How long a request may take when the configuration does not say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Where and as whom to talk to Kleer.
#[derive(Clone)]
pub struct KleerSettings {
    /// e.g. `https://api.kleer.se/v1`; a trailing slash is fine.
    pub base_url: String,
    pub company_id: String,
    pub token: String,
    /// For the whole request, answer body included.
    pub timeout: Duration,
}

// The token is a credential: keep it out of every `{:?}`.
impl fmt::Debug for KleerSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KleerSettings")
            .field("base_url", &self.base_url)
            .field("company_id", &self.company_id)
            .field("token", &"<redacted>")
            .field("timeout", &self.timeout)
            .finish()
    }
}

#[derive(Clone)]
pub struct KleerClient {
    http: reqwest::Client,
    /// The base URL with `company/{companyId}` appended.
    company_url: Url,
    timeout: Duration,
}

impl fmt::Debug for KleerClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KleerClient")
            .field("company_url", &self.company_url.as_str())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl KleerClient {
    pub fn new(settings: KleerSettings) -> Result<Self, KleerError> {
        let mut company_url = Url::parse(settings.base_url.trim())
            .map_err(|e| KleerError::Config(format!("base URL: {e}")))?;
        if !matches!(company_url.scheme(), "http" | "https") {
            return Err(KleerError::Config("base URL must be http or https".into()));
        }
        if settings.company_id.trim().is_empty() {
            return Err(KleerError::Config("the company id is empty".into()));
        }
        company_url
            .path_segments_mut()
            .map_err(|()| KleerError::Config("base URL cannot take a path".into()))?
            .pop_if_empty()
            .extend(["company", settings.company_id.trim()]);

        let mut token = HeaderValue::from_str(settings.token.trim()).map_err(|_| {
            KleerError::Config("the token has characters an HTTP header cannot carry".into())
        })?;
        token.set_sensitive(true);
        let json = HeaderValue::from_static("application/json");
        let mut headers = HeaderMap::new();
        headers.insert("x-token", token);
        // Kleer may answer XML to a request without these, GET included.
        headers.insert(ACCEPT, json.clone());
        headers.insert(CONTENT_TYPE, json);

        // A rustls provider must be chosen before the first client is built (we ship `ring`
        // only); a second install fails harmlessly, which is why the result is ignored.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(settings.timeout)
            // Redirects would carry X-Token to wherever they point; Kleer's API does not use
            // them, so one is an error rather than something to follow.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| KleerError::Config(error_chain(&e.without_url())))?;
        Ok(Self {
            http,
            company_url,
            timeout: settings.timeout,
        })
    }

    /// The integration user, owner of the token. A cheap way to check the settings.
    pub async fn me(&self) -> Result<User, KleerError> {
        self.get(&["user", "me"]).await
    }

    pub async fn list_users(&self) -> Result<Vec<User>, KleerError> {
        let list: UserList = self.get(&["user"]).await?;
        Ok(list.users)
    }

    pub async fn get_user(&self, id: KleerUserId) -> Result<User, KleerError> {
        self.get(&["user", &id.to_string()]).await
    }

    /// The user we stamped with `foreign_id`, if any.
    pub async fn find_user_by_foreign_id(
        &self,
        foreign_id: &str,
    ) -> Result<Option<User>, KleerError> {
        match self
            .send(Method::GET, &["user", "foreign-id", foreign_id], None)
            .await
        {
            // An empty or `null` answer has the same meaning as a 404 here.
            Ok(body) if is_blank(&body) => Ok(None),
            Ok(body) => decode("user", &body).map(Some),
            Err(KleerError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub async fn create_user(&self, user: &UserWrite) -> Result<KleerUserId, KleerError> {
        let body = self
            .send(Method::PUT, &["user"], Some(encode(user)?))
            .await?;
        let created: Created = decode("created id", &body)?;
        Ok(created.id)
    }

    pub async fn update_user(&self, id: KleerUserId, user: &UserWrite) -> Result<(), KleerError> {
        self.send(
            Method::POST,
            &["user", &id.to_string()],
            Some(encode(user)?),
        )
        .await
        .map(drop)
    }

    pub async fn list_payroll_users(&self) -> Result<Vec<PayrollUser>, KleerError> {
        let list: PayrollUserList = self.get(&["payroll", "user"]).await?;
        Ok(list.payroll_user_readables)
    }

    /// The payroll agreement of a user; `None` when the user has none (or does not exist).
    pub async fn get_payroll_user(
        &self,
        id: KleerUserId,
    ) -> Result<Option<PayrollUser>, KleerError> {
        match self
            .get::<PayrollUser>(&["payroll", "user", &id.to_string()])
            .await
        {
            Ok(mut payroll) => {
                // The path already names the user; a single answer need not repeat it.
                if payroll.user.id == KleerUserId(0) {
                    payroll.user.id = id;
                }
                Ok(Some(payroll))
            }
            Err(KleerError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Kleer requires `ssn` and `employment_start_date` here.
    pub async fn create_payroll_user(
        &self,
        id: KleerUserId,
        payroll: &PayrollUserWrite,
    ) -> Result<(), KleerError> {
        self.send(
            Method::PUT,
            &["payroll", "user", &id.to_string()],
            Some(encode(payroll)?),
        )
        .await
        .map(drop)
    }

    /// Changes only the fields that are `Some`.
    pub async fn update_payroll_user(
        &self,
        id: KleerUserId,
        payroll: &PayrollUserWrite,
    ) -> Result<(), KleerError> {
        self.send(
            Method::POST,
            &["payroll", "user", &id.to_string()],
            Some(encode(payroll)?),
        )
        .await
        .map(drop)
    }

    async fn get<T: DeserializeOwned>(&self, path: &[&str]) -> Result<T, KleerError> {
        let body = self.send(Method::GET, path, None).await?;
        decode(&path.join("/"), &body)
    }

    /// The single way out to Kleer. Answers the body of a 2xx, or the error its status means.
    async fn send(
        &self,
        method: Method,
        path: &[&str],
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, KleerError> {
        let mut url = self.company_url.clone();
        url.path_segments_mut()
            .expect("checked to be a base in new()")
            .extend(path);
        let started = Instant::now();
        let mut request = self.http.request(method.clone(), url.clone());
        if let Some(body) = body {
            request = request.body(body);
        }
        let outcome = match request.send().await {
            Ok(response) => {
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                response
                    .bytes()
                    .await
                    .map(|bytes| (status, retry_after, bytes.to_vec()))
            }
            Err(e) => Err(e),
        };
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match outcome {
            Ok((status, retry_after, body)) => {
                tracing::debug!(
                    %method,
                    path = url.path(),
                    status = status.as_u16(),
                    elapsed_ms,
                    "kleer request"
                );
                if status.is_success() {
                    Ok(body)
                } else {
                    Err(status_error(status, retry_after.as_deref(), &body))
                }
            }
            Err(e) => {
                let error = self.transport_error(e);
                tracing::debug!(%method, path = url.path(), elapsed_ms, %error, "kleer request failed");
                Err(error)
            }
        }
    }

    fn transport_error(&self, e: reqwest::Error) -> KleerError {
        if e.is_timeout() {
            KleerError::Unavailable(format!("no answer within {:?}", self.timeout))
        } else if e.is_connect() {
            KleerError::Unavailable(format!(
                "could not connect: {}",
                error_chain(&e.without_url())
            ))
        } else {
            KleerError::Unavailable(error_chain(&e.without_url()))
        }
    }
}

/// The meaning of a non-2xx answer. Kleer's own message is kept when it sent one.
fn status_error(status: StatusCode, retry_after: Option<&str>, body: &[u8]) -> KleerError {
    let message = kleer_message(body)
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("no message").into());
    match status {
        StatusCode::UNAUTHORIZED => KleerError::Unauthorized,
        StatusCode::FORBIDDEN => KleerError::Forbidden,
        StatusCode::NOT_FOUND => KleerError::NotFound,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => {
            KleerError::Unavailable(match retry_after {
                Some(after) => format!("HTTP {}: {message} (retry after {after})", status.as_u16()),
                None => format!("HTTP {}: {message}", status.as_u16()),
            })
        }
        s if s.is_server_error() => {
            KleerError::Unavailable(format!("HTTP {}: {message}", s.as_u16()))
        }
        s => KleerError::Rejected {
            status: s.as_u16(),
            message,
        },
    }
}

/// `{"error": {"message": ...}}` when Kleer sent it; otherwise a short plain-text body (the bare
/// 500 with a Swedish "technical error" text has been seen).
fn kleer_message(body: &[u8]) -> Option<String> {
    if let Ok(error) = serde_json::from_slice::<ErrorBody>(body) {
        return Some(error.error.message);
    }
    let text = std::str::from_utf8(body).ok()?.trim();
    if text.is_empty() || text.starts_with('<') || text.starts_with('{') {
        return None;
    }
    const MAX: usize = 200;
    Some(match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    })
}

fn is_blank(body: &[u8]) -> bool {
    let text = body.trim_ascii();
    text.is_empty() || text == b"null"
}

fn encode(value: &impl Serialize) -> Result<Vec<u8>, KleerError> {
    serde_json::to_vec(value).map_err(|e| KleerError::Decode(format!("encoding a request: {e}")))
}

fn decode<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, KleerError> {
    serde_json::from_slice(body).map_err(|e| KleerError::Decode(format!("{what}: {e}")))
}

/// reqwest's top-level message ("error sending request") hides the cause one or two levels down.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

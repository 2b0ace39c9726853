//! The HTTP client for one Kleer company. Every request goes out through
//! [`KleerClient::send_once`], the one place that knows about headers, timeouts, status codes and
//! logging. What may be sent again after a passing failure is decided here too: reads and updates
//! (which set values) are repeated as they are, through [`KleerClient::send`]; a create is only
//! repeated after looking for the one that may have landed, because Kleer may carry out a request
//! whose answer never reaches us.

use super::KleerError;
use super::retry::{Attempts, RetryPolicy};
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
    /// For the whole request, answer body included; each attempt has its own.
    pub timeout: Duration,
    /// How requests that failed for a passing reason are tried again.
    pub retry: RetryPolicy,
}

// The token is a credential: keep it out of every `{:?}`.
impl fmt::Debug for KleerSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KleerSettings")
            .field("base_url", &self.base_url)
            .field("company_id", &self.company_id)
            .field("token", &"<redacted>")
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

#[derive(Clone)]
pub struct KleerClient {
    http: reqwest::Client,
    /// The base URL with `company/{companyId}` appended.
    company_url: Url,
    timeout: Duration,
    retry: RetryPolicy,
}

impl fmt::Debug for KleerClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KleerClient")
            .field("company_url", &self.company_url.as_str())
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
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
            retry: settings.retry,
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
        found_user(
            self.send(Method::GET, &["user", "foreign-id", foreign_id], None)
                .await,
        )
    }

    /// Creates a user and answers its id. With a `foreign_id` in `user`, a passing failure is
    /// retried: every retry first looks the user up by it and answers the one found, because the
    /// failed attempt may have created it. Without one, the create is tried once: a duplicate
    /// could not be told from a namesake.
    pub async fn create_user(&self, user: &UserWrite) -> Result<KleerUserId, KleerError> {
        let url = self.url(&["user"]);
        let body = encode(user)?;
        let Some(foreign_id) = user.foreign_id.as_deref().filter(|f| !f.is_empty()) else {
            let answer = self
                .send_once(&Method::PUT, &url, Some(&body), self.timeout)
                .await?;
            return decode::<Created>("created id", &answer).map(|c| c.id);
        };
        let lookup = self.url(&["user", "foreign-id", foreign_id]);
        let mut attempts = Attempts::new(&self.retry, self.timeout);
        loop {
            let attempt = async {
                if attempts.is_retry() {
                    let found = self
                        .send_once(&Method::GET, &lookup, None, attempts.timeout())
                        .await;
                    if let Some(user) = found_user(found)? {
                        return Ok(user.id);
                    }
                }
                let answer = self
                    .send_once(&Method::PUT, &url, Some(&body), attempts.timeout())
                    .await?;
                decode::<Created>("created id", &answer).map(|c| c.id)
            };
            match attempt.await {
                Err(e) => attempts.failed(e, &Method::PUT, url.path()).await?,
                done => return done,
            }
        }
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

    /// Kleer requires `ssn` and `employment_start_date` here. A passing failure is retried:
    /// every retry first asks whether the agreement exists, since the failed attempt may have
    /// created it, and if so sends the same values as an update (a second create is refused).
    pub async fn create_payroll_user(
        &self,
        id: KleerUserId,
        payroll: &PayrollUserWrite,
    ) -> Result<(), KleerError> {
        let url = self.url(&["payroll", "user", &id.to_string()]);
        let body = encode(payroll)?;
        let mut attempts = Attempts::new(&self.retry, self.timeout);
        loop {
            let attempt = async {
                if attempts.is_retry() {
                    match self
                        .send_once(&Method::GET, &url, None, attempts.timeout())
                        .await
                    {
                        Ok(_) => {
                            return self
                                .send_once(&Method::POST, &url, Some(&body), attempts.timeout())
                                .await
                                .map(drop);
                        }
                        Err(KleerError::NotFound) => {}
                        Err(e) => return Err(e),
                    }
                }
                self.send_once(&Method::PUT, &url, Some(&body), attempts.timeout())
                    .await
                    .map(drop)
            };
            match attempt.await {
                Err(e) => attempts.failed(e, &Method::PUT, url.path()).await?,
                done => return done,
            }
        }
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

    /// Sends a request that may be repeated as it is (a read, or an update that sets values),
    /// retrying passing failures as the policy says.
    async fn send(
        &self,
        method: Method,
        path: &[&str],
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, KleerError> {
        let url = self.url(path);
        let mut attempts = Attempts::new(&self.retry, self.timeout);
        loop {
            match self
                .send_once(&method, &url, body.as_deref(), attempts.timeout())
                .await
            {
                Err(e) => attempts.failed(e, &method, url.path()).await?,
                done => return done,
            }
        }
    }

    fn url(&self, path: &[&str]) -> Url {
        let mut url = self.company_url.clone();
        url.path_segments_mut()
            .expect("checked to be a base in new()")
            .extend(path);
        url
    }

    /// The single way out to Kleer: one request, never repeated here. Answers the body of a 2xx,
    /// or the error its status means.
    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<Vec<u8>, KleerError> {
        let started = Instant::now();
        let mut request = self
            .http
            .request(method.clone(), url.clone())
            .timeout(timeout);
        if let Some(body) = body {
            request = request.body(body.to_vec());
        }
        let outcome = match request.send().await {
            Ok(response) => {
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after);
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
                    Err(status_error(status, retry_after, &body))
                }
            }
            Err(e) => {
                let error = transport_error(e, timeout);
                tracing::debug!(%method, path = url.path(), elapsed_ms, %error, "kleer request failed");
                Err(error)
            }
        }
    }
}

fn transport_error(e: reqwest::Error, timeout: Duration) -> KleerError {
    if e.is_timeout() {
        KleerError::unavailable(format!("no answer within {timeout:?}"))
    } else if e.is_connect() {
        KleerError::unavailable(format!(
            "could not connect: {}",
            error_chain(&e.without_url())
        ))
    } else {
        KleerError::unavailable(error_chain(&e.without_url()))
    }
}

/// The answer to a look-up by foreign id.
fn found_user(answer: Result<Vec<u8>, KleerError>) -> Result<Option<User>, KleerError> {
    match answer {
        // An empty or `null` answer has the same meaning as a 404 here.
        Ok(body) if is_blank(&body) => Ok(None),
        Ok(body) => decode("user", &body).map(Some),
        Err(KleerError::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `Retry-After` as a number of seconds. Its other form, an HTTP date, is not used by Kleer as
/// far as we know; it reads as absent and the backoff applies.
fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The meaning of a non-2xx answer. Kleer's own message is kept when it sent one.
fn status_error(status: StatusCode, retry_after: Option<Duration>, body: &[u8]) -> KleerError {
    let message = kleer_message(body)
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("no message").into());
    match status {
        StatusCode::UNAUTHORIZED => KleerError::Unauthorized,
        StatusCode::FORBIDDEN => KleerError::Forbidden,
        StatusCode::NOT_FOUND => KleerError::NotFound,
        s if s == StatusCode::TOO_MANY_REQUESTS
            || s == StatusCode::REQUEST_TIMEOUT
            || s.is_server_error() =>
        {
            KleerError::Unavailable {
                message: match retry_after {
                    Some(after) => format!(
                        "HTTP {}: {message} (asked to retry after {after:?})",
                        s.as_u16()
                    ),
                    None => format!("HTTP {}: {message}", s.as_u16()),
                },
                retry_after,
            }
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

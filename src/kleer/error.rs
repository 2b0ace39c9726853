//! What can go wrong talking to Kleer. Messages are safe to log and to show an operator: they
//! never carry the token, and never a request or answer body (only Kleer's own error message).

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KleerError {
    /// The token is missing, wrong or revoked.
    #[error("Kleer did not accept the token")]
    Unauthorized,
    /// The token is valid but may not do this (often: another company's id).
    #[error("the Kleer token has no access to this company or resource")]
    Forbidden,
    #[error("Kleer has no such object")]
    NotFound,
    /// Kleer understood the request and refused it; `message` is Kleer's own words.
    #[error("Kleer refused the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// Kleer could not be reached or could not answer now: connection errors, timeouts, 5xx,
    /// 408, 429. Worth trying again later.
    #[error("Kleer is unavailable: {message}")]
    Unavailable {
        message: String,
        /// How long Kleer asked us to wait (its `Retry-After`), when it said.
        retry_after: Option<Duration>,
    },
    /// Kleer answered 2xx with something we cannot read.
    #[error("Kleer's answer could not be read: {0}")]
    Decode(String),
    /// The connection settings cannot work (a base URL that is not http(s), a token with
    /// characters HTTP headers do not allow). Never retryable.
    #[error("the Kleer connection settings are invalid: {0}")]
    Config(String),
}

impl KleerError {
    /// Unavailable without a word on when to come back.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::Unavailable {
            message: message.into(),
            retry_after: None,
        }
    }

    /// Whether the same request may succeed if sent again later, unchanged.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }

    /// The wait Kleer asked for before the next request, when it asked.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::KleerError;

    #[test]
    fn only_unavailability_is_retryable() {
        assert!(KleerError::unavailable("timeout").is_retryable());
        for error in [
            KleerError::Unauthorized,
            KleerError::Forbidden,
            KleerError::NotFound,
            KleerError::Rejected {
                status: 400,
                message: "ssn is required".into(),
            },
            KleerError::Decode("eof".into()),
            KleerError::Config("bad url".into()),
        ] {
            assert!(!error.is_retryable(), "{error}");
        }
    }
}

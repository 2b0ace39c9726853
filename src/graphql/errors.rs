//! The one place where errors become GraphQL errors, each with an `extensions.code`. Internal
//! causes are logged here and never shown to the client. This covers the errors of our
//! resolvers, the ones async-graphql raises by itself (which come without a code), and the
//! refusals of a whole request; the HTTP layer only picks a status for a `Refusal`.

use crate::store::StoreError;
use crate::sync::SyncError;
use async_graphql::{Error, ErrorExtensions, ServerError};

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

/// Why a whole request was refused, before execution or instead of its answer. Each has one
/// stable code that clients may switch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Not a well-formed GraphQL-over-HTTP request: the body is not JSON, `query` is missing,
    /// a parameter has the wrong type.
    BadRequest,
    /// A POST body in a media type other than `application/json` (or none named).
    UnsupportedMediaType,
    /// The `Accept` header names no media type we can answer in.
    NotAcceptable,
    /// The body is larger than `Limits::max_body_bytes`.
    PayloadTooLarge,
    /// A method other than GET and POST, or a mutation sent with GET.
    MethodNotAllowed,
    /// The document is not GraphQL.
    ParseFailed,
    /// The document does not fit the schema, or a variable does not fit its type.
    ValidationFailed,
    /// `operationName` names no operation of the document, or is needed and missing.
    OperationResolutionFailed,
    /// Nested deeper than the limits allow.
    TooDeep,
    /// More complex than `Limits::max_complexity`.
    TooComplex,
    /// A value no field accepts, found before execution (text with U+0000).
    BadUserInput,
    /// Not answered within `Limits::request_timeout`.
    Timeout,
    /// Something broke on our side; the log has the details.
    Internal,
    /// No valid API token (once tokens exist).
    Unauthenticated,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::BadRequest => "BAD_REQUEST",
            Refusal::Unauthenticated => "UNAUTHENTICATED",
            Refusal::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Refusal::NotAcceptable => "NOT_ACCEPTABLE",
            Refusal::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Refusal::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Refusal::ParseFailed => "GRAPHQL_PARSE_FAILED",
            Refusal::ValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Refusal::OperationResolutionFailed => "OPERATION_RESOLUTION_FAILURE",
            Refusal::TooDeep => "QUERY_TOO_DEEP",
            Refusal::TooComplex => "QUERY_TOO_COMPLEX",
            Refusal::BadUserInput => BAD_USER_INPUT,
            Refusal::Timeout => "TIMEOUT",
            Refusal::Internal => INTERNAL,
        }
    }

    /// The refusal as a GraphQL error with its code.
    pub fn error(self, message: impl Into<String>) -> ServerError {
        let mut error = ServerError::new(message, None);
        set_code(&mut error, self.code());
        error
    }
}

/// Where in its life a request failed: async-graphql's own errors say so only through this.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Parse,
    Validation,
    Execution,
}

/// Gives a code to every error that has none: async-graphql's own errors (syntax, validation,
/// limits, input coercion) come without one. Errors of our resolvers keep theirs.
pub fn label(errors: &mut [ServerError], phase: Phase) {
    for error in errors.iter_mut().filter(|e| code_of(e).is_none()) {
        let code = match refusal_for(&error.message, phase) {
            Some(refusal) => refusal.code(),
            None if phase == Phase::Execution && is_input_coercion(&error.message) => {
                BAD_USER_INPUT
            }
            None => {
                // A resolver error that skipped `coded`: its text may be an internal cause.
                tracing::error!(error = %error.message, "an error without a code reached the client");
                error.message = "internal error; the server log has the details".into();
                INTERNAL
            }
        };
        set_code(error, code);
    }
}

/// async-graphql's messages are the only sign of which limit a document broke; the unit tests
/// below pin them, so an upgrade that rewords one fails there first.
fn refusal_for(message: &str, phase: Phase) -> Option<Refusal> {
    match phase {
        Phase::Parse if message.starts_with("The recursion depth of the query") => {
            Some(Refusal::TooDeep)
        }
        Phase::Parse if message == "recursion limit exceeded." => Some(Refusal::TooDeep),
        Phase::Parse => Some(Refusal::ParseFailed),
        Phase::Validation if message == "Query is nested too deep." => Some(Refusal::TooDeep),
        Phase::Validation if message == "Query is too complex." => Some(Refusal::TooComplex),
        Phase::Validation => Some(Refusal::ValidationFailed),
        Phase::Execution => None,
    }
}

/// An argument that passed validation but not its type's own checks (`max_items`, a scalar's
/// parser), or a variable without a value where one is needed, fails at execution with these
/// texts (async-graphql's `InputValueError` and `Context`).
fn is_input_coercion(message: &str) -> bool {
    message.starts_with("Failed to parse")
        || message.starts_with("Expected input type")
        || message.starts_with("Invalid value")
        || (message.starts_with("Variable ") && message.ends_with(" is not defined."))
}

pub fn code_of(error: &ServerError) -> Option<&str> {
    match error.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code),
        _ => None,
    }
}

fn set_code(error: &mut ServerError, code: &str) {
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};

    struct Query;

    #[Object]
    impl Query {
        async fn nested(&self) -> Query {
            Query
        }
        async fn count(&self, #[graphql(validator(max_items = 2))] ids: Vec<i32>) -> usize {
            ids.len()
        }
    }

    /// The message async-graphql gives for `query`, under small limits.
    async fn message(query: &str) -> String {
        let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
            .limit_depth(3)
            .limit_complexity(5)
            .limit_recursive_depth(4)
            .finish();
        schema.execute(query).await.errors.remove(0).message
    }

    #[tokio::test]
    async fn async_graphqls_own_messages_are_the_ones_we_map() {
        let deep = message("{ nested { nested { nested { count(ids: []) } } } }").await;
        assert_eq!(
            refusal_for(&deep, Phase::Validation),
            Some(Refusal::TooDeep)
        );
        let complex = message("{ a: count(ids: []) b: count(ids: []) c: count(ids: []) d: count(ids: []) e: count(ids: []) f: count(ids: []) }").await;
        assert_eq!(
            refusal_for(&complex, Phase::Validation),
            Some(Refusal::TooComplex)
        );
        let recursive =
            message("{ nested { nested { nested { nested { nested { count(ids: []) } } } } } }")
                .await;
        assert_eq!(
            refusal_for(&recursive, Phase::Parse),
            Some(Refusal::TooDeep)
        );
        let too_many = message("{ count(ids: [1, 2, 3]) }").await;
        assert!(is_input_coercion(&too_many), "{too_many}");
        let unset = message("query($ids: [Int!]!) { count(ids: $ids) }").await;
        assert!(is_input_coercion(&unset), "{unset}");
        // A nullable variable in a required position is let through validation.
        let null = message("query($ids: [Int!]) { count(ids: $ids) }").await;
        assert!(is_input_coercion(&null), "{null}");
    }

    #[test]
    fn an_error_without_a_code_gets_one_and_a_coded_error_keeps_its_own() {
        let mut errors = vec![
            ServerError::new("Unknown field \"x\"", None),
            Refusal::TooDeep.error("deep"),
        ];
        label(&mut errors, Phase::Validation);
        assert_eq!(code_of(&errors[0]), Some("GRAPHQL_VALIDATION_FAILED"));
        assert_eq!(code_of(&errors[1]), Some("QUERY_TOO_DEEP"));

        let mut errors = vec![ServerError::new("connection refused to 10.0.0.1", None)];
        label(&mut errors, Phase::Execution);
        assert_eq!(code_of(&errors[0]), Some(INTERNAL));
        assert!(!errors[0].message.contains("10.0.0.1"));
    }
}

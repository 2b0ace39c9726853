//! `/graphql` as the GraphQL-over-HTTP specification describes it: GET and POST, the answer's
//! media type chosen from `Accept`, status codes by the spec's rules for that media type, and
//! every refusal a JSON body whose error carries an `extensions.code`. GraphiQL answers a
//! browser's GET without a query. What a request means is `graphql`'s business; this module
//! owns only the HTTP around it, and maps each `Refusal` to a status in `status_of`.

use crate::access::{AccessError, Gate};
use crate::graphql::{self, AppSchema, Limits, Loaders, Outcome, Refusal};
use crate::store::Store;
use async_graphql::ServerError;
use async_graphql::http::GraphiQLSource;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::any;
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Clone)]
struct Endpoint {
    schema: AppSchema,
    store: Store,
    limits: Limits,
    gate: Gate,
}

/// The `/graphql` route with its body limit; `gate` decides who each request comes from.
pub fn router(schema: AppSchema, store: Store, limits: &Limits, gate: Gate) -> Router {
    let endpoint = Endpoint {
        schema,
        store,
        limits: limits.clone(),
        gate,
    };
    Router::new()
        .route("/graphql", any(graphql))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .with_state(endpoint)
}

/// The two media types a GraphQL response can be sent in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MediaType {
    /// `application/graphql-response+json`: status codes say whether the request ran.
    GraphqlResponse,
    /// `application/json`, what older clients know: a GraphQL response is always a 200.
    Json,
}

impl MediaType {
    fn essence(self) -> &'static str {
        match self {
            MediaType::GraphqlResponse => "application/graphql-response+json",
            MediaType::Json => "application/json",
        }
    }

    fn content_type(self) -> HeaderValue {
        match self {
            MediaType::GraphqlResponse => {
                HeaderValue::from_static("application/graphql-response+json; charset=utf-8")
            }
            MediaType::Json => HeaderValue::from_static("application/json; charset=utf-8"),
        }
    }
}

/// A request refused before it reached GraphQL, or answered without running.
struct Refused {
    refusal: Refusal,
    message: String,
    /// The `Allow` header of a 405.
    allow: Option<&'static str>,
}

impl Refused {
    fn new(refusal: Refusal, message: impl Into<String>) -> Self {
        Refused {
            refusal,
            message: message.into(),
            allow: None,
        }
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Refused::new(Refusal::BadRequest, message)
    }

    fn method_not_allowed(allow: &'static str, message: impl Into<String>) -> Self {
        Refused {
            allow: Some(allow),
            ..Refused::new(Refusal::MethodNotAllowed, message)
        }
    }
}

/// The HTTP status of each refusal. Request errors (the document did not parse or validate)
/// are a 400 only where the media type lets a status speak: an `application/json` client
/// expects 200 and reads the errors.
fn status_of(refusal: Refusal, media: MediaType) -> StatusCode {
    match refusal {
        Refusal::BadRequest => StatusCode::BAD_REQUEST,
        Refusal::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Refusal::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
        Refusal::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Refusal::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Refusal::ParseFailed
        | Refusal::ValidationFailed
        | Refusal::OperationResolutionFailed
        | Refusal::TooDeep
        | Refusal::TooComplex
        | Refusal::BadUserInput => request_error_status(media),
        // The server gave up, whatever the client sent; 504 says "no answer in time".
        Refusal::Timeout => StatusCode::GATEWAY_TIMEOUT,
        Refusal::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        Refusal::Unauthenticated => StatusCode::UNAUTHORIZED,
    }
}

fn request_error_status(media: MediaType) -> StatusCode {
    match media {
        MediaType::GraphqlResponse => StatusCode::BAD_REQUEST,
        MediaType::Json => StatusCode::OK,
    }
}

async fn graphql(State(endpoint): State<Endpoint>, request: Request) -> Response {
    let head = Head {
        method: request.method().clone(),
        uri: request.uri().clone(),
        headers: request.headers().clone(),
    };
    // The body is read before anything is refused: hyper closes a connection whose request
    // body was left unread, under a client that may already be sending its next request.
    let body = Bytes::from_request(request, &()).await;
    let body_unread = body.is_err();
    let mut response = answer(&endpoint, &head, body).await;
    let headers = response.headers_mut();
    headers.insert(header::VARY, HeaderValue::from_static("accept"));
    if body_unread {
        // Too large (or broken) to read whole: say so, so the client opens a new connection.
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if head.method == Method::HEAD {
        *response.body_mut() = Body::empty();
    }
    response
}

struct Head {
    method: Method,
    uri: axum::http::Uri,
    headers: HeaderMap,
}

async fn answer(
    endpoint: &Endpoint,
    request: &Head,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let method = &request.method;
    let is_get = method == Method::GET || method == Method::HEAD;
    if !is_get && method != Method::POST {
        return refused(
            Refused::method_not_allowed(
                "GET, POST",
                format!("{method} is not allowed here: use GET or POST"),
            ),
            MediaType::Json,
        );
    }
    let accept = request
        .headers
        .get(header::ACCEPT)
        .map(|v| v.to_str().unwrap_or(""));
    let media = negotiate(accept);
    if is_get && wants_html(accept) && !has_query_param(request.uri.query()) {
        return graphiql();
    }
    let Some(media) = media else {
        return refused(
            Refused::new(
                Refusal::NotAcceptable,
                "the Accept header names neither application/graphql-response+json nor application/json",
            ),
            MediaType::Json,
        );
    };

    // Every request that can reach data needs its caller; the GraphiQL page above holds none.
    let authorization = request
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let caller = match endpoint.gate.caller(authorization).await {
        Ok(caller) => caller,
        Err(AccessError::Store(e)) => {
            tracing::error!(error = %e, "could not check an API token");
            return refused(internal(), media);
        }
        Err(e) => {
            let mut response =
                refused(Refused::new(Refusal::Unauthenticated, e.to_string()), media);
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return response;
        }
    };

    let params = if is_get {
        from_query_string(&request.uri)
    } else {
        from_body(&request.headers, body)
    };
    let gql_request = match params {
        Ok(params) => params.into_request(),
        Err(refusal) => return refused(refusal, media),
    };
    // Loaders are per request: they batch the lookups of one response and cache nothing beyond.
    let gql_request = gql_request.data(Loaders::new(&endpoint.store)).data(caller);

    let prepared = match graphql::prepare(gql_request, &endpoint.limits) {
        Ok(prepared) => prepared,
        Err(errors) => return request_error(errors, media),
    };
    if is_get && prepared.is_mutation() {
        // GET must stay safe: a link or a prefetch must never change data.
        return refused(
            Refused::method_not_allowed("POST", "mutations are not allowed over GET: use POST"),
            media,
        );
    }
    match graphql::execute(&endpoint.schema, prepared, &endpoint.limits).await {
        Outcome::Executed(response) => match serde_json::to_vec(&response) {
            Ok(body) => with_body(StatusCode::OK, media, body),
            Err(e) => {
                tracing::error!(error = %e, "response could not be serialized");
                refused(internal(), media)
            }
        },
        Outcome::RequestError(errors) => request_error(errors, media),
        Outcome::TimedOut { mutation } => {
            let seconds = endpoint.limits.request_timeout.as_secs_f64();
            let message = if mutation {
                format!(
                    "the mutation did not finish within {seconds} s; it goes on, and its sync run will show the outcome"
                )
            } else {
                format!("the query did not finish within {seconds} s and was stopped")
            };
            refused(Refused::new(Refusal::Timeout, message), media)
        }
        Outcome::Failed => refused(internal(), media),
    }
}

fn internal() -> Refused {
    Refused::new(
        Refusal::Internal,
        "internal error; the server log has the details",
    )
}

/// The parameters of a GraphQL-over-HTTP request, checked for type.
struct Params {
    query: String,
    operation_name: Option<String>,
    variables: Option<Map<String, Value>>,
}

impl Params {
    fn into_request(self) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(self.query);
        if let Some(name) = self.operation_name {
            request = request.operation_name(name);
        }
        if let Some(variables) = self.variables {
            request = request.variables(async_graphql::Variables::from_json(Value::Object(
                variables,
            )));
        }
        // `extensions` is checked for shape but not used: no extension of ours reads it.
        request
    }

    /// Checks the parameters of a request in the shapes the spec allows: `query` a string,
    /// `operationName` a string or null, `variables` and `extensions` maps or null.
    fn from_json(body: Value) -> Result<Params, Refused> {
        let Value::Object(mut body) = body else {
            return Err(Refused::bad_request(
                "the body must be a JSON object with a query (batches are not supported)",
            ));
        };
        let query = match body.remove("query") {
            Some(Value::String(query)) => query,
            None | Some(Value::Null) => {
                return Err(Refused::bad_request("the query parameter is missing"));
            }
            Some(_) => return Err(Refused::bad_request("query must be a string")),
        };
        let operation_name = match body.remove("operationName") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name),
            Some(_) => {
                return Err(Refused::bad_request(
                    "operationName must be a string or null",
                ));
            }
        };
        let variables = map_or_null(body.remove("variables"), "variables")?;
        map_or_null(body.remove("extensions"), "extensions")?;
        Ok(Params {
            query,
            operation_name,
            variables,
        })
    }
}

fn map_or_null(value: Option<Value>, name: &str) -> Result<Option<Map<String, Value>>, Refused> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(Refused::bad_request(format!(
            "{name} must be a map (a JSON object) or null"
        ))),
    }
}

/// GET: the parameters in the query string, `variables` and `extensions` as JSON text.
fn from_query_string(uri: &axum::http::Uri) -> Result<Params, Refused> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Raw {
        query: Option<String>,
        operation_name: Option<String>,
        variables: Option<String>,
        extensions: Option<String>,
    }
    let Query(raw) = Query::<Raw>::try_from_uri(uri)
        .map_err(|e| Refused::bad_request(format!("the query string is malformed: {e}")))?;
    let json_param = |text: Option<String>, name: &str| -> Result<Value, Refused> {
        match text {
            None => Ok(Value::Null),
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| Refused::bad_request(format!("{name} is not JSON: {e}"))),
        }
    };
    let mut body = Map::new();
    if let Some(query) = raw.query {
        body.insert("query".into(), Value::String(query));
    }
    if let Some(name) = raw.operation_name {
        body.insert("operationName".into(), Value::String(name));
    }
    body.insert("variables".into(), json_param(raw.variables, "variables")?);
    body.insert(
        "extensions".into(),
        json_param(raw.extensions, "extensions")?,
    );
    Params::from_json(Value::Object(body))
}

/// POST: a JSON body in UTF-8, no larger than the limit.
fn from_body(headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Params, Refused> {
    check_content_type(headers)?;
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Refused::new(Refusal::PayloadTooLarge, "the body is larger than allowed")
        } else {
            Refused::bad_request(format!("the body could not be read: {rejection}"))
        }
    })?;
    if body.is_empty() {
        return Err(Refused::bad_request(
            "the body is empty: send a JSON object with a query",
        ));
    }
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| Refused::bad_request(format!("the body is not valid JSON: {e}")))?;
    Params::from_json(body)
}

fn check_content_type(headers: &HeaderMap) -> Result<(), Refused> {
    let unsupported = |message: String| Refused::new(Refusal::UnsupportedMediaType, message);
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(unsupported(
            "a POST needs Content-Type: application/json".into(),
        ));
    };
    let value = value.to_str().unwrap_or("");
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(unsupported(format!(
            "Content-Type {essence:?} is not supported: send application/json"
        )));
    }
    for parameter in parts {
        let Some((name, value)) = parameter.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"');
        if name.trim().eq_ignore_ascii_case("charset") && !value.eq_ignore_ascii_case("utf-8") {
            return Err(unsupported(format!(
                "charset {value:?} is not supported: send UTF-8"
            )));
        }
    }
    Ok(())
}

/// The media type to answer in, or `None` when `Accept` allows neither.
///
/// No header means `application/json`, and so do wildcards (`*/*`, `application/*`): clients
/// that predate `application/graphql-response+json` must keep their 200s. The new type wins
/// when it is named and valued at least as high as `application/json`.
fn negotiate(accept: Option<&str>) -> Option<MediaType> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(MediaType::Json);
    };
    let ranges: Vec<MediaRange> = accept.split(',').filter_map(MediaRange::parse).collect();
    // (quality, specificity) of the most specific range naming the type.
    let score = |media: MediaType| {
        ranges
            .iter()
            .filter_map(|range| range.specificity(media.essence()).map(|s| (s, range.q)))
            .max_by_key(|(specificity, _)| *specificity)
            .map(|(specificity, q)| (q, specificity))
            .filter(|(q, _)| *q > 0)
    };
    match (score(MediaType::GraphqlResponse), score(MediaType::Json)) {
        (Some(new), Some(old)) if new.0 > old.0 || (new.0 == old.0 && new.1 == EXACT) => {
            Some(MediaType::GraphqlResponse)
        }
        (_, Some(_)) => Some(MediaType::Json),
        (Some(_), None) => Some(MediaType::GraphqlResponse),
        (None, None) => None,
    }
}

const EXACT: u8 = 2;

/// One entry of an `Accept` header; `q` in thousandths.
struct MediaRange {
    kind: String,
    subtype: String,
    q: u16,
}

impl MediaRange {
    fn parse(text: &str) -> Option<MediaRange> {
        let mut parts = text.split(';');
        let (kind, subtype) = parts.next()?.trim().split_once('/')?;
        let mut q = 1000;
        for parameter in parts {
            if let Some((name, value)) = parameter.split_once('=')
                && name.trim().eq_ignore_ascii_case("q")
            {
                let value: f32 = value.trim().parse().ok()?;
                q = (value.clamp(0.0, 1.0) * 1000.0).round() as u16;
            }
        }
        Some(MediaRange {
            kind: kind.trim().to_ascii_lowercase(),
            subtype: subtype.trim().to_ascii_lowercase(),
            q,
        })
    }

    /// How specifically this range names `essence`: 2 exactly, 1 as `type/*`, 0 as `*/*`.
    fn specificity(&self, essence: &str) -> Option<u8> {
        let (kind, subtype) = essence.split_once('/')?;
        match (self.kind.as_str(), self.subtype.as_str()) {
            ("*", "*") => Some(0),
            (k, "*") if k == kind => Some(1),
            (k, s) if k == kind && s == subtype => Some(EXACT),
            _ => None,
        }
    }
}

/// A browser asks for HTML by name; API clients do not.
fn wants_html(accept: Option<&str>) -> bool {
    accept.is_some_and(|accept| {
        accept
            .split(',')
            .filter_map(MediaRange::parse)
            .any(|r| r.kind == "text" && r.subtype == "html" && r.q > 0)
    })
}

fn has_query_param(query_string: Option<&str>) -> bool {
    query_string.is_some_and(|qs| {
        qs.split('&')
            .any(|pair| pair.split('=').next() == Some("query"))
    })
}

fn graphiql() -> Response {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .title("kleer-sync")
            .finish(),
    )
    .into_response()
}

/// A request that failed before execution: errors only, no `data` entry.
fn request_error(errors: Vec<ServerError>, media: MediaType) -> Response {
    errors_response(request_error_status(media), media, &errors, None)
}

fn refused(refused: Refused, media: MediaType) -> Response {
    let errors = [refused.refusal.error(refused.message)];
    errors_response(
        status_of(refused.refusal, media),
        media,
        &errors,
        refused.allow,
    )
}

fn errors_response(
    status: StatusCode,
    media: MediaType,
    errors: &[ServerError],
    allow: Option<&'static str>,
) -> Response {
    // Plain strings, numbers and maps: this cannot fail to serialize.
    let body = serde_json::to_vec(&json!({ "errors": errors })).unwrap_or_default();
    let mut response = with_body(status, media, body);
    if let Some(allow) = allow {
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
    }
    response
}

fn with_body(status: StatusCode, media: MediaType, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, media.content_type());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_picks_the_media_type() {
        use MediaType::*;
        for (accept, expected) in [
            (None, Some(Json)),
            (Some(""), Some(Json)),
            (Some("*/*"), Some(Json)),
            (Some("application/*"), Some(Json)),
            (Some("application/json"), Some(Json)),
            (
                Some("application/graphql-response+json"),
                Some(GraphqlResponse),
            ),
            (
                Some("application/graphql-response+json, application/json;q=0.9"),
                Some(GraphqlResponse),
            ),
            (
                Some("application/json, application/graphql-response+json"),
                Some(GraphqlResponse),
            ),
            (
                Some("application/graphql-response+json;q=0.5, application/json"),
                Some(Json),
            ),
            (
                Some("application/graphql-response+json, */*;q=0.1"),
                Some(GraphqlResponse),
            ),
            (Some("application/json;q=0, */*"), Some(GraphqlResponse)),
            (
                Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
                Some(Json),
            ),
            (Some("text/html"), None),
            (Some("application/xml"), None),
            (Some("application/json;q=0"), None),
        ] {
            assert_eq!(negotiate(accept), expected, "Accept: {accept:?}");
        }
    }

    #[test]
    fn every_refusal_has_a_status_per_media_type() {
        for media in [MediaType::Json, MediaType::GraphqlResponse] {
            assert_eq!(
                status_of(Refusal::ParseFailed, media),
                if media == MediaType::Json {
                    StatusCode::OK
                } else {
                    StatusCode::BAD_REQUEST
                }
            );
            assert_eq!(
                status_of(Refusal::MethodNotAllowed, media),
                StatusCode::METHOD_NOT_ALLOWED
            );
        }
    }

    #[test]
    fn content_type_must_be_json_in_utf8() {
        let check = |value: Option<&str>| {
            let mut headers = HeaderMap::new();
            if let Some(v) = value {
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(v).unwrap());
            }
            check_content_type(&headers).is_ok()
        };
        assert!(check(Some("application/json")));
        assert!(check(Some("Application/JSON; charset=UTF-8")));
        assert!(check(Some("application/json; charset=\"utf-8\"")));
        assert!(!check(None));
        assert!(!check(Some("text/plain")));
        assert!(!check(Some("application/graphql")));
        assert!(!check(Some("application/json; charset=latin1")));
    }
}

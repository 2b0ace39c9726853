//! The sandbox's HTTP face: Kleer's user and payroll-user endpoints, the checks Kleer makes
//! before it looks at a request (token, company, JSON), injected faults, and the sandbox's own
//! control endpoint. Handlers are thin: the rules live in `state`.

use super::Faults;
use super::state::{INTEGRATION_USER, Refusal, SandboxHandle};
use crate::kleer::wire::{
    Created, ErrorBody, PayrollUser, PayrollUserList, PayrollUserWrite, User, UserList, UserWrite,
};
use crate::model::KleerUserId;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::header::{ACCEPT, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// The sandbox as an axum router: the Kleer API under `/v1/company/{companyId}/` and the
/// control endpoint `/_sandbox/faults` (GET to read, POST to replace the injected faults).
pub fn router(handle: SandboxHandle) -> Router {
    let kleer = Router::new()
        .route("/v1/company/{cid}/user", get(list_users).put(create_user))
        .route("/v1/company/{cid}/user/me", get(me))
        .route(
            "/v1/company/{cid}/user/foreign-id/{foreign_id}",
            get(user_by_foreign_id),
        )
        .route("/v1/company/{cid}/user/{id}", get(user).post(update_user))
        .route("/v1/company/{cid}/payroll/user", get(list_payroll_users))
        .route(
            "/v1/company/{cid}/payroll/user/{id}",
            get(payroll_user)
                .put(create_payroll_user)
                .post(update_payroll_user),
        )
        .fallback(unknown_path)
        .method_not_allowed_fallback(method_not_allowed)
        // The last layer added runs first: count, then faults, then Kleer's own checks.
        .layer(from_fn(speak_json))
        .layer(from_fn_with_state(handle.clone(), authenticate))
        .layer(from_fn_with_state(handle.clone(), inject_faults))
        .layer(from_fn_with_state(handle.clone(), count_request));
    let control = Router::new().route("/_sandbox/faults", get(read_faults).post(write_faults));
    kleer.merge(control).with_state(handle)
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorBody::new(self.message))).into_response()
    }
}

fn refusal(status: StatusCode, message: impl Into<String>) -> Response {
    Refusal {
        status,
        message: message.into(),
    }
    .into_response()
}

async fn count_request(
    State(handle): State<SandboxHandle>,
    request: Request,
    next: Next,
) -> Response {
    handle.count_request();
    next.run(request).await
}

async fn inject_faults(
    State(handle): State<SandboxHandle>,
    request: Request,
    next: Next,
) -> Response {
    let faults = handle.faults();
    let dice = &handle.shared.dice;
    let hang = dice.chance(faults.hang_rate);
    if hang {
        handle.count_hang();
    }
    if faults.latency_ms > 0 || hang {
        let delay = async {
            tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
            if hang {
                std::future::pending::<()>().await;
            }
        };
        // A delayed or hung request lets go when the sandbox shuts down, so that it can stop.
        let mut stopping = handle.shared.shutdown.subscribe();
        tokio::select! {
            () = delay => {}
            _ = stopping.wait_for(|stop| *stop) => {
                return refusal(StatusCode::SERVICE_UNAVAILABLE, "the sandbox is shutting down");
            }
        }
    }
    if dice.chance(faults.throttle_rate) {
        handle.count_throttle();
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(RETRY_AFTER, "1")],
            Json(ErrorBody::new("too many requests")),
        )
            .into_response();
    }
    if dice.chance(faults.error_rate) {
        handle.count_error();
        return refusal(
            StatusCode::SERVICE_UNAVAILABLE,
            "Ett tekniskt fel har uppstått (sandbox fault)",
        );
    }
    next.run(request).await
}

/// The token first (401), then the company in the path (403): a wrong token learns nothing
/// about which companies exist.
async fn authenticate(
    State(handle): State<SandboxHandle>,
    request: Request,
    next: Next,
) -> Response {
    match request.headers().get("x-token").map(|v| v.as_bytes()) {
        None => return refusal(StatusCode::UNAUTHORIZED, "the X-Token header is missing"),
        Some(token) if token != handle.shared.token.as_bytes() => {
            return refusal(StatusCode::UNAUTHORIZED, "the token is not valid");
        }
        Some(_) => {}
    }
    let mut segments = request.uri().path().split('/').skip(1);
    if let (Some("v1"), Some("company"), Some(company)) =
        (segments.next(), segments.next(), segments.next())
        && company != handle.shared.company_id
    {
        return refusal(
            StatusCode::FORBIDDEN,
            format!("the token has no access to company {company}"),
        );
    }
    next.run(request).await
}

/// Kleer answers XML to a client that does not ask for JSON; the sandbox refuses instead, so a
/// client missing the headers fails its tests rather than production.
async fn speak_json(request: Request, next: Next) -> Response {
    if !lists_json(request.headers(), ACCEPT) {
        return refusal(
            StatusCode::NOT_ACCEPTABLE,
            "send Accept: application/json (Kleer may answer XML otherwise)",
        );
    }
    let has_body = matches!(*request.method(), Method::PUT | Method::POST);
    if has_body && !lists_json(request.headers(), CONTENT_TYPE) {
        return refusal(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send Content-Type: application/json",
        );
    }
    next.run(request).await
}

fn lists_json(headers: &HeaderMap, name: axum::http::HeaderName) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|media| {
            media
                .split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        })
}

async fn unknown_path() -> Refusal {
    Refusal::not_found("no such resource")
}

async fn method_not_allowed() -> Refusal {
    Refusal {
        status: StatusCode::METHOD_NOT_ALLOWED,
        message: "method not allowed here".into(),
    }
}

#[derive(Deserialize)]
struct IdPath {
    id: String,
}

#[derive(Deserialize)]
struct ForeignIdPath {
    foreign_id: String,
}

/// An id that is not a number names no user: 404, like any other unknown id.
fn user_id(path: &IdPath) -> Result<KleerUserId, Refusal> {
    path.id
        .parse()
        .map(KleerUserId)
        .map_err(|_| Refusal::not_found(format!("no user with id {}", path.id)))
}

fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, Refusal> {
    if body.trim_ascii().is_empty() {
        return Err(Refusal::bad_request("a JSON body is required"));
    }
    serde_json::from_slice(body).map_err(|e| Refusal::bad_request(format!("invalid body: {e}")))
}

async fn list_users(State(handle): State<SandboxHandle>) -> Json<UserList> {
    Json(UserList {
        users: handle.users(),
    })
}

async fn me(State(handle): State<SandboxHandle>) -> Result<Json<User>, Refusal> {
    handle.lock().user(INTEGRATION_USER).map(Json)
}

async fn user(
    State(handle): State<SandboxHandle>,
    Path(path): Path<IdPath>,
) -> Result<Json<User>, Refusal> {
    let id = user_id(&path)?;
    handle.lock().user(id).map(Json)
}

async fn user_by_foreign_id(
    State(handle): State<SandboxHandle>,
    Path(path): Path<ForeignIdPath>,
) -> Result<Json<User>, Refusal> {
    handle.lock().user_by_foreign_id(&path.foreign_id).map(Json)
}

async fn create_user(
    State(handle): State<SandboxHandle>,
    body: Bytes,
) -> Result<Json<Created>, Refusal> {
    let write: UserWrite = parse_body(&body)?;
    let id = handle.mutate(|store| store.create_user(&write))?;
    Ok(Json(Created { id }))
}

async fn update_user(
    State(handle): State<SandboxHandle>,
    Path(path): Path<IdPath>,
    body: Bytes,
) -> Result<Json<User>, Refusal> {
    let id = user_id(&path)?;
    let write: UserWrite = parse_body(&body)?;
    handle
        .mutate(|store| store.update_user(id, &write))
        .map(Json)
}

async fn list_payroll_users(State(handle): State<SandboxHandle>) -> Json<PayrollUserList> {
    Json(PayrollUserList {
        payroll_user_readables: handle.payroll_users(),
    })
}

async fn payroll_user(
    State(handle): State<SandboxHandle>,
    Path(path): Path<IdPath>,
) -> Result<Json<PayrollUser>, Refusal> {
    let id = user_id(&path)?;
    handle.lock().payroll_user(id).map(Json)
}

async fn create_payroll_user(
    State(handle): State<SandboxHandle>,
    Path(path): Path<IdPath>,
    body: Bytes,
) -> Result<Json<Created>, Refusal> {
    let id = user_id(&path)?;
    let write: PayrollUserWrite = parse_body(&body)?;
    handle.mutate(|store| store.create_payroll_user(id, &write))?;
    Ok(Json(Created { id }))
}

async fn update_payroll_user(
    State(handle): State<SandboxHandle>,
    Path(path): Path<IdPath>,
    body: Bytes,
) -> Result<Json<PayrollUser>, Refusal> {
    let id = user_id(&path)?;
    let write: PayrollUserWrite = parse_body(&body)?;
    handle
        .mutate(|store| store.update_payroll_user(id, &write))
        .map(Json)
}

async fn read_faults(State(handle): State<SandboxHandle>) -> Json<Faults> {
    Json(handle.faults())
}

/// Replaces the faults; keys left out are zero.
async fn write_faults(
    State(handle): State<SandboxHandle>,
    body: Bytes,
) -> Result<Json<Faults>, Refusal> {
    let faults: Faults = parse_body(&body)?;
    faults.validate().map_err(Refusal::bad_request)?;
    handle.set_faults(faults);
    Ok(Json(faults))
}

//! HTTP: the axum router (GraphQL, GraphiQL, health) and the `serve` start-up sequence. Nothing
//! here knows a business rule.

use crate::access::Gate;
use crate::config::ServeArgs;
use crate::graphql::{self, Limits};
use crate::store::{NewConnection, SecretBox, Store};
use crate::sync::{Service, Settings};
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use std::time::Duration;

#[derive(Clone)]
struct AppState {
    service: Service,
    gate: Gate,
}

/// The whole HTTP surface of the server: `/graphql` (GraphQL over HTTP, GraphiQL) and `/health`.
pub fn router(service: Service, limits: &Limits, gate: Gate) -> Router {
    let schema = graphql::build_schema(service.clone(), limits);
    let store = service.store().clone();
    let graphql = crate::http_graphql::router(schema, store, limits, gate.clone());
    Router::new()
        .route("/health", get(health))
        .with_state(AppState { service, gate })
        .merge(graphql)
}

async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let database = match state.service.store().backend() {
        crate::store::Backend::Sqlite => "sqlite",
        crate::store::Backend::Postgres => "postgres",
    };
    let auth = if state.gate.is_open() {
        "open: no API token exists yet, every request is served as owner, on loopback only"
    } else {
        "tokens: every request needs Authorization: Bearer <token>"
    };
    Json(serde_json::json!({ "status": "ok", "database": database, "auth": auth }))
}

/// Errors that stop the server from starting.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Sync(#[from] crate::sync::SyncError),
    #[error("set all of KLEER_BASE_URL, KLEER_COMPANY_ID and KLEER_TOKEN, or none of them")]
    PartialKleerConfig,
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Secret(#[from] crate::store::SecretError),
    #[error(
        "no API token exists, so the server may only listen on loopback (not {0}): create one with `kleer-sync token create --role owner`, or listen on 127.0.0.1"
    )]
    OpenOnNetwork(std::net::SocketAddr),
    #[error(
        "--require-auth: no API token exists; create one with `kleer-sync token create --role owner`"
    )]
    NoToken,
}

pub fn settings(args: &ServeArgs) -> Settings {
    Settings {
        kleer_timeout: Duration::from_secs(args.kleer_timeout_secs.max(1)),
        mirror_max_age: Duration::from_secs(args.mirror_max_age_secs),
        kleer_concurrency: args.kleer_concurrency.max(1),
        claim_lease: Duration::from_secs(args.claim_lease_secs.max(1)),
    }
}

/// The key for secrets at rest: from the environment, or from the key file (made on first start).
fn secret_box(args: &ServeArgs) -> Result<SecretBox, StartError> {
    if let Some(key) = &args.secret_key {
        return Ok(SecretBox::from_base64(key)?);
    }
    let (secrets, created) = SecretBox::from_file(&args.secret_key_file)?;
    if created {
        tracing::warn!(
            file = %args.secret_key_file.display(),
            "created a new secret key for the Kleer tokens; keep it with the database (or set KLEER_SYNC_SECRET_KEY)"
        );
    }
    Ok(secrets)
}

/// Opens the database, makes sure a Kleer connection exists (the configured one, or the demo
/// sandbox), then serves until Ctrl-C or SIGTERM.
pub async fn serve(args: ServeArgs) -> Result<(), StartError> {
    let store = Store::open(&args.database.database_url, args.database.db_connections).await?;
    let open = !store.any_live_token().await?;
    if open && args.require_auth {
        return Err(StartError::NoToken);
    }
    if open && !args.addr.ip().is_loopback() {
        return Err(StartError::OpenOnNetwork(args.addr));
    }
    let store = store.with_secrets(secret_box(&args)?);
    tracing::info!(database = ?store.backend(), "database ready");
    if open {
        tracing::warn!(
            "no API token exists: serving every request as owner, on loopback only; create one with `kleer-sync token create --role owner`"
        );
    }
    let gate = Gate::new(store.clone(), open);
    let _watch = gate.watch_for_tokens(Duration::from_secs(5));
    let service = Service::new(store, settings(&args));

    // Kept alive for as long as the server runs.
    let _demo_sandbox = match (
        &args.kleer_base_url,
        &args.kleer_company_id,
        &args.kleer_token,
    ) {
        (Some(base_url), Some(company_id), Some(token)) => {
            let connection = service
                .ensure_configured_connection(NewConnection {
                    label: "Kleer".into(),
                    base_url: base_url.trim_end_matches('/').to_string(),
                    company_id: company_id.clone(),
                    token: token.clone(),
                    use_work_email: args.kleer_use_work_email,
                    is_demo: false,
                })
                .await?;
            tracing::info!(connection = %connection.id, base_url = %connection.base_url, "Kleer connection configured");
            None
        }
        (None, None, None) => {
            crate::demo::start_if_needed(&service, args.demo_seed, &args.demo_state).await?
        }
        _ => return Err(StartError::PartialKleerConfig),
    };

    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    tracing::info!(
        "kleer-sync listening on http://{}/graphql",
        listener.local_addr()?
    );
    axum::serve(listener, router(service, &Limits::default(), gate))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: no new connections, finishing requests in flight");
}

//! Access control: tokens and roles once tokens exist, and the open first-run mode before.

use crate::process::Server;
use crate::support::{Db, Options, TestApp, TestDatabase, on_both_databases, start_sandbox};
use kleer_sync::access::{Role, create_token};
use serde_json::json;
use std::process::Command;

const VIEW: &str = "{ exportView(tab: ALL) { totalCount } }";
const EXPORT: &str = "mutation { exportEmployees(input: { employeeIds: [] }) { succeeded } }";
const CONNECT: &str = "mutation { updateKleerConnection(input: { id: \"S2xlZXJDb25uZWN0aW9uOjE\", label: \"Renamed\" }) { kleerConnection { label } userErrors { field } } }";

fn code(body: &serde_json::Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("none")
}

async fn every_request_needs_a_live_token_and_a_strong_enough_role(db: Db) {
    let app = TestApp::start_with(
        db,
        Options {
            require_tokens: true,
            ..Options::default()
        },
    )
    .await;
    let (viewer, _) = create_token(&app.store, Role::Viewer, "reader")
        .await
        .unwrap();
    let (admin, _) = create_token(&app.store, Role::Admin, "hr").await.unwrap();
    let (owner, _) = create_token(&app.store, Role::Owner, "it").await.unwrap();

    for token in [None, Some("ks_wrong"), Some("")] {
        let (status, body) = app.post_as(token, VIEW, json!({})).await;
        assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"), "{token:?}");
    }
    let (status, body) = app.post_as(Some(&viewer), VIEW, json!({})).await;
    assert_eq!(
        (status, &body["data"]["exportView"]["totalCount"]),
        (200, &json!(0))
    );
    let (_, body) = app.post_as(Some(&viewer), EXPORT, json!({})).await;
    assert_eq!(code(&body), "FORBIDDEN");

    let (_, body) = app.post_as(Some(&admin), EXPORT, json!({})).await;
    assert_eq!(body["data"]["exportEmployees"]["succeeded"], 0);
    let (_, body) = app.post_as(Some(&admin), CONNECT, json!({})).await;
    assert_eq!(code(&body), "FORBIDDEN");
    let (_, body) = app.post_as(Some(&owner), CONNECT, json!({})).await;
    assert_eq!(
        body["data"]["updateKleerConnection"]["kleerConnection"]["label"],
        "Renamed"
    );
}

async fn a_revoked_token_is_refused(db: Db) {
    let app = TestApp::start_with(
        db,
        Options {
            require_tokens: true,
            ..Options::default()
        },
    )
    .await;
    let (token, record) = create_token(&app.store, Role::Admin, "leaving")
        .await
        .unwrap();
    assert_eq!(app.post_as(Some(&token), VIEW, json!({})).await.0, 200);
    assert!(app.store.revoke_token(record.id).await.unwrap());
    let (status, body) = app.post_as(Some(&token), VIEW, json!({})).await;
    assert_eq!((status, code(&body)), (401, "UNAUTHENTICATED"));
    // Only a hash is stored.
    assert!(
        app.store
            .tokens()
            .await
            .unwrap()
            .iter()
            .all(|t| !format!("{t:?}").contains(&token))
    );
}

/// The binary: `token create` prints a token the server then requires; without any token the
/// server serves openly on loopback only, and `--require-auth` refuses that.
async fn the_command_line_creates_tokens_and_the_server_requires_them(db: Db) {
    let database = TestDatabase::create(&db).await;
    let sandbox = start_sandbox(0).await;
    let logs = tempfile::tempdir().unwrap();
    let binary = env!("CARGO_BIN_EXE_kleer-sync");

    let open = Server::start(&database.url, &sandbox.base_url(), logs.path(), &[]).await;
    let health: serde_json::Value = crate::support::http_client()
        .get(format!("{}/health", open.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        health["auth"].as_str().unwrap().starts_with("open"),
        "{health}"
    );
    drop(open);

    let refused = Command::new(binary)
        .args(["serve", "--addr", "0.0.0.0:0"])
        .env("DATABASE_URL", &database.url)
        .current_dir(logs.path())
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("loopback"));
    let refused = Command::new(binary)
        .args(["serve", "--require-auth"])
        .env("DATABASE_URL", &database.url)
        .current_dir(logs.path())
        .output()
        .unwrap();
    assert!(!refused.status.success());

    let created = Command::new(binary)
        .args(["token", "create", "--role", "admin", "--name", "ci"])
        .env("DATABASE_URL", &database.url)
        .current_dir(logs.path())
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let token = String::from_utf8(created.stdout)
        .unwrap()
        .trim()
        .to_string();
    assert!(token.starts_with("ks_"));
    let listed = Command::new(binary)
        .args(["token", "list"])
        .env("DATABASE_URL", &database.url)
        .current_dir(logs.path())
        .output()
        .unwrap();
    let listing = String::from_utf8(listed.stdout).unwrap();
    assert!(listing.contains("admin") && listing.contains("ci") && !listing.contains(&token));

    let server = Server::start(
        &database.url,
        &sandbox.base_url(),
        logs.path(),
        &[("KLEER_SYNC_REQUIRE_AUTH", "true")],
    )
    .await;
    let client = crate::support::http_client();
    let denied = client
        .post(format!("{}/graphql", server.url))
        .json(&json!({ "query": VIEW }))
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status().as_u16(), 401);
    let allowed = client
        .post(format!("{}/graphql", server.url))
        .bearer_auth(&token)
        .json(&json!({ "query": VIEW }))
        .send()
        .await
        .unwrap();
    assert_eq!(allowed.status().as_u16(), 200);
}

on_both_databases!(
    every_request_needs_a_live_token_and_a_strong_enough_role,
    a_revoked_token_is_refused,
    the_command_line_creates_tokens_and_the_server_requires_them,
);

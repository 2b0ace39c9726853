//! The sandbox on its own: seeding, persistence, faults and the shape of its answers, driven
//! over HTTP where the behaviour is HTTP's.

use super::{ACCOUNTANT_USER, Faults, INTEGRATION_USER, RunningSandbox, SandboxConfig, start};
use crate::kleer::wire::{PayrollUserWrite, UserWrite};
use crate::model::{KleerUserId, PersonalIdentityNumber};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::Path;

const TOKEN: &str = "sandbox-token";
const COMPANY: &str = "17";

fn config(seed: usize) -> SandboxConfig {
    SandboxConfig {
        seed,
        ..SandboxConfig::new(TOKEN, COMPANY)
    }
}

fn config_with_file(seed: usize, file: &Path) -> SandboxConfig {
    SandboxConfig {
        state_file: Some(file.to_path_buf()),
        ..config(seed)
    }
}

async fn running(config: SandboxConfig) -> RunningSandbox {
    start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A request as a well-behaved Kleer client sends it.
fn kleer_request(
    sandbox: &RunningSandbox,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    http()
        .request(
            method,
            format!("{}/company/{COMPANY}/{path}", sandbox.base_url()),
        )
        .header("X-Token", TOKEN)
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
}

async fn status_and_json(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn seeding_makes_distinct_valid_employees_next_to_the_standing_users() {
    let sandbox = running(config(25)).await;
    let handle = sandbox.handle();
    assert_eq!(handle.employee_count(), 25);
    let users = handle.users();
    assert_eq!(users.len(), 27);
    let ids: Vec<_> = users.iter().map(|u| u.id.0).collect();
    assert_eq!(ids, (1..=27).collect::<Vec<_>>());
    assert_eq!(users[0].id, INTEGRATION_USER);
    assert_eq!(users[1].id, ACCOUNTANT_USER);
    assert!(users.iter().all(|u| u.foreign_id.is_none()));

    let pins: HashSet<_> = handle
        .payroll_users()
        .iter()
        .map(|p| {
            let ssn = p.ssn.clone().unwrap();
            assert!(PersonalIdentityNumber::parse(&ssn).is_ok(), "{ssn}");
            ssn
        })
        .collect();
    assert_eq!(pins.len(), 25);
    assert!(
        handle
            .payroll_users()
            .iter()
            .all(|p| p.user_id() != INTEGRATION_USER && p.user_id() != ACCOUNTANT_USER)
    );
}

#[tokio::test]
async fn the_state_file_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kleer.json");

    let first = running(config_with_file(3, &file)).await;
    let handle = first.handle();
    let (status, created) = status_and_json(
        kleer_request(&first, reqwest::Method::PUT, "user")
            .json(&json!({"name": "Märta Ek", "foreign-id": "hr-1"})),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let inserted = handle.insert_employee(
        UserWrite {
            name: Some("Nils Holm".into()),
            ..Default::default()
        },
        PayrollUserWrite {
            ssn: Some("811218-9876".into()),
            ..Default::default()
        },
    );
    assert!(handle.remove_user(KleerUserId(3)));
    assert!(!handle.remove_user(INTEGRATION_USER));
    let users = handle.users();
    let payroll = handle.payroll_users();
    first.shutdown().await.unwrap();
    assert!(!dir.path().join("kleer.json.tmp").exists());

    // A different seed is ignored: the file wins.
    let second = running(config_with_file(10, &file)).await;
    assert_eq!(second.handle().users(), users);
    assert_eq!(second.handle().payroll_users(), payroll);
    let next = second
        .handle()
        .insert_employee(UserWrite::default(), PayrollUserWrite::default());
    assert_eq!(next, KleerUserId(inserted.0 + 1), "ids are never reused");
}

#[tokio::test]
async fn an_unreadable_state_file_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kleer.json");
    std::fs::write(&file, "{not json").unwrap();
    let error = start(config_with_file(0, &file), "127.0.0.1:0".parse().unwrap())
        .await
        .err()
        .unwrap();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
}

#[tokio::test]
async fn faults_change_at_runtime_through_the_control_endpoint() {
    let sandbox = running(config(1)).await;
    let faults_url = format!("http://{}/_sandbox/faults", sandbox.local_addr());

    let (status, faults) = status_and_json(http().get(&faults_url)).await;
    assert_eq!(status, 200);
    assert_eq!(
        faults,
        json!({"latency_ms": 0, "error_rate": 0.0, "throttle_rate": 0.0, "hang_rate": 0.0})
    );

    let (status, _) =
        status_and_json(http().post(&faults_url).json(&json!({"error_rate": 1.0}))).await;
    assert_eq!(status, 200);
    assert_eq!(sandbox.handle().faults().error_rate, 1.0);
    let (status, body) =
        status_and_json(kleer_request(&sandbox, reqwest::Method::GET, "user")).await;
    assert_eq!(status, 503);
    assert!(body["error"]["message"].is_string());

    let (status, body) =
        status_and_json(http().post(&faults_url).json(&json!({"hang_rate": 2.0}))).await;
    assert_eq!(status, 400, "{body}");

    sandbox.handle().set_faults(Faults {
        throttle_rate: 1.0,
        ..Default::default()
    });
    let response = kleer_request(&sandbox, reqwest::Method::GET, "user")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "1");

    // Kleer requests are counted whatever their answer; control requests are not.
    assert_eq!(sandbox.handle().request_count(), 2);
    assert_eq!(
        sandbox.handle().injected_faults(),
        super::InjectedFaults {
            hangs: 0,
            throttles: 1,
            errors: 1
        }
    );
}

#[tokio::test]
async fn answers_have_kleers_shape_and_json_is_required() {
    let sandbox = running(config(2)).await;

    let (status, body) =
        status_and_json(kleer_request(&sandbox, reqwest::Method::GET, "user")).await;
    assert_eq!(status, 200);
    assert_eq!(body["users"].as_array().unwrap().len(), 4);
    let (status, body) = status_and_json(kleer_request(
        &sandbox,
        reqwest::Method::GET,
        "payroll/user",
    ))
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["payroll-user-readables"].as_array().unwrap().len(), 2);
    assert_eq!(body["payroll-user-readables"][0]["user"], json!({"id": 3}));
    let (status, body) =
        status_and_json(kleer_request(&sandbox, reqwest::Method::GET, "user/3")).await;
    assert_eq!(status, 200);
    assert_eq!(body["id"], 3);

    let url = format!("{}/company/{COMPANY}/user", sandbox.base_url());
    let (status, body) = status_and_json(http().get(&url).header("X-Token", TOKEN)).await;
    assert_eq!(status, 406);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Accept")
    );
    let (status, _) = status_and_json(
        http()
            .put(&url)
            .header("X-Token", TOKEN)
            .header("Accept", "application/json")
            .body(r#"{"name": "X"}"#),
    )
    .await;
    assert_eq!(status, 415);
    let (status, body) = status_and_json(http().get(&url)).await;
    assert_eq!((status, body["error"]["message"].is_string()), (401, true));

    for path in ["nothing/here", "user/abc", "payroll/user/1"] {
        let (status, body) =
            status_and_json(kleer_request(&sandbox, reqwest::Method::GET, path)).await;
        assert_eq!(status, 404, "{path}");
        assert!(body["error"]["message"].is_string(), "{path}: {body}");
    }
    let (status, body) =
        status_and_json(kleer_request(&sandbox, reqwest::Method::PUT, "user").body("{oops")).await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"].is_string());
}

#[tokio::test]
async fn a_foreign_id_names_one_user() {
    let sandbox = running(config(0)).await;
    let create = |name: &str| {
        kleer_request(&sandbox, reqwest::Method::PUT, "user")
            .json(&json!({"name": name, "foreign-id": "hr-9"}))
    };
    let (status, body) = status_and_json(create("Eva Berg")).await;
    assert_eq!((status, body["id"].as_i64()), (200, Some(3)));
    let (status, body) = status_and_json(create("Eva Berg")).await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = status_and_json(
        kleer_request(&sandbox, reqwest::Method::POST, "user/3")
            .json(&json!({"foreign-id": "hr-9"})),
    )
    .await;
    assert_eq!(status, 200, "a user may be sent its own foreign id again");
}

#[tokio::test]
async fn the_handle_edits_as_kleer_users_would() {
    let sandbox = running(config(1)).await;
    let handle = sandbox.handle();
    let id = KleerUserId(3);
    assert!(handle.update_payroll_user(
        id,
        &PayrollUserWrite {
            monthly_salary: Some(99_000),
            ..Default::default()
        }
    ));
    assert!(handle.update_user(
        id,
        &UserWrite {
            active: Some(false),
            ..Default::default()
        }
    ));
    assert_eq!(handle.payroll_users()[0].monthly_salary, Some(99_000));
    assert!(!handle.users()[2].active);
    assert!(!handle.update_payroll_user(INTEGRATION_USER, &PayrollUserWrite::default()));

    assert!(handle.remove_user(id));
    assert_eq!(handle.employee_count(), 0);
    assert!(!handle.remove_user(id));
}

#[tokio::test]
async fn latency_delays_every_answer() {
    let sandbox = running(SandboxConfig {
        faults: Faults {
            latency_ms: 150,
            ..Default::default()
        },
        ..config(0)
    })
    .await;
    let started = std::time::Instant::now();
    let (status, _) =
        status_and_json(kleer_request(&sandbox, reqwest::Method::GET, "user/me")).await;
    assert_eq!(status, 200);
    assert!(started.elapsed() >= std::time::Duration::from_millis(150));
}

//! The client against the sandbox, over real HTTP on a free local port.

use super::mapping::{kleer_employees, payroll_write, user_write};
use super::wire::{EmploymentEnd, PayrollUserWrite, UserWrite};
use super::{KleerClient, KleerError, KleerSettings, RetryPolicy};
use crate::model::{Address, EmployeeData, KleerUserId, PersonalIdentityNumber};
use crate::sandbox::{
    self, ACCOUNTANT_USER, Faults, INTEGRATION_USER, RunningSandbox, SandboxConfig, SandboxHandle,
};
use axum::extract::Request;
use axum::http::{Method, StatusCode, header::RETRY_AFTER};
use axum::middleware::{Next, from_fn};
use axum::response::IntoResponse;
use chrono::NaiveDate;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOKEN: &str = "test-token-3f9c1e";
const COMPANY: &str = "4711";

async fn start(seed: usize, faults: Faults) -> RunningSandbox {
    let config = SandboxConfig {
        seed,
        faults,
        ..SandboxConfig::new(TOKEN, COMPANY)
    };
    sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

/// Retries as in production, with waits short enough for a test.
fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(10),
        max_total: Duration::from_secs(5),
    }
}

fn settings(base_url: String, timeout: Duration, retry: RetryPolicy) -> KleerSettings {
    KleerSettings {
        base_url,
        company_id: COMPANY.into(),
        token: TOKEN.into(),
        timeout,
        retry,
    }
}

fn client_with(
    sandbox: &RunningSandbox,
    token: &str,
    company: &str,
    timeout: Duration,
) -> KleerClient {
    KleerClient::new(KleerSettings {
        company_id: company.into(),
        token: token.into(),
        ..settings(sandbox.base_url(), timeout, quick_retries())
    })
    .unwrap()
}

fn client(sandbox: &RunningSandbox) -> KleerClient {
    client_with(sandbox, TOKEN, COMPANY, Duration::from_secs(5))
}

fn retrying_client(sandbox: &RunningSandbox, timeout: Duration, retry: RetryPolicy) -> KleerClient {
    KleerClient::new(settings(sandbox.base_url(), timeout, retry)).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn hr_employee() -> EmployeeData {
    EmployeeData {
        first_name: "Åsa".into(),
        last_name: "Öberg".into(),
        personal_identity_number: Some(PersonalIdentityNumber::from_parts(date(1985, 4, 12), 321)),
        private_email: Some("asa@privat.se".into()),
        work_email: Some("asa.oberg@firma.se".into()),
        private_phone: Some("070-555 12 34".into()),
        home_address: Address {
            street: Some("Ängsvägen 3".into()),
            zip_code: Some("75236".into()),
            city: Some("Uppsala".into()),
            country_code: Some("SE".into()),
        },
        tax_table: Some(32),
        tax_column: Some(1),
        clearing_number: Some("6123".into()),
        bank_account_number: Some("123456789".into()),
        start_date: Some(date(2021, 3, 1)),
        end_date: Some(date(2026, 12, 31)),
        monthly_salary: Some(41_500),
        ..Default::default()
    }
}

#[tokio::test]
async fn lists_every_user_but_only_employees_are_employees() {
    let sandbox = start(3, Faults::default()).await;
    let kleer = client(&sandbox);

    let users = kleer.list_users().await.unwrap();
    let ids: Vec<_> = users.iter().map(|u| u.id).collect();
    assert_eq!(ids.len(), 5);
    assert!(ids.contains(&INTEGRATION_USER) && ids.contains(&ACCOUNTANT_USER));
    let payroll = kleer.list_payroll_users().await.unwrap();
    assert_eq!(payroll.len(), 3);

    let employees = kleer_employees(users, payroll);
    assert_eq!(employees.len(), 3);
    assert!(
        employees
            .iter()
            .all(|e| e.user_id != INTEGRATION_USER && e.user_id != ACCOUNTANT_USER)
    );
    assert!(
        employees
            .iter()
            .all(|e| e.personal_identity_number.is_some())
    );

    assert_eq!(kleer.me().await.unwrap().id, INTEGRATION_USER);
    assert_eq!(
        kleer.get_payroll_user(INTEGRATION_USER).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn a_created_employee_reads_back_as_written() {
    let sandbox = start(0, Faults::default()).await;
    let kleer = client(&sandbox);
    let data = hr_employee();

    let id = kleer
        .create_user(&user_write(&data, false, Some("hr-17")))
        .await
        .unwrap();
    kleer
        .create_payroll_user(id, &payroll_write(&data))
        .await
        .unwrap();

    let user = kleer.get_user(id).await.unwrap();
    assert_eq!(user.name, "Åsa Öberg");
    assert_eq!(user.email.as_deref(), Some("asa@privat.se"));
    assert_eq!(user.foreign_id.as_deref(), Some("hr-17"));
    assert!(user.active);
    let payroll = kleer.get_payroll_user(id).await.unwrap().unwrap();
    let employee = super::mapping::kleer_employee(&user, &payroll);
    assert_eq!(employee.split_name(), ("Åsa".into(), "Öberg".into()));
    assert_eq!(
        employee.personal_identity_number.as_deref(),
        Some(data.personal_identity_number.as_ref().unwrap().as_str())
    );
    assert_eq!(employee.home_address, data.home_address);
    assert_eq!(employee.phone, data.private_phone);
    assert_eq!(employee.tax_table, data.tax_table);
    assert_eq!(employee.tax_column, data.tax_column);
    assert_eq!(employee.clearing_number, data.clearing_number);
    assert_eq!(employee.bank_account_number, data.bank_account_number);
    assert_eq!(employee.start_date, data.start_date);
    assert_eq!(employee.end_date, data.end_date);
    assert_eq!(employee.monthly_salary, data.monthly_salary);
    assert_eq!(payroll.address1, None);

    let all = kleer_employees(
        kleer.list_users().await.unwrap(),
        kleer.list_payroll_users().await.unwrap(),
    );
    assert_eq!(all, vec![employee]);
}

#[tokio::test]
async fn a_partial_update_keeps_the_fields_left_out() {
    let sandbox = start(0, Faults::default()).await;
    let kleer = client(&sandbox);
    let data = hr_employee();
    let id = kleer
        .create_user(&user_write(&data, true, None))
        .await
        .unwrap();
    kleer
        .create_payroll_user(id, &payroll_write(&data))
        .await
        .unwrap();
    let before = kleer.get_payroll_user(id).await.unwrap().unwrap();

    let raise = PayrollUserWrite {
        monthly_salary: Some(45_000),
        ..Default::default()
    };
    kleer.update_payroll_user(id, &raise).await.unwrap();
    let after = kleer.get_payroll_user(id).await.unwrap().unwrap();
    assert_eq!(after.monthly_salary, Some(45_000));
    let mut expected = before.clone();
    expected.monthly_salary = Some(45_000);
    assert_eq!(after, expected);

    let clear_end = PayrollUserWrite {
        employment_end_date: Some(EmploymentEnd::cleared()),
        ..Default::default()
    };
    kleer.update_payroll_user(id, &clear_end).await.unwrap();
    let cleared = kleer.get_payroll_user(id).await.unwrap().unwrap();
    assert_eq!(cleared.end_date(), None);
    assert_eq!(cleared.ssn, before.ssn);

    let rename = UserWrite {
        name: Some("Åsa Lind".into()),
        ..Default::default()
    };
    kleer.update_user(id, &rename).await.unwrap();
    let user = kleer.get_user(id).await.unwrap();
    assert_eq!(user.name, "Åsa Lind");
    assert_eq!(user.email.as_deref(), Some("asa.oberg@firma.se"));
}

#[tokio::test]
async fn finds_a_user_by_foreign_id_or_none() {
    let sandbox = start(2, Faults::default()).await;
    let kleer = client(&sandbox);
    // A foreign id is ours to choose: it must survive the trip through the URL path.
    let foreign_id = "hr/42 ö?";
    let id = kleer
        .create_user(&user_write(&hr_employee(), false, Some(foreign_id)))
        .await
        .unwrap();

    let found = kleer.find_user_by_foreign_id(foreign_id).await.unwrap();
    assert_eq!(found.map(|u| u.id), Some(id));
    assert_eq!(kleer.find_user_by_foreign_id("hr-43").await.unwrap(), None);
}

#[tokio::test]
async fn unknown_ids_are_not_found() {
    let sandbox = start(0, Faults::default()).await;
    let kleer = client(&sandbox);
    let nobody = KleerUserId(999);
    assert_eq!(kleer.get_user(nobody).await, Err(KleerError::NotFound));
    assert_eq!(kleer.get_payroll_user(nobody).await, Ok(None));
    assert_eq!(
        kleer
            .update_payroll_user(nobody, &PayrollUserWrite::default())
            .await,
        Err(KleerError::NotFound)
    );
    assert_eq!(
        kleer.update_user(nobody, &UserWrite::default()).await,
        Err(KleerError::NotFound)
    );
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized_and_never_repeated() {
    let sandbox = start(0, Faults::default()).await;
    let wrong = "wrong-token-8d2e";
    let kleer = client_with(&sandbox, wrong, COMPANY, Duration::from_secs(5));
    let error = kleer.list_users().await.unwrap_err();
    assert_eq!(error, KleerError::Unauthorized);
    for text in [
        error.to_string(),
        format!("{error:?}"),
        format!("{kleer:?}"),
    ] {
        assert!(!text.contains(wrong), "{text}");
    }
}

#[tokio::test]
async fn another_company_is_forbidden() {
    let sandbox = start(0, Faults::default()).await;
    let kleer = client_with(&sandbox, TOKEN, "9999", Duration::from_secs(5));
    assert_eq!(kleer.me().await, Err(KleerError::Forbidden));
}

#[tokio::test]
async fn refusals_carry_kleers_own_message() {
    let sandbox = start(0, Faults::default()).await;
    let kleer = client(&sandbox);
    let id = kleer
        .create_user(&user_write(&hr_employee(), false, None))
        .await
        .unwrap();

    let without_ssn = PayrollUserWrite {
        ssn: None,
        ..payroll_write(&hr_employee())
    };
    assert_eq!(
        kleer.create_payroll_user(id, &without_ssn).await,
        Err(KleerError::Rejected {
            status: 400,
            message: "ssn is required".into()
        })
    );
    let without_start = PayrollUserWrite {
        employment_start_date: None,
        ..payroll_write(&hr_employee())
    };
    assert!(matches!(
        kleer.create_payroll_user(id, &without_start).await,
        Err(KleerError::Rejected { status: 400, message }) if message.contains("employment-start-date")
    ));

    kleer
        .create_payroll_user(id, &payroll_write(&hr_employee()))
        .await
        .unwrap();
    let again = kleer
        .create_payroll_user(id, &payroll_write(&hr_employee()))
        .await
        .unwrap_err();
    assert!(
        matches!(&again, KleerError::Rejected { status: 400, message } if message.contains("already"))
    );
    assert!(!again.is_retryable());
}

#[tokio::test]
async fn server_errors_are_retried_a_bounded_number_of_times() {
    let failing = start(
        1,
        Faults {
            error_rate: 1.0,
            ..Default::default()
        },
    )
    .await;
    let error = client(&failing).list_users().await.unwrap_err();
    assert!(
        matches!(&error, KleerError::Unavailable { message, retry_after: None }
            if message.contains("503") && message.contains("gave up after 4 attempts")),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(failing.handle().request_count(), 4);
}

#[tokio::test]
async fn throttling_carries_retry_after_and_a_wait_beyond_the_budget_is_not_made() {
    let throttling = start(
        1,
        Faults {
            throttle_rate: 1.0,
            ..Default::default()
        },
    )
    .await;
    let budget = RetryPolicy {
        max_total: Duration::from_millis(500),
        ..quick_retries()
    };
    let started = Instant::now();
    let error = retrying_client(&throttling, Duration::from_secs(5), budget)
        .list_users()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, KleerError::Unavailable { message, retry_after: Some(after) }
            if message.contains("429") && *after == Duration::from_secs(1)),
        "{error:?}"
    );
    assert_eq!(throttling.handle().request_count(), 1);
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn a_hanging_kleer_times_out_within_the_budget_and_the_sandbox_still_stops() {
    let hanging = start(
        0,
        Faults {
            hang_rate: 1.0,
            ..Default::default()
        },
    )
    .await;
    // The budget is shorter than the timeout: it cuts the attempt short.
    let budget = RetryPolicy {
        max_total: Duration::from_millis(300),
        ..quick_retries()
    };
    let kleer = retrying_client(&hanging, Duration::from_secs(5), budget);
    let started = Instant::now();
    let error = kleer.me().await.unwrap_err();
    assert!(
        matches!(&error, KleerError::Unavailable { message, .. } if message.contains("no answer")),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(600),
        "{:?}",
        started.elapsed()
    );

    tokio::time::timeout(Duration::from_secs(5), hanging.shutdown())
        .await
        .expect("shutdown releases hung requests")
        .unwrap();
    let error = kleer.me().await.unwrap_err();
    assert!(
        matches!(&error, KleerError::Unavailable { message, .. } if message.contains("connect")),
        "{error:?}"
    );
}

#[tokio::test]
async fn settings_are_checked_and_a_trailing_slash_is_fine() {
    let sandbox = start(0, Faults::default()).await;
    let settings = |base_url: String, token: &str| KleerSettings {
        token: token.into(),
        ..settings(base_url, Duration::from_secs(5), RetryPolicy::default())
    };
    let slashed = KleerClient::new(settings(format!("{}/", sandbox.base_url()), TOKEN)).unwrap();
    assert_eq!(slashed.me().await.unwrap().id, INTEGRATION_USER);

    assert!(matches!(
        KleerClient::new(settings("ftp://kleer.example/v1".into(), TOKEN)),
        Err(KleerError::Config(_))
    ));
    assert!(matches!(
        KleerClient::new(settings("not a url".into(), TOKEN)),
        Err(KleerError::Config(_))
    ));
    let error = KleerClient::new(settings(sandbox.base_url(), "secret\nvalue")).unwrap_err();
    assert!(matches!(&error, KleerError::Config(_)));
    assert!(!error.to_string().contains("secret"));
    assert!(!format!("{:?}", settings(sandbox.base_url(), "secret-42")).contains("secret-42"));
}

/// What the layer in front of a sandbox does to the first requests it picks.
#[derive(Clone, Copy, Debug)]
enum Trouble {
    /// Answers 503 without passing the request on: nothing happened in Kleer.
    Refuse,
    /// Passes the request on, then answers 503 in place of Kleer's answer: the write landed
    /// and its answer was lost on the way back, the case that makes a blind retry duplicate.
    LoseAnswer,
    /// Answers 429 with `Retry-After: 1`.
    Throttle,
}

/// A sandbox behind a layer that brings `trouble` to the first `times` requests `picks`, and
/// notes every request (`"PUT user"`, path after the company) in the order they came.
struct Troubled {
    sandbox: SandboxHandle,
    kleer: KleerClient,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Troubled {
    async fn start(trouble: Trouble, times: usize, picks: fn(&Method, &str) -> bool) -> Self {
        let sandbox = SandboxHandle::new(SandboxConfig::new(TOKEN, COMPANY)).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let left = Arc::new(Mutex::new(times));
        let noted = seen.clone();
        let layer = from_fn(move |request: Request, next: Next| {
            let (noted, left) = (noted.clone(), left.clone());
            async move {
                let prefix = format!("/v1/company/{COMPANY}/");
                let path = request.uri().path().trim_start_matches(&prefix).to_string();
                let method = request.method().clone();
                noted.lock().unwrap().push(format!("{method} {path}"));
                let picked = picks(&method, &path) && {
                    let mut left = left.lock().unwrap();
                    let pick = *left > 0;
                    *left = left.saturating_sub(1);
                    pick
                };
                let lost = StatusCode::SERVICE_UNAVAILABLE.into_response();
                match (picked, trouble) {
                    (false, _) => next.run(request).await,
                    (true, Trouble::Refuse) => lost,
                    (true, Trouble::LoseAnswer) => {
                        next.run(request).await;
                        lost
                    }
                    (true, Trouble::Throttle) => {
                        (StatusCode::TOO_MANY_REQUESTS, [(RETRY_AFTER, "1")]).into_response()
                    }
                }
            }
        });
        let app = sandbox::router(sandbox.clone()).layer(layer);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        let kleer =
            KleerClient::new(settings(base_url, Duration::from_secs(5), quick_retries())).unwrap();
        Self {
            sandbox,
            kleer,
            seen,
        }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    fn users_with_foreign_id(&self, foreign_id: &str) -> usize {
        self.sandbox
            .users()
            .iter()
            .filter(|u| u.foreign_id.as_deref() == Some(foreign_id))
            .count()
    }
}

fn user_create(method: &Method, path: &str) -> bool {
    method == Method::PUT && path == "user"
}

fn payroll_create(method: &Method, path: &str) -> bool {
    method == Method::PUT && path.starts_with("payroll/user/")
}

#[tokio::test]
async fn a_user_created_whose_answer_was_lost_is_found_not_made_twice() {
    let kleer = Troubled::start(Trouble::LoseAnswer, 1, user_create).await;
    let id = kleer
        .kleer
        .create_user(&user_write(&hr_employee(), false, Some("hr-17")))
        .await
        .unwrap();
    assert_eq!(kleer.seen(), ["PUT user", "GET user/foreign-id/hr-17"]);
    assert_eq!(kleer.users_with_foreign_id("hr-17"), 1);
    assert_eq!(kleer.sandbox.users().last().unwrap().id, id);
}

#[tokio::test]
async fn a_user_create_refused_before_it_landed_is_made_on_a_retry() {
    let kleer = Troubled::start(Trouble::Refuse, 2, user_create).await;
    let id = kleer
        .kleer
        .create_user(&user_write(&hr_employee(), false, Some("hr-17")))
        .await
        .unwrap();
    assert_eq!(
        kleer.seen(),
        [
            "PUT user",
            "GET user/foreign-id/hr-17",
            "PUT user",
            "GET user/foreign-id/hr-17",
            "PUT user"
        ]
    );
    assert_eq!(kleer.users_with_foreign_id("hr-17"), 1);
    assert_eq!(
        kleer.sandbox.users().last().unwrap().foreign_id.as_deref(),
        Some("hr-17")
    );
    assert_eq!(kleer.sandbox.users().last().unwrap().id, id);
}

#[tokio::test]
async fn a_user_create_without_a_foreign_id_is_tried_once() {
    let kleer = Troubled::start(Trouble::Refuse, 1, user_create).await;
    let error = kleer
        .kleer
        .create_user(&user_write(&hr_employee(), false, None))
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(kleer.seen(), ["PUT user"]);
}

#[tokio::test]
async fn a_payroll_create_whose_answer_was_lost_is_sent_again_as_an_update() {
    let kleer = Troubled::start(Trouble::LoseAnswer, 1, payroll_create).await;
    let id = kleer
        .kleer
        .create_user(&user_write(&hr_employee(), false, Some("hr-17")))
        .await
        .unwrap();
    let payroll = payroll_write(&hr_employee());
    kleer.kleer.create_payroll_user(id, &payroll).await.unwrap();
    let agreement = format!("payroll/user/{id}");
    assert_eq!(
        kleer.seen(),
        [
            "PUT user".to_string(),
            format!("PUT {agreement}"),
            format!("GET {agreement}"),
            format!("POST {agreement}"),
        ]
    );
    let stored = kleer.sandbox.payroll_users();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].ssn, payroll.ssn);
    assert_eq!(stored[0].monthly_salary, payroll.monthly_salary);
}

#[tokio::test]
async fn a_payroll_create_refused_before_it_landed_is_made_on_a_retry() {
    let kleer = Troubled::start(Trouble::Refuse, 1, payroll_create).await;
    let id = kleer
        .kleer
        .create_user(&user_write(&hr_employee(), false, Some("hr-17")))
        .await
        .unwrap();
    kleer
        .kleer
        .create_payroll_user(id, &payroll_write(&hr_employee()))
        .await
        .unwrap();
    let agreement = format!("payroll/user/{id}");
    assert_eq!(
        kleer.seen(),
        [
            "PUT user".to_string(),
            format!("PUT {agreement}"),
            format!("GET {agreement}"),
            format!("PUT {agreement}"),
        ]
    );
    assert_eq!(kleer.sandbox.employee_count(), 1);
}

#[tokio::test]
async fn reads_and_updates_are_retried_as_they_are() {
    let kleer = Troubled::start(Trouble::Refuse, 3, |method, _| method != Method::PUT).await;
    let id = kleer
        .kleer
        .create_user(&user_write(&hr_employee(), false, Some("hr-17")))
        .await
        .unwrap();
    assert_eq!(kleer.kleer.list_users().await.unwrap().len(), 3);
    let rename = UserWrite {
        name: Some("Åsa Lind".into()),
        ..Default::default()
    };
    kleer.kleer.update_user(id, &rename).await.unwrap();
    assert_eq!(
        kleer.seen(),
        [
            "PUT user".to_string(),
            "GET user".into(),
            "GET user".into(),
            "GET user".into(),
            "GET user".into(),
            format!("POST user/{id}"),
        ]
    );
    assert_eq!(kleer.sandbox.users().last().unwrap().name, "Åsa Lind");
}

#[tokio::test]
async fn retry_after_is_waited_out() {
    let kleer = Troubled::start(Trouble::Throttle, 1, |_, _| true).await;
    let started = Instant::now();
    assert_eq!(kleer.kleer.me().await.unwrap().id, INTEGRATION_USER);
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(kleer.seen(), ["GET user/me", "GET user/me"]);
}

#[tokio::test]
async fn refusals_are_never_retried() {
    let kleer = Troubled::start(Trouble::Refuse, 0, |_, _| false).await;
    let id = kleer
        .kleer
        .create_user(&user_write(&hr_employee(), false, Some("hr-17")))
        .await
        .unwrap();
    let without_ssn = PayrollUserWrite {
        ssn: None,
        ..payroll_write(&hr_employee())
    };
    assert!(matches!(
        kleer.kleer.create_payroll_user(id, &without_ssn).await,
        Err(KleerError::Rejected { status: 400, .. })
    ));
    assert!(matches!(
        kleer
            .kleer
            .create_user(&user_write(&hr_employee(), false, Some("hr-17")))
            .await,
        Err(KleerError::Rejected { status: 400, message }) if message.contains("already used")
    ));
    assert_eq!(kleer.seen().len(), 3);
}

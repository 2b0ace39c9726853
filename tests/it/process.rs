//! The real binary under the signals a deployment sends it: SIGKILL in the middle of a large
//! export, then a restart, must leave no duplicate Kleer user and no link to nothing; SIGTERM
//! lets the requests in flight finish.

use crate::support::{
    COMPANY, Db, TOKEN, TestDatabase, http_client, on_both_databases, start_sandbox,
};
use kleer_sync::model::PersonalIdentityNumber;
use kleer_sync::sandbox::{Faults, SandboxHandle};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One run of `kleer-sync serve` as a child process, its log in a file.
pub struct Server {
    child: Child,
    pub url: String,
    pub log: PathBuf,
}

impl Server {
    pub async fn start(
        database_url: &str,
        sandbox_url: &str,
        log_dir: &std::path::Path,
        extra_env: &[(&str, &str)],
    ) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = log_dir.join(format!("server-{port}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_kleer-sync"));
        command
            .arg("serve")
            .current_dir(log_dir)
            .env("KLEER_SYNC_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", database_url)
            .env("KLEER_BASE_URL", sandbox_url)
            .env("KLEER_COMPANY_ID", COMPANY)
            .env("KLEER_TOKEN", TOKEN)
            .env("RUST_LOG", "info")
            .stdout(Stdio::from(file.try_clone().unwrap()))
            .stderr(Stdio::from(file));
        for (key, value) in extra_env {
            command.env(key, value);
        }
        let child = command.spawn().expect("the binary starts");
        let server = Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        };
        server.wait_healthy().await;
        server
    }

    async fn wait_healthy(&self) {
        let client = http_client();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("{}/health", self.url)).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "server did not become healthy; log:\n{}",
            std::fs::read_to_string(&self.log).unwrap_or_default()
        );
    }

    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let response: Value = http_client()
            .post(format!("{}/graphql", self.url))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .expect("server answers")
            .json()
            .await
            .expect("JSON");
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    fn kill(&mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const EXPORT: &str = "mutation($ids: [ID!]!) { exportEmployees(input: { employeeIds: $ids }) { succeeded failed skipped results { code } } }";

async fn create_employees(server: &Server, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for n in 0..count {
        let birth = chrono::NaiveDate::from_ymd_opt(
            1960 + (n % 40) as i32,
            1 + (n % 12) as u32,
            1 + (n % 28) as u32,
        )
        .unwrap();
        let pin = PersonalIdentityNumber::from_parts(birth, (n / 40) as u16 + 10);
        let data = server
            .gql(
                "mutation($input: CreateEmployeeInput!) { createEmployee(input: $input) { employee { id } userErrors { field } } }",
                json!({ "input": { "firstName": "Crash", "lastName": format!("Test{n:03}"), "personalIdentityNumber": pin.to_string(), "startDate": "2024-01-01" } }),
            )
            .await;
        ids.push(
            data["createEmployee"]["employee"]["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    ids
}

fn users_with_foreign_id(sandbox: &SandboxHandle) -> usize {
    sandbox
        .users()
        .iter()
        .filter(|u| u.foreign_id.is_some())
        .count()
}

async fn a_server_killed_mid_export_leaves_no_duplicate_and_no_dangling_link(db: Db) {
    let database = TestDatabase::create(&db).await;
    let sandbox = start_sandbox(0).await;
    let handle = sandbox.handle();
    let logs = tempfile::tempdir().unwrap();
    let lease = [("KLEER_CLAIM_LEASE_SECS", "1")];
    let mut server = Server::start(&database.url, &sandbox.base_url(), logs.path(), &lease).await;
    let ids = create_employees(&server, 120).await;

    handle.set_faults(Faults {
        latency_ms: 15,
        ..Faults::default()
    });
    let url = server.url.clone();
    let all = ids.clone();
    let export = tokio::spawn(async move {
        http_client()
            .post(format!("{url}/graphql"))
            .json(&json!({ "query": EXPORT, "variables": { "ids": all } }))
            .send()
            .await
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while users_with_foreign_id(&handle) < 30 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    let created_before_kill = users_with_foreign_id(&handle);
    assert!(
        export.await.unwrap().is_err(),
        "the killed server never answered"
    );
    assert!(
        (30..120).contains(&created_before_kill),
        "killed mid-way: {created_before_kill} of 120 created"
    );

    handle.set_faults(Faults::default());
    let restarted = Server::start(&database.url, &sandbox.base_url(), logs.path(), &lease).await;
    // The dead server's claims lapse after their lease.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let mut runs = 0;
    let mut found_again = 0;
    loop {
        runs += 1;
        let done = restarted.gql(EXPORT, json!({ "ids": ids })).await;
        let results = done["exportEmployees"]["results"].as_array().unwrap();
        found_again += results.iter().filter(|r| r["code"] == "RELINKED").count();
        let codes: HashSet<String> = results
            .iter()
            .map(|r| r["code"].as_str().unwrap().to_string())
            .collect();
        assert!(
            codes.is_subset(
                &["CREATED", "RELINKED", "UPDATED", "IN_PROGRESS"]
                    .map(String::from)
                    .into()
            ),
            "{codes:?}"
        );
        if !codes.contains("IN_PROGRESS") || runs == 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // One Kleer user per employee, each linked, and every link pointing at a user Kleer has.
    let foreign_ids: Vec<String> = handle
        .users()
        .into_iter()
        .filter_map(|u| u.foreign_id)
        .collect();
    let distinct: HashSet<&String> = foreign_ids.iter().collect();
    assert_eq!(
        (foreign_ids.len(), distinct.len()),
        (120, 120),
        "duplicates in Kleer"
    );
    let kleer_ids: HashSet<i64> = handle.users().iter().map(|u| u.id.0).collect();
    let view = restarted.gql("{ exportView(tab: LINKED, first: 100) { totalCount nodes { kleerEmployee { kleerUserId } } } }", json!({})).await;
    assert_eq!(view["exportView"]["totalCount"], 120);
    for row in view["exportView"]["nodes"].as_array().unwrap() {
        let kid = row["kleerEmployee"]["kleerUserId"]
            .as_i64()
            .expect("a linked row shows its Kleer employee");
        assert!(kleer_ids.contains(&kid));
    }
    println!(
        "killed after {created_before_kill} of 120 Kleer users; {found_again} found again by foreign-id; \
         completed in {runs} run(s); duplicates: 0; dangling links: 0"
    );
}

async fn sigterm_lets_the_export_in_flight_finish(db: Db) {
    let database = TestDatabase::create(&db).await;
    let sandbox = start_sandbox(0).await;
    let handle = sandbox.handle();
    let logs = tempfile::tempdir().unwrap();
    let mut server = Server::start(&database.url, &sandbox.base_url(), logs.path(), &[]).await;
    let ids = create_employees(&server, 40).await;
    handle.set_faults(Faults {
        latency_ms: 40,
        ..Faults::default()
    });
    let url = server.url.clone();
    let export = tokio::spawn(async move {
        let response = http_client()
            .post(format!("{url}/graphql"))
            .json(&json!({ "query": EXPORT, "variables": { "ids": ids } }))
            .send()
            .await?;
        response.json::<Value>().await
    });
    while users_with_foreign_id(&handle) < 3 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.terminate();
    let answer = export
        .await
        .unwrap()
        .expect("the export in flight is answered");
    assert_eq!(
        answer["data"]["exportEmployees"]["succeeded"], 40,
        "{answer}"
    );
    let status = server.child.wait().unwrap();
    assert!(status.success(), "exits cleanly after SIGTERM: {status}");
    assert_eq!(users_with_foreign_id(&handle), 40);
}

on_both_databases!(
    a_server_killed_mid_export_leaves_no_duplicate_and_no_dangling_link,
    sigterm_lets_the_export_in_flight_finish,
);

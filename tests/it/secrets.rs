//! Secrets at rest and in logs: the Kleer token is stored encrypted, and a debug-level log of a
//! whole working session holds no token, personal identity number or bank account number.

use crate::process::Server;
use crate::support::{Db, TOKEN, TestDatabase, on_both_databases, start_sandbox};
use diesel::sql_types::Text;
use serde_json::json;

#[derive(diesel::QueryableByName)]
struct StoredToken {
    #[diesel(sql_type = Text)]
    token: String,
}

async fn stored_tokens(url: &str) -> Vec<String> {
    let query = diesel::sql_query("SELECT token FROM kleer_connections");
    let rows: Vec<StoredToken> = if kleer_sync::store::is_postgres_url(url) {
        use diesel_async::{AsyncConnection, RunQueryDsl};
        let mut conn = diesel_async::AsyncPgConnection::establish(url)
            .await
            .unwrap();
        query.load(&mut conn).await.unwrap()
    } else {
        use diesel::{Connection, RunQueryDsl};
        let mut conn = diesel::SqliteConnection::establish(url).unwrap();
        query.load(&mut conn).unwrap()
    };
    rows.into_iter().map(|r| r.token).collect()
}

async fn kleer_tokens_are_encrypted_and_logs_carry_no_secrets(db: Db) {
    let database = TestDatabase::create(&db).await;
    let sandbox = start_sandbox(4).await;
    let logs = tempfile::tempdir().unwrap();
    let server = Server::start(
        &database.url,
        &sandbox.base_url(),
        logs.path(),
        &[("RUST_LOG", "debug")],
    )
    .await;

    // A working session: people with numbers and bank accounts created, exported, changed,
    // imported from Kleer, refused with bad input, and Kleer read again.
    let people = [
        ("19811218-9876", "8327-9", "9123456789"),
        ("19900101-0017", "6000", "123456789"),
    ];
    let mut secrets: Vec<String> = vec![TOKEN.to_string()];
    let mut ids = Vec::new();
    for (n, (pin, clearing, account)) in people.iter().enumerate() {
        let created = server
            .gql(
                "mutation($i: CreateEmployeeInput!) { createEmployee(input: $i) { employee { id } } }",
                json!({ "i": { "firstName": "Secret", "lastName": format!("Person{n}"), "personalIdentityNumber": pin,
                               "clearingNumber": clearing, "bankAccountNumber": account, "startDate": "2024-01-01" } }),
            )
            .await;
        ids.push(
            created["createEmployee"]["employee"]["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        secrets.extend([pin.to_string(), pin.replace('-', ""), account.to_string()]);
    }
    server.gql("mutation($ids: [ID!]!) { exportEmployees(input: { employeeIds: $ids }) { succeeded } }", json!({ "ids": ids })).await;
    server
        .gql(
            "mutation($id: ID!) { updateEmployee(input: { id: $id, patch: { bankAccountNumber: \"5556667778\", personalIdentityNumber: \"19811218-9875\" } }) { userErrors { field } } }",
            json!({ "id": ids[0] }),
        )
        .await;
    secrets.push("5556667778".into());
    let rows = server
        .gql("{ importView(tab: NEW) { nodes { id } } }", json!({}))
        .await;
    let kleer_ids: Vec<String> = rows["importView"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    server
        .gql("mutation($ids: [ID!]!, $a: ImportAction!) { setImportAction(input: { kleerEmployeeIds: $ids, action: $a }) { succeeded } }", json!({ "ids": kleer_ids, "a": "CREATE" }))
        .await;
    server.gql("mutation($ids: [ID!]!) { importEmployees(input: { kleerEmployeeIds: $ids }) { succeeded } }", json!({ "ids": kleer_ids })).await;
    server
        .gql(
            "mutation { refreshKleerEmployees(input: {}) { kleerEmployeeCount } }",
            json!({}),
        )
        .await;
    for p in sandbox.handle().payroll_users() {
        secrets.extend(p.ssn.iter().flat_map(|s| [s.clone(), s.replace('-', "")]));
        secrets.extend(p.account_nr.clone());
    }

    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(log.contains("DEBUG"), "the log was written at debug level");
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "the log contains a secret ({} characters)",
            secret.len()
        );
    }
    let stored = stored_tokens(&database.url).await;
    assert_eq!(stored.len(), 1);
    assert!(
        stored[0].starts_with("v1:") && !stored[0].contains(TOKEN),
        "the Kleer token is stored encrypted"
    );
    println!(
        "log of {} lines scanned for {} secrets: none found",
        log.lines().count(),
        secrets.len()
    );
}

on_both_databases!(kleer_tokens_are_encrypted_and_logs_carry_no_secrets);

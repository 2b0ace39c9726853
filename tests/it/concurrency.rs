//! Concurrent clients, on one server or two sharing a database: every Kleer user is created
//! once, and no employee or Kleer employee is linked twice.

use crate::support::{Db, Options, TestApp, on_both_databases};
use futures_util::future::join_all;
use kleer_sync::model::PersonalIdentityNumber;
use kleer_sync::sandbox::Faults;
use serde_json::{Value, json};
use std::collections::HashMap;

const EXPORT: &str = "mutation($ids: [ID!]!) { exportEmployees(input: { employeeIds: $ids }) { results { id code } } }";

async fn employees(app: &TestApp, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for n in 0..count {
        let birth =
            chrono::NaiveDate::from_ymd_opt(1970 + n as i32 % 30, 1 + n as u32 % 12, 10).unwrap();
        let pin = PersonalIdentityNumber::from_parts(birth, 200 + n as u16);
        ids.push(app.create_employee(json!({ "lastName": format!("Same{n:02}"), "personalIdentityNumber": pin.to_string() })).await);
    }
    ids
}

fn tally(responses: &[Value], mutation: &str) -> HashMap<String, usize> {
    let mut codes = HashMap::new();
    for response in responses {
        for row in response[mutation]["results"].as_array().unwrap() {
            *codes
                .entry(row["code"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    codes
}

/// Each employee's id is on exactly one Kleer user, and every employee is linked.
async fn assert_exported_once(app: &TestApp, ids: &[String]) {
    for id in ids {
        assert_eq!(
            app.kleer_users_with_foreign_id(&crate::support::foreign_id(id)),
            1,
            "Kleer users for {id}"
        );
    }
    assert_eq!(app.sandbox.employee_count(), ids.len());
    assert_eq!(app.export_tab("LINKED").await.1, ids.len() as i64);
}

async fn identical_exports_at_once_create_each_kleer_user_once(db: Db) {
    let app = TestApp::start(db).await;
    let ids = employees(&app, 25).await;
    // A little latency keeps the requests in flight together.
    app.sandbox.set_faults(Faults {
        latency_ms: 5,
        ..Faults::default()
    });
    let requests = (0..8).map(|_| app.gql(EXPORT, json!({ "ids": ids })));
    let responses = join_all(requests).await;
    let codes = tally(&responses, "exportEmployees");
    assert_eq!(codes.get("CREATED"), Some(&25), "{codes:?}");
    for code in codes.keys() {
        assert!(
            [
                "CREATED",
                "UPDATED",
                "IN_PROGRESS",
                "RELINKED",
                "ALREADY_LINKED"
            ]
            .contains(&code.as_str()),
            "{codes:?}"
        );
    }
    assert_exported_once(&app, &ids).await;
}

async fn two_servers_on_one_database_create_each_kleer_user_once(db: Db) {
    let app = TestApp::start(db).await;
    let other = app.second_server().await;
    let ids = employees(&app, 25).await;
    app.sandbox.set_faults(Faults {
        latency_ms: 5,
        ..Faults::default()
    });
    let urls = [app.url.clone(), other.url.clone()];
    let requests = (0..6).map(|n| app.gql_at(&urls[n % 2], EXPORT, json!({ "ids": ids })));
    let responses = join_all(requests).await;
    assert_eq!(
        tally(&responses, "exportEmployees").get("CREATED"),
        Some(&25)
    );
    assert_exported_once(&app, &ids).await;
}

async fn concurrent_imports_of_the_same_rows_link_each_once(db: Db) {
    let app = TestApp::start_with(
        db,
        Options {
            seed: 10,
            ..Options::default()
        },
    )
    .await;
    let (rows, _) = app.import_rows("NEW").await;
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
    app.set_action(&ids, "CREATE").await;
    let import = "mutation($ids: [ID!]!) { importEmployees(input: { kleerEmployeeIds: $ids }) { results { id code } } }";
    let responses = join_all((0..6).map(|_| app.gql(import, json!({ "ids": ids })))).await;
    let codes = tally(&responses, "importEmployees");
    assert_eq!(codes.get("CREATED"), Some(&10), "{codes:?}");
    for code in codes.keys() {
        // A request that lost the race sees the row linked, or its person already in HR.
        let lost = [
            "NOTHING_TO_DO",
            "ALREADY_LINKED",
            "PERSONAL_IDENTITY_NUMBER_TAKEN",
        ];
        assert!(
            code == "CREATED" || lost.contains(&code.as_str()),
            "{codes:?}"
        );
    }
    let count = app.gql("{ employees { totalCount } }", json!({})).await;
    assert_eq!(
        count["employees"]["totalCount"], 10,
        "one HR employee per Kleer employee"
    );
    assert_eq!(app.import_rows("IMPORTED").await.1, 10);
}

async fn concurrent_matches_to_one_employee_pair_it_once(db: Db) {
    let app = TestApp::start_with(
        db,
        Options {
            seed: 8,
            ..Options::default()
        },
    )
    .await;
    let hr = app
        .create_employee(json!({ "firstName": "Only", "lastName": "One" }))
        .await;
    let (rows, _) = app.import_rows("NEW").await;
    let query = "mutation($k: ID!, $e: ID!) { matchEmployees(input: { matches: [{ kleerEmployeeId: $k, employeeId: $e }] }) { results { code } } }";
    let requests = rows
        .iter()
        .map(|r| app.gql(query, json!({ "k": r["id"], "e": hr })));
    let codes = tally(&join_all(requests).await, "matchEmployees");
    assert_eq!(codes.get("MATCHED"), Some(&1), "{codes:?}");
    assert_eq!(codes.get("EMPLOYEE_ALREADY_MATCHED"), Some(&7), "{codes:?}");
}

on_both_databases!(
    identical_exports_at_once_create_each_kleer_user_once,
    two_servers_on_one_database_create_each_kleer_user_once,
    concurrent_imports_of_the_same_rows_link_each_once,
    concurrent_matches_to_one_employee_pair_it_once,
);

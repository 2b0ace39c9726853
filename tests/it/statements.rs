//! A page of a view costs a fixed number of SQL statements whatever its size: DataLoaders batch
//! every per-row lookup.

use crate::support::{Db, TestApp, on_both_databases};
use serde_json::json;

const PAGE: &str = "query($first: Int) { exportView(tab: ALL, first: $first) {
    totalCount
    edges { cursor node { id linked employee { firstName personalIdentityNumber homeAddress { city } }
        kleerEmployee { id name fetchedAt } affectedFields { field alexisValue kleerValue changes } } }
} }";

async fn a_page_costs_the_same_statements_for_5_and_for_50_rows(db: Db) {
    let app = TestApp::start(db).await;
    let mut ids = Vec::new();
    for n in 0..60 {
        let birth =
            chrono::NaiveDate::from_ymd_opt(1960 + n / 12, (n % 12 + 1) as u32, 15).unwrap();
        let pin = kleer_sync::model::PersonalIdentityNumber::from_parts(birth, 100 + n as u16);
        ids.push(app.create_employee(json!({ "lastName": format!("Person{n:02}"), "personalIdentityNumber": pin.to_string() })).await);
    }
    // Half of them linked, so the Kleer side is looked up too.
    let linked: Vec<&str> = ids.iter().step_by(2).map(String::as_str).collect();
    assert_eq!(app.export(&linked).await["succeeded"], 30);

    let mut costs = Vec::new();
    for first in [5, 50] {
        let before = app.store.statement_count();
        let data = app.gql(PAGE, json!({ "first": first })).await;
        costs.push(app.store.statement_count() - before);
        let edges = data["exportView"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), first);
        assert!(
            edges.iter().any(|e| e["node"]["linked"] == true)
                && edges.iter().any(|e| e["node"]["linked"] == false)
        );
    }
    assert_eq!(
        costs[0], costs[1],
        "statements for pages of 5 and 50: {costs:?}"
    );
    assert!(costs[0] <= 4, "a page costs {} statements", costs[0]);
}

on_both_databases!(a_page_costs_the_same_statements_for_5_and_for_50_rows);

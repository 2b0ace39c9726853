//! Sync runs record every batch with its rows; every object is reachable by `node(id)`.

use crate::support::{Db, TestApp, on_both_databases};
use serde_json::json;

async fn every_batch_is_recorded_with_its_rows_and_changes(db: Db) {
    let app = TestApp::start(db).await;
    let id = app.create_employee(json!({ "firstName": "Anna", "lastName": "Ek", "personalIdentityNumber": "19811218-9876" })).await;
    let export = app.export(&[&id, "missing"]).await;
    app.unlink(&[&id]).await;

    let runs = app
        .gql("{ syncRuns { totalCount nodes { id kind succeeded skipped failed finishedAt connection { label } } } }", json!({}))
        .await;
    let nodes = runs["syncRuns"]["nodes"].as_array().unwrap();
    assert_eq!(runs["syncRuns"]["totalCount"], 2);
    assert_eq!(
        (nodes[0]["kind"].as_str(), nodes[1]["kind"].as_str()),
        (Some("UNLINK"), Some("EXPORT")),
        "newest first"
    );
    assert_eq!(
        (nodes[1]["succeeded"].as_i64(), nodes[1]["failed"].as_i64()),
        (Some(1), Some(1))
    );
    assert!(nodes[1]["finishedAt"].is_string());
    assert_eq!(nodes[1]["connection"]["label"], "Test company");
    assert_eq!(nodes[1]["id"], export["run"]["id"]);

    let run = app
        .gql(
            "query($id: ID!) { syncRun(id: $id) { rows { totalCount nodes { position subjectId outcome code employee { lastName } changes { field before after } } } } }",
            json!({ "id": export["run"]["id"] }),
        )
        .await;
    let rows = run["syncRun"]["rows"]["nodes"].as_array().unwrap();
    assert_eq!(run["syncRun"]["rows"]["totalCount"], 2);
    assert_eq!(
        (rows[0]["subjectId"].as_str(), rows[0]["code"].as_str()),
        (Some(id.as_str()), Some("CREATED"))
    );
    assert_eq!(rows[0]["employee"]["lastName"], "Ek");
    let changes = rows[0]["changes"].as_array().unwrap();
    assert!(changes.contains(
        &json!({ "field": "personalIdentityNumber", "before": null, "after": "19811218-9876" })
    ));
    assert_eq!(
        (rows[1]["subjectId"].as_str(), rows[1]["code"].as_str()),
        (Some("missing"), Some("NOT_FOUND"))
    );
}

async fn node_finds_every_kind_of_object(db: Db) {
    let app = TestApp::start(db).await;
    let id = app
        .create_employee(json!({ "lastName": "Ek", "personalIdentityNumber": "19811218-9876" }))
        .await;
    app.export(&[&id]).await;
    let ids = app
        .gql(
            "{ kleerConnections { nodes { id } } syncRuns { nodes { id } } exportView { nodes { kleerEmployee { id } } } }",
            json!({}),
        )
        .await;
    let kleer_employee = ids["exportView"]["nodes"][0]["kleerEmployee"]["id"].clone();
    for (node_id, typename) in [
        (json!(id), "Employee"),
        (
            ids["kleerConnections"]["nodes"][0]["id"].clone(),
            "KleerConnection",
        ),
        (ids["syncRuns"]["nodes"][0]["id"].clone(), "SyncRun"),
        (kleer_employee, "KleerEmployee"),
    ] {
        let data = app
            .gql(
                "query($id: ID!) { node(id: $id) { __typename id } }",
                json!({ "id": node_id }),
            )
            .await;
        assert_eq!(data["node"]["__typename"], typename);
        assert_eq!(data["node"]["id"], node_id);
    }
    let none = app
        .gql("{ node(id: \"bm90aGluZw\") { id } }", json!({}))
        .await;
    assert_eq!(none["node"], json!(null));
}

on_both_databases!(
    every_batch_is_recorded_with_its_rows_and_changes,
    node_finds_every_kind_of_object
);

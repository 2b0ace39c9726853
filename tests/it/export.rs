//! The Export view's actions over HTTP: export creates, links, updates; unlink only unlinks.

use crate::support::{Db, Options, TestApp, foreign_id, on_both_databases};
use kleer_sync::sandbox::Faults;
use serde_json::{Value, json};

fn codes(payload: &Value) -> Vec<String> {
    payload["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect()
}

async fn exporting_creates_the_kleer_employee_and_links_it(db: Db) {
    let app = TestApp::start(db).await;
    let id = app
        .create_employee(json!({
            "firstName": "Anna Maria", "lastName": "Svensson", "personalIdentityNumber": "19811218-9876",
            "privateEmail": "anna@example.se", "homeAddress": { "street": "Storgatan 1", "zipCode": "11122", "city": "Stockholm", "countryCode": "SE" },
            "startDate": "2021-03-01", "monthlySalary": 41000
        }))
        .await;
    assert_eq!(app.export_tab("ALEXIS").await.1, 1);

    let payload = app.export(&[&id]).await;
    assert_eq!(
        (payload["succeeded"].as_i64(), payload["failed"].as_i64()),
        (Some(1), Some(0))
    );
    let row = &payload["results"][0];
    assert_eq!(
        (
            row["id"].as_str(),
            row["outcome"].as_str(),
            row["code"].as_str()
        ),
        (Some(id.as_str()), Some("SUCCEEDED"), Some("CREATED"))
    );
    assert_eq!(row["row"]["linked"], true);
    assert_eq!(row["row"]["kleerEmployee"]["name"], "Anna Maria Svensson");

    // Kleer holds one user stamped with our id, with the payroll agreement.
    let users: Vec<_> = app
        .sandbox
        .users()
        .into_iter()
        .filter(|u| u.foreign_id.as_deref() == Some(&foreign_id(&id)))
        .collect();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].email.as_deref(), Some("anna@example.se"));
    let payroll = app
        .sandbox
        .payroll_users()
        .into_iter()
        .find(|p| p.user_id() == users[0].id)
        .expect("payroll agreement");
    assert_eq!(payroll.ssn.as_deref(), Some("19811218-9876"));
    assert_eq!(payroll.address2.as_deref(), Some("Storgatan 1"));
    assert_eq!(payroll.state.as_deref(), Some("Stockholm"));
    assert_eq!(payroll.monthly_salary, Some(41000));

    assert_eq!(app.export_tab("ALEXIS").await.1, 0);
    assert_eq!(app.export_tab("LINKED").await.0, ["Anna Maria Svensson"]);
}

async fn a_changed_employee_exported_again_updates_kleer(db: Db) {
    let app = TestApp::start(db).await;
    let id = app
        .create_employee(
            json!({ "personalIdentityNumber": "19811218-9876", "privatePhone": "070-1111111" }),
        )
        .await;
    app.export(&[&id]).await;
    app.gql(
        "mutation($id: ID!) { updateEmployee(input: { id: $id, patch: { monthlySalary: 39000, privatePhone: null } }) { userErrors { field } } }",
        json!({ "id": id }),
    )
    .await;

    // The view shows what an export would write before it is done: the salary, not the
    // cleared phone (an empty HR value never erases Kleer's).
    let view = app
        .gql("{ exportView(tab: LINKED) { nodes { affectedFields { field alexisValue kleerValue changes } } } }", json!({}))
        .await;
    let fields = view["exportView"]["nodes"][0]["affectedFields"]
        .as_array()
        .unwrap()
        .clone();
    let field = |name: &str| fields.iter().find(|f| f["field"] == name).unwrap().clone();
    assert_eq!(
        field("monthlySalary"),
        json!({ "field": "monthlySalary", "alexisValue": "39000", "kleerValue": "35000", "changes": true })
    );
    assert_eq!(
        field("privatePhone"),
        json!({ "field": "privatePhone", "alexisValue": null, "kleerValue": "070-1111111", "changes": false })
    );
    assert_eq!(fields.iter().filter(|f| f["changes"] == true).count(), 1);

    let payload = app.export(&[&id]).await;
    assert_eq!(codes(&payload), ["UPDATED"]);
    assert_eq!(
        payload["results"][0]["changes"],
        json!([{ "field": "monthlySalary", "before": "35000", "after": "39000" }])
    );
    let kleer_id = payload["results"][0]["row"]["kleerEmployee"]["kleerUserId"]
        .as_i64()
        .unwrap();
    let payroll = app
        .sandbox
        .payroll_users()
        .into_iter()
        .find(|p| p.user_id().0 == kleer_id)
        .unwrap();
    assert_eq!(payroll.monthly_salary, Some(39000));
    assert_eq!(payroll.phone.as_deref(), Some("070-1111111"));
    assert_eq!(app.kleer_users_with_foreign_id(&foreign_id(&id)), 1);
}

async fn a_row_repeated_in_one_batch_is_exported_once(db: Db) {
    let app = TestApp::start(db).await;
    let id = app
        .create_employee(json!({ "personalIdentityNumber": "19811218-9876" }))
        .await;
    let payload = app.export(&[&id, &id]).await;
    assert_eq!(codes(&payload), ["CREATED", "DUPLICATE_IN_BATCH"]);
    assert_eq!(payload["results"][1]["row"]["linked"], true);
    assert_eq!(payload["results"][1]["outcome"], "SKIPPED");
    assert_eq!(app.kleer_users_with_foreign_id(&foreign_id(&id)), 1);
}

async fn unknown_and_malformed_ids_fail_their_own_rows_only(db: Db) {
    let app = TestApp::start(db).await;
    let id = app
        .create_employee(json!({ "personalIdentityNumber": "19811218-9876" }))
        .await;
    let payload = app.export(&["garbage", "RW1wbG95ZWU6OTk5OTk", &id]).await;
    assert_eq!(codes(&payload), ["NOT_FOUND", "NOT_FOUND", "CREATED"]);
    assert_eq!(payload["results"][0]["id"], "garbage");
    assert_eq!(
        (payload["succeeded"].as_i64(), payload["failed"].as_i64()),
        (Some(1), Some(2))
    );
}

async fn kleer_needs_a_personal_identity_number_and_a_start_date(db: Db) {
    let app = TestApp::start(db).await;
    let no_pin = app.create_employee(json!({})).await;
    let payload = app.export(&[&no_pin]).await;
    assert_eq!(codes(&payload), ["MISSING_REQUIRED_FIELD"]);
    assert_eq!(
        payload["results"][0]["message"],
        "Kleer needs personalIdentityNumber to create a payroll agreement"
    );
    let no_start = app
        .create_employee(json!({ "personalIdentityNumber": "19811218-9876", "startDate": null }))
        .await;
    let payload = app.export(&[&no_start]).await;
    assert_eq!(
        payload["results"][0]["message"],
        "Kleer needs startDate to create a payroll agreement"
    );
    assert_eq!(app.sandbox.employee_count(), 0);
    assert_eq!(app.kleer_users_with_foreign_id(&foreign_id(&no_pin)), 0);
}

async fn a_kleer_user_removed_in_kleer_is_reported_and_no_longer_shown(db: Db) {
    let app = TestApp::start(db).await;
    let id = app
        .create_employee(json!({ "personalIdentityNumber": "19811218-9876" }))
        .await;
    let created = app.export(&[&id]).await;
    let kleer_id = created["results"][0]["row"]["kleerEmployee"]["kleerUserId"]
        .as_i64()
        .unwrap();
    assert!(
        app.sandbox
            .remove_user(kleer_sync::model::KleerUserId(kleer_id))
    );

    let payload = app.export(&[&id]).await;
    assert_eq!(codes(&payload), ["KLEER_NOT_FOUND"]);
    assert_eq!(
        payload["results"][0]["row"],
        json!({ "linked": true, "kleerEmployee": null })
    );
    assert_eq!(
        app.sandbox.employee_count(),
        0,
        "nothing was created in its place"
    );
}

async fn a_kleer_user_with_the_same_person_is_a_conflict_not_a_duplicate(db: Db) {
    let app = TestApp::start_with(
        db,
        Options {
            seed: 3,
            ..Options::default()
        },
    )
    .await;
    let existing = app.sandbox.payroll_users().into_iter().next().unwrap();
    let id = app
        .create_employee(json!({ "personalIdentityNumber": existing.ssn.clone().unwrap() }))
        .await;
    let users_before = app.sandbox.users().len();
    let payload = app.export(&[&id]).await;
    assert_eq!(codes(&payload), ["KLEER_CONFLICT"]);
    assert!(
        payload["results"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Match")
    );
    assert_eq!(app.sandbox.users().len(), users_before);
    assert_eq!(app.export_tab("LINKED").await.1, 0);
}

async fn unlink_removes_the_link_and_leaves_kleer_alone(db: Db) {
    let app = TestApp::start(db).await;
    let linked = app
        .create_employee(
            json!({ "firstName": "Linked", "personalIdentityNumber": "19811218-9876" }),
        )
        .await;
    let never = app.create_employee(json!({ "firstName": "Never" })).await;
    app.export(&[&linked]).await;
    let users = app.sandbox.users();

    let payload = app.unlink(&[&linked, &never, "nope"]).await;
    assert_eq!(codes(&payload), ["UNLINKED", "NOT_LINKED", "NOT_FOUND"]);
    assert_eq!(payload["results"][0]["row"]["linked"], false);
    assert_eq!(
        (
            payload["succeeded"].as_i64(),
            payload["skipped"].as_i64(),
            payload["failed"].as_i64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(
        app.sandbox.users(),
        users,
        "Kleer is not touched by an unlink"
    );
    assert_eq!(app.export_tab("LINKED").await.1, 0);
    assert_eq!(app.export_tab("ALEXIS").await.1, 2);
}

async fn exporting_after_an_unlink_finds_the_same_kleer_user_again(db: Db) {
    let app = TestApp::start(db).await;
    let id = app
        .create_employee(json!({ "personalIdentityNumber": "19811218-9876" }))
        .await;
    let first = app.export(&[&id]).await;
    app.unlink(&[&id]).await;
    let again = app.export(&[&id]).await;
    assert_eq!(codes(&again), ["RELINKED"]);
    assert_eq!(
        again["results"][0]["row"]["kleerEmployee"]["kleerUserId"],
        first["results"][0]["row"]["kleerEmployee"]["kleerUserId"]
    );
    assert_eq!(app.kleer_users_with_foreign_id(&foreign_id(&id)), 1);
}

async fn a_kleer_outage_fails_rows_with_a_code_and_a_retry_completes_them(db: Db) {
    let app = TestApp::start(db).await;
    let a = app
        .create_employee(json!({ "firstName": "A", "personalIdentityNumber": "19811218-9876" }))
        .await;
    let b = app
        .create_employee(json!({ "firstName": "B", "personalIdentityNumber": "19900101-0017" }))
        .await;
    app.sandbox.set_faults(Faults {
        error_rate: 1.0,
        ..Faults::default()
    });
    let payload = app.export(&[&a, &b]).await;
    assert_eq!(codes(&payload), ["KLEER_UNAVAILABLE", "KLEER_UNAVAILABLE"]);
    assert_eq!(app.export_tab("LINKED").await.1, 0);

    app.sandbox.set_faults(Faults::default());
    let payload = app.export(&[&a, &b]).await;
    assert_eq!(codes(&payload), ["CREATED", "CREATED"]);
    assert_eq!(
        app.kleer_users_with_foreign_id(&foreign_id(&a))
            + app.kleer_users_with_foreign_id(&foreign_id(&b)),
        2
    );
}

async fn several_connections_need_a_connection_id(db: Db) {
    let app = TestApp::start(db).await;
    let second = crate::support::start_sandbox(0).await;
    let wrong = app
        .gql(
            "mutation($url: String!) { createKleerConnection(input: { baseUrl: $url, companyId: \"4711\", token: \"wrong\" }) { kleerConnection { id } userErrors { field code } } }",
            json!({ "url": second.base_url() }),
        )
        .await;
    assert_eq!(
        wrong["createKleerConnection"]["userErrors"],
        json!([{ "field": "token", "code": "INVALID" }])
    );
    let created = app
        .gql(
            "mutation($url: String!) { createKleerConnection(input: { label: \"Second\", baseUrl: $url, companyId: \"4711\", token: \"test-token\" }) { kleerConnection { id label } userErrors { field } } }",
            json!({ "url": second.base_url() }),
        )
        .await;
    let second_id = created["createKleerConnection"]["kleerConnection"]["id"]
        .as_str()
        .unwrap()
        .to_string();

    assert_eq!(
        app.error_code("{ exportView { totalCount } }", json!({}))
            .await,
        "BAD_USER_INPUT"
    );
    let view = app
        .gql(
            "query($c: ID!) { exportView(connectionId: $c, tab: ALL) { totalCount } }",
            json!({ "c": second_id }),
        )
        .await;
    assert_eq!(view["exportView"]["totalCount"], 0);
    assert_eq!(
        app.error_code(
            "{ exportView(connectionId: \"bad\") { totalCount } }",
            json!({})
        )
        .await,
        "NOT_FOUND"
    );

    // The token is write-only: nothing a client can ask for carries it.
    let all = app.post("{ kleerConnections { totalCount nodes { id label baseUrl companyId useWorkEmail isDemo } } }", json!({})).await;
    assert_eq!(all["data"]["kleerConnections"]["totalCount"], 2);
    assert!(!all.to_string().contains("test-token"));
}

on_both_databases!(
    exporting_creates_the_kleer_employee_and_links_it,
    a_changed_employee_exported_again_updates_kleer,
    a_row_repeated_in_one_batch_is_exported_once,
    unknown_and_malformed_ids_fail_their_own_rows_only,
    kleer_needs_a_personal_identity_number_and_a_start_date,
    a_kleer_user_removed_in_kleer_is_reported_and_no_longer_shown,
    a_kleer_user_with_the_same_person_is_a_conflict_not_a_duplicate,
    unlink_removes_the_link_and_leaves_kleer_alone,
    exporting_after_an_unlink_finds_the_same_kleer_user_again,
    a_kleer_outage_fails_rows_with_a_code_and_a_retry_completes_them,
    several_connections_need_a_connection_id,
);

//! The Import view over HTTP: matching, the five actions and their refusals, import, refresh.

use crate::support::{Db, KleerPerson, Options, TestApp, on_both_databases};
use kleer_sync::kleer::wire::{PayrollUserWrite, UserWrite};
use kleer_sync::model::KleerUserId;
use serde_json::{Value, json};
use std::time::Duration;

fn codes(payload: &Value) -> Vec<String> {
    payload["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_string())
        .collect()
}

fn id(row: &Value) -> String {
    row["id"].as_str().unwrap().to_string()
}

fn field(row: &Value, name: &str) -> Value {
    row["affectedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == name)
        .unwrap()
        .clone()
}

fn changed_fields(row: &Value) -> Vec<String> {
    row["affectedFields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["changes"] == true)
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect()
}

/// Six Kleer employees and HR employees that meet them in every way matching knows:
/// `p[0]` by number, `p[1]` by email, `p[2]` ambiguously (two HR employees share its email),
/// `p[3..6]` not at all. Answers the people and the HR ids (by number, by email, the two).
async fn story(db: Db) -> (TestApp, Vec<KleerPerson>, [String; 4]) {
    let app = TestApp::start_with(
        db,
        Options {
            seed: 6,
            ..Options::default()
        },
    )
    .await;
    let p = app.kleer_people();
    let by_number = app.create_employee(json!({ "firstName": "Alias", "lastName": "Person", "personalIdentityNumber": p[0].pin })).await;
    let by_email = app.create_employee(json!({ "firstName": "Mail", "lastName": "Match", "privateEmail": p[1].email.to_uppercase() })).await;
    let twin_a = app
        .create_employee(
            json!({ "firstName": "Twin", "lastName": "A", "privateEmail": p[2].email }),
        )
        .await;
    let twin_b = app
        .create_employee(json!({ "firstName": "Twin", "lastName": "B", "workEmail": p[2].email }))
        .await;
    (app, p, [by_number, by_email, twin_a, twin_b])
}

async fn rows_are_matched_by_number_then_email_and_only_when_unambiguous(db: Db) {
    let (app, p, [by_number, by_email, ..]) = story(db).await;
    let (new, total) = app.import_rows("NEW").await;
    assert_eq!(total, 6);
    assert_eq!(new.len(), 6);
    assert_eq!(app.import_rows("IMPORTED").await.1, 0);
    assert_eq!(app.import_rows("ALL").await.1, 6);

    let row = app.import_row(&p[0].name).await;
    assert_eq!(
        (row["matchedBy"].as_str(), row["action"].as_str()),
        (Some("PERSONAL_IDENTITY_NUMBER"), Some("PREFER_ALEXIS"))
    );
    assert_eq!(row["matchedEmployee"]["id"], by_number.as_str());
    assert_eq!(
        changed_fields(&row),
        Vec::<String>::new(),
        "PREFER_ALEXIS writes nothing"
    );
    assert_eq!(field(&row, "firstName")["alexisValue"], "Alias");

    let row = app.import_row(&p[1].name).await;
    assert_eq!(
        (row["matchedBy"].as_str(), row["action"].as_str()),
        (Some("EMAIL"), Some("PREFER_ALEXIS"))
    );
    assert_eq!(row["matchedEmployee"]["id"], by_email.as_str());

    let row = app.import_row(&p[2].name).await;
    assert_eq!(
        (row["matchedBy"].clone(), row["action"].as_str()),
        (json!(null), Some("DO_NOTHING"))
    );
    assert_eq!(row["matchNote"], "2 HR employees have this email");

    let row = app.import_row(&p[3].name).await;
    assert_eq!(
        (
            row["matchedBy"].clone(),
            row["matchNote"].clone(),
            row["action"].as_str()
        ),
        (json!(null), json!(null), Some("DO_NOTHING"))
    );
    assert!(
        row["affectedFields"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["alexisValue"].is_null()),
        "no HR side without a match"
    );
    assert_eq!(
        field(&row, "personalIdentityNumber")["kleerValue"],
        p[3].pin.as_str()
    );
}

async fn actions_are_refused_per_row_where_they_cannot_apply(db: Db) {
    let (app, p, [by_number, ..]) = story(db).await;
    let linked_hr = app.create_employee(json!({ "firstName": "Linked", "lastName": "One", "personalIdentityNumber": "19811218-9876" })).await;
    app.export(&[&linked_hr]).await;
    let free_hr = app
        .create_employee(json!({ "firstName": "Free", "lastName": "Person" }))
        .await;
    let row = |n: usize| app.import_row(&p[n].name);
    let (r0, r1, r3, r4, r5) = (
        id(&row(0).await),
        id(&row(1).await),
        id(&row(3).await),
        id(&row(4).await),
        id(&row(5).await),
    );
    let linked_row = id(&app.import_row("Linked One").await);

    assert_eq!(
        codes(&app.set_action(&[&r3], "PREFER_KLEER").await),
        ["NO_MATCH"]
    );
    assert_eq!(
        codes(&app.set_action(&[&r3], "MATCH_MANUALLY").await),
        ["NO_MATCH"]
    );
    assert_eq!(
        codes(&app.set_action(&[&linked_row], "CREATE").await),
        ["ALREADY_LINKED"]
    );
    assert_eq!(
        codes(&app.set_action(&[&r1, &r1, "nope"], "DO_NOTHING").await),
        ["ACTION_SET", "DUPLICATE_IN_BATCH", "NOT_FOUND"]
    );

    let set = app.set_action(&[&r0], "PREFER_KLEER").await;
    assert_eq!(codes(&set), ["ACTION_SET"]);
    assert_eq!(set["results"][0]["row"]["action"], "PREFER_KLEER");
    let now = app.import_row(&p[0].name).await;
    assert_eq!(
        changed_fields(&now)[..2],
        ["firstName".to_string(), "lastName".to_string()],
        "Kleer's name would replace HR's"
    );
    assert!(
        !changed_fields(&now).contains(&"personalIdentityNumber".to_string()),
        "equal values are not written"
    );

    let matched = app.match_pairs(&[(&r3, &free_hr)]).await;
    assert_eq!(codes(&matched), ["MATCHED"]);
    assert_eq!(
        matched["results"][0]["row"],
        json!({ "action": "MATCH_MANUALLY", "matchedBy": "MANUAL", "matchedEmployee": { "id": free_hr } })
    );
    let refused = app
        .match_pairs(&[
            (&r4, &free_hr),
            (&r4, &linked_hr),
            (&linked_row, &by_number),
            (&r5, "bogus"),
            ("bogus", &free_hr),
        ])
        .await;
    assert_eq!(
        codes(&refused),
        [
            "EMPLOYEE_ALREADY_MATCHED",
            "DUPLICATE_IN_BATCH",
            "ALREADY_LINKED",
            "NOT_FOUND",
            "NOT_FOUND"
        ]
    );
    let refused = app.match_pairs(&[(&r4, &linked_hr)]).await;
    assert_eq!(codes(&refused), ["EMPLOYEE_ALREADY_LINKED"]);

    // A hand-made pair can be switched to either prefer action and keeps its pair.
    assert_eq!(
        codes(&app.set_action(&[&r3], "PREFER_KLEER").await),
        ["ACTION_SET"]
    );
    let r = app.import_row(&p[3].name).await;
    assert_eq!(
        (r["matchedBy"].as_str(), r["action"].as_str()),
        (Some("MANUAL"), Some("PREFER_KLEER"))
    );
    // Choices persist.
    assert_eq!(app.import_row(&p[0].name).await["action"], "PREFER_KLEER");
    assert_eq!(app.import_row(&p[1].name).await["action"], "DO_NOTHING");
}

async fn import_carries_out_each_action_and_writes_nothing_to_kleer(db: Db) {
    let (app, p, [by_number, by_email, ..]) = story(db).await;
    let free_hr = app
        .create_employee(json!({ "firstName": "Free", "lastName": "Person" }))
        .await;
    let rows: Vec<String> = {
        let mut ids = Vec::new();
        for person in &p {
            ids.push(id(&app.import_row(&person.name).await));
        }
        ids
    };
    app.set_action(&[&rows[1]], "PREFER_KLEER").await;
    app.match_pairs(&[(&rows[3], &free_hr)]).await;
    app.set_action(&[&rows[4]], "CREATE").await;
    let (users, payroll) = (app.sandbox.users(), app.sandbox.payroll_users());

    let payload = app
        .import(&[&rows[0], &rows[1], &rows[3], &rows[4], &rows[5], &rows[2]])
        .await;
    assert_eq!(
        codes(&payload),
        [
            "LINKED",
            "LINKED",
            "LINKED",
            "CREATED",
            "NOTHING_TO_DO",
            "NOTHING_TO_DO"
        ]
    );
    assert_eq!(
        (payload["succeeded"].as_i64(), payload["skipped"].as_i64()),
        (Some(4), Some(2))
    );
    let results = payload["results"].as_array().unwrap();
    assert_eq!(
        results
            .iter()
            .map(|r| r["action"].as_str().unwrap())
            .collect::<Vec<_>>()[..4],
        ["PREFER_ALEXIS", "PREFER_KLEER", "MATCH_MANUALLY", "CREATE"]
    );

    // PREFER_ALEXIS links and keeps HR's values.
    assert_eq!(
        results[0]["row"]["matchedEmployee"],
        json!({ "id": by_number, "firstName": "Alias", "lastName": "Person" })
    );
    assert_eq!(results[0]["changes"], json!([]));
    // PREFER_KLEER takes Kleer's values over HR's.
    let (first, last) = p[1].name.rsplit_once(' ').unwrap();
    assert_eq!(
        results[1]["row"]["matchedEmployee"],
        json!({ "id": by_email, "firstName": first, "lastName": last })
    );
    let pin_change =
        json!({ "field": "personalIdentityNumber", "before": null, "after": p[1].pin });
    assert!(
        results[1]["changes"]
            .as_array()
            .unwrap()
            .contains(&pin_change)
    );
    // CREATE makes a new HR employee from Kleer's data.
    let created = &results[3]["row"]["matchedEmployee"];
    assert_eq!(
        format!(
            "{} {}",
            created["firstName"].as_str().unwrap(),
            created["lastName"].as_str().unwrap()
        ),
        p[4].name
    );
    let read = app
        .gql(
            "query($id: ID!) { employee(id: $id) { personalIdentityNumber privateEmail } }",
            json!({ "id": created["id"] }),
        )
        .await;
    assert_eq!(
        read["employee"],
        json!({ "personalIdentityNumber": p[4].pin, "privateEmail": p[4].email })
    );
    for r in &results[..4] {
        assert_eq!(
            (r["row"]["linked"].as_bool(), r["row"]["action"].as_str()),
            (Some(true), Some("DO_NOTHING"))
        );
    }

    assert_eq!(
        (app.sandbox.users(), app.sandbox.payroll_users()),
        (users, payroll),
        "nothing is written to Kleer"
    );
    assert_eq!(app.import_rows("NEW").await.1, 2);
    assert_eq!(app.import_rows("IMPORTED").await.1, 4);
    assert_eq!(app.export_tab("LINKED").await.1, 4);

    // The run keeps the action and every changed field.
    let run = app
        .gql(
            "query($id: ID!) { syncRun(id: $id) { kind rows { nodes { code action changes { field before after } } } } }",
            json!({ "id": payload["run"]["id"] }),
        )
        .await;
    assert_eq!(run["syncRun"]["kind"], "IMPORT");
    let audited = &run["syncRun"]["rows"]["nodes"][1];
    assert_eq!(audited["action"], "PREFER_KLEER");
    assert!(audited["changes"].as_array().unwrap().contains(&pin_change));
}

async fn linked_employees_are_updated_from_kleer_with_prefer_kleer(db: Db) {
    let app = TestApp::start(db).await;
    let hr = app.create_employee(json!({ "firstName": "Greta", "lastName": "Garbo", "personalIdentityNumber": "19811218-9876" })).await;
    let exported = app.export(&[&hr]).await;
    let kid = exported["results"][0]["row"]["kleerEmployee"]["kleerUserId"]
        .as_i64()
        .unwrap();
    let change = PayrollUserWrite {
        monthly_salary: Some(51000),
        phone: Some("070-7654321".into()),
        ..PayrollUserWrite::default()
    };
    assert!(app.sandbox.update_payroll_user(KleerUserId(kid), &change));
    let refreshed = app.gql("mutation { refreshKleerEmployees(input: {}) { kleerEmployeeCount removedKleerUserIds } }", json!({})).await;
    assert_eq!(
        refreshed["refreshKleerEmployees"],
        json!({ "kleerEmployeeCount": 1, "removedKleerUserIds": [] })
    );

    let row = app.import_row("Greta Garbo").await;
    assert_eq!(
        (
            row["linked"].as_bool(),
            row["matchedBy"].as_str(),
            row["action"].as_str()
        ),
        (Some(true), Some("LINK"), Some("DO_NOTHING"))
    );
    assert_eq!(
        field(&row, "monthlySalary"),
        json!({ "field": "monthlySalary", "alexisValue": "35000", "kleerValue": "51000", "changes": false })
    );
    app.set_action(&[&id(&row)], "PREFER_KLEER").await;
    assert_eq!(
        changed_fields(&app.import_row("Greta Garbo").await),
        ["privatePhone", "monthlySalary"]
    );

    let payload = app.import(&[&id(&row)]).await;
    assert_eq!(codes(&payload), ["UPDATED"]);
    assert_eq!(
        payload["results"][0]["changes"],
        json!([
            { "field": "privatePhone", "before": null, "after": "070-7654321" },
            { "field": "monthlySalary", "before": "35000", "after": "51000" }
        ])
    );
    let read = app
        .gql(
            "query($id: ID!) { employee(id: $id) { monthlySalary privatePhone } }",
            json!({ "id": hr }),
        )
        .await;
    assert_eq!(
        read["employee"],
        json!({ "monthlySalary": 51000, "privatePhone": "070-7654321" })
    );

    // Once HR holds Kleer's values, preferring Kleer again writes nothing, and a done choice
    // goes back to the default.
    app.set_action(&[&id(&row)], "PREFER_KLEER").await;
    assert_eq!(codes(&app.import(&[&id(&row)]).await), ["NOTHING_TO_DO"]);
    app.set_action(&[&id(&row)], "PREFER_ALEXIS").await;
    assert_eq!(codes(&app.import(&[&id(&row)]).await), ["NOTHING_TO_DO"]);
    assert_eq!(app.import_row("Greta Garbo").await["action"], "DO_NOTHING");
}

async fn kleer_employees_removed_in_kleer_leave_the_view_and_their_links_are_reported(db: Db) {
    let app = TestApp::start_with(
        db,
        Options {
            seed: 2,
            ..Options::default()
        },
    )
    .await;
    let hr = app.create_employee(json!({ "firstName": "Gone", "lastName": "Soon", "personalIdentityNumber": "19811218-9876" })).await;
    let exported = app.export(&[&hr]).await;
    let linked_kid = exported["results"][0]["row"]["kleerEmployee"]["kleerUserId"]
        .as_i64()
        .unwrap();
    let unlinked_kid =
        app.import_row(&app.kleer_people()[0].name).await["kleerEmployee"]["kleerUserId"]
            .as_i64()
            .unwrap();
    assert_eq!(app.import_rows("ALL").await.1, 3);
    app.sandbox.remove_user(KleerUserId(linked_kid));
    app.sandbox.remove_user(KleerUserId(unlinked_kid));

    let data = app
        .gql(
            "mutation { refreshKleerEmployees(input: {}) { kleerEmployeeCount removedKleerUserIds danglingLinks { id } run { id kind } } }",
            json!({}),
        )
        .await;
    let refreshed = &data["refreshKleerEmployees"];
    assert_eq!(refreshed["kleerEmployeeCount"], 1);
    let mut removed: Vec<i64> = refreshed["removedKleerUserIds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    removed.sort();
    assert_eq!(
        removed,
        [linked_kid.min(unlinked_kid), linked_kid.max(unlinked_kid)]
    );
    assert_eq!(refreshed["danglingLinks"], json!([{ "id": hr }]));
    assert_eq!(app.import_rows("ALL").await.1, 1);
    // Reported again on every refresh until someone deals with it.
    let again = app
        .gql("mutation { refreshKleerEmployees(input: {}) { removedKleerUserIds danglingLinks { id } } }", json!({}))
        .await;
    assert_eq!(
        again["refreshKleerEmployees"],
        json!({ "removedKleerUserIds": [], "danglingLinks": [{ "id": hr }] })
    );

    let run = app
        .gql("query($id: ID!) { syncRun(id: $id) { kind rows { nodes { code kleerUserId employee { id } } } } }", json!({ "id": refreshed["run"]["id"] }))
        .await;
    assert_eq!(run["syncRun"]["kind"], "REFRESH");
    let rows = run["syncRun"]["rows"]["nodes"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["code"] == "KLEER_REMOVED"));
    assert!(rows.contains(
        &json!({ "code": "KLEER_REMOVED", "kleerUserId": linked_kid, "employee": { "id": hr } })
    ));
    // The export row says the link points at nothing in Kleer now.
    let view = app
        .gql(
            "{ exportView(tab: LINKED) { nodes { linked kleerEmployee { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        view["exportView"]["nodes"],
        json!([{ "linked": true, "kleerEmployee": null }])
    );
}

fn kleer_employee(name: &str, pin: &str) -> (UserWrite, PayrollUserWrite) {
    let user = UserWrite {
        name: Some(name.into()),
        email: Some("new@example.se".into()),
        active: Some(true),
        ..UserWrite::default()
    };
    let payroll = PayrollUserWrite {
        ssn: Some(pin.into()),
        employment_start_date: chrono::NaiveDate::from_ymd_opt(2024, 1, 1),
        ..PayrollUserWrite::default()
    };
    (user, payroll)
}

async fn a_stale_mirror_is_read_again_before_the_view_answers(db: Db) {
    let fresh = TestApp::start(db.clone()).await;
    assert_eq!(fresh.import_rows("NEW").await.1, 0);
    let (user, payroll) = kleer_employee("New Hire", "19811218-9876");
    fresh.sandbox.insert_employee(user, payroll);
    assert_eq!(
        fresh.import_rows("NEW").await.1,
        0,
        "a fresh mirror is trusted"
    );
    fresh
        .gql(
            "mutation { refreshKleerEmployees(input: {}) { kleerEmployeeCount } }",
            json!({}),
        )
        .await;
    assert_eq!(fresh.import_rows("NEW").await.1, 1);

    let stale = TestApp::start_with(
        db,
        Options {
            mirror_max_age: Duration::ZERO,
            ..Options::default()
        },
    )
    .await;
    assert_eq!(stale.import_rows("NEW").await.1, 0);
    let (user, payroll) = kleer_employee("New Hire", "19811218-9876");
    stale.sandbox.insert_employee(user, payroll);
    assert_eq!(
        stale.import_rows("NEW").await.1,
        1,
        "an old mirror is refreshed first"
    );
}

async fn kleer_data_that_breaks_hr_rules_is_refused_per_row(db: Db) {
    let app = TestApp::start(db).await;
    let (user, payroll) = kleer_employee("Bad Number", "19811218-9875");
    app.sandbox.insert_employee(user, payroll);
    let (user, payroll) = kleer_employee("Same Person", "19811218-9876");
    app.sandbox.insert_employee(user, payroll);
    app.gql(
        "mutation { refreshKleerEmployees(input: {}) { kleerEmployeeCount } }",
        json!({}),
    )
    .await;
    let existing = app.create_employee(json!({ "firstName": "Holder", "lastName": "Of Number", "personalIdentityNumber": "19811218-9876" })).await;
    let bad = id(&app.import_row("Bad Number").await);
    let same = id(&app.import_row("Same Person").await);
    app.set_action(&[&bad, &same], "CREATE").await;

    let payload = app.import(&[&bad, &same]).await;
    assert_eq!(
        codes(&payload),
        ["INVALID_KLEER_DATA", "PERSONAL_IDENTITY_NUMBER_TAKEN"]
    );
    assert!(
        payload["results"][0]["message"]
            .as_str()
            .unwrap()
            .contains("personalIdentityNumber")
    );
    assert_eq!(
        app.gql("{ employees { totalCount } }", json!({})).await["employees"]["totalCount"],
        1
    );
    assert_eq!(
        app.import_row("Same Person").await["matchedEmployee"]["id"],
        existing.as_str(),
        "matched by number meanwhile"
    );
}

async fn an_import_page_costs_the_same_statements_for_5_and_for_50_rows(db: Db) {
    let app = TestApp::start_with(
        db,
        Options {
            seed: 60,
            ..Options::default()
        },
    )
    .await;
    for person in app.kleer_people().iter().step_by(3) {
        app.create_employee(json!({ "personalIdentityNumber": person.pin }))
            .await;
    }
    let page = "query($first: Int) { importView(tab: ALL, first: $first) { totalCount
        nodes { id linked action matchedBy matchNote kleerEmployee { name } matchedEmployee { id } affectedFields { field changes } } } }";
    app.gql(page, json!({ "first": 1 })).await;
    let mut costs = Vec::new();
    for first in [5, 50] {
        let before = app.store.statement_count();
        let data = app.gql(page, json!({ "first": first })).await;
        costs.push(app.store.statement_count() - before);
        assert_eq!(data["importView"]["nodes"].as_array().unwrap().len(), first);
    }
    assert_eq!(
        costs[0], costs[1],
        "statements for pages of 5 and 50: {costs:?}"
    );
}

on_both_databases!(
    rows_are_matched_by_number_then_email_and_only_when_unambiguous,
    actions_are_refused_per_row_where_they_cannot_apply,
    import_carries_out_each_action_and_writes_nothing_to_kleer,
    linked_employees_are_updated_from_kleer_with_prefer_kleer,
    kleer_employees_removed_in_kleer_leave_the_view_and_their_links_are_reported,
    a_stale_mirror_is_read_again_before_the_view_answers,
    kleer_data_that_breaks_hr_rules_is_refused_per_row,
    an_import_page_costs_the_same_statements_for_5_and_for_50_rows,
);

//! The Export view's tabs: which rows, in which order, found by search, cut into pages.

use crate::support::{Db, TestApp, on_both_databases};
use serde_json::json;

const PEOPLE: [(&str, &str, &str); 7] = [
    ("Östen", "Åberg", "19500101-0007"),
    ("Anna", "Ek", "19811218-9876"),
    ("Bo", "ek", "19900101-0017"),
    ("Carl", "Berg", "19700203-2394"),
    ("Dora", "Dahl", ""),
    ("Eva", "Andersson", ""),
    ("Fia", "Zorn", ""),
];

async fn tabs_hold_linked_unlinked_and_all_in_alphabetical_order(db: Db) {
    let app = TestApp::start(db).await;
    let mut ids = Vec::new();
    for (first, last, pin) in PEOPLE {
        let pin = if pin.is_empty() {
            json!(null)
        } else {
            json!(pin)
        };
        ids.push(
            app.create_employee(
                json!({ "firstName": first, "lastName": last, "personalIdentityNumber": pin }),
            )
            .await,
        );
    }
    app.export(&[&ids[1], &ids[2], &ids[3]]).await;

    let (linked, linked_total) = app.export_tab("LINKED").await;
    assert_eq!(linked, ["Carl Berg", "Anna Ek", "Bo ek"]);
    assert_eq!(linked_total, 3);
    let (alexis, alexis_total) = app.export_tab("ALEXIS").await;
    assert_eq!(
        alexis,
        ["Eva Andersson", "Dora Dahl", "Fia Zorn", "Östen Åberg"]
    );
    assert_eq!(alexis_total, 4);
    assert_eq!(app.export_tab("ALL").await.1, 7);
    // The view opens on the Linked tab.
    let default = app.gql("{ exportView { totalCount } }", json!({})).await;
    assert_eq!(default["exportView"]["totalCount"], 3);
}

async fn search_finds_names_numbers_and_emails_whatever_the_case(db: Db) {
    let app = TestApp::start(db).await;
    app.create_employee(json!({ "firstName": "Åsa", "lastName": "Öberg", "personalIdentityNumber": "19811218-9876", "privateEmail": "asa@Example.se" })).await;
    app.create_employee(
        json!({ "firstName": "Per", "lastName": "Ek_1%", "employeeNumber": "E-17" }),
    )
    .await;
    for (search, expected) in [
        ("åsa", 1),
        ("ÖBERG", 1),
        ("8112189876", 1),
        ("19811218-9876", 1),
        ("example.SE", 1),
        ("e-17", 1),
        ("_1%", 1),
        ("__", 0),
        ("nobody", 0),
        ("", 2),
    ] {
        let data = app
            .gql("query($s: String) { exportView(tab: ALL, search: $s) { totalCount nodes { id } } }", json!({ "s": search }))
            .await;
        assert_eq!(
            data["exportView"]["totalCount"], expected,
            "search {search:?}"
        );
        assert_eq!(
            data["exportView"]["nodes"].as_array().unwrap().len(),
            expected as usize,
            "search {search:?}"
        );
    }
}

async fn pages_walk_the_whole_tab_without_gaps_or_repeats(db: Db) {
    let app = TestApp::start(db).await;
    for (first, last, _) in PEOPLE {
        app.create_employee(json!({ "firstName": first, "lastName": last }))
            .await;
    }
    // Two people with one name still page apart, by id.
    app.create_employee(json!({ "firstName": "Anna", "lastName": "Ek" }))
        .await;
    let (everyone, total) = app.export_tab("ALL").await;
    assert_eq!(total, 8);

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = app
            .gql(
                "query($after: String) { exportView(tab: ALL, first: 3, after: $after) {
                    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { employee { firstName lastName } } } } }",
                json!({ "after": after }),
            )
            .await;
        let view = &data["exportView"];
        assert_eq!(view["totalCount"], 8);
        for edge in view["edges"].as_array().unwrap() {
            seen.push(format!(
                "{} {}",
                edge["node"]["employee"]["firstName"].as_str().unwrap(),
                edge["node"]["employee"]["lastName"].as_str().unwrap()
            ));
        }
        if view["pageInfo"]["hasNextPage"] == false {
            break;
        }
        after = Some(view["pageInfo"]["endCursor"].as_str().unwrap().to_string());
    }
    assert_eq!(seen, everyone);
}

async fn page_sizes_and_cursors_are_checked(db: Db) {
    let app = TestApp::start(db).await;
    assert_eq!(
        app.error_code("{ exportView(first: 101) { totalCount } }", json!({}))
            .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.error_code("{ exportView(first: -1) { totalCount } }", json!({}))
            .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.error_code(
            "{ exportView(after: \"not-a-cursor\") { totalCount } }",
            json!({})
        )
        .await,
        "BAD_USER_INPUT"
    );
    assert_eq!(
        app.error_code("{ employees(first: 1000) { totalCount } }", json!({}))
            .await,
        "BAD_USER_INPUT"
    );
    // A search term is at most 200 characters, on every list that takes one.
    let longest = "å".repeat(200);
    for list in ["exportView", "importView", "employees"] {
        let query = format!("query($s: String) {{ {list}(search: $s) {{ totalCount }} }}");
        app.gql(&query, json!({ "s": longest })).await;
        assert_eq!(
            app.error_code(&query, json!({ "s": format!("{longest}x") }))
                .await,
            "BAD_USER_INPUT",
            "{list}"
        );
    }
}

on_both_databases!(
    tabs_hold_linked_unlinked_and_all_in_alphabetical_order,
    search_finds_names_numbers_and_emails_whatever_the_case,
    pages_walk_the_whole_tab_without_gaps_or_repeats,
    page_sizes_and_cursors_are_checked,
);

//! HR employees: created, read and patched over GraphQL, with invalid input refused per field.

use crate::support::{Db, TestApp, on_both_databases};
use serde_json::json;

const EMPLOYEE_FIELDS: &str = "id firstName lastName personalIdentityNumber privateEmail workEmail privatePhone employeeNumber
    homeAddress { street zipCode city countryCode } taxTable taxColumn clearingNumber bankAccountNumber startDate endDate monthlySalary";

async fn created_employee_is_normalised_and_reads_back(db: Db) {
    let app = TestApp::start(db).await;
    let id = app
        .create_employee(json!({
            "firstName": " Anna ", "lastName": "Ek", "personalIdentityNumber": "811218-9876",
            "privateEmail": "anna.ek@example.se", "homeAddress": { "street": "Storgatan 1", "zipCode": "111 22", "city": "Stockholm", "countryCode": "se" },
            "clearingNumber": "8327-9", "bankAccountNumber": "123 456 789", "taxTable": 33, "taxColumn": 1,
            "startDate": "2020-02-01", "endDate": "2026-12-31", "monthlySalary": 42000
        }))
        .await;
    let data = app
        .gql(
            &format!("query($id: ID!) {{ employee(id: $id) {{ {EMPLOYEE_FIELDS} }} }}"),
            json!({ "id": id }),
        )
        .await;
    let e = &data["employee"];
    assert_eq!(e["firstName"], "Anna");
    assert_eq!(e["personalIdentityNumber"], "19811218-9876");
    assert_eq!(e["homeAddress"]["countryCode"], "SE");
    assert_eq!(e["clearingNumber"], "83279");
    assert_eq!(e["bankAccountNumber"], "123456789");
    assert_eq!(e["startDate"], "2020-02-01");
    assert_eq!(e["monthlySalary"], 42000);
    let listed = app
        .gql(
            "{ employees(search: \"ANNA\") { totalCount nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["employees"]["totalCount"], 1);
    assert_eq!(listed["employees"]["nodes"][0]["id"], id);
}

async fn invalid_input_is_refused_field_by_field_and_nothing_is_stored(db: Db) {
    let app = TestApp::start(db).await;
    let data = app
        .gql(
            "mutation($input: CreateEmployeeInput!) { createEmployee(input: $input) { employee { id } userErrors { field code message } } }",
            json!({ "input": {
                "firstName": "Bo", "lastName": "",
                "personalIdentityNumber": "19811218-9875", "privateEmail": "bo@", "homeAddress": { "countryCode": "XX" },
                "startDate": "2023-02-29", "clearingNumber": "12a4", "monthlySalary": -5
            }}),
        )
        .await;
    let payload = &data["createEmployee"];
    assert_eq!(payload["employee"], json!(null));
    let fields: Vec<(String, String)> = payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("lastName", "REQUIRED"),
        ("personalIdentityNumber", "INVALID"),
        ("privateEmail", "INVALID"),
        ("homeAddress.countryCode", "INVALID"),
        ("clearingNumber", "INVALID"),
        ("startDate", "INVALID"),
        ("monthlySalary", "INVALID"),
    ];
    assert_eq!(
        fields,
        expected.map(|(f, c)| (f.to_string(), c.to_string()))
    );
    let pin_message = payload["userErrors"][1]["message"].as_str().unwrap();
    assert!(pin_message.contains("check digit"), "{pin_message}");
    let count = app.gql("{ employees { totalCount } }", json!({})).await;
    assert_eq!(count["employees"]["totalCount"], 0);
}

async fn a_patch_changes_only_the_fields_it_names(db: Db) {
    let app = TestApp::start(db).await;
    let id = app
        .create_employee(json!({
            "firstName": "Eva", "lastName": "Berg", "privatePhone": "070-123 45 67",
            "homeAddress": { "street": "Ågatan 2", "city": "Umeå", "countryCode": "SE" }
        }))
        .await;
    let data = app
        .gql(
            &format!(
                "mutation($input: UpdateEmployeeInput!) {{ updateEmployee(input: $input) {{ employee {{ {EMPLOYEE_FIELDS} }} userErrors {{ field }} }} }}"
            ),
            json!({ "input": { "id": id, "patch": { "firstName": "Evy", "privatePhone": null, "homeAddress": { "city": "Luleå" } } } }),
        )
        .await;
    let e = &data["updateEmployee"]["employee"];
    assert_eq!(data["updateEmployee"]["userErrors"], json!([]));
    assert_eq!(e["firstName"], "Evy");
    assert_eq!(e["lastName"], "Berg");
    assert_eq!(e["privatePhone"], json!(null));
    assert_eq!(
        e["homeAddress"],
        json!({ "street": "Ågatan 2", "zipCode": null, "city": "Luleå", "countryCode": "SE" })
    );
    assert_eq!(e["monthlySalary"], 35000);
}

async fn an_invalid_patch_changes_nothing(db: Db) {
    let app = TestApp::start(db).await;
    let id = app
        .create_employee(json!({ "firstName": "Eva", "lastName": "Berg" }))
        .await;
    let data = app
        .gql(
            "mutation($input: UpdateEmployeeInput!) { updateEmployee(input: $input) { employee { id } userErrors { field code } } }",
            json!({ "input": { "id": id, "patch": { "firstName": "Evy", "lastName": null, "taxTable": 7 } } }),
        )
        .await;
    assert_eq!(
        data["updateEmployee"]["userErrors"],
        json!([{ "field": "lastName", "code": "REQUIRED" }, { "field": "taxTable", "code": "INVALID" }])
    );
    let now = app
        .gql(
            "query($id: ID!) { employee(id: $id) { firstName taxTable } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        now["employee"],
        json!({ "firstName": "Eva", "taxTable": null })
    );
}

async fn one_personal_identity_number_belongs_to_one_employee(db: Db) {
    let app = TestApp::start(db).await;
    app.create_employee(json!({ "personalIdentityNumber": "19811218-9876" }))
        .await;
    let data = app
        .gql(
            "mutation { createEmployee(input: { firstName: \"Other\", lastName: \"Person\", personalIdentityNumber: \"198112189876\" }) { employee { id } userErrors { field code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["createEmployee"]["userErrors"],
        json!([{ "field": "personalIdentityNumber", "code": "TAKEN" }])
    );
}

async fn unknown_and_malformed_ids_are_not_found(db: Db) {
    let app = TestApp::start(db).await;
    let id = app.create_employee(json!({})).await;
    for bad in [
        "nonsense",
        "RW1wbG95ZWU6OTk5OTk",
        "U3luY1J1bjox",
        &format!("{id}x"),
    ] {
        let data = app
            .gql(
                "mutation($id: ID!) { updateEmployee(input: { id: $id, patch: { firstName: \"X\" } }) { employee { id } userErrors { field code } } }",
                json!({ "id": bad }),
            )
            .await;
        assert_eq!(
            data["updateEmployee"]["userErrors"],
            json!([{ "field": "id", "code": "NOT_FOUND" }]),
            "{bad}"
        );
        let read = app
            .gql(
                "query($id: ID!) { employee(id: $id) { id } }",
                json!({ "id": bad }),
            )
            .await;
        assert_eq!(read["employee"], json!(null));
    }
}

on_both_databases!(
    created_employee_is_normalised_and_reads_back,
    invalid_input_is_refused_field_by_field_and_nothing_is_stored,
    a_patch_changes_only_the_fields_it_names,
    an_invalid_patch_changes_nothing,
    one_personal_identity_number_belongs_to_one_employee,
    unknown_and_malformed_ids_are_not_found,
);

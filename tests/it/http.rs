//! `/graphql` over HTTP: the status codes and media types of the GraphQL-over-HTTP spec, and a
//! clear `extensions.code` on every refusal. On SQLite only: the database plays no part.

use crate::support::{Db, Options, TestApp};
use kleer_sync::graphql::Limits;
use kleer_sync::sandbox::Faults;
use reqwest::header::{ACCEPT, ALLOW, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// What came back: status, media type (without parameters), `Allow`, and the JSON body.
struct Answer {
    status: StatusCode,
    media: String,
    allow: Option<String>,
    body: Value,
}

impl Answer {
    async fn from(response: reqwest::Response) -> Answer {
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v: &reqwest::header::HeaderValue| v.to_str().unwrap().to_string())
        };
        let media = header(CONTENT_TYPE)
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let allow = header(ALLOW);
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("not JSON ({e}), status {status}: {text:.300}"));
        Answer {
            status,
            media,
            allow,
            body,
        }
    }

    fn code(&self) -> &str {
        self.body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {:#}", self.body))
    }

    /// A request error: no `data` entry at all, only coded errors.
    fn assert_refused(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{:#}", self.body);
        assert_eq!(self.code(), code, "{:#}", self.body);
        assert!(self.body.get("data").is_none(), "{:#}", self.body);
    }
}

async fn post(app: &TestApp, accept: Option<&str>, body: Value) -> Answer {
    let mut request = app.client().post(app.graphql_url()).json(&body);
    if let Some(accept) = accept {
        request = request.header(ACCEPT, accept);
    }
    Answer::from(request.send().await.unwrap()).await
}

async fn get(app: &TestApp, accept: &str, params: &[(&str, &str)]) -> Answer {
    let url = reqwest::Url::parse_with_params(&app.graphql_url(), params).unwrap();
    Answer::from(
        app.client()
            .get(url)
            .header(ACCEPT, accept)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn get_runs_queries_in_the_media_type_asked_for() {
    let app = TestApp::start(Db::Sqlite).await;
    let query = [("query", "{ kleerConnections { totalCount } }")];
    let answer = get(&app, JSON, &query).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.media, JSON);
    assert_eq!(answer.body["data"]["kleerConnections"]["totalCount"], 1);

    let answer = get(&app, GRAPHQL_RESPONSE, &query).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.media, GRAPHQL_RESPONSE);

    let with_variables = get(
        &app,
        "*/*",
        &[
            (
                "query",
                "query($n: Int) { employees(first: $n) { totalCount } }",
            ),
            ("variables", r#"{"n": 5}"#),
        ],
    )
    .await;
    assert_eq!(with_variables.media, JSON, "wildcards get application/json");
    assert_eq!(with_variables.body["data"]["employees"]["totalCount"], 0);
}

#[tokio::test]
async fn a_mutation_over_get_is_refused_and_changes_nothing() {
    let app = TestApp::start(Db::Sqlite).await;
    let mutation = r#"mutation { createEmployee(input: { firstName: "Get", lastName: "Request", startDate: "2024-01-01", monthlySalary: 1 }) { employee { id } } }"#;
    for accept in [JSON, GRAPHQL_RESPONSE] {
        let answer = get(&app, accept, &[("query", mutation)]).await;
        answer.assert_refused(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
        assert_eq!(answer.allow.as_deref(), Some("POST"));
    }
    let count = app.gql("{ employees { totalCount } }", json!({})).await;
    assert_eq!(count["employees"]["totalCount"], 0);

    let put = app
        .client()
        .put(app.graphql_url())
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    let answer = Answer::from(put).await;
    answer.assert_refused(StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED");
    assert_eq!(answer.allow.as_deref(), Some("GET, POST"));
}

#[tokio::test]
async fn a_browser_gets_graphiql_and_a_get_without_a_query_is_refused() {
    let app = TestApp::start(Db::Sqlite).await;
    let browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let page = app
        .client()
        .get(app.graphql_url())
        .header(ACCEPT, browser)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(page.text().await.unwrap().contains("graphiql"));

    get(&app, JSON, &[])
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "BAD_REQUEST");
}

#[tokio::test]
async fn a_post_must_be_json_and_a_well_formed_request() {
    let app = TestApp::start(Db::Sqlite).await;
    let raw = |content_type: Option<&'static str>, body: &'static str| {
        let mut request = app.client().post(app.graphql_url()).body(body);
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        async move { Answer::from(request.send().await.unwrap()).await }
    };
    let query = r#"{"query": "{ __typename }"}"#;
    raw(None, query)
        .await
        .assert_refused(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE");
    raw(Some("text/plain"), query)
        .await
        .assert_refused(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE");
    raw(Some("application/json; charset=iso-8859-1"), query)
        .await
        .assert_refused(StatusCode::UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE");
    assert_eq!(
        raw(Some("application/json; charset=utf-8"), query)
            .await
            .status,
        StatusCode::OK
    );

    for bad in [
        r#"{ "not a JSON"#,
        "",
        r#"[{"query": "{ __typename }"}]"#,
        r#"{"qeury": "{ __typename }"}"#,
        r#"{"query": 0}"#,
        r#"{"query": "{ __typename }", "variables": "string"}"#,
        r#"{"query": "{ __typename }", "operationName": false}"#,
        r#"{"query": "{ __typename }", "extensions": ["array"]}"#,
    ] {
        let answer = raw(Some(JSON), bad).await;
        answer.assert_refused(StatusCode::BAD_REQUEST, "BAD_REQUEST");
        assert_eq!(answer.media, JSON);
    }
}

#[tokio::test]
async fn parse_and_validation_errors_are_400_only_for_graphql_response_json() {
    let app = TestApp::start(Db::Sqlite).await;
    for (query, variables, code) in [
        ("{", json!(null), "GRAPHQL_PARSE_FAILED"),
        ("{ noSuchField }", json!(null), "GRAPHQL_VALIDATION_FAILED"),
        (
            "query($n: Int!) { employees(first: $n) { totalCount } }",
            json!({ "n": "five" }),
            "GRAPHQL_VALIDATION_FAILED",
        ),
        (
            "query A { __typename } query B { __typename }",
            json!(null),
            "OPERATION_RESOLUTION_FAILURE",
        ),
    ] {
        let body = json!({ "query": query, "variables": variables });
        let legacy = post(&app, Some(JSON), body.clone()).await;
        legacy.assert_refused(StatusCode::OK, code);
        assert_eq!(legacy.media, JSON);
        let modern = post(&app, Some(GRAPHQL_RESPONSE), body).await;
        modern.assert_refused(StatusCode::BAD_REQUEST, code);
        assert_eq!(modern.media, GRAPHQL_RESPONSE);
    }

    // A field error is not a request error: the operation ran, `data` is there.
    let field_error = post(
        &app,
        Some(GRAPHQL_RESPONSE),
        json!({ "query": "{ employees(first: 1000) { totalCount } }" }),
    )
    .await;
    assert_eq!(field_error.status, StatusCode::OK);
    assert!(field_error.body.get("data").is_some());
    assert_eq!(field_error.code(), "BAD_USER_INPUT");
}

#[tokio::test]
async fn text_with_nul_is_refused_before_anything_runs() {
    let app = TestApp::start(Db::Sqlite).await;
    let mutation = "mutation($first: String!) { createEmployee(input: { firstName: $first, lastName: \"Nul\" }) { employee { id } } }";
    post(
        &app,
        Some(GRAPHQL_RESPONSE),
        json!({ "query": mutation, "variables": { "first": "A\u{0}B" } }),
    )
    .await
    .assert_refused(StatusCode::BAD_REQUEST, "BAD_USER_INPUT");
    post(
        &app,
        Some(JSON),
        json!({ "query": r#"{ employees(search: "a\u0000") { totalCount } }"# }),
    )
    .await
    .assert_refused(StatusCode::OK, "BAD_USER_INPUT");
}

#[tokio::test]
async fn accept_without_a_json_type_is_not_acceptable() {
    let app = TestApp::start(Db::Sqlite).await;
    let answer = post(
        &app,
        Some("application/xml"),
        json!({ "query": "{ __typename }" }),
    )
    .await;
    answer.assert_refused(StatusCode::NOT_ACCEPTABLE, "NOT_ACCEPTABLE");
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused() {
    let app = TestApp::start(Db::Sqlite).await;
    let padding = " ".repeat(Limits::default().max_body_bytes);
    let answer = post(
        &app,
        Some(GRAPHQL_RESPONSE),
        json!({ "query": format!("{{ __typename {padding} }}") }),
    )
    .await;
    answer.assert_refused(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn deep_and_complex_documents_are_refused_with_their_codes() {
    let app = TestApp::start_with(
        Db::Sqlite,
        Options {
            limits: Limits {
                max_complexity: 50,
                ..Limits::default()
            },
            ..Options::default()
        },
    )
    .await;
    let deep = format!(
        "{{ __schema {{ types {{ fields {{ type {} name {} }} }} }} }}",
        "{ ofType ".repeat(10),
        "}".repeat(10)
    );
    post(&app, Some(GRAPHQL_RESPONSE), json!({ "query": deep }))
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "QUERY_TOO_DEEP");

    let brackets = format!("{{ a(x: {}1{}) }}", "[".repeat(100), "]".repeat(100));
    post(&app, Some(GRAPHQL_RESPONSE), json!({ "query": brackets }))
        .await
        .assert_refused(StatusCode::BAD_REQUEST, "QUERY_TOO_DEEP");

    let wide: String = (0..30)
        .map(|i| format!("f{i}: kleerConnections {{ totalCount }} "))
        .collect();
    post(
        &app,
        Some(GRAPHQL_RESPONSE),
        json!({ "query": format!("{{ {wide} }}") }),
    )
    .await
    .assert_refused(StatusCode::BAD_REQUEST, "QUERY_TOO_COMPLEX");
}

#[tokio::test]
async fn a_batch_of_more_than_1000_ids_is_refused_with_bad_user_input() {
    let app = TestApp::start(Db::Sqlite).await;
    let id = app.create_employee(json!({})).await;
    let ids: Vec<&str> = vec![id.as_str(); 1001];
    for mutation in [
        "mutation($ids: [ID!]!) { exportEmployees(input: { employeeIds: $ids }) { succeeded } }",
        "mutation($ids: [ID!]!) { unlinkEmployees(input: { employeeIds: $ids }) { succeeded } }",
        "mutation($ids: [ID!]!) { importEmployees(input: { kleerEmployeeIds: $ids }) { succeeded } }",
    ] {
        let answer = post(
            &app,
            Some(GRAPHQL_RESPONSE),
            json!({ "query": mutation, "variables": { "ids": ids } }),
        )
        .await;
        assert_eq!(answer.code(), "BAD_USER_INPUT", "{:#}", answer.body);
        let message = answer.body["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains("1000"), "{message}");
    }
    // Nothing was exported: the employee is still unlinked and no run was recorded.
    assert_eq!(app.export_tab("LINKED").await.1, 0);
    let runs = app.gql("{ syncRuns { totalCount } }", json!({})).await;
    assert_eq!(runs["syncRuns"]["totalCount"], 0);
}

#[tokio::test]
async fn a_slow_request_times_out_but_a_mutation_still_finishes() {
    let app = TestApp::start_with(
        Db::Sqlite,
        Options {
            seed: 2,
            limits: Limits {
                request_timeout: Duration::from_millis(300),
                ..Limits::default()
            },
            ..Options::default()
        },
    )
    .await;
    app.sandbox.set_faults(Faults {
        latency_ms: 600,
        ..Faults::default()
    });
    let refresh = post(
        &app,
        Some(JSON),
        json!({ "query": "mutation { refreshKleerEmployees(input: {}) { kleerEmployeeCount } }" }),
    )
    .await;
    refresh.assert_refused(StatusCode::GATEWAY_TIMEOUT, "TIMEOUT");

    app.sandbox.set_faults(Faults::default());
    let mut runs = 0;
    for _ in 0..50 {
        let data = app.gql("{ syncRuns { totalCount } }", json!({})).await;
        runs = data["syncRuns"]["totalCount"].as_i64().unwrap();
        if runs > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(runs, 1, "the refresh went on after the timeout");
}

#[tokio::test]
async fn other_methods_are_not_allowed() {
    let app = TestApp::start(Db::Sqlite).await;
    for method in [Method::DELETE, Method::PATCH, Method::OPTIONS] {
        let response = app
            .client()
            .request(method.clone(), app.graphql_url())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}"
        );
    }
}

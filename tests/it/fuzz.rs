//! A property test of the whole endpoint: a few thousand random documents and variables, built
//! from the live schema (read by introspection) with wrong types, huge strings, deep nesting,
//! unknown and malformed ids, invalid personal identity numbers, broken syntax and mutations
//! that must be refused. Whatever is sent: no 5xx, every answer JSON with `data` or `errors`,
//! every error with an `extensions.code` (and none INTERNAL_SERVER_ERROR), and no row changed.
//!
//! Why "no row changed" is sound: queries do not write (the Kleer mirror is refreshed in the
//! set-up and trusted for minutes after). Every mutation sent is one that must change nothing:
//! batch actions name only unknown or malformed ids (or a connection that does not exist), so
//! each row fails NOT_FOUND; `refreshKleerEmployees` names a connection that does not exist;
//! `createEmployee` and `updateEmployee` always carry an invalid
//! personal identity number (or name no employee); `createKleerConnection` always has a blank
//! base URL (so Kleer is never called: no traffic leaves the machine) and
//! `updateKleerConnection` an unknown id; any other mutation has an unknown argument and fails
//! validation. The one record such a batch leaves is its sync run, the audit trail of a refused
//! request: new runs may appear, with no row succeeded. Everything else must be equal, on both
//! sides: HR employees, both views (links, actions, matches), connections, runs, and the
//! sandbox's Kleer users.
//!
//! It runs on both databases: PostgreSQL refuses text that SQLite stores (U+0000). `FUZZ_SEED`
//! and `FUZZ_CASES` pick another seed or more cases; a failure names its seed and case so it
//! can be replayed.

use crate::support::{Db, Options, TestApp, on_both_databases};
use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

const DEFAULT_SEED: u64 = 0x6b6c_6565_7221;
const DEFAULT_CASES: usize = 3000;

on_both_databases!(random_documents_never_fail_the_server_nor_change_a_row);

async fn random_documents_never_fail_the_server_nor_change_a_row(db: Db) {
    let seed = env_number("FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let cases = env_number("FUZZ_CASES").map_or(DEFAULT_CASES, |n| n as usize);
    let app = TestApp::start_with(
        db,
        Options {
            seed: 6,
            ..Options::default()
        },
    )
    .await;
    let ids = given_a_register_with_links_and_runs(&app).await;
    let model = Model::introspect(&app).await;
    let before = snapshot(&app).await;

    let mut rng = Rng(seed);
    let cases: Vec<Case> = (0..cases)
        .map(|n| Gen::new(&mut rng, &model, &ids).case(n))
        .collect();
    let app = &app;
    let mut answers = futures_util::stream::iter(cases.iter())
        .map(|case| async move { (case, send(app, case).await) })
        .buffer_unordered(4);
    while let Some((case, answer)) = answers.next().await {
        if let Err(problem) = check(case, &answer) {
            panic!(
                "seed {seed:#x}, case {}: {problem}\n{} {:?} accept {:?}\ndocument: {:.2000}\nvariables: {:.2000}\nanswer {}: {:.2000}",
                case.n,
                case.method,
                case.content_type,
                case.accept,
                case.query,
                case.variables.to_string(),
                answer.status,
                answer.text
            );
        }
    }

    let after = snapshot(app).await;
    assert_unchanged(&before, &after, seed);
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// splitmix64: tiny, seedable, and good enough to pick among a few choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Ids the set-up made, for queries to find real objects.
struct Ids {
    employees: Vec<String>,
    kleer: Vec<String>,
    runs: Vec<String>,
    connection: String,
}

/// Some of everything: HR employees (one the same person as in Kleer), two of them exported,
/// an Import view with a chosen action, and sync runs.
async fn given_a_register_with_links_and_runs(app: &TestApp) -> Ids {
    let in_kleer = &app.kleer_people()[0];
    let mut employees = vec![
        app.create_employee(json!({ "firstName": "Åsa", "lastName": "Öberg", "personalIdentityNumber": "19811218-9876", "privateEmail": "asa@example.se" }))
            .await,
        app.create_employee(json!({ "firstName": "Bo", "lastName": "Ek", "homeAddress": { "street": "Gatan 1", "zipCode": "12345", "city": "Ort", "countryCode": "SE" } }))
            .await,
        app.create_employee(json!({ "firstName": "Same", "lastName": "Person", "personalIdentityNumber": in_kleer.pin }))
            .await,
    ];
    for n in 0..3 {
        employees.push(
            app.create_employee(json!({ "firstName": format!("Extra{n}"), "lastName": "Hr" }))
                .await,
        );
    }
    app.export(&[&employees[0], &employees[1]]).await;
    let (rows, _) = app.import_rows("NEW").await;
    let kleer: Vec<String> = rows
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    app.set_action(&[&kleer[kleer.len() - 1]], "CREATE").await;
    let data = app
        .gql(
            "{ syncRuns { nodes { id } } kleerConnections { nodes { id } } }",
            json!({}),
        )
        .await;
    let strings = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_string())
            .collect()
    };
    Ids {
        employees,
        kleer,
        runs: strings(&data["syncRuns"]["nodes"]),
        connection: strings(&data["kleerConnections"]["nodes"]).remove(0),
    }
}

/// Everything a request could change, as the API shows it, and the sandbox's side.
#[derive(Debug)]
struct Snapshot {
    state: Value,
    runs: Vec<Value>,
    kleer: String,
}

async fn snapshot(app: &TestApp) -> Snapshot {
    let address = "homeAddress { street zipCode city countryCode }";
    let employee = format!(
        "id firstName lastName personalIdentityNumber privateEmail workEmail privatePhone employeeNumber {address} taxTable taxColumn clearingNumber bankAccountNumber startDate endDate monthlySalary createdAt updatedAt"
    );
    let changes = "affectedFields { field alexisValue kleerValue changes }";
    let state = app
        .gql(
            &format!(
                "{{
                employees(first: 100) {{ totalCount nodes {{ {employee} }} }}
                exportView(tab: ALL, first: 100) {{ totalCount nodes {{ id linked employee {{ id }} kleerEmployee {{ id kleerUserId foreignId name }} {changes} }} }}
                importView(tab: ALL, first: 100) {{ totalCount nodes {{ id linked action matchedBy matchNote matchedEmployee {{ id }} kleerEmployee {{ id kleerUserId name personalIdentityNumber email }} {changes} }} }}
                kleerConnections {{ totalCount nodes {{ id label baseUrl companyId useWorkEmail isDemo createdAt }} }}
            }}"
            ),
            json!({}),
        )
        .await;
    Snapshot {
        state,
        runs: all_runs(app).await,
        kleer: format!(
            "{:?}\n{:?}",
            app.sandbox.users(),
            app.sandbox.payroll_users()
        ),
    }
}

/// Every sync run, page by page: refused batches add many, newest first.
async fn all_runs(app: &TestApp) -> Vec<Value> {
    let mut runs = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .gql(
                "query($after: String) { syncRuns(first: 100, after: $after) {
                    pageInfo { hasNextPage endCursor }
                    nodes { id kind succeeded skipped failed finishedAt rows(first: 100) { totalCount } }
                } }",
                json!({ "after": after }),
            )
            .await;
        let page = &data["syncRuns"];
        runs.extend(page["nodes"].as_array().unwrap().iter().cloned());
        if page["pageInfo"]["hasNextPage"] != true {
            return runs;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
}

fn assert_unchanged(before: &Snapshot, after: &Snapshot, seed: u64) {
    assert!(
        before.state == after.state,
        "seed {seed:#x}: rows changed\nbefore: {:#}\nafter: {:#}",
        before.state,
        after.state
    );
    assert_eq!(before.kleer, after.kleer, "seed {seed:#x}: Kleer changed");
    let new_runs: Vec<&Value> = after
        .runs
        .iter()
        .filter(|run| !before.runs.iter().any(|old| old["id"] == run["id"]))
        .collect();
    for old in &before.runs {
        assert!(
            after.runs.contains(old),
            "seed {seed:#x}: run changed: {old:#}"
        );
    }
    for run in new_runs {
        assert_eq!(
            run["succeeded"], 0,
            "seed {seed:#x}: a refused batch succeeded: {run:#}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The schema, as introspection tells it.

#[derive(Clone, Debug)]
enum Ty {
    Named(String),
    List(Box<Ty>),
    NonNull(Box<Ty>),
}

impl Ty {
    fn parse(value: &Value) -> Ty {
        match value["kind"].as_str().unwrap() {
            "NON_NULL" => Ty::NonNull(Box::new(Ty::parse(&value["ofType"]))),
            "LIST" => Ty::List(Box::new(Ty::parse(&value["ofType"]))),
            _ => Ty::Named(value["name"].as_str().unwrap().to_string()),
        }
    }

    fn named(&self) -> &str {
        match self {
            Ty::Named(name) => name,
            Ty::List(inner) | Ty::NonNull(inner) => inner.named(),
        }
    }

    fn render(&self) -> String {
        match self {
            Ty::Named(name) => name.clone(),
            Ty::List(inner) => format!("[{}]", inner.render()),
            Ty::NonNull(inner) => format!("{}!", inner.render()),
        }
    }
}

struct Field {
    name: String,
    args: Vec<InputValue>,
    ty: Ty,
}

struct InputValue {
    name: String,
    ty: Ty,
    has_default: bool,
}

#[derive(Default)]
struct TypeDef {
    kind: String,
    fields: Vec<Field>,
    input_fields: Vec<InputValue>,
    enum_values: Vec<String>,
    possible_types: Vec<String>,
}

struct Model {
    types: HashMap<String, TypeDef>,
}

impl Model {
    async fn introspect(app: &TestApp) -> Model {
        let data = app
            .gql(
                "{ __schema { types { kind name
                    fields { name type { ...T } args { name defaultValue type { ...T } } }
                    inputFields { name defaultValue type { ...T } }
                    enumValues { name }
                    possibleTypes { name } } } }
                fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }",
                json!({}),
            )
            .await;
        let inputs = |list: &Value| -> Vec<InputValue> {
            list.as_array()
                .map(|items| {
                    items
                        .iter()
                        .map(|i| InputValue {
                            name: i["name"].as_str().unwrap().to_string(),
                            ty: Ty::parse(&i["type"]),
                            has_default: !i["defaultValue"].is_null(),
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let names = |list: &Value| -> Vec<String> {
            list.as_array()
                .map(|items| {
                    items
                        .iter()
                        .map(|i| i["name"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut types = HashMap::new();
        for t in data["__schema"]["types"].as_array().unwrap() {
            let fields = t["fields"]
                .as_array()
                .map(|fields| {
                    fields
                        .iter()
                        .map(|f| Field {
                            name: f["name"].as_str().unwrap().to_string(),
                            args: inputs(&f["args"]),
                            ty: Ty::parse(&f["type"]),
                        })
                        .collect()
                })
                .unwrap_or_default();
            types.insert(
                t["name"].as_str().unwrap().to_string(),
                TypeDef {
                    kind: t["kind"].as_str().unwrap().to_string(),
                    fields,
                    input_fields: inputs(&t["inputFields"]),
                    enum_values: names(&t["enumValues"]),
                    possible_types: names(&t["possibleTypes"]),
                },
            );
        }
        Model { types }
    }

    fn get(&self, name: &str) -> &TypeDef {
        &self.types[name]
    }

    fn is_composite(&self, name: &str) -> bool {
        matches!(
            self.get(name).kind.as_str(),
            "OBJECT" | "INTERFACE" | "UNION"
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Generating requests.

/// A value as both GraphQL literal and JSON variable can hold it.
#[derive(Clone, Debug)]
enum Lit {
    Null,
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Enum(String),
    List(Vec<Lit>),
    Obj(Vec<(String, Lit)>),
}

impl Lit {
    fn graphql(&self) -> String {
        match self {
            Lit::Null => "null".into(),
            Lit::Int(n) => n.to_string(),
            Lit::Float(f) => format!("{f:?}"),
            Lit::Str(s) => Value::String(s.clone()).to_string(),
            Lit::Bool(b) => b.to_string(),
            Lit::Enum(e) => e.clone(),
            Lit::List(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Lit::graphql)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Lit::Obj(fields) => format!(
                "{{{}}}",
                fields
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", v.graphql()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    fn json(&self) -> Value {
        match self {
            Lit::Null => Value::Null,
            Lit::Int(n) => json!(n),
            Lit::Float(f) => json!(f),
            Lit::Str(s) | Lit::Enum(s) => json!(s),
            Lit::Bool(b) => json!(b),
            Lit::List(items) => Value::Array(items.iter().map(Lit::json).collect()),
            Lit::Obj(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.json()))
                    .collect::<Map<_, _>>(),
            ),
        }
    }
}

struct Case {
    n: usize,
    method: &'static str,
    accept: Option<&'static str>,
    content_type: Option<&'static str>,
    query: String,
    variables: Value,
    operation_name: Option<Value>,
    /// Raw body instead of the JSON built from the fields above.
    raw_body: Option<String>,
}

struct Gen<'a> {
    rng: &'a mut Rng,
    model: &'a Model,
    ids: &'a Ids,
    variables: Vec<(String, String, Value)>,
    max_depth: usize,
}

impl<'a> Gen<'a> {
    fn new(rng: &'a mut Rng, model: &'a Model, ids: &'a Ids) -> Self {
        Gen {
            rng,
            model,
            ids,
            variables: Vec::new(),
            max_depth: 4,
        }
    }

    fn case(mut self, n: usize) -> Case {
        self.max_depth = if self.rng.percent(5) {
            14
        } else {
            2 + self.rng.below(4)
        };
        let roll = self.rng.below(100);
        let mut raw_body = None;
        let (mut query, mutation) = match roll {
            0..=49 => (self.query_document(), false),
            50..=79 => (self.harmless_mutation(), true),
            80..=87 => (self.invalid_mutation(), true),
            _ => {
                let (query, body) = self.garbage();
                raw_body = body;
                (query, false)
            }
        };
        if !mutation && self.rng.percent(10) {
            query = self.corrupt(query);
        }
        let mut variables = Value::Object(
            self.variables
                .iter()
                .map(|(name, _, value)| (name.clone(), value.clone()))
                .collect(),
        );
        if self.rng.percent(3) {
            variables = self.junk_json(0);
        }
        let operation_name = match self.rng.below(20) {
            0 => Some(Value::Null),
            1 => Some(json!("Nope")),
            2 => Some(json!(7)),
            _ => None,
        };
        // A long GET would meet hyper's limit on the request line, before our handler.
        let short = query.len() + variables.to_string().len() < 4_000;
        let method = match self.rng.below(20) {
            0 | 1 if short => "GET",
            2 => "PUT",
            _ => "POST",
        };
        let accept = if self.rng.percent(3) {
            Some("application/xml")
        } else {
            *self.rng.pick(&[
                None,
                Some("application/json"),
                Some("application/graphql-response+json"),
                Some("*/*"),
                Some("application/graphql-response+json, application/json;q=0.9"),
            ])
        };
        let content_type = if self.rng.percent(4) {
            *self
                .rng
                .pick(&[None, Some("text/plain"), Some("application/graphql")])
        } else {
            Some("application/json")
        };
        Case {
            n,
            method,
            accept,
            content_type,
            query,
            variables,
            operation_name,
            raw_body,
        }
    }

    /// A query of random fields of the real schema, arguments right or wrong.
    fn query_document(&mut self) -> String {
        let selection = self.selection("Query", 1);
        format!("query Q{} {selection}", self.declarations())
    }

    fn declarations(&self) -> String {
        if self.variables.is_empty() {
            return String::new();
        }
        let list: Vec<String> = self
            .variables
            .iter()
            .map(|(name, ty, _)| format!("${name}: {ty}"))
            .collect();
        format!("({})", list.join(", "))
    }

    fn selection(&mut self, type_name: &str, depth: usize) -> String {
        let def = self.model.get(type_name);
        let mut parts = Vec::new();
        if def.kind != "OBJECT" {
            parts.push("__typename".to_string());
            let possible = def.possible_types.clone();
            for _ in 0..1 + self.rng.below(2) {
                let on = self.rng.pick(&possible).clone();
                let inner = self.selection(&on, depth);
                parts.push(format!("... on {on} {inner}"));
            }
            return format!("{{ {} }}", parts.join(" "));
        }
        let leaves_only = depth >= self.max_depth;
        let candidates: Vec<usize> = (0..def.fields.len())
            .filter(|&i| !leaves_only || !self.model.is_composite(def.fields[i].ty.named()))
            .collect();
        if candidates.is_empty() {
            return "{ __typename }".into();
        }
        // A document meant to be too deep keeps descending while it can.
        let composite: Vec<usize> = candidates
            .iter()
            .copied()
            .filter(|&i| self.model.is_composite(def.fields[i].ty.named()))
            .collect();
        let dive = self.max_depth > 12 && !composite.is_empty();
        for _ in 0..1 + self.rng.below(3) {
            let pool = if dive { &composite } else { &candidates };
            let field = &def.fields[*self.rng.pick(pool)];
            let mut text = String::new();
            if self.rng.percent(10) {
                text.push_str(&format!("a{}: ", self.rng.below(1000)));
            }
            text.push_str(&field.name);
            text.push_str(&self.arguments(&field.args, false));
            let target = field.ty.named().to_string();
            if self.model.is_composite(&target) {
                text.push(' ');
                text.push_str(&self.selection(&target, depth + 1));
            }
            parts.push(text);
        }
        if self.rng.percent(5) {
            parts.push("__typename".into());
        }
        format!("{{ {} }}", parts.join(" "))
    }

    fn arguments(&mut self, args: &[InputValue], harmless: bool) -> String {
        let mut given = Vec::new();
        for arg in args {
            let required = matches!(arg.ty, Ty::NonNull(_)) && !arg.has_default;
            if !required && !self.rng.percent(40) {
                continue;
            }
            let value = self.value(&arg.ty, harmless);
            if self.rng.percent(25) {
                let name = format!("v{}", self.variables.len());
                let declared = if self.rng.percent(5) {
                    self.rng
                        .pick(&["Int", "String!", "[ID!]!", "Boolean"])
                        .to_string()
                } else {
                    arg.ty.render()
                };
                self.variables.push((name.clone(), declared, value.json()));
                given.push(format!("{}: ${name}", arg.name));
            } else {
                given.push(format!("{}: {}", arg.name, value.graphql()));
            }
        }
        if !harmless && self.rng.percent(3) {
            given.push("bogus: 1".into());
        }
        if given.is_empty() {
            String::new()
        } else {
            format!("({})", given.join(", "))
        }
    }

    /// A value for a type, sometimes of the wrong type. `harmless` keeps ids unknown and types
    /// right, so that the refusal comes from the rule under test, not from coercion.
    fn value(&mut self, ty: &Ty, harmless: bool) -> Lit {
        if !harmless && self.rng.percent(3) {
            return self.wrong_value();
        }
        let (ty, nullable) = match ty {
            Ty::NonNull(inner) => (inner.as_ref(), false),
            other => (other, true),
        };
        if nullable && self.rng.percent(5) {
            return Lit::Null;
        }
        match ty {
            Ty::List(inner) => {
                let count = if self.rng.percent(1) {
                    1001 + self.rng.below(5)
                } else {
                    self.rng.below(4)
                };
                Lit::List((0..count).map(|_| self.value(inner, harmless)).collect())
            }
            Ty::Named(name) => self.named_value(name, harmless),
            Ty::NonNull(_) => unreachable!("a non-null of a non-null"),
        }
    }

    fn named_value(&mut self, name: &str, harmless: bool) -> Lit {
        match name {
            "Int" => Lit::Int(*self.rng.pick(&[
                0,
                1,
                -1,
                3,
                50,
                100,
                101,
                1000,
                i32::MAX as i64,
                i32::MIN as i64,
                1 << 40,
            ])),
            "Float" => Lit::Float(*self.rng.pick(&[0.0, -1.5, 1e300])),
            "Boolean" => Lit::Bool(self.rng.percent(50)),
            "String" => Lit::Str(self.string()),
            "ID" if harmless => Lit::Str(self.unknown_id()),
            "ID" => Lit::Str(self.any_id()),
            "Date" | "DateTime" => Lit::Str(
                self.rng
                    .pick(&[
                        "2024-01-01",
                        "2024-02-30",
                        "2024-01-01T00:00:00Z",
                        "yesterday",
                        "",
                        "99999-12-31",
                    ])
                    .to_string(),
            ),
            _ => {
                let def = self.model.get(name);
                match def.kind.as_str() {
                    "ENUM" => {
                        if self.rng.percent(5) {
                            Lit::Enum("NOT_A_VALUE".into())
                        } else {
                            Lit::Enum(self.rng.pick(&def.enum_values).clone())
                        }
                    }
                    "INPUT_OBJECT" => {
                        let mut fields = Vec::new();
                        for field in &def.input_fields {
                            let required = matches!(field.ty, Ty::NonNull(_));
                            if required || self.rng.percent(50) {
                                fields.push((field.name.clone(), self.value(&field.ty, harmless)));
                            }
                        }
                        if !harmless && self.rng.percent(3) {
                            fields.push(("unknownField".into(), Lit::Int(1)));
                        }
                        Lit::Obj(fields)
                    }
                    _ => Lit::Str(self.string()),
                }
            }
        }
    }

    fn wrong_value(&mut self) -> Lit {
        match self.rng.below(7) {
            0 => Lit::Int(self.rng.next() as i64),
            1 => Lit::Str(self.string()),
            2 => Lit::Bool(true),
            3 => Lit::List(vec![Lit::Int(1), Lit::Str("x".into())]),
            4 => Lit::Obj(vec![("x".into(), Lit::Null)]),
            5 => Lit::Float(0.5),
            _ => Lit::Null,
        }
    }

    fn string(&mut self) -> String {
        // Huge ones are rare: each costs the parser (a debug build here) far more than the rest.
        if self.rng.percent(1) {
            return "x".repeat(10_000 + self.rng.below(60_000));
        }
        match self.rng.below(11) {
            0 => String::new(),
            1 => "Åsa Öberg 🏃".into(),
            2 => "'; DROP TABLE employees; --".into(),
            3 => "%_\\%".into(),
            4 => "å".repeat(1 + self.rng.below(2_000)),
            5 => "\u{0}\u{1}\n\t\"\\".into(),
            6 => self.invalid_pin(),
            7 => "19811218-9876".into(),
            _ => (0..self.rng.below(20))
                .map(|_| char::from(b' ' + self.rng.below(95) as u8))
                .collect(),
        }
    }

    fn any_id(&mut self) -> String {
        match self.rng.below(4) {
            0 => self.rng.pick(&self.ids.employees).clone(),
            1 => self.rng.pick(&self.ids.kleer).clone(),
            2 => self
                .rng
                .pick(&[self.ids.connection.clone(), self.ids.runs[0].clone()])
                .clone(),
            _ => self.unknown_id(),
        }
    }

    /// An id that names nothing: well-formed for a missing object, of the wrong kind where
    /// that cannot match, or malformed.
    fn unknown_id(&mut self) -> String {
        use base64::Engine;
        let encode = |raw: String| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        let big = 1_000_000_000 + self.rng.below(1_000_000) as i64;
        if self.rng.percent(2) {
            return "x".repeat(5_000);
        }
        match self.rng.below(8) {
            0 => encode(format!("Employee:{big}")),
            1 => encode(format!("KleerEmployee:1:{big}")),
            2 => encode(format!("KleerEmployee:{big}:1")),
            3 => encode(format!("SyncRun:{big}")),
            4 => encode("Employee:-1".into()),
            5 => encode(format!("Employee:{big}:{big}")),
            6 => "!!!not base64".into(),
            _ => encode("Employee:99999999999999999999999".into()),
        }
    }

    /// A personal identity number that can never be valid: a wrong check digit, an impossible
    /// date, or not the format at all (some of them not ASCII).
    fn invalid_pin(&mut self) -> String {
        match self.rng.below(7) {
            0 | 1 => {
                let year = 1940 + self.rng.below(80);
                let nine = format!(
                    "{:02}{:02}{:02}{:03}",
                    year % 100,
                    1 + self.rng.below(12),
                    1 + self.rng.below(28),
                    self.rng.below(1000)
                );
                let wrong = (luhn(&nine) + 1 + self.rng.below(9) as u8) % 10;
                format!("{}{}-{}{wrong}", year / 100, &nine[..6], &nine[6..])
            }
            2 => "19991340-1234".into(),
            3 => "1234567é8901".into(),
            4 => "19811218–9876".into(),
            5 => "1234567é890".into(),
            _ => "not a number".into(),
        }
    }

    /// A mutation that must change nothing; see the module's comment.
    fn harmless_mutation(&mut self) -> String {
        let (field, input) = match self.rng.below(10) {
            0 | 1 => {
                let name =
                    *self
                        .rng
                        .pick(&["exportEmployees", "unlinkEmployees", "importEmployees"]);
                let key = if name == "importEmployees" {
                    "kleerEmployeeIds"
                } else {
                    "employeeIds"
                };
                let mut fields = vec![(key.to_string(), self.unknown_ids())];
                fields.extend(self.maybe_connection());
                (name, Lit::Obj(fields))
            }
            2 => {
                let matches = (0..1 + self.rng.below(3))
                    .map(|_| {
                        let employee = if self.rng.percent(50) {
                            self.rng.pick(&self.ids.employees).clone()
                        } else {
                            self.unknown_id()
                        };
                        Lit::Obj(vec![
                            ("kleerEmployeeId".into(), Lit::Str(self.unknown_id())),
                            ("employeeId".into(), Lit::Str(employee)),
                        ])
                    })
                    .collect();
                let mut fields = vec![("matches".to_string(), Lit::List(matches))];
                fields.extend(self.maybe_connection());
                ("matchEmployees", Lit::Obj(fields))
            }
            3 => {
                let action = self.named_value("ImportAction", true);
                let mut fields = vec![
                    ("kleerEmployeeIds".to_string(), self.unknown_ids()),
                    ("action".to_string(), action),
                ];
                fields.extend(self.maybe_connection());
                ("setImportAction", Lit::Obj(fields))
            }
            4 => (
                "refreshKleerEmployees",
                Lit::Obj(vec![("connectionId".into(), Lit::Str(self.unknown_id()))]),
            ),
            5 | 6 => {
                let mut input = self.named_value("CreateEmployeeInput", true);
                set_field(
                    &mut input,
                    "personalIdentityNumber",
                    Lit::Str(self.invalid_pin()),
                );
                ("createEmployee", input)
            }
            7 => {
                let mut patch = self.named_value("EmployeePatch", true);
                set_field(
                    &mut patch,
                    "personalIdentityNumber",
                    Lit::Str(self.invalid_pin()),
                );
                let id = if self.rng.percent(70) {
                    self.rng.pick(&self.ids.employees).clone()
                } else {
                    self.unknown_id()
                };
                (
                    "updateEmployee",
                    Lit::Obj(vec![("id".into(), Lit::Str(id)), ("patch".into(), patch)]),
                )
            }
            8 => {
                let mut input = self.named_value("CreateKleerConnectionInput", true);
                let blank = self.rng.pick(&["", "   ", "\t"]).to_string();
                set_field(&mut input, "baseUrl", Lit::Str(blank));
                ("createKleerConnection", input)
            }
            _ => {
                let mut input = self.named_value("UpdateKleerConnectionInput", true);
                set_field(&mut input, "id", Lit::Str(self.unknown_id()));
                ("updateKleerConnection", input)
            }
        };
        let payload = self
            .model
            .get("Mutation")
            .fields
            .iter()
            .find(|f| f.name == field)
            .unwrap()
            .ty
            .named()
            .to_string();
        let selection = self.selection(&payload, 2);
        if self.rng.percent(30) {
            let ty = format!("{}!", self.input_type_of(field));
            self.variables.push(("input".into(), ty, input.json()));
            format!(
                "mutation M{} {{ {field}(input: $input) {selection} }}",
                self.declarations()
            )
        } else {
            format!(
                "mutation {{ {field}(input: {}) {selection} }}",
                input.graphql()
            )
        }
    }

    fn input_type_of(&self, field: &str) -> String {
        let mutation = self.model.get("Mutation");
        let field = mutation.fields.iter().find(|f| f.name == field).unwrap();
        field.args[0].ty.named().to_string()
    }

    fn unknown_ids(&mut self) -> Lit {
        let count = if self.rng.percent(3) {
            1001
        } else {
            self.rng.below(5)
        };
        Lit::List((0..count).map(|_| Lit::Str(self.unknown_id())).collect())
    }

    fn maybe_connection(&mut self) -> Option<(String, Lit)> {
        match self.rng.below(3) {
            0 => None,
            1 => Some(("connectionId".into(), Lit::Str(self.ids.connection.clone()))),
            _ => Some(("connectionId".into(), Lit::Str(self.unknown_id()))),
        }
    }

    /// Any mutation of the schema with random arguments, made invalid by an argument that does
    /// not exist: it must be refused before anything runs.
    fn invalid_mutation(&mut self) -> String {
        let mutation = self.model.get("Mutation");
        let field = self.rng.pick(&mutation.fields);
        let mut args = self.arguments(&field.args, false);
        args = match args.strip_suffix(')') {
            Some(open) => format!("{open}, fuzzUnknownArgument: 1)"),
            None => "(fuzzUnknownArgument: 1)".into(),
        };
        let selection = self.selection(field.ty.named(), 2);
        format!(
            "mutation M{} {{ {}{args} {selection} }}",
            self.declarations(),
            field.name
        )
    }

    /// Not a document at all, or one that breaks the parser's limits; sometimes not even JSON.
    fn garbage(&mut self) -> (String, Option<String>) {
        let n = 1 + self.rng.below(3_000);
        let query = match self.rng.below(10) {
            0 => "{".repeat(n),
            1 => format!("{{ employees(search: {}) }}", "[".repeat(n)),
            2 => format!(
                "{}{}",
                "{ employees { nodes ".repeat(n % 200),
                "}".repeat(n % 200)
            ),
            3 => String::new(),
            4 => "subscription { employees { totalCount } }".into(),
            5 => "query A { __typename } query A { __typename }".into(),
            6 => "\u{feff}{ __typename }".into(),
            7 => (0..n)
                .map(|_| char::from_u32(self.rng.below(0x3000) as u32).unwrap_or('?'))
                .collect(),
            _ => "fragment F on Employee { id } { employee(id: 1) { ...F ...F } }".into(),
        };
        let raw = match self.rng.below(6) {
            0 => Some(format!("{}1{}", "[".repeat(n), "]".repeat(n))),
            1 => Some("{\"query\": \"{ __typename }\"".into()),
            2 => Some(json!({ "query": query, "variables": self.junk_json(0) }).to_string()),
            _ => None,
        };
        (query, raw)
    }

    fn junk_json(&mut self, depth: usize) -> Value {
        match self.rng.below(if depth > 3 { 4 } else { 7 }) {
            0 => Value::Null,
            1 => json!(self.rng.next()),
            2 => json!(self.string()),
            3 => json!(false),
            4 => Value::Array(
                (0..self.rng.below(3))
                    .map(|_| self.junk_json(depth + 1))
                    .collect(),
            ),
            _ => {
                let mut map = Map::new();
                for n in 0..self.rng.below(3) {
                    map.insert(format!("k{n}"), self.junk_json(depth + 1));
                }
                Value::Object(map)
            }
        }
    }

    /// One random edit: a character dropped or a stray bracket or quote added.
    fn corrupt(&mut self, query: String) -> String {
        let chars: Vec<char> = query.chars().collect();
        let at = self.rng.below(chars.len() + 1);
        let mut out: String = chars[..at].iter().collect();
        if self.rng.percent(50) {
            out.push(
                *self
                    .rng
                    .pick(&['{', '}', '[', ']', '(', ')', '"', '$', ':', '!', '@', '#']),
            );
            out.extend(&chars[at..]);
        } else {
            out.extend(chars.iter().skip(at + 1));
        }
        out
    }
}

fn set_field(object: &mut Lit, name: &str, value: Lit) {
    if let Lit::Obj(fields) = object {
        fields.retain(|(k, _)| k != name);
        fields.push((name.to_string(), value));
    }
}

/// The Luhn check digit of nine digits, as personal identity numbers use it.
fn luhn(nine: &str) -> u8 {
    let sum: u32 = nine
        .bytes()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0') * if i % 2 == 0 { 2 } else { 1 };
            d / 10 + d % 10
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

// ---------------------------------------------------------------------------------------------
// Sending and checking.

struct Answer {
    status: StatusCode,
    content_type: String,
    text: String,
}

async fn send(app: &TestApp, case: &Case) -> Answer {
    let client = app.client();
    let request = if case.method == "GET" {
        let mut params = vec![("query", case.query.clone())];
        if !case.variables.as_object().is_some_and(Map::is_empty) {
            params.push(("variables", case.variables.to_string()));
        }
        let url = reqwest::Url::parse_with_params(&app.graphql_url(), &params).unwrap();
        client.get(url)
    } else {
        let body = case.raw_body.clone().unwrap_or_else(|| {
            let mut body = json!({ "query": case.query, "variables": case.variables });
            if let Some(name) = &case.operation_name {
                body["operationName"] = name.clone();
            }
            body.to_string()
        });
        let method = reqwest::Method::from_bytes(case.method.as_bytes()).unwrap();
        let mut request = client.request(method, app.graphql_url()).body(body);
        if let Some(content_type) = case.content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        request
    };
    let request = match case.accept {
        Some(accept) => request.header(ACCEPT, accept),
        None => request,
    };
    let response = request.send().await.expect("the server answers");
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = response.text().await.expect("a whole body");
    Answer {
        status,
        content_type,
        text,
    }
}

fn check(case: &Case, answer: &Answer) -> Result<(), String> {
    if answer.status.is_server_error() {
        return Err("a server error".into());
    }
    if !(answer.content_type.starts_with("application/json")
        || answer
            .content_type
            .starts_with("application/graphql-response+json"))
    {
        return Err(format!("content type {:?}", answer.content_type));
    }
    let body: Value = serde_json::from_str(&answer.text).map_err(|e| format!("not JSON: {e}"))?;
    let Some(body) = body.as_object() else {
        return Err("not a JSON object".into());
    };
    if !body.contains_key("data") && !body.contains_key("errors") {
        return Err("neither data nor errors".into());
    }
    for error in body
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match error["extensions"]["code"].as_str() {
            None => return Err(format!("an error without a code: {error}")),
            Some("INTERNAL_SERVER_ERROR") => return Err(format!("an internal error: {error}")),
            Some(_) => {}
        }
    }
    if case.method == "GET"
        && case.query.trim_start().starts_with("mutation")
        && body.get("data").is_some_and(|d| !d.is_null())
    {
        return Err("a mutation ran over GET".into());
    }
    if body
        .get("data")
        .is_some_and(|data| contains_string(data, "SUCCEEDED"))
        && case.query.trim_start().starts_with("mutation")
    {
        return Err("a mutation that must fail succeeded on a row".into());
    }
    Ok(())
}

fn contains_string(value: &Value, needle: &str) -> bool {
    match value {
        Value::String(s) => s == needle,
        Value::Array(items) => items.iter().any(|v| contains_string(v, needle)),
        Value::Object(map) => map.values().any(|v| contains_string(v, needle)),
        _ => false,
    }
}

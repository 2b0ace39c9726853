//! The six tab pages (three tabs of each view), what each costs, and its floor: the same SQL the
//! page runs, issued bare through a `Store` pool.
//!
//! Statements per page: the server process keeps its statement counter to itself, and a debug
//! endpoint to read it is not wanted in production. So the bench serves the same router on the
//! same database inside its own process ([`InProcess`]) and reads `Store::statement_count`
//! around one request there; the code and the data are the server's, only the process differs.

use kleer_sync::access::Gate;
use kleer_sync::app;
use kleer_sync::graphql::Limits;
use kleer_sync::model::{EmployeeId, email_key};
use kleer_sync::store::{Candidate, Store, StoreResult};
use kleer_sync::sync::import::{ImportTab, import_filter};
use kleer_sync::sync::views::{ExportTab, Page, export_filter};
use kleer_sync::sync::{Service, Settings};
use serde_json::{Value, json};
use std::future::Future;
use std::time::{Duration, Instant};

/// A page as the front-end asks for it: every field a row shows, and the tab's total.
const EXPORT_PAGE: &str = "query($tab: ExportTab!, $first: Int) {
  exportView(tab: $tab, first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id linked
      employee { id firstName lastName personalIdentityNumber privateEmail workEmail employeeNumber
                 homeAddress { street zipCode city countryCode } startDate endDate monthlySalary }
      kleerEmployee { id kleerUserId name email personalIdentityNumber fetchedAt }
      affectedFields { field alexisValue kleerValue changes }
    }
  }
}";

const IMPORT_PAGE: &str = "query($tab: ImportTab!, $first: Int) {
  importView(tab: $tab, first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id linked action matchedBy matchNote
      kleerEmployee { id kleerUserId name email personalIdentityNumber homeAddress { city } fetchedAt }
      matchedEmployee { id firstName lastName personalIdentityNumber employeeNumber }
      affectedFields { field alexisValue kleerValue changes }
    }
  }
}";

#[derive(Clone, Copy, Debug)]
pub enum Tab {
    Export(ExportTab),
    Import(ImportTab),
}

pub const TABS: [Tab; 6] = [
    Tab::Export(ExportTab::Alexis),
    Tab::Export(ExportTab::Linked),
    Tab::Export(ExportTab::All),
    Tab::Import(ImportTab::New),
    Tab::Import(ImportTab::Imported),
    Tab::Import(ImportTab::All),
];

impl Tab {
    pub fn label(self) -> &'static str {
        match self {
            Tab::Export(ExportTab::Alexis) => "export ALEXIS",
            Tab::Export(ExportTab::Linked) => "export LINKED",
            Tab::Export(ExportTab::All) => "export ALL",
            Tab::Import(ImportTab::New) => "import NEW",
            Tab::Import(ImportTab::Imported) => "import IMPORTED",
            Tab::Import(ImportTab::All) => "import ALL",
        }
    }

    fn view(self) -> &'static str {
        match self {
            Tab::Export(_) => "exportView",
            Tab::Import(_) => "importView",
        }
    }

    fn enum_value(self) -> &'static str {
        match self {
            Tab::Export(ExportTab::Alexis) => "ALEXIS",
            Tab::Export(ExportTab::Linked) => "LINKED",
            Tab::Export(ExportTab::All) | Tab::Import(ImportTab::All) => "ALL",
            Tab::Import(ImportTab::New) => "NEW",
            Tab::Import(ImportTab::Imported) => "IMPORTED",
        }
    }

    /// The JSON body of a request for the tab's first page of `first` rows.
    pub fn body(self, first: usize) -> String {
        let query = match self {
            Tab::Export(_) => EXPORT_PAGE,
            Tab::Import(_) => IMPORT_PAGE,
        };
        json!({ "query": query, "variables": { "tab": self.enum_value(), "first": first } })
            .to_string()
    }

    /// The same page asking only for each row's id (and the total): the same SQL, little to
    /// resolve and serialise, which tells the cost of the rows' fields from the rest.
    pub fn ids_body(self, first: usize) -> String {
        let query = format!(
            "query($tab: {}Tab!, $first: Int) {{ {}(tab: $tab, first: $first) {{ \
             totalCount pageInfo {{ hasNextPage endCursor }} nodes {{ id }} }} }}",
            match self {
                Tab::Export(_) => "Export",
                Tab::Import(_) => "Import",
            },
            self.view()
        );
        json!({ "query": query, "variables": { "tab": self.enum_value(), "first": first } })
            .to_string()
    }

    /// Rows in an answer (`data` of a response to [`Tab::body`]).
    pub fn rows(self, data: &Value) -> usize {
        data[self.view()]["nodes"].as_array().map_or(0, Vec::len)
    }
}

/// Sends a tab page; answers the response body. Any error (HTTP or GraphQL) fails.
pub async fn fetch(http: &reqwest::Client, url: &str, body: String) -> Result<Vec<u8>, String> {
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
    // A GraphQL error shows as an `errors` member; searching beats parsing 50 rows each time.
    if !status.is_success() || bytes.windows(8).any(|w| w == b"\"errors\"") {
        return Err(format!(
            "{status}: {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(500)])
        ));
    }
    Ok(bytes.to_vec())
}

/// Sends a tab page; answers its rows and the size of the response body.
pub async fn fetch_rows(
    http: &reqwest::Client,
    url: &str,
    tab: Tab,
    first: usize,
) -> Result<(usize, usize), String> {
    let bytes = fetch(http, url, tab.body(first)).await?;
    let body: Value = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
    Ok((tab.rows(&body["data"]), bytes.len()))
}

/// How long each store call of one floor page took, in call order.
#[derive(Default)]
pub struct Steps(pub Vec<(&'static str, Duration)>);

impl Steps {
    async fn time<T>(&mut self, name: &'static str, call: impl Future<Output = T>) -> T {
        let began = Instant::now();
        let answer = call.await;
        self.0.push((name, began.elapsed()));
        answer
    }
}

/// The floor of a tab page: the store functions the page calls, in the same order, with the
/// same arguments, and nothing else (no GraphQL, no HTTP, no JSON, no row shaping). Answers the
/// number of rows. A fresh mirror is assumed, as in the measured pages: then checking its age
/// costs no statement. `floor_matches_the_page` guards that this stays the page's SQL.
pub async fn floor_page(
    store: &Store,
    tab: Tab,
    first: usize,
    steps: &mut Steps,
) -> StoreResult<usize> {
    // Service::resolve_connection without a connection id.
    let connection = steps
        .time("connections", store.connections(2))
        .await?
        .pop()
        .expect("the bench's one connection");
    let cid = connection.id;
    match tab {
        Tab::Export(tab) => {
            // Service::export_page (the first page carries its total), then the page's one
            // batched Kleer side.
            let filter = export_filter(&connection, tab, None);
            let (rows, _total) = steps
                .time(
                    "employee_page",
                    store.employee_page_counted(&filter, None, first + 1, true),
                )
                .await?;
            let page = Page::cut(rows, first);
            let ids: Vec<EmployeeId> = page.rows.iter().map(|e| e.id).collect();
            steps
                .time("kleer_side", store.kleer_side_of_employees(cid, &ids))
                .await?;
            Ok(page.rows.len())
        }
        Tab::Import(tab) => {
            // Service::import_page: the page with its links, choices and total, then the
            // reads of matching.
            let filter = import_filter(&connection, tab, None);
            let (read, _total) = steps
                .time(
                    "import_page",
                    store.import_page_rows(&filter, None, first + 1, true),
                )
                .await?;
            let page = Page::cut(read, first);
            let open: Vec<_> = page
                .rows
                .iter()
                .filter(|r| {
                    r.linked_to.is_none()
                        && r.decision.as_ref().is_none_or(|d| d.employee_id.is_none())
                })
                .map(|r| &r.mirrored.employee)
                .collect();
            let mut pins: Vec<String> = open
                .iter()
                .filter_map(|k| k.personal_identity_number.clone())
                .collect();
            let mut emails: Vec<String> = open
                .iter()
                .filter_map(|k| k.email.as_deref().map(email_key))
                .collect();
            let known: Vec<EmployeeId> = page
                .rows
                .iter()
                .filter_map(|r| r.linked_to)
                .chain(
                    page.rows
                        .iter()
                        .filter_map(|r| r.decision.as_ref().and_then(|d| d.employee_id)),
                )
                .collect();
            let candidates = steps
                .time(
                    "match_candidates",
                    store.match_candidates(cid, &pins, &emails, &known),
                )
                .await?;
            for free in candidates.iter().filter(|c| is_free(c)) {
                let d = &free.employee.data;
                pins.extend(d.personal_identity_number.as_ref().map(|p| p.to_string()));
                emails.extend(
                    [&d.private_email, &d.work_email]
                        .into_iter()
                        .flatten()
                        .map(|e| email_key(e)),
                );
            }
            if !open.is_empty() {
                steps
                    .time(
                        "unlinked_kleer_keys",
                        store.unlinked_kleer_keys(cid, &pins, &emails),
                    )
                    .await?;
            }
            Ok(page.rows.len())
        }
    }
}

fn is_free(c: &Candidate) -> bool {
    c.linked_to.is_none() && c.claimed_by.is_none()
}

/// The server's router on the bench's own `Store`, listening on a loopback port of the bench
/// process: where a request's statements can be counted.
pub struct InProcess {
    pub url: String,
    pub store: Store,
    server: tokio::task::JoinHandle<()>,
}

impl InProcess {
    pub async fn start(store: Store) -> Result<InProcess, String> {
        // The same settings as `serve` with its defaults, and its open first-run gate (the
        // child server runs open too: no token exists).
        let service = Service::new(store.clone(), Settings::default());
        let router = app::router(service, &Limits::default(), Gate::new(store.clone(), true));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let url = format!(
            "http://{}/graphql",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(InProcess { url, store, server })
    }

    /// Statements one request for the tab's first page of `first` rows sends.
    pub async fn statements(
        &self,
        http: &reqwest::Client,
        tab: Tab,
        first: usize,
    ) -> Result<u64, String> {
        let before = self.store.statement_count();
        let (rows, _) = fetch_rows(http, &self.url, tab, first).await?;
        let statements = self.store.statement_count() - before;
        if rows == 0 {
            return Err(format!("{}: the page is empty", tab.label()));
        }
        Ok(statements)
    }

    /// Fails unless the floor sends exactly the statements the page sends, for the same rows.
    pub async fn floor_matches_the_page(
        &self,
        http: &reqwest::Client,
        tab: Tab,
        first: usize,
    ) -> Result<(), String> {
        let page = self.statements(http, tab, first).await?;
        let before = self.store.statement_count();
        let rows = floor_page(&self.store, tab, first, &mut Steps::default())
            .await
            .map_err(|e| e.to_string())?;
        let floor = self.store.statement_count() - before;
        let (page_rows, _) = fetch_rows(http, &self.url, tab, first).await?;
        if floor != page || rows != page_rows {
            return Err(format!(
                "{}: the floor sends {floor} statements for {rows} rows, the page {page} for {page_rows}: \
                 floor_page no longer follows the page's SQL",
                tab.label()
            ));
        }
        Ok(())
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        self.server.abort();
    }
}

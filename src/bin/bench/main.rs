//! The benchmark of kleer-sync (README, "Benchmark"). For each database it seeds N HR and N
//! Kleer employees, runs `kleer-sync serve` as a child process against a fresh database and a
//! Kleer sandbox started here, and prints one report:
//!
//! 1. tab pages over HTTP with 1, 8 and 64 clients beside their bare-SQL floor;
//! 2. SQL statements and Kleer calls per page, for pages of 5, 50 and 100;
//! 3. an export of 1,000 employees through a Kleer answering in 50 ms, creates then updates,
//!    beside its concurrency floor;
//! 4. the import view's first page, a full mirror refresh and an import of 1,000 rows;
//! 5. the server's peak resident memory;
//!
//! then a line per goal of the issue. It measures; it changes nothing in the server.
//!
//! `cargo run --release --features bench --bin bench -- [--db sqlite|postgres|both]
//! [--postgres-url URL] [--employees N] [--quick]`

mod load;
mod pages;
mod report;
mod seed;
mod setup;

use clap::{Parser, ValueEnum};
use kleer_sync::kleer::mapping;
use kleer_sync::sandbox::{self, Faults, SandboxConfig, SandboxHandle};
use kleer_sync::store::{SecretBox, Store};
use kleer_sync::sync::import::ImportTab;
use load::Window;
use pages::{InProcess, Steps, TABS, Tab};
use report::{
    ExportBatch, FloorSteps, HttpLoad, ImportReport, PAGE_SIZES, PageCost, Report, TabLoad,
};
use serde_json::{Value, json};
use setup::{
    Backend, COMPANY, DB_CONNECTIONS, Database, KLEER_CONCURRENCY, Server, TOKEN, http_client,
};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Parser, Debug)]
#[command(
    name = "bench",
    about = "Measures kleer-sync: tab pages against their SQL floor, statements and Kleer calls per page, export, import, memory."
)]
struct Args {
    /// The databases to measure, each in a report of its own.
    #[arg(long, value_enum, default_value_t = DbChoice::Both)]
    db: DbChoice,

    /// A PostgreSQL server where the user may create databases; the bench creates a fresh one
    /// there and drops it at the end.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres_url: String,

    /// HR employees, and as many Kleer employees [default: 10000, or 2000 with --quick].
    #[arg(long)]
    employees: Option<usize>,

    /// A short run to try the bench: fewer employees, loads of 1 s, batches of 100 rows.
    #[arg(long)]
    quick: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum DbChoice {
    Sqlite,
    Postgres,
    Both,
}

/// The sizes of one run.
#[derive(Clone, Copy)]
struct Run {
    employees: usize,
    window: Window,
    export_rows: usize,
    /// Rows of each import action (PREFER_KLEER and CREATE).
    import_each: usize,
    first_page_samples: usize,
    refreshes: usize,
}

impl Run {
    fn new(args: &Args) -> Run {
        if args.quick {
            Run {
                employees: args.employees.unwrap_or(2_000),
                window: Window {
                    warmup: Duration::from_millis(250),
                    measure: Duration::from_secs(1),
                },
                export_rows: 100,
                import_each: 50,
                first_page_samples: 10,
                refreshes: 1,
            }
        } else {
            Run {
                employees: args.employees.unwrap_or(10_000),
                window: Window {
                    warmup: Duration::from_secs(1),
                    measure: Duration::from_secs(4),
                },
                export_rows: 1_000,
                import_each: 500,
                first_page_samples: 30,
                refreshes: 3,
            }
        }
    }
}

const CLIENTS: [usize; 3] = [1, 8, 64];
const PAGE: usize = 50;
const EXPORT_LATENCY: Duration = Duration::from_millis(50);

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let run = Run::new(&args);
    if run.employees < 100 {
        eprintln!("bench: --employees must be at least 100");
        return ExitCode::FAILURE;
    }
    let exe = match setup::server_executable() {
        Ok(exe) => exe,
        Err(e) => {
            eprintln!("bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    if !exe.parent().is_some_and(|d| d.ends_with("release")) {
        eprintln!("bench: warning: not a release build; the numbers say little");
    }
    let backends = match args.db {
        DbChoice::Sqlite => vec![Backend::Sqlite],
        DbChoice::Postgres => vec![Backend::Postgres],
        DbChoice::Both => vec![Backend::Sqlite, Backend::Postgres],
    };
    let dir = std::env::temp_dir().join(format!("kleer-bench-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("bench: {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    println!(
        "kleer-sync bench: {} employees a side, {} CPUs, server {}\n",
        run.employees,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        exe.display()
    );
    let mut failed = false;
    for backend in backends {
        match measure(backend, &run, &exe, &dir, &args.postgres_url).await {
            Ok(report) => println!("{report}"),
            Err(e) => {
                eprintln!("bench: {}: {e}", backend.name());
                failed = true;
            }
        }
    }
    if failed {
        eprintln!("bench: the server logs are kept in {}", dir.display());
        ExitCode::FAILURE
    } else {
        let _ = std::fs::remove_dir_all(&dir);
        ExitCode::SUCCESS
    }
}

/// One report: a fresh database, measured, then dropped whatever happened.
async fn measure(
    backend: Backend,
    run: &Run,
    exe: &Path,
    dir: &Path,
    postgres_url: &str,
) -> Result<Report, String> {
    eprintln!("bench: {}: setting up", backend.name());
    let database = Database::create(backend, dir, postgres_url).await?;
    let report = measure_on(backend, database.url(), run, exe, dir).await;
    database.remove().await;
    report
}

async fn measure_on(
    backend: Backend,
    database_url: &str,
    run: &Run,
    exe: &Path,
    dir: &Path,
) -> Result<Report, String> {
    let began = Instant::now();
    let plan = seed::Plan::new(run.employees);
    // Small runs have fewer rows of each kind than the batches would take.
    let run = &Run {
        export_rows: run.export_rows.min(plan.hr_only.len()),
        import_each: run
            .import_each
            .min(plan.by_pin.len())
            .min(plan.kleer_only.len()),
        ..*run
    };
    let people = seed::people(plan.people())?;

    let mut config = SandboxConfig::new(TOKEN, COMPANY);
    config.seed = plan.employees;
    let sandbox = sandbox::start(config, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|e| format!("sandbox: {e}"))?;
    let kleer = sandbox.handle();
    if mapping::kleer_employees(kleer.users(), kleer.payroll_users())[..]
        != people[..plan.employees]
    {
        return Err("the sandbox's people are not the first of the seed's".into());
    }

    let log: PathBuf = dir.join(format!("server-{}.log", backend.name()));
    let secret_key = SecretBox::generate_key();
    let server = Server::start(exe, database_url, &sandbox.base_url(), &secret_key, log).await?;
    let started_rss = server.peak_rss_kib()?;
    let http = http_client();
    let store = Store::open(database_url, DB_CONNECTIONS)
        .await
        .map_err(|e| e.to_string())?
        .with_secrets(SecretBox::from_base64(&secret_key).map_err(|e| e.to_string())?);
    let connection = store
        .connections(2)
        .await
        .map_err(|e| e.to_string())?
        .pop()
        .ok_or("the server configured no Kleer connection")?;

    eprintln!("bench: {}: seeding", backend.name());
    let seeding = Instant::now();
    // SQLite takes one writer at a time; more would only wait on its lock.
    let writers = match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => DB_CONNECTIONS,
    };
    let seeded = seed::seed_hr(&store, connection.id, &plan, &people, writers).await?;
    let mirrored = refresh(&server, &http).await?;
    let seeding = seeding.elapsed();
    if mirrored != plan.employees {
        return Err(format!(
            "the server mirrored {mirrored} Kleer employees, not {}",
            plan.employees
        ));
    }
    let data = check_tabs(&server, &http, &plan).await?;
    let mut memory = vec![
        ("started", started_rss),
        ("seeded, mirror refreshed", server.peak_rss_kib()?),
    ];

    let inprocess = InProcess::start(store.clone()).await?;
    for tab in TABS {
        inprocess.floor_matches_the_page(&http, tab, PAGE).await?;
    }

    eprintln!("bench: {}: tab pages", backend.name());
    let (tab_loads, ids_only, floor_steps, kleer_calls_during_load) =
        tab_pages(&server, &http, &store, &kleer, run.window).await?;
    memory.push(("tab pages", server.peak_rss_kib()?));

    eprintln!("bench: {}: cost per page", backend.name());
    refresh(&server, &http).await?;
    let costs = page_costs(&server, &http, &inprocess, &kleer).await?;
    memory.push(("cost per page", server.peak_rss_kib()?));

    // Import before export: the export adds Kleer employees, and the import is measured at
    // N × N.
    eprintln!("bench: {}: import", backend.name());
    let import = import(&server, &http, &inprocess, &kleer, run).await?;
    memory.push(("import", server.peak_rss_kib()?));

    eprintln!("bench: {}: export", backend.name());
    let exports = export(&server, &http, &kleer, &seeded, run).await?;

    let peak_rss_kib = server.peak_rss_kib()?;
    memory.push(("export", peak_rss_kib));
    let final_rss_kib = server.rss_kib()?;
    server.stop();
    drop(inprocess);
    let _ = sandbox.shutdown().await;
    Ok(Report {
        backend: backend.name(),
        employees: plan.employees,
        data,
        seeding,
        window: format!(
            "{} s warm-up, {} s measured per load",
            report::secs(run.window.warmup),
            report::secs(run.window.measure)
        ),
        tab_loads,
        ids_only,
        kleer_calls_during_load,
        floor_steps,
        costs,
        exports,
        import,
        peak_rss_kib,
        memory,
        final_rss_kib,
        elapsed: began.elapsed(),
    })
}

/// CPU time the bench process has used so far.
fn bench_cpu() -> Result<Duration, String> {
    setup::cpu_time("/proc/self/stat")
}

/// How busy the whole machine was since `before` (from `setup::host_cpu`), in % of one CPU.
fn host_busy(before: (u64, u64, usize)) -> Result<f64, String> {
    let (busy, total, cpus) = setup::host_cpu()?;
    let total = (total - before.1).max(1);
    Ok((busy - before.0) as f64 * 100.0 * cpus as f64 / total as f64)
}

const REFRESH: &str = "mutation { refreshKleerEmployees(input: {}) { kleerEmployeeCount } }";

/// Has the server read Kleer again (`refreshKleerEmployees`); answers the employees it found.
async fn refresh(server: &Server, http: &reqwest::Client) -> Result<usize, String> {
    let data = server.gql(http, REFRESH, json!({})).await?;
    Ok(data["refreshKleerEmployees"]["kleerEmployeeCount"]
        .as_u64()
        .unwrap_or(0) as usize)
}

/// Checks every tab's total against the plan; answers the line describing the data.
async fn check_tabs(
    server: &Server,
    http: &reqwest::Client,
    plan: &seed::Plan,
) -> Result<String, String> {
    let data = server
        .gql(
            http,
            "{ alexis: exportView(tab: ALEXIS, first: 0) { totalCount }
               linked: exportView(tab: LINKED, first: 0) { totalCount }
               fresh: importView(tab: NEW, first: 0) { totalCount }
               imported: importView(tab: IMPORTED, first: 0) { totalCount } }",
            json!({}),
        )
        .await?;
    let total = |tab: &str| data[tab]["totalCount"].as_u64().unwrap_or(0) as usize;
    let hr_unlinked = plan.by_pin.len() + plan.by_email.len() + plan.hr_only.len();
    let expected = [
        ("alexis", hr_unlinked),
        ("linked", plan.linked.len()),
        ("fresh", plan.employees - plan.linked.len()),
        ("imported", plan.linked.len()),
    ];
    for (tab, count) in expected {
        if total(tab) != count {
            return Err(format!(
                "tab {tab} holds {} rows, the plan {count}",
                total(tab)
            ));
        }
    }
    Ok(format!(
        "Data: HR {} = {} linked + {} matching a Kleer employee by personal identity number + {} by email only + {} unknown to Kleer;\n\
         Kleer {} = {} linked + {} matched + {} unmatched (checked against the tabs' totalCount).",
        plan.linked.len() + hr_unlinked,
        plan.linked.len(),
        plan.by_pin.len(),
        plan.by_email.len(),
        plan.hr_only.len(),
        plan.employees,
        plan.linked.len(),
        plan.by_pin.len() + plan.by_email.len(),
        plan.kleer_only.len()
    ))
}

/// Section 1: every tab at 1, 8 and 64 clients, over HTTP and bare.
async fn tab_pages(
    server: &Server,
    http: &reqwest::Client,
    store: &Store,
    kleer: &SandboxHandle,
    window: Window,
) -> Result<TabPages, String> {
    let mut loads = Vec::new();
    let mut ids_only = Vec::new();
    let mut steps = Vec::new();
    let mut kleer_calls = 0;
    for (i, tab) in TABS.into_iter().enumerate() {
        // Each view starts on a mirror just read, so none ages past the server's 300 s (which
        // would put a refresh inside a load).
        if i % 3 == 0 {
            refresh(server, http).await?;
        }
        for clients in CLIENTS {
            let before = kleer.request_count();
            let over_http = http_load(server, http, tab.body(PAGE), clients, window)
                .await
                .map_err(|e| format!("{} over HTTP: {e}", tab.label()))?;
            kleer_calls += kleer.request_count() - before;

            let floor_cpu_before = (bench_cpu()?, setup::host_cpu()?);
            let pool = store.clone();
            let floor = load::run(clients, window, move || {
                let store = pool.clone();
                async move {
                    pages::floor_page(&store, tab, PAGE, &mut Steps::default())
                        .await
                        .map(drop)
                        .map_err(|e| e.to_string())
                }
            })
            .await
            .map_err(|e| format!("{} floor: {e}", tab.label()))?;
            let floor_cpu = bench_cpu()? - floor_cpu_before.0;
            let host_floor = host_busy(floor_cpu_before.1)?;
            if clients == 1 {
                steps.push(floor_steps(store, tab).await?);
            }
            eprintln!(
                "bench:   {:<16} {clients:>2} clients: {:.0} rps, floor {:.0} rps",
                tab.label(),
                over_http.stats.rps,
                floor.rps
            );
            loads.push(TabLoad {
                tab: tab.label(),
                clients,
                http: over_http,
                floor,
                floor_cpu,
                host_floor,
                peak_rss_kib: server.peak_rss_kib()?,
            });
        }
        let before = kleer.request_count();
        let ids = http_load(server, http, tab.ids_body(PAGE), 1, window)
            .await
            .map_err(|e| format!("{} ids only: {e}", tab.label()))?;
        kleer_calls += kleer.request_count() - before;
        ids_only.push((tab.label(), ids));
    }
    Ok((loads, ids_only, steps, kleer_calls))
}

/// What section 1 measured: the loads, the ids-only loads, the floors' steps, and the Kleer
/// calls made meanwhile.
type TabPages = (
    Vec<TabLoad>,
    Vec<(&'static str, HttpLoad)>,
    Vec<FloorSteps>,
    u64,
);

/// A load of one request body over HTTP, with the CPU the server, the bench and the whole
/// machine used meanwhile.
async fn http_load(
    server: &Server,
    http: &reqwest::Client,
    body: String,
    clients: usize,
    window: Window,
) -> Result<HttpLoad, String> {
    let before = (server.cpu_time()?, bench_cpu()?, setup::host_cpu()?);
    let (url, client) = (server.graphql_url(), http.clone());
    let stats = load::run(clients, window, move || {
        let (url, body, client) = (url.clone(), body.clone(), client.clone());
        async move { pages::fetch(&client, &url, body).await.map(drop) }
    })
    .await?;
    Ok(HttpLoad {
        stats,
        server_cpu: server.cpu_time()? - before.0,
        bench_cpu: bench_cpu()? - before.1,
        host: host_busy(before.2)?,
    })
}

/// Where a floor page's time goes: the mean of each store call over 20 pages, one at a time.
/// Taken right after the tab's one-client floor load, so that both see the database alike.
async fn floor_steps(store: &Store, tab: Tab) -> Result<FloorSteps, String> {
    const RUNS: u32 = 20;
    let mut totals: Vec<(&'static str, Duration)> = Vec::new();
    for _ in 0..RUNS {
        let mut steps = Steps::default();
        pages::floor_page(store, tab, PAGE, &mut steps)
            .await
            .map_err(|e| e.to_string())?;
        for (name, took) in steps.0 {
            match totals.iter_mut().find(|(n, _)| *n == name) {
                Some((_, total)) => *total += took,
                None => totals.push((name, took)),
            }
        }
    }
    Ok(FloorSteps {
        tab: tab.label(),
        steps: totals.into_iter().map(|(n, t)| (n, t / RUNS)).collect(),
    })
}

/// Section 2: statements (in-process) and Kleer calls (the real server) per page size.
async fn page_costs(
    server: &Server,
    http: &reqwest::Client,
    inprocess: &InProcess,
    kleer: &SandboxHandle,
) -> Result<Vec<PageCost>, String> {
    let mut costs = Vec::new();
    for tab in TABS {
        let mut cost = PageCost {
            tab: tab.label(),
            statements: [0; 3],
            kleer_calls: [0; 3],
            response_bytes: [0; 3],
        };
        for (k, size) in PAGE_SIZES.into_iter().enumerate() {
            cost.statements[k] = inprocess.statements(http, tab, size).await?;
            let before = kleer.request_count();
            let (rows, bytes) = pages::fetch_rows(http, &server.graphql_url(), tab, size).await?;
            cost.kleer_calls[k] = kleer.request_count() - before;
            cost.response_bytes[k] = bytes;
            if rows != size {
                return Err(format!(
                    "{}: a page of {size} answered {rows} rows",
                    tab.label()
                ));
            }
        }
        costs.push(cost);
    }
    Ok(costs)
}

/// Every node of a list, page by page (100 a page), as the front-end would read them.
async fn all_nodes(
    server: &Server,
    http: &reqwest::Client,
    view: &str,
    query: &str,
) -> Result<Vec<Value>, String> {
    let mut nodes = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let data = server.gql(http, query, json!({ "after": after })).await?;
        let list = &data[view];
        nodes.extend(list["nodes"].as_array().cloned().unwrap_or_default());
        if list["pageInfo"]["hasNextPage"] != true {
            return Ok(nodes);
        }
        after = list["pageInfo"]["endCursor"].as_str().map(String::from);
    }
}

fn ids(nodes: &[&Value]) -> Vec<String> {
    nodes
        .iter()
        .filter_map(|n| n["id"].as_str().map(String::from))
        .collect()
}

/// Section 4: the import view's first page, full refreshes, and an import of rows.
async fn import(
    server: &Server,
    http: &reqwest::Client,
    inprocess: &InProcess,
    kleer: &SandboxHandle,
    run: &Run,
) -> Result<ImportReport, String> {
    let kleer_employees = refresh(server, http).await?;
    let tab = Tab::Import(ImportTab::New);
    let url = server.graphql_url();
    let first_page = load::sequential(3, run.first_page_samples, || async {
        pages::fetch(http, &url, tab.body(PAGE)).await.map(drop)
    })
    .await?;
    let first_page_statements = inprocess.statements(http, tab, PAGE).await?;

    let before = kleer.request_count();
    let mut refreshes = Vec::new();
    for _ in 0..run.refreshes {
        let began = Instant::now();
        refresh(server, http).await?;
        refreshes.push(began.elapsed());
    }
    let refresh_kleer_calls = (kleer.request_count() - before) / run.refreshes as u64;

    let rows = all_nodes(
        server,
        http,
        "importView",
        "query($after: String) { importView(tab: NEW, first: 100, after: $after) {
            pageInfo { hasNextPage endCursor } nodes { id matchedBy matchNote } } }",
    )
    .await?;
    let by_pin: Vec<&Value> = rows
        .iter()
        .filter(|r| r["matchedBy"] == "PERSONAL_IDENTITY_NUMBER")
        .take(run.import_each)
        .collect();
    let unmatched: Vec<&Value> = rows
        .iter()
        .filter(|r| r["matchedBy"].is_null() && r["matchNote"].is_null())
        .take(run.import_each)
        .collect();
    let (prefer_kleer, create) = (ids(&by_pin), ids(&unmatched));
    if prefer_kleer.len() < run.import_each || create.len() < run.import_each {
        return Err("too few matched or unmatched Kleer rows to import".into());
    }

    const SET: &str = "mutation($ids: [ID!]!, $action: ImportAction!) {
        setImportAction(input: { kleerEmployeeIds: $ids, action: $action }) { succeeded failed } }";
    let began = Instant::now();
    for (ids, action) in [(&prefer_kleer, "PREFER_KLEER"), (&create, "CREATE")] {
        let data = server
            .gql(http, SET, json!({ "ids": ids, "action": action }))
            .await?;
        if data["setImportAction"]["succeeded"].as_u64() != Some(ids.len() as u64) {
            return Err(format!(
                "setImportAction {action}: {}",
                data["setImportAction"]
            ));
        }
    }
    let set_action = began.elapsed();

    let all: Vec<&String> = prefer_kleer.iter().chain(&create).collect();
    let began = Instant::now();
    let data = server
        .gql(
            http,
            "mutation($ids: [ID!]!) { importEmployees(input: { kleerEmployeeIds: $ids }) {
                succeeded skipped failed results { code message } } }",
            json!({ "ids": all }),
        )
        .await?;
    let import = began.elapsed();
    let import_succeeded = data["importEmployees"]["succeeded"].as_u64().unwrap_or(0) as usize;
    if import_succeeded != all.len() {
        let first_failure = data["importEmployees"]["results"]
            .as_array()
            .and_then(|r| {
                r.iter()
                    .find(|r| r["code"] != "LINKED" && r["code"] != "CREATED")
            })
            .cloned();
        eprintln!(
            "bench: import: {import_succeeded} of {} succeeded; first other: {first_failure:?}",
            all.len()
        );
    }
    Ok(ImportReport {
        first_page,
        first_page_statements,
        refreshes,
        refresh_kleer_calls,
        kleer_employees,
        prefer_kleer: prefer_kleer.len(),
        create: create.len(),
        set_action,
        import,
        import_succeeded,
    })
}

/// Section 3: employees Kleer has never seen, exported twice through a slow Kleer: the first
/// batch creates them, the second updates them.
async fn export(
    server: &Server,
    http: &reqwest::Client,
    kleer: &SandboxHandle,
    seeded: &seed::Seeded,
    run: &Run,
) -> Result<Vec<ExportBatch>, String> {
    let unlinked = all_nodes(
        server,
        http,
        "exportView",
        "query($after: String) { exportView(tab: ALEXIS, first: 100, after: $after) {
            pageInfo { hasNextPage endCursor } nodes { id employee { personalIdentityNumber } } } }",
    )
    .await?;
    let unknown: Vec<&Value> = unlinked
        .iter()
        .filter(|n| {
            n["employee"]["personalIdentityNumber"]
                .as_str()
                .is_some_and(|p| seeded.hr_only_pins.contains(p))
        })
        .take(run.export_rows)
        .collect();
    let ids = ids(&unknown);
    if ids.len() < run.export_rows {
        return Err(format!(
            "only {} employees unknown to Kleer to export",
            ids.len()
        ));
    }

    kleer.set_faults(Faults {
        latency_ms: EXPORT_LATENCY.as_millis() as u64,
        ..Faults::default()
    });
    let mut batches = Vec::new();
    for (name, code) in [("creates", "CREATED"), ("updates", "UPDATED")] {
        let before = kleer.request_count();
        let began = Instant::now();
        let data = server
            .gql(
                http,
                "mutation($ids: [ID!]!) { exportEmployees(input: { employeeIds: $ids }) {
                    succeeded skipped failed results { code message } } }",
                json!({ "ids": ids }),
            )
            .await;
        let wall = began.elapsed();
        let kleer_calls = kleer.request_count() - before;
        let data = match data {
            Ok(data) => data,
            Err(e) => {
                kleer.set_faults(Faults::default());
                return Err(e);
            }
        };
        let results = data["exportEmployees"]["results"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let succeeded = results.iter().filter(|r| r["code"] == code).count();
        if succeeded != ids.len() {
            let other: HashSet<String> = results
                .iter()
                .filter(|r| r["code"] != code)
                .map(|r| format!("{} {}", r["code"], r["message"]))
                .collect();
            eprintln!(
                "bench: export {name}: {succeeded} of {} {code}; others: {other:?}",
                ids.len()
            );
        }
        batches.push(ExportBatch {
            name,
            rows: ids.len(),
            succeeded,
            wall,
            kleer_calls,
            latency: EXPORT_LATENCY,
            concurrency: KLEER_CONCURRENCY,
        });
    }
    kleer.set_faults(Faults::default());
    Ok(batches)
}

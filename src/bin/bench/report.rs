//! What a run found, printed as plain aligned tables (one report per database) and a closing
//! line per goal of the issue: the measured value, the goal, met or not.

use crate::load::Stats;
use std::fmt::{self, Write as _};
use std::time::Duration;

/// Goals from the issue.
pub const MIN_FLOOR_RATIO: f64 = 0.5;
pub const MAX_STATEMENTS: u64 = 4;
pub const MAX_EXPORT_RATIO: f64 = 1.25;
pub const MAX_IMPORT_PAGE_P50: Duration = Duration::from_millis(50);
pub const MAX_PEAK_RSS_BYTES: u64 = 100_000_000;

pub const PAGE_SIZES: [usize; 3] = [5, 50, 100];

/// A load over HTTP and the CPU it took.
pub struct HttpLoad {
    pub stats: Stats,
    /// CPU time of the server process over the load (warm-up included).
    pub server_cpu: Duration,
    /// CPU time of the bench process (the clients) over the load.
    pub bench_cpu: Duration,
    /// How busy the whole machine was over the load, in % of one CPU.
    pub host: f64,
}

impl HttpLoad {
    fn server_ms_per_request(&self) -> f64 {
        self.server_cpu.as_secs_f64() * 1000.0 / self.stats.total as f64
    }
}

pub struct TabLoad {
    pub tab: &'static str,
    pub clients: usize,
    pub http: HttpLoad,
    pub floor: Stats,
    /// CPU time of the bench process over the floor load (with SQLite, the SQL's too).
    pub floor_cpu: Duration,
    /// How busy the whole machine was over the floor load, in % of one CPU.
    pub host_floor: f64,
    /// The server's peak resident set once this load was done.
    pub peak_rss_kib: u64,
}

impl TabLoad {
    pub fn ratio(&self) -> f64 {
        self.http.stats.rps / self.floor.rps
    }

    fn floor_ms_per_page(&self) -> f64 {
        self.floor_cpu.as_secs_f64() * 1000.0 / self.floor.total as f64
    }
}

/// CPU time over wall time, in percent of one core.
fn busy(cpu: Duration, wall: Duration) -> String {
    format!("{:.0}", cpu.as_secs_f64() * 100.0 / wall.as_secs_f64())
}

pub struct PageCost {
    pub tab: &'static str,
    /// For each of `PAGE_SIZES`.
    pub statements: [u64; 3],
    pub kleer_calls: [u64; 3],
    pub response_bytes: [usize; 3],
}

/// Mean time of each store call of a floor page, one client.
pub struct FloorSteps {
    pub tab: &'static str,
    pub steps: Vec<(&'static str, Duration)>,
}

pub struct ExportBatch {
    pub name: &'static str,
    pub rows: usize,
    pub succeeded: usize,
    pub wall: Duration,
    pub kleer_calls: u64,
    pub latency: Duration,
    pub concurrency: usize,
}

impl ExportBatch {
    /// Kleer calls × latency ÷ concurrency: the time the calls take when they never wait for
    /// anything but Kleer and always fill every slot.
    pub fn floor(&self) -> Duration {
        self.latency
            .mul_f64(self.kleer_calls as f64 / self.concurrency as f64)
    }

    pub fn ratio(&self) -> f64 {
        self.wall.as_secs_f64() / self.floor().as_secs_f64()
    }
}

pub struct ImportReport {
    pub first_page: Stats,
    pub first_page_statements: u64,
    pub refreshes: Vec<Duration>,
    pub refresh_kleer_calls: u64,
    pub kleer_employees: usize,
    pub prefer_kleer: usize,
    pub create: usize,
    pub set_action: Duration,
    pub import: Duration,
    pub import_succeeded: usize,
}

pub struct Report {
    pub backend: &'static str,
    pub employees: usize,
    pub data: String,
    pub seeding: Duration,
    pub window: String,
    pub tab_loads: Vec<TabLoad>,
    /// Each tab's page asking only for ids, one client.
    pub ids_only: Vec<(&'static str, HttpLoad)>,
    pub kleer_calls_during_load: u64,
    pub floor_steps: Vec<FloorSteps>,
    pub costs: Vec<PageCost>,
    pub exports: Vec<ExportBatch>,
    pub import: ImportReport,
    pub peak_rss_kib: u64,
    /// The server's peak resident set after each phase.
    pub memory: Vec<(&'static str, u64)>,
    /// The server's resident set at the end, all requests answered.
    pub final_rss_kib: u64,
    pub elapsed: Duration,
}

/// A plain table: the first `left` columns aligned left, the rest right.
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    left: usize,
}

impl Table {
    pub fn new(headers: &[&str], left: usize) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            left,
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let columns = self.headers.len();
        let width = |c: usize| {
            std::iter::once(&self.headers)
                .chain(&self.rows)
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..columns).map(width).collect();
        for row in std::iter::once(&self.headers).chain(&self.rows) {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c > 0 {
                    line.push_str("  ");
                }
                let w = widths[c];
                if c < self.left {
                    let _ = write!(line, "{cell:<w$}");
                } else {
                    let _ = write!(line, "{cell:>w$}");
                }
            }
            writeln!(f, "  {}", line.trim_end())?;
        }
        Ok(())
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

pub fn secs(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64())
}

fn mb(kib: u64) -> f64 {
    (kib * 1024) as f64 / 1e6
}

fn met(ok: bool) -> String {
    if ok { "met" } else { "NOT met" }.to_string()
}

pub fn median(durations: &[Duration]) -> Duration {
    let mut sorted = durations.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "== {}: {} HR employees x {} Kleer employees ==",
            self.backend, self.employees, self.employees
        )?;
        writeln!(f, "{}", self.data)?;
        writeln!(
            f,
            "Seeded through the Store in {} s; the whole run took {} s.\n",
            secs(self.seeding),
            secs(self.elapsed)
        )?;

        writeln!(
            f,
            "1. Tab pages: first page of 50 rows over HTTP ({}); floor = the same SQL bare through a pool of the same size",
            self.window
        )?;
        writeln!(
            f,
            "  srv ms: server CPU per request; bench ms: bench CPU per floor page (with SQLite the SQL's too);\n  \
             srv %, bench %, host %: CPU of the server, of the bench (the clients), of the whole machine, in % of one CPU;\n  \
             peak MB: the server's peak RSS so far"
        )?;
        let mut t = Table::new(
            &[
                "tab",
                "clients",
                "rps",
                "p50 ms",
                "p99 ms",
                "srv ms",
                "srv %",
                "bench %",
                "host %",
                "|",
                "floor rps",
                "p50 ms",
                "p99 ms",
                "bench ms",
                "host %",
                "|",
                "rps/floor",
                "peak MB",
            ],
            1,
        );
        for l in &self.tab_loads {
            t.row(vec![
                l.tab.into(),
                l.clients.to_string(),
                format!("{:.0}", l.http.stats.rps),
                ms(l.http.stats.p50),
                ms(l.http.stats.p99),
                format!("{:.2}", l.http.server_ms_per_request()),
                busy(l.http.server_cpu, l.http.stats.wall),
                busy(l.http.bench_cpu, l.http.stats.wall),
                format!("{:.0}", l.http.host),
                "|".into(),
                format!("{:.0}", l.floor.rps),
                ms(l.floor.p50),
                ms(l.floor.p99),
                format!("{:.2}", l.floor_ms_per_page()),
                format!("{:.0}", l.host_floor),
                "|".into(),
                format!("{:.2}", l.ratio()),
                format!("{:.1}", mb(l.peak_rss_kib)),
            ]);
        }
        write!(f, "{t}")?;
        writeln!(
            f,
            "  Kleer calls during all tab-page loads: {}\n",
            self.kleer_calls_during_load
        )?;
        writeln!(
            f,
            "  The same pages asking only for ids (same SQL, little to resolve and serialise), one client"
        )?;
        let mut t = Table::new(&["tab", "rps", "p50 ms", "srv ms", "full page srv ms"], 1);
        for (tab, ids) in &self.ids_only {
            let full = self
                .tab_loads
                .iter()
                .find(|l| l.tab == *tab && l.clients == 1)
                .map_or(String::new(), |l| {
                    format!("{:.2}", l.http.server_ms_per_request())
                });
            t.row(vec![
                tab.to_string(),
                format!("{:.0}", ids.stats.rps),
                ms(ids.stats.p50),
                format!("{:.2}", ids.server_ms_per_request()),
                full,
            ]);
        }
        writeln!(f, "{t}")?;
        writeln!(
            f,
            "  Floor by statement: mean ms per store call, one client, page of 50"
        )?;
        for s in &self.floor_steps {
            let steps: Vec<String> = s
                .steps
                .iter()
                .map(|(name, d)| format!("{name} {:.2}", d.as_secs_f64() * 1000.0))
                .collect();
            writeln!(f, "  {:<16} {}", s.tab, steps.join(", "))?;
        }
        writeln!(f)?;

        writeln!(
            f,
            "2. Cost per page: SQL statements (counted in-process) and Kleer calls (counted by the sandbox), fresh mirror"
        )?;
        let mut t = Table::new(
            &[
                "tab",
                "statements @5",
                "@50",
                "@100",
                "Kleer calls @5",
                "@50",
                "@100",
                "response KB @5",
                "@50",
                "@100",
            ],
            1,
        );
        for c in &self.costs {
            let mut row = vec![c.tab.to_string()];
            row.extend(c.statements.iter().map(u64::to_string));
            row.extend(c.kleer_calls.iter().map(u64::to_string));
            row.extend(
                c.response_bytes
                    .iter()
                    .map(|b| format!("{:.1}", *b as f64 / 1000.0)),
            );
            t.row(row);
        }
        writeln!(f, "{t}")?;

        if let Some(first) = self.exports.first() {
            writeln!(
                f,
                "3. Export: {} unlinked employees in one batch, Kleer latency {} ms per call, KLEER_CONCURRENCY {}",
                first.rows,
                first.latency.as_millis(),
                first.concurrency
            )?;
        }
        let mut t = Table::new(
            &[
                "batch",
                "rows",
                "succeeded",
                "wall s",
                "Kleer calls",
                "floor s",
                "wall/floor",
            ],
            1,
        );
        for e in &self.exports {
            t.row(vec![
                e.name.into(),
                e.rows.to_string(),
                e.succeeded.to_string(),
                secs(e.wall),
                e.kleer_calls.to_string(),
                secs(e.floor()),
                format!("{:.2}", e.ratio()),
            ]);
        }
        writeln!(f, "{t}")?;

        let i = &self.import;
        writeln!(f, "4. Import, {} x {}", self.employees, self.employees)?;
        let mut t = Table::new(&["measure", "result"], 2);
        t.row(vec![
            format!(
                "import view first page (NEW, 50 rows, matching + affected fields), {} in a row",
                i.first_page.count
            ),
            format!(
                "p50 {} ms, p99 {} ms, {} statements",
                ms(i.first_page.p50),
                ms(i.first_page.p99),
                i.first_page_statements
            ),
        ]);
        t.row(vec![
            format!(
                "full mirror refresh ({} Kleer employees), median of {}",
                i.kleer_employees,
                i.refreshes.len()
            ),
            format!(
                "{} s, {} Kleer calls",
                secs(median(&i.refreshes)),
                i.refresh_kleer_calls
            ),
        ]);
        t.row(vec![
            format!(
                "setImportAction: {} PREFER_KLEER + {} CREATE",
                i.prefer_kleer, i.create
            ),
            format!("{} s", secs(i.set_action)),
        ]);
        t.row(vec![
            format!("importEmployees: {} rows", i.prefer_kleer + i.create),
            format!("{} s, {} succeeded", secs(i.import), i.import_succeeded),
        ]);
        writeln!(f, "{t}")?;

        let growth: Vec<String> = self
            .memory
            .iter()
            .map(|(phase, kib)| format!("{phase} {:.1}", mb(*kib)))
            .collect();
        writeln!(
            f,
            "5. Memory: the server's peak resident set (VmHWM) over the run: {:.1} MB\n  \
             peak after each phase, MB: {}; resident at the end, idle: {:.1}\n",
            mb(self.peak_rss_kib),
            growth.join(", "),
            mb(self.final_rss_kib)
        )?;

        writeln!(f, "Goals ({})", self.backend)?;
        let mut t = Table::new(&["goal", "measured", ""], 3);
        for (goal, measured, ok) in self.goals() {
            t.row(vec![goal, measured, met(ok)]);
        }
        write!(f, "{t}")
    }
}

impl Report {
    /// Each goal of the issue: what it asks, what was measured, whether it is met.
    pub fn goals(&self) -> Vec<(String, String, bool)> {
        let mut goals = Vec::new();

        let below: Vec<&TabLoad> = self
            .tab_loads
            .iter()
            .filter(|l| l.ratio() < MIN_FLOOR_RATIO)
            .collect();
        let worst = self
            .tab_loads
            .iter()
            .min_by(|a, b| a.ratio().total_cmp(&b.ratio()));
        if let Some(worst) = worst {
            goals.push((
                format!("tab page rps >= {MIN_FLOOR_RATIO} x its bare-SQL floor"),
                format!(
                    "worst {:.2} ({}, {} client{}); {} of {} loads below",
                    worst.ratio(),
                    worst.tab,
                    worst.clients,
                    if worst.clients == 1 { "" } else { "s" },
                    below.len(),
                    self.tab_loads.len()
                ),
                below.is_empty(),
            ));
        }

        let bad: Vec<String> = self
            .costs
            .iter()
            .filter(|c| {
                c.statements.iter().any(|&s| s > MAX_STATEMENTS)
                    || c.statements.iter().any(|&s| s != c.statements[0])
            })
            .map(|c| {
                let s: Vec<String> = c.statements.iter().map(u64::to_string).collect();
                format!("{} {}", c.tab, s.join("/"))
            })
            .collect();
        let most = self
            .costs
            .iter()
            .flat_map(|c| c.statements)
            .max()
            .unwrap_or(0);
        let kleer: u64 = self.costs.iter().flat_map(|c| c.kleer_calls).sum::<u64>()
            + self.kleer_calls_during_load;
        goals.push((
            format!(
                "statements per page constant, <= {MAX_STATEMENTS}; 0 Kleer calls on a fresh mirror"
            ),
            if bad.is_empty() {
                format!("at most {most}, the same for 5/50/100; {kleer} Kleer calls")
            } else {
                format!("{}; {kleer} Kleer calls", bad.join(", "))
            },
            bad.is_empty() && kleer == 0,
        ));

        let ratios: Vec<String> = self
            .exports
            .iter()
            .map(|e| format!("{} {:.2}", e.name, e.ratio()))
            .collect();
        goals.push((
            format!("export wall <= {MAX_EXPORT_RATIO} x its concurrency floor"),
            ratios.join(", "),
            self.exports
                .iter()
                .all(|e| e.ratio() <= MAX_EXPORT_RATIO && e.succeeded == e.rows),
        ));

        goals.push((
            format!(
                "import view first page p50 < {} ms",
                MAX_IMPORT_PAGE_P50.as_millis()
            ),
            format!("{} ms", ms(self.import.first_page.p50)),
            self.import.first_page.p50 < MAX_IMPORT_PAGE_P50,
        ));

        goals.push((
            format!(
                "server peak resident memory < {} MB",
                MAX_PEAK_RSS_BYTES / 1_000_000
            ),
            format!("{:.1} MB", mb(self.peak_rss_kib)),
            self.peak_rss_kib * 1024 < MAX_PEAK_RSS_BYTES,
        ));
        goals
    }
}

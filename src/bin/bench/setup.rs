//! What a run stands on: a fresh database (a SQLite file in a directory of its own, or a new
//! PostgreSQL database dropped at the end), and `kleer-sync serve` as a child process, so that
//! its resident memory is its own and its requests cross a real socket.

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The token and company of the sandbox the bench starts, and so of the server's connection.
pub const TOKEN: &str = "bench-token";
pub const COMPANY: &str = "1";
/// The server's own defaults, set explicitly so that the floors use the same numbers.
pub const DB_CONNECTIONS: usize = 8;
pub const KLEER_CONCURRENCY: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A database made for one run.
pub enum Database {
    Sqlite {
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl Database {
    pub async fn create(backend: Backend, dir: &Path, admin_url: &str) -> Result<Self, String> {
        match backend {
            Backend::Sqlite => Ok(Database::Sqlite {
                url: dir.join("bench.db").to_string_lossy().into_owned(),
            }),
            Backend::Postgres => {
                let name = format!(
                    "kleer_bench_{}_{}",
                    std::process::id(),
                    chrono::Utc::now().timestamp()
                );
                let mut admin = AsyncPgConnection::establish(admin_url)
                    .await
                    .map_err(|e| format!("cannot reach PostgreSQL at {admin_url}: {e}"))?;
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .await
                    .map_err(|e| format!("CREATE DATABASE {name}: {e}"))?;
                Ok(Database::Postgres {
                    admin_url: admin_url.to_string(),
                    url: with_database(admin_url, &name),
                    name,
                })
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            Database::Sqlite { url } | Database::Postgres { url, .. } => url,
        }
    }

    /// Drops a PostgreSQL database (the SQLite file goes with the run's directory).
    pub async fn remove(self) {
        if let Database::Postgres {
            admin_url, name, ..
        } = self
        {
            let dropped = match AsyncPgConnection::establish(&admin_url).await {
                Ok(mut admin) => {
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await
                        .map_err(|e| e.to_string())
                }
                Err(e) => Err(e.to_string()),
            };
            if let Err(e) = dropped {
                eprintln!("bench: could not drop database {name}: {e}");
            }
        }
    }
}

/// The same server URL with another database name.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// The `kleer-sync` executable beside this one. `cargo run --bin bench` builds only the bench,
/// so the server is built here with the same profile and features (a no-op when up to date).
pub fn server_executable() -> Result<PathBuf, String> {
    let bench = std::env::current_exe().map_err(|e| e.to_string())?;
    let dir = bench
        .parent()
        .ok_or("the bench executable has no directory")?;
    let exe = dir.join(format!("kleer-sync{}", std::env::consts::EXE_SUFFIX));
    if let Some(cargo) = std::env::var_os("CARGO") {
        let mut build = Command::new(cargo);
        build.current_dir(env!("CARGO_MANIFEST_DIR")).args([
            "build",
            "--quiet",
            "--features",
            "bench",
            "--bin",
            "kleer-sync",
        ]);
        // `cargo run` gave this process the variables Cargo sets for a crate. Some build scripts
        // (ring's) rerun when those change, so passed on they would rebuild half the tree here,
        // and again at the next `cargo run`.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("CARGO_PKG_")
                || key.starts_with("CARGO_MANIFEST_")
                || [
                    "CARGO_CRATE_NAME",
                    "CARGO_BIN_NAME",
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_RUSTC_CURRENT_DIR",
                    "CARGO_TARGET_TMPDIR",
                    "OUT_DIR",
                ]
                .contains(&key.as_ref())
            {
                build.env_remove(key.as_ref());
            }
        }
        if dir.file_name().is_some_and(|d| d == "release") {
            build.arg("--release");
        }
        let status = build.status().map_err(|e| format!("cargo build: {e}"))?;
        if !status.success() {
            return Err(format!("building kleer-sync failed: {status}"));
        }
    }
    if !exe.exists() {
        return Err(format!(
            "{} is missing: run the bench through `cargo run --release --features bench --bin bench`",
            exe.display()
        ));
    }
    Ok(exe)
}

pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client without TLS settings builds")
}

/// `kleer-sync serve` as a child process on a free loopback port, its log in a file.
pub struct Server {
    child: Child,
    pub url: String,
    pub log: PathBuf,
}

impl Server {
    pub async fn start(
        exe: &Path,
        database_url: &str,
        kleer_base_url: &str,
        secret_key: &str,
        log: PathBuf,
    ) -> Result<Server, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
        let stderr = file.try_clone().map_err(|e| e.to_string())?;
        let child = Command::new(exe)
            .arg("serve")
            .env("KLEER_SYNC_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", database_url)
            .env("KLEER_SYNC_DB_CONNECTIONS", DB_CONNECTIONS.to_string())
            .env("KLEER_BASE_URL", kleer_base_url)
            .env("KLEER_COMPANY_ID", COMPANY)
            .env("KLEER_TOKEN", TOKEN)
            // The bench reads the connection through its own Store: both need one key.
            .env("KLEER_SYNC_SECRET_KEY", secret_key)
            .env("KLEER_CONCURRENCY", KLEER_CONCURRENCY.to_string())
            .env("RUST_LOG", "info")
            .stdout(Stdio::from(file))
            .stderr(Stdio::from(stderr))
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
        let server = Server {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        };
        server.wait_healthy().await?;
        Ok(server)
    }

    async fn wait_healthy(&self) -> Result<(), String> {
        let client = http_client();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("{}/health", self.url)).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!(
            "the server did not become healthy; its log is {}",
            self.log.display()
        ))
    }

    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.url)
    }

    /// Sends one GraphQL request and answers its `data`; any error fails.
    pub async fn gql(
        &self,
        http: &reqwest::Client,
        query: &str,
        variables: Value,
    ) -> Result<Value, String> {
        gql(http, &self.graphql_url(), query, variables).await
    }

    /// The server's peak resident set size so far (VmHWM), in KiB.
    pub fn peak_rss_kib(&self) -> Result<u64, String> {
        status_kib(self.child.id(), "VmHWM:")
    }

    /// The server's resident set now (VmRSS), in KiB.
    pub fn rss_kib(&self) -> Result<u64, String> {
        status_kib(self.child.id(), "VmRSS:")
    }

    /// CPU time the server has used so far (user and system).
    pub fn cpu_time(&self) -> Result<Duration, String> {
        cpu_time(&format!("/proc/{}/stat", self.child.id()))
    }

    /// SIGTERM, as a deployment stops it; SIGKILL when it has not exited within 10 s.
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// CPU time (user and system) of a process, from its `/proc/<pid>/stat`.
pub fn cpu_time(stat_path: &str) -> Result<Duration, String> {
    // USER_HZ, the unit of these fields, is 100 on every Linux.
    const TICKS_PER_SECOND: u64 = 100;
    let stat = std::fs::read_to_string(stat_path).map_err(|e| format!("{stat_path}: {e}"))?;
    // Fields after the command name (which may hold spaces), from the 3rd (state) on.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |field: usize| fields.get(field - 3).and_then(|f| f.parse::<u64>().ok());
    match (ticks(14), ticks(15)) {
        (Some(user), Some(system)) => Ok(Duration::from_millis(
            (user + system) * 1000 / TICKS_PER_SECOND,
        )),
        _ => Err(format!("{stat_path}: no utime and stime")),
    }
}

/// Busy and total CPU time of the whole machine so far (in ticks, summed over its CPUs) and
/// its number of CPUs, from `/proc/stat`: what every process used, the bench's, the server's,
/// PostgreSQL's and anything else running.
pub fn host_cpu() -> Result<(u64, u64, usize), String> {
    let stat = std::fs::read_to_string("/proc/stat").map_err(|e| format!("/proc/stat: {e}"))?;
    let ticks: Vec<u64> = stat
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("cpu "))
        .map(|l| {
            l.split_whitespace()
                .filter_map(|t| t.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    if ticks.len() < 5 {
        return Err("/proc/stat: no cpu line".into());
    }
    // user nice system idle iowait irq softirq steal (guest time is inside user already).
    let total: u64 = ticks.iter().take(8).sum();
    let idle = ticks[3] + ticks[4];
    let cpus = stat
        .lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count();
    Ok((total - idle, total, cpus.max(1)))
}

fn status_kib(pid: u32, field: &str) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("reading /proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/{pid}/status"))
}

/// One GraphQL request to `url`; answers `data`, or fails on any error.
pub async fn gql(
    http: &reqwest::Client,
    url: &str,
    query: &str,
    variables: Value,
) -> Result<Value, String> {
    let response = http
        .post(url)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .map_err(|e| format!("POST {url}: {e}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("POST {url}: {status}, not JSON: {e}"))?;
    if !status.is_success() || body.get("errors").is_some() {
        return Err(format!("POST {url}: {status}: {body}"));
    }
    Ok(body["data"].clone())
}

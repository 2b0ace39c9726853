//! The command line: one binary, four subcommands, every setting a flag with an environment
//! fallback and a default. `kleer-sync <command> --help` is the reference.

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "kleer-sync",
    version,
    about = "Keeps an HR employee register and Kleer payroll in step, through a GraphQL API."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API: POST /graphql, GraphiQL on GET /graphql, GET /health.
    Serve(ServeArgs),
    /// Run the standalone Kleer sandbox: the Kleer API from memory, for demos and tests.
    Sandbox(SandboxArgs),
    /// Apply the database migrations and exit.
    Migrate(DatabaseArgs),
    /// Create, list and revoke the API tokens clients send as `Authorization: Bearer …`.
    Token(TokenArgs),
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[derive(Args, Debug, Clone)]
pub struct DatabaseArgs {
    /// A SQLite file (`kleer-sync.db`, `sqlite://path`) or a PostgreSQL URL (`postgres://…`).
    #[arg(long, env = "DATABASE_URL", default_value = "kleer-sync.db")]
    pub database_url: String,

    /// Most database connections the server holds open.
    #[arg(long, env = "KLEER_SYNC_DB_CONNECTIONS", default_value_t = 8)]
    pub db_connections: usize,
}

#[derive(Args, Debug, Clone)]
pub struct TokenArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,

    #[command(subcommand)]
    pub command: TokenCommand,
}

#[derive(Subcommand, Debug, Clone)]
pub enum TokenCommand {
    /// Create a token and print it (the only time it is shown; only its hash is stored).
    Create {
        /// owner (configures Kleer connections), admin (exports, imports, matches, unlinks,
        /// edits employees) or viewer (reads the views).
        #[arg(long, value_parser = ["owner", "admin", "viewer"])]
        role: String,
        /// A name to tell tokens apart in `token list`.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List the tokens (never the tokens themselves).
    List,
    /// Revoke a token by the id `token list` shows.
    Revoke { id: i64 },
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on. Until an API token exists, only a loopback address is allowed.
    #[arg(long, env = "KLEER_SYNC_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,

    /// The key Kleer tokens are encrypted with at rest: 32 bytes, base64. Servers sharing one
    /// database must share the key. Without it, the key file is used.
    #[arg(long, env = "KLEER_SYNC_SECRET_KEY", hide_env_values = true)]
    pub secret_key: Option<String>,

    /// Where the key lives when KLEER_SYNC_SECRET_KEY is not set; created (readable by its owner
    /// only) on first start. Keep it with the database: without it the stored Kleer tokens
    /// cannot be read.
    #[arg(
        long,
        env = "KLEER_SYNC_SECRET_KEY_FILE",
        default_value = "kleer-sync.key"
    )]
    pub secret_key_file: PathBuf,

    /// Refuse to start without an API token, instead of serving openly on loopback.
    #[arg(long, env = "KLEER_SYNC_REQUIRE_AUTH", default_value_t = false)]
    pub require_auth: bool,

    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Kleer API base URL, e.g. https://api.kleer.se/v1. With the company id and the token it
    /// creates (or updates) that connection at start.
    #[arg(long, env = "KLEER_BASE_URL")]
    pub kleer_base_url: Option<String>,

    /// Kleer company id of the connection configured at start.
    #[arg(long, env = "KLEER_COMPANY_ID")]
    pub kleer_company_id: Option<String>,

    /// Kleer API token of the connection configured at start. Never logged.
    #[arg(long, env = "KLEER_TOKEN", hide_env_values = true)]
    pub kleer_token: Option<String>,

    /// Send the work email (instead of the private one) as Kleer's email, for the connection
    /// configured at start.
    #[arg(long, env = "KLEER_USE_WORK_EMAIL", default_value_t = false)]
    pub kleer_use_work_email: bool,

    /// Seconds before one attempt at a request to Kleer is given up (a failed attempt is retried,
    /// within 30 s in all).
    #[arg(long, env = "KLEER_TIMEOUT_SECS", default_value_t = 20)]
    pub kleer_timeout_secs: u64,

    /// Rows of one batch that talk to Kleer at the same time.
    #[arg(long, env = "KLEER_CONCURRENCY", default_value_t = 8)]
    pub kleer_concurrency: usize,

    /// Seconds an employee being exported stays claimed unless the export extends the claim:
    /// how soon rows of a server that died mid-export can be exported again.
    #[arg(long, env = "KLEER_CLAIM_LEASE_SECS", default_value_t = 60)]
    pub claim_lease_secs: u64,

    /// Seconds a mirror of Kleer employees is trusted before a tab reads Kleer again.
    #[arg(long, env = "KLEER_MIRROR_MAX_AGE_SECS", default_value_t = 300)]
    pub mirror_max_age_secs: u64,

    /// Kleer employees the embedded demo sandbox starts with (used only when no connection is
    /// configured).
    #[arg(long, env = "KLEER_SYNC_DEMO_SEED", default_value_t = 20)]
    pub demo_seed: usize,

    /// Where the embedded demo sandbox keeps its data between runs.
    #[arg(
        long,
        env = "KLEER_SYNC_DEMO_STATE",
        default_value = "kleer-sandbox.json"
    )]
    pub demo_state: PathBuf,
}

#[derive(Args, Debug, Clone)]
pub struct SandboxArgs {
    /// Address to listen on; the API is under http://ADDR/v1.
    #[arg(long, env = "KLEER_SANDBOX_ADDR", default_value = "127.0.0.1:8090")]
    pub addr: SocketAddr,

    /// The only X-Token the sandbox accepts.
    #[arg(
        long,
        env = "KLEER_SANDBOX_TOKEN",
        default_value = "sandbox-token",
        hide_env_values = true
    )]
    pub token: String,

    /// The only company id the sandbox serves.
    #[arg(long, env = "KLEER_SANDBOX_COMPANY_ID", default_value = "1")]
    pub company_id: String,

    /// Demo employees to start with; 0 starts with none (only the integration user and an
    /// accountant, who have no payroll agreement).
    #[arg(long, default_value_t = 20)]
    pub seed: usize,

    /// Keep the sandbox's data in this JSON file across restarts.
    #[arg(long)]
    pub state_file: Option<PathBuf>,

    /// Delay every answer by this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,

    /// Share of requests (0 to 1) answered with 503.
    #[arg(long, default_value_t = 0.0)]
    pub error_rate: f64,

    /// Share of requests (0 to 1) answered with 429 and `Retry-After: 1`.
    #[arg(long, default_value_t = 0.0)]
    pub throttle_rate: f64,

    /// Share of requests (0 to 1) never answered.
    #[arg(long, default_value_t = 0.0)]
    pub hang_rate: f64,
}

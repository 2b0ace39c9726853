//! The `kleer-sync` binary: parses the command line and hands over to the library.

use clap::Parser;
use kleer_sync::access::{self, Role};
use kleer_sync::config::{Cli, Command, SandboxArgs, TokenArgs, TokenCommand};
use kleer_sync::sandbox::{self, Faults, SandboxConfig};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    limit_malloc_arenas();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // SQLite queries run on blocking threads; a few dozen serve any pool size we use.
        .max_blocking_threads(32)
        .build()
        .expect("the async runtime starts");
    runtime.block_on(run(Cli::parse()))
}

/// glibc gives every thread that allocates its own arena (up to eight per core) and rarely
/// returns their memory: under a burst of requests the resident set grows by arenas, not by
/// data. Two arenas keep it near what is in use; the benchmark measures the effect.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator settings; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

async fn run(cli: Cli) -> ExitCode {
    if !matches!(cli.command, Command::Schema | Command::Token(_)) {
        tracing_subscriber::fmt()
            .with_env_filter(
                EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
            )
            .with_target(false)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
            .init();
    }
    let result: Result<(), Box<dyn std::error::Error>> = match cli.command {
        Command::Serve(args) => kleer_sync::app::serve(args).await.map_err(Into::into),
        Command::Sandbox(args) => run_sandbox(args).await,
        Command::Migrate(args) => kleer_sync::store::Store::open(&args.database_url, 1)
            .await
            .map(|_| tracing::info!("migrations applied"))
            .map_err(Into::into),
        Command::Token(args) => run_token(args).await,
        Command::Schema => {
            print!("{}", kleer_sync::graphql::sdl());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("kleer-sync: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run_token(args: TokenArgs) -> Result<(), Box<dyn std::error::Error>> {
    let store = kleer_sync::store::Store::open(&args.database.database_url, 1).await?;
    match args.command {
        TokenCommand::Create { role, name } => {
            let role = Role::parse(&role).ok_or("unknown role")?;
            let (token, record) = access::create_token(&store, role, &name).await?;
            eprintln!(
                "token {} ({}) created; it is shown only now:",
                record.id, record.role
            );
            println!("{token}");
        }
        TokenCommand::List => {
            for t in store.tokens().await? {
                let state = t
                    .revoked_at
                    .map_or("live".to_string(), |at| format!("revoked {at}"));
                println!(
                    "{}\t{}\t{}\tcreated {}\t{}",
                    t.id, t.role, t.name, t.created_at, state
                );
            }
        }
        TokenCommand::Revoke { id } => {
            if !store.revoke_token(id).await? {
                return Err(format!("no live token has id {id}").into());
            }
            eprintln!("token {id} revoked");
        }
    }
    Ok(())
}

async fn run_sandbox(args: SandboxArgs) -> Result<(), Box<dyn std::error::Error>> {
    let faults = Faults {
        latency_ms: args.latency_ms,
        error_rate: args.error_rate,
        throttle_rate: args.throttle_rate,
        hang_rate: args.hang_rate,
    };
    faults.validate()?;
    let mut config = SandboxConfig::new(args.token, args.company_id.clone());
    config.seed = args.seed;
    config.state_file = args.state_file;
    config.faults = faults;
    let running = sandbox::start(config, args.addr).await?;
    tracing::info!(company_id = %args.company_id, "Kleer sandbox listening on {}", running.base_url());
    tokio::select! {
        result = running.wait() => result?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}

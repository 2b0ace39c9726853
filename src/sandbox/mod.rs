//! A fake Kleer: the subset of Kleer's API that `kleer` speaks (KLEER_API.md), served over real
//! HTTP from memory, so that the client, the sync and demos run without a Kleer account.
//!
//! It behaves as Kleer is documented to — list wrappers, bare objects, `{"id": N}` create
//! answers, `{"error": {"message": ...}}` errors, partial payroll writes, 401/403/404 — and can
//! misbehave on purpose ([`Faults`]): latency, errors, throttling and requests that never end.
//! It may keep its data in a JSON state file across restarts. It never talks to the real Kleer,
//! and nothing outside tests and demos should depend on it.

mod http;
mod rng;
pub mod seed;
mod state;

pub use http::router;
pub use state::{ACCOUNTANT_USER, INTEGRATION_USER, SandboxHandle};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::task::JoinHandle;

#[derive(Clone)]
pub struct SandboxConfig {
    /// The one token the sandbox accepts in `X-Token`.
    pub token: String,
    /// The one company id the token opens.
    pub company_id: String,
    /// How many demo employees to create when starting without a state file.
    pub seed: usize,
    /// Where to keep the data across restarts; loaded at start when it exists (no seeding
    /// then), rewritten after every change.
    pub state_file: Option<PathBuf>,
    pub faults: Faults,
}

impl SandboxConfig {
    /// An empty company (only the integration user and the accountant), without faults.
    pub fn new(token: impl Into<String>, company_id: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            company_id: company_id.into(),
            seed: 0,
            state_file: None,
            faults: Faults::default(),
        }
    }
}

impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("token", &"<redacted>")
            .field("company_id", &self.company_id)
            .field("seed", &self.seed)
            .field("state_file", &self.state_file)
            .field("faults", &self.faults)
            .finish()
    }
}

/// Misbehaviour applied to every Kleer API request, in this order: the latency, then at most
/// one of hang, throttle (429 with `Retry-After: 1`) and error (503). Rates are probabilities
/// in `0.0..=1.0`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    pub latency_ms: u64,
    pub error_rate: f64,
    pub throttle_rate: f64,
    /// Requests that are never answered (until the sandbox shuts down).
    pub hang_rate: f64,
}

/// How many requests each fault has struck since the sandbox started, so that a test can say
/// what its client went through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InjectedFaults {
    pub hangs: u64,
    pub throttles: u64,
    pub errors: u64,
}

impl InjectedFaults {
    pub fn total(&self) -> u64 {
        self.hangs + self.throttles + self.errors
    }
}

impl Faults {
    pub fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("error_rate", self.error_rate),
            ("throttle_rate", self.throttle_rate),
            ("hang_rate", self.hang_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0.0 and 1.0"));
            }
        }
        Ok(())
    }
}

/// A sandbox serving in the background. Dropping this value leaves the server running (until
/// the Tokio runtime ends); call [`RunningSandbox::shutdown`] to stop it.
pub struct RunningSandbox {
    local_addr: SocketAddr,
    handle: SandboxHandle,
    server: JoinHandle<io::Result<()>>,
}

/// Binds `addr` (port 0 picks a free port), starts serving and returns at once.
pub async fn start(config: SandboxConfig, addr: SocketAddr) -> io::Result<RunningSandbox> {
    config
        .faults
        .validate()
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let handle = SandboxHandle::new(config)?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    let mut stopping = handle.shared.shutdown.subscribe();
    let app = router(handle.clone());
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stopping.wait_for(|stop| *stop).await;
            })
            .await
    });
    tracing::info!(%local_addr, "Kleer sandbox listening");
    Ok(RunningSandbox {
        local_addr,
        handle,
        server,
    })
}

impl RunningSandbox {
    /// The base URL to configure a `KleerClient` with: `http://{addr}/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.local_addr)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn handle(&self) -> SandboxHandle {
        self.handle.clone()
    }

    /// Serves until the server stops (a shutdown through another path, or an I/O error).
    pub async fn wait(self) -> io::Result<()> {
        self.server.await.map_err(io::Error::other)?
    }

    /// Stops accepting, releases hung requests, lets answers in flight finish, and returns once
    /// the server has stopped.
    pub async fn shutdown(self) -> io::Result<()> {
        self.handle.shared.shutdown.send_replace(true);
        self.wait().await
    }
}

#[cfg(test)]
mod tests;

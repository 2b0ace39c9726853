//! The load generator: N tokio tasks, each issuing one operation after another for a fixed time,
//! every latency recorded, percentiles computed from the recorded latencies (nearest rank; no
//! histogram buckets, no sampling). The same generator drives the HTTP pages and their bare-SQL
//! floors, so the two are measured alike.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How long a load runs: first unrecorded (connections, caches and pools warm up), then recorded.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub warmup: Duration,
    pub measure: Duration,
}

/// What one load measured.
#[derive(Clone, Debug)]
pub struct Stats {
    /// Operations started and finished inside the measured window.
    pub count: usize,
    /// Operations run in all, the warm-up's included.
    pub total: usize,
    /// From the first operation to the last, the warm-up's included.
    pub wall: Duration,
    /// Operations per second over the measured window.
    pub rps: f64,
    pub p50: Duration,
    pub p99: Duration,
}

/// Runs `op` from `concurrency` tasks at once, each starting its next operation as soon as the
/// last one ended, and measures only the operations started after the warm-up. The first
/// failing operation stops the load and is the answer: numbers over failures mean nothing.
pub async fn run<F, Fut>(concurrency: usize, window: Window, op: F) -> Result<Stats, String>
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let began = Instant::now();
    let start = began + window.warmup;
    let end = start + window.measure;
    let failed = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (op, failed) = (op.clone(), failed.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut last_end = start;
                let mut total = 0;
                loop {
                    let began = Instant::now();
                    if began >= end || failed.load(Ordering::Relaxed) {
                        break;
                    }
                    if let Err(e) = op().await {
                        failed.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                    let ended = Instant::now();
                    total += 1;
                    if began >= start {
                        latencies.push(ended - began);
                        last_end = last_end.max(ended);
                    }
                }
                Ok((latencies, last_end, total))
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut last_end = start;
    let mut total = 0;
    let mut first_error = None;
    for task in tasks {
        match task.await.map_err(|e| e.to_string())? {
            Ok((mine, ended, ran)) => {
                latencies.extend(mine);
                last_end = last_end.max(ended);
                total += ran;
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    if latencies.is_empty() {
        return Err("no operation finished inside the measured window".into());
    }
    latencies.sort_unstable();
    // The window ends when the last recorded operation does (at most one operation per task
    // runs past `end`), so the rate counts no idle tail.
    let elapsed = (last_end - start).max(window.measure).as_secs_f64();
    Ok(Stats {
        count: latencies.len(),
        total,
        wall: began.elapsed(),
        rps: latencies.len() as f64 / elapsed,
        p50: percentile(&latencies, 50.0),
        p99: percentile(&latencies, 99.0),
    })
}

/// Times `count` runs of `op` one after another (after `warmup` unrecorded ones).
pub async fn sequential<F, Fut>(warmup: usize, count: usize, op: F) -> Result<Stats, String>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    for _ in 0..warmup {
        op().await?;
    }
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(count);
    for _ in 0..count.max(1) {
        let began = Instant::now();
        op().await?;
        latencies.push(began.elapsed());
    }
    latencies.sort_unstable();
    Ok(Stats {
        count: latencies.len(),
        total: warmup + latencies.len(),
        wall: started.elapsed(),
        rps: latencies.len() as f64 / started.elapsed().as_secs_f64(),
        p50: percentile(&latencies, 50.0),
        p99: percentile(&latencies, 99.0),
    })
}

/// The nearest-rank percentile of sorted latencies: the smallest value with at least `p` % of
/// the values at or below it.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let ms: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&ms, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&ms, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&ms[..1], 99.0), Duration::from_millis(1));
        let three = [1, 2, 3].map(Duration::from_millis);
        assert_eq!(percentile(&three, 50.0), Duration::from_millis(2));
    }
}

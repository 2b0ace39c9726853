//! When the client tries a request again, and how long it waits first. The rules are plain
//! arithmetic over the policy, the attempts made and the time spent, so they are tested without a
//! clock or a server. Which requests may be repeated at all is the client's call, not this
//! module's: a create is only safe to repeat after looking for the one that may have landed.

use super::KleerError;
use reqwest::Method;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How a request that failed for a passing reason ([`KleerError::is_retryable`]) is tried again:
/// after an exponential backoff with full jitter, or after the wait Kleer asked for in
/// `Retry-After`, within a bound on attempts and one on the total time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; 1 never retries.
    pub max_attempts: u32,
    /// The ceiling of the first wait; each later ceiling doubles. The wait itself is drawn
    /// uniformly below the ceiling ("full jitter"), so that rows that failed together do not
    /// all come back together.
    pub base_delay: Duration,
    /// No ceiling grows beyond this. A `Retry-After` is honoured even when it is longer: Kleer
    /// knows best when it can answer again, and the total bound still holds.
    pub max_delay: Duration,
    /// From the start of the first attempt to the end of the last, waits included. An attempt's
    /// timeout is cut to what is left, and a wait that would leave nothing is not started.
    pub max_total: Duration,
}

impl Default for RetryPolicy {
    /// Five attempts within 30 s: a few seconds of trouble at Kleer go unnoticed, while an
    /// outage fails the row soon enough for the admin to see why and run the export again.
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(5),
            max_total: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// One attempt, never repeated.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The ceiling of the wait before retry number `retry` (1 for the first).
    fn ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }

    /// The wait before the next attempt when `attempts` have failed, the last with `error`, and
    /// `elapsed` has passed since the first began; `None` to give up. `jitter` is a draw in
    /// `[0, 1)`.
    pub(super) fn delay_after(
        &self,
        attempts: u32,
        elapsed: Duration,
        error: &KleerError,
        jitter: f64,
    ) -> Option<Duration> {
        if !error.is_retryable() || attempts >= self.max_attempts {
            return None;
        }
        let delay = error
            .retry_after()
            .unwrap_or_else(|| self.ceiling(attempts).mul_f64(jitter.clamp(0.0, 1.0)));
        // The next attempt needs some of the budget too: a wait that spends it all would only
        // make the failure later.
        (elapsed.saturating_add(delay) < self.max_total).then_some(delay)
    }
}

/// The attempts at one request (or at one create and the look-ups that make it safe to repeat):
/// counts them, bounds each one's timeout by the budget left, and waits between them.
pub(super) struct Attempts<'a> {
    policy: &'a RetryPolicy,
    timeout: Duration,
    started: Instant,
    failed: u32,
}

impl<'a> Attempts<'a> {
    pub fn new(policy: &'a RetryPolicy, timeout: Duration) -> Self {
        Self {
            policy,
            timeout,
            started: Instant::now(),
            failed: 0,
        }
    }

    /// Whether an attempt came before this one. Its request may have landed even though no
    /// answer did.
    pub fn is_retry(&self) -> bool {
        self.failed > 0
    }

    /// The timeout of a request sent now: the client's, cut to what is left of the budget.
    pub fn timeout(&self) -> Duration {
        self.timeout
            .min(self.policy.max_total.saturating_sub(self.started.elapsed()))
    }

    /// Records a failed attempt. Waits and answers `Ok` when another is due; answers the error
    /// when it is the last word.
    pub async fn failed(
        &mut self,
        error: KleerError,
        method: &Method,
        path: &str,
    ) -> Result<(), KleerError> {
        self.failed += 1;
        let elapsed = self.started.elapsed();
        match self
            .policy
            .delay_after(self.failed, elapsed, &error, jitter())
        {
            Some(delay) => {
                tracing::debug!(
                    %method,
                    path,
                    attempt = self.failed + 1,
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    reason = %error,
                    "retrying kleer request"
                );
                tokio::time::sleep(delay).await;
                Ok(())
            }
            None => Err(match error {
                // Say that it was tried, or the admin may try again at once to no avail.
                KleerError::Unavailable {
                    message,
                    retry_after,
                } if self.failed > 1 => KleerError::Unavailable {
                    message: format!(
                        "{message} (gave up after {} attempts in {:.1?})",
                        self.failed, elapsed
                    ),
                    retry_after,
                },
                other => other,
            }),
        }
    }
}

/// A draw in `[0, 1)`: SplitMix64 over a counter seeded from the clock, so that two processes
/// started apart draw apart. Not for anything secret.
fn jitter() -> f64 {
    const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;
    static SEED: OnceLock<u64> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let seed = *SEED.get_or_init(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    });
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut z = seed.wrapping_add(count.wrapping_add(1).wrapping_mul(GAMMA));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::{RetryPolicy, jitter};
    use crate::kleer::KleerError;
    use std::time::Duration;

    const ALMOST_ONE: f64 = 1.0 - f64::EPSILON;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 10,
            base_delay: ms(100),
            max_delay: ms(1000),
            max_total: Duration::from_secs(30),
        }
    }

    fn unavailable() -> KleerError {
        KleerError::unavailable("HTTP 503: Ett tekniskt fel har uppstått")
    }

    fn throttled(after: Duration) -> KleerError {
        KleerError::Unavailable {
            message: "HTTP 429: too many requests".into(),
            retry_after: Some(after),
        }
    }

    #[test]
    fn the_defaults_are_the_documented_ones() {
        let policy = RetryPolicy::default();
        assert_eq!(
            (
                policy.max_attempts,
                policy.base_delay,
                policy.max_delay,
                policy.max_total
            ),
            (5, ms(100), Duration::from_secs(5), Duration::from_secs(30))
        );
        assert_eq!(RetryPolicy::never().max_attempts, 1);
        assert_eq!(
            RetryPolicy::never().delay_after(1, Duration::ZERO, &unavailable(), 0.5),
            None
        );
    }

    #[test]
    fn waits_grow_twofold_up_to_the_cap() {
        let policy = policy();
        let ceilings: Vec<Duration> = (1..=7)
            .map(|attempts| {
                policy
                    .delay_after(attempts, Duration::ZERO, &unavailable(), ALMOST_ONE)
                    .unwrap()
            })
            .collect();
        let expected = [100, 200, 400, 800, 1000, 1000, 1000];
        for (ceiling, expected) in ceilings.iter().zip(expected) {
            // Just below the ceiling: the draw is below 1.
            assert!(
                *ceiling <= ms(expected) && *ceiling > ms(expected) - ms(1),
                "{ceilings:?}"
            );
        }
        // Doubling far past u32 saturates rather than overflowing.
        assert_eq!(policy.ceiling(u32::MAX), ms(1000));
    }

    #[test]
    fn the_wait_is_drawn_below_the_ceiling() {
        let policy = policy();
        assert_eq!(
            policy.delay_after(3, Duration::ZERO, &unavailable(), 0.0),
            Some(Duration::ZERO)
        );
        assert_eq!(
            policy.delay_after(3, Duration::ZERO, &unavailable(), 0.5),
            Some(ms(200))
        );
        let draws: Vec<f64> = (0..1000).map(|_| jitter()).collect();
        assert!(draws.iter().all(|d| (0.0..1.0).contains(d)));
        for tenth in 0..10 {
            let low = f64::from(tenth) / 10.0;
            let count = draws
                .iter()
                .filter(|&&d| (low..low + 0.1).contains(&d))
                .count();
            assert!((50..150).contains(&count), "{tenth}: {count}");
        }
    }

    #[test]
    fn retry_after_wins_over_the_backoff_and_its_cap() {
        let policy = policy();
        assert_eq!(
            policy.delay_after(1, Duration::ZERO, &throttled(ms(1000)), 0.3),
            Some(ms(1000))
        );
        assert_eq!(
            policy.delay_after(6, Duration::ZERO, &throttled(ms(50)), ALMOST_ONE),
            Some(ms(50))
        );
        assert_eq!(
            policy.delay_after(1, Duration::ZERO, &throttled(ms(4000)), 0.3),
            Some(ms(4000)),
            "longer than max_delay, and still honoured"
        );
    }

    #[test]
    fn attempts_and_total_time_are_bounded() {
        let policy = RetryPolicy {
            max_attempts: 3,
            max_total: Duration::from_secs(2),
            ..policy()
        };
        assert!(
            policy
                .delay_after(2, Duration::ZERO, &unavailable(), 0.5)
                .is_some()
        );
        assert_eq!(
            policy.delay_after(3, Duration::ZERO, &unavailable(), 0.5),
            None
        );
        // A wait that would reach the end of the budget is not started.
        assert_eq!(
            policy.delay_after(1, ms(1950), &unavailable(), ALMOST_ONE),
            None
        );
        assert_eq!(
            policy.delay_after(1, ms(1500), &unavailable(), 0.5),
            Some(ms(50))
        );
        assert_eq!(
            policy.delay_after(1, ms(500), &throttled(ms(1500)), 0.5),
            None
        );
        assert_eq!(policy.delay_after(1, ms(2500), &unavailable(), 0.0), None);
    }

    #[test]
    fn only_passing_trouble_is_retried() {
        let policy = policy();
        for error in [
            KleerError::Unauthorized,
            KleerError::Forbidden,
            KleerError::NotFound,
            KleerError::Rejected {
                status: 400,
                message: "ssn is required".into(),
            },
            KleerError::Decode("eof".into()),
            KleerError::Config("bad url".into()),
        ] {
            assert_eq!(
                policy.delay_after(1, Duration::ZERO, &error, 0.5),
                None,
                "{error}"
            );
        }
    }
}

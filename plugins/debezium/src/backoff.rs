//! Reconnecting with backoff inside a task: the worker's default
//! `errors.retry.timeout=0` would fail a task on its first retriable error,
//! so a connector whose database restarts waits and tries again itself.

use std::time::{Duration, Instant};

/// The first wait.
const FIRST: Duration = Duration::from_millis(500);
/// The longest wait.
const MAX: Duration = Duration::from_secs(10);

/// When to try again, and how long the wait after that will be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    at: Instant,
    delay: Duration,
}

impl Backoff {
    /// The first attempt, [`FIRST`] from now.
    pub fn start() -> Self {
        Self { at: Instant::now() + FIRST, delay: FIRST }
    }

    /// An attempt due now; the wait after it is [`FIRST`].
    pub fn now() -> Self {
        Self { at: Instant::now(), delay: FIRST }
    }

    /// The attempt after this one failed: the wait doubles up to [`MAX`].
    pub fn next(self) -> Self {
        let delay = (self.delay * 2).min(MAX);
        Self { at: Instant::now() + delay, delay }
    }

    /// The wait before the attempt.
    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// Sleeps until the attempt is due or `deadline` (a poll's) comes;
    /// true when it is due.
    pub fn wait(&self, deadline: Instant) -> bool {
        let now = Instant::now();
        if now >= self.at {
            return true;
        }
        std::thread::sleep(self.at.min(deadline).saturating_duration_since(now));
        Instant::now() >= self.at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_ten_seconds() {
        let mut b = Backoff::start();
        assert_eq!(b.delay(), Duration::from_millis(500));
        for _ in 0..10 {
            b = b.next();
        }
        assert_eq!(b.delay(), Duration::from_secs(10));
        assert!(!Backoff::start().wait(Instant::now()), "not due before its time");
    }
}

//! Timing a physical limit: a tool run three times on the same data, the
//! median kept. On these machines a tool's rate moves by up to 2x between
//! runs a minute apart, and one run's outlier would set the ratio.

use std::time::Duration;

/// Three timed runs of a limit tool.
pub struct Limit {
    runs: [Duration; 3],
}

impl Limit {
    /// Runs `run` three times; each call returns its own elapsed time.
    pub fn measure(mut run: impl FnMut() -> Duration) -> Self {
        let mut runs = [run(), run(), run()];
        runs.sort();
        Self { runs }
    }

    /// The median run's rate for `items`.
    pub fn rate(&self, items: u64) -> f64 {
        items as f64 / self.runs[1].as_secs_f64()
    }

    /// The slowest and fastest runs' rates, to show the spread.
    pub fn range(&self, items: u64) -> (f64, f64) {
        (items as f64 / self.runs[2].as_secs_f64(), items as f64 / self.runs[0].as_secs_f64())
    }
}

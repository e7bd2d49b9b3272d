//! Timing a physical limit: a tool run three times on the same data, the
//! median kept (and, where our side's runs vary as much, three of ours
//! taken in turn with the tool's). On these machines a tool's rate moves by up to 2x between
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

    /// Three runs of a limit tool and three of ours (`run` gets the run's
    /// number), taken in turn so that both see the machine in the same moods.
    pub fn interleaved(mut limit: impl FnMut() -> Duration, mut ours: impl FnMut(usize) -> Duration) -> (Self, Self) {
        let (mut limits, mut runs) = ([Duration::ZERO; 3], [Duration::ZERO; 3]);
        for run in 0..3 {
            limits[run] = limit();
            runs[run] = ours(run);
        }
        limits.sort();
        runs.sort();
        (Self { runs: limits }, Self { runs })
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

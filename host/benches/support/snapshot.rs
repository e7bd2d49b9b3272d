//! One timed snapshot run, in a worker of its own.

use std::path::Path;
use std::time::{Duration, Instant};

use super::worker::Worker;

/// Starts a worker on `data`, has `create` make the connector (returning the
/// topic its rows land in), and times from then until that topic holds
/// `rows` records. The worker and its data go afterwards: the next run
/// would otherwise share the machine with the writeback of this one's log.
pub fn timed(data: &Path, rows: u64, create: impl FnOnce(&Worker) -> String) -> Duration {
    let w = Worker::start(data, &[]);
    let t = Instant::now();
    let topic = create(&w);
    w.wait_for("every row snapshotted", Duration::from_secs(600), |w| w.topic_len(&topic) >= rows);
    let elapsed = t.elapsed();
    drop(w);
    std::fs::remove_dir_all(data).expect("removing the run's data");
    elapsed
}

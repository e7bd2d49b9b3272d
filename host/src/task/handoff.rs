//! The hand-off between a task's polling thread and its delivery thread.
//!
//! Polled batches gather in one queue, and delivery takes everything
//! gathered whenever it is free: several polls are committed together (one
//! durable transaction, not one per poll), and no record waits for the
//! task's next poll to return, which may block until its timeout. A full
//! queue blocks the poller: that is the task's backpressure.

use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// What the queue holds: batches, counted by their records for its cap.
pub trait Batch {
    /// How many records it holds.
    fn records(&self) -> usize;
}

impl Batch for crate::runtime::PolledBatch {
    fn records(&self) -> usize {
        self.len()
    }
}

/// The queue between one poller and one delivery thread.
pub struct Handoff<T> {
    state: Mutex<State<T>>,
    /// Records arrived, or polling is done.
    ready: Condvar,
    /// Delivery took records, or ended.
    space: Condvar,
    /// The poller waits while this many records are queued.
    cap: usize,
}

struct State<T> {
    queued: Vec<T>,
    /// Records in `queued`.
    records: usize,
    polling_done: bool,
    delivery_ended: bool,
}

/// What delivery finds when it looks.
pub enum Take<T> {
    /// Every batch gathered since it last looked.
    Records(Vec<T>),
    /// Nothing yet; polling goes on.
    Idle,
    /// Polling is done and everything was taken.
    Closed,
}

impl<T: Batch> Handoff<T> {
    /// A queue whose poller waits past `cap` records.
    pub fn new(cap: usize) -> Self {
        Self {
            state: Mutex::new(State { queued: Vec::new(), records: 0, polling_done: false, delivery_ended: false }),
            ready: Condvar::new(),
            space: Condvar::new(),
            cap,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Neither side panics while holding the lock; a poisoned queue is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `batch`, first waiting while the queue is full; `false`
    /// when delivery has ended and will take nothing more.
    pub fn put(&self, batch: T) -> bool {
        let guard = self.lock();
        let mut state = self
            .space
            .wait_while(guard, |s| s.records >= self.cap && !s.delivery_ended)
            .unwrap_or_else(PoisonError::into_inner);
        if state.delivery_ended {
            return false;
        }
        state.records += batch.records();
        state.queued.push(batch);
        self.ready.notify_one();
        true
    }

    /// Polling is over: delivery takes what is queued, then sees `Closed`.
    pub fn close(&self) {
        self.lock().polling_done = true;
        self.ready.notify_one();
    }

    /// Delivery has ended (done or failed): a waiting poller stops waiting.
    pub fn delivery_ended(&self) {
        self.lock().delivery_ended = true;
        self.space.notify_one();
    }

    /// Everything gathered, waiting up to `timeout` for something to come.
    pub fn take(&self, timeout: Duration) -> Take<T> {
        let guard = self.lock();
        let (mut state, _) = self
            .ready
            .wait_timeout_while(guard, timeout, |s| s.queued.is_empty() && !s.polling_done)
            .unwrap_or_else(PoisonError::into_inner);
        if !state.queued.is_empty() {
            let batches = std::mem::take(&mut state.queued);
            state.records = 0;
            self.space.notify_one();
            return Take::Records(batches);
        }
        if state.polling_done { Take::Closed } else { Take::Idle }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Batch for Vec<i32> {
        fn records(&self) -> usize {
            self.len()
        }
    }

    #[test]
    fn delivery_takes_what_gathered_without_waiting_for_another_put() {
        let h = Handoff::new(10);
        assert!(h.put(vec![1, 2]));
        assert!(h.put(vec![3]));
        // Both puts come out together, and at once.
        assert!(matches!(h.take(Duration::from_secs(60)), Take::Records(r) if r == vec![vec![1, 2], vec![3]]));
        assert!(matches!(h.take(Duration::from_millis(1)), Take::Idle));
        assert!(h.put(vec![4]));
        h.close();
        assert!(matches!(h.take(Duration::from_secs(60)), Take::Records(r) if r == vec![vec![4]]));
        assert!(matches!(h.take(Duration::from_secs(60)), Take::Closed));
    }

    #[test]
    fn a_full_queue_holds_the_poller_until_delivery_takes_or_ends() {
        // The cap counts records, not batches: one batch of two fills it.
        let h = Handoff::new(2);
        assert!(h.put(vec![1, 2]));
        std::thread::scope(|s| {
            let poller = s.spawn(|| h.put(vec![3]));
            // The poller cannot have queued 3 yet: the first take sees only 1 and 2.
            assert!(matches!(h.take(Duration::from_secs(60)), Take::Records(r) if r == vec![vec![1, 2]]));
            assert!(poller.join().expect("poller"));
        });
        assert!(h.put(vec![4]));
        std::thread::scope(|s| {
            let poller = s.spawn(|| h.put(vec![5]));
            h.delivery_ended();
            assert!(!poller.join().expect("poller"), "a put after delivery ended reports it");
        });
    }
}

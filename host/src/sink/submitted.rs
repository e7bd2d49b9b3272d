//! Records handed to the producer and not yet covered by a committed
//! offset, in poll order. An offset may be committed only when every record
//! polled before it has been acknowledged, so the committable point is the
//! longest acknowledged prefix (as Kafka Connect's `SubmittedRecords`).

use std::collections::VecDeque;

struct Slot {
    partition: String,
    offset: String,
    acked: bool,
}

/// Submitted records by sequence number.
#[derive(Default)]
pub struct Submitted {
    slots: VecDeque<Slot>,
    /// Sequence number of `slots[0]`.
    base: u64,
}

impl Submitted {
    /// Adds a record; returns its sequence number.
    pub fn push(&mut self, partition: String, offset: String, acked: bool) -> u64 {
        self.slots.push_back(Slot { partition, offset, acked });
        self.base + self.slots.len() as u64 - 1
    }

    /// Marks a record acknowledged.
    pub fn ack(&mut self, seq: u64) {
        if let Some(index) = seq.checked_sub(self.base)
            && let Some(slot) = self.slots.get_mut(index as usize)
        {
            slot.acked = true;
        }
    }

    /// Number of records not yet taken.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Removes the acknowledged prefix and returns its (partition, offset) pairs in order.
    pub fn take_acked_prefix(&mut self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        while self.slots.front().is_some_and(|s| s.acked) {
            if let Some(slot) = self.slots.pop_front() {
                self.base += 1;
                out.push((slot.partition, slot.offset));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_acknowledged_prefix_is_committable() {
        let mut s = Submitted::default();
        let a = s.push("p".into(), "1".into(), false);
        let b = s.push("p".into(), "2".into(), false);
        let c = s.push("q".into(), "9".into(), true);
        s.ack(b);
        assert!(s.take_acked_prefix().is_empty(), "record 1 is still in flight");
        s.ack(a);
        let taken = s.take_acked_prefix();
        assert_eq!(taken.len(), 3);
        assert_eq!(taken[2], ("q".to_string(), "9".to_string()));
        assert_eq!((s.len(), c), (0, 2));
        let d = s.push("p".into(), "3".into(), false);
        assert_eq!(d, 3, "sequence numbers keep counting");
        s.ack(d);
        s.ack(d + 10);
        assert_eq!(s.take_acked_prefix(), vec![("p".to_string(), "3".to_string())]);
    }
}

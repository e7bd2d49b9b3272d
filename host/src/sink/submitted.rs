//! Records handed to the producer and not yet covered by a committed
//! offset, in poll order. An offset may be committed only when every record
//! polled before it has been acknowledged, so the committable point is the
//! longest acknowledged prefix (as Kafka Connect's `SubmittedRecords`).
//!
//! Offsets are copied into one text buffer here rather than kept as slices
//! of their poll's buffer: a slice would keep every key and value of that
//! poll alive until the last of its records is acknowledged.

use std::collections::VecDeque;
use std::sync::Arc;

use super::last_offsets;
use crate::record::SharedText;
use crate::store::OffsetEntry;

struct Slot {
    partition: Arc<str>,
    /// Where the record's offset ends in `text`, counted from the first byte ever pushed.
    end: u64,
    acked: bool,
}

/// Submitted records by sequence number.
#[derive(Default)]
pub struct Submitted {
    slots: VecDeque<Slot>,
    /// Sequence number of `slots[0]`.
    base: u64,
    /// The slots' offsets back to back (UTF-8: each was checked as it arrived).
    text: Vec<u8>,
    /// Position of `text[0]` counted from the first byte ever pushed.
    text_base: u64,
    /// Where the offset of `slots[0]` starts, counted as `end` is.
    first_start: u64,
}

impl Submitted {
    /// Adds a record; returns its sequence number.
    pub fn push(&mut self, partition: Arc<str>, offset: &SharedText, acked: bool) -> u64 {
        self.text.extend_from_slice(offset.as_bytes());
        self.slots.push_back(Slot { partition, end: self.text_base + self.text.len() as u64, acked });
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

    /// Removes the acknowledged prefix and returns the last offset of each
    /// source partition in it, in first-seen order.
    pub fn take_acked_prefix(&mut self) -> Vec<OffsetEntry> {
        let mut taken: Vec<(Arc<str>, std::ops::Range<usize>)> = Vec::new();
        while let Some(slot) = self.slots.pop_front_if(|s| s.acked) {
            self.base += 1;
            taken.push((
                slot.partition,
                (self.first_start - self.text_base) as usize..(slot.end - self.text_base) as usize,
            ));
            self.first_start = slot.end;
        }
        let out = last_offsets(taken.iter().map(|(p, range)| (&**p, Utf8(&self.text[range.clone()]))));
        // Drop what was taken once it is most of the buffer, so the copy stays rare.
        let consumed = (self.first_start - self.text_base) as usize;
        if consumed > self.text.len() / 2 {
            self.text.drain(..consumed);
            self.text_base = self.first_start;
        }
        out
    }
}

/// Offset bytes that were checked as UTF-8 when pushed, written out only
/// for the offsets `last_offsets` keeps.
struct Utf8<'a>(&'a [u8]);

impl std::fmt::Display for Utf8<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> SharedText {
        SharedText::from(s.to_string())
    }

    fn pairs(entries: Vec<OffsetEntry>) -> Vec<(String, String)> {
        entries.into_iter().map(|e| (e.partition, e.offset)).collect()
    }

    #[test]
    fn only_the_acknowledged_prefix_is_committable() {
        let mut s = Submitted::default();
        let a = s.push("p".into(), &text("1"), false);
        let b = s.push("p".into(), &text("2"), false);
        let c = s.push("q".into(), &text("9"), true);
        s.ack(b);
        assert!(s.take_acked_prefix().is_empty(), "record 1 is still in flight");
        s.ack(a);
        assert_eq!(pairs(s.take_acked_prefix()), [("p".into(), "2".into()), ("q".into(), "9".into())]);
        assert_eq!((s.len(), c), (0, 2));
        let d = s.push("p".into(), &text("3"), false);
        assert_eq!(d, 3, "sequence numbers keep counting");
        s.ack(d);
        s.ack(d + 10);
        assert_eq!(pairs(s.take_acked_prefix()), [("p".into(), "3".into())]);
    }

    #[test]
    fn offsets_stay_right_as_the_text_buffer_is_compacted() {
        let mut s = Submitted::default();
        for round in 0..50u64 {
            let seqs: Vec<u64> = (0..7).map(|i| s.push("p".into(), &text(&format!("{round}-{i}")), false)).collect();
            for seq in &seqs[..6] {
                s.ack(*seq);
            }
            assert_eq!(pairs(s.take_acked_prefix()), [("p".into(), format!("{round}-5"))]);
            s.ack(seqs[6]);
            assert_eq!(pairs(s.take_acked_prefix()), [("p".into(), format!("{round}-6"))]);
        }
        assert!(s.text.len() < 64, "taken offsets are dropped: {} bytes left", s.text.len());
    }
}

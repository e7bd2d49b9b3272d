//! Packs a poll's records into one `record-batch`: topics and source
//! partitions are named once in `names`, and encoded keys, values and
//! source offsets are written back to back into one `bytes` buffer that
//! records point into. A record then crosses to the worker with no
//! allocation of its own on either side.

use std::sync::Arc;

use crate::bindings::weir::connector::types as wit;

/// The shared parts of a batch being packed.
#[derive(Default)]
pub struct Packer {
    names: Vec<Arc<str>>,
    /// Index in `names` of the name last looked up, per [`NameSlot`]:
    /// consecutive records nearly always share their topic and partition.
    last: [usize; 2],
    /// Where the last source offset was written: records in a row often
    /// carry the same one (a snapshot's rows), which is then written once.
    last_offset: Option<wit::Span>,
    /// UTF-8 only so far (JSON and offsets), hence a `String` for `weir_json`'s writers.
    pub bytes: String,
}

/// Which recently used name [`Packer::name`] checks first.
#[derive(Clone, Copy)]
pub enum NameSlot {
    Topic = 0,
    Partition = 1,
}

/// A batch outgrew the 4 GiB a span can address (more than a wasm32 guest's memory).
#[derive(Debug)]
pub struct TooLarge;

impl Packer {
    /// The index of `name` in `names`, adding it if new.
    pub fn name(&mut self, slot: NameSlot, name: Arc<str>) -> u32 {
        let slot = slot as usize;
        // The same `Arc` as last time is the usual case, and needs no compare.
        let same = |n: &Arc<str>| Arc::ptr_eq(n, &name) || *n == name;
        let index = match self.names.get(self.last[slot]) {
            Some(n) if same(n) => self.last[slot],
            _ => match self.names.iter().position(same) {
                Some(i) => i,
                None => {
                    self.names.push(name);
                    self.names.len() - 1
                }
            },
        };
        self.last[slot] = index;
        // `names` holds at most one entry per record, and a batch's records fit in memory.
        index as u32
    }

    /// The span of what was written to `bytes` since `start`.
    pub fn span_from(&self, start: usize) -> Result<wit::Span, TooLarge> {
        let start32 = u32::try_from(start).map_err(|_| TooLarge)?;
        let len = u32::try_from(self.bytes.len() - start).map_err(|_| TooLarge)?;
        start32.checked_add(len).ok_or(TooLarge)?;
        Ok(wit::Span { start: start32, len })
    }

    /// Appends `text` and returns its span.
    pub fn push(&mut self, text: &str) -> Result<wit::Span, TooLarge> {
        let start = self.bytes.len();
        self.bytes.push_str(text);
        self.span_from(start)
    }

    /// The span of a record's source offset: the last one's again when it
    /// is the same text, else `offset` appended.
    pub fn offset(&mut self, offset: &str) -> Result<wit::Span, TooLarge> {
        if let Some(last) = self.last_offset {
            let (start, len) = (last.start as usize, last.len as usize);
            if self.bytes.as_bytes().get(start..start + len).is_some_and(|b| same_bytes(b, offset.as_bytes())) {
                return Ok(last);
            }
        }
        let span = self.push(offset)?;
        self.last_offset = Some(span);
        Ok(span)
    }

    /// The batch's `names` and `bytes`.
    pub fn finish(self) -> (Vec<String>, Vec<u8>) {
        (self.names.iter().map(|n| n.to_string()).collect(), self.bytes.into_bytes())
    }
}

/// Whether two byte strings are equal, compared without a branch per byte:
/// the wasm build's `memcmp` goes a byte at a time, where this loop becomes
/// SIMD (and every record's offset is compared).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_repeated_offsets_are_stored_once_and_spans_point_at_what_was_written() {
        let mut p = Packer::default();
        assert_eq!(p.name(NameSlot::Topic, "orders".into()), 0);
        assert_eq!(p.name(NameSlot::Partition, "{\"server\":\"a\"}".into()), 1);
        assert_eq!(p.name(NameSlot::Topic, "orders".into()), 0);
        assert_eq!(p.name(NameSlot::Topic, "{\"server\":\"a\"}".into()), 1, "found though not last in its slot");
        assert_eq!(p.name(NameSlot::Topic, "customers".into()), 2);
        let a = p.offset("{\"lsn\":1}").unwrap();
        let again = p.offset("{\"lsn\":1}").unwrap();
        let b = p.offset("{\"lsn\":22}").unwrap();
        let c = p.offset("{\"lsn\":23}").unwrap();
        assert_eq!(c.start, b.start + b.len, "same length, other text: written");
        assert_eq!((again.start, again.len), (a.start, a.len), "the same offset twice in a row is written once");
        let (names, bytes) = p.finish();
        assert_eq!(names, ["orders", "{\"server\":\"a\"}", "customers"]);
        let text = |s: wit::Span| &bytes[s.start as usize..(s.start + s.len) as usize];
        assert_eq!(text(a), b"{\"lsn\":1}");
        assert_eq!(text(b), b"{\"lsn\":22}");
        assert_eq!(b.start, a.start + a.len, "nothing written between them");
    }
}

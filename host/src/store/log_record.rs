//! A record as the embedded log keeps it: converted key and value bytes,
//! headers, timestamp and partition, in a small length-prefixed encoding.

use std::sync::Arc;

use bytes::Bytes;

use super::{StoreError, StoreResult};

/// A record in the embedded log, after conversion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// Topic.
    pub topic: Arc<str>,
    /// Kafka partition, when the connector chose one.
    pub partition: Option<i32>,
    /// Converted key; `None` is a null key.
    pub key: Option<Bytes>,
    /// Converted value; `None` is a tombstone.
    pub value: Option<Bytes>,
    /// Milliseconds since the epoch.
    pub timestamp: Option<i64>,
    /// Converted headers.
    pub headers: Vec<(String, Option<Vec<u8>>)>,
    /// When the store appended it (ms since the epoch); set by the store,
    /// and what age-based retention goes by (a connector's timestamps may be
    /// far in the past, as datagen's are).
    pub appended_ms: i64,
}

const VERSION: u8 = 1;

impl LogRecord {
    /// The record's encoding alone, as a segment holds it after its length.
    #[cfg(test)]
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len_hint());
        self.encode_into(&mut out, self.appended_ms);
        out
    }

    /// Roughly how many bytes the encoding takes.
    fn encoded_len_hint(&self) -> usize {
        32 + self.key.as_ref().map_or(0, Bytes::len) + self.value.as_ref().map_or(0, Bytes::len)
    }

    /// Appends the record to a log segment: its encoding, prefixed by its length.
    pub fn append_to_segment(&self, segment: &mut Vec<u8>, appended_ms: i64) {
        segment.reserve(4 + self.encoded_len_hint());
        let start = segment.len();
        segment.extend_from_slice(&[0; 4]);
        self.encode_into(segment, appended_ms);
        let len = (segment.len() - start - 4) as u32;
        segment[start..start + 4].copy_from_slice(&len.to_le_bytes());
    }

    fn encode_into(&self, out: &mut Vec<u8>, appended_ms: i64) {
        out.push(VERSION);
        put_opt_i64(out, self.partition.map(i64::from));
        put_opt_i64(out, self.timestamp);
        put_opt_i64(out, Some(appended_ms));
        put_opt_bytes(out, self.key.as_deref());
        put_opt_bytes(out, self.value.as_deref());
        out.extend_from_slice(&(self.headers.len() as u32).to_le_bytes());
        for (k, v) in &self.headers {
            put_opt_bytes(out, Some(k.as_bytes()));
            put_opt_bytes(out, v.as_deref());
        }
    }

    /// Decodes a record stored under `topic`.
    pub fn decode(topic: &str, bytes: &[u8]) -> StoreResult<Self> {
        let corrupt = |reason: &str| StoreError::Corrupt {
            what: format!("a record of topic {topic}"),
            reason: reason.to_string(),
        };
        let mut r = Reader { bytes, pos: 0 };
        if r.u8().ok_or_else(|| corrupt("empty"))? != VERSION {
            return Err(corrupt("unknown encoding version"));
        }
        let partition = r.opt_i64().ok_or_else(|| corrupt("truncated partition"))?;
        let partition =
            partition.map(|p| i32::try_from(p).map_err(|_| corrupt("partition out of range"))).transpose()?;
        let timestamp = r.opt_i64().ok_or_else(|| corrupt("truncated timestamp"))?;
        let appended_ms = r.opt_i64().ok_or_else(|| corrupt("truncated append time"))?.unwrap_or(0);
        let key = r.opt_bytes().ok_or_else(|| corrupt("truncated key"))?;
        let value = r.opt_bytes().ok_or_else(|| corrupt("truncated value"))?;
        let count = r.u32().ok_or_else(|| corrupt("truncated header count"))?;
        let mut headers = Vec::new();
        for _ in 0..count {
            let k = r.opt_bytes().flatten().ok_or_else(|| corrupt("truncated header key"))?;
            let k = String::from_utf8(k).map_err(|_| corrupt("header key is not UTF-8"))?;
            let v = r.opt_bytes().ok_or_else(|| corrupt("truncated header value"))?;
            headers.push((k, v));
        }
        Ok(Self {
            topic: Arc::from(topic),
            partition,
            key: key.map(Bytes::from),
            value: value.map(Bytes::from),
            timestamp,
            headers,
            appended_ms,
        })
    }
}

/// The encoded records of a log segment, in order; a segment cut short
/// yields an error for its last entry instead of a panic.
pub fn segment_entries(segment: &[u8]) -> impl Iterator<Item = Result<&[u8], &'static str>> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        if pos >= segment.len() {
            return None;
        }
        let entry = segment
            .get(pos..pos + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .and_then(|len| segment.get(pos + 4..pos + 4 + len));
        match entry {
            Some(bytes) => {
                pos += 4 + bytes.len();
                Some(Ok(bytes))
            }
            None => {
                pos = segment.len();
                Some(Err("truncated log segment"))
            }
        }
    })
}

fn put_opt_i64(out: &mut Vec<u8>, v: Option<i64>) {
    match v {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
}

fn put_opt_bytes(out: &mut Vec<u8>, v: Option<&[u8]>) {
    match v {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            out.extend_from_slice(&(v.len() as u32).to_le_bytes());
            out.extend_from_slice(v);
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.pos.checked_add(n)?;
        let slice = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(slice)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn opt_i64(&mut self) -> Option<Option<i64>> {
        match self.u8()? {
            0 => Some(None),
            _ => {
                let b = self.take(8)?;
                let mut a = [0u8; 8];
                a.copy_from_slice(b);
                Some(Some(i64::from_le_bytes(a)))
            }
        }
    }
    fn opt_bytes(&mut self) -> Option<Option<Vec<u8>>> {
        match self.u8()? {
            0 => Some(None),
            _ => {
                let len = self.u32()? as usize;
                self.take(len).map(|b| Some(b.to_vec()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_field() {
        let record = LogRecord {
            topic: "t".into(),
            partition: Some(3),
            key: Some(Bytes::from_static(b"k")),
            value: None,
            timestamp: Some(-5),
            headers: vec![("h".into(), Some(vec![0, 255])), ("n".into(), None)],
            appended_ms: 42,
        };
        assert_eq!(LogRecord::decode("t", &record.encode()).unwrap(), record);
    }

    #[test]
    fn segments_hold_records_in_order_and_report_truncation() {
        let record = |n: u8| LogRecord {
            topic: "t".into(),
            partition: None,
            key: Some(vec![n].into()),
            value: Some(vec![n; usize::from(n)].into()),
            timestamp: None,
            headers: vec![],
            appended_ms: 7,
        };
        let mut segment = Vec::new();
        for n in 0..3 {
            record(n).append_to_segment(&mut segment, 7);
        }
        let decoded: Vec<LogRecord> =
            segment_entries(&segment).map(|e| LogRecord::decode("t", e.unwrap()).unwrap()).collect();
        assert_eq!(decoded, vec![record(0), record(1), record(2)]);
        let cut = &segment[..segment.len() - 1];
        let entries: Vec<_> = segment_entries(cut).collect();
        assert_eq!(entries.len(), 3);
        assert!(entries[2].is_err(), "the cut entry is an error");
    }

    #[test]
    fn truncated_bytes_are_an_error_not_a_panic() {
        let record = LogRecord {
            topic: "t".into(),
            partition: None,
            key: Some(vec![1; 10].into()),
            value: Some(vec![2; 10].into()),
            timestamp: None,
            headers: vec![],
            appended_ms: 0,
        };
        let bytes = record.encode();
        for cut in 0..bytes.len() {
            assert!(LogRecord::decode("t", &bytes[..cut]).is_err(), "cut at {cut} decoded");
        }
    }
}

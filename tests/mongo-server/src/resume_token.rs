//! Resume tokens: MongoDB's shape, `{_data: "<hex>"}`, over our own content.
//!
//! MongoDB's `_data` is an opaque, hex-encoded KeyString whose byte order is
//! the event order (https://www.mongodb.com/docs/manual/changeStreams/#resume-tokens).
//! Ours is the hex of a big-endian [`Position`]: cluster time seconds,
//! increment, sequence within that cluster time, and kind; so comparing two
//! tokens' strings compares their positions, as with MongoDB's.

use bson::{Bson, Document, Timestamp, doc};

use crate::error::CommandError;

/// Whether a position names an ordinary event (or a high-water mark between
/// events) or the `invalidate` that follows a collection drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TokenKind {
    /// An event or a high-water mark.
    Event = 0,
    /// An `invalidate` event; only `startAfter` may resume from one.
    Invalidate = 1,
}

/// A point in the change log, totally ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// Cluster time seconds.
    pub time: u32,
    /// Cluster time increment.
    pub increment: u32,
    /// Order among events sharing one cluster time (a transaction's), and
    /// `u32::MAX` for a high-water mark after everything at that time.
    pub seq: u32,
    /// Event or invalidate.
    pub kind: TokenKind,
}

const ENCODED_LEN: usize = 13;

impl Position {
    /// The event at `cluster_time` with sequence `seq`.
    pub fn event(cluster_time: Timestamp, seq: u32) -> Self {
        Self { time: cluster_time.time, increment: cluster_time.increment, seq, kind: TokenKind::Event }
    }

    /// The high-water mark after every event at or before `cluster_time`.
    pub fn after_all_at(cluster_time: Timestamp) -> Self {
        Self::event(cluster_time, u32::MAX)
    }

    /// The position just before the first event at `cluster_time`, for
    /// `startAtOperationTime` (which includes events at that time).
    pub fn just_before(cluster_time: Timestamp) -> Self {
        match (cluster_time.time, cluster_time.increment) {
            (0, 0) => Self::event(cluster_time, 0),
            (t, 0) => Self::after_all_at(Timestamp { time: t - 1, increment: u32::MAX }),
            (t, i) => Self::after_all_at(Timestamp { time: t, increment: i - 1 }),
        }
    }

    /// The cluster time part.
    pub fn cluster_time(&self) -> Timestamp {
        Timestamp { time: self.time, increment: self.increment }
    }

    /// The token document, `{_data: "<26 hex digits>"}`.
    pub fn to_token(&self) -> Document {
        let mut bytes = [0u8; ENCODED_LEN];
        bytes[0..4].copy_from_slice(&self.time.to_be_bytes());
        bytes[4..8].copy_from_slice(&self.increment.to_be_bytes());
        bytes[8..12].copy_from_slice(&self.seq.to_be_bytes());
        bytes[12] = self.kind as u8;
        let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
        doc! { "_data": hex }
    }

    /// Reads a token a client sent back (`resumeAfter`, `startAfter`).
    pub fn from_token(token: &Bson) -> Result<Self, CommandError> {
        let invalid = || CommandError::new(260, "InvalidResumeToken", format!("invalid resume token: {token}"));
        let data = match token {
            Bson::Document(d) => d.get_str("_data").map_err(|_| invalid())?,
            _ => return Err(invalid()),
        };
        if data.len() != ENCODED_LEN * 2 || !data.is_ascii() {
            return Err(invalid());
        }
        let mut bytes = [0u8; ENCODED_LEN];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&data[i * 2..i * 2 + 2], 16).map_err(|_| invalid())?;
        }
        let word = |i: usize| u32::from_be_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
        let kind = match bytes[12] {
            0 => TokenKind::Event,
            1 => TokenKind::Invalidate,
            _ => return Err(invalid()),
        };
        Ok(Self { time: word(0), increment: word(4), seq: word(8), kind })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(time: u32, increment: u32) -> Timestamp {
        Timestamp { time, increment }
    }

    fn data(p: Position) -> String {
        p.to_token().get_str("_data").unwrap().to_owned()
    }

    #[test]
    fn token_strings_sort_as_positions_do() {
        let mut positions = [
            Position::event(ts(1_700_000_000, 2), 0),
            Position::after_all_at(ts(1_700_000_000, 1)),
            Position::event(ts(1_700_000_000, 1), 0),
            Position::event(ts(1_700_000_001, 0), 0),
            Position { kind: TokenKind::Invalidate, ..Position::event(ts(1_700_000_000, 2), 0) },
            Position::event(ts(1_699_999_999, u32::MAX), 7),
        ];
        positions.sort();
        let strings: Vec<String> = positions.iter().map(|p| data(*p)).collect();
        let mut sorted = strings.clone();
        sorted.sort();
        assert_eq!(strings, sorted);
        assert_eq!(positions[1], Position::event(ts(1_700_000_000, 1), 0));
        assert_eq!(positions[2], Position::after_all_at(ts(1_700_000_000, 1)));
    }

    #[test]
    fn tokens_round_trip() {
        let p = Position { kind: TokenKind::Invalidate, ..Position::event(ts(1_700_000_000, 42), 3) };
        let token = Bson::Document(p.to_token());
        assert_eq!(data(p), "6553F1000000002A0000000301");
        assert_eq!(Position::from_token(&token).unwrap(), p);
    }

    #[test]
    fn just_before_precedes_every_event_at_that_time_and_follows_earlier_ones() {
        let start = Position::just_before(ts(100, 5));
        assert!(start < Position::event(ts(100, 5), 0));
        assert!(start > Position::event(ts(100, 4), 9));
        let start = Position::just_before(ts(100, 0));
        assert!(start < Position::event(ts(100, 0), 0));
        assert!(start > Position::event(ts(99, 123), 0));
    }

    #[test]
    fn malformed_tokens_are_invalid_resume_token_errors() {
        for bad in [Bson::String("x".into()), Bson::Document(doc! { "_data": "ZZ" }), Bson::Document(doc! {})] {
            assert_eq!(Position::from_token(&bad).unwrap_err().code, 260);
        }
    }
}

//! The connector's offset: Debezium's binlog keys (`file`, `pos`, `gtids`,
//! `event`, `row`, `ts_sec`, `server_id`, `snapshot`), so offsets read and
//! altered through the REST API look as they do with Debezium.

use serde_json::{Map, Value as Json};

/// Partition `{"server": <topic.prefix>}`.
pub fn partition(prefix: &str) -> String {
    let mut m = Map::new();
    m.insert("server".into(), Json::String(prefix.to_string()));
    Json::Object(m).to_string()
}

/// Where a restart resumes: the binlog coordinates of the transaction (or
/// event) to start from, and how much of it was already emitted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Offset {
    /// Binlog file to restart from.
    pub file: String,
    /// Position in it: the current transaction's first event, or the next
    /// event outside a transaction.
    pub pos: u64,
    /// GTID set completed before the current transaction.
    pub gtids: Option<String>,
    /// Events after `pos` already processed.
    pub event: u64,
    /// Rows of the next event already emitted.
    pub row: u64,
    /// Source time, seconds.
    pub ts_sec: Option<i64>,
    /// Server id of the event (omitted when 0).
    pub server_id: u64,
    /// `INITIAL` while the initial snapshot runs.
    pub snapshot: Option<String>,
}

impl Offset {
    /// The JSON object. Written by hand: it is built for every event.
    pub fn to_json(&self) -> String {
        self.row_offsets().row(self.row)
    }

    /// The JSON split around `row`, the only key that differs between the
    /// records of one rows event: built once per event, each row's offset
    /// is then two copies and a number (`self.row` is not used).
    pub fn row_offsets(&self) -> RowOffsets {
        let mut head = String::with_capacity(96);
        head.push('{');
        if self.server_id != 0 {
            head.push_str("\"server_id\":");
            weir_json::write_u64(&mut head, self.server_id);
            head.push(',');
        }
        if let Some(g) = &self.gtids {
            head.push_str("\"gtids\":");
            weir_json::write_string(&mut head, g);
            head.push(',');
        }
        head.push_str("\"file\":");
        weir_json::write_string(&mut head, &self.file);
        head.push_str(",\"pos\":");
        weir_json::write_u64(&mut head, self.pos);
        if self.event != 0 {
            head.push_str(",\"event\":");
            weir_json::write_u64(&mut head, self.event);
        }
        let mut tail = String::with_capacity(48);
        if let Some(ts) = self.ts_sec {
            tail.push_str(",\"ts_sec\":");
            weir_json::write_i64(&mut tail, ts);
        }
        if let Some(s) = &self.snapshot {
            tail.push_str(",\"snapshot\":");
            weir_json::write_string(&mut tail, s);
        }
        tail.push('}');
        RowOffsets { head, tail }
    }

    /// Reads an offset as Debezium's loader does (a legacy `snapshot: true`
    /// means an initial snapshot). `Err` says what is wrong: Debezium
    /// refuses an offset without `file`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let v: Json = serde_json::from_str(text).map_err(|e| format!("the offset is not JSON: {e}"))?;
        let o = v.as_object().ok_or("the offset is not a JSON object")?;
        let u = |k: &str| o.get(k).and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
        let file = o
            .get("file")
            .and_then(Json::as_str)
            .filter(|f| !f.is_empty())
            .ok_or("Source offset 'file' parameter is missing")?;
        let snapshot = match o.get("snapshot") {
            Some(Json::String(s)) if s.eq_ignore_ascii_case("false") => None,
            Some(Json::String(s)) if s.eq_ignore_ascii_case("true") => Some("INITIAL".to_string()),
            Some(Json::String(s)) => Some(s.to_ascii_uppercase()),
            Some(Json::Bool(true)) => Some("INITIAL".to_string()),
            _ => None,
        };
        let completed =
            o.get("snapshot_completed").is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"));
        Ok(Self {
            file: file.to_string(),
            pos: u("pos").unwrap_or(4),
            gtids: o.get("gtids").and_then(Json::as_str).map(|g| g.replace(['\n', '\r'], "")).filter(|g| !g.is_empty()),
            event: u("event").unwrap_or(0),
            row: u("row").unwrap_or(0),
            ts_sec: o.get("ts_sec").and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok())),
            server_id: u("server_id").unwrap_or(0),
            snapshot: snapshot.filter(|_| !completed),
        })
    }

    /// Whether this offset was written by a snapshot that had not finished.
    pub fn snapshot_in_progress(&self) -> bool {
        self.snapshot.is_some()
    }
}

/// An offset's JSON text without its `row` key (see [`Offset::row_offsets`]).
#[derive(Debug, Clone)]
pub struct RowOffsets {
    head: String,
    tail: String,
}

impl RowOffsets {
    /// The offset with `row` rows of the event emitted (the key is omitted for 0).
    pub fn row(&self, row: u64) -> String {
        let mut out = String::with_capacity(self.head.len() + self.tail.len() + 28);
        out.push_str(&self.head);
        if row != 0 {
            out.push_str(",\"row\":");
            weir_json::write_u64(&mut out, row);
        }
        out.push_str(&self.tail);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_debeziums_keys() {
        // Debezium's log line in the reference's MySQL capture.
        let o = Offset::parse(
            r#"{"ts_sec":1747657773,"file":"mysql-bin.000007","pos":1002,"row":1,"server_id":223344,"event":2}"#,
        )
        .expect("offset");
        assert_eq!((o.file.as_str(), o.pos, o.event, o.row, o.server_id), ("mysql-bin.000007", 1002, 2, 1, 223_344));
        assert_eq!(
            o.to_json(),
            r#"{"server_id":223344,"file":"mysql-bin.000007","pos":1002,"event":2,"row":1,"ts_sec":1747657773}"#
        );
        assert_eq!(Offset::parse(&o.to_json()), Ok(o));
        assert_eq!(partition("db1"), r#"{"server":"db1"}"#);
    }

    #[test]
    fn row_offsets_match_the_whole_offset() {
        let o = Offset {
            file: "b.\"1".into(),
            pos: u64::MAX,
            gtids: Some("0-1-5".into()),
            event: 3,
            row: 0,
            ts_sec: Some(-5),
            server_id: 7,
            snapshot: Some("INITIAL".into()),
        };
        let rows = o.row_offsets();
        for row in [0, 1, 10, 12345] {
            let whole = Offset { row, ..o.clone() };
            assert_eq!(rows.row(row), whole.to_json());
            assert_eq!(Offset::parse(&rows.row(row)), Ok(whole));
        }
        assert_eq!(
            rows.row(2),
            r#"{"server_id":7,"gtids":"0-1-5","file":"b.\"1","pos":18446744073709551615,"event":3,"row":2,"ts_sec":-5,"snapshot":"INITIAL"}"#
        );
    }

    #[test]
    fn snapshot_markers_and_missing_file() {
        let legacy = Offset::parse(r#"{"file":"b.000001","pos":4,"snapshot":true}"#).expect("offset");
        assert!(legacy.snapshot_in_progress());
        let done = Offset::parse(r#"{"file":"b.000001","pos":4,"snapshot":"INITIAL","snapshot_completed":true}"#)
            .expect("offset");
        assert!(!done.snapshot_in_progress());
        assert_eq!(Offset::parse(r#"{"pos":4}"#), Err("Source offset 'file' parameter is missing".into()));
        let gtids = Offset::parse("{\"file\":\"b.1\",\"pos\":4,\"gtids\":\"0-1-5,\\n1-1-9\"}").expect("offset");
        assert_eq!(gtids.gtids.as_deref(), Some("0-1-5,1-1-9"));
    }
}

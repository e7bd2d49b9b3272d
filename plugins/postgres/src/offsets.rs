//! The connector's offset: Debezium's PostgreSQL keys, so offsets read and
//! altered through the REST API look as they do with Debezium.

use serde_json::{Map, Value as Json};

/// Partition `{"server": <topic.prefix>}`.
pub fn partition(prefix: &str) -> String {
    let mut m = Map::new();
    m.insert("server".into(), Json::String(prefix.to_string()));
    Json::Object(m).to_string()
}

/// Appends `"key":value` when there is a value (numbers and booleans print
/// as JSON; strings come as `Json` so they are quoted and escaped).
fn field(out: &mut String, key: &str, value: Option<impl std::fmt::Display>) {
    use std::fmt::Write;
    if let Some(v) = value {
        if out.len() > 1 {
            out.push(',');
        }
        let _ = write!(out, "\"{key}\":{v}");
    }
}

/// One offset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Offset {
    /// LSN of the event.
    pub lsn: Option<u64>,
    /// Last completely processed LSN.
    pub lsn_proc: Option<u64>,
    /// End LSN of the last transaction whose events are all emitted.
    pub lsn_commit: Option<u64>,
    /// Transaction id.
    pub tx_id: Option<i64>,
    /// Commit time, µs since the epoch.
    pub ts_usec: Option<i64>,
    /// `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE`, `MESSAGE`, `COMMIT`.
    pub message_type: Option<String>,
    /// `INITIAL` while the snapshot runs.
    pub snapshot: Option<String>,
    /// The last record of the snapshot.
    pub last_snapshot_record: Option<bool>,
    /// The snapshot finished.
    pub snapshot_completed: Option<bool>,
    /// Weir's addition: how many events of transaction `txId` are emitted
    /// up to and including this one, so a restart inside a transaction
    /// skips exactly those (several rows of one statement can share an LSN).
    pub tx_event: Option<u64>,
}

impl Offset {
    /// The JSON object. Written by hand: it is built for every event.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(160);
        out.push('{');
        field(&mut out, "lsn_proc", self.lsn_proc);
        field(&mut out, "lsn_commit", self.lsn_commit);
        field(&mut out, "lsn", self.lsn);
        field(&mut out, "txId", self.tx_id);
        field(&mut out, "ts_usec", self.ts_usec);
        field(&mut out, "messageType", self.message_type.as_deref().map(Json::from));
        field(&mut out, "snapshot", self.snapshot.as_deref().map(Json::from));
        field(&mut out, "last_snapshot_record", self.last_snapshot_record);
        field(&mut out, "snapshot_completed", self.snapshot_completed);
        field(&mut out, "tx_event", self.tx_event);
        out.push('}');
        out
    }

    /// Reads an offset, as Debezium's loader does (a legacy `snapshot: true`
    /// means an initial snapshot). `None` when the text is not an object.
    pub fn parse(text: &str) -> Option<Self> {
        let v: Json = serde_json::from_str(text).ok()?;
        let o = v.as_object()?;
        let u = |k: &str| o.get(k).and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
        let i = |k: &str| o.get(k).and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
        let b = |k: &str| o.get(k).and_then(|v| v.as_bool().or_else(|| v.as_str()?.parse().ok()));
        let snapshot = match o.get("snapshot") {
            Some(Json::String(s)) if s.eq_ignore_ascii_case("false") => None,
            Some(Json::String(s)) if s.eq_ignore_ascii_case("true") => Some("INITIAL".to_string()),
            Some(Json::String(s)) => Some(s.clone()),
            Some(Json::Bool(true)) => Some("INITIAL".to_string()),
            _ => None,
        };
        Some(Self {
            lsn: u("lsn"),
            lsn_proc: u("lsn_proc"),
            lsn_commit: u("lsn_commit"),
            tx_id: i("txId"),
            ts_usec: i("ts_usec"),
            message_type: o.get("messageType").and_then(Json::as_str).map(str::to_string),
            snapshot,
            last_snapshot_record: b("last_snapshot_record"),
            snapshot_completed: b("snapshot_completed"),
            tx_event: u("tx_event"),
        })
    }

    /// Whether this offset was written by a snapshot that had not finished.
    pub fn snapshot_in_progress(&self) -> bool {
        self.snapshot.is_some() && self.last_snapshot_record != Some(true) && self.snapshot_completed != Some(true)
    }

    /// Where streaming resumes: the end of the last complete transaction,
    /// else the last processed LSN.
    pub fn resume_lsn(&self) -> u64 {
        self.lsn_commit.or(self.lsn_proc).or(self.lsn).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_debeziums_captured_offset() {
        let o = Offset::parse(
            r#"{"lsn_proc":37051152,"messageType":"INSERT","lsn_commit":36989040,"lsn":37051152,"txId":1007,"ts_usec":1767208115470483}"#,
        )
        .expect("object");
        assert_eq!(o.lsn, Some(37_051_152));
        assert_eq!(o.resume_lsn(), 36_989_040);
        assert!(!o.snapshot_in_progress());
        assert_eq!(Offset::parse(&o.to_json()), Some(o));
        let legacy = Offset::parse(r#"{"lsn":5,"snapshot":true,"last_snapshot_record":false}"#).expect("object");
        assert!(legacy.snapshot_in_progress());
        assert_eq!(partition("db1"), r#"{"server":"db1"}"#);
    }
}

//! The schema history: every DDL statement the connector applied (the
//! snapshot's `CREATE` statements and the binlog's DDL), kept durably in
//! the worker's key-value store with its binlog position. On restart the
//! statements before the resume position are replayed, so the table
//! definitions match the binlog events that follow — Debezium's schema
//! history topic, without a topic.

use serde_json::{Value as Json, json};

use crate::catalog::{Catalog, Change};
use crate::ddl;
use crate::gtid::{Gtid, GtidSet};

/// Key prefix of history records; the suffix is a zero-padded sequence
/// number, so `kv-keys` returns them in order.
const PREFIX: &str = "schema-history/";

/// A binlog position: file and offset, ordered as the server writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinlogPos {
    /// Binlog file name, e.g. `mariadb-bin.000003`.
    pub file: String,
    /// Offset in the file.
    pub pos: u64,
}

impl BinlogPos {
    /// Whether this position comes before `other`. Files compare by their
    /// numeric extension (the server numbers them in sequence).
    pub fn before(&self, other: &BinlogPos) -> bool {
        let seq = |f: &str| f.rsplit('.').next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0);
        (seq(&self.file), self.pos) < (seq(&other.file), other.pos)
    }
}

/// One recorded statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Where the statement is in the binlog (the snapshot's position for
    /// the snapshot's statements).
    pub at: BinlogPos,
    /// The default database the statement ran in.
    pub db: String,
    /// The statement.
    pub ddl: String,
    /// Recorded by the snapshot (replayed whatever the resume position:
    /// the snapshot's statements sit at the position streaming starts from).
    pub snapshot: bool,
    /// The GTID of the statement's transaction, when the server wrote one.
    pub gtid: Option<String>,
}

/// Where streaming resumes, as the history compares it with its entries.
#[derive(Debug, Clone)]
pub struct Resume {
    /// The offset's file and position.
    pub at: BinlogPos,
    /// The offset's GTIDs, when it has them.
    pub gtids: Option<GtidSet>,
}

impl Resume {
    /// Whether `entry` ran before this point, so its statement shapes the
    /// tables here. As Debezium decides: by GTID when both sides have them
    /// (the offset's set holds the statement's transaction), since a
    /// failover moves streaming to files with other names and positions;
    /// else by file and position.
    pub fn follows(&self, entry: &Entry) -> bool {
        let by_gtid = self.gtids.as_ref().zip(entry.gtid.as_deref()).and_then(|(set, text)| {
            let gtid = Gtid::parse(set.flavor(), text).ok()?;
            Some(set.contains(&gtid))
        });
        by_gtid.unwrap_or_else(|| entry.at.before(&self.at))
    }
}

/// The durable history and the next sequence number.
#[derive(Debug, Default)]
pub struct History {
    next: u64,
}

impl History {
    /// Opens the history: rebuilds `catalog` from the statements recorded
    /// before `resume` (all of them when `None`) and forgets the rest, which
    /// streaming will meet and record again.
    pub fn open(catalog: &mut Catalog, resume: Option<&Resume>) -> Self {
        let mut next = 0;
        for key in weir_sdk::host::kv_keys(PREFIX) {
            let entry = weir_sdk::host::kv_get(&key).and_then(|b| parse(&b));
            let Some(entry) = entry else {
                weir_sdk::host::warn(&format!("schema history record {key} is unreadable; skipping it"));
                continue;
            };
            if !entry.snapshot && resume.is_some_and(|r| !r.follows(&entry)) {
                weir_sdk::host::kv_delete(&key);
                continue;
            }
            if let Err(e) = ddl::apply(catalog, &entry.db, &entry.ddl) {
                weir_sdk::host::warn(&format!("schema history: cannot replay `{}`: {e}", entry.ddl));
            }
            next = key.strip_prefix(PREFIX).and_then(|n| n.parse::<u64>().ok()).map_or(next, |n| n + 1);
        }
        Self { next }
    }

    /// Forgets everything (a new snapshot records the schema afresh).
    pub fn clear(&mut self) {
        for key in weir_sdk::host::kv_keys(PREFIX) {
            weir_sdk::host::kv_delete(&key);
        }
        self.next = 0;
    }

    /// Records a statement durably (before any offset past it is committed).
    pub fn record(&mut self, entry: &Entry) {
        let mut value = json!({
            "file": entry.at.file, "pos": entry.at.pos, "db": entry.db, "ddl": entry.ddl, "snapshot": entry.snapshot,
        });
        if let Some(gtid) = &entry.gtid {
            value["gtid"] = json!(gtid);
        }
        weir_sdk::host::kv_put(&format!("{PREFIX}{:020}", self.next), value.to_string().as_bytes());
        self.next += 1;
    }

    /// Applies a statement to `catalog` and records it when it changed
    /// anything; returns what changed (with the definitions of dropped
    /// tables, for their schema change events).
    pub fn apply(&mut self, catalog: &mut Catalog, entry: &Entry) -> Result<ddl::Applied, ddl::DdlError> {
        let applied = ddl::apply_with_dropped(catalog, &entry.db, &entry.ddl)?;
        if applied.changes.iter().any(|c| !matches!(c, Change::Truncate(_))) {
            self.record(entry);
        }
        Ok(applied)
    }
}

fn parse(bytes: &[u8]) -> Option<Entry> {
    let v: Json = serde_json::from_slice(bytes).ok()?;
    Some(Entry {
        at: BinlogPos { file: v.get("file")?.as_str()?.to_string(), pos: v.get("pos")?.as_u64()? },
        db: v.get("db")?.as_str()?.to_string(),
        ddl: v.get("ddl")?.as_str()?.to_string(),
        snapshot: v.get("snapshot").and_then(Json::as_bool).unwrap_or(false),
        gtid: v.get("gtid").and_then(Json::as_str).map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_order_by_file_number_then_offset() {
        let p = |f: &str, pos| BinlogPos { file: f.into(), pos };
        assert!(p("bin.000002", 900).before(&p("bin.000010", 4)));
        assert!(p("bin.000002", 4).before(&p("bin.000002", 5)));
        assert!(!p("bin.000002", 5).before(&p("bin.000002", 5)));
    }

    #[test]
    fn entries_round_trip() {
        let e = Entry {
            at: BinlogPos { file: "b.000001".into(), pos: 42 },
            db: "shop".into(),
            ddl: "DROP TABLE t".into(),
            snapshot: true,
            gtid: None,
        };
        let v = json!({"file": "b.000001", "pos": 42, "db": "shop", "ddl": "DROP TABLE t", "snapshot": true});
        assert_eq!(parse(v.to_string().as_bytes()), Some(e.clone()));
        let with_gtid = Entry { gtid: Some("0-1-9".into()), ..e };
        let mut v = v;
        v["gtid"] = json!("0-1-9");
        assert_eq!(parse(v.to_string().as_bytes()), Some(with_gtid));
        assert_eq!(parse(b"{}"), None);
    }

    #[test]
    fn entries_are_placed_by_gtid_when_both_sides_have_one() {
        use crate::gtid::Flavor;
        let entry = |file: &str, pos, gtid: Option<&str>| Entry {
            at: BinlogPos { file: file.into(), pos },
            db: "shop".into(),
            ddl: "ALTER TABLE t ADD b INT".into(),
            snapshot: false,
            gtid: gtid.map(str::to_string),
        };
        // After a failover the offset names another server's file, which
        // numbers past the entry: by position the ALTER would seem to have run.
        let resume = |gtids: Option<&str>| Resume {
            at: BinlogPos { file: "other-bin.000099".into(), pos: 4 },
            gtids: gtids.map(|g| GtidSet::parse(Flavor::MariaDb, g).expect("gtids")),
        };
        let alter = entry("mariadb-bin.000001", 900, Some("0-1-7"));
        assert!(!resume(Some("0-1-6")).follows(&alter), "transaction 7 is after the offset");
        assert!(resume(Some("0-1-7")).follows(&alter));
        assert!(resume(None).follows(&alter), "without GTIDs, by position");
        assert!(!Resume { at: BinlogPos { file: "mariadb-bin.000001".into(), pos: 900 }, gtids: None }.follows(&alter));
        let no_gtid = entry("mariadb-bin.000001", 900, None);
        assert!(resume(Some("0-1-6")).follows(&no_gtid), "an entry without one, by position");
        // MySQL: membership in the set.
        let a = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
        let mysql = entry("binlog.000001", 900, Some(&format!("{a}:12")));
        let set = |t: &str| Resume {
            at: BinlogPos { file: "binlog.000009".into(), pos: 4 },
            gtids: Some(GtidSet::parse(Flavor::MySql, t).expect("set")),
        };
        assert!(set(&format!("{a}:1-12")).follows(&mysql));
        assert!(!set(&format!("{a}:1-11:13")).follows(&mysql));
    }
}

//! The initial snapshot: every captured collection read with `find` in
//! batches (`op: "r"`), all offsets pointing at the change stream position
//! where streaming resumes.
//!
//! Nothing is lost or doubled at the hand-off: the collections are read at
//! one cluster time T (`readConcern: {level: "snapshot", atClusterTime: T}`,
//! MongoDB 5.0+) and the stream starts just after T. Where the server
//! refuses point-in-time reads, or the snapshot outlives its history
//! (`SnapshotTooOld`, after `minSnapshotHistoryWindowInSeconds`), the rest
//! is read as it is now: a change made during the copy may then be seen
//! twice, as a read and as its change event, as with Debezium.

use std::collections::VecDeque;

use weir_debezium::envelope::Op;
use weir_debezium::source::SnapshotMarker;
use weir_sdk::SourceRecord;

use crate::bson::{Bson, Doc};
use crate::config::MongoConfig;
use crate::error::MongoError;
use crate::events::{Change, Emitter, Source};
use crate::extjson;
use crate::offsets::Offset;
use crate::stream::{Start, Stream, exclude};
use crate::wire::{MongoConn, cursor_batch};

/// `SnapshotTooOld` and `SnapshotUnavailable`: the point in time can no
/// longer be read.
const SNAPSHOT_GONE: [i32; 2] = [239, 246];

/// A snapshot in progress.
pub struct Snapshot {
    /// The change stream position streaming resumes after.
    pub start: Doc,
    /// The cluster time every collection is read at, while the server
    /// serves point-in-time reads.
    at: Option<Bson>,
    todo: VecDeque<(String, String)>,
    cursor: Option<(String, String, i64)>,
}

/// The cluster time just after `at`: where the stream picks up.
fn next_tick(t: u32, i: u32) -> Bson {
    match i.checked_add(1) {
        Some(i) => Bson::Timestamp { t, i },
        None => Bson::Timestamp { t: t.saturating_add(1), i: 0 },
    }
}

/// The captured collections, in database then collection order.
pub fn captured_collections(conn: &mut MongoConn, config: &MongoConfig) -> Result<Vec<(String, String)>, MongoError> {
    let reply = conn.command("admin", Doc::new().with("listDatabases", 1).with("nameOnly", true))?;
    let mut dbs: Vec<String> = reply
        .array("databases")
        .unwrap_or_default()
        .iter()
        .filter_map(|d| if let Bson::Document(d) = d { d.str("name").map(str::to_string) } else { None })
        .filter(|db| !matches!(db.as_str(), "admin" | "config" | "local") && config.databases.accepts(db))
        .collect();
    dbs.sort();
    let mut out = Vec::new();
    for db in dbs {
        let reply = conn.command(
            &db,
            Doc::new().with("listCollections", 1).with("filter", Doc::new().with("type", "collection")),
        )?;
        let (_, _, docs, _) = cursor_batch(&reply)?;
        let mut names: Vec<String> = docs.iter().filter_map(|d| d.str("name").map(str::to_string)).collect();
        names.sort();
        out.extend(names.into_iter().filter(|c| config.captures(&db, c)).map(|c| (db.clone(), c)));
    }
    Ok(out)
}

/// A JSON query (`snapshot.collection.filter.overrides.<db>.<coll>`) as BSON,
/// with `$oid`, `$date`, `$numberLong` and `$numberDecimal`-free extended JSON.
pub fn json_to_bson(v: &serde_json::Value) -> Bson {
    use serde_json::Value as J;
    match v {
        J::Null => Bson::Null,
        J::Bool(b) => Bson::Boolean(*b),
        J::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => i32::try_from(i).map_or(Bson::Int64(i), Bson::Int32),
            (None, Some(f)) => Bson::Double(f),
            _ => Bson::Null,
        },
        J::String(s) => Bson::String(s.clone()),
        J::Array(items) => Bson::Array(items.iter().map(json_to_bson).collect()),
        J::Object(m) => {
            if m.len() == 1 {
                if let Some(oid) = m.get("$oid").and_then(J::as_str)
                    && oid.len() == 24
                {
                    let mut id = [0u8; 12];
                    if (0..12).all(|i| u8::from_str_radix(&oid[2 * i..2 * i + 2], 16).map(|b| id[i] = b).is_ok()) {
                        return Bson::ObjectId(id);
                    }
                }
                if let Some(ms) = m.get("$date").and_then(J::as_i64) {
                    return Bson::DateTime(ms);
                }
                if let Some(n) = m.get("$numberLong").and_then(J::as_str).and_then(|s| s.parse().ok()) {
                    return Bson::Int64(n);
                }
            }
            Bson::Document(Doc(m.iter().map(|(k, v)| (k.clone(), json_to_bson(v))).collect()))
        }
    }
}

impl Snapshot {
    /// Starts a snapshot of `collections`: pins a cluster time with the first
    /// collection's read and records the stream position just after it, or,
    /// where the server cannot read at a point in time, records the
    /// position now, before any read.
    pub fn begin(
        conn: &mut MongoConn,
        config: &MongoConfig,
        collections: Vec<(String, String)>,
    ) -> Result<Self, MongoError> {
        let mut snapshot = Self { start: Doc::new(), at: None, todo: collections.into(), cursor: None };
        if let Some((db, coll)) = snapshot.todo.front().cloned() {
            let find = snapshot.find(config, &db, &coll, 0).with("readConcern", Doc::new().with("level", "snapshot"));
            match conn.command(&db, find) {
                Ok(reply) => {
                    let (id, _, _, _) = cursor_batch(&reply)?;
                    match reply.doc("cursor").and_then(|c| c.get("atClusterTime")) {
                        Some(&Bson::Timestamp { t, i }) => {
                            snapshot.at = Some(Bson::Timestamp { t, i });
                            snapshot.todo.pop_front();
                            snapshot.cursor = (id != 0).then_some((db, coll, id));
                            snapshot.start = position(conn, config, Start::At(next_tick(t, i)))?;
                            crate::log_info(&format!("Snapshot reads at cluster time {t}.{i}"));
                            return Ok(snapshot);
                        }
                        _ => conn.kill_cursor(&db, &coll, id),
                    }
                }
                Err(e @ MongoError::Command { .. }) => crate::log_info(&format!(
                    "The server refused a point-in-time read ({e}); a change made while the snapshot runs may be \
                     read twice"
                )),
                Err(e) => return Err(e),
            }
        }
        snapshot.start = position(conn, config, Start::Now)?;
        Ok(snapshot)
    }

    /// The `find` for a collection, at the snapshot's cluster time if any.
    fn find(&self, config: &MongoConfig, db: &str, coll: &str, batch: i32) -> Doc {
        let mut find = Doc::new().with("find", coll).with("batchSize", batch);
        let name = format!("{db}.{coll}");
        if let Some((_, filter)) = config.snapshot_filters.iter().find(|(c, _)| *c == name)
            && let Ok(json) = serde_json::from_str::<serde_json::Value>(filter)
        {
            find.push("filter", json_to_bson(&json));
        }
        if let Some(at) = &self.at {
            find.push("readConcern", Doc::new().with("level", "snapshot").with("atClusterTime", at.clone()));
        }
        find
    }

    /// Reads the next batch; `true` when the snapshot is complete.
    pub fn read(
        &mut self,
        conn: &mut MongoConn,
        config: &MongoConfig,
        emitter: &mut Emitter,
        out: &mut Vec<SourceRecord>,
    ) -> Result<bool, MongoError> {
        let batch = i32::try_from(config.common.max_batch_size).unwrap_or(i32::MAX);
        let batch = if config.fetch_size > 0 { config.fetch_size.min(batch) } else { batch };
        let (db, coll, reply) = match self.cursor.take() {
            Some((db, coll, id)) => {
                let get_more = Doc::new()
                    .with("getMore", Bson::Int64(id))
                    .with("collection", coll.as_str())
                    .with("batchSize", batch);
                let reply = conn.command(&db, get_more);
                (db, coll, reply)
            }
            None => {
                let Some((db, coll)) = self.todo.pop_front() else { return Ok(true) };
                crate::log_info(&format!("Snapshotting {db}.{coll}"));
                let reply = conn.command(&db, self.find(config, &db, &coll, batch));
                (db, coll, reply)
            }
        };
        let reply = match reply {
            Err(e) if self.at.is_some() && e.code().is_some_and(|c| SNAPSHOT_GONE.contains(&c)) => {
                // Start this collection over as it is now; its reads so far
                // are emitted again, and later changes may be seen twice.
                weir_sdk::host::warn(&format!(
                    "The snapshot's point in time is no longer readable ({e}); reading {db}.{coll} and the rest \
                     as they are now"
                ));
                self.at = None;
                self.todo.push_front((db, coll));
                return Ok(false);
            }
            reply => reply?,
        };
        let (next, _, docs, _) = cursor_batch(&reply)?;
        let offset = Offset { initsync: true, ..Offset::token_only(&self.start) }.to_json();
        let excluded = config.excluded_fields(&db, &coll);
        let now_us = weir_debezium::envelope::now_ns() / 1000;
        for doc in &docs {
            let id = doc.get("_id").map(extjson::id).unwrap_or_else(|| "null".into());
            let change = Change { after: Some(extjson::document(&exclude(doc, &excluded))), ..Change::default() };
            // During a 3.x snapshot the position has only a token: `ord` -1,
            // `ts_ms` the time of reading; MongoDB marks every read `true`.
            let at = Source {
                db: &db,
                collection: &coll,
                ts_us: now_us,
                ord: -1,
                snapshot: SnapshotMarker::True,
                txn: None,
                wall_time: None,
            };
            out.push(emitter.change(Op::Read, id, change, &at, None, offset.clone()));
        }
        if next != 0 {
            self.cursor = Some((db, coll, next));
        }
        Ok(self.cursor.is_none() && self.todo.is_empty())
    }
}

/// The stream position at `start`, as a resume token.
fn position(conn: &mut MongoConn, config: &MongoConfig, start: Start) -> Result<Doc, MongoError> {
    let mut probe = Stream::open(conn, config, start, 0)?;
    let token = probe.resume_token().ok_or_else(|| {
        MongoError::Protocol("the change stream reported no postBatchResumeToken (MongoDB 4.0.7+ needed)".into())
    })?;
    probe.close(conn);
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_bson() {
        let json: serde_json::Value =
            serde_json::from_str(r#"{"a": {"$gt": 5}, "_id": {"$oid": "596e275826f08b2730779e1f"}, "n": 5000000000}"#)
                .expect("json");
        let Bson::Document(d) = json_to_bson(&json) else { panic!("a document") };
        assert_eq!(d.doc("a").and_then(|a| a.get("$gt")), Some(&Bson::Int32(5)));
        assert!(matches!(d.get("_id"), Some(Bson::ObjectId(_))));
        assert_eq!(d.get("n"), Some(&Bson::Int64(5_000_000_000)));
    }
}

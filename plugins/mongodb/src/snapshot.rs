//! The initial snapshot: every captured collection read with `find` in
//! batches (`op: "r"`), all offsets pointing at the change stream position
//! recorded before the first read, so streaming resumes there and nothing is
//! lost at the hand-off (a change made during the copy may be seen twice: as
//! a read, then as its change event, as with Debezium).

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
use crate::stream::exclude;
use crate::wire::{MongoConn, cursor_batch};

/// A snapshot in progress.
pub struct Snapshot {
    /// The change stream position recorded before the first read.
    pub start: Doc,
    todo: VecDeque<(String, String)>,
    cursor: Option<(String, String, i64)>,
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
    /// A snapshot of `collections` streaming on from `start`.
    pub fn new(start: Doc, collections: Vec<(String, String)>) -> Self {
        Self { start, todo: collections.into(), cursor: None }
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
        let (db, coll, docs, next) = match self.cursor.take() {
            Some((db, coll, id)) => {
                let reply = conn.command(
                    &db,
                    Doc::new()
                        .with("getMore", Bson::Int64(id))
                        .with("collection", coll.as_str())
                        .with("batchSize", batch),
                )?;
                let (next, _, docs, _) = cursor_batch(&reply)?;
                (db, coll, docs, next)
            }
            None => {
                let Some((db, coll)) = self.todo.pop_front() else { return Ok(true) };
                crate::log_info(&format!("Snapshotting {db}.{coll}"));
                let mut find = Doc::new().with("find", coll.as_str()).with("batchSize", batch);
                let name = format!("{db}.{coll}");
                if let Some((_, filter)) = config.snapshot_filters.iter().find(|(c, _)| *c == name)
                    && let Ok(json) = serde_json::from_str::<serde_json::Value>(filter)
                {
                    find.push("filter", json_to_bson(&json));
                }
                let reply = conn.command(&db, find)?;
                let (next, _, docs, _) = cursor_batch(&reply)?;
                (db, coll, docs, next)
            }
        };
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

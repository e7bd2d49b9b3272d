//! Streaming: a `$changeStream` aggregate, `getMore` bounded by the poll's
//! deadline, resume tokens, and turning change events into records.

use std::time::{Duration, Instant};

use weir_debezium::envelope::Op;
use weir_debezium::source::SnapshotMarker;
use weir_debezium::transaction::Tracker;
use weir_sdk::SourceRecord;

use crate::bson::{Bson, Doc};
use crate::config::{CaptureScope, MongoConfig};
use crate::error::MongoError;
use crate::events::{Change, Emitter, Source};
use crate::extjson;
use crate::offsets::{Offset, token_to_base64};
use crate::wire::{MongoConn, cursor_batch};

/// Where a stream starts.
#[derive(Debug, Clone)]
pub enum Start {
    /// Now.
    Now,
    /// After this token (`resumeAfter`).
    After(Doc),
    /// After this token, even an invalidate (`startAfter`).
    PastInvalidate(Doc),
    /// At this cluster time (`startAtOperationTime`).
    At(Bson),
}

impl Start {
    /// From a committed offset: its token, else its cluster time.
    pub fn from_offset(offset: &Offset) -> Self {
        match (offset.token(), offset.operation_time()) {
            (Some(token), _) => Self::After(token),
            (None, Some(at)) => Self::At(at),
            (None, None) => Self::Now,
        }
    }
}

/// An open change stream.
pub struct Stream {
    cursor: i64,
    db: String,
    coll: String,
    pending: Vec<Doc>,
    /// Where the stream stands: the last event emitted, or the
    /// `postBatchResumeToken` when idle.
    pub position: Offset,
    last_token: Option<Doc>,
    /// The open transaction (`provide.transaction.metadata`).
    tx: Tracker,
    /// The open transaction's latest event time, ms.
    tx_ts_ms: i64,
}

/// The `aggregate` command's database and target for a scope.
fn target(scope: &CaptureScope) -> (String, Bson) {
    match scope {
        CaptureScope::Deployment => ("admin".into(), Bson::Int32(1)),
        CaptureScope::Database(db) => (db.clone(), Bson::Int32(1)),
        CaptureScope::Collection(db, coll) => (db.clone(), Bson::String(coll.clone())),
    }
}

impl Stream {
    /// Opens a stream; `batch_size: 0` answers at once with the position.
    pub fn open(conn: &mut MongoConn, config: &MongoConfig, start: Start, batch_size: i32) -> Result<Self, MongoError> {
        let mut spec = Doc::new();
        if config.capture_mode.full_document() {
            spec.push("fullDocument", if config.post_image { "whenAvailable" } else { "updateLookup" });
        }
        if config.capture_mode.pre_image() {
            spec.push("fullDocumentBeforeChange", "whenAvailable");
        }
        match &start {
            Start::Now => {}
            Start::After(t) => spec.push("resumeAfter", t.clone()),
            Start::PastInvalidate(t) => spec.push("startAfter", t.clone()),
            Start::At(ts) => spec.push("startAtOperationTime", ts.clone()),
        }
        if config.scope == CaptureScope::Deployment {
            spec.push("allChangesForCluster", true);
        }
        let (db, aggregate) = target(&config.scope);
        let command = Doc::new()
            .with("aggregate", aggregate)
            .with("pipeline", vec![Bson::Document(Doc::new().with("$changeStream", spec))])
            .with("cursor", Doc::new().with("batchSize", batch_size));
        let reply = conn.command(&db, command)?;
        let (cursor, ns, docs, pbrt) = cursor_batch(&reply)?;
        let coll = ns.split_once('.').map(|(_, c)| c.to_string()).unwrap_or_else(|| "$cmd.aggregate".into());
        let last_token = match &start {
            Start::After(t) | Start::PastInvalidate(t) => Some(t.clone()),
            _ => None,
        };
        // Until an event or a postBatchResumeToken moves it, the stream
        // stands where it resumed (an invalidate is no place to resume at).
        let position = match &start {
            Start::After(t) => Offset::token_only(t),
            _ => Offset::default(),
        };
        let mut s = Self { cursor, db, coll, pending: docs, position, last_token, tx: Tracker::default(), tx_ts_ms: 0 };
        if let Some(t) = pbrt.filter(|_| s.pending.is_empty()) {
            s.position = Offset::token_only(&t);
        }
        Ok(s)
    }

    /// The stream's resume token right now (the snapshot's starting point).
    pub fn resume_token(&self) -> Option<Doc> {
        self.position.token()
    }

    /// Reads what arrives before `deadline` and turns it into records.
    pub fn poll(
        &mut self,
        conn: &mut MongoConn,
        config: &MongoConfig,
        emitter: &mut Emitter,
        deadline: Instant,
        out: &mut Vec<SourceRecord>,
    ) -> Result<(), MongoError> {
        if self.pending.is_empty() {
            if self.cursor == 0 {
                // Invalidated (a dropped collection in collection scope):
                // carry on after the invalidate.
                *self = Self::open(conn, config, self.last_token.clone().map_or(Start::Now, Start::PastInvalidate), 0)?;
                return Ok(());
            }
            let remaining =
                deadline.saturating_duration_since(Instant::now()).saturating_sub(Duration::from_millis(20));
            let mut wait =
                remaining.clamp(Duration::from_millis(1), Duration::from_millis(config.common.poll_interval_ms));
            if !config.max_await.is_zero() {
                wait = wait.min(config.max_await);
            }
            let command = Doc::new()
                .with("getMore", Bson::Int64(self.cursor))
                .with("collection", self.coll.as_str())
                .with("batchSize", i32::try_from(config.common.max_batch_size).unwrap_or(i32::MAX))
                .with("maxTimeMS", Bson::Int64(wait.as_millis() as i64));
            let reply = conn.command_waiting(&self.db, command, wait)?;
            let (cursor, _, docs, pbrt) = cursor_batch(&reply)?;
            self.cursor = cursor;
            self.pending = docs;
            if self.pending.is_empty() {
                // Caught up: the stream is past the open transaction's last
                // event, so it is over (Debezium waits for the next event).
                self.end_transaction(self.tx_ts_ms, emitter, out);
            }
            if self.pending.is_empty()
                && let Some(t) = pbrt
            {
                let b64 = token_to_base64(&t);
                if self.position.resume_token.as_deref() != Some(b64.as_str()) {
                    // Debezium's `noEvent`: only the token moves.
                    self.position = Offset::token_only(&t);
                }
            }
        }
        for event in std::mem::take(&mut self.pending) {
            self.event(&event, config, emitter, out);
        }
        Ok(())
    }

    fn event(&mut self, event: &Doc, config: &MongoConfig, emitter: &mut Emitter, out: &mut Vec<SourceRecord>) {
        let Some(token) = event.doc("_id") else { return };
        // Transaction records carry the position before this event, so a
        // restart after them still reads the event.
        let before = config.common.transaction_metadata.then(|| self.position.to_json());
        self.last_token = Some(token.clone());
        let (sec, ord) = match event.get("clusterTime") {
            Some(Bson::Timestamp { t, i }) => (i64::from(*t), i64::from(*i)),
            _ => (-1, -1),
        };
        let txn = match (event.doc("lsid"), event.int("txnNumber")) {
            (Some(lsid), Some(n)) => Some((extjson::document(lsid), n)),
            _ => None,
        };
        self.position = Offset {
            sec,
            ord,
            resume_token: Some(token_to_base64(token)),
            initsync: false,
            lsid: txn.as_ref().map(|(l, _)| l.clone()),
            txn_number: txn.as_ref().map(|(_, n)| *n),
        };
        let op = match event.str("operationType") {
            Some("insert") => Op::Create,
            Some("update" | "replace") => Op::Update,
            Some("delete") => Op::Delete,
            // drop, rename, dropDatabase, invalidate…: Debezium skips them.
            _ => return,
        };
        let skipped = &config.common.skipped;
        if (op == Op::Create && skipped.create)
            || (op == Op::Update && skipped.update)
            || (op == Op::Delete && skipped.delete)
        {
            return;
        }
        let Some(ns) = event.doc("ns") else { return };
        let (Some(db), Some(coll)) = (ns.str("db"), ns.str("coll")) else { return };
        if !config.captures(db, coll) {
            return;
        }
        let id = event.doc("documentKey").and_then(|k| k.get("_id")).map(extjson::id).unwrap_or_else(|| "null".into());
        let excluded = config.excluded_fields(db, coll);
        let render = |key: &str| match event.get(key) {
            Some(Bson::Document(d)) => Some(extjson::document(&exclude(d, &excluded))),
            _ => None,
        };
        let mut change =
            Change { before: render("fullDocumentBeforeChange"), after: render("fullDocument"), update: None };
        if op == Op::Create {
            change.before = None;
        }
        if op == Op::Delete {
            change.after = None;
        }
        if let Some(desc) = event.doc("updateDescription") {
            change.update = Some(update_description(desc, &excluded));
        }
        let wall_time = match event.get("wallTime") {
            Some(Bson::DateTime(ms)) if *ms != 0 => Some(*ms),
            _ => None,
        };
        // `SourceInfo.timestamp()`: the cluster time's seconds.
        let ts_us = if sec >= 0 { sec * 1_000_000 } else { weir_debezium::envelope::now_ns() / 1000 };
        let at = Source {
            db,
            collection: coll,
            ts_us,
            ord: i32::try_from(ord).unwrap_or(-1),
            snapshot: SnapshotMarker::False,
            txn,
            wall_time,
        };
        let tx_block = match before {
            Some(before) => {
                let id = at.txn.as_ref().map(|(lsid, n)| format!("{lsid}:{n}"));
                self.mark_transaction(id, ts_us / 1000, &before, emitter, out);
                self.tx.event(&format!("{db}.{coll}"))
            }
            None => None,
        };
        let offset = self.position.to_json();
        out.push(emitter.change(op, id.clone(), change, &at, tx_block, offset.clone()));
        if op == Op::Delete && config.common.tombstones_on_delete {
            out.push(emitter.tombstone(db, coll, id, offset));
        }
    }

    /// Debezium's transaction boundaries for an event in transaction `id`
    /// (`TransactionMonitor.dataEvent`): another id, or none, ends the open
    /// transaction; a new id begins one.
    fn mark_transaction(
        &mut self,
        id: Option<String>,
        ts_ms: i64,
        offset: &str,
        emitter: &Emitter,
        out: &mut Vec<SourceRecord>,
    ) {
        if self.tx.id().is_some()
            && self.tx.id() != id.as_deref()
            && let Some((key, value)) = self.tx.end_value(ts_ms)
        {
            out.push(emitter.transaction(key, value, offset.to_string()));
        }
        if let Some(id) = id {
            if self.tx.id().is_none() {
                self.tx.begin(id);
                if let Some((key, value)) = self.tx.begin_value(ts_ms) {
                    out.push(emitter.transaction(key, value, offset.to_string()));
                }
            }
            self.tx_ts_ms = ts_ms;
        }
    }

    /// Ends the open transaction, if any, at the current position.
    fn end_transaction(&mut self, ts_ms: i64, emitter: &Emitter, out: &mut Vec<SourceRecord>) {
        if let Some((key, value)) = self.tx.end_value(ts_ms) {
            out.push(emitter.transaction(key, value, self.position.to_json()));
        }
    }

    /// Closes the server-side cursor.
    pub fn close(&mut self, conn: &mut MongoConn) {
        let (db, coll, id) = (self.db.clone(), self.coll.clone(), self.cursor);
        conn.kill_cursor(&db, &coll, id);
        self.cursor = 0;
    }
}

fn update_description(desc: &Doc, excluded: &[Vec<String>]) -> crate::events::UpdateDescription {
    let is_excluded = |field: &str| {
        excluded.iter().any(|path| {
            let p = path.join(".");
            field == p || field.starts_with(&format!("{p}."))
        })
    };
    let removed = desc
        .array("removedFields")
        .unwrap_or_default()
        .iter()
        .filter_map(|f| if let Bson::String(s) = f { Some(s.clone()) } else { None })
        .filter(|f| !is_excluded(f))
        .collect();
    let updated = desc.doc("updatedFields").cloned().unwrap_or_default();
    let updated = Doc(updated.0.into_iter().filter(|(k, _)| !is_excluded(k)).collect());
    let truncated = desc
        .array("truncatedArrays")
        .unwrap_or_default()
        .iter()
        .filter_map(|t| if let Bson::Document(d) = t { Some(d) } else { None })
        .filter_map(|d| Some((d.str("field")?.to_string(), i32::try_from(d.int("newSize")?).ok()?)))
        .filter(|(f, _)| !is_excluded(f))
        .collect();
    (removed, extjson::updated_fields(&updated), truncated)
}

/// `doc` without the excluded field paths (`field.exclude.list`).
pub fn exclude(doc: &Doc, paths: &[Vec<String>]) -> Doc {
    if paths.is_empty() {
        return doc.clone();
    }
    let mut out = doc.clone();
    for path in paths {
        remove_path(&mut out, path);
    }
    out
}

fn remove_path(doc: &mut Doc, path: &[String]) {
    match path {
        [] => {}
        [last] => {
            doc.remove(last);
        }
        [first, rest @ ..] => {
            for (k, v) in &mut doc.0 {
                if k == first {
                    match v {
                        Bson::Document(d) => remove_path(d, rest),
                        Bson::Array(items) => {
                            for item in items {
                                if let Bson::Document(d) = item {
                                    remove_path(d, rest);
                                }
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excluded_fields_leave_documents_and_update_descriptions() {
        let doc = Doc::new()
            .with("_id", 1)
            .with("secret", "x")
            .with("addr", Doc::new().with("zip", "1").with("city", "c"))
            .with("items", vec![Bson::Document(Doc::new().with("zip", "2").with("n", 1))]);
        let paths = vec![
            vec!["secret".to_string()],
            vec!["addr".to_string(), "zip".to_string()],
            vec!["items".to_string(), "zip".to_string()],
        ];
        assert_eq!(
            extjson::document(&exclude(&doc, &paths)),
            r#"{"_id": 1,"addr": {"city": "c"},"items": [{"n": 1}]}"#
        );
        let desc = Doc::new()
            .with("updatedFields", Doc::new().with("secret", "y").with("a", 1).with("addr.zip", "3"))
            .with("removedFields", vec![Bson::String("secret".into()), Bson::String("b".into())])
            .with("truncatedArrays", vec![Bson::Document(Doc::new().with("field", "arr").with("newSize", 2))]);
        let (removed, updated, truncated) = update_description(&desc, &paths);
        assert_eq!(removed, vec!["b".to_string()]);
        assert_eq!(updated, r#"{"a": 1}"#);
        assert_eq!(truncated, vec![("arr".to_string(), 2)]);
    }
}

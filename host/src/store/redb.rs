//! The redb implementation of [`StateStore`]: one file per worker.
//!
//! Every write transaction commits with redb's default (immediate)
//! durability, so what a call has returned survives `kill -9`.

use std::collections::BTreeMap;
use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};

use super::log_record::segment_entries;
use super::{
    LogRecord, OffsetEntry, StateStore, StoreError, StoreResult, StoredConnector, TargetState, canonical_json,
};

/// name → config JSON
const CONFIGS: TableDefinition<&str, &str> = TableDefinition::new("connector_configs");
/// name → target state
const TARGETS: TableDefinition<&str, &str> = TableDefinition::new("target_states");
/// (connector, canonical partition JSON) → offset JSON
const OFFSETS: TableDefinition<(&str, &str), &str> = TableDefinition::new("source_offsets");
/// (connector, key) → bytes
const PLUGIN_KV: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("plugin_kv");
/// (topic, position of its first record) → a segment: the records one
/// commit appended to the topic, each length-prefixed (see [`segment_entries`]).
/// One value per segment rather than per record keeps the B-tree small and
/// the writes large: appends are several times faster.
const LOG: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("log_segments");

/// A segment is closed past this size. Values just under a power-of-two
/// number of pages fill their allocation in redb; larger ones would leave
/// much of theirs unused.
const SEGMENT_BYTES: usize = 120 << 10;
/// topic → next position
const LOG_HEADS: TableDefinition<&str, u64> = TableDefinition::new("log_heads");
/// (connector, topic) → 1: the topics a connector has produced to
const ACTIVE_TOPICS: TableDefinition<(&str, &str), u8> = TableDefinition::new("active_topics");
/// topic → (first retained offset, bytes retained)
const LOG_RETAINED: TableDefinition<&str, (u64, u64)> = TableDefinition::new("log_retained");
/// worker metadata (cluster id)
const META: TableDefinition<&str, &str> = TableDefinition::new("meta");

/// State in one redb file.
pub struct RedbStore {
    db: Database,
}

fn db_err<E: Into<redb::Error>>(err: E) -> StoreError {
    StoreError::Database(err.into())
}

/// The page cache when none is configured (`weir.store.cache.bytes`).
pub const DEFAULT_CACHE_BYTES: usize = 16 << 20;

impl RedbStore {
    /// Opens (or creates) the store at `path`, creating its tables.
    pub fn open(path: &Path) -> StoreResult<Self> {
        Self::open_with_cache(path, DEFAULT_CACHE_BYTES)
    }

    /// Opens (or creates) the state file with a page cache of `cache_bytes`
    /// (redb's own default is 1 GiB, too much for a small worker).
    pub fn open_with_cache(path: &Path, cache_bytes: usize) -> StoreResult<Self> {
        let db = Database::builder().set_cache_size(cache_bytes).create(path).map_err(db_err)?;
        let txn = db.begin_write().map_err(db_err)?;
        {
            txn.open_table(CONFIGS).map_err(db_err)?;
            txn.open_table(TARGETS).map_err(db_err)?;
            txn.open_table(OFFSETS).map_err(db_err)?;
            txn.open_table(PLUGIN_KV).map_err(db_err)?;
            txn.open_table(LOG).map_err(db_err)?;
            txn.open_table(LOG_HEADS).map_err(db_err)?;
            txn.open_table(ACTIVE_TOPICS).map_err(db_err)?;
            txn.open_table(LOG_RETAINED).map_err(db_err)?;
            let mut meta = txn.open_table(META).map_err(db_err)?;
            if meta.get("cluster_id").map_err(db_err)?.is_none() {
                let id = uuid::Uuid::new_v4().simple().to_string();
                meta.insert("cluster_id", id.as_str()).map_err(db_err)?;
            }
        }
        txn.commit().map_err(db_err)?;
        Ok(Self { db })
    }
}

fn parse_target(name: &str, raw: &str) -> StoreResult<TargetState> {
    match raw {
        "RUNNING" => Ok(TargetState::Running),
        "PAUSED" => Ok(TargetState::Paused),
        "STOPPED" => Ok(TargetState::Stopped),
        other => Err(StoreError::Corrupt {
            what: format!("target state of {name}"),
            reason: format!("unknown state {other}"),
        }),
    }
}

fn target_str(target: TargetState) -> &'static str {
    match target {
        TargetState::Running => "RUNNING",
        TargetState::Paused => "PAUSED",
        TargetState::Stopped => "STOPPED",
    }
}

impl StateStore for RedbStore {
    fn put_connector(&self, connector: &StoredConnector) -> StoreResult<()> {
        let config = serde_json::to_string(&connector.config)
            .map_err(|source| StoreError::Json { what: format!("config of {}", connector.name), source })?;
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            txn.open_table(CONFIGS)
                .map_err(db_err)?
                .insert(connector.name.as_str(), config.as_str())
                .map_err(db_err)?;
            txn.open_table(TARGETS)
                .map_err(db_err)?
                .insert(connector.name.as_str(), target_str(connector.target))
                .map_err(db_err)?;
        }
        txn.commit().map_err(db_err)
    }

    fn set_target_state(&self, name: &str, target: TargetState) -> StoreResult<()> {
        let txn = self.db.begin_write().map_err(db_err)?;
        txn.open_table(TARGETS).map_err(db_err)?.insert(name, target_str(target)).map_err(db_err)?;
        txn.commit().map_err(db_err)
    }

    fn delete_connector(&self, name: &str) -> StoreResult<()> {
        let txn = self.db.begin_write().map_err(db_err)?;
        txn.open_table(CONFIGS).map_err(db_err)?.remove(name).map_err(db_err)?;
        txn.open_table(TARGETS).map_err(db_err)?.remove(name).map_err(db_err)?;
        remove_prefix(&mut txn.open_table(ACTIVE_TOPICS).map_err(db_err)?, name)?;
        txn.commit().map_err(db_err)
    }

    fn connectors(&self) -> StoreResult<Vec<StoredConnector>> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let configs = txn.open_table(CONFIGS).map_err(db_err)?;
        let targets = txn.open_table(TARGETS).map_err(db_err)?;
        let mut out = Vec::new();
        for entry in configs.iter().map_err(db_err)? {
            let (name, config) = entry.map_err(db_err)?;
            let name = name.value().to_string();
            let config: BTreeMap<String, String> = serde_json::from_str(config.value())
                .map_err(|source| StoreError::Json { what: format!("stored config of {name}"), source })?;
            let target = match targets.get(name.as_str()).map_err(db_err)? {
                Some(t) => parse_target(&name, t.value())?,
                None => TargetState::Running,
            };
            out.push(StoredConnector { name, config, target });
        }
        Ok(out)
    }

    fn offset(&self, connector: &str, partition: &str) -> StoreResult<Option<String>> {
        let partition = canonical_json(partition, "source partition")?;
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(OFFSETS).map_err(db_err)?;
        Ok(table.get((connector, partition.as_str())).map_err(db_err)?.map(|v| v.value().to_string()))
    }

    fn offsets(&self, connector: &str) -> StoreResult<Vec<OffsetEntry>> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(OFFSETS).map_err(db_err)?;
        let mut out = Vec::new();
        for entry in table.range((connector, "")..).map_err(db_err)? {
            let (key, value) = entry.map_err(db_err)?;
            let (c, partition) = key.value();
            if c != connector {
                break;
            }
            out.push(OffsetEntry { partition: partition.to_string(), offset: value.value().to_string() });
        }
        Ok(out)
    }

    fn append_and_commit(
        &self,
        connector: &str,
        records: &[LogRecord],
        offsets: &[OffsetEntry],
    ) -> StoreResult<Vec<u64>> {
        let now =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
        let txn = self.db.begin_write().map_err(db_err)?;
        let mut positions = Vec::with_capacity(records.len());
        {
            let mut log = txn.open_table(LOG).map_err(db_err)?;
            let mut heads = txn.open_table(LOG_HEADS).map_err(db_err)?;
            // Per topic: the open segment's first position, its bytes, and the next position.
            let mut open: BTreeMap<&str, (u64, Vec<u8>, u64)> = BTreeMap::new();
            let mut added: BTreeMap<&str, u64> = BTreeMap::new();
            for record in records {
                let topic = &*record.topic;
                let (first, segment, next) = match open.get_mut(topic) {
                    Some(o) => o,
                    None => {
                        let head = heads.get(topic).map_err(db_err)?.map_or(0, |g| g.value());
                        open.entry(topic).or_insert((head, Vec::new(), head))
                    }
                };
                if segment.len() >= SEGMENT_BYTES {
                    log.insert((topic, *first), segment.as_slice()).map_err(db_err)?;
                    *added.entry(topic).or_insert(0) += segment.len() as u64;
                    segment.clear();
                    *first = *next;
                }
                record.append_to_segment(segment, now);
                positions.push(*next);
                *next += 1;
            }
            for (topic, (first, segment, _)) in &open {
                log.insert((*topic, *first), segment.as_slice()).map_err(db_err)?;
                *added.entry(topic).or_insert(0) += segment.len() as u64;
            }
            let mut retained = txn.open_table(LOG_RETAINED).map_err(db_err)?;
            for (topic, bytes) in added {
                let (first, total) = retained.get(topic).map_err(db_err)?.map_or((0, 0), |g| g.value());
                retained.insert(topic, (first, total + bytes)).map_err(db_err)?;
            }
            let mut active = txn.open_table(ACTIVE_TOPICS).map_err(db_err)?;
            for (topic, (_, _, next)) in open {
                heads.insert(topic, next).map_err(db_err)?;
                active.insert((connector, topic), 1).map_err(db_err)?;
            }
        }
        write_offsets(&txn, connector, offsets)?;
        txn.commit().map_err(db_err)?;
        Ok(positions)
    }

    fn commit_offsets(&self, connector: &str, offsets: &[OffsetEntry], topics: &[String]) -> StoreResult<()> {
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut active = txn.open_table(ACTIVE_TOPICS).map_err(db_err)?;
            for topic in topics {
                active.insert((connector, topic.as_str()), 1).map_err(db_err)?;
            }
        }
        write_offsets(&txn, connector, offsets)?;
        txn.commit().map_err(db_err)
    }

    fn alter_offsets(&self, connector: &str, entries: &[(String, Option<String>)]) -> StoreResult<()> {
        let canonical: Vec<(String, Option<&str>)> = entries
            .iter()
            .map(|(p, o)| Ok((canonical_json(p, "source partition")?, o.as_deref())))
            .collect::<StoreResult<_>>()?;
        let txn = self.db.begin_write().map_err(db_err)?;
        {
            let mut table = txn.open_table(OFFSETS).map_err(db_err)?;
            for (partition, offset) in &canonical {
                match offset {
                    Some(offset) => table.insert((connector, partition.as_str()), *offset).map_err(db_err)?,
                    None => table.remove((connector, partition.as_str())).map_err(db_err)?,
                };
            }
        }
        txn.commit().map_err(db_err)
    }

    fn reset_connector_state(&self, connector: &str) -> StoreResult<()> {
        let txn = self.db.begin_write().map_err(db_err)?;
        remove_prefix(&mut txn.open_table(OFFSETS).map_err(db_err)?, connector)?;
        remove_prefix(&mut txn.open_table(PLUGIN_KV).map_err(db_err)?, connector)?;
        txn.commit().map_err(db_err)
    }

    fn active_topics(&self, connector: &str) -> StoreResult<Vec<String>> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(ACTIVE_TOPICS).map_err(db_err)?;
        let mut out = Vec::new();
        for entry in table.range((connector, "")..).map_err(db_err)? {
            let (key, _) = entry.map_err(db_err)?;
            let (c, topic) = key.value();
            if c != connector {
                break;
            }
            out.push(topic.to_string());
        }
        Ok(out)
    }

    fn reset_active_topics(&self, connector: &str) -> StoreResult<()> {
        let txn = self.db.begin_write().map_err(db_err)?;
        remove_prefix(&mut txn.open_table(ACTIVE_TOPICS).map_err(db_err)?, connector)?;
        txn.commit().map_err(db_err)
    }

    fn kv_get(&self, connector: &str, key: &str) -> StoreResult<Option<Vec<u8>>> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(PLUGIN_KV).map_err(db_err)?;
        Ok(table.get((connector, key)).map_err(db_err)?.map(|v| v.value().to_vec()))
    }

    fn kv_put(&self, connector: &str, key: &str, value: &[u8]) -> StoreResult<()> {
        let txn = self.db.begin_write().map_err(db_err)?;
        txn.open_table(PLUGIN_KV).map_err(db_err)?.insert((connector, key), value).map_err(db_err)?;
        txn.commit().map_err(db_err)
    }

    fn kv_delete(&self, connector: &str, key: &str) -> StoreResult<()> {
        let txn = self.db.begin_write().map_err(db_err)?;
        txn.open_table(PLUGIN_KV).map_err(db_err)?.remove((connector, key)).map_err(db_err)?;
        txn.commit().map_err(db_err)
    }

    fn kv_keys(&self, connector: &str, prefix: &str) -> StoreResult<Vec<String>> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let table = txn.open_table(PLUGIN_KV).map_err(db_err)?;
        let mut out = Vec::new();
        for entry in table.range((connector, prefix)..).map_err(db_err)? {
            let (key, _) = entry.map_err(db_err)?;
            let (c, k) = key.value();
            if c != connector || !k.starts_with(prefix) {
                break;
            }
            out.push(k.to_string());
        }
        Ok(out)
    }

    fn log_len(&self, topic: &str) -> StoreResult<u64> {
        let (first, end) = self.log_bounds(topic)?;
        Ok(end - first)
    }

    fn log_bounds(&self, topic: &str) -> StoreResult<(u64, u64)> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let end = txn.open_table(LOG_HEADS).map_err(db_err)?.get(topic).map_err(db_err)?.map_or(0, |g| g.value());
        let first =
            txn.open_table(LOG_RETAINED).map_err(db_err)?.get(topic).map_err(db_err)?.map_or(0, |g| g.value().0);
        Ok((first.min(end), end))
    }

    fn enforce_retention(&self, max_bytes: Option<u64>, max_age_ms: Option<i64>, now_ms: i64) -> StoreResult<u64> {
        if max_bytes.is_none() && max_age_ms.is_none() {
            return Ok(0);
        }
        let txn = self.db.begin_write().map_err(db_err)?;
        let mut deleted = 0;
        {
            let mut log = txn.open_table(LOG).map_err(db_err)?;
            let mut retained = txn.open_table(LOG_RETAINED).map_err(db_err)?;
            let heads = txn.open_table(LOG_HEADS).map_err(db_err)?;
            let mut topics = Vec::new();
            for entry in heads.iter().map_err(db_err)? {
                let (topic, head) = entry.map_err(db_err)?;
                topics.push((topic.value().to_string(), head.value()));
            }
            for (topic, head) in topics {
                let (mut first, mut bytes) =
                    retained.get(topic.as_str()).map_err(db_err)?.map_or((0, 0), |g| g.value());
                // Whole segments go, oldest first, as Kafka deletes log segments.
                let first_before = first;
                let mut doomed = Vec::new();
                let mut segments = log.range((topic.as_str(), 0)..(topic.as_str(), head)).map_err(db_err)?.peekable();
                while let Some(entry) = segments.next() {
                    let (key, value) = entry.map_err(db_err)?;
                    let segment = value.value();
                    let too_big = max_bytes.is_some_and(|max| bytes > max);
                    // One commit wrote the segment, so its first record's append time is all of theirs.
                    let too_old = max_age_ms.is_some_and(|age| {
                        segment_entries(segment)
                            .next()
                            .and_then(Result::ok)
                            .and_then(|e| LogRecord::decode(&topic, e).ok())
                            .is_some_and(|r| r.appended_ms < now_ms - age)
                    });
                    if !too_big && !too_old {
                        break;
                    }
                    doomed.push(key.value().1);
                    bytes = bytes.saturating_sub(segment.len() as u64);
                    first = match segments.peek() {
                        Some(Ok((next, _))) => next.value().1,
                        _ => head,
                    };
                }
                drop(segments);
                if !doomed.is_empty() {
                    for position in &doomed {
                        log.remove((topic.as_str(), *position)).map_err(db_err)?;
                    }
                    deleted += first.saturating_sub(first_before);
                    retained.insert(topic.as_str(), (first, bytes)).map_err(db_err)?;
                }
            }
        }
        txn.commit().map_err(db_err)?;
        Ok(deleted)
    }

    fn log_read(&self, topic: &str, from: u64, max: usize) -> StoreResult<Vec<(u64, LogRecord)>> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let log = txn.open_table(LOG).map_err(db_err)?;
        // The segment holding `from` starts at or before it.
        let start = match log.range((topic, 0)..=(topic, from)).map_err(db_err)?.next_back() {
            Some(entry) => entry.map_err(db_err)?.0.value().1,
            None => from,
        };
        let mut out = Vec::new();
        for entry in log.range((topic, start)..(topic, u64::MAX)).map_err(db_err)? {
            let (key, value) = entry.map_err(db_err)?;
            let (_, first) = key.value();
            for (i, bytes) in segment_entries(value.value()).enumerate() {
                let position = first + i as u64;
                if position < from {
                    continue;
                }
                if out.len() >= max {
                    return Ok(out);
                }
                let bytes = bytes.map_err(|reason| StoreError::Corrupt {
                    what: format!("the log segment of topic {topic} at {first}"),
                    reason: reason.to_string(),
                })?;
                out.push((position, LogRecord::decode(topic, bytes)?));
            }
            if out.len() >= max {
                break;
            }
        }
        Ok(out)
    }

    fn log_topics(&self) -> StoreResult<Vec<String>> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let heads = txn.open_table(LOG_HEADS).map_err(db_err)?;
        let mut out = Vec::new();
        for entry in heads.iter().map_err(db_err)? {
            let (topic, _) = entry.map_err(db_err)?;
            out.push(topic.value().to_string());
        }
        Ok(out)
    }

    fn cluster_id(&self) -> StoreResult<String> {
        let txn = self.db.begin_read().map_err(db_err)?;
        let meta = txn.open_table(META).map_err(db_err)?;
        meta.get("cluster_id")
            .map_err(db_err)?
            .map(|v| v.value().to_string())
            .ok_or_else(|| StoreError::Corrupt { what: "worker metadata".into(), reason: "no cluster id".into() })
    }
}

/// Removes every key of a `(connector, _)` table that belongs to `connector`.
/// Writes committed offsets under their canonical partition keys, inside `txn`.
fn write_offsets(txn: &WriteTransaction, connector: &str, offsets: &[OffsetEntry]) -> StoreResult<()> {
    let mut table = txn.open_table(OFFSETS).map_err(db_err)?;
    for o in offsets {
        let partition = canonical_json(&o.partition, "source partition")?;
        table.insert((connector, partition.as_str()), o.offset.as_str()).map_err(db_err)?;
    }
    Ok(())
}

fn remove_prefix<V: redb::Value + 'static>(
    table: &mut redb::Table<'_, (&str, &str), V>,
    connector: &str,
) -> StoreResult<()> {
    let keys: Vec<String> = {
        let mut keys = Vec::new();
        for entry in table.range((connector, "")..).map_err(db_err)? {
            let (key, _) = entry.map_err(db_err)?;
            let (c, k) = key.value();
            if c != connector {
                break;
            }
            keys.push(k.to_string());
        }
        keys
    };
    for k in keys {
        table.remove((connector, k.as_str())).map_err(db_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, RedbStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = RedbStore::open(&dir.path().join("state.redb")).unwrap();
        (dir, store)
    }

    fn record(topic: &str, value: &str) -> LogRecord {
        LogRecord {
            topic: topic.into(),
            partition: None,
            key: None,
            value: Some(value.as_bytes().to_vec().into()),
            timestamp: None,
            headers: vec![],
            appended_ms: 0,
        }
    }

    #[test]
    fn append_and_commit_moves_records_and_offsets_together() {
        let (_dir, store) = store();
        let offsets = [OffsetEntry { partition: r#"{"b":1,"a":2}"#.into(), offset: r#"{"n":2}"#.into() }];
        let positions =
            store.append_and_commit("c", &[record("t", "x"), record("t", "y"), record("u", "z")], &offsets).unwrap();
        assert_eq!(positions, vec![0, 1, 0]);
        assert_eq!(store.log_len("t").unwrap(), 2);
        assert_eq!(store.offset("c", r#"{"a":2,"b":1}"#).unwrap().as_deref(), Some(r#"{"n":2}"#));
        let read = store.log_read("t", 1, 10).unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!(read[0].1.value.as_deref(), Some(b"y".as_slice()));
        assert_eq!(store.offsets("c").unwrap().len(), 1);
        assert!(store.offsets("other").unwrap().is_empty());
        assert_eq!(store.active_topics("c").unwrap(), vec!["t".to_string(), "u".to_string()]);
    }

    #[test]
    fn altering_and_resetting_touch_only_that_connector() {
        let (_dir, store) = store();
        store
            .alter_offsets(
                "c",
                &[(r#"{"p":1}"#.into(), Some(r#"{"o":1}"#.into())), (r#"{"p":2}"#.into(), Some("{}".into()))],
            )
            .unwrap();
        store.alter_offsets("c", &[(r#"{"p":2}"#.into(), None)]).unwrap();
        store.alter_offsets("d", &[(r#"{"p":1}"#.into(), Some(r#"{"o":9}"#.into()))]).unwrap();
        store.kv_put("c", "history", b"x").unwrap();
        assert_eq!(store.offsets("c").unwrap().len(), 1);
        store.reset_connector_state("c").unwrap();
        assert!(store.offsets("c").unwrap().is_empty());
        assert_eq!(store.kv_get("c", "history").unwrap(), None);
        assert_eq!(store.offset("d", r#"{"p":1}"#).unwrap().as_deref(), Some(r#"{"o":9}"#));
    }

    #[test]
    fn retention_drops_the_oldest_segments_by_size_and_age() {
        let (_dir, store) = store();
        // Each commit's records make one segment of five.
        let batch: Vec<LogRecord> = (0..5).map(|_| record("t", "0123456789")).collect();
        store.append_and_commit("c", &batch, &[]).unwrap();
        store.append_and_commit("c", &batch, &[]).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(80));
        store.append_and_commit("c", &batch, &[]).unwrap();
        let segment = 5 * (4 + store.log_read("t", 0, 1).unwrap()[0].1.encode().len() as u64);
        // Over two segments' worth: the oldest segment goes, whole.
        assert_eq!(store.enforce_retention(Some(2 * segment + 1), None, 0).unwrap(), 5);
        assert_eq!(store.log_bounds("t").unwrap(), (5, 15));
        assert_eq!(store.log_len("t").unwrap(), 10);
        assert_eq!(store.log_read("t", 0, 100).unwrap()[0].0, 5, "reads start at the first retained offset");
        // Appended more than 40 ms before "now", taken as just after the third
        // segment was appended (not the wall clock, which a loaded machine
        // may move past the third segment too): the second segment.
        let third = store.log_read("t", 10, 1).unwrap()[0].1.appended_ms;
        assert_eq!(store.enforce_retention(None, Some(40), third + 1).unwrap(), 5);
        assert_eq!(store.log_bounds("t").unwrap(), (10, 15));
        // New records continue the offsets.
        assert_eq!(store.append_and_commit("c", &[record("t", "x")], &[]).unwrap(), vec![15]);
    }

    #[test]
    fn reads_start_inside_segments_and_cross_them() {
        let (_dir, store) = store();
        // 300 records of 1 KiB: one commit, split into several segments.
        let big = "v".repeat(1024);
        let batch: Vec<LogRecord> =
            (0..300).map(|i| record(if i % 3 == 0 { "other" } else { "t" }, &format!("{i}{big}"))).collect();
        let positions = store.append_and_commit("c", &batch, &[]).unwrap();
        assert_eq!(positions[..4], [0, 0, 1, 1], "positions count per topic");
        assert_eq!(store.log_len("t").unwrap(), 200);
        let segments = {
            let txn = store.db.begin_read().unwrap();
            txn.open_table(LOG).unwrap().range(("t", 0)..("t", u64::MAX)).unwrap().count()
        };
        assert!(segments > 1, "a commit past SEGMENT_BYTES splits: {segments} segment(s)");
        let value_of = |r: &LogRecord| String::from_utf8(r.value.clone().unwrap().to_vec()).unwrap();
        for from in [0, 1, 99, 150, 199] {
            let read = store.log_read("t", from, 60).unwrap();
            let expected: Vec<u64> = (from..(from + 60).min(200)).collect();
            assert_eq!(read.iter().map(|(p, _)| *p).collect::<Vec<_>>(), expected, "from {from}");
            // Position p of "t" is the p-th record not divisible by three.
            let nth = |p: u64| (0..300).filter(|i| i % 3 != 0).nth(p as usize).unwrap();
            assert!(value_of(&read[0].1).starts_with(&format!("{}v", nth(from))), "from {from}");
        }
        assert!(store.log_read("t", 200, 10).unwrap().is_empty());
    }

    #[test]
    fn state_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        let id = {
            let store = RedbStore::open(&path).unwrap();
            let mut config = BTreeMap::new();
            config.insert("connector.class".to_string(), "X".to_string());
            store.put_connector(&StoredConnector { name: "c".into(), config, target: TargetState::Paused }).unwrap();
            store.kv_put("c", "history/1", b"ddl").unwrap();
            store.cluster_id().unwrap()
        };
        let store = RedbStore::open(&path).unwrap();
        assert_eq!(store.cluster_id().unwrap(), id);
        let connectors = store.connectors().unwrap();
        assert_eq!(connectors.len(), 1);
        assert_eq!(connectors[0].target, TargetState::Paused);
        assert_eq!(store.kv_keys("c", "history/").unwrap(), vec!["history/1".to_string()]);
        assert_eq!(store.kv_get("c", "history/1").unwrap().as_deref(), Some(b"ddl".as_slice()));
    }
}

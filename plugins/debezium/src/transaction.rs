//! Transaction metadata (`provide.transaction.metadata`): the `transaction`
//! block inside each event and the BEGIN/END records on
//! `<topic.prefix>.transaction`.

use std::sync::Arc;

use weir_sdk::{Schema, SourceRecord, Value};

/// The envelope's optional `event.block` struct.
pub fn block_schema() -> Schema {
    Schema::structure("event.block")
        .optional()
        .version(1)
        .field("id", Schema::string())
        .field("total_order", Schema::int64())
        .field("data_collection_order", Schema::int64())
}

/// Key and value schemas of BEGIN/END records.
#[derive(Debug, Clone)]
pub struct Schemas {
    /// `io.debezium.connector.common.TransactionMetadataKey`.
    pub key: Arc<Schema>,
    /// `io.debezium.connector.common.TransactionMetadataValue`.
    pub value: Arc<Schema>,
}

impl Default for Schemas {
    fn default() -> Self {
        let collection = Schema::structure("event.collection")
            .optional()
            .version(1)
            .field("data_collection", Schema::string())
            .field("event_count", Schema::int64());
        Self {
            key: Schema::structure("io.debezium.connector.common.TransactionMetadataKey")
                .version(1)
                .field("id", Schema::string())
                .shared(),
            value: Schema::structure("io.debezium.connector.common.TransactionMetadataValue")
                .version(1)
                .field("status", Schema::string())
                .field("id", Schema::string())
                .field("event_count", Schema::int64().optional())
                .field("data_collections", Schema::array(collection).optional())
                .field("ts_ms", Schema::int64())
                .shared(),
        }
    }
}

impl Schemas {
    /// A BEGIN or END record (key and value from [`Tracker`]).
    pub fn record(&self, topic: &str, partition: &str, key: Value, value: Value, offset: String) -> SourceRecord {
        SourceRecord::new(topic, partition, offset)
            .key(Some(self.key.clone()), key)
            .value(Some(self.value.clone()), value)
            .timestamp(crate::envelope::now_ns() / 1_000_000)
    }
}

/// Counts one transaction's events, overall and per table, in order of
/// first appearance (Debezium lists data collections that way).
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    id: Option<String>,
    total: i64,
    per_collection: Vec<(String, i64)>,
}

impl Tracker {
    /// Starts transaction `id`.
    pub fn begin(&mut self, id: String) {
        self.id = Some(id);
        self.total = 0;
        self.per_collection.clear();
    }

    /// The open transaction's id.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Counts an event of `collection` and returns its `transaction` block.
    pub fn event(&mut self, collection: &str) -> Option<Value> {
        let id = self.id.clone()?;
        self.total += 1;
        let order = match self.per_collection.iter_mut().find(|(c, _)| c == collection) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                self.per_collection.push((collection.to_string(), 1));
                1
            }
        };
        Some(Value::Struct(vec![Value::String(id), Value::Int64(self.total), Value::Int64(order)]))
    }

    /// The BEGIN record's key and value.
    pub fn begin_value(&self, ts_ms: i64) -> Option<(Value, Value)> {
        let id = self.id.clone()?;
        Some((
            Value::Struct(vec![Value::String(id.clone())]),
            Value::Struct(vec![
                Value::String("BEGIN".into()),
                Value::String(id),
                Value::Null,
                Value::Null,
                Value::Int64(ts_ms),
            ]),
        ))
    }

    /// The END record's key and value; closes the transaction.
    pub fn end_value(&mut self, ts_ms: i64) -> Option<(Value, Value)> {
        let id = self.id.take()?;
        let collections = self
            .per_collection
            .drain(..)
            .map(|(c, n)| Value::Struct(vec![Value::String(c), Value::Int64(n)]))
            .collect();
        Some((
            Value::Struct(vec![Value::String(id.clone())]),
            Value::Struct(vec![
                Value::String("END".into()),
                Value::String(id),
                Value::Int64(self.total),
                Value::Array(collections),
                Value::Int64(ts_ms),
            ]),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_events_overall_and_per_collection() {
        let mut t = Tracker::default();
        t.begin("571:53195832".into());
        let a = t.event("s1.a");
        let b = t.event("s2.a");
        let c = t.event("s1.a");
        assert_eq!(a, Some(Value::Struct(vec!["571:53195832".into(), Value::Int64(1), Value::Int64(1)])));
        assert_eq!(b, Some(Value::Struct(vec!["571:53195832".into(), Value::Int64(2), Value::Int64(1)])));
        assert_eq!(c, Some(Value::Struct(vec!["571:53195832".into(), Value::Int64(3), Value::Int64(2)])));
        let (_, end) = t.end_value(7).expect("open transaction");
        let Value::Struct(fields) = end else { panic!("struct") };
        assert_eq!(fields[2], Value::Int64(3));
        assert_eq!(
            fields[3],
            Value::Array(vec![
                Value::Struct(vec!["s1.a".into(), Value::Int64(2)]),
                Value::Struct(vec!["s2.a".into(), Value::Int64(1)]),
            ])
        );
        assert!(t.event("s1.a").is_none(), "no block outside a transaction");
    }
}

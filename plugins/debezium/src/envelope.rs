//! The change-event envelope every relational Debezium connector emits:
//! `before`, `after`, `source`, `transaction`, `op` and the processing
//! timestamps, in the field order Debezium 2.7+ uses.

use std::sync::Arc;

use weir_sdk::{Schema, SourceRecord, Value};

use crate::transaction;

/// Debezium's `op` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `r`: a snapshot read.
    Read,
    /// `c`: an insert.
    Create,
    /// `u`: an update.
    Update,
    /// `d`: a delete.
    Delete,
    /// `t`: a truncate.
    Truncate,
    /// `m`: a logical decoding message.
    Message,
}

impl Op {
    /// The `op` field's value: shared, so an event costs no allocation for it.
    pub fn value(self) -> Value {
        thread_local! {
            static CODES: [Value; 6] = [Op::Read, Op::Create, Op::Update, Op::Delete, Op::Truncate, Op::Message]
                .map(|op| Value::shared(op.code()));
        }
        CODES.with(|codes| codes[self as usize].clone())
    }

    /// The one-letter code in the event.
    pub fn code(self) -> &'static str {
        match self {
            Op::Read => "r",
            Op::Create => "c",
            Op::Update => "u",
            Op::Delete => "d",
            Op::Truncate => "t",
            Op::Message => "m",
        }
    }
}

/// `<schema_prefix>.Envelope`, version 2, around the row schema `row` (the
/// optional `<schema_prefix>.Value` struct) and the connector's source schema.
pub fn schema(schema_prefix: &str, row: &Arc<Schema>, source: &Arc<Schema>) -> Schema {
    let mut envelope = Schema::structure(format!("{schema_prefix}.Envelope")).version(2);
    envelope.fields = vec![
        ("before".into(), row.clone()),
        ("after".into(), row.clone()),
        ("source".into(), source.clone()),
        ("transaction".into(), Arc::new(transaction::block_schema())),
        ("op".into(), Arc::new(Schema::string())),
        ("ts_ms".into(), Arc::new(Schema::int64().optional())),
        ("ts_us".into(), Arc::new(Schema::int64().optional())),
        ("ts_ns".into(), Arc::new(Schema::int64().optional())),
    ];
    envelope
}

/// The envelope's value. `now_ns` is the connector's processing time.
pub fn value(
    op: Op,
    before: Option<Value>,
    after: Option<Value>,
    source: Value,
    transaction: Option<Value>,
    now_ns: i64,
) -> Value {
    Value::Struct(vec![
        before.unwrap_or(Value::Null),
        after.unwrap_or(Value::Null),
        source,
        transaction.unwrap_or(Value::Null),
        op.value(),
        Value::Int64(now_ns.div_euclid(1_000_000)),
        Value::Int64(now_ns.div_euclid(1_000)),
        Value::Int64(now_ns),
    ])
}

/// A change record on `topic`: the envelope `value` under `schema`, keyed
/// when the table has a key, stamped with the processing time `now_ns`.
pub fn record(
    topic: &Arc<str>,
    partition: &Arc<str>,
    offset: String,
    schema: &Arc<Schema>,
    value: Value,
    key: Option<(&Arc<Schema>, Value)>,
    now_ns: i64,
) -> SourceRecord {
    let record = SourceRecord::new(topic.clone(), partition.clone(), offset)
        .value(Some(schema.clone()), value)
        .timestamp(now_ns / 1_000_000);
    keyed(record, key)
}

/// The tombstone after a delete: the same key, a null value.
pub fn tombstone(
    topic: &Arc<str>,
    partition: &Arc<str>,
    offset: String,
    key: Option<(&Arc<Schema>, Value)>,
) -> SourceRecord {
    keyed(SourceRecord::new(topic.clone(), partition.clone(), offset), key)
}

fn keyed(record: SourceRecord, key: Option<(&Arc<Schema>, Value)>) -> SourceRecord {
    match key {
        Some((schema, key)) => record.key(Some(schema.clone()), key),
        None => record,
    }
}

/// Nanoseconds since the Unix epoch, now.
pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The processing time (`ts_ms`, `ts_us`, `ts_ns`) of events converted back
/// to back, as a snapshot converts a batch of rows already read: the clock
/// is read once every [`RunClock::EVERY`] events instead of for each, since
/// a read is a call out of the sandbox (about 3% of a snapshot's time). An
/// event's time is then at most the conversion of that many rows old;
/// [`reset`](RunClock::reset) before anything that may wait.
#[derive(Debug, Default)]
pub struct RunClock {
    now_ns: i64,
    left: u32,
}

impl RunClock {
    /// Events that share one reading of the clock.
    pub const EVERY: u32 = 64;

    /// Nanoseconds since the Unix epoch, read at most `EVERY` events ago.
    pub fn now_ns(&mut self) -> i64 {
        if self.left == 0 {
            self.now_ns = now_ns();
            self.left = Self::EVERY;
        }
        self.left -= 1;
        self.now_ns
    }

    /// Reads the clock afresh for the next event.
    pub fn reset(&mut self) {
        self.left = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_clock_is_read_once_per_run_of_events_and_afresh_after_a_reset() {
        let mut clock = RunClock::default();
        let first = clock.now_ns();
        assert!(first > 1_600_000_000_000_000_000, "nanoseconds since the epoch, now: {first}");
        for _ in 1..RunClock::EVERY {
            assert_eq!(clock.now_ns(), first, "events in one run share the reading");
        }
        assert_eq!(clock.left, 0, "the run is used up");
        let next = clock.now_ns();
        assert!(next >= first);
        assert_eq!(clock.left, RunClock::EVERY - 1, "the clock was read again");
        clock.reset();
        assert_eq!(clock.left, 0);
        clock.now_ns();
        assert_eq!(clock.left, RunClock::EVERY - 1, "a reset makes the next event read the clock");
    }
}

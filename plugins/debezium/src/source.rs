//! The `source` block: the fields every Debezium connector shares, then the
//! connector's own (appended by the connector).

use std::sync::Arc;

use weir_sdk::{Schema, Value};

/// The Debezium release whose event shapes Weir reproduces; consumers see it
/// in `source.version`.
pub const DEBEZIUM_VERSION: &str = "3.1.3.Final";

/// Where a record stands in a snapshot, as `source.snapshot` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SnapshotMarker {
    /// The first record of the whole snapshot.
    First,
    /// The first record of a table (not the first of the snapshot).
    FirstInDataCollection,
    /// Any other snapshot record.
    True,
    /// The last record of a table (not the last of the snapshot).
    LastInDataCollection,
    /// The very last record of the snapshot.
    Last,
    /// A streamed change.
    #[default]
    False,
    /// A read from an incremental snapshot.
    Incremental,
}

impl SnapshotMarker {
    /// Every marker, in declaration order (`marker as usize` indexes it).
    const ALL: [Self; 7] = [
        Self::First,
        Self::FirstInDataCollection,
        Self::True,
        Self::LastInDataCollection,
        Self::Last,
        Self::False,
        Self::Incremental,
    ];

    /// The lower-case name Debezium writes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::First => "first",
            Self::FirstInDataCollection => "first_in_data_collection",
            Self::True => "true",
            Self::LastInDataCollection => "last_in_data_collection",
            Self::Last => "last",
            Self::False => "false",
            Self::Incremental => "incremental",
        }
    }

    /// Debezium's precedence when a record is several of these at once:
    /// last of the snapshot, first of the snapshot, last of its table, first
    /// of its table.
    pub fn resolve(first_in_snapshot: bool, last_in_snapshot: bool, first_in_table: bool, last_in_table: bool) -> Self {
        if last_in_snapshot {
            Self::Last
        } else if first_in_snapshot {
            Self::First
        } else if last_in_table {
            Self::LastInDataCollection
        } else if first_in_table {
            Self::FirstInDataCollection
        } else {
            Self::True
        }
    }
}

/// `io.debezium.data.Enum` schema of `source.snapshot`, default `"false"`.
fn snapshot_schema() -> Schema {
    Schema::string()
        .optional()
        .named("io.debezium.data.Enum")
        .version(1)
        .parameter("allowed", "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental")
        .with_default_json("\"false\"")
}

trait WithDefault {
    fn with_default_json(self, json: &str) -> Self;
}

impl WithDefault for Schema {
    fn with_default_json(mut self, json: &str) -> Self {
        self.default_json = Some(json.to_string());
        self
    }
}

/// A snapshot's rows, held back one at a time: a row's marker depends on
/// whether it is the last of its table or of the snapshot, which only the
/// next read tells.
#[derive(Debug)]
pub struct Lookahead<R> {
    held: Option<Held<R>>,
    emitted_any: bool,
    rows_in_table: u64,
}

#[derive(Debug)]
struct Held<R> {
    table: usize,
    row: R,
    first_in_snapshot: bool,
    first_in_table: bool,
    last_in_table: bool,
}

impl<R> Default for Lookahead<R> {
    fn default() -> Self {
        Self { held: None, emitted_any: false, rows_in_table: 0 }
    }
}

impl<R> Lookahead<R> {
    /// Reading of a table starts.
    pub fn start_table(&mut self) {
        self.rows_in_table = 0;
    }

    /// Rows read from the current table so far.
    pub fn rows_in_table(&self) -> u64 {
        self.rows_in_table
    }

    /// Holds `row` of table `table`; returns the row held before, now known
    /// not to be the snapshot's last, with its marker.
    pub fn push(&mut self, table: usize, row: R) -> Option<(usize, R, SnapshotMarker)> {
        let previous = self.held.take().map(|h| h.resolve(false));
        self.held = Some(Held {
            table,
            row,
            first_in_snapshot: !self.emitted_any,
            first_in_table: self.rows_in_table == 0,
            last_in_table: false,
        });
        self.emitted_any = true;
        self.rows_in_table += 1;
        previous
    }

    /// Every row of table `table` is read.
    pub fn end_table(&mut self, table: usize) {
        if let Some(h) = self.held.as_mut().filter(|h| h.table == table) {
            h.last_in_table = true;
        }
    }

    /// The snapshot's last row, once every table is read.
    pub fn finish(&mut self) -> Option<(usize, R, SnapshotMarker)> {
        self.held.take().map(|h| h.resolve(true))
    }
}

impl<R> Held<R> {
    fn resolve(self, last_in_snapshot: bool) -> (usize, R, SnapshotMarker) {
        let marker =
            SnapshotMarker::resolve(self.first_in_snapshot, last_in_snapshot, self.first_in_table, self.last_in_table);
        (self.table, self.row, marker)
    }
}

/// The source schema `name` (e.g. `io.debezium.connector.postgresql.Source`,
/// version 1): the common fields, then `extra` in order.
pub fn schema(name: &str, extra: Vec<(&str, Schema)>) -> Schema {
    let mut s = Schema::structure(name)
        .version(1)
        .field("version", Schema::string())
        .field("connector", Schema::string())
        .field("name", Schema::string())
        .field("ts_ms", Schema::int64())
        .field("snapshot", snapshot_schema())
        .field("db", Schema::string())
        .field("sequence", Schema::string().optional())
        .field("ts_us", Schema::int64().optional())
        .field("ts_ns", Schema::int64().optional());
    for (field, schema) in extra {
        s.fields.push((field.to_string(), Arc::new(schema)));
    }
    s
}

/// The `source` strings every event of a connector repeats, made once and
/// shared by the events ([`Value::Shared`]) instead of copied into each.
#[derive(Debug, Clone)]
pub struct SourceNames {
    connector: Value,
    name: Value,
}

impl SourceNames {
    /// Names for `connector` (`postgresql`, `mysql`, `mariadb` or
    /// `mongodb`) under `topic.prefix` `name`.
    pub fn new(connector: &str, name: &str) -> Self {
        Self { connector: Value::shared(connector), name: Value::shared(name) }
    }
}

/// `DEBEZIUM_VERSION` and the snapshot markers' names, shared by every event.
struct Constants {
    version: Value,
    /// By `marker as usize`, in the order of [`SnapshotMarker::ALL`].
    markers: [Value; 7],
}

fn constants() -> &'static Constants {
    static CONSTANTS: std::sync::OnceLock<Constants> = std::sync::OnceLock::new();
    CONSTANTS.get_or_init(|| Constants {
        version: Value::shared(DEBEZIUM_VERSION),
        markers: SnapshotMarker::ALL.map(|m| Value::shared(m.as_str())),
    })
}

impl SnapshotMarker {
    /// The marker's name as a shared value.
    fn value(self) -> Value {
        constants().markers.get(self as usize).cloned().unwrap_or_else(|| Value::from(self.as_str()))
    }
}

/// The `source` struct a snapshot's rows in the middle of a table share:
/// all but a table's first and last have the same one, so it is built once
/// per table and shared ([`Value::Shared`]).
#[derive(Debug, Default)]
pub struct SnapshotSources {
    /// The current table's index and its middle rows' `source`.
    middle: Option<(usize, Value)>,
}

impl SnapshotSources {
    /// The `source` of a row of table `table` at `marker`; `build` makes it
    /// when it cannot be shared or is not made yet.
    pub fn get(&mut self, table: usize, marker: SnapshotMarker, build: impl FnOnce() -> Value) -> Value {
        if marker != SnapshotMarker::True {
            return build();
        }
        match &self.middle {
            Some((t, source)) if *t == table => source.clone(),
            _ => {
                let shared = Value::shared(build());
                self.middle = Some((table, shared.clone()));
                shared
            }
        }
    }
}

/// The common fields' values.
#[derive(Debug, Clone)]
pub struct Common<'a> {
    /// The connector's and the topic prefix's names.
    pub names: &'a SourceNames,
    /// When the change happened in the source, µs since the epoch.
    pub ts_us: i64,
    /// Snapshot position.
    pub snapshot: SnapshotMarker,
    /// Database name (shared when the caller keeps one).
    pub db: Value,
    /// PostgreSQL's `["<last commit lsn>","<lsn>"]`, else `None`.
    pub sequence: Option<String>,
}

impl Common<'_> {
    /// The common values followed by `extra`, as one `source` struct.
    pub fn value(self, extra: impl IntoIterator<Item = Value>) -> Value {
        let extra = extra.into_iter();
        // Sized for the connector's fields too: built for every event, so no regrowth.
        let mut fields = Vec::with_capacity(9 + extra.size_hint().0);
        fields.extend([
            constants().version.clone(),
            self.names.connector.clone(),
            self.names.name.clone(),
            Value::Int64(self.ts_us.div_euclid(1000)),
            self.snapshot.value(),
            self.db,
            self.sequence.map_or(Value::Null, Value::String),
            Value::Int64(self.ts_us),
            Value::Int64(self.ts_us.saturating_mul(1000)),
        ]);
        fields.extend(extra);
        Value::Struct(fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_marker_has_its_shared_name() {
        for (i, m) in SnapshotMarker::ALL.into_iter().enumerate() {
            assert_eq!(m as usize, i, "ALL is in declaration order");
            assert_eq!(m.value(), Value::from(m.as_str()));
        }
    }

    #[test]
    fn middle_rows_of_a_table_share_one_source() {
        let mut sources = SnapshotSources::default();
        let mut built = 0;
        let mut get = |table, marker| {
            sources.get(table, marker, || {
                built += 1;
                Value::from(format!("{table}"))
            })
        };
        assert_eq!(get(0, SnapshotMarker::First), Value::from("0"));
        assert_eq!(get(0, SnapshotMarker::True), Value::from("0"));
        assert_eq!(get(0, SnapshotMarker::True), Value::from("0"));
        assert_eq!(get(1, SnapshotMarker::True), Value::from("1"));
        assert_eq!(get(1, SnapshotMarker::Last), Value::from("1"));
        assert_eq!(built, 4, "first and last are built each time, middle rows once per table");
    }

    #[test]
    fn snapshot_markers_follow_debezium_precedence() {
        use SnapshotMarker::*;
        assert_eq!(SnapshotMarker::resolve(true, true, true, true), Last);
        assert_eq!(SnapshotMarker::resolve(true, false, true, true), First);
        assert_eq!(SnapshotMarker::resolve(false, false, true, true), LastInDataCollection);
        assert_eq!(SnapshotMarker::resolve(false, false, true, false), FirstInDataCollection);
        assert_eq!(SnapshotMarker::resolve(false, false, false, false), True);
    }

    #[test]
    fn lookahead_marks_first_and_last_of_tables_and_snapshot() {
        let mut rows = Lookahead::default();
        let mut out = Vec::new();
        for (table, n) in [(0, 2), (1, 0), (2, 1)] {
            rows.start_table();
            for i in 0..n {
                out.extend(rows.push(table, i));
            }
            rows.end_table(table);
        }
        out.extend(rows.finish());
        let markers: Vec<(usize, SnapshotMarker)> = out.into_iter().map(|(t, _, m)| (t, m)).collect();
        use SnapshotMarker::*;
        assert_eq!(markers, vec![(0, First), (0, LastInDataCollection), (2, Last)]);
    }
}

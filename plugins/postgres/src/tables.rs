//! A captured table's Connect schemas (key, row, envelope) and how its rows
//! become values: the column filter, key columns, NOT NULL fallbacks and
//! TOAST placeholders.

use std::sync::Arc;

use weir_debezium::{envelope, topics::TopicNames};
use weir_sdk::{ConnectorError, Schema, Value};

use crate::catalog::{TableId, TableInfo};
use crate::config::PgConfig;
use crate::pgoutput::{AsCell, Cell, Datum};
use crate::types::{self, Column, Modes};

/// One captured table, ready to turn rows into records.
#[derive(Debug)]
pub struct Captured {
    /// Identity.
    pub id: TableId,
    /// Data-change topic.
    pub topic: Arc<str>,
    columns: Vec<Column>,
    /// Each column's converter, by column index.
    converters: Vec<types::Converter>,
    /// Indexes of the columns in the row schema.
    value_cols: Vec<usize>,
    /// Indexes of the key columns, in key order.
    key_cols: Vec<usize>,
    /// Key schema; `None` for tables without a key.
    pub key_schema: Option<Arc<Schema>>,
    /// The envelope schema.
    pub envelope: Arc<Schema>,
}

impl Captured {
    /// Schemas for `info` under the connector's settings.
    pub fn new(info: &TableInfo, config: &PgConfig, topics: &TopicNames, source: &Arc<Schema>) -> Self {
        let modes = &config.modes;
        let qualified = info.id.qualified();
        let topic = topics.data(&[&info.id.schema, &info.id.table]);
        let key_names: Vec<String> = match config.common.key_columns.for_table(&qualified) {
            Some(cols) => cols.to_vec(),
            None => info.primary_key.clone(),
        };
        let mut value_cols = Vec::new();
        let mut row = Schema::structure(format!("{topic}.Value")).optional();
        let mut schemas = Vec::with_capacity(info.columns.len());
        for (i, col) in info.columns.iter().enumerate() {
            let schema = types::column_schema(col, modes).map(Arc::new);
            let included = config.common.columns.accepts(&format!("{qualified}.{}", col.name));
            if let (Some(s), true) = (&schema, included) {
                value_cols.push(i);
                row.fields.push((col.name.clone(), s.clone()));
            }
            schemas.push(schema);
        }
        let key_cols: Vec<usize> = key_names
            .iter()
            .filter_map(|k| info.columns.iter().position(|c| &c.name == k))
            .filter(|i| schemas[*i].is_some())
            .collect();
        let key_schema = (!key_cols.is_empty()).then(|| {
            let mut key = Schema::structure(format!("{topic}.Key"));
            for &i in &key_cols {
                if let Some(s) = &schemas[i] {
                    key.fields.push((info.columns[i].name.clone(), s.clone()));
                }
            }
            key.shared()
        });
        let row = row.shared();
        let envelope = envelope::schema(&topic, &row, source).shared();
        Self {
            id: info.id.clone(),
            topic: topic.into(),
            columns: info.columns.clone(),
            converters: info.columns.iter().map(types::Converter::of).collect(),
            value_cols,
            key_cols,
            key_schema,
            envelope,
        }
    }

    fn convert(&self, i: usize, cell: Cell<'_>, modes: &Modes) -> Result<Value, ConnectorError> {
        let col = &self.columns[i];
        let failed = |e: types::TypeError| ConnectorError::fatal(format!("table {}: {e}", self.id.qualified()));
        match cell {
            Cell::Text(text) => self.converters[i].value(col, text, modes).map_err(failed),
            Cell::Binary(bytes) => self.converters[i].binary_value(col, bytes, modes).map_err(failed),
            Cell::Unchanged => Ok(types::unavailable_value(col, modes)),
            Cell::Null if col.not_null => Ok(types::missing_value(col, modes)),
            Cell::Null => Ok(Value::Null),
        }
    }

    /// The struct of `columns` (indexes into `tuple`); a column the tuple
    /// lacks reads as null.
    fn structure(&self, columns: &[usize], tuple: &[impl AsCell], modes: &Modes) -> Result<Value, ConnectorError> {
        let mut fields = Vec::with_capacity(columns.len());
        for &i in columns {
            fields.push(self.convert(i, tuple.get(i).map_or(Cell::Null, AsCell::cell), modes)?);
        }
        Ok(Value::Struct(fields))
    }

    /// The row struct of a tuple.
    pub fn row(&self, tuple: &[impl AsCell], modes: &Modes) -> Result<Value, ConnectorError> {
        self.structure(&self.value_cols, tuple, modes)
    }

    /// The key struct of a tuple; `None` for keyless tables.
    pub fn key(&self, tuple: &[impl AsCell], modes: &Modes) -> Result<Option<Value>, ConnectorError> {
        if self.key_schema.is_none() {
            return Ok(None);
        }
        self.structure(&self.key_cols, tuple, modes).map(Some)
    }

    /// Whether the key columns differ between two images (a key change is
    /// emitted as delete + create).
    pub fn key_changed(&self, old: &[Datum], new: &[Datum]) -> bool {
        self.key_cols.iter().any(|&i| match (old.get(i), new.get(i)) {
            (Some(Datum::Text(a)), Some(Datum::Text(b))) => a != b,
            (Some(Datum::Null), Some(Datum::Text(_))) | (Some(Datum::Text(_)), Some(Datum::Null)) => true,
            _ => false,
        })
    }

    /// Per column, in tuple order, whether a snapshot reads it in binary.
    pub fn binary_columns(&self) -> Vec<bool> {
        self.converters.iter().map(types::Converter::binary).collect()
    }

    /// Column names, in tuple order.
    pub fn column_names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.name.as_str())
    }
}

/// The PostgreSQL `source` schema: the common fields, then `schema`,
/// `table`, `txId`, `lsn`, `xmin` (Debezium 3.1's shape).
pub fn source_schema() -> Arc<Schema> {
    weir_debezium::source::schema(
        "io.debezium.connector.postgresql.Source",
        vec![
            ("schema", Schema::string()),
            ("table", Schema::string()),
            ("txId", Schema::int64().optional()),
            ("lsn", Schema::int64().optional()),
            ("xmin", Schema::int64().optional()),
        ],
    )
    .shared()
}

//! A captured table's Connect schemas (key, row, envelope) and how its row
//! images become values: the column filter, key columns and type mapping.

use std::sync::Arc;

use weir_debezium::{envelope, topics::TopicNames};
use weir_sdk::{ConnectorError, Schema, Value};

use crate::catalog::{ColumnDef, TableDef, TableId};
use crate::cell::Cell;
use crate::config::{Flavor, MyConfig};
use crate::types::{self, Modes};

/// One captured table, ready to turn row images into records.
#[derive(Debug)]
pub struct Captured {
    /// Identity.
    pub id: TableId,
    /// Data-change topic.
    pub topic: Arc<str>,
    columns: Vec<ColumnDef>,
    /// How each column converts, worked out once rather than per cell.
    kinds: Vec<types::Kind>,
    /// Indexes of the columns in the row schema.
    value_cols: Vec<usize>,
    /// Indexes of the key columns, in key order.
    key_cols: Vec<usize>,
    /// Key schema; `None` for tables without a key.
    pub key_schema: Option<Arc<Schema>>,
    /// The envelope schema.
    pub envelope: Arc<Schema>,
    /// `source.db`, shared by every event of the table.
    pub db: Value,
    /// `source.table`, shared by every event of the table.
    pub table: Value,
}

impl Captured {
    /// Schemas for `def` under the connector's settings.
    pub fn new(def: &TableDef, config: &MyConfig, topics: &TopicNames, source: &Arc<Schema>) -> Self {
        let modes = &config.modes;
        let qualified = def.id.to_string();
        let topic = topics.data(&[&def.id.database, &def.id.table]);
        let key_names: Vec<String> = match config.common.key_columns.for_table(&qualified) {
            Some(cols) => cols.to_vec(),
            None => def.primary_key.clone(),
        };
        let mut value_cols = Vec::new();
        let mut row = Schema::structure(format!("{topic}.Value")).optional();
        let mut schemas = Vec::with_capacity(def.columns.len());
        for (i, col) in def.columns.iter().enumerate() {
            let schema = Arc::new(types::column_schema(col, modes));
            if config.common.columns.accepts(&format!("{qualified}.{}", col.name)) {
                value_cols.push(i);
                row.fields.push((col.name.clone(), schema.clone()));
            }
            schemas.push(schema);
        }
        let key_cols: Vec<usize> =
            key_names.iter().filter_map(|k| def.columns.iter().position(|c| c.name.eq_ignore_ascii_case(k))).collect();
        let key_schema = (!key_cols.is_empty()).then(|| {
            let mut key = Schema::structure(format!("{topic}.Key"));
            for &i in &key_cols {
                key.fields.push((def.columns[i].name.clone(), schemas[i].clone()));
            }
            key.shared()
        });
        let row = row.shared();
        let envelope = envelope::schema(&topic, &row, source).shared();
        let kinds = def.columns.iter().map(types::kind_of).collect();
        Self {
            id: def.id.clone(),
            topic: topic.into(),
            columns: def.columns.clone(),
            kinds,
            value_cols,
            key_cols,
            key_schema,
            envelope,
            db: Value::shared(def.id.database.clone()),
            table: Value::shared(def.id.table.clone()),
        }
    }

    fn convert(&self, i: usize, cells: &[Cell], modes: &Modes, snapshot: bool) -> Result<Value, ConnectorError> {
        let col = &self.columns[i];
        let cell = cells.get(i).unwrap_or(&Cell::Null);
        // Debezium formats a few values differently when they come from the
        // snapshot's JDBC reads (see `types::snapshot_value`).
        types::convert_kind(col, &self.kinds[i], cell, modes, snapshot)
            .map_err(|e| ConnectorError::fatal(format!("table {}: {e}", self.id)))
    }

    /// Checks that a row image matches the definition's column count: a
    /// mismatch means the schema history is out of step with the binlog
    /// (Debezium's `inconsistent.schema.handling.mode=fail`).
    pub fn check_width(&self, width: usize) -> Result<(), ConnectorError> {
        if width == self.columns.len() {
            return Ok(());
        }
        Err(ConnectorError::fatal(format!(
            "table {}: the binlog row has {width} columns but the table's known definition has {}; \
             the schema history does not match the binlog (was DDL run while the connector could not see it?). \
             Take a new snapshot (snapshot.mode=recovery or when_needed) to rebuild it",
            self.id,
            self.columns.len()
        )))
    }

    /// The row struct of an image (`snapshot`: read by the snapshot).
    pub fn row(&self, cells: &[Cell], modes: &Modes, snapshot: bool) -> Result<Value, ConnectorError> {
        let mut fields = Vec::with_capacity(self.value_cols.len());
        for &i in &self.value_cols {
            fields.push(self.convert(i, cells, modes, snapshot)?);
        }
        Ok(Value::Struct(fields))
    }

    /// The key struct of an image; `None` for keyless tables.
    pub fn key(&self, cells: &[Cell], modes: &Modes, snapshot: bool) -> Result<Option<Value>, ConnectorError> {
        if self.key_schema.is_none() {
            return Ok(None);
        }
        let mut fields = Vec::with_capacity(self.key_cols.len());
        for &i in &self.key_cols {
            fields.push(self.convert(i, cells, modes, snapshot)?);
        }
        Ok(Some(Value::Struct(fields)))
    }

    /// Whether the key columns differ between two images (a key change is
    /// emitted as delete + create).
    pub fn key_changed(&self, old: &[Cell], new: &[Cell]) -> bool {
        self.key_cols.iter().any(|&i| old.get(i) != new.get(i))
    }

    /// The definition's columns.
    pub fn columns(&self) -> &[ColumnDef] {
        &self.columns
    }
}

/// The binlog connectors' `source` schema: the common fields, then
/// `table`, `server_id`, `gtid`, `file`, `pos`, `row`, `thread`, `query`
/// (Debezium 3.1's shape, as the reference's MySQL capture shows).
pub fn source_schema(flavor: Flavor) -> Arc<Schema> {
    weir_debezium::source::schema(
        &format!("io.debezium.connector.{}.Source", flavor.name()),
        vec![
            ("table", Schema::string().optional()),
            ("server_id", Schema::int64()),
            ("gtid", Schema::string().optional()),
            ("file", Schema::string()),
            ("pos", Schema::int64()),
            ("row", Schema::int32()),
            ("thread", Schema::int64().optional()),
            ("query", Schema::string().optional()),
        ],
    )
    .shared()
}

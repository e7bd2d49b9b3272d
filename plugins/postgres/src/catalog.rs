//! What the system catalogs say about captured tables: which tables exist,
//! their columns (types, NOT NULL, defaults) and primary keys, and type
//! details (enum labels, array elements, domain bases) that relation
//! messages do not carry.

use std::collections::HashMap;

use crate::error::PgError;
use crate::types::{Column, PgType, TypeKind};
use crate::wire::PgConn;

/// A table's identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId {
    /// Schema.
    pub schema: String,
    /// Table.
    pub table: String,
}

impl TableId {
    /// `schema.table`, as filters and `message.key.columns` match it.
    pub fn qualified(&self) -> String {
        format!("{}.{}", self.schema, self.table)
    }
}

/// A table's columns and primary key, from the catalog.
#[derive(Debug, Clone)]
pub struct TableInfo {
    /// Identity.
    pub id: TableId,
    /// Columns in attribute order.
    pub columns: Vec<Column>,
    /// Primary key column names, in key order.
    pub primary_key: Vec<String>,
}

/// Ordinary and partitioned tables outside the system schemas.
pub fn list_tables(conn: &mut PgConn) -> Result<Vec<(u32, TableId)>, PgError> {
    let rows = conn.query(
        "SELECT c.oid, n.nspname, c.relname FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition \
         AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' \
         AND n.nspname NOT LIKE 'pg_temp%' ORDER BY n.nspname, c.relname",
    )?;
    let mut out = Vec::new();
    for row in rows.into_iter().flat_map(|r| r.rows) {
        if let [Some(oid), Some(schema), Some(table)] = &row[..] {
            let oid = oid.parse().map_err(|_| PgError::Protocol(format!("bad oid {oid}")))?;
            out.push((oid, TableId { schema: schema.clone(), table: table.clone() }));
        }
    }
    Ok(out)
}

/// Types by OID, loaded from `pg_type` on first use.
#[derive(Debug, Default)]
pub struct TypeCache(HashMap<u32, PgType>);

impl TypeCache {
    /// The type `oid`, loading it (and its element or base type) if needed.
    pub fn get(&mut self, conn: &mut PgConn, oid: u32) -> Result<PgType, PgError> {
        if let Some(t) = self.0.get(&oid) {
            return Ok(t.clone());
        }
        let rows = conn.query(&format!(
            "SELECT t.typname, t.typtype, t.typelem, t.typbasetype, t.typcategory, \
             (SELECT array_to_json(array_agg(e.enumlabel ORDER BY e.enumsortorder))::text \
              FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid) \
             FROM pg_catalog.pg_type t WHERE t.oid = {oid}"
        ))?;
        let row = rows
            .into_iter()
            .flat_map(|r| r.rows)
            .next()
            .ok_or_else(|| PgError::Protocol(format!("type {oid} is not in pg_type")))?;
        let text = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
        let name = text(0);
        let typtype = text(1);
        let elem: u32 = text(2).parse().unwrap_or(0);
        let base: u32 = text(3).parse().unwrap_or(0);
        let category = text(4);
        let kind = if typtype == "e" {
            let labels: Vec<String> = serde_json::from_str(&text(5)).unwrap_or_default();
            TypeKind::Enum(labels)
        } else if typtype == "d" && base != 0 {
            TypeKind::Domain(Box::new(self.get(conn, base)?))
        } else if category == "A" && elem != 0 {
            TypeKind::Array(Box::new(self.get(conn, elem)?))
        } else if typtype == "b" {
            TypeKind::Base
        } else {
            TypeKind::Other
        };
        let ty = PgType { oid, name, kind };
        self.0.insert(oid, ty.clone());
        Ok(ty)
    }

    /// Forgets a type (after a Type message says it changed).
    pub fn forget(&mut self, oid: u32) {
        self.0.remove(&oid);
    }
}

/// A table's columns and primary key.
pub fn table_info(conn: &mut PgConn, types: &mut TypeCache, oid: u32, id: TableId) -> Result<TableInfo, PgError> {
    let rows = conn.query(&format!(
        "SELECT a.attname, a.atttypid, a.atttypmod, a.attnotnull, pg_catalog.pg_get_expr(d.adbin, d.adrelid) \
         FROM pg_catalog.pg_attribute a \
         LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE a.attrelid = {oid} AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum; \
         SELECT a.attname FROM pg_catalog.pg_index i \
         JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
         WHERE i.indrelid = {oid} AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)"
    ))?;
    let mut results = rows.into_iter();
    let column_rows = results.next().map(|r| r.rows).unwrap_or_default();
    let primary_key = results
        .next()
        .map(|r| r.rows.into_iter().filter_map(|row| row.into_iter().next().flatten()).collect())
        .unwrap_or_default();
    let mut columns = Vec::with_capacity(column_rows.len());
    for row in column_rows {
        let text = |i: usize| row.get(i).cloned().flatten();
        let type_oid: u32 = text(1).and_then(|t| t.parse().ok()).unwrap_or(0);
        columns.push(Column {
            name: text(0).unwrap_or_default(),
            ty: types.get(conn, type_oid)?,
            typmod: text(2).and_then(|t| t.parse().ok()).unwrap_or(-1),
            not_null: text(3).as_deref() == Some("t"),
            default_expr: text(4),
        });
    }
    Ok(TableInfo { id, columns, primary_key })
}

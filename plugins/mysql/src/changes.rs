//! Schema change events as Debezium 3.1's MySQL and MariaDB connectors
//! write them to the `<topic.prefix>` topic: the key and value schemas, and
//! `tableChanges` entries (`io.debezium.connector.schema.Change`) rendered
//! from the catalog's table definitions.
//!
//! Column attributes follow Debezium's DDL parser: `jdbcType` is the
//! `java.sql.Types` constant it assigns per type name, `typeExpression`
//! repeats `typeName`, `generated` means AUTO_INCREMENT (Debezium does not
//! mark generated columns), ENUM/SET `length` counts members and commas.

use std::sync::Arc;

use weir_sdk::{Schema, Value};

use crate::catalog::{ColumnDef, ColumnType, TableDef, TableId};

/// `java.sql.Types` constants Debezium uses for MySQL/MariaDB columns.
pub mod jdbc {
    /// BIT.
    pub const BIT: i32 = -7;
    /// SMALLINT (also TINYINT in Debezium's MySQL parser).
    pub const SMALLINT: i32 = 5;
    /// INTEGER (MEDIUMINT, INT, YEAR).
    pub const INTEGER: i32 = 4;
    /// BIGINT.
    pub const BIGINT: i32 = -5;
    /// FLOAT.
    pub const FLOAT: i32 = 6;
    /// REAL.
    pub const REAL: i32 = 7;
    /// DOUBLE.
    pub const DOUBLE: i32 = 8;
    /// NUMERIC.
    pub const NUMERIC: i32 = 2;
    /// DECIMAL.
    pub const DECIMAL: i32 = 3;
    /// CHAR (also ENUM and SET).
    pub const CHAR: i32 = 1;
    /// VARCHAR (also the TEXT types).
    pub const VARCHAR: i32 = 12;
    /// NCHAR.
    pub const NCHAR: i32 = -15;
    /// NVARCHAR.
    pub const NVARCHAR: i32 = -9;
    /// DATE.
    pub const DATE: i32 = 91;
    /// TIME.
    pub const TIME: i32 = 92;
    /// TIMESTAMP (MySQL's DATETIME).
    pub const TIMESTAMP: i32 = 93;
    /// TIMESTAMP_WITH_TIMEZONE (MySQL's TIMESTAMP).
    pub const TIMESTAMP_WITH_TIMEZONE: i32 = 2014;
    /// BINARY.
    pub const BINARY: i32 = -2;
    /// VARBINARY.
    pub const VARBINARY: i32 = -3;
    /// BLOB.
    pub const BLOB: i32 = 2004;
    /// BOOLEAN.
    pub const BOOLEAN: i32 = 16;
    /// OTHER (spatial types, JSON, UUID, INET4/6).
    pub const OTHER: i32 = 1111;
}

/// The `java.sql.Types` constant Debezium assigns to a column, from its
/// type name (`NUMERIC` and `DECIMAL`, `REAL` and `DOUBLE`, `NCHAR` and
/// `CHAR` differ there though the server treats them alike).
pub fn jdbc_type(col: &ColumnDef) -> i32 {
    let name = col.type_name.to_ascii_uppercase();
    let first = name.split(' ').next().unwrap_or("");
    let varying = name.contains("VARYING") || name.contains("VARCHAR");
    match first {
        "CHAR" | "CHARACTER" if varying => jdbc::VARCHAR,
        "CHAR" | "CHARACTER" => jdbc::CHAR,
        "NCHAR" | "NATIONAL" if varying => jdbc::NVARCHAR,
        "NCHAR" | "NATIONAL" => jdbc::NCHAR,
        "NVARCHAR" => jdbc::NVARCHAR,
        "VARCHAR" | "TINYTEXT" | "TEXT" | "MEDIUMTEXT" | "LONGTEXT" => jdbc::VARCHAR,
        "LONG" if col.ty == ColumnType::MediumBlob => jdbc::BLOB,
        "LONG" => jdbc::VARCHAR,
        "TINYINT" | "INT1" | "SMALLINT" | "INT2" => jdbc::SMALLINT,
        "MEDIUMINT" | "MIDDLEINT" | "INT3" | "INT" | "INTEGER" | "INT4" | "YEAR" => jdbc::INTEGER,
        "BIGINT" | "INT8" | "SERIAL" => jdbc::BIGINT,
        "REAL" => jdbc::REAL,
        "DOUBLE" | "FLOAT8" => jdbc::DOUBLE,
        "FLOAT" | "FLOAT4" => jdbc::FLOAT,
        "DECIMAL" | "DEC" | "FIXED" => jdbc::DECIMAL,
        "NUMERIC" => jdbc::NUMERIC,
        "BIT" => jdbc::BIT,
        "DATE" => jdbc::DATE,
        "TIME" => jdbc::TIME,
        "DATETIME" => jdbc::TIMESTAMP,
        "TIMESTAMP" => jdbc::TIMESTAMP_WITH_TIMEZONE,
        "BINARY" => jdbc::BINARY,
        "VARBINARY" => jdbc::VARBINARY,
        "BLOB" | "TINYBLOB" | "MEDIUMBLOB" | "LONGBLOB" => jdbc::BLOB,
        "BOOL" | "BOOLEAN" => jdbc::BOOLEAN,
        "ENUM" | "SET" => jdbc::CHAR,
        _ => jdbc_type_of(col.ty),
    }
}

/// The constant for a column type when its name says nothing more.
fn jdbc_type_of(ty: ColumnType) -> i32 {
    use ColumnType::*;
    match ty {
        Bit => jdbc::BIT,
        Boolean => jdbc::BOOLEAN,
        TinyInt | SmallInt => jdbc::SMALLINT,
        MediumInt | Int | Year => jdbc::INTEGER,
        BigInt => jdbc::BIGINT,
        Decimal => jdbc::DECIMAL,
        Float => jdbc::FLOAT,
        Double => jdbc::DOUBLE,
        Date => jdbc::DATE,
        Time => jdbc::TIME,
        DateTime => jdbc::TIMESTAMP,
        Timestamp => jdbc::TIMESTAMP_WITH_TIMEZONE,
        Char | Enum | Set => jdbc::CHAR,
        VarChar | TinyText | Text | MediumText | LongText => jdbc::VARCHAR,
        Binary => jdbc::BINARY,
        VarBinary => jdbc::VARBINARY,
        TinyBlob | Blob | MediumBlob | LongBlob => jdbc::BLOB,
        Json | Geometry | Uuid | Inet4 | Inet6 => jdbc::OTHER,
    }
}

/// `io.debezium.connector.schema.Column` v1.
pub fn column_schema() -> Schema {
    let opt_string = || Schema::string().optional();
    let opt_int = || Schema::int32().optional();
    let opt_bool = || Schema::boolean().optional();
    Schema::structure("io.debezium.connector.schema.Column")
        .version(1)
        .field("name", Schema::string())
        .field("jdbcType", Schema::int32())
        .field("nativeType", opt_int())
        .field("typeName", Schema::string())
        .field("typeExpression", opt_string())
        .field("charsetName", opt_string())
        .field("length", opt_int())
        .field("scale", opt_int())
        .field("position", Schema::int32())
        .field("optional", opt_bool())
        .field("autoIncremented", opt_bool())
        .field("generated", opt_bool())
        .field("comment", opt_string())
        .field("defaultValueExpression", opt_string())
        .field("enumValues", Schema::array(Schema::string()).optional())
}

/// `io.debezium.connector.schema.Table` v1 (optional).
pub fn table_schema() -> Schema {
    Schema::structure("io.debezium.connector.schema.Table")
        .version(1)
        .field("defaultCharsetName", Schema::string().optional())
        .field("primaryKeyColumnNames", Schema::array(Schema::string()).optional())
        .field("columns", Schema::array(column_schema()))
        .field("comment", Schema::string().optional())
        .optional()
}

/// `io.debezium.connector.schema.Change` v1: `{type, id, table}`.
pub fn change_schema() -> Schema {
    Schema::structure("io.debezium.connector.schema.Change")
        .version(1)
        .field("type", Schema::string())
        .field("id", Schema::string())
        .field("table", table_schema())
}

/// `io.debezium.connector.<connector>.SchemaChangeKey` v1 `{databaseName}`;
/// `connector` is `mysql` or `mariadb`.
pub fn key_schema(connector: &str) -> Arc<Schema> {
    Schema::structure(format!("io.debezium.connector.{connector}.SchemaChangeKey"))
        .version(1)
        .field("databaseName", Schema::string())
        .shared()
}

/// `io.debezium.connector.<connector>.SchemaChangeValue` v1
/// `{source, ts_ms, databaseName, schemaName, ddl, tableChanges}`.
pub fn value_schema(connector: &str, source: Arc<Schema>) -> Arc<Schema> {
    let mut schema = Schema::structure(format!("io.debezium.connector.{connector}.SchemaChangeValue")).version(1);
    schema.fields.push(("source".to_string(), source));
    schema
        .field("ts_ms", Schema::int64())
        .field("databaseName", Schema::string().optional())
        .field("schemaName", Schema::string().optional())
        .field("ddl", Schema::string().optional())
        .field("tableChanges", Schema::array(change_schema()))
        .shared()
}

/// A schema change event's key.
pub fn key(database: &str) -> Value {
    Value::Struct(vec![Value::String(database.to_string())])
}

/// A schema change event's value; `schemaName` is always null for MySQL.
pub fn value(source: Value, ts_ms: i64, database: &str, ddl: &str, table_changes: Vec<Value>) -> Value {
    Value::Struct(vec![
        source,
        Value::Int64(ts_ms),
        Value::String(database.to_string()),
        Value::Null,
        Value::String(ddl.to_string()),
        Value::Array(table_changes),
    ])
}

/// The table id as Debezium prints it in `tableChanges[].id`:
/// `"db"."table"`, embedded double quotes doubled.
pub fn quoted_id(id: &TableId) -> String {
    format!("{}.{}", quote(&id.database), quote(&id.table))
}

/// Debezium's identifier quoting: a part already starting or ending with
/// `"` is left alone.
fn quote(part: &str) -> String {
    if part.is_empty() {
        "\"\"".to_string()
    } else if part.starts_with('"') || part.ends_with('"') {
        part.to_string()
    } else {
        format!("\"{}\"", part.replace('"', "\"\""))
    }
}

/// One `tableChanges` entry (a [`change_schema`] value): `kind` is
/// `CREATE`, `ALTER` or `DROP` (a rename is an `ALTER` of the new table).
pub fn table_change(kind: &str, def: &TableDef) -> Value {
    Value::Struct(vec![Value::String(kind.to_string()), Value::String(quoted_id(&def.id)), table_value(def)])
}

fn table_value(def: &TableDef) -> Value {
    Value::Struct(vec![
        opt_string(&def.default_charset),
        Value::Array(def.primary_key.iter().map(|k| Value::String(k.clone())).collect()),
        Value::Array(def.columns.iter().enumerate().map(|(i, c)| column_value(i + 1, c)).collect()),
        opt_string(&def.comment),
    ])
}

fn column_value(position: usize, col: &ColumnDef) -> Value {
    let length = match col.ty {
        // Debezium: 1 for ENUM, members plus separating commas for SET.
        ColumnType::Enum => Some(1),
        ColumnType::Set => Some((col.values.len() * 2).saturating_sub(1) as u32),
        _ => col.length,
    };
    let int = |v: Option<u32>| v.map_or(Value::Null, |v| Value::Int32(v.min(i32::MAX as u32) as i32));
    let enum_values = if col.values.is_empty() {
        Value::Null
    } else {
        // Debezium keeps the members as quoted SQL literals.
        Value::Array(col.values.iter().map(|v| Value::String(quote_literal(v))).collect())
    };
    Value::Struct(vec![
        Value::String(col.name.clone()),
        Value::Int32(jdbc_type(col)),
        Value::Null,
        Value::String(col.type_name.clone()),
        Value::String(col.type_name.clone()),
        opt_string(&col.charset),
        int(length),
        int(col.scale),
        Value::Int32(position.min(i32::MAX as usize) as i32),
        Value::Boolean(col.nullable),
        Value::Boolean(col.auto_increment),
        Value::Boolean(col.auto_increment),
        opt_string(&col.comment),
        opt_string(&col.default),
        enum_values,
    ])
}

/// A string as SHOW CREATE TABLE quotes it: `'…'` with `'` doubled and `\`
/// escaped.
fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
}

fn opt_string(s: &Option<String>) -> Value {
    s.as_ref().map_or(Value::Null, |s| Value::String(s.clone()))
}

#[cfg(test)]
mod tests;

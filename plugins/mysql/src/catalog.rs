//! Table definitions as the connector knows them: built from `SHOW CREATE
//! TABLE` at snapshot time and kept current by the DDL the binlog carries
//! (see `ddl`). Row images are matched to these definitions by position.

use std::collections::BTreeMap;
use std::fmt;

/// A table's identity: database and table name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableId {
    /// Database (MySQL's schema).
    pub database: String,
    /// Table.
    pub table: String,
}

impl TableId {
    /// A table id.
    pub fn new(database: impl Into<String>, table: impl Into<String>) -> Self {
        Self { database: database.into(), table: table.into() }
    }
}

impl fmt::Display for TableId {
    /// `database.table`, as filters and `message.key.columns` name tables.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.database, self.table)
    }
}

/// A column's declared data type (the type name, without its modifiers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// BIT(n).
    Bit,
    /// BOOL / BOOLEAN as written in DDL (SHOW CREATE TABLE says TINYINT(1)).
    Boolean,
    /// TINYINT.
    TinyInt,
    /// SMALLINT.
    SmallInt,
    /// MEDIUMINT.
    MediumInt,
    /// INT / INTEGER.
    Int,
    /// BIGINT (and SERIAL, which is BIGINT UNSIGNED NOT NULL AUTO_INCREMENT).
    BigInt,
    /// DECIMAL / NUMERIC / DEC / FIXED.
    Decimal,
    /// FLOAT / FLOAT(p<=24).
    Float,
    /// DOUBLE / REAL / DOUBLE PRECISION / FLOAT(p>24).
    Double,
    /// DATE.
    Date,
    /// TIME(fsp).
    Time,
    /// DATETIME(fsp).
    DateTime,
    /// TIMESTAMP(fsp).
    Timestamp,
    /// YEAR.
    Year,
    /// CHAR(n) (and NCHAR, NATIONAL CHAR).
    Char,
    /// VARCHAR(n) (and NVARCHAR...).
    VarChar,
    /// BINARY(n).
    Binary,
    /// VARBINARY(n).
    VarBinary,
    /// TINYTEXT.
    TinyText,
    /// TEXT.
    Text,
    /// MEDIUMTEXT.
    MediumText,
    /// LONGTEXT.
    LongText,
    /// TINYBLOB.
    TinyBlob,
    /// BLOB.
    Blob,
    /// MEDIUMBLOB.
    MediumBlob,
    /// LONGBLOB.
    LongBlob,
    /// ENUM('a', ...).
    Enum,
    /// SET('a', ...).
    Set,
    /// JSON (MySQL's binary JSON; MariaDB's alias for LONGTEXT with a check).
    Json,
    /// GEOMETRY and its subtypes (POINT, LINESTRING, POLYGON, MULTI*, GEOMETRYCOLLECTION).
    Geometry,
    /// MariaDB's UUID type (10.7+).
    Uuid,
    /// MariaDB's INET4 type.
    Inet4,
    /// MariaDB's INET6 type.
    Inet6,
}

/// One column of a table definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnDef {
    /// Column name as declared.
    pub name: String,
    /// Declared type.
    pub ty: ColumnType,
    /// The type name as Debezium reports it (`typeName`), upper case, e.g.
    /// `INT`, `INT UNSIGNED`, `VARCHAR`, `POINT`, `BOOLEAN`.
    pub type_name: String,
    /// Length or precision in parentheses: `VARCHAR(255)` → 255,
    /// `DECIMAL(10,2)` → 10, `DATETIME(3)` → 3, `BIT(8)` → 8.
    pub length: Option<u32>,
    /// Scale: `DECIMAL(10,2)` → 2.
    pub scale: Option<u32>,
    /// UNSIGNED (ZEROFILL implies it).
    pub unsigned: bool,
    /// Character set for character types (CHAR, VARCHAR, TEXT, ENUM, SET):
    /// the column's own (or its collation's), else the table's default
    /// (resolved when the column is defined); `utf8` for NCHAR/NVARCHAR.
    pub charset: Option<String>,
    /// NULL allowed (false with NOT NULL or PRIMARY KEY).
    pub nullable: bool,
    /// AUTO_INCREMENT.
    pub auto_increment: bool,
    /// A generated (virtual or stored) column.
    pub generated: bool,
    /// The DEFAULT value as Debezium's `defaultValueExpression`: string
    /// literals unquoted with escapes decoded (`'it''s'` → `it's`), numbers
    /// as written with their sign, `b'101'` → `101`, TRUE/FALSE as written,
    /// `CURRENT_TIMESTAMP`/`NOW()` (any precision) → `1970-01-01 00:00:00`.
    /// `None` without a DEFAULT clause, for DEFAULT NULL, hex literals and
    /// computed defaults (`(1 + 1)`, `uuid()`, `curdate()`).
    pub default: Option<String>,
    /// ENUM/SET members in declaration order, unquoted.
    pub values: Vec<String>,
    /// COMMENT, unquoted.
    pub comment: Option<String>,
}

impl ColumnDef {
    /// A column of type `ty` with no modifiers (nullable, no default).
    pub fn new(name: impl Into<String>, ty: ColumnType, type_name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ty,
            type_name: type_name.into(),
            length: None,
            scale: None,
            unsigned: false,
            charset: None,
            nullable: true,
            auto_increment: false,
            generated: false,
            default: None,
            values: Vec::new(),
            comment: None,
        }
    }
}

/// A table definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    /// Identity.
    pub id: TableId,
    /// Columns in table order (the order of the binlog's row images).
    pub columns: Vec<ColumnDef>,
    /// Primary key column names, in key order; empty without one.
    pub primary_key: Vec<String>,
    /// The table's default character set (`DEFAULT CHARSET=`), if known.
    pub default_charset: Option<String>,
    /// Table COMMENT.
    pub comment: Option<String>,
}

/// What one DDL statement did, for schema change events and for the
/// task's captured-table cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A table was created (or replaced).
    Create(TableId),
    /// A table's definition changed in place.
    Alter(TableId),
    /// A table was renamed, possibly also altered: from, to.
    Rename(TableId, TableId),
    /// A table was dropped.
    Drop(TableId),
    /// A table was truncated (no schema change; a truncate event).
    Truncate(TableId),
    /// A database was created.
    CreateDatabase(String),
    /// A database was dropped, with every table in it.
    DropDatabase(String),
}

/// Every table definition the connector knows, by id, and the databases'
/// default character sets.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Tables by id.
    pub tables: BTreeMap<TableId, TableDef>,
    /// Databases with their default character set, when known.
    pub databases: BTreeMap<String, Option<String>>,
}

impl Catalog {
    /// The table's definition, if known.
    pub fn table(&self, id: &TableId) -> Option<&TableDef> {
        self.tables.get(id)
    }
}

//! One column value as the binlog's row images (or a snapshot's text
//! result set) carry it, before Debezium's type mapping in `types`.

/// A column value in MySQL's own terms. The binlog knows only the storage
/// type, not the column's declared signedness or character set: `types`
/// applies those from the table's definition.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// SQL NULL.
    Null,
    /// TINYINT..BIGINT as stored, sign-extended from its width. An UNSIGNED
    /// column's negative value is reinterpreted by `types` from the width.
    Int(i64),
    /// FLOAT.
    Float(f32),
    /// DOUBLE.
    Double(f64),
    /// DECIMAL as plain text with the column's scale, e.g. `-12.340`.
    Decimal(String),
    /// CHAR/VARCHAR/TEXT/BLOB/BINARY/VARBINARY bytes as stored (in the
    /// column's character set), GEOMETRY (4-byte SRID then WKB), MariaDB
    /// JSON (text), and ENUM/SET values given by name (snapshot text).
    Bytes(Vec<u8>),
    /// BIT(n), big-endian, `(n + 7) / 8` bytes.
    Bit(Vec<u8>),
    /// DATE; zero parts allowed (`0000-00-00`).
    Date {
        /// Year.
        year: u16,
        /// Month, 0-12.
        month: u8,
        /// Day, 0-31.
        day: u8,
    },
    /// TIME as signed microseconds (-838:59:59 to 838:59:59).
    Time(i64),
    /// DATETIME, with no time zone; zero parts allowed.
    DateTime {
        /// Year.
        year: u16,
        /// Month, 0-12.
        month: u8,
        /// Day, 0-31.
        day: u8,
        /// Hour.
        hour: u8,
        /// Minute.
        minute: u8,
        /// Second.
        second: u8,
        /// Microseconds.
        micros: u32,
    },
    /// TIMESTAMP: seconds and microseconds since the Unix epoch, UTC
    /// (`0` seconds is MySQL's zero timestamp).
    Timestamp {
        /// Seconds since the epoch.
        seconds: i64,
        /// Microseconds.
        micros: u32,
    },
    /// YEAR (0 for the zero year, else 1901-2155).
    Year(u16),
    /// ENUM by 1-based index (0 is the empty error value).
    Enum(u16),
    /// SET as a bit mask over its members.
    Set(u64),
    /// MySQL's JSON type, already rendered as JSON text the way Debezium
    /// renders it.
    Json(String),
}
